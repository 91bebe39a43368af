//! Views that used `#[serde(flatten)]` to read: each is written exactly as before (the same text,
//! key for key, as API.md's answers show) and read back from that text, from a
//! `serde_json::Value` (sorted keys) and with its keys in any order.

use pharmedge::objects::campaign::views::AdminCampaign;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// `text` decodes, re-encodes to exactly `text`, and decodes the same from sorted keys.
fn exact<T: Serialize + DeserializeOwned>(text: &str) -> T {
    let decoded: T = serde_json::from_str(text)
        .unwrap_or_else(|err| panic!("{text}\n no longer decodes: {err}"));
    assert_eq!(serde_json::to_string(&decoded).unwrap(), text);
    let sorted: serde_json::Value = serde_json::from_str(text).unwrap();
    let again: T = serde_json::from_str(&sorted.to_string()).unwrap();
    assert_eq!(serde_json::to_string(&again).unwrap(), text);
    let again: T = serde_json::from_value(sorted).unwrap();
    assert_eq!(serde_json::to_string(&again).unwrap(), text);
    decoded
}

const CONFIG: &str = r#""id":"flash-1","name":"周三秒杀","kind":"flash_sale","starts_at":"2026-06-03T12:00:00Z","ends_at":"2026-06-03T13:00:00Z","stock":500,"coupon":{"type":"threshold","value_fen":2000,"min_spend_fen":19900,"valid_days":30},"limits":{"per_member":1},"audience":{},"rules_text":"每人限领1张""#;

#[test]
fn the_admin_campaign_view_keeps_its_text() {
    let text = format!(
        r#"{{{CONFIG},"status":"active","set_status":"active","shard_count":1,"revision":2,"stats":{{"issued":3,"remaining":497,"claims_rejected":{{"sold_out":1}}}},"audit":[{{"at":"2026-06-01T00:00:00Z","actor":"mkt-1","action":"patch","before":{{"stock":400}},"after":{{"stock":500}}}}]}}"#
    );
    let view: AdminCampaign = exact(&text);
    assert_eq!((view.revision, view.config.stock), (2, 500));
    let scheduled = format!(
        r#"{{{CONFIG},"shards":2,"status":"ended","set_status":"paused","shard_count":2,"revision":9,"stats":{{"issued":0,"remaining":500,"claims_rejected":{{}}}},"audit":[],"occurrences":[{{"key":"2026-12-09","starts_at":"2026-12-09T12:00:00Z","ends_at":"2026-12-09T13:00:00Z","state":"next","total":500,"issued":0,"remaining":500,"ready":false}}]}}"#
    );
    let view: AdminCampaign = exact(&scheduled);
    assert_eq!((view.shard_count, view.config.shards), (2, Some(2)));
    assert_eq!(view.occurrences.len(), 1);
}

#[test]
fn a_broken_admin_campaign_view_is_refused() {
    for text in [
        format!(r#"{{{CONFIG},"status":"active","set_status":"active","shard_count":1,"revision":2,"audit":[]}}"#),
        format!(r#"{{{CONFIG},"status":"active","set_status":"active","shard_count":1,"revision":"2","stats":{{"issued":0,"remaining":0,"claims_rejected":{{}}}},"audit":[]}}"#),
        r#"{"status":"active","set_status":"active","shard_count":1,"revision":2,"stats":{"issued":0,"remaining":0,"claims_rejected":{}},"audit":[]}"#.to_owned(),
        "[]".to_owned(),
    ] {
        assert!(serde_json::from_str::<AdminCampaign>(&text).is_err(), "{text}");
    }
}
