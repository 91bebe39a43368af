//! The event enums (`tagged_events!`): `{"type": .., "data": {..}}` as serde's adjacent tagging
//! writes and reads it. Each text is decoded by the macro's enum and by serde's own derive of
//! the same shape (the reference): both accept it with the same result, or both refuse it.

use pharmedge::domain::events::{OrderReady, OrderStatusChange};
use pharmedge::objects::member::protocol::MemberEvent;
use pharmedge::objects::order::protocol::OrderEvent;
use serde::{Deserialize, Serialize};

/// What `OrderEvent` was before the macro: serde's derive.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
enum Reference {
    #[serde(rename = "order.confirmed")]
    Confirmed(OrderStatusChange),
    #[serde(rename = "order.rejected")]
    Rejected(OrderStatusChange),
    #[serde(rename = "order.ready_for_pickup")]
    ReadyForPickup(OrderReady),
    #[serde(rename = "order.cancelled")]
    Cancelled(OrderStatusChange),
}

const READY: &str = r#"{"type":"order.ready_for_pickup","data":{"order_id":"ord-1","member_id":"mem-1","store_id":"store-1","lines":[{"sku":"sku-1","name":"维生素C","qty":2,"unit_price_fen":1990,"drug_class":"otc_b"}],"ready_at":"2026-11-24T02:00:00Z","pickup_deadline":null}}"#;

fn both(text: &str) -> (Result<String, String>, Result<String, String>) {
    let ours = serde_json::from_str::<OrderEvent>(text)
        .map(|event| serde_json::to_string(&event).unwrap())
        .map_err(|err| err.to_string());
    let reference = serde_json::from_str::<Reference>(text)
        .map(|event| serde_json::to_string(&event).unwrap())
        .map_err(|err| err.to_string());
    (ours, reference)
}

#[test]
fn written_as_serde_writes_it_and_read_back() {
    let event: OrderEvent = serde_json::from_str(READY).unwrap();
    assert_eq!(event.order_id().as_str(), "ord-1");
    assert_eq!(serde_json::to_string(&event).unwrap(), READY);
    let reference: Reference = serde_json::from_str(READY).unwrap();
    assert_eq!(serde_json::to_string(&reference).unwrap(), READY);
}

#[test]
fn every_key_order_and_extra_key_reads_as_the_derive_does() {
    for text in [
        READY,
        r#"{"type":"order.confirmed","data":{"order_id":"o-1"}}"#,
        r#"{"data":{"order_id":"o-1","reason":"r"},"type":"order.rejected"}"#,
        r#"{"type":"order.cancelled","data":{"order_id":"o-1"},"extra":[1,{"a":2}]}"#,
        r#"{"extra":1,"type":"order.cancelled","data":{"order_id":"o-1"}}"#,
        r#"{"type":"order.cancelled","extra":true,"data":{"order_id":"o-1"}}"#,
        r#"{"data":{"order_id":"o-1"},"extra":null,"type":"order.confirmed"}"#,
    ] {
        let (ours, reference) = both(text);
        assert!(reference.is_ok(), "{text}: reference {reference:?}");
        assert_eq!(ours, reference, "{text}");
    }
    // Through a `serde_json::Value`, which sorts its keys (`data` before `type`).
    let value: serde_json::Value = serde_json::from_str(READY).unwrap();
    let event: OrderEvent = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(serde_json::to_string(&event).unwrap(), READY);
    let event: OrderEvent = serde_json::from_str(&value.to_string()).unwrap();
    assert_eq!(serde_json::to_string(&event).unwrap(), READY);
}

#[test]
fn a_bad_event_is_refused_as_the_derive_refuses_it() {
    for text in [
        r#"{"type":"order.shipped","data":{"order_id":"o-1"}}"#,
        r#"{"data":{"order_id":"o-1"},"type":"order.shipped"}"#,
        r#"{"type":"order.confirmed"}"#,
        r#"{"data":{"order_id":"o-1"}}"#,
        r#"{}"#,
        r#"{"type":"order.confirmed","data":{}}"#,
        r#"{"type":"order.confirmed","data":{"order_id":7}}"#,
        r#"{"data":{"order_id":7},"type":"order.confirmed"}"#,
        r#"{"type":"order.confirmed","data":{"order_id":"o-1"},"type":"order.rejected"}"#,
        r#"{"type":"order.confirmed","type":"order.rejected","data":{"order_id":"o-1"}}"#,
        r#"{"type":"order.confirmed","data":{"order_id":"o-1"},"data":{"order_id":"o-2"}}"#,
        r#"{"data":{"order_id":"o-1"},"data":{"order_id":"o-2"},"type":"order.confirmed"}"#,
        r#"{"type":7,"data":{"order_id":"o-1"}}"#,
        r#""order.confirmed""#,
    ] {
        let (ours, reference) = both(text);
        assert!(reference.is_err(), "{text}: reference read {reference:?}");
        assert!(ours.is_err(), "{text}: read {ours:?}");
    }
    // The unknown type is named, with the known ones, as serde names them.
    let (ours, reference) = both(r#"{"type":"order.shipped","data":{"order_id":"o-1"}}"#);
    let (ours, reference) = (ours.unwrap_err(), reference.unwrap_err());
    assert!(ours.starts_with("unknown variant `order.shipped`, expected one of `order.confirmed`, `order.rejected`, `order.ready_for_pickup`, `order.cancelled`"), "{ours}");
    assert!(
        reference.starts_with("unknown variant `order.shipped`"),
        "{reference}"
    );
}

#[test]
fn member_events_keep_their_tags() {
    for text in [
        r#"{"type":"member.verified","data":{"member_id":"mem-1"}}"#,
        r#"{"type":"member.profile","data":{"member_id":"mem-1","birth_month":5}}"#,
        r#"{"type":"prescription.revoked","data":{"prescription_id":"rx-1","member_id":"mem-1"}}"#,
    ] {
        let event: MemberEvent = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_string(&event).unwrap(), text);
        let sorted = serde_json::from_str::<serde_json::Value>(text).unwrap();
        let event: MemberEvent = serde_json::from_value(sorted).unwrap();
        assert_eq!(serde_json::to_string(&event).unwrap(), text);
    }
    let err = serde_json::from_str::<MemberEvent>(r#"{"type":"order.confirmed","data":{}}"#)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("unknown variant `order.confirmed`"),
        "{err}"
    );
}
