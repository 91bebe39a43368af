//! A scheduled campaign's config (issue 13): `stock` is each occurrence's stock, at least one
//! occurrence in the window, the status a member sees between occurrences, and the scope
//! names of an occurrence's limits and shards.

use pharmedge::domain::campaign::{CampaignConfig, ConfigRefusal, SetStatus, Status};
use pharmedge::domain::schedule_campaign::{check_in_zone, scope, scoped_shard_name, status};
use pharmedge::domain::time::{parse_instant, BusinessZone};
use serde_json::{json, Value};

fn config(patch: Value) -> CampaignConfig {
    let mut base = json!({
        "id": "wed-flash", "name": "周三秒杀", "kind": "flash_sale",
        "starts_at": "2026-12-01T00:00:00Z", "ends_at": "2026-12-31T00:00:00Z",
        "stock": 500,
        "coupon": {"type": "fixed", "value_fen": 1000, "valid_days": 7},
        "limits": {"per_member": 1},
        "rules_text": "每周三20:00",
        "schedule": {"every": "week", "weekday": 3, "start_time": "20:00",
                     "duration_minutes": 60, "stock_per_occurrence": 500}
    });
    for (key, value) in patch.as_object().unwrap() {
        base[key] = value.clone();
    }
    serde_json::from_value(base).unwrap()
}

fn detail(result: Result<(), ConfigRefusal>) -> String {
    match result {
        Err(ConfigRefusal::Invalid(detail)) => detail,
        other => panic!("expected invalid_campaign, got {other:?}"),
    }
}

#[test]
fn stock_is_each_occurrences_and_must_equal_stock_per_occurrence() {
    assert_eq!(config(json!({})).validate(), Ok(()));
    let mismatch = detail(config(json!({"stock": 5000})).validate());
    assert!(mismatch.contains("stock_per_occurrence"), "{mismatch}");
    let bad = json!({"every": "week", "start_time": "20:00", "duration_minutes": 60, "stock_per_occurrence": 500});
    let no_weekday = detail(config(json!({ "schedule": bad })).validate());
    assert!(no_weekday.contains("weekday"), "{no_weekday}");
}

#[test]
fn a_window_without_an_occurrence_is_refused() {
    let zone = BusinessZone::shanghai();
    assert_eq!(check_in_zone(&config(json!({})), &zone), Ok(()));
    // Tuesday 2026-12-01 only: no Wednesday 20:00 inside.
    let tuesday = config(json!({"ends_at": "2026-12-01T20:00:00Z"}));
    assert!(detail(check_in_zone(&tuesday, &zone)).contains("no occurrence"));
    // The window ends at 19:59:59 on the Wednesday: 20:00 is outside.
    let short = config(json!({"ends_at": "2026-12-02T11:59:59Z"}));
    assert!(check_in_zone(&short, &zone).is_err());
    let just = config(json!({"ends_at": "2026-12-02T12:00:01Z"}));
    assert_eq!(check_in_zone(&just, &zone), Ok(()));
}

#[test]
fn between_occurrences_a_running_campaign_is_scheduled_and_after_the_last_ended() {
    let zone = BusinessZone::shanghai();
    let at = |raw| parse_instant(raw).unwrap();
    let wed = config(json!({}));
    let seen = |set, now| status(&wed, set, &zone, at(now));
    assert_eq!(
        seen(SetStatus::Active, "2026-12-02T11:59:59Z"),
        Status::Scheduled
    );
    assert_eq!(
        seen(SetStatus::Active, "2026-12-02T12:00:00Z"),
        Status::Active
    );
    assert_eq!(
        seen(SetStatus::Active, "2026-12-02T13:00:00Z"),
        Status::Scheduled
    );
    assert_eq!(
        seen(SetStatus::Active, "2026-12-30T13:00:00Z"),
        Status::Ended
    );
    assert_eq!(
        seen(SetStatus::Paused, "2026-12-02T12:00:00Z"),
        Status::Paused
    );
}

#[test]
fn an_occurrence_has_its_own_scope_and_shard_names() {
    let id = config(json!({})).id;
    assert_eq!(scope(&id, None), "wed-flash");
    assert_eq!(scope(&id, Some("2026-12-02")), "wed-flash@2026-12-02");
    assert_eq!(scoped_shard_name("wed-flash", 3), "wed-flash#3");
    assert_eq!(
        scoped_shard_name(&scope(&id, Some("2026-12-02")), 0),
        "wed-flash@2026-12-02#0"
    );
}
