//! The `protocol!` wire format: `{"op": .., ...fields}` decoded in one pass when `op` comes
//! first (as every writer puts it), and in any key order (a `serde_json::Value` sorts keys).

use pharmedge::objects::referral_registry::protocol::{
    GetStats, LookupCode, RecordFact, RegistryCommand,
};
use serde_json::json;

fn record(text: &str) -> RecordFact {
    match serde_json::from_str::<RegistryCommand>(text).unwrap() {
        RegistryCommand::Record(fact) => fact,
        other => panic!("decoded as {other:?}"),
    }
}

#[test]
fn the_tag_is_written_first_and_read_back() {
    let fact = RecordFact {
        fact_id: "bind-1".into(),
        label: "bound".into(),
        now_ms: 7,
    };
    let text = serde_json::to_string(&RegistryCommand::from(fact.clone())).unwrap();
    assert_eq!(
        text,
        r#"{"op":"record","fact_id":"bind-1","label":"bound","now_ms":7}"#
    );
    assert_eq!(record(&text), fact);
}

#[test]
fn any_key_order_decodes_the_same() {
    let expected = RecordFact {
        fact_id: "f \"1\"".into(),
        label: "bound".into(),
        now_ms: 7,
    };
    for text in [
        r#"{"fact_id":"f \"1\"","op":"record","label":"bound","now_ms":7}"#,
        r#"{"fact_id":"f \"1\"","label":"bound","now_ms":7,"op":"record"}"#,
        r#"{"now_ms":7,"label":"bound","fact_id":"f \"1\"","op":"record"}"#,
    ] {
        assert_eq!(record(text), expected, "{text}");
    }
    let from_value: RegistryCommand =
        serde_json::from_value(json!({"op": "lookup_code", "code": "ABC"})).unwrap();
    assert!(
        matches!(from_value, RegistryCommand::LookupCode(LookupCode { code }) if code == "ABC")
    );
    let empty: RegistryCommand = serde_json::from_str(r#"{"op":"stats"}"#).unwrap();
    assert!(matches!(empty, RegistryCommand::Stats(GetStats {})));
}

#[test]
fn a_bad_command_is_refused_not_guessed() {
    for text in [
        r#"{"op":"recrd","fact_id":"f","label":"l","now_ms":1}"#,
        r#"{"fact_id":"f","label":"l","now_ms":1}"#,
        r#"{"op":"record","fact_id":"f","now_ms":1}"#,
        r#"{"label":"l","op":"record","fact_id":"f"}"#,
        r#"{"op":"record","fact_id":"f","label":"l","now_ms":"1"}"#,
        r#"{"op":7}"#,
        r#"{}"#,
        r#"["record"]"#,
        r#""record""#,
    ] {
        assert!(
            serde_json::from_str::<RegistryCommand>(text).is_err(),
            "{text} decoded"
        );
    }
}
