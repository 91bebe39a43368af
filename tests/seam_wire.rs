//! src/objects/seam/wire.rs: the JSON of a SQL statement run in one crossing carries the same
//! values as the `worker` crate's per-value conversions (JS numbers are doubles).
#![cfg(not(target_arch = "wasm32"))]

use pharmedge::objects::seam::wire::{bindings_json, value_of};
use pharmedge::objects::seam::Value;

#[test]
fn bindings_are_one_json_array() {
    let text = bindings_json(&[
        Value::Null,
        Value::Integer(-42),
        Value::Integer(1_764_000_000_123),
        Value::Real(2.5),
        Value::Text("a \"quoted\" 签到\n".into()),
    ])
    .unwrap();
    assert_eq!(
        text,
        r#"[null,-42,1764000000123,2.5,"a \"quoted\" 签到\n"]"#
    );
    assert_eq!(bindings_json(&[]).unwrap(), "[]");
}

#[test]
fn bindings_json_cannot_carry_take_the_other_path() {
    assert_eq!(bindings_json(&[Value::Blob(vec![1, 2])]), None);
    assert_eq!(bindings_json(&[Value::Real(f64::NAN)]), None);
    assert_eq!(bindings_json(&[Value::Real(f64::INFINITY)]), None);
}

fn value(json: &str) -> Value {
    value_of("q", serde_json::from_str(json).unwrap()).unwrap()
}

#[test]
fn row_values_are_the_worker_crates() {
    assert_eq!(value("null"), Value::Null);
    assert_eq!(value("5"), Value::Integer(5));
    assert_eq!(
        value("-9007199254740991"),
        Value::Integer(-9_007_199_254_740_991)
    );
    // Outside the safe integers a JS number is a real, as `worker` decides.
    assert_eq!(
        value("9007199254740992"),
        Value::Real(9_007_199_254_740_992.0)
    );
    assert_eq!(value("1e+21"), Value::Real(1e21));
    assert_eq!(value("0.1"), Value::Real(0.1));
    assert_eq!(value("true"), Value::Integer(1));
    assert_eq!(value(r#""签到""#), Value::Text("签到".into()));
    assert_eq!(value(r#"{"blob":[0,255,7]}"#), Value::Blob(vec![0, 255, 7]));
}

#[test]
fn row_values_of_another_shape_are_errors() {
    for json in [r#"{"blob":[256]}"#, r#"{"x":1}"#, "[1]"] {
        let error = value_of("SELECT x", serde_json::from_str(json).unwrap()).unwrap_err();
        assert_eq!(error.context, "SELECT x", "{json}");
    }
}
