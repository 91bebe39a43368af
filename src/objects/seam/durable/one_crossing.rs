//! A statement in one crossing into the runtime: the bindings as one JSON text in, the rows
//! (or the count of rows written) out as one JSON text or number, through a few lines of JS.
//! The `worker` crate's `SqlStorage::exec` pushes each binding into an `Array`, and reading a
//! row takes the cursor's iterator protocol plus up to six type probes per column: a
//! `/v1/me` crossed out of the wasm ~150 times, most of them here.
//! The JSON on either side: `seam::wire` (pure, tested natively).

pub use crate::objects::seam::wire::bindings_json as bindings;
use crate::objects::seam::wire::value_of;
use crate::objects::seam::{SqlError, Value};
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
