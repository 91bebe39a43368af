//! A campaign's head and the directory against real SQLite: creation once per key, changes
//! as `apply_patch` decides them with their keys, If-Match and refusals kept, the audit trail,
//! the stats summed from the shards, and the golden formats of the answers a key keeps.
#![cfg(not(target_arch = "wasm32"))]

mod campaign_world;
mod seam;

use campaign_world::*;
use pharmedge::domain::campaign::SetStatus;
use pharmedge::domain::campaign_patch::CampaignPatch;
use pharmedge::domain::ids::CampaignId;
use pharmedge::domain::time::Instant;
use pharmedge::http::error::ApiError;
use pharmedge::objects::campaign::head::{self, PatchInput, Patched};
use pharmedge::objects::campaign::protocol::{IndexCampaign, ReserveCreateKey};
use pharmedge::objects::campaign::views::AdminCampaign;
use pharmedge::objects::campaign::{directory, stock};
use pharmedge::objects::schema::Tables;
use pharmedge::objects::seam::Sql;
use serde_json::{json, Value};

fn keyed<'a>(patch: &'a CampaignPatch, key: &'a str, if_match: Option<&'a str>) -> PatchInput<'a> {
    PatchInput {
        patch,
        actor: "mkt-2",
        key: Some(key),
        body_hash: "h1",
        if_match,
        now_ms: during(),
    }
}

#[test]
fn a_campaign_is_created_once_per_key() {
    let world = World::create(10, 2);
    let again = |key: Option<&str>, hash: &str| {
        head::create(
            &world.head,
            config(10, 2),
            "mkt-1",
            key.map(str::to_owned),
            hash,
            during(),
        )
    };
    assert_eq!(again(None, "hash"), Err(ApiError::CampaignExists));
    let keyed_world = seam::Sqlite::open();
    Tables::default()
        .ensure(&keyed_world, &[&head::MODULE])
        .unwrap();
    let create = |key: &str, hash: &str| {
        head::create(
            &keyed_world,
            config(10, 2),
            "mkt-1",
            Some(key.into()),
            hash,
            during(),
        )
    };
    assert_eq!(create("k1", "h"), Ok(()));
    assert_eq!(create("k1", "h"), Ok(()), "a repeat changes nothing");
    assert_eq!(create("k1", "other"), Err(ApiError::IdempotencyKeyReused));
    assert_eq!(create("k2", "h"), Err(ApiError::CampaignExists));
    let trail = head::audit_trail(&keyed_world).unwrap();
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0].action, "create");
    assert_eq!(trail[0].after["stock"], json!(10));
    assert_eq!(trail[0].after["shards"], json!(2), "the shard count frozen");
    let head = head::load(&keyed_world).unwrap().unwrap();
    assert_eq!(head.state.set_status, SetStatus::Active);
    assert_eq!(head.state.revision, 1);
    assert!(!head.shards_synced);
}

#[test]
fn a_change_is_applied_audited_and_bumps_the_revision() {
    let world = World::create(10, 2);
    assert!(world.head().shards_synced);
    assert_eq!(world.patch(&top_up(5), None), Ok(Patched::Applied));
    let head = world.head();
    assert_eq!(head.config().stock, 15);
    assert_eq!(head.state.revision, 2);
    assert!(!head.shards_synced, "the shards must hear of it");
    let trail = head::audit_trail(&world.head).unwrap();
    assert_eq!(trail.len(), 2);
    assert_eq!(trail[1].actor, "mkt-1");
    assert_eq!(
        trail[1].before,
        Some(
            json!({"status": "active", "ends_at": "2026-06-03T13:00:00Z", "stock": 10, "revision": 1})
        )
    );
    assert_eq!(
        trail[1].after,
        json!({"status": "active", "ends_at": "2026-06-03T13:00:00Z", "stock": 15, "revision": 2})
    );
    // A push of an older revision does not mark the newer one synced.
    head::mark_synced(&world.head, 1).unwrap();
    assert!(!world.head().shards_synced);
    world.push_all();
    assert!(world.head().shards_synced);
    // Refusals change nothing.
    assert!(matches!(
        world.patch(&top_up(-3), None),
        Err(ApiError::InvalidCampaign { .. })
    ));
    world.patch(&set(SetStatus::Ended), None).unwrap();
    assert!(matches!(
        world.patch(&set(SetStatus::Active), None),
        Err(ApiError::InvalidTransition { .. })
    ));
    assert_eq!(world.head().state.revision, 3);
    assert_eq!(head::audit_trail(&world.head).unwrap().len(), 3);
}

#[test]
fn a_keyed_change_answers_its_first_answer_and_if_match_guards_the_revision() {
    let world = World::create(10, 1);
    let add = top_up(5);
    // If-Match naming another revision: 412 with the current tag, nothing applied.
    assert_eq!(
        head::patch(&world.head, keyed(&add, "k0", Some("\"r7\""))),
        Err(ApiError::PreconditionFailed {
            current_etag: "\"r1\"".into()
        })
    );
    assert_eq!(
        head::patch(&world.head, keyed(&add, "k1", Some("\"r1\""))),
        Ok(Patched::Applied)
    );
    // The retry names the revision before it: the key is looked at first.
    assert_eq!(
        head::patch(&world.head, keyed(&add, "k1", Some("\"r1\""))),
        Ok(Patched::Replay(None))
    );
    let answer = json!({"stock": {"total": 15}});
    assert_eq!(
        head::remember_answer(&world.head, "k1", &answer),
        Ok(answer.clone())
    );
    assert_eq!(
        head::remember_answer(&world.head, "k1", &json!({"other": 1})),
        Ok(answer.clone()),
        "the first answer wins"
    );
    assert_eq!(
        head::patch(&world.head, keyed(&add, "k1", None)),
        Ok(Patched::Replay(Some(answer)))
    );
    assert_eq!(world.head().config().stock, 15, "added once");
    let mut other = keyed(&add, "k1", None);
    other.body_hash = "h2";
    assert_eq!(
        head::patch(&world.head, other),
        Err(ApiError::IdempotencyKeyReused)
    );
}

#[test]
fn a_keyed_change_refused_for_good_keeps_its_refusal() {
    let world = World::create(10, 1);
    world.patch(&set(SetStatus::Ended), None).unwrap();
    let resume = set(SetStatus::Active);
    let first = head::patch(&world.head, keyed(&resume, "k1", None));
    assert!(matches!(first, Err(ApiError::InvalidTransition { .. })));
    assert_eq!(head::patch(&world.head, keyed(&resume, "k1", None)), first);
    let stored: Option<(String,)> = world
        .head
        .row(
            "SELECT response FROM patch_keys WHERE key = 'k1'",
            Vec::new(),
        )
        .unwrap();
    let stored: Value = serde_json::from_str(&stored.unwrap().0).unwrap();
    assert_eq!(stored["refused"]["code"], json!("invalid_transition"));
    // A failed precondition is final too: the retry hears the same 412.
    let add = top_up(1);
    let stale = head::patch(&world.head, keyed(&add, "k2", Some("\"r1\"")));
    assert!(matches!(stale, Err(ApiError::PreconditionFailed { .. })));
    assert_eq!(head::patch(&world.head, keyed(&add, "k2", None)), stale);
    assert_eq!(world.head().config().stock, 10);
}

#[test]
fn the_stats_sum_the_shards_and_the_head() {
    let world = World::create(5, 2);
    for member in ["mem-a", "mem-b"] {
        world.claim(member, &format!("c.{member}"), &[], during(), Ok(()));
    }
    world.patch(&set(SetStatus::Paused), None).unwrap();
    world.push_all();
    world.claim("mem-c", "c.mem-c", &[], during(), Ok(()));
    world.claim("mem-d", "c.mem-d", &[], during(), Ok(()));
    head::count_rejected(&world.head, "sold_out").unwrap();
    head::count_rejected(&world.head, "sold_out").unwrap();
    head::count_rejected(&world.head, "not_eligible:tier_not_included").unwrap();
    let stats = world.stats();
    assert_eq!(stats.issued, 2);
    assert_eq!(stats.remaining, 3);
    assert_eq!(stats.claims_rejected.get("campaign_paused"), Some(&2));
    assert_eq!(stats.claims_rejected.get("sold_out"), Some(&2));
    assert_eq!(
        stats.claims_rejected.get("not_eligible:tier_not_included"),
        Some(&1)
    );
    // Remaining comes from the stock, not from shard shares pushed late.
    world.patch(&top_up(10), None).unwrap();
    assert_eq!(world.stats().remaining, 13);
    let _ = stock::stats(&world.shards[0]).unwrap();
}

#[test]
fn the_directory_lists_running_campaigns_and_guards_creation_keys() {
    let db = seam::Sqlite::open();
    Tables::default()
        .ensure(&db, &[&directory::MODULE])
        .unwrap();
    let index = |id: &str, starts: &str, ends: &str, ended: bool| {
        directory::index(
            &db,
            &IndexCampaign {
                id: CampaignId::parse(id).unwrap(),
                starts_at: at(ms(starts)),
                ends_at: at(ms(ends)),
                ended,
            },
        )
        .unwrap()
    };
    index(
        "late",
        "2026-06-03T14:00:00Z",
        "2026-06-03T15:00:00Z",
        false,
    );
    index(
        "soon",
        "2026-06-03T12:00:00Z",
        "2026-06-03T13:00:00Z",
        false,
    );
    index(
        "over",
        "2026-06-01T12:00:00Z",
        "2026-06-01T13:00:00Z",
        false,
    );
    index(
        "stopped",
        "2026-06-03T12:00:00Z",
        "2026-06-03T13:00:00Z",
        true,
    );
    let now = Instant::from_millis(during());
    assert_eq!(directory::listed(&db, now).unwrap(), ["soon", "late"]);
    // Re-indexing keeps creation order.
    index(
        "late",
        "2026-06-03T14:00:00Z",
        "2026-06-03T16:00:00Z",
        false,
    );
    assert_eq!(
        directory::all(&db, 10).unwrap(),
        ["stopped", "over", "soon", "late"]
    );
    assert_eq!(directory::all(&db, 2).unwrap(), ["stopped", "over"]);
    let reserve = |key: &str, hash: &str, id: &str| {
        directory::reserve_key(
            &db,
            &ReserveCreateKey {
                key: key.into(),
                body_hash: hash.into(),
                campaign_id: CampaignId::parse(id).unwrap(),
            },
        )
    };
    assert_eq!(reserve("k1", "h", "a"), Ok(()));
    assert_eq!(reserve("k1", "h", "a"), Ok(()));
    assert_eq!(reserve("k1", "h", "b"), Err(ApiError::IdempotencyKeyReused));
    assert_eq!(reserve("k1", "x", "a"), Err(ApiError::IdempotencyKeyReused));
}

/// A keyed PATCH keeps its answer in `patch_keys.response` for every repeat: an answer
/// written before a deploy must still decode, and re-encode the same, after it.
const KEPT_ANSWER: &str = r##"{"id":"flash-1","name":"周三秒杀","kind":"flash_sale","starts_at":"2026-06-03T12:00:00Z","ends_at":"2026-06-03T13:00:00Z","stock":15,"coupon":{"type":"threshold","value_fen":2000,"min_spend_fen":19900,"valid_days":30},"limits":{"per_member":1},"audience":{},"rules_text":"每人限领1张","shards":2,"status":"paused","set_status":"paused","shard_count":2,"revision":3,"stats":{"issued":1,"remaining":14,"claims_rejected":{"campaign_paused":1}},"audit":[{"at":"2026-06-03T12:30:00Z","actor":"mkt-1","action":"create","before":null,"after":{"audience":{},"coupon":{"min_spend_fen":19900,"type":"threshold","valid_days":30,"value_fen":2000},"ends_at":"2026-06-03T13:00:00Z","id":"flash-1","kind":"flash_sale","limits":{"per_member":1},"name":"周三秒杀","rules_text":"每人限领1张","shards":2,"starts_at":"2026-06-03T12:00:00Z","stock":10}},{"at":"2026-06-03T12:30:00Z","actor":"mkt-1","action":"update","before":{"ends_at":"2026-06-03T13:00:00Z","revision":1,"status":"active","stock":10},"after":{"ends_at":"2026-06-03T13:00:00Z","revision":2,"status":"paused","stock":10}},{"at":"2026-06-03T12:30:00Z","actor":"mkt-1","action":"update","before":{"ends_at":"2026-06-03T13:00:00Z","revision":2,"status":"paused","stock":10},"after":{"ends_at":"2026-06-03T13:00:00Z","revision":3,"status":"paused","stock":15}}]}"##;

#[test]
fn a_kept_patch_answer_still_decodes_and_encodes_the_same() {
    let stored: Value = serde_json::from_str(KEPT_ANSWER).unwrap();
    let decoded: AdminCampaign = serde_json::from_value(stored.clone()).unwrap();
    assert_eq!(serde_json::to_value(&decoded).unwrap(), stored);
    // A kept refusal.
    let refused: Value = serde_json::from_str(
        r#"{"refused":{"code":"invalid_transition","detail":"ended -> active: an ended campaign stays ended"}}"#,
    )
    .unwrap();
    let error: ApiError = serde_json::from_value(refused["refused"].clone()).unwrap();
    assert!(matches!(error, ApiError::InvalidTransition { .. }));
    assert_eq!(serde_json::to_value(&error).unwrap(), refused["refused"]);
}

/// During a deploy an old worker may talk to a new object (and back): the commands keep the
/// wire shape they had before the typed protocol.
#[test]
fn the_commands_keep_their_wire_shape() {
    use pharmedge::objects::campaign::protocol::*;
    let now = at(during());
    let take: StockCommand = TakeUnit {
        claim_id: "flash-1.mem-a.1".into(),
        now,
    }
    .into();
    assert_eq!(
        serde_json::to_value(&take).unwrap(),
        json!({"op": "take", "claim_id": "flash-1.mem-a.1", "now": "2026-06-03T12:30:00Z"})
    );
    let stats: StockCommand = GetShardStats {}.into();
    assert_eq!(
        serde_json::to_value(&stats).unwrap(),
        json!({"op": "stats"})
    );
    let terms: CampaignCommand = GetTerms {}.into();
    assert_eq!(
        serde_json::to_value(&terms).unwrap(),
        json!({"op": "terms"})
    );
    let rejected: CampaignCommand = CountRejected {
        reason: "sold_out".into(),
    }
    .into();
    assert_eq!(
        serde_json::to_value(&rejected).unwrap(),
        json!({"op": "rejected", "reason": "sold_out"})
    );
    let listed: DirectoryCommand = ListCampaigns { now }.into();
    assert_eq!(
        serde_json::to_value(&listed).unwrap(),
        json!({"op": "listed", "now": "2026-06-03T12:30:00Z"})
    );
    // What older code sent still decodes.
    let old: StockCommand = serde_json::from_value(json!({"op": "sync", "state": {
        "campaign_id": "flash-1", "set_status": "paused",
        "starts_at": "2026-06-03T12:00:00Z", "ends_at": "2026-06-03T13:00:00Z",
        "total": 7, "revision": 3
    }}))
    .unwrap();
    assert!(
        matches!(old, StockCommand::Sync(SyncShard { state }) if state.total == 7 && state.set_status == SetStatus::Paused)
    );
    let old: CampaignCommand =
        serde_json::from_value(json!({"op": "admin", "now": "2026-06-03T12:30:00Z"})).unwrap();
    assert!(matches!(old, CampaignCommand::Admin(_)));
    // A unit's release is new: its shape is fixed from here on.
    let release: StockCommand = ReleaseUnit {
        claim_id: "flash-1.mem-a.1".into(),
    }
    .into();
    assert_eq!(
        serde_json::to_value(&release).unwrap(),
        json!({"op": "release", "claim_id": "flash-1.mem-a.1"})
    );
}
