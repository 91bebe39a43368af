//! Attribution: UTM values kept only when well-formed; buckets deterministic and balanced.

use pharmedge::domain::attribution::*;

#[test]
fn keeps_well_formed_utm_and_drops_the_rest() {
    let found = Attribution::from_pairs([
        ("utm_source", "poster"),
        ("utm_medium", "qr"),
        ("utm_campaign", "member-day_2026.11"),
        ("utm_source", "second-wins-not"),
        ("store", "s-001"),
        ("other", "x"),
    ]);
    assert_eq!(found.utm_source.as_deref(), Some("poster"));
    assert_eq!(found.utm_medium.as_deref(), Some("qr"));
    assert_eq!(found.utm_campaign.as_deref(), Some("member-day_2026.11"));
    assert_eq!(found.store_id.as_deref(), Some("s-001"));
    for bad in ["", "张三 13800138000", "<script>", "a b", &"x".repeat(65)] {
        let found = Attribution::from_pairs([("utm_source", bad), ("store", bad)]);
        assert!(found.is_empty(), "{bad:?} kept");
    }
    assert_eq!(
        link_tag("referral", "share", "invite").utm_pairs(),
        vec![
            ("utm_source", "referral"),
            ("utm_medium", "share"),
            ("utm_campaign", "invite")
        ]
    );
}

#[test]
fn buckets_are_deterministic_independent_and_near_even() {
    let mut b = 0;
    let mut agree = 0;
    let n = 10_000;
    for i in 0..n {
        let member = format!("m-{i}");
        assert_eq!(
            bucket(&member, "checkin-copy"),
            bucket(&member, "checkin-copy")
        );
        if bucket(&member, "checkin-copy") == Bucket::B {
            b += 1;
        }
        if bucket(&member, "checkin-copy") == bucket(&member, "poster-layout") {
            agree += 1;
        }
    }
    // 50/50 within 3 % at n = 10,000 (about 6 standard deviations).
    assert!((4_700..=5_300).contains(&b), "{b} of {n} in B");
    assert!(
        (4_700..=5_300).contains(&agree),
        "experiments not independent: {agree}"
    );
}
