//! Golden formats of everything the member object keeps or queues: a deploy must still read
//! what the previous version wrote (outbox rows waiting for delivery, commands other objects
//! queued for it, kept answers and stored terms), and must write them the same way.
#![cfg(not(target_arch = "wasm32"))]

mod seam;

use pharmedge::domain::coupon::StoredTerms;
use pharmedge::http::error::ApiError;
use pharmedge::objects::member::checkins;
use pharmedge::objects::member::protocol::MemberCommand;
use pharmedge::objects::member::repo::Repo;
use pharmedge::objects::seam::Sql;
use seam::member::*;
use seam::Sqlite;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The outbox rows as stored, body as text: (key, target, kind, body).
fn stored(repo: &Repo<Sqlite>) -> Vec<(String, String, String, String)> {
    repo.sql
        .rows(
            "SELECT key, target, kind, body FROM outbox ORDER BY created_ms, rowid",
            Vec::new(),
        )
        .unwrap()
}

/// `text` decodes as a `T` and encodes back to exactly `text`.
fn round_trips<T: Serialize + DeserializeOwned>(text: &str) {
    let decoded: T = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(serde_json::to_string(&decoded).unwrap(), text);
}

#[test]
fn a_check_in_queues_these_two_events() {
    let repo = member_db();
    tx(&repo, || {
        checkins::checkin(
            &repo,
            &rules(),
            &member(),
            day(3),
            checkins::Stored::Unknown,
        )
    })
    .unwrap();
    let rows = stored(&repo);
    assert_eq!(
        rows,
        vec![
            (
                "pts-mem-1-checkin-2026-04-03".into(),
                "events".into(),
                "points.awarded".into(),
                r#"{"id":"pts-mem-1-checkin-2026-04-03","type":"points.awarded","created_at":"2026-04-03T02:00:00Z","data":{"amount":5,"balance":5,"expires_at":"2026-07-02T02:00:00Z","member_id":"mem-1","source":"checkin","source_id":"2026-04-03"}}"#.into()
            ),
            (
                "chk-mem-1-2026-04-03".into(),
                "events".into(),
                "checkin.recorded".into(),
                r#"{"id":"chk-mem-1-2026-04-03","type":"checkin.recorded","created_at":"2026-04-03T02:00:00Z","data":{"bonus_points":0,"date":"2026-04-03","makeup":false,"member_id":"mem-1","points_awarded":5,"streak":1}}"#.into()
            ),
        ]
    );
}

#[test]
fn a_minted_coupon_queues_coupon_claimed_and_keeps_its_terms() {
    let repo = member_db();
    let coupon_id = fixed_coupon(&repo, "cmp-1.mem-1.1", day(1));
    let (key, target, kind, body) = stored(&repo).pop().unwrap();
    assert_eq!(
        (key.as_str(), target.as_str(), kind.as_str()),
        (
            format!("cpn-{coupon_id}").as_str(),
            "events",
            "coupon.claimed"
        )
    );
    assert_eq!(
        body,
        format!(
            r#"{{"id":"cpn-{coupon_id}","type":"coupon.claimed","created_at":"2026-04-01T02:00:00Z","data":{{"campaign_id":"cmp-1","claimed_at":"2026-04-01T02:00:00Z","coupon_id":"{coupon_id}","expires_at":"2026-05-01T02:00:00Z","member_id":"mem-1","store_id":null}}}}"#
        )
    );
    let terms: Option<(String,)> = repo
        .sql
        .row("SELECT terms FROM coupons", Vec::new())
        .unwrap();
    let terms = terms.unwrap().0;
    assert_eq!(terms, r#"{"type":"fixed","value_fen":1000}"#);
    round_trips::<StoredTerms>(&terms);
    round_trips::<StoredTerms>(
        r#"{"type":"percent","percent":12,"max_discount_fen":2000,"min_spend_fen":0,"eligible_classes":["otc_a","health"]}"#,
    );
}

#[test]
fn commands_queued_for_a_member_object_still_decode_the_same() {
    // Queued by order objects (their outbox) when an order gives back what it reserved;
    // the first form predates prescriptions.
    round_trips::<MemberCommand>(
        r#"{"op":"release_coupon","coupon_id":"cpn-1","prescription_id":"rx-1","order_id":"ord-1","now":"2026-04-01T02:00:00Z"}"#,
    );
    let old: MemberCommand = serde_json::from_str(
        r#"{"op":"release_coupon","coupon_id":"cpn-1","order_id":"ord-1","now":"2026-04-01T02:00:00Z"}"#,
    )
    .unwrap();
    assert!(
        matches!(old, MemberCommand::ReleaseCoupon(release) if release.prescription_id.is_none() && release.coupon_id.as_deref() == Some("cpn-1"))
    );
    // Queued by an invitee's object for its inviter's.
    round_trips::<MemberCommand>(
        r#"{"op":"referral_reward","inviter":"mem-2","invitee":"mem-1","stage":"verified","now":"2026-04-01T02:00:00Z"}"#,
    );
    round_trips::<MemberCommand>(
        r#"{"op":"referral_clawback","inviter":"mem-2","invitee":"mem-1","stage":"first_order","now":"2026-04-01T02:00:00Z"}"#,
    );
}

#[test]
fn the_worker_s_commands_keep_their_wire_format() {
    for text in [
        r#"{"op":"checkin","member":{"member_id":"mem-1","registered_at_s":null},"now":"2026-04-01T02:00:00Z"}"#,
        r#"{"op":"makeup","member":{"member_id":"mem-1","registered_at_s":1775000000},"now":"2026-04-01T02:00:00Z","date":"2026-04-01"}"#,
        r#"{"op":"month","member":{"member_id":"mem-1","registered_at_s":null},"now":"2026-04-01T02:00:00Z","month":"2026-04"}"#,
        r#"{"op":"ledger","member":{"member_id":"mem-1","registered_at_s":null},"now":"2026-04-01T02:00:00Z","before_id":7,"limit":50}"#,
        r#"{"op":"summary","member":{"member_id":"mem-1","registered_at_s":null},"now":"2026-04-01T02:00:00Z"}"#,
        r#"{"op":"coupons","member":{"member_id":"mem-1","registered_at_s":null},"now":"2026-04-01T02:00:00Z","status":"available"}"#,
        r#"{"op":"link","member":{"member_id":"mem-1","registered_at_s":null},"now":"2026-04-01T02:00:00Z"}"#,
        r#"{"op":"invite","inviter":"mem-2","invitee":"mem-1","now":"2026-04-01T02:00:00Z"}"#,
        r#"{"op":"click","member_id":"mem-1","day":"2026-04-01","visitor":"v-1","now":"2026-04-01T02:00:00Z"}"#,
    ] {
        round_trips::<MemberCommand>(text);
    }
}

#[test]
fn a_kept_claim_refusal_reads_back_as_the_same_refusal() {
    // claims.response of a key refused for good: the problem as the object kept it.
    let kept = serde_json::to_string(&ApiError::ClaimLimitReached {
        limit: "per_member".into(),
    })
    .unwrap();
    let read: ApiError = serde_json::from_str(&kept).unwrap();
    assert_eq!(
        read,
        ApiError::ClaimLimitReached {
            limit: "per_member".into()
        }
    );
}

#[test]
fn kept_exchange_refusals_and_an_exchange_config_read_back_the_same() {
    // claims.response of a points exchange refused for good (its key's answer).
    round_trips::<ApiError>(r#"{"code":"insufficient_points","balance":3,"required":5}"#);
    round_trips::<ApiError>(r#"{"code":"exchange_cap_reached","cap_fen":5000,"used_fen":4000}"#);
    // The head keeps the configuration as created, and the claim's terms carry it.
    round_trips::<pharmedge::domain::campaign::CampaignConfig>(
        r#"{"id":"pts-1","name":"积分兑换","kind":"points_exchange","starts_at":"2026-03-01T00:00:00Z","ends_at":"2026-06-01T00:00:00Z","stock":100,"coupon":{"type":"fixed","value_fen":500,"valid_days":30},"limits":{"per_member":3},"audience":{},"rules_text":"5积分兑换5元券","shards":1,"cost_points":5}"#,
    );
}

mod tier_benefit_formats {
    use super::*;
    use pharmedge::objects::member::protocol::ApplyEvent;

    /// The command the worker sends at order.paid, with the multiplier campaign it found.
    #[test]
    fn an_order_paid_command_with_its_multiplier() {
        round_trips::<MemberCommand>(
            r#"{"op":"event","member_id":"mem-1","event_id":"evt-1","event":{"type":"order.paid","data":{"order_id":"ord-1","member_id":"mem-1","paid_at":"2026-05-15T04:00:00Z","amount_fen":10000,"insurance_fen":0,"lines":[{"sku":"sku-1","name":"维生素C","qty":1,"unit_price_fen":10000,"drug_class":"other"}],"coupon_id":null,"first_order":false}},"now":"2026-05-15T04:00:01Z","multiplier":{"campaign_id":"member-day","multiplier":2,"combine":"higher"}}"#,
        );
        // Before multipliers: no field, read as none.
        let old: ApplyEvent = serde_json::from_str(
            r#"{"member_id":"mem-1","event_id":"evt-1","event":{"type":"member.profile","data":{"member_id":"mem-1","birth_month":5}},"now":"2026-05-15T04:00:01Z"}"#,
        )
        .unwrap();
        assert!(old.multiplier.is_none());
    }
}

mod tier_changed_format {
    use super::*;
    use pharmedge::domain::events::OrderPaid;
    use pharmedge::domain::ids::{MemberId, OrderId};
    use pharmedge::domain::order_lines::{DrugClass, OrderLine};
    use pharmedge::domain::time::Instant;
    use pharmedge::objects::member::{ledger, orders};

    /// The outbox row of a tier change, exactly as stored.
    #[test]
    fn an_upgrade_queues_this_tier_changed_row() {
        let repo = member_db();
        let paid = OrderPaid {
            order_id: OrderId::parse("ord-1").unwrap(),
            member_id: MemberId::parse(MEMBER).unwrap(),
            paid_at: Instant(day(2)),
            amount_fen: 20_000,
            insurance_fen: 0,
            lines: vec![OrderLine {
                sku: "sku-1".into(),
                name: "维生素C".into(),
                qty: 1,
                unit_price_fen: 20_000,
                drug_class: DrugClass::Other,
            }],
            coupon_id: None,
            first_order: false,
        };
        tx(&repo, || {
            ledger::prepare(&repo, &member(), day(2))?;
            orders::paid(&repo, &rules(), MEMBER, &paid, day(2))
        })
        .unwrap();
        let rows = stored(&repo);
        let tier_row = rows.iter().find(|row| row.2 == "tier.changed").unwrap();
        assert_eq!(
            tier_row,
            &(
                "tier-mem-1-ord-1-paid".into(),
                "events".into(),
                "tier.changed".into(),
                r#"{"id":"tier-mem-1-ord-1-paid","type":"tier.changed","created_at":"2026-04-02T02:00:00Z","data":{"changed_at":"2026-04-02T02:00:00Z","from":"member","member_id":"mem-1","order_id":"ord-1","spend_fen":20000,"to":"bronze","upgrade":true}}"#.into()
            )
        );
    }
}
