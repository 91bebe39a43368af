//! A statement in one crossing into the runtime: the bindings as one JSON text in, the rows
//! (or the count of rows written) out as one JSON text or number, through a few lines of JS.
//! The `worker` crate's `SqlStorage::exec` pushes each binding into an `Array`, and reading a
//! row takes the cursor's iterator protocol plus up to six type probes per column: a
//! `/v1/me` crossed out of the wasm ~150 times, most of them here.
//!
//! The same values either way: JS numbers are doubles (an integer binding goes as the same
//! double `i as f64` gives; a result is an integer when it is a safe integer, as the
//! `worker` crate decides); blobs come back as `{"blob": [bytes]}`. Bindings that JSON cannot
//! carry (a blob, a non-finite real) take the `worker` crate's path (`bindings` is `None`).

use super::{SqlError, Value};
use worker::wasm_bindgen::{self, prelude::wasm_bindgen, JsValue};
use worker::SqlStorage;

#[wasm_bindgen(inline_js = r#"
export function run(sql, query, bindings) {
  const cursor = sql.exec(query, ...JSON.parse(bindings));
  for (const _ of cursor.raw());
  return cursor.rowsWritten;
}
export function rows(sql, query, bindings) {
  return JSON.stringify(sql.exec(query, ...JSON.parse(bindings)).raw().toArray(), blob);
}
function blob(key, value) {
  return value instanceof ArrayBuffer ? { blob: Array.from(new Uint8Array(value)) } : value;
}
"#)]
extern "C" {
    #[wasm_bindgen(catch, js_name = run)]
    fn run_js(sql: &JsValue, query: &str, bindings: &str) -> Result<f64, JsValue>;
    #[wasm_bindgen(catch, js_name = rows)]
    fn rows_js(sql: &JsValue, query: &str, bindings: &str) -> Result<String, JsValue>;
}

/// The bindings as a JSON array, if JSON carries them all.
pub fn bindings(values: &[Value]) -> Option<String> {
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

fn failed(query: &str, thrown: JsValue) -> SqlError {
    SqlError::new(query, worker::Error::from(thrown).to_string())
}

pub fn run(sql: &SqlStorage, query: &str, bindings: &str) -> Result<usize, SqlError> {
    let written = run_js(sql.as_ref(), query, bindings).map_err(|err| failed(query, err))?;
    Ok(written as usize)
}

pub fn rows(sql: &SqlStorage, query: &str, bindings: &str) -> Result<Vec<Vec<Value>>, SqlError> {
    let text = rows_js(sql.as_ref(), query, bindings).map_err(|err| failed(query, err))?;
    let rows: Vec<Vec<serde_json::Value>> = serde_json::from_str(&text)
        .map_err(|err| SqlError::shape(query, format!("rows: {err}")))?;
    rows.into_iter()
        .map(|row| {
            row.into_iter()
                .map(|value| value_of(query, value))
                .collect()
        })
        .collect()
}

/// The largest integer a double holds exactly (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE: i64 = (1 << 53) - 1;

fn value_of(query: &str, value: serde_json::Value) -> Result<Value, SqlError> {
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
