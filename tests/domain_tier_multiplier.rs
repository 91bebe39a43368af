//! Points multipliers (member day, birthday month) and how they meet gold ×2, as documented;
//! the multiplier campaign's validation and window; the published tier table.

use pharmedge::domain::campaign::{CampaignConfig, ConfigRefusal, Status};
use pharmedge::domain::rules::Rules;
use pharmedge::domain::tier::Tier;
use pharmedge::domain::tier_benefits::Combine;
use pharmedge::domain::tier_multiplier::*;
use pharmedge::domain::tier_table::table;
use pharmedge::domain::time::{parse_instant, BusinessZone};
use serde_json::json;

fn campaign(extra: serde_json::Value) -> CampaignConfig {
    let mut value = json!({
        "id": "member-day", "name": "会员日双倍积分", "kind": "points_multiplier",
        "starts_at": "2026-05-14T16:00:00Z", "ends_at": "2026-05-15T16:00:00Z", "stock": 1,
        "coupon": {"type": "fixed", "value_fen": 1, "valid_days": 1}, "limits": {"per_member": 1},
        "rules_text": "每月15日积分翻倍", "multiplier": 2
    });
    for (key, field) in extra.as_object().unwrap() {
        if field.is_null() {
            value.as_object_mut().unwrap().remove(key);
        } else {
            value[key] = field.clone();
        }
    }
    serde_json::from_value(value).unwrap()
}

fn at(raw: &str) -> chrono::DateTime<chrono::Utc> {
    parse_instant(raw).unwrap()
}

fn boost(campaign: Option<(i64, Combine)>, birth_month: Option<u32>) -> Boost {
    Boost {
        campaign: campaign.map(|(multiplier, combine)| CampaignMultiplier {
            campaign_id: "member-day".into(),
            multiplier,
            combine,
        }),
        birth_month,
    }
}

/// The order's multiplier for `tier`, paid on 15 May 2026 at noon business time.
fn multiplier(tier: Tier, boost: &Boost) -> i64 {
    let rules = Rules::default();
    multiplier_for_order(
        tier,
        &rules.points,
        boost,
        &rules.zone,
        at("2026-05-15T04:00:00Z"),
    )
}

#[test]
fn a_multiplier_campaign_needs_a_bounded_multiplier_and_other_kinds_refuse_one() {
    assert_eq!(campaign(json!({})).validate(), Ok(()));
    assert!(
        matches!(campaign(json!({"multiplier": null})).validate(), Err(ConfigRefusal::Invalid(d)) if d.starts_with("multiplier"))
    );
    for bad in [0, 1, 6, 100] {
        assert!(
            campaign(json!({"multiplier": bad})).validate().is_err(),
            "{bad}"
        );
    }
    assert_eq!(
        campaign(json!({"multiplier": 5, "combine": "product"})).validate(),
        Ok(())
    );
    assert!(campaign(json!({"kind": "coupon"})).validate().is_err());
    assert!(
        campaign(json!({"kind": "coupon", "multiplier": null, "combine": "higher"}))
            .validate()
            .is_err()
    );
    assert_eq!(
        campaign(json!({"kind": "coupon", "multiplier": null})).validate(),
        Ok(())
    );
}

#[test]
fn the_multiplier_is_open_only_inside_the_window_and_while_active() {
    let config = campaign(json!({}));
    // 15 May in Shanghai is 14 May 16:00 UTC to 15 May 16:00 UTC.
    assert!(multiplier_open_at(
        &config,
        Status::Active,
        &BusinessZone::shanghai(),
        at("2026-05-14T16:00:00Z")
    ));
    assert!(multiplier_open_at(
        &config,
        Status::Active,
        &BusinessZone::shanghai(),
        at("2026-05-15T15:59:59Z")
    ));
    assert!(!multiplier_open_at(
        &config,
        Status::Active,
        &BusinessZone::shanghai(),
        at("2026-05-15T16:00:00Z")
    ));
    assert!(!multiplier_open_at(
        &config,
        Status::Active,
        &BusinessZone::shanghai(),
        at("2026-05-14T15:59:59Z")
    ));
    assert!(!multiplier_open_at(
        &config,
        Status::Paused,
        &BusinessZone::shanghai(),
        at("2026-05-15T04:00:00Z")
    ));
    let coupon = campaign(json!({"kind": "coupon", "multiplier": null}));
    assert!(!multiplier_open_at(
        &coupon,
        Status::Active,
        &BusinessZone::shanghai(),
        at("2026-05-15T04:00:00Z")
    ));
}

#[test]
fn a_monthly_member_day_multiplies_on_the_15th_only() {
    // Member day: a year-long campaign open every month on the 15th, all day (business time).
    let config = campaign(json!({
        "starts_at": "2026-01-01T00:00:00Z", "ends_at": "2026-12-31T00:00:00Z",
        "schedule": {"every": "month", "day_of_month": 15, "start_time": "00:00",
                     "duration_minutes": 1440, "stock_per_occurrence": 1}
    }));
    assert_eq!(config.validate(), Ok(()));
    let zone = BusinessZone::shanghai();
    let open = |raw: &str| multiplier_open_at(&config, Status::Active, &zone, at(raw));
    assert!(open("2026-05-14T16:00:00Z"), "15 May 00:00 in Shanghai");
    assert!(open("2026-05-15T15:59:59Z"), "15 May 23:59:59 in Shanghai");
    assert!(!open("2026-05-15T16:00:00Z"), "16 May 00:00 in Shanghai");
    assert!(!open("2026-05-14T15:59:59Z"), "14 May 23:59:59 in Shanghai");
    assert!(open("2026-06-15T04:00:00Z"), "next month's member day");
    assert!(!open("2026-06-20T04:00:00Z"));
}

#[test]
fn multipliers_combine_as_documented() {
    let none = boost(None, None);
    let day = boost(Some((2, Combine::Higher)), None);
    let day_product = boost(Some((2, Combine::Product)), None);
    assert_eq!(multiplier(Tier::Member, &none), 1);
    assert_eq!(multiplier(Tier::Member, &day), 2, "member day doubles");
    assert_eq!(multiplier(Tier::Gold, &none), 2, "gold doubles");
    assert_eq!(
        multiplier(Tier::Gold, &day),
        2,
        "gold on member day: the higher"
    );
    assert_eq!(
        multiplier(Tier::Gold, &day_product),
        4,
        "product when configured"
    );
    assert_eq!(multiplier(Tier::Silver, &day_product), 2);
    // Birthday month (May): bronze and above; it never stacks with gold (both tier benefits).
    assert_eq!(multiplier(Tier::Member, &boost(None, Some(5))), 1);
    assert_eq!(multiplier(Tier::Bronze, &boost(None, Some(5))), 2);
    assert_eq!(multiplier(Tier::Bronze, &boost(None, Some(6))), 1);
    assert_eq!(multiplier(Tier::Gold, &boost(None, Some(5))), 2);
    assert_eq!(
        multiplier(Tier::Bronze, &boost(Some((2, Combine::Higher)), Some(5))),
        2
    );
    assert_eq!(
        multiplier(Tier::Bronze, &boost(Some((3, Combine::Product)), Some(5))),
        6
    );
}

#[test]
fn the_birth_month_is_read_in_business_time() {
    let rules = Rules::default();
    // 31 May 17:00 UTC is 1 June in Shanghai.
    assert_eq!(
        business_month(&rules.zone, at("2026-05-31T17:00:00Z")),
        (2026, 6)
    );
    let june = multiplier_for_order(
        Tier::Bronze,
        &rules.points,
        &boost(None, Some(6)),
        &rules.zone,
        at("2026-05-31T17:00:00Z"),
    );
    assert_eq!(june, 2);
}

#[test]
fn of_several_open_campaigns_the_strongest_applies() {
    let found = vec![
        CampaignMultiplier {
            campaign_id: "a".into(),
            multiplier: 2,
            combine: Combine::Product,
        },
        CampaignMultiplier {
            campaign_id: "b".into(),
            multiplier: 3,
            combine: Combine::Higher,
        },
        CampaignMultiplier {
            campaign_id: "c".into(),
            multiplier: 3,
            combine: Combine::Higher,
        },
    ];
    assert_eq!(strongest(found).unwrap().campaign_id, "b");
    assert_eq!(strongest(vec![]), None);
}

#[test]
fn the_published_table_is_the_rules_the_writes_use() {
    let rules = Rules::default();
    let published = table(&rules);
    let rows: Vec<(Tier, i64, i64, i64, bool)> = published
        .tiers
        .iter()
        .map(|t| {
            (
                t.name,
                t.threshold_fen,
                t.member_price_percent,
                t.points_multiplier,
                t.birthday_double_points,
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (Tier::Member, 0, 100, 1, false),
            (Tier::Bronze, 19_900, 95, 1, true),
            (Tier::Silver, 99_900, 90, 1, true),
            (Tier::Gold, 299_900, 88, 2, true),
        ]
    );
    assert_eq!(
        (
            published.birthday.spend_fen,
            published.birthday.bonus_points
        ),
        (19_900, 200)
    );
    assert_eq!(published.tiers[3].exchange_cap_fen, 20_000);
    let text = serde_json::to_value(&published).unwrap();
    assert_eq!(
        text["member_prices"]["eligible_classes"],
        json!(["otc_a", "otc_b", "health", "device", "other"])
    );
    assert_eq!(text["earn"]["never_earn"], json!(["rx", "special"]));
    // Configured thresholds are what is published.
    let mut custom = Rules::default();
    custom.tiers.gold_fen = 500_000;
    assert_eq!(table(&custom).tiers[3].threshold_fen, 500_000);
}
