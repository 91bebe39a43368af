//! Campaign configuration, status over time, audience, limits, stock shards, coupon expiry.

use pharmedge::domain::campaign::*;
use pharmedge::domain::ids::MemberId;
use pharmedge::domain::tier::Tier;
use pharmedge::domain::time::{parse_instant, BusinessZone};
use serde_json::json;

fn config(overrides: serde_json::Value) -> CampaignConfig {
    let mut base = json!({
        "id": "flash-1", "name": "周三秒杀", "kind": "flash_sale",
        "starts_at": "2026-06-03T12:00:00Z", "ends_at": "2026-06-03T13:00:00Z",
        "stock": 500,
        "coupon": {"type": "threshold", "value_fen": 2000, "min_spend_fen": 19900, "valid_days": 30},
        "limits": {"per_member": 1},
        "rules_text": "每人限领1张"
    });
    for (key, value) in overrides.as_object().unwrap() {
        base[key] = value.clone();
    }
    serde_json::from_value(base).unwrap()
}

#[test]
fn a_good_config_validates_and_bad_ones_name_the_field() {
    assert_eq!(config(json!({})).validate(), Ok(()));
    let cases = [
        (json!({"ends_at": "2026-06-03T12:00:00Z"}), "ends_at"),
        (json!({"stock": 0}), "stock"),
        (json!({"name": ""}), "name"),
        (json!({"rules_text": ""}), "rules_text"),
        (
            json!({"limits": {"per_member": 1, "per_member_per_day": 2}}),
            "per_member_per_day",
        ),
        (
            json!({"coupon": {"type": "fixed", "value_fen": 990}}),
            "valid_days",
        ),
        (
            json!({"coupon": {"type": "fixed", "value_fen": 990, "valid_days": 3, "valid_until": "2026-07-01T00:00:00Z"}}),
            "not both",
        ),
        (
            json!({"coupon": {"type": "percent", "percent": 12, "max_discount_fen": 0, "valid_days": 3}}),
            "max_discount_fen",
        ),
        (json!({"shards": 0}), "shards"),
        (json!({"audience": {"tiers": []}}), "audience.tiers"),
    ];
    for (overrides, field) in cases {
        match config(overrides.clone()).validate() {
            Err(ConfigRefusal::Invalid(detail)) => {
                assert!(detail.contains(field), "{overrides}: {detail}")
            }
            other => panic!("{overrides}: {other:?}"),
        }
    }
}

#[test]
fn rx_or_class_a_otc_rewards_are_not_compliant() {
    use pharmedge::domain::campaign::check_gift;
    use pharmedge::domain::catalog::{CatalogItem, SaleStatus};
    let item = |class: &str, status: SaleStatus| CatalogItem {
        sku: "g".into(),
        name: "试用装".into(),
        drug_class: serde_json::from_value(json!(class)).unwrap(),
        price_fen: 100,
        version: 1,
        category: None,
        status,
        max_qty_per_order: None,
    };
    // The class is the catalogue's: the operator names the SKU only.
    for class in ["rx", "otc_a", "special"] {
        let refused = check_gift(Some(&item(class, SaleStatus::OnSale)));
        assert!(
            matches!(refused, Err(ConfigRefusal::NonCompliant(_))),
            "{class}"
        );
    }
    for class in ["otc_b", "health", "device", "other"] {
        assert_eq!(
            check_gift(Some(&item(class, SaleStatus::OnSale))),
            Ok(()),
            "{class}"
        );
    }
    let stopped = check_gift(Some(&item("health", SaleStatus::Stopped)));
    assert!(matches!(stopped, Err(ConfigRefusal::NonCompliant(_))));
    assert!(matches!(check_gift(None), Err(ConfigRefusal::Invalid(_))));
    assert!(config(json!({"gift": {"sku": "g"}})).validate().is_ok());
    let declared = serde_json::from_value::<pharmedge::domain::campaign::CampaignConfig>(
        json!({"gift": {"sku": "g", "drug_class": "health"}}),
    );
    assert!(
        declared.is_err(),
        "a class declared by the operator is refused"
    );
    let rx_coupon = config(
        json!({"coupon": {"type": "fixed", "value_fen": 990, "valid_days": 3, "eligible_classes": ["otc_b", "rx"]}}),
    );
    assert!(matches!(
        rx_coupon.validate(),
        Err(ConfigRefusal::NonCompliant(_))
    ));
}

#[test]
fn status_follows_the_window_and_the_operator() {
    let starts = parse_instant("2026-06-03T12:00:00Z").unwrap();
    let ends = parse_instant("2026-06-03T13:00:00Z").unwrap();
    let at = |raw| parse_instant(raw).unwrap();
    assert_eq!(
        status_at(SetStatus::Active, starts, ends, at("2026-06-03T11:59:59Z")),
        Status::Scheduled
    );
    assert_eq!(
        status_at(SetStatus::Active, starts, ends, at("2026-06-03T12:00:00Z")),
        Status::Active
    );
    assert_eq!(
        status_at(SetStatus::Paused, starts, ends, at("2026-06-03T12:30:00Z")),
        Status::Paused
    );
    assert_eq!(
        status_at(SetStatus::Active, starts, ends, at("2026-06-03T13:00:00Z")),
        Status::Ended
    );
    assert_eq!(
        status_at(SetStatus::Ended, starts, ends, at("2026-06-03T12:30:00Z")),
        Status::Ended
    );
    assert!(transition_allowed(SetStatus::Paused, SetStatus::Active));
    assert!(!transition_allowed(SetStatus::Ended, SetStatus::Active));
    assert_eq!(
        take_one(Status::Scheduled, 10),
        Err(StockRefusal::CampaignNotStarted)
    );
    assert_eq!(
        take_one(Status::Paused, 10),
        Err(StockRefusal::CampaignPaused)
    );
    assert_eq!(take_one(Status::Active, 0), Err(StockRefusal::SoldOut));
    assert_eq!(take_one(Status::Active, 1), Ok(()));
}

#[test]
fn audience_and_limits() {
    let now = parse_instant("2026-06-10T00:00:00Z").unwrap();
    let member = MemberFacts {
        registered_at: Some(parse_instant("2026-06-01T00:00:00Z").unwrap()),
        has_paid_order: true,
        tier: Tier::Silver,
    };
    let audience = |value: serde_json::Value| serde_json::from_value::<Audience>(value).unwrap();
    assert_eq!(
        eligibility(
            &audience(json!({"new_members_within_days": 9})),
            &member,
            now
        ),
        Ok(())
    );
    assert_eq!(
        eligibility(
            &audience(json!({"new_members_within_days": 8})),
            &member,
            now
        ),
        Err("not_a_new_member")
    );
    let unknown_age = MemberFacts {
        registered_at: None,
        ..member
    };
    assert_eq!(
        eligibility(
            &audience(json!({"new_members_within_days": 3650})),
            &unknown_age,
            now
        ),
        Err("not_a_new_member"),
        "a member whose registration nobody reported is not new"
    );
    assert_eq!(
        eligibility(&audience(json!({"tiers": ["silver"]})), &unknown_age, now),
        Ok(()),
        "only the new-member rule needs the registration"
    );
    assert_eq!(
        eligibility(&audience(json!({"first_order_only": true})), &member, now),
        Err("has_ordered_before")
    );
    assert_eq!(
        eligibility(&audience(json!({"tiers": ["gold"]})), &member, now),
        Err("tier_not_included")
    );
    assert_eq!(
        eligibility(
            &audience(json!({"tiers": ["silver", "gold"]})),
            &member,
            now
        ),
        Ok(())
    );
    let limits = Limits {
        per_member: 3,
        per_member_per_day: Some(1),
    };
    assert_eq!(within_limits(&limits, 0, 0), Ok(()));
    assert_eq!(within_limits(&limits, 1, 1), Err("per_member_per_day"));
    assert_eq!(within_limits(&limits, 3, 0), Err("per_member"));
}

#[test]
fn stock_splits_exactly_and_members_spread_over_shards() {
    assert_eq!(split_stock(1_000, 8), vec![125; 8]);
    assert_eq!(split_stock(10, 4), vec![3, 3, 2, 2]);
    assert_eq!(split_stock(10, 4).iter().sum::<i64>(), 10);
    let order = shard_order(&MemberId::parse("m-1").unwrap(), 8);
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        (0..8).collect::<Vec<_>>(),
        "every shard exactly once"
    );
    let mut first_shards = [0_u32; 8];
    for i in 0..8_000 {
        first_shards[shard_order(&MemberId::parse(&format!("m-{i}")).unwrap(), 8)[0] as usize] += 1;
    }
    assert!(
        first_shards.iter().all(|&n| (700..=1300).contains(&n)),
        "{first_shards:?}"
    );
    assert_eq!(config(json!({"stock": 500})).shard_count(), 1);
    assert_eq!(config(json!({"stock": 20_000})).shard_count(), 10);
    assert_eq!(
        config(json!({"stock": 1_000, "shards": 8})).shard_count(),
        8
    );
}

#[test]
fn coupons_expire_at_the_end_of_their_last_business_day() {
    let zone = BusinessZone::shanghai();
    let claimed = parse_instant("2026-06-03T17:00:00Z").unwrap(); // 2026-06-04 01:00 in Shanghai
    let thirty_days = config(json!({}));
    assert_eq!(
        thirty_days.coupon_expiry(claimed, &zone),
        parse_instant("2026-07-03T16:00:00Z").unwrap()
    );
    let until = config(
        json!({"coupon": {"type": "fixed", "value_fen": 990, "valid_until": "2026-06-30T16:00:00Z"}}),
    );
    assert_eq!(
        until.coupon_expiry(claimed, &zone),
        parse_instant("2026-06-30T16:00:00Z").unwrap()
    );
}

#[test]
fn a_fixed_coupon_end_must_outlast_the_claims() {
    // The window is 12:00-13:00; a coupon valid until before its end would be issued dead.
    for until in ["2026-06-03T12:59:59Z", "2026-06-03T11:00:00Z"] {
        match config(json!({"coupon": {"type": "fixed", "value_fen": 990, "valid_until": until}}))
            .validate()
        {
            Err(ConfigRefusal::Invalid(detail)) => {
                assert!(detail.contains("valid_until"), "{detail}")
            }
            other => panic!("{until}: {other:?}"),
        }
    }
    for until in ["2026-06-03T13:00:00Z", "2026-06-10T00:00:00Z"] {
        let config =
            config(json!({"coupon": {"type": "fixed", "value_fen": 990, "valid_until": until}}));
        assert_eq!(config.validate(), Ok(()), "{until}");
    }
}
