//! Derived ids: stable, prefixed, and valid external ids.

use pharmedge::domain::ids::{digest_id, hex, is_valid_id};

#[test]
fn hex_is_lower_case_two_digits_a_byte() {
    assert_eq!(hex(&[0x00, 0x0f, 0xab, 0xff]), "000fabff");
}

#[test]
fn digest_ids_are_stable_distinct_and_valid() {
    let order = digest_id("ord", &["m-1", "key-1"], 16);
    assert_eq!(order, digest_id("ord", &["m-1", "key-1"], 16));
    assert_ne!(order, digest_id("ord", &["m-2", "key-1"], 16));
    // The separator keeps ("ab", "c") apart from ("a", "bc").
    assert_ne!(
        digest_id("x", &["ab", "c"], 16),
        digest_id("x", &["a", "bc"], 16)
    );
    assert_eq!(order.len(), "ord_".len() + 32);
    assert!(order.starts_with("ord_") && is_valid_id(&order));
    // SHA-256("abc"), first 4 bytes.
    assert_eq!(digest_id("t", &["abc"], 4), "t_ba7816bf");
}
