//! Pickup codes: RFC 6238 TOTP vectors, the short code window, and the signed rotating QR.

use pharmedge::domain::pickup::*;

const QR_SECRET: &[u8] = b"qr-secret-0123456789abcdef0123456";

/// A QR secret, an order of member m-1 at store st-1, and a time step.
fn qr_fixture() -> (&'static [u8], Binding<'static>, i64) {
    let binding = Binding {
        order_id: "o-1",
        member_id: "m-1",
        store_id: "st-1",
    };
    (QR_SECRET, binding, step_of(1_800_000_000))
}

/// RFC 6238 Appendix B, HMAC-SHA256, 8 digits, with its 32-byte seed.
#[test]
fn totp_matches_the_rfc_6238_sha256_vectors() {
    let seed = b"12345678901234567890123456789012";
    let vectors = [
        (59, 46119246),
        (1111111109, 68084774),
        (1111111111, 67062674),
        (1234567890, 91819424),
        (2000000000, 90698825),
        (20000000000, 77737706),
    ];
    for (unix, expected) in vectors {
        assert_eq!(totp(seed, step_of(unix), 8), expected, "T = {unix}");
        // The 6-digit code is the same value modulo 10^6.
        assert_eq!(
            totp(seed, step_of(unix), 6),
            expected % 1_000_000,
            "T = {unix}"
        );
    }
}

#[test]
fn short_codes_are_valid_for_the_current_and_previous_step_only() {
    let secret = b"per-order-secret-0123456789abcdef";
    let now = step_of(1_800_000_000);
    let current = short_code(secret, now);
    assert_eq!(current.len(), 6);
    assert_eq!(verify_short_code(secret, &current, now), Ok(()));
    assert_eq!(
        verify_short_code(secret, &current, now + 1),
        Ok(()),
        "previous step"
    );
    assert_eq!(
        verify_short_code(secret, &current, now + 2),
        Err(CodeRefusal::Invalid)
    );
    assert_eq!(
        verify_short_code(b"another-order-secret-000000000000", &current, now),
        Err(CodeRefusal::Invalid)
    );
    for malformed in ["", "12345", "1234567", "12a456", "١٢٣٤٥٦"] {
        assert_eq!(
            verify_short_code(secret, malformed, now),
            Err(CodeRefusal::Invalid),
            "{malformed}"
        );
    }
}

#[test]
fn qr_codes_bind_order_member_store_and_time() {
    let (secret, binding, now) = qr_fixture();
    let text = qr_text(secret, &binding, now);
    assert!(text.starts_with("PE1.o-1."));
    let scanned = parse_qr(&text).unwrap();
    assert_eq!(verify_qr(secret, &scanned, &binding, now), Ok(()));
    assert_eq!(verify_qr(secret, &scanned, &binding, now + 1), Ok(()));
    assert_eq!(
        verify_qr(secret, &scanned, &binding, now + 2),
        Err(CodeRefusal::Expired),
        "two steps ago"
    );
    assert_eq!(
        verify_qr(secret, &scanned, &binding, now - 1),
        Err(CodeRefusal::Invalid),
        "from the future"
    );
    // Bound to member and store: the same text does not verify for others.
    for other in [
        Binding {
            member_id: "m-2",
            ..binding
        },
        Binding {
            store_id: "st-2",
            ..binding
        },
    ] {
        assert_eq!(
            verify_qr(secret, &scanned, &other, now),
            Err(CodeRefusal::Invalid)
        );
    }
    assert_eq!(
        verify_qr(b"wrong-secret-0000000000000000000", &scanned, &binding, now),
        Err(CodeRefusal::Invalid)
    );
}

#[test]
fn tampered_or_malformed_qr_texts_are_invalid() {
    let (secret, binding, now) = qr_fixture();
    let text = qr_text(secret, &binding, now);
    // A newer step with the old MAC (trying to refresh a screenshot) is a forgery.
    let refreshed = text.replace(&format!(".{now}."), &format!(".{}.", now + 5));
    let scanned = parse_qr(&refreshed).unwrap();
    assert_eq!(
        verify_qr(secret, &scanned, &binding, now + 5),
        Err(CodeRefusal::Invalid)
    );
    let mut flipped = text.clone().into_bytes();
    let last = flipped.len() - 2;
    flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    assert!(parse_qr(&flipped).map_or(true, |s| verify_qr(secret, &s, &binding, now).is_err()));
    for malformed in [
        "",
        "PE1",
        "PE1.o-1.x.AAAA",
        "PE2.o-1.1.AAAAAAAAAAAAAAAAAAAAAA",
        "PE1.o 1.1.AAAAAAAAAAAAAAAAAAAAAA",
        "PE1.o-1.1.AAAA.extra",
        "<script>",
    ] {
        assert_eq!(
            parse_qr(malformed),
            Err(CodeRefusal::Invalid),
            "{malformed}"
        );
    }
    // Another order's id in an otherwise valid text.
    let other = parse_qr(&text.replace("PE1.o-1.", "PE1.o-2.")).unwrap();
    assert_eq!(
        verify_qr(secret, &other, &binding, now),
        Err(CodeRefusal::Invalid)
    );
}
