//! Golden formats: every command and event stored in an outbox row, and every reply or value
//! an object keeps as JSON, as fixed texts that must still decode into today's types and
//! re-encode to the same JSON. A queued row or a kept reply may wait across a deploy: if one
//! of these fails, the change strands rows already written, and needs a migration (or a
//! `serde(alias/default)`), not an edit of the text here.
//!
//! The texts are main's formats at the time of writing (also for the member, campaign and
//! referral objects being reworked elsewhere: their changes must keep them). JSON is compared
//! as values: key order is not part of a format (`json!` sorts keys, structs do not).
#![cfg(not(target_arch = "wasm32"))]

mod seam;

use pharmedge::domain::catalog::{AdminStop, CatalogItem, SaleStatus};
use pharmedge::domain::coupon::StoredTerms;
use pharmedge::domain::delivery::Target;
use pharmedge::domain::outbound::{
    CheckinRecorded, CouponClaimed, Emitted, PickupVerified, PointsAwarded, ReferralBound,
    ReferralRewarded,
};
use pharmedge::domain::referral::Stage;
use pharmedge::http::error::ApiError;
use pharmedge::objects::campaign::protocol::AdminCampaign;
use pharmedge::objects::dead_letters::DeadLetter;
use pharmedge::objects::member::protocol::{
    CouponView, MemberCommand, ReferralClawback, ReferralReward, ReleaseCoupon,
};
use pharmedge::objects::order::protocol::PlacedReply;
use pharmedge::objects::outbox::drain;
use pharmedge::objects::outbox::{self, Destination};
use pharmedge::objects::referral_registry::{RecordFact, RegistryCommand};
use pharmedge::objects::schema::Tables;
use pharmedge::objects::seam::{FromValue, Value as Column};
use pharmedge::objects::store::StoreCommand;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// Decodes `text` as a `T`, checks it re-encodes to the same JSON, and hands it back.
fn golden<T: Serialize + DeserializeOwned>(text: &str) -> T {
    let decoded: T = serde_json::from_str(text)
        .unwrap_or_else(|err| panic!("{text}\n no longer decodes: {err}"));
    let again = serde_json::to_value(&decoded).unwrap();
    let fixed: Value = serde_json::from_str(text).unwrap();
    assert_eq!(again, fixed, "re-encoded differently");
    decoded
}

// --- where rows go

#[test]
fn outbox_destinations_keep_their_stored_names() {
    for (stored, destination) in [
        ("orders", Destination::Core(Target::Orders)),
        ("events", Destination::Core(Target::Events)),
        (
            "object:MEMBER:mem-1",
            Destination::Object {
                binding: "MEMBER".into(),
                name: "mem-1".into(),
            },
        ),
        (
            "object:REFERRALS:stats",
            Destination::Object {
                binding: "REFERRALS".into(),
                name: "stats".into(),
            },
        ),
    ] {
        assert_eq!(Destination::parse(stored), Some(destination.clone()));
        assert_eq!(destination.encode(), stored);
    }
}

#[test]
fn a_row_as_main_queued_it_is_taken_up_by_todays_drain() {
    let db = seam::Sqlite::open();
    // The outbox table as main created it (migration 1), with a row as main wrote it.
    db.raw(
        "CREATE TABLE outbox (key TEXT PRIMARY KEY, target TEXT NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0, next_attempt_ms INTEGER NOT NULL, created_ms INTEGER NOT NULL, first_attempt_ms INTEGER, last_error TEXT, reported INTEGER NOT NULL DEFAULT 0);
         INSERT INTO outbox (key, target, kind, body, next_attempt_ms, created_ms, attempts) VALUES ('tally-bind-1', 'object:REFERRALS:stats', 'referral.tally', '{\"op\":\"record\",\"fact_id\":\"bind-1\",\"label\":\"bound\",\"now_ms\":1795485600000}', 10, 10, 2);
         INSERT INTO outbox (key, target, kind, body, state, next_attempt_ms, created_ms, attempts, last_error, first_attempt_ms) VALUES ('ev-dead', 'events', 'checkin.recorded', '{}', 'dead', 10, 5, 40, 'core answered 503', 6);",
    );
    Tables::default()
        .ensure(&db, &[&outbox::MODULE])
        .expect("adopts the table");
    let due = drain::take_due(&db, 10, 1_000).unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(
        (due[0].key.as_str(), due[0].target.as_str(), due[0].attempts),
        ("tally-bind-1", "object:REFERRALS:stats", 2)
    );
    let command: RegistryCommand = golden(&due[0].body);
    assert!(matches!(command, RegistryCommand::Record(_)));
    let dead = drain::unreported(&db, 10).unwrap();
    assert_eq!(
        (
            dead[0].key.as_str(),
            dead[0].attempts,
            dead[0].first_attempt_ms
        ),
        ("ev-dead", 40, Some(6))
    );
    assert!(drain::replay(&db, "ev-dead", 20).unwrap());
}

// --- commands queued for other objects

#[test]
fn a_tally_for_the_referral_registry() {
    let command: RegistryCommand = golden(
        r#"{"op":"record","fact_id":"bind-mem-2","label":"refused.self_referral","now_ms":1795485600000}"#,
    );
    let RegistryCommand::Record(RecordFact {
        fact_id,
        label,
        now_ms,
    }) = command
    else {
        panic!("a tally");
    };
    assert_eq!(
        (fact_id.as_str(), label.as_str(), now_ms),
        ("bind-mem-2", "refused.self_referral", 1_795_485_600_000)
    );
}

#[test]
fn rewards_and_clawbacks_for_the_inviters_object() {
    for (text, clawback) in [
        (
            r#"{"op":"referral_reward","inviter":"mem-1","invitee":"mem-2","stage":"first_order","now":"2026-11-24T02:00:00Z"}"#,
            false,
        ),
        (
            r#"{"op":"referral_clawback","inviter":"mem-1","invitee":"mem-2","stage":"first_order","now":"2026-11-24T02:00:00Z"}"#,
            true,
        ),
    ] {
        match golden::<MemberCommand>(text) {
            MemberCommand::ReferralReward(ReferralReward { stage, inviter, .. }) if !clawback => {
                assert_eq!((stage, inviter.as_str()), (Stage::FirstOrder, "mem-1"));
            }
            MemberCommand::ReferralClawback(ReferralClawback { stage, invitee, .. })
                if clawback =>
            {
                assert_eq!((stage, invitee.as_str()), (Stage::FirstOrder, "mem-2"));
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn a_coupon_release_for_the_members_object_old_and_new() {
    let release: MemberCommand = golden(
        r#"{"op":"release_coupon","coupon_id":"cpn-1","prescription_id":"rx_9","order_id":"ord-1","now":"2026-11-24T02:00:00Z"}"#,
    );
    assert!(matches!(
        release,
        MemberCommand::ReleaseCoupon(ReleaseCoupon { prescription_id: Some(ref rx), .. }) if rx == "rx_9"
    ));
    // Rows queued before prescriptions carry a coupon only.
    let old: MemberCommand = serde_json::from_str(
        r#"{"op":"release_coupon","coupon_id":"cpn-1","order_id":"ord-1","now":"2026-11-24T02:00:00Z"}"#,
    )
    .expect("an old release still decodes");
    assert!(matches!(
        old,
        MemberCommand::ReleaseCoupon(ReleaseCoupon {
            coupon_id: Some(_),
            prescription_id: None,
            ..
        })
    ));
}

#[test]
fn the_counter_list_commands_for_the_store() {
    let ready: StoreCommand = golden(
        r#"{"op":"ready","order_id":"ord-1","ready_at":"2026-11-24T03:00:00Z","pickup_deadline":"2026-12-01T03:00:00Z","line_count":1,"has_rx":false}"#,
    );
    assert_eq!(ready.kind(), "store.pickup_ready");
    let gone: StoreCommand = golden(r#"{"op":"gone","order_id":"ord-1"}"#);
    assert_eq!(gone.kind(), "store.pickup_gone");
}

// --- events queued for the core's /events (and the order for /orders)

#[test]
fn a_check_in_and_a_make_up() {
    let day: Emitted<CheckinRecorded> = golden(
        r#"{"id":"chk-mem-1-2026-11-24","type":"checkin.recorded","created_at":"2026-11-24T02:00:00Z","data":{"bonus_points":0,"date":"2026-11-24","makeup":false,"member_id":"mem-1","points_awarded":10,"streak":3}}"#,
    );
    assert_eq!((day.data.streak, day.data.cost_points), (3, None));
    let makeup: Emitted<CheckinRecorded> = golden(
        r#"{"id":"chk-mem-1-2026-11-22","type":"checkin.recorded","created_at":"2026-11-24T02:00:00Z","data":{"bonus_points":0,"cost_points":20,"date":"2026-11-22","makeup":true,"member_id":"mem-1","points_awarded":10,"streak":1}}"#,
    );
    assert_eq!(makeup.data.cost_points, Some(20));
}

#[test]
fn points_a_coupon_and_a_referral() {
    let points: Emitted<PointsAwarded> = golden(
        r#"{"id":"pts-mem-1-checkin-2026-11-24","type":"points.awarded","created_at":"2026-11-24T02:00:00Z","data":{"amount":10,"balance":130,"expires_at":"2027-11-24T02:00:00Z","member_id":"mem-1","source":"checkin","source_id":"2026-11-24"}}"#,
    );
    assert_eq!(points.data.balance, 130);
    let coupon: Emitted<CouponClaimed> = golden(
        r#"{"id":"cpn-c-1","type":"coupon.claimed","created_at":"2026-11-24T02:00:00Z","data":{"campaign_id":"flash-1","claimed_at":"2026-11-24T02:00:00Z","coupon_id":"c-1","expires_at":"2026-12-24T02:00:00Z","member_id":"mem-1","store_id":null}}"#,
    );
    assert_eq!(coupon.data.store_id, None);
    let bound: Emitted<ReferralBound> = golden(
        r#"{"id":"refb-mem-2","type":"referral.bound","created_at":"2026-11-24T02:00:00Z","data":{"bound_at":"2026-11-24T02:00:00Z","code":"K7Q2","invitee_id":"mem-2","inviter_id":"mem-1"}}"#,
    );
    assert_eq!(bound.data.code, "K7Q2");
    for (text, points) in [
        (
            r#"{"id":"ref-rw-mem-2-verified","type":"referral.rewarded","created_at":"2026-11-24T02:00:00Z","data":{"clawback":false,"coupon_id":"c-9","invitee_id":"mem-2","inviter_id":"mem-1","member_id":"mem-1","points":100,"role":"inviter","stage":"verified"}}"#,
            100,
        ),
        (
            r#"{"id":"ref-rw-mem-2-first_order-clawback","type":"referral.rewarded","created_at":"2026-11-24T02:00:00Z","data":{"clawback":true,"coupon_id":null,"invitee_id":"mem-2","inviter_id":"mem-1","member_id":"mem-1","points":-50,"role":"inviter","stage":"first_order"}}"#,
            -50,
        ),
    ] {
        assert_eq!(
            golden::<Emitted<ReferralRewarded>>(text).data.points,
            points
        );
    }
}

#[test]
fn the_referral_reward_data_the_member_object_builds_is_this_format() {
    use pharmedge::domain::referral::RewardedData;
    let built = RewardedData::new("mem-1", "mem-2", Stage::FirstOrder, 50, None, true);
    let typed: ReferralRewarded =
        serde_json::from_value(serde_json::to_value(built).unwrap()).unwrap();
    assert_eq!((typed.points, typed.role.as_str()), (-50, "inviter"));
}

#[test]
fn a_pickup_verified_and_an_order_for_the_core() {
    let verified: Emitted<PickupVerified> = golden(
        r#"{"id":"pku-ord-1","type":"pickup.verified","created_at":"2026-11-24T03:00:00Z","data":{"order_id":"ord-1","member_id":"mem-1","store_id":"store-1","verified_at":"2026-11-24T03:00:00Z","verified_by":"clerk-1","verifier_role":"clerk","method":"qr"}}"#,
    );
    assert_eq!(verified.data.method, "qr");
    // The order is forwarded as the member placed it and the catalogue priced it; its lines
    // are the accepted lines of the 202 reply.
    let order: Value = serde_json::from_str(
        r#"{"order_id":"ord-1","member_id":"mem-1","store_id":"store-1","fulfilment":"pickup","lines":[{"sku":"sku-1","name":"维生素C","qty":2,"unit_price_fen":500,"drug_class":"otc_b","discount_fen":100,"catalog_version":3}],"coupon_id":"cpn-1","subtotal_fen":1000,"discount_fen":100,"payable_fen":900,"prescription_id":null,"catalog_versions":{"sku-1":3},"placed_at":"2026-11-24T02:00:00Z"}"#,
    )
    .unwrap();
    let mut as_reply = order.clone();
    let fields = as_reply.as_object_mut().unwrap();
    for gone in ["member_id", "store_id", "fulfilment", "catalog_versions"] {
        fields.remove(gone);
    }
    fields.insert("status".into(), "placing".into());
    let reply: PlacedReply = golden(&as_reply.to_string());
    assert_eq!(reply.lines[0].catalog_version, 3);
}

// --- replies an object keeps (Idempotency-Key replays) and JSON it stores

#[test]
fn an_orders_kept_answers_the_placement_and_a_refusal() {
    let placed: PlacedReply = golden(
        r#"{"order_id":"ord-1","status":"placing","lines":[{"sku":"sku-1","name":"维生素C","qty":2,"unit_price_fen":500,"drug_class":"otc_b","discount_fen":100,"catalog_version":3}],"subtotal_fen":1000,"discount_fen":100,"payable_fen":900,"coupon_id":"cpn-1","prescription_id":null,"placed_at":"2026-11-24T02:00:00Z"}"#,
    );
    assert_eq!(placed.payable_fen, 900);
    for text in [
        r#"{"code":"sku_stopped","detail":"sku-1 is not on sale"}"#,
        r#"{"code":"quantity_limit","detail":"at most 2 of sku-1","max":2}"#,
        r#"{"code":"price_changed","lines":[{"sku":"sku-1","unit_price_fen":600}]}"#,
        r#"{"code":"coupon_unavailable","detail":"coupon cpn-1 is used"}"#,
        r#"{"code":"prescription_required"}"#,
        r#"{"code":"unknown_sku","detail":"no catalogue item sku-9","line":0}"#,
    ] {
        let refusal: ApiError = golden(text);
        assert_ne!(refusal, ApiError::Internal);
    }
}

#[test]
fn a_claims_kept_answer_and_a_wallets_coupon_terms() {
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Claimed {
        coupon: CouponView,
    }
    let claimed: Claimed = golden(
        r#"{"coupon":{"coupon_id":"c-1","campaign_id":"flash-1","type":"threshold","value_fen":2000,"min_spend_fen":19900,"status":"available","claimed_at":"2026-11-24T02:00:00Z","valid_from":"2026-11-24T02:00:00Z","expires_at":"2026-12-24T02:00:00Z"}}"#,
    );
    assert_eq!(claimed.coupon.status, "available");
    let terms: StoredTerms = golden(
        r#"{"type":"percent","percent":12,"max_discount_fen":3000,"min_spend_fen":0,"eligible_classes":["otc_a","otc_b"]}"#,
    );
    assert_eq!(terms.eligible_classes.map(|classes| classes.len()), Some(2));
    let old: StoredTerms = golden(r#"{"type":"fixed","value_fen":990}"#);
    assert_eq!(old.eligible_classes, None, "rows from before the classes");
}

#[test]
fn a_dead_letter_and_the_catalogues_rows() {
    let letter: DeadLetter = golden(
        r#"{"id":"dl-0123456789abcdef","kind":"pickup.verified","attempts":40,"last_error":"core answered 503","first_attempt_at":"2026-11-24T02:00:00Z","key":"pku-ord-1","origin_binding":"ORDER","origin_id":"00aa"}"#,
    );
    assert_eq!(letter.attempts, 40);
    let item: CatalogItem = golden(
        r#"{"sku":"sku-1","name":"维生素C","drug_class":"otc_b","price_fen":500,"version":3,"category":"维生素","status":"on_sale","max_qty_per_order":5}"#,
    );
    assert_eq!(item.status, SaleStatus::OnSale);
    let bare: CatalogItem = golden(
        r#"{"sku":"sku-2","name":"阿莫西林","drug_class":"rx","price_fen":1200,"version":1,"status":"stopped"}"#,
    );
    assert_eq!(bare.category, None);
    let stop: AdminStop = golden(r#"{"reason":"recall","by":"admin-1","at_ms":1795485600000}"#);
    assert_eq!(stop.by, "admin-1");
    // The audit trail's status columns: the JSON text of the status, quotes included.
    for (stored, status) in [
        ("\"on_sale\"", SaleStatus::OnSale),
        ("\"stopped\"", SaleStatus::Stopped),
    ] {
        assert_eq!(
            SaleStatus::from_value(Column::Text(stored.into())),
            Ok(status)
        );
        assert_eq!(Column::from(status), Column::Text(stored.into()));
        assert_eq!(serde_json::to_string(&status).unwrap(), stored);
    }
}

#[test]
fn a_campaigns_config_and_its_kept_patch_answer() {
    let config = r#"{"id":"flash-1","name":"周三秒杀","kind":"flash_sale","starts_at":"2026-06-03T12:00:00Z","ends_at":"2026-06-03T13:00:00Z","stock":500,"coupon":{"type":"threshold","value_fen":2000,"min_spend_fen":19900,"valid_days":30},"limits":{"per_member":1},"audience":{},"rules_text":"每人限领1张"}"#;
    let stored: pharmedge::domain::campaign::CampaignConfig = golden(config);
    assert_eq!(stored.stock, 500);
    let before_audiences = config.replace(r#""audience":{},"#, "");
    serde_json::from_str::<pharmedge::domain::campaign::CampaignConfig>(&before_audiences)
        .expect("a config stored before audiences still decodes");
    let answer = format!(
        r#"{{{},"status":"active","set_status":"active","shard_count":1,"revision":2,"stats":{{"issued":3,"remaining":497,"claims_rejected":{{"sold_out":1}}}},"audit":[{{"at":"2026-06-01T00:00:00Z","actor":"mkt-1","action":"patch","before":{{"stock":400}},"after":{{"stock":500}}}}]}}"#,
        &config[1..config.len() - 1]
    );
    let kept: AdminCampaign = golden(&answer);
    assert_eq!((kept.revision, kept.stats.remaining), (2, 497));
}

/// A scheduled campaign (issue 13): its stored config with `schedule`, the PATCH answer a key
/// keeps (with the occurrences' stats), and a not-started refusal as claims kept it before
/// `next_occurrence` existed.
#[test]
fn a_scheduled_campaigns_config_and_its_kept_patch_answer() {
    let config = r#"{"id":"wed-flash","name":"周三秒杀","kind":"flash_sale","starts_at":"2026-12-01T00:00:00Z","ends_at":"2026-12-31T00:00:00Z","stock":500,"coupon":{"type":"fixed","value_fen":1000,"valid_days":7},"limits":{"per_member":1},"audience":{},"rules_text":"每周三20:00","shards":1,"schedule":{"every":"week","weekday":3,"start_time":"20:00","duration_minutes":60,"stock_per_occurrence":500}}"#;
    let stored: pharmedge::domain::campaign::CampaignConfig = golden(config);
    assert_eq!(stored.schedule.map(|s| s.stock_per_occurrence), Some(500));
    let answer = format!(
        r#"{{{},"status":"active","set_status":"active","shard_count":1,"revision":2,"stats":{{"issued":3,"remaining":497,"claims_rejected":{{}}}},"audit":[],"occurrences":[{{"key":"2026-12-09","starts_at":"2026-12-09T12:00:00Z","ends_at":"2026-12-09T13:00:00Z","state":"next","total":500,"issued":0,"remaining":500,"ready":false}},{{"key":"2026-12-02","starts_at":"2026-12-02T12:00:00Z","ends_at":"2026-12-02T13:00:00Z","state":"open","total":500,"issued":3,"remaining":497,"ready":true}}]}}"#,
        &config[1..config.len() - 1]
    );
    let kept: AdminCampaign = golden(&answer);
    assert_eq!(kept.occurrences.len(), 2);
    let refusal: ApiError = golden(r#"{"code":"campaign_not_started"}"#);
    assert_eq!(
        refusal,
        ApiError::CampaignNotStarted {
            next_occurrence: None
        }
    );
}
