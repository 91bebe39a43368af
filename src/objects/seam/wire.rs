//! The JSON wire of a SQL statement run in one crossing into the runtime
//! (`seam/durable/one_crossing.rs`): bindings out as one JSON array, row values back from
//! `JSON.stringify` of the runtime's raw rows. Pure, so it is tested natively
//! (tests/seam_wire.rs).
//!
//! The same values as the `worker` crate's conversions: JS numbers are doubles (an integer
//! binding goes as the digits JSON.parse reads as `i as f64`; a result is an integer when it
//! is a safe integer); blobs come back as `{"blob": [bytes]}`; bindings JSON cannot carry (a
//! blob, a non-finite real) answer `None` and take the `worker` crate's path.

use super::{SqlError, Value};

/// The bindings as a JSON array, if JSON carries them all.
pub fn bindings_json(values: &[Value]) -> Option<String> {
    let mut text = String::from("[");
    for (at, value) in values.iter().enumerate() {
        if at > 0 {
            text.push(',');
        }
        match value {
            Value::Null => text.push_str("null"),
            Value::Integer(n) => text.push_str(&n.to_string()),
            Value::Real(x) if x.is_finite() => text.push_str(&serde_json::to_string(x).ok()?),
            Value::Text(t) => text.push_str(&serde_json::to_string(t).ok()?),
            Value::Real(_) | Value::Blob(_) => return None,
        }
    }
    text.push(']');
    Some(text)
}

/// A row value from the JSON text of the runtime's raw rows.
/// The largest integer a double holds exactly (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE: i64 = (1 << 53) - 1;

pub fn value_of(query: &str, value: serde_json::Value) -> Result<Value, SqlError> {
    use serde_json::Value as Json;
    Ok(match value {
        Json::Null => Value::Null,
        Json::Bool(flag) => Value::Integer(i64::from(flag)),
        Json::Number(n) => match n.as_i64() {
            Some(i) if (-MAX_SAFE..=MAX_SAFE).contains(&i) => Value::Integer(i),
            _ => Value::Real(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(text) => Value::Text(text),
        Json::Object(mut map) => match map.remove("blob") {
            Some(Json::Array(bytes)) => Value::Blob(
                bytes
                    .iter()
                    .map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
                    .collect::<Option<Vec<u8>>>()
                    .ok_or_else(|| SqlError::shape(query, "a blob's bytes".into()))?,
            ),
            _ => return Err(SqlError::shape(query, "an object in a row".into())),
        },
        Json::Array(_) => return Err(SqlError::shape(query, "an array in a row".into())),
    })
}
