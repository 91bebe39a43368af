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

// --- verification at the counter

use pharmedge::domain::order::OrderStatus;

fn facts(status: OrderStatus) -> PickupFacts<'static> {
    PickupFacts {
        status,
        store_id: "st-1",
        has_rx: false,
        deadline_ms: Some(1_000_000),
        verified: None,
    }
}

const CLERK: Verifier<'static> = Verifier {
    store_id: "st-1",
    is_pharmacist: false,
};

#[test]
fn a_ready_order_with_a_fresh_code_is_handed_over() {
    assert_eq!(
        decide_verification(Ok(()), &facts(OrderStatus::ReadyForPickup), CLERK, 500),
        Ok(())
    );
}

#[test]
fn an_invalid_code_says_nothing_about_the_order() {
    let picked = PickupFacts {
        verified: Some((400, "clerk-9")),
        ..facts(OrderStatus::PickedUp)
    };
    let elsewhere = Verifier {
        store_id: "st-2",
        ..CLERK
    };
    assert_eq!(
        decide_verification(Err(CodeRefusal::Invalid), &picked, elsewhere, 500),
        Err(VerifyRefusal::InvalidCode)
    );
}

#[test]
fn refusals_come_in_the_order_a_clerk_needs_them() {
    let ready = facts(OrderStatus::ReadyForPickup);
    let elsewhere = Verifier {
        store_id: "st-2",
        ..CLERK
    };
    assert_eq!(
        decide_verification(Ok(()), &ready, elsewhere, 500),
        Err(VerifyRefusal::WrongStore)
    );
    let picked = PickupFacts {
        verified: Some((400, "clerk-9")),
        ..facts(OrderStatus::PickedUp)
    };
    // A stale rescan of a finished pickup tells when and by whom.
    assert_eq!(
        decide_verification(Err(CodeRefusal::Expired), &picked, CLERK, 500),
        Err(VerifyRefusal::AlreadyPickedUp {
            verified_at_ms: 400,
            verified_by: "clerk-9".into()
        })
    );
    assert_eq!(
        decide_verification(Ok(()), &facts(OrderStatus::Cancelled), CLERK, 500),
        Err(VerifyRefusal::NotReady {
            status: "cancelled"
        })
    );
    assert_eq!(
        decide_verification(Ok(()), &ready, CLERK, 1_000_000),
        Err(VerifyRefusal::PickupExpired),
        "the deadline itself is too late"
    );
    assert_eq!(
        decide_verification(Err(CodeRefusal::Expired), &ready, CLERK, 500),
        Err(VerifyRefusal::CodeExpired)
    );
    let rx = PickupFacts {
        has_rx: true,
        ..ready
    };
    assert_eq!(
        decide_verification(Ok(()), &rx, CLERK, 500),
        Err(VerifyRefusal::PharmacistRequired)
    );
    let pharmacist = Verifier {
        is_pharmacist: true,
        ..CLERK
    };
    assert_eq!(decide_verification(Ok(()), &rx, pharmacist, 500), Ok(()));
}

#[test]
fn each_order_has_its_own_totp_secret() {
    let a = order_totp_secret(QR_SECRET, "o-1");
    let b = order_totp_secret(QR_SECRET, "o-2");
    assert_eq!(a.len(), 32);
    assert_ne!(a, b);
    assert_eq!(
        a,
        order_totp_secret(QR_SECRET, "o-1"),
        "stable across restarts"
    );
    assert_ne!(
        a,
        order_totp_secret(b"another-server-secret-0123456789", "o-1")
    );
}

#[test]
fn the_qr_svg_is_an_svg_of_dark_modules() {
    let (secret, binding, step) = qr_fixture();
    let svg = qr_svg(&qr_text(secret, &binding, step)).expect("renders");
    assert!(
        svg.starts_with("<?xml") || svg.starts_with("<svg"),
        "{}",
        &svg[..40]
    );
    assert!(svg.contains("#000000") && svg.contains("#ffffff"));
    // A longer text needs a larger symbol.
    let long = qr_svg(&"PE1.".repeat(40)).expect("renders");
    assert!(long.len() > svg.len());
}

#[test]
fn the_code_window_is_the_step_and_the_next() {
    // 1_800_000_010 is 10 s into its step.
    let window = code_window(1_800_000_010);
    assert_eq!(window.step, step_of(1_800_000_010));
    assert_eq!((window.refresh_in_s, window.valid_for_s), (20, 50));
    assert_eq!(window.expires_at_s, 1_800_000_060);
    // At a step boundary a fresh code lives a full step plus the next.
    let fresh = code_window(1_800_000_030);
    assert_eq!((fresh.refresh_in_s, fresh.valid_for_s), (30, 60));
}

#[test]
fn the_deadline_is_the_cores_or_seven_days_after_ready() {
    use chrono::{Duration, TimeZone, Utc};
    let ready = Utc.with_ymd_and_hms(2026, 6, 3, 10, 0, 0).unwrap();
    assert_eq!(pickup_deadline(ready, None, 7), ready + Duration::days(7));
    let given = ready + Duration::hours(5);
    assert_eq!(pickup_deadline(ready, Some(given), 7), given);
}

#[test]
fn the_member_sees_a_code_only_while_the_handover_is_open() {
    let ready = facts(OrderStatus::ReadyForPickup);
    assert_eq!(handover_open(&ready, 500), Ok(()));
    assert_eq!(
        handover_open(&ready, 1_000_000),
        Err(VerifyRefusal::PickupExpired)
    );
    assert_eq!(
        handover_open(&facts(OrderStatus::Confirmed), 500),
        Err(VerifyRefusal::NotReady {
            status: "confirmed"
        })
    );
}

#[test]
fn the_counter_gate_holds_staff_and_store_apart() {
    use pharmedge::domain::rules::Rules;
    let rules = Rules::default().pickup; // 10 per staff, 50 per store, 10 minutes
    let now = 10_000_000;
    let ten: Vec<i64> = (0..10).map(|i| now - 1_000 * i).collect();
    assert!(
        counter_gate(&rules, &ten, &ten, now).is_err(),
        "this staff member"
    );
    assert_eq!(counter_gate(&rules, &[], &ten, now), Ok(()), "a colleague");
    let fifty: Vec<i64> = (0..50).map(|i| now - 1_000 * i).collect();
    assert!(counter_gate(&rules, &[], &fifty, now).is_err(), "the store");
}

/// The recipe in the README ("Pickup ... Exactly"), computed independently in Python
/// (hmac/hashlib), so a client or a scanner written from the README gets the same codes.
#[test]
fn the_documented_recipe_gives_these_codes() {
    let server_secret = b"e2e-pickup-secret-0123456789abcdef";
    let step = 59_000_000;
    let secret = order_totp_secret(server_secret, "ord_readme");
    assert_eq!(short_code(&secret, step), "050626");
    let binding = Binding {
        order_id: "ord_readme",
        member_id: "m-alice",
        store_id: "store-7",
    };
    assert_eq!(
        qr_text(server_secret, &binding, step),
        "PE1.ord_readme.59000000.9aT-i6wTeDJ_Yuwe8f4c7Q"
    );
}
