//! Referral: share codes, the binding rules, the staged rewards and the clawback window.

use chrono::{DateTime, Duration, TimeZone, Utc};
use pharmedge::domain::referral::*;
use pharmedge::domain::rules::Rules;
use std::collections::HashSet;

const SECRET: &[u8] = b"referral-test-secret-0123456789";

fn at(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, hour, 0, 0).unwrap()
}

#[test]
fn codes_are_stable_short_unambiguous_and_keyed() {
    let code = candidate_code(SECRET, "m-1", 0);
    assert_eq!(code, candidate_code(SECRET, "m-1", 0), "stable");
    assert_eq!(code.len(), CODE_LEN);
    assert_eq!(
        normalize_code(&code).as_deref(),
        Some(code.as_str()),
        "canonical"
    );
    assert!(
        code.chars()
            .all(|c| !"ILOU".contains(c) && (c.is_ascii_digit() || c.is_ascii_uppercase())),
        "{code}"
    );
    assert_ne!(
        code,
        candidate_code(SECRET, "m-1", 1),
        "another attempt, another code"
    );
    assert_ne!(
        code,
        candidate_code(b"another-secret-0123456789", "m-1", 0),
        "keyed"
    );
    // Nothing of the member id shows: ids one character apart get unrelated codes.
    for (a, b) in [
        ("m-1", "m-2"),
        ("member-100", "member-101"),
        ("alice", "alicf"),
    ] {
        let (code_a, code_b) = (candidate_code(SECRET, a, 0), candidate_code(SECRET, b, 0));
        let same = code_a
            .chars()
            .zip(code_b.chars())
            .filter(|(x, y)| x == y)
            .count();
        assert!(same <= 3, "{a} {code_a} / {b} {code_b}");
    }
}

#[test]
fn codes_spread_over_the_space() {
    let codes: HashSet<String> = (0..20_000)
        .map(|i| candidate_code(SECRET, &format!("member-{i}"), 0))
        .collect();
    // 40 bits: 20,000 members collide with odds of about 2 in 10^4.
    assert!(codes.len() >= 19_999, "{}", codes.len());
    // Each position uses the whole alphabet.
    for position in 0..CODE_LEN {
        let used: HashSet<char> = codes
            .iter()
            .map(|c| c.chars().nth(position).unwrap())
            .collect();
        assert_eq!(used.len(), 32, "position {position}");
    }
}

#[test]
fn codes_are_read_leniently_as_documented() {
    let code = candidate_code(SECRET, "m-7", 0);
    let lower = code.to_lowercase();
    let hyphenated = format!("{}-{}", &code[..4], &code[4..]);
    for raw in [
        code.clone(),
        lower.clone(),
        hyphenated,
        format!("{code}/"),
        format!("{code}%E3%80%82"), // a percent-encoded 。 glued on by a chat app
        format!("{code}。"),
        format!("{code})."),
        format!("{lower}?from=wechat"),
        format!("{code}EXTRA"),
    ] {
        assert_eq!(
            normalize_code(&raw).as_deref(),
            Some(code.as_str()),
            "{raw}"
        );
    }
    // I and L read as 1, O as 0.
    assert_eq!(normalize_code("10ABCDEF").as_deref(), Some("10ABCDEF"));
    assert_eq!(normalize_code("lOABCDEF").as_deref(), Some("10ABCDEF"));
    assert_eq!(normalize_code("iOABCDEF").as_deref(), Some("10ABCDEF"));
    for junk in [
        "",
        "ABC",
        "ABCDEFG",
        "ABC DEFGH",
        "UUUUUUUU",
        "会员会员会员会员",
        "' OR 1=1 --",
        "%41%42",
    ] {
        assert_eq!(normalize_code(junk), None, "{junk}");
    }
}

#[test]
fn visitor_and_device_hashes_are_keyed_and_never_the_input() {
    let visitor = visitor_hash(SECRET, "2026-03-01", "203.0.113.7", "Mozilla/5.0");
    assert_eq!(visitor.len(), 32);
    assert!(!visitor.contains("203"));
    assert_eq!(
        visitor,
        visitor_hash(SECRET, "2026-03-01", "203.0.113.7", "Mozilla/5.0")
    );
    assert_ne!(
        visitor,
        visitor_hash(SECRET, "2026-03-02", "203.0.113.7", "Mozilla/5.0"),
        "per day"
    );
    assert_ne!(
        visitor,
        visitor_hash(SECRET, "2026-03-01", "203.0.113.8", "Mozilla/5.0")
    );
    assert_ne!(
        visitor,
        visitor_hash(SECRET, "2026-03-01", "203.0.113.7", "curl/8")
    );
    assert_ne!(
        visitor,
        visitor_hash(
            b"other-key-000000000000",
            "2026-03-01",
            "203.0.113.7",
            "Mozilla/5.0"
        )
    );
    let device = device_hash(SECRET, "device-abc");
    assert_eq!(device, device_hash(SECRET, "device-abc"));
    assert_ne!(device, device_hash(SECRET, "device-abd"));
    assert_ne!(device, device_hash(b"other-key-000000000000", "device-abc"));
}

fn new_member() -> InviteeFacts {
    InviteeFacts {
        first_registration: true,
        has_binding: false,
        registered_at: at(1),
        has_paid_order: false,
    }
}

#[test]
fn the_invitee_rules_in_order() {
    let rules = ReferralRules::default();
    let now = at(2);
    let check = |inviter: Option<&str>, facts: InviteeFacts| {
        check_invitee("inv", inviter, &facts, now, &rules)
    };
    assert_eq!(check(Some("ref"), new_member()), Ok(()));
    assert_eq!(check(None, new_member()), Err(Refusal::UnknownCode));
    assert_eq!(check(Some("inv"), new_member()), Err(Refusal::SelfReferral));
    let bound = InviteeFacts {
        has_binding: true,
        first_registration: false,
        ..new_member()
    };
    assert_eq!(check(Some("ref"), bound), Err(Refusal::AlreadyBound));
    let reported_before = InviteeFacts {
        first_registration: false,
        ..new_member()
    };
    assert_eq!(
        check(Some("ref"), reported_before),
        Err(Refusal::NotNewMember)
    );
    let ordered = InviteeFacts {
        has_paid_order: true,
        ..new_member()
    };
    assert_eq!(check(Some("ref"), ordered), Err(Refusal::NotNewMember));
    // Registered 72 h before the report at the latest.
    let old = InviteeFacts {
        registered_at: now - Duration::hours(72),
        ..new_member()
    };
    assert_eq!(check(Some("ref"), old), Ok(()));
    let older = InviteeFacts {
        registered_at: now - Duration::hours(72) - Duration::seconds(1),
        ..new_member()
    };
    assert_eq!(check(Some("ref"), older), Err(Refusal::NotNewMember));
}

#[test]
fn a_device_binds_only_the_member_it_first_registered() {
    assert_eq!(check_device(None, "inv"), Ok(()));
    assert_eq!(check_device(Some("inv"), "inv"), Ok(()));
    assert_eq!(
        check_device(Some("someone-else"), "inv"),
        Err(Refusal::DeviceSeen)
    );
}

#[test]
fn caps_per_day_then_per_month() {
    let rules = ReferralRules {
        daily_cap: 20,
        monthly_cap: 100,
        ..ReferralRules::default()
    };
    assert_eq!(check_caps(0, 0, &rules), Ok(()));
    assert_eq!(check_caps(19, 99, &rules), Ok(()));
    assert_eq!(check_caps(20, 20, &rules), Err(Refusal::InviterDailyCap));
    assert_eq!(check_caps(5, 100, &rules), Err(Refusal::InviterMonthlyCap));
    let closed = ReferralRules {
        daily_cap: 0,
        ..rules
    };
    assert_eq!(check_caps(0, 0, &closed), Err(Refusal::InviterDailyCap));
}

#[test]
fn the_stages_pay_the_seed_amounts_to_the_right_side() {
    let rules = ReferralRules::default();
    assert_eq!(
        reward(Stage::Bound, &rules),
        Reward {
            to_inviter: false,
            points: 50,
            coupon_fen: Some(2_000)
        }
    );
    assert_eq!(
        reward(Stage::Verified, &rules),
        Reward {
            to_inviter: true,
            points: 100,
            coupon_fen: Some(3_000)
        }
    );
    assert_eq!(
        reward(Stage::FirstOrder, &rules),
        Reward {
            to_inviter: true,
            points: 50,
            coupon_fen: None
        }
    );
    let no_coupons = ReferralRules {
        invitee_coupon_fen: 0,
        ..rules
    };
    assert_eq!(reward(Stage::Bound, &no_coupons).coupon_fen, None);
    // One ledger source id per invitee and stage.
    let ids: HashSet<String> = [Stage::Bound, Stage::Verified, Stage::FirstOrder]
        .iter()
        .flat_map(|stage| ["a", "b"].map(|invitee| reward_source_id(invitee, *stage)))
        .collect();
    assert_eq!(ids.len(), 6);
}

#[test]
fn only_a_full_refund_within_the_window_claws_back() {
    let rules = ReferralRules::default();
    let paid = at(0);
    let within = paid + Duration::days(7);
    let after = within + Duration::seconds(1);
    assert!(claws_back_first_order(paid, 10_000, 10_000, within, &rules));
    assert!(
        !claws_back_first_order(paid, 10_000, 9_999, within, &rules),
        "partial refund"
    );
    assert!(
        !claws_back_first_order(paid, 10_000, 10_000, after, &rules),
        "after the window"
    );
}

#[test]
fn referral_rules_come_from_vars() {
    let rules = Rules::from_vars(|name| match name {
        "REFERRAL_DAILY_CAP" => Some("3".into()),
        "REFERRAL_INVITER_POINTS" => Some("120".into()),
        "REFERRAL_COUPON_VALID_DAYS" => Some("14".into()),
        _ => None,
    })
    .unwrap();
    assert_eq!(rules.referral.daily_cap, 3);
    assert_eq!(rules.referral.inviter_points, 120);
    assert_eq!(rules.referral.coupon_valid_days, 14);
    assert_eq!(rules.referral.monthly_cap, 100);
    for (var, raw) in [
        ("REFERRAL_DAILY_CAP", "-1"),
        ("REFERRAL_COUPON_VALID_DAYS", "0"),
        ("REFERRAL_INVITEE_POINTS", "lots"),
    ] {
        let err = Rules::from_vars(|name| (name == var).then(|| raw.to_owned())).unwrap_err();
        assert_eq!(err.var, var);
    }
}

#[test]
fn the_first_order_reward_and_its_clawback_in_either_order() {
    use FirstOrderReward::*;
    // Reward first: granted, then taken back once.
    assert_eq!(Open.on_reward(), FirstOrderStep::Grant);
    let granted = Granted { points: 50 };
    assert_eq!(granted.on_reward(), FirstOrderStep::Nothing, "granted once");
    assert_eq!(
        granted.on_clawback(),
        FirstOrderStep::TakeBack { points: 50 }
    );
    assert_eq!(
        ClawedBack.on_clawback(),
        FirstOrderStep::Nothing,
        "taken back once"
    );
    // Clawback first: the reward is cancelled and never granted.
    assert_eq!(Open.on_clawback(), FirstOrderStep::Cancel);
    assert_eq!(ClawedBack.on_reward(), FirstOrderStep::Nothing);
}

#[test]
fn rewarded_events_name_the_recipient_and_negate_clawbacks() {
    let bound = RewardedData::new(
        "inviter",
        "invitee",
        Stage::Bound,
        50,
        Some("cpn_1".into()),
        false,
    );
    assert_eq!(
        (bound.member_id, bound.role, bound.points),
        ("invitee", "invitee", 50)
    );
    let verified = RewardedData::new("inviter", "invitee", Stage::Verified, 100, None, false);
    assert_eq!((verified.member_id, verified.role), ("inviter", "inviter"));
    let back = RewardedData::new("inviter", "invitee", Stage::FirstOrder, 50, None, true);
    assert_eq!(
        (back.member_id, back.points, back.clawback),
        ("inviter", -50, true)
    );
}

#[test]
fn tap_limit_keys_are_keyed_per_link_client_and_secret() {
    use pharmedge::domain::referral::tap_limit_key;
    let key = tap_limit_key(b"secret-a", "K3QZ7D2M", "203.0.113.9", "phone");
    assert_eq!(key.len(), 32);
    assert!(
        !key.contains("203.0.113.9"),
        "the IP is never handed to the limiter"
    );
    assert_eq!(
        key,
        tap_limit_key(b"secret-a", "K3QZ7D2M", "203.0.113.9", "phone")
    );
    for other in [
        tap_limit_key(b"secret-b", "K3QZ7D2M", "203.0.113.9", "phone"),
        tap_limit_key(b"secret-a", "K3QZ7D2N", "203.0.113.9", "phone"),
        tap_limit_key(b"secret-a", "K3QZ7D2M", "203.0.113.8", "phone"),
        tap_limit_key(b"secret-a", "K3QZ7D2M", "203.0.113.9", "tablet"),
    ] {
        assert_ne!(key, other);
    }
}
