//! Tier benefits on the member object over the SQL seam against real SQLite: a placement's
//! reservation prices the lines at the tier the object counts from its own paid spend (never
//! the client's word), and a coupon applies to the member-priced subtotal.
#![cfg(not(target_arch = "wasm32"))]

mod common;
mod seam;

use chrono::{DateTime, Utc};
use common::line;
use pharmedge::domain::events::OrderPaid;
use pharmedge::domain::ids::{MemberId, OrderId};
use pharmedge::domain::order_lines::{DrugClass, OrderLine};
use pharmedge::domain::tier::Tier;
use pharmedge::domain::time::Instant;
use pharmedge::objects::member::protocol::Reserved;
use pharmedge::objects::member::repo::Repo;
use pharmedge::objects::member::{ledger, orders};
use seam::member::*;
use seam::Sqlite;

/// An order paid on `paid_at` for `amount_fen` of regular goods.
fn pay(repo: &Repo<Sqlite>, order: &str, amount_fen: i64, paid_at: DateTime<Utc>) {
    let event = OrderPaid {
        order_id: OrderId::parse(order).unwrap(),
        member_id: MemberId::parse(MEMBER).unwrap(),
        paid_at: Instant(paid_at),
        amount_fen,
        insurance_fen: 0,
        lines: vec![line(DrugClass::Other, 1, amount_fen)],
        coupon_id: None,
        first_order: false,
    };
    tx(repo, || {
        ledger::prepare(repo, &member(), paid_at)?;
        orders::paid(repo, &rules(), MEMBER, &event, paid_at)
    })
    .unwrap();
}

fn reserve(
    repo: &Repo<Sqlite>,
    order: &str,
    lines: &[OrderLine],
    coupon: Option<&str>,
    now: DateTime<Utc>,
) -> Reserved {
    tx(repo, || {
        ledger::prepare(repo, &member(), now)?;
        orders::reserve(repo, &rules(), order, lines, coupon, None, now)
    })
    .unwrap()
}

fn cart() -> Vec<OrderLine> {
    vec![
        line(DrugClass::OtcB, 2, 3_990),
        line(DrugClass::Health, 1, 10_000),
    ]
}

#[test]
fn a_new_member_pays_list_prices() {
    let repo = member_db();
    let reserved = reserve(&repo, "ord-1", &cart(), None, day(2));
    assert_eq!(reserved.tier, Some(Tier::Member));
    assert_eq!(reserved.totals.subtotal_fen, 2 * 3_990 + 10_000);
    assert_eq!(reserved.totals.payable_fen, 2 * 3_990 + 10_000);
}

#[test]
fn a_silver_member_is_priced_at_ninety_percent_from_the_objects_own_spend() {
    let repo = member_db();
    pay(&repo, "paid-1", 99_900, day(1));
    let reserved = reserve(&repo, "ord-1", &cart(), None, day(2));
    assert_eq!(reserved.tier, Some(Tier::Silver));
    // 39.90 x 90 % = 35.91 (x2), 100.00 x 90 % = 90.00.
    assert_eq!(reserved.totals.subtotal_fen, 2 * 3_591 + 9_000);
    assert_eq!(reserved.totals.discount_fen, 0);
    assert_eq!(reserved.totals.payable_fen, 2 * 3_591 + 9_000);
}

#[test]
fn the_coupon_applies_to_the_member_priced_subtotal() {
    let repo = member_db();
    pay(&repo, "paid-1", 299_900, day(1));
    let coupon = fixed_coupon(&repo, "claim-1", day(1));
    let reserved = reserve(&repo, "ord-1", &cart(), Some(&coupon), day(2));
    assert_eq!(reserved.tier, Some(Tier::Gold));
    // Gold 88 %: 39.90 -> 35.11 (x2), 100.00 -> 88.00; then 10 yuan off.
    let member_subtotal = 2 * 3_511 + 8_800;
    assert_eq!(reserved.totals.subtotal_fen, member_subtotal);
    assert_eq!(reserved.totals.discount_fen, 1_000);
    assert_eq!(reserved.totals.payable_fen, member_subtotal - 1_000);
}

#[test]
fn spend_outside_the_window_or_refunded_does_not_count() {
    let repo = member_db();
    pay(&repo, "paid-old", 99_900, day(1));
    // A year and a day later the old spend is out of the 365-day window.
    let later = day(1) + chrono::Duration::days(366);
    let reserved = reserve(&repo, "ord-1", &cart(), None, later);
    assert_eq!(reserved.tier, Some(Tier::Member));
    assert_eq!(reserved.totals.subtotal_fen, 2 * 3_990 + 10_000);
}

mod points_multipliers_birthday_and_tier_changes {
    use super::*;
    use pharmedge::domain::events::{MemberProfile, OrderRefunded};
    use pharmedge::domain::tier_benefits::Combine;
    use pharmedge::domain::tier_multiplier::CampaignMultiplier;
    use pharmedge::objects::member::events;
    use pharmedge::objects::member::protocol::MemberEvent;
    use pharmedge::objects::member::tiers;
    use pharmedge::objects::seam::Sql;

    /// Every module an event may touch (the object's `ALL`).
    fn member_db() -> Repo<Sqlite> {
        let repo = seam::member::member_db();
        pharmedge::objects::schema::Tables::default()
            .ensure(&repo.sql, &[&pharmedge::objects::member::referral::MODULE])
            .expect("migrations");
        repo
    }

    fn member_day(combine: Combine) -> CampaignMultiplier {
        CampaignMultiplier {
            campaign_id: "member-day".into(),
            multiplier: 2,
            combine,
        }
    }

    fn paid(order: &str, amount_fen: i64, paid_at: DateTime<Utc>) -> MemberEvent {
        MemberEvent::Paid(OrderPaid {
            order_id: OrderId::parse(order).unwrap(),
            member_id: MemberId::parse(MEMBER).unwrap(),
            paid_at: Instant(paid_at),
            amount_fen,
            insurance_fen: 0,
            lines: vec![line(DrugClass::Other, 1, amount_fen)],
            coupon_id: None,
            first_order: false,
        })
    }

    /// As the object applies a core event: once per event id.
    fn apply(
        repo: &Repo<Sqlite>,
        event_id: &str,
        event: &MemberEvent,
        multiplier: Option<&CampaignMultiplier>,
        now: DateTime<Utc>,
    ) -> bool {
        tx(repo, || {
            ledger::prepare(repo, &member(), now)?;
            events::event_with(repo, &rules(), MEMBER, event_id, event, multiplier, now)
        })
        .unwrap()
        .duplicate
    }

    fn earned(repo: &Repo<Sqlite>, source_id: &str) -> i64 {
        repo.sql
            .rows::<(i64,)>(
                "SELECT amount FROM ledger WHERE kind = 'earn' AND source_id = ?",
                vec![source_id.into()],
            )
            .unwrap()
            .iter()
            .map(|(amount,)| amount)
            .sum()
    }

    fn tier_changes(repo: &Repo<Sqlite>) -> Vec<serde_json::Value> {
        queued(repo)
            .into_iter()
            .filter(|(_, _, kind, _)| kind == "tier.changed")
            .map(|(_, _, _, body)| body)
            .collect()
    }

    fn birthday(repo: &Repo<Sqlite>, month: Option<u32>) {
        let profile = MemberEvent::Profile(MemberProfile {
            member_id: MemberId::parse(MEMBER).unwrap(),
            birth_month: month,
        });
        apply(repo, &format!("profile-{month:?}"), &profile, None, day(1));
    }

    #[test]
    fn member_day_doubles_the_orders_points_and_the_multiplier_is_kept_with_the_order() {
        let repo = member_db();
        // 100 yuan of regular goods: 5 points, 10 on member day.
        apply(
            &repo,
            "evt-1",
            &paid("ord-md", 10_000, day(2)),
            Some(&member_day(Combine::Higher)),
            day(2),
        );
        assert_eq!(earned(&repo, "ord-md"), 10);
        assert_eq!(
            tiers::multiplier_of(&repo, "ord-md").unwrap(),
            Some((2, Some(member_day(Combine::Higher))))
        );
        // The same order reported again under another id (no campaign now): nothing changes.
        assert!(!apply(
            &repo,
            "evt-2",
            &paid("ord-md", 10_000, day(2)),
            None,
            day(3)
        ));
        assert_eq!(earned(&repo, "ord-md"), 10);
        apply(
            &repo,
            "evt-3",
            &paid("ord-plain", 10_000, day(3)),
            None,
            day(3),
        );
        assert_eq!(earned(&repo, "ord-plain"), 5);
    }

    #[test]
    fn a_gold_member_on_member_day_earns_the_higher_or_the_product_as_configured() {
        let repo = member_db();
        pay(&repo, "gold-spend", 299_900, day(1));
        apply(
            &repo,
            "evt-h",
            &paid("ord-h", 10_000, day(2)),
            Some(&member_day(Combine::Higher)),
            day(2),
        );
        apply(
            &repo,
            "evt-p",
            &paid("ord-p", 10_000, day(2)),
            Some(&member_day(Combine::Product)),
            day(2),
        );
        assert_eq!(earned(&repo, "ord-h"), 10);
        assert_eq!(earned(&repo, "ord-p"), 20);
    }

    #[test]
    fn the_birthday_month_doubles_for_bronze_and_its_bonus_comes_once_a_year() {
        let repo = member_db();
        birthday(&repo, Some(4)); // day(n) is April 2026
                                  // Below bronze: single points; this 150 yuan is not yet 199 in the month.
        apply(&repo, "evt-1", &paid("ord-1", 15_000, day(2)), None, day(2));
        assert_eq!(earned(&repo, "ord-1"), 7);
        assert_eq!(earned(&repo, "birthday:2026"), 0);
        // Now bronze (150 + 60 = 210 yuan): double points, and 199 reached in the month: +200.
        apply(&repo, "evt-2", &paid("ord-2", 6_000, day(3)), None, day(3));
        assert_eq!(earned(&repo, "ord-2"), 3);
        assert_eq!(earned(&repo, "birthday:2026"), 200);
        apply(&repo, "evt-3", &paid("ord-3", 4_000, day(4)), None, day(4));
        assert_eq!(
            earned(&repo, "ord-3"),
            4,
            "bronze in the birth month: double"
        );
        assert_eq!(earned(&repo, "birthday:2026"), 200, "once a year");
        // The next year's birth month earns it again.
        let next_year = day(4) + chrono::Duration::days(365);
        apply(
            &repo,
            "evt-4",
            &paid("ord-4", 20_000, next_year),
            None,
            next_year,
        );
        assert_eq!(earned(&repo, "birthday:2027"), 200);
        // Another month: no doubling (the member is bronze by the year's spend).
        birthday(&repo, Some(12));
        let later = next_year + chrono::Duration::days(1);
        apply(&repo, "evt-5", &paid("ord-5", 4_000, later), None, later);
        assert_eq!(earned(&repo, "ord-5"), 2);
    }

    #[test]
    fn tier_changed_is_queued_once_per_change_whatever_is_replayed() {
        let repo = member_db();
        apply(&repo, "evt-1", &paid("ord-1", 10_000, day(2)), None, day(2));
        assert!(tier_changes(&repo).is_empty(), "100 yuan: still a member");
        apply(&repo, "evt-2", &paid("ord-2", 10_000, day(3)), None, day(3));
        // The same event again, and the same order under another id: no second event.
        assert!(apply(
            &repo,
            "evt-2",
            &paid("ord-2", 10_000, day(3)),
            None,
            day(4)
        ));
        apply(
            &repo,
            "evt-2b",
            &paid("ord-2", 10_000, day(3)),
            None,
            day(4),
        );
        let changes = tier_changes(&repo);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert_eq!(changes[0]["id"], "tier-mem-1-ord-2-paid");
        assert_eq!(
            (
                changes[0]["data"]["from"].clone(),
                changes[0]["data"]["to"].clone(),
                changes[0]["data"]["upgrade"].clone()
            ),
            ("member".into(), "bronze".into(), true.into())
        );
        // A refund that takes the spend back below bronze: one downgrade, once.
        let refund = MemberEvent::Refunded(OrderRefunded {
            order_id: OrderId::parse("ord-2").unwrap(),
            member_id: MemberId::parse(MEMBER).unwrap(),
            amount_fen: 5_000,
        });
        apply(&repo, "evt-r", &refund, None, day(5));
        assert!(apply(&repo, "evt-r", &refund, None, day(5)));
        let changes = tier_changes(&repo);
        assert_eq!(changes.len(), 2);
        assert_eq!(changes[1]["id"], "tier-mem-1-ord-2-evt-r");
        assert_eq!(changes[1]["data"]["to"], "member");
        assert_eq!(changes[1]["data"]["upgrade"], false);
    }

    #[test]
    fn a_profile_without_a_month_forgets_it() {
        let repo = member_db();
        birthday(&repo, Some(4));
        assert_eq!(tiers::birth_month(&repo).unwrap(), Some(4));
        birthday(&repo, None);
        assert_eq!(tiers::birth_month(&repo).unwrap(), None);
    }
}

mod the_directory_of_multiplier_campaigns {
    use pharmedge::domain::ids::CampaignId;
    use pharmedge::domain::time::{parse_instant, Instant};
    use pharmedge::objects::campaign::protocol::{IndexCampaign, MarkMultiplier};
    use pharmedge::objects::campaign::{directory, multipliers};
    use pharmedge::objects::schema::Tables;

    fn at(raw: &str) -> Instant {
        Instant(parse_instant(raw).unwrap())
    }

    #[test]
    fn only_marked_campaigns_whose_window_holds_the_instant_are_named() {
        let db = super::seam::Sqlite::open();
        Tables::default()
            .ensure(&db, &[&directory::MODULE])
            .unwrap();
        let index = |id: &str, starts: &str, ends: &str, ended: bool, multiplier: bool| {
            let id = CampaignId::parse(id).unwrap();
            let campaign = IndexCampaign {
                id: id.clone(),
                starts_at: at(starts),
                ends_at: at(ends),
                ended,
            };
            directory::index(&db, &campaign).unwrap();
            if multiplier {
                multipliers::mark(&db, &MarkMultiplier { id: id.clone() }).unwrap();
                // Marked again at every sync: still once.
                multipliers::mark(&db, &MarkMultiplier { id }).unwrap();
            }
        };
        let (day_start, day_end) = ("2026-06-14T16:00:00Z", "2026-06-15T16:00:00Z");
        index("md-june", day_start, day_end, false, true);
        index("md-ended", day_start, day_end, true, true);
        index("coupon-june", day_start, day_end, false, false);
        index(
            "md-july",
            "2026-07-14T16:00:00Z",
            "2026-07-15T16:00:00Z",
            false,
            true,
        );
        let named = |raw: &str| multipliers::at(&db, at(raw)).unwrap();
        assert_eq!(named("2026-06-14T16:00:00Z"), vec!["md-june"]);
        assert_eq!(named("2026-06-15T15:59:59Z"), vec!["md-june"]);
        assert!(named("2026-06-15T16:00:00Z").is_empty());
        assert_eq!(named("2026-07-15T04:00:00Z"), vec!["md-july"]);
        // A patch that ends the campaign early is the directory's row: no longer named.
        index(
            "md-july",
            "2026-07-14T16:00:00Z",
            "2026-07-15T00:00:00Z",
            false,
            true,
        );
        assert!(named("2026-07-15T04:00:00Z").is_empty());
    }
}
