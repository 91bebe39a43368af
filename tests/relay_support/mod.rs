//! What the relay tests share: an instant from its text, and the check that a reply the
//! object wrote (through a `Value`) is relayed as its type's own text.

use pharmedge::domain::time::{parse_instant, Instant};
use pharmedge::objects::relay::{reorder_compact, KeyOrder, Relayed};
use serde::Serialize;

pub fn at(text: &str) -> Instant {
    Instant(parse_instant(text).unwrap())
}

/// The object's text (through a `Value`), relayed, is the type's own text.
pub fn relays_as_written<R: Serialize + KeyOrder>(reply: &R) {
    let own = serde_json::to_string(reply).unwrap();
    let object = serde_json::to_value(reply).unwrap().to_string();
    let relayed = Relayed::<R>::from_reply(&object).unwrap().into_text();
    assert_eq!(relayed, own);
    // On the object's compact text, without a `Value`.
    let mut compact = String::new();
    assert_eq!(reorder_compact(&object, &R::KEYS, &mut compact), Some(()));
    assert_eq!(compact, own);
    // Another spelling of the same reply (whitespace): read through a `Value`, the same text.
    let spaced = serde_json::to_string_pretty(&serde_json::to_value(reply).unwrap()).unwrap();
    let relayed = Relayed::<R>::from_reply(&spaced).unwrap().into_text();
    assert_eq!(relayed, own);
}
