//! Internally tagged replies and commands read through one wire struct each (no serde buffering):
//! every text reads as serde's own derive of the same enum read it (the reference), or both
//! refuse it; and each is written exactly as before.

use pharmedge::objects::campaign::protocol::OccurrenceReply;
use pharmedge::objects::dead_letters::protocol::Begun;
use pharmedge::objects::store::StoreCommand;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Both decode `text` to the same written text, or both refuse it.
fn same_as_reference<Ours, Reference>(text: &str)
where
    Ours: Serialize + DeserializeOwned,
    Reference: Serialize + DeserializeOwned,
{
    let ours = serde_json::from_str::<Ours>(text).map(|v| serde_json::to_string(&v).unwrap());
    let reference =
        serde_json::from_str::<Reference>(text).map(|v| serde_json::to_string(&v).unwrap());
    match (&ours, &reference) {
        (Ok(ours), Ok(reference)) => assert_eq!(ours, reference, "{text}"),
        (Err(_), Err(_)) => {}
        _ => panic!("{text}: {ours:?} vs the derive's {reference:?}"),
    }
}

mod reference {
    use pharmedge::domain::campaign::StockRefusal;
    use pharmedge::domain::ids::OrderId;
    use pharmedge::domain::time::Instant;
    use pharmedge::objects::campaign::protocol::NextOccurrence;
    use pharmedge::objects::dead_letters::protocol::DeadLetter;
    use pharmedge::objects::order::protocol::{Counter, PresentedCode, WaitingPickup};
    use serde::{Deserialize, Serialize};

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "snake_case", tag = "at")]
    pub enum OccurrenceReply {
        Unscheduled,
        Open {
            key: String,
            starts_at: Instant,
            ends_at: Instant,
        },
        Closed {
            refusal: StockRefusal,
            next_occurrence: Option<NextOccurrence>,
        },
    }

    #[derive(Serialize, Deserialize)]
    #[serde(tag = "outcome", rename_all = "snake_case")]
    pub enum Begun {
        Repeat,
        Start { letter: DeadLetter },
    }

    #[derive(Serialize, Deserialize)]
    #[serde(tag = "op", rename_all = "snake_case")]
    pub enum StoreCommand {
        Ready(WaitingPickup),
        Gone {
            order_id: String,
        },
        List {
            now: Instant,
        },
        Verify {
            order_id: OrderId,
            counter: Counter,
            code: PresentedCode,
            now: Instant,
        },
    }
}

#[test]
fn occurrence_replies_read_as_the_derive_read_them() {
    for text in [
        r#"{"at":"unscheduled"}"#,
        r#"{"at":"unscheduled","key":"x"}"#,
        r#"{"at":"open","key":"2026-12-02","starts_at":"2026-12-02T12:00:00Z","ends_at":"2026-12-02T13:00:00Z"}"#,
        r#"{"ends_at":"2026-12-02T13:00:00Z","key":"2026-12-02","starts_at":"2026-12-02T12:00:00Z","at":"open"}"#,
        r#"{"at":"closed","refusal":"campaign_not_started","next_occurrence":{"starts_at":"2026-12-09T12:00:00Z","ends_at":"2026-12-09T13:00:00Z","stock":{"total":500,"remaining":500}}}"#,
        r#"{"at":"closed","refusal":"campaign_ended","next_occurrence":null}"#,
        r#"{"at":"closed","refusal":"sold_out"}"#,
        r#"{"at":"open","key":"k","starts_at":"2026-12-02T12:00:00Z"}"#,
        r#"{"at":"closed"}"#,
        r#"{"at":"closed","refusal":"nope"}"#,
        r#"{"at":"later"}"#,
        r#"{"key":"k"}"#,
        r#"[]"#,
    ] {
        same_as_reference::<OccurrenceReply, reference::OccurrenceReply>(text);
    }
}

#[test]
fn replay_outcomes_read_as_the_derive_read_them() {
    let letter = r#"{"id":"dl-1","kind":"pickup.verified","attempts":40,"last_error":"core answered 503","first_attempt_at":"2026-11-24T02:00:00Z","key":"pku-ord-1","origin_binding":"ORDER","origin_id":"00aa"}"#;
    for text in [
        r#"{"outcome":"repeat"}"#.to_owned(),
        format!(r#"{{"outcome":"start","letter":{letter}}}"#),
        format!(r#"{{"letter":{letter},"outcome":"start"}}"#),
        r#"{"outcome":"start"}"#.to_owned(),
        r#"{"outcome":"start","letter":{"id":"dl-1"}}"#.to_owned(),
        r#"{"outcome":"again"}"#.to_owned(),
        r#"{}"#.to_owned(),
    ] {
        same_as_reference::<Begun, reference::Begun>(&text);
    }
}

#[test]
fn store_commands_read_as_the_derive_read_them() {
    let counter = r#"{"staff_id":"clerk-1","store_id":"store-1","is_pharmacist":false}"#;
    for text in [
        r#"{"op":"ready","order_id":"ord-1","ready_at":"2026-11-24T03:00:00Z","pickup_deadline":"2026-12-01T03:00:00Z","line_count":1,"has_rx":false}"#.to_owned(),
        r#"{"has_rx":true,"line_count":2,"op":"ready","order_id":"ord-1","pickup_deadline":"2026-12-01T03:00:00Z","ready_at":"2026-11-24T03:00:00Z"}"#.to_owned(),
        r#"{"op":"ready","order_id":"ord-1","ready_at":"2026-11-24T03:00:00Z","line_count":1,"has_rx":false}"#.to_owned(),
        r#"{"op":"ready","order_id":"ord-1","ready_at":"2026-11-24T03:00:00Z","pickup_deadline":"2026-12-01T03:00:00Z","line_count":1}"#.to_owned(),
        r#"{"op":"ready","order_id":"ord-1","ready_at":"2026-11-24T03:00:00Z","pickup_deadline":"2026-12-01T03:00:00Z","line_count":-1,"has_rx":false}"#.to_owned(),
        r#"{"op":"gone","order_id":"ord-1"}"#.to_owned(),
        r#"{"order_id":"ord-1","op":"gone"}"#.to_owned(),
        r#"{"op":"gone"}"#.to_owned(),
        r#"{"op":"list","now":"2026-11-24T03:00:00Z"}"#.to_owned(),
        r#"{"op":"list"}"#.to_owned(),
        format!(r#"{{"op":"verify","order_id":"ord-1","counter":{counter},"code":{{"qr":"abc"}},"now":"2026-11-24T03:00:00Z"}}"#),
        format!(r#"{{"op":"verify","order_id":"ord-1","counter":{counter},"code":{{"short":"123456"}},"now":"2026-11-24T03:00:00Z"}}"#),
        format!(r#"{{"op":"verify","order_id":"ord 1","counter":{counter},"code":{{"qr":"abc"}},"now":"2026-11-24T03:00:00Z"}}"#),
        format!(r#"{{"op":"verify","order_id":"ord-1","counter":{counter},"now":"2026-11-24T03:00:00Z"}}"#),
        r#"{"op":"shout"}"#.to_owned(),
        r#"{}"#.to_owned(),
    ] {
        same_as_reference::<StoreCommand, reference::StoreCommand>(&text);
    }
}

#[test]
fn a_missing_field_is_named() {
    let err = serde_json::from_str::<StoreCommand>(r#"{"op":"gone"}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing field `order_id`"), "{err}");
    let err = serde_json::from_str::<OccurrenceReply>(r#"{"at":"closed"}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing field `refusal`"), "{err}");
}
