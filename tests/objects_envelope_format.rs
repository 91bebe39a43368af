//! An object's answer envelope, `{"ok": reply}` or `{"err": ApiError}`, opened by text
//! (`protocol::open_envelope`): the same replies and refusals as serde's derive of the
//! envelope (kept here as the reference) for what objects write, any other spelling of it,
//! and what it refuses.

use pharmedge::http::error::ApiError;
use pharmedge::objects::member::protocol::CheckinReply;
use pharmedge::objects::protocol::{open_envelope, Opened};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::borrow::Cow;

/// The envelope as `rpc` declared it before: written by objects (still), read by the derive.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Envelope<R> {
    Ok(R),
    Err(ApiError),
}

/// What the envelope holds, by both readers: the reply as a JSON value, or the error's text.
fn by_derive(text: &str) -> Option<Result<Value, String>> {
    match serde_json::from_str::<Envelope<Value>>(text).ok()? {
        Envelope::Ok(reply) => Some(Ok(reply)),
        Envelope::Err(error) => Some(Err(serde_json::to_string(&error).unwrap())),
    }
}

fn by_text(text: &str) -> Option<Result<Value, String>> {
    match open_envelope(text).ok()? {
        Opened::Reply(reply) => Some(Ok(serde_json::from_str(&reply).ok()?)),
        Opened::Refused(error) => Some(Err(serde_json::to_string(&error).unwrap())),
    }
}

#[test]
fn what_objects_write_opens_to_the_reply_text_itself() {
    let reply = CheckinReply {
        date: pharmedge::domain::time::BusinessDate(
            pharmedge::domain::time::parse_date("2026-11-24").unwrap(),
        ),
        streak: 3,
        cycle_day: 3,
        points_awarded: 10,
        bonus_points: 0,
        balance: 120,
        already_checked_in: false,
    };
    let text = serde_json::to_string(&Envelope::<_>::Ok(&reply)).unwrap();
    match open_envelope(&text).unwrap() {
        // The reply's own text, borrowed: not decoded, not written again.
        Opened::Reply(inner) => {
            assert!(matches!(inner, Cow::Borrowed(_)));
            assert_eq!(inner, serde_json::to_string(&reply).unwrap());
        }
        Opened::Refused(error) => panic!("refused: {error:?}"),
    }
    let refusal = Envelope::<()>::Err(ApiError::invalid("month: expected YYYY-MM"));
    let text = serde_json::to_string(&refusal).unwrap();
    assert_eq!(
        text,
        r#"{"err":{"code":"invalid_request","detail":"month: expected YYYY-MM"}}"#
    );
    match open_envelope(&text).unwrap() {
        Opened::Refused(error) => assert_eq!(error.code(), "invalid_request"),
        Opened::Reply(inner) => panic!("opened as a reply: {inner}"),
    }
}

#[test]
fn envelopes_open_as_the_derive_opened_them() {
    let cases = [
        r#"{"ok":null}"#,
        r#"{"ok":true}"#,
        r#"{"ok":{"a":1,"b":[1,2,{"c":"}"}]}}"#,
        r#"{"ok":"}"}"#,
        r#"{"ok":{}}"#,
        r#"{"err":{"code":"sold_out"}}"#,
        r#"{"err":{"code":"unavailable"}}"#,
        r#"{"err":{"code":"invalid_request","detail":"x"}}"#,
        // Other spellings of the same envelope.
        r#" {"ok":1}"#,
        r#"{"ok":1} "#,
        r#"{ "ok" : {"a": 1} }"#,
        r#"{"err": {"code": "sold_out"}}"#,
        "{\"ok\":\n[1]\n}",
        // Refused by both.
        r#"{"ok":1,"err":{"code":"sold_out"}}"#,
        r#"{"ok":1}}"#,
        r#"{"ok":}"#,
        r#"{"ok":1"#,
        r#"{"okay":1}"#,
        r#"{"err":{"code":"no_such_code"}}"#,
        r#"{"err":{"detail":"x"}}"#,
        r#"{"err":1}"#,
        r#"{}"#,
        r#"[]"#,
        r#"null"#,
        r#""ok""#,
        r#"{"ok":1},{"ok":2}"#,
        "",
    ];
    for text in cases {
        assert_eq!(by_text(text), by_derive(text), "{text}");
    }
    // The cases above are not all refusals: the readers agree on replies too.
    assert_eq!(
        by_text(r#"{ "ok" : {"a": 1} }"#),
        Some(Ok(serde_json::json!({"a": 1})))
    );
}
