//! A scheduled campaign's objects over real SQLite (issue 13): what a claim meets at each
//! moment, each occurrence's own stock shards created on first touch and kept at the head's
//! revision, a top-up that grows the open occurrence exactly, and the cron's lead (the
//! member's side: objects_campaign_schedule_member.rs).
#![cfg(not(target_arch = "wasm32"))]

mod seam;

use pharmedge::domain::campaign::{CampaignConfig, SetStatus, StockRefusal};
use pharmedge::domain::campaign_patch::CampaignPatch;
use pharmedge::domain::schedule_campaign::{scope, scoped_shard_name};
use pharmedge::domain::time::{parse_instant, BusinessZone, Instant};
use pharmedge::http::error::ApiError;
use pharmedge::objects::campaign::head::{self, PatchInput};
use pharmedge::objects::campaign::occurrences::{
    self, admin_list, claim_at, due, live, shard_states,
};
use pharmedge::objects::campaign::protocol::{NextOccurrence, OccurrenceReply, TakeReply};
use pharmedge::objects::campaign::stock;
use pharmedge::objects::campaign::views::StockView;
use pharmedge::objects::schema::{Module, Tables};
use seam::Sqlite;
use serde_json::json;

fn at(text: &str) -> chrono::DateTime<chrono::Utc> {
    parse_instant(text).unwrap()
}

fn zone() -> BusinessZone {
    BusinessZone::shanghai()
}

/// Every Wednesday 20:00 business time (12:00Z) for an hour, 3 units each, in December 2026.
fn weekly(stock: i64) -> CampaignConfig {
    serde_json::from_value(json!({
        "id": "wed-flash", "name": "周三秒杀", "kind": "flash_sale",
        "starts_at": "2026-12-01T00:00:00Z", "ends_at": "2026-12-31T00:00:00Z",
        "stock": stock,
        "coupon": {"type": "fixed", "value_fen": 1000, "valid_days": 7},
        "limits": {"per_member": 1},
        "rules_text": "每周三20:00",
        "schedule": {"every": "week", "weekday": 3, "start_time": "20:00",
                     "duration_minutes": 60, "stock_per_occurrence": stock}
    }))
    .unwrap()
}

fn migrated(module: &Module) -> Sqlite {
    let db = Sqlite::open();
    Tables::default().ensure(&db, &[module]).unwrap();
    db
}

fn head_db(stock: i64) -> Sqlite {
    let db = migrated(&head::MODULE);
    head::create(&db, weekly(stock), "mkt-1", None, "h", 0).unwrap();
    db
}

fn patch(db: &Sqlite, patch: CampaignPatch) -> Result<(), ApiError> {
    head::patch(
        db,
        PatchInput {
            patch: &patch,
            actor: "mkt-1",
            key: None,
            body_hash: "p",
            if_match: None,
            now_ms: 0,
        },
    )
    .map(|_| ())
}

fn top_up(add: i64) -> CampaignPatch {
    CampaignPatch {
        status: None,
        ends_at: None,
        add_stock: Some(add),
    }
}

fn set(status: SetStatus) -> CampaignPatch {
    CampaignPatch {
        status: Some(status),
        ends_at: None,
        add_stock: None,
    }
}

/// Pushes the head's state to an occurrence's (one) shard, as the object does on first touch.
fn push(head_db: &Sqlite, shard: &Sqlite, key: &str) {
    let head = head::load(head_db).unwrap().unwrap();
    let config = head.config();
    let window = pharmedge::domain::schedule_campaign::window(config);
    let plan = config.schedule.as_ref().unwrap();
    let occurrence =
        pharmedge::domain::schedule_campaign::occurrence(plan, &zone(), &window, key).unwrap();
    if occurrences::touch(head_db, key, head.state.revision).unwrap() {
        for state in shard_states(&head.state, &occurrence) {
            stock::sync(shard, &state).unwrap();
        }
        occurrences::mark_synced(head_db, key, head.state.revision).unwrap();
    }
}

fn take(shard: &Sqlite, claim: &str, now: &str) -> TakeReply {
    stock::take(shard, claim, at(now).timestamp_millis()).unwrap()
}

const SOLD_OUT: TakeReply = TakeReply::Refused {
    refusal: StockRefusal::SoldOut,
};

#[test]
fn a_claim_meets_the_open_occurrence_or_the_next_with_its_fresh_stock() {
    let db = head_db(3);
    let head = head::load(&db).unwrap().unwrap();
    let next = NextOccurrence {
        starts_at: Instant(at("2026-12-02T12:00:00Z")),
        ends_at: Instant(at("2026-12-02T13:00:00Z")),
        stock: StockView {
            total: 3,
            remaining: 3,
        },
    };
    assert_eq!(
        claim_at(&head.state, &zone(), at("2026-12-02T11:59:59Z")),
        OccurrenceReply::Closed {
            refusal: StockRefusal::CampaignNotStarted,
            next_occurrence: Some(next),
        }
    );
    assert_eq!(
        claim_at(&head.state, &zone(), at("2026-12-02T12:00:00Z")),
        OccurrenceReply::Open {
            key: "2026-12-02".into(),
            starts_at: Instant(at("2026-12-02T12:00:00Z")),
            ends_at: Instant(at("2026-12-02T13:00:00Z")),
        }
    );
    // 2026-12-30 is the last Wednesday of the window: after it, ended.
    assert_eq!(
        claim_at(&head.state, &zone(), at("2026-12-30T13:00:00Z")),
        OccurrenceReply::Closed {
            refusal: StockRefusal::CampaignEnded,
            next_occurrence: None,
        }
    );
    patch(&db, set(SetStatus::Paused)).unwrap();
    let paused = head::load(&db).unwrap().unwrap();
    assert!(matches!(
        claim_at(&paused.state, &zone(), at("2026-12-05T00:00:00Z")),
        OccurrenceReply::Closed {
            refusal: StockRefusal::CampaignPaused,
            next_occurrence: Some(_),
        }
    ));
    patch(&db, set(SetStatus::Ended)).unwrap();
    let ended = head::load(&db).unwrap().unwrap();
    assert_eq!(
        claim_at(&ended.state, &zone(), at("2026-12-09T12:00:00Z")),
        OccurrenceReply::Closed {
            refusal: StockRefusal::CampaignEnded,
            next_occurrence: None,
        }
    );
}

#[test]
fn each_occurrence_has_its_own_shards_and_stock_within_its_own_window() {
    let db = head_db(3);
    let (first, second) = (migrated(&stock::MODULE), migrated(&stock::MODULE));
    assert_ne!(
        scoped_shard_name(&scope(&weekly(3).id, Some("2026-12-02")), 0),
        scoped_shard_name(&scope(&weekly(3).id, Some("2026-12-09")), 0)
    );
    push(&db, &first, "2026-12-02");
    let refused = take(&first, "early", "2026-12-02T11:59:59Z");
    assert_eq!(
        refused,
        TakeReply::Refused {
            refusal: StockRefusal::CampaignNotStarted
        }
    );
    for n in 0..3 {
        assert!(matches!(
            take(&first, &format!("c{n}"), "2026-12-02T12:00:00Z"),
            TakeReply::Taken { .. }
        ));
    }
    assert_eq!(take(&first, "c3", "2026-12-02T12:00:01Z"), SOLD_OUT);
    assert_eq!(
        take(&first, "late", "2026-12-02T13:00:00Z"),
        TakeReply::Refused {
            refusal: StockRefusal::CampaignEnded
        },
        "the occurrence's shard closes at its own end"
    );
    push(&db, &second, "2026-12-09");
    assert_eq!(
        take(&second, "c0", "2026-12-09T12:00:00Z"),
        TakeReply::Taken { remaining: 2 },
        "next week: a fresh stock"
    );
    assert_eq!(stock::stats(&first).unwrap().issued, 3);
    assert_eq!(stock::stats(&second).unwrap().issued, 1);
}

#[test]
fn an_occurrence_is_pushed_once_per_revision_and_again_after_a_change() {
    let db = head_db(3);
    assert!(
        occurrences::touch(&db, "2026-12-02", 1).unwrap(),
        "new: needs its shards"
    );
    occurrences::mark_synced(&db, "2026-12-02", 1).unwrap();
    assert!(!occurrences::touch(&db, "2026-12-02", 1).unwrap());
    assert!(
        occurrences::touch(&db, "2026-12-02", 2).unwrap(),
        "a newer revision"
    );
    occurrences::mark_synced(&db, "2026-12-02", 2).unwrap();
    occurrences::mark_synced(&db, "2026-12-02", 1).unwrap();
    assert!(
        !occurrences::touch(&db, "2026-12-02", 2).unwrap(),
        "never backwards"
    );
    // A change reaches the recorded occurrences that are not over.
    occurrences::touch(&db, "2026-12-09", 2).unwrap();
    let head = head::load(&db).unwrap().unwrap();
    let keys = |now| -> Vec<String> {
        live(&db, &head.state, &zone(), at(now))
            .unwrap()
            .into_iter()
            .map(|occurrence| occurrence.key)
            .collect()
    };
    assert_eq!(keys("2026-12-02T12:30:00Z"), ["2026-12-09", "2026-12-02"]);
    assert_eq!(keys("2026-12-02T13:00:00Z"), ["2026-12-09"]);
}

#[test]
fn a_top_up_grows_the_open_occurrence_and_later_ones_never_more() {
    let db = head_db(3);
    let shard = migrated(&stock::MODULE);
    push(&db, &shard, "2026-12-02");
    for n in 0..3 {
        take(&shard, &format!("c{n}"), "2026-12-02T12:00:00Z");
    }
    assert_eq!(take(&shard, "c3", "2026-12-02T12:00:00Z"), SOLD_OUT);
    patch(&db, top_up(2)).unwrap();
    let head = head::load(&db).unwrap().unwrap();
    assert_eq!(head.config().stock, 5);
    assert_eq!(
        head.config()
            .schedule
            .as_ref()
            .unwrap()
            .stock_per_occurrence,
        5,
        "stock and stock_per_occurrence move together"
    );
    push(&db, &shard, "2026-12-02");
    push(&db, &shard, "2026-12-02"); // again: nothing more
    let takes: Vec<TakeReply> = (3..8)
        .map(|n| take(&shard, &format!("c{n}"), "2026-12-02T12:10:00Z"))
        .collect();
    let taken = takes
        .iter()
        .filter(|reply| matches!(reply, TakeReply::Taken { .. }))
        .count();
    assert_eq!(taken, 2, "exactly the two added units");
    let stats = stock::stats(&shard).unwrap();
    assert_eq!((stats.total, stats.issued, stats.remaining), (5, 5, 0));
    // The next occurrence starts with the new stock.
    let next = migrated(&stock::MODULE);
    push(&db, &next, "2026-12-09");
    assert_eq!(stock::stats(&next).unwrap().total, 5);
    // An occurrence holds at most a million units.
    assert!(matches!(
        patch(&db, top_up(1_000_000)),
        Err(ApiError::InvalidCampaign { .. })
    ));
}

#[test]
fn the_cron_readies_the_open_occurrence_and_those_opening_within_its_lead() {
    let db = head_db(3);
    let head = head::load(&db).unwrap().unwrap();
    let lead = chrono::Duration::minutes(10);
    let due_at = |now| -> Vec<String> {
        due(&head.state, &zone(), at(now), lead)
            .into_iter()
            .map(|occurrence| occurrence.key)
            .collect()
    };
    assert!(due_at("2026-12-02T11:49:59Z").is_empty());
    assert_eq!(due_at("2026-12-02T11:50:00Z"), ["2026-12-02"]);
    assert_eq!(due_at("2026-12-02T12:30:00Z"), ["2026-12-02"], "open now");
    assert!(due_at("2026-12-02T13:00:00Z").is_empty());
}

#[test]
fn the_admin_view_lists_past_open_and_next_occurrences_with_their_own_stats() {
    let db = head_db(3);
    let head = head::load(&db).unwrap().unwrap();
    let recorded = vec![("2026-12-09".to_owned(), 1), ("2026-12-02".to_owned(), 1)];
    let list = admin_list(
        &head.state,
        &zone(),
        at("2026-12-09T12:30:00Z"),
        &recorded,
        |key| match key {
            "2026-12-02" => Some((3, 3)),
            "2026-12-09" => Some((3, 1)),
            _ => None,
        },
    );
    let rows: Vec<(&str, &str, i64, i64, bool)> = list
        .iter()
        .map(|o| {
            (
                o.key.as_str(),
                o.state.as_str(),
                o.issued,
                o.remaining,
                o.ready,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("2026-12-16", "next", 0, 3, false),
            ("2026-12-09", "open", 1, 2, true),
            ("2026-12-02", "past", 3, 0, true),
        ]
    );
}
