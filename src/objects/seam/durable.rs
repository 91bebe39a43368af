//! The seam over a Durable Object's own SQLite: `ctx.storage.sql` and `transactionSync`.

use super::{FromRow, Row, Sql, SqlError, Transact, Value};
use std::cell::OnceCell;
use worker::js_sys::{Function, Reflect};
use worker::wasm_bindgen::closure::Closure;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::{SqlStorage, SqlStorageValue, Storage};

/// One statement, one crossing into the runtime: the bindings go in as one JSON text and the
/// rows come back as one (the `worker` crate's cursor converts value by value, several
/// crossings per column). A statement with a blob binding takes the `worker` crate's way.
mod statement {
    use wasm_bindgen::prelude::wasm_bindgen;
    use wasm_bindgen::{JsCast, JsValue};

    #[wasm_bindgen(inline_js = r#"
function exec(sql, query, bindings) {
  return sql.exec(query, ...JSON.parse(bindings));
}
export function seam_rows(sql, query, bindings) {
  const rows = Array.from(exec(sql, query, bindings).raw());
  for (const row of rows) {
    for (const value of row) {
      if (value !== null && typeof value === "object") throw new Error("a BLOB column: read it another way");
    }
  }
  return JSON.stringify(rows);
}
export function seam_run(sql, query, bindings) {
  const cursor = exec(sql, query, bindings);
  for (const _ of cursor.raw()) {}
  return cursor.rowsWritten;
}
"#)]
    extern "C" {
        #[wasm_bindgen(catch, js_name = seam_rows)]
        pub fn rows(sql: &JsValue, query: &str, bindings: &str) -> Result<String, JsValue>;
        #[wasm_bindgen(catch, js_name = seam_run)]
        pub fn run(sql: &JsValue, query: &str, bindings: &str) -> Result<f64, JsValue>;
    }

    /// What the runtime said (SQLite's message, which `SqlError` reads for transience).
    pub fn message(thrown: JsValue) -> String {
        match thrown.dyn_ref::<worker::js_sys::Error>() {
            Some(error) => String::from(error.message()),
            None => thrown.as_string().unwrap_or_else(|| format!("{thrown:?}")),
        }
    }
}

/// An object's storage with its SQL handle read once (each `storage.sql()` crosses into JS),
/// and `transactionSync` looked up on first use. Both are the same for the object's life, so
/// an object may keep one `Durable` for all its requests.
pub struct Durable {
    pub storage: Storage,
    pub sql: SqlStorage,
    transaction_sync: OnceCell<Function>,
}

impl Durable {
    pub fn new(storage: Storage) -> Self {
        let sql = storage.sql();
        Durable {
            storage,
            sql,
            transaction_sync: OnceCell::new(),
        }
    }
}

fn to_js(value: Value) -> SqlStorageValue {
    match value {
        Value::Null => SqlStorageValue::Null,
        Value::Integer(n) => SqlStorageValue::Integer(n),
        Value::Real(x) => SqlStorageValue::Float(x),
        Value::Text(text) => SqlStorageValue::String(text),
        Value::Blob(bytes) => SqlStorageValue::Blob(bytes),
    }
}

fn from_js(value: SqlStorageValue) -> Value {
    match value {
        SqlStorageValue::Null => Value::Null,
        SqlStorageValue::Boolean(flag) => Value::Integer(i64::from(flag)),
        SqlStorageValue::Integer(n) => Value::Integer(n),
        SqlStorageValue::Float(x) => Value::Real(x),
        SqlStorageValue::String(text) => Value::Text(text),
        SqlStorageValue::Blob(bytes) => Value::Blob(bytes),
    }
}

fn bindings(values: Vec<Value>) -> Vec<SqlStorageValue> {
    values.into_iter().map(to_js).collect()
}

fn run(sql: &SqlStorage, query: &str, values: Vec<Value>) -> Result<usize, SqlError> {
    if let Some(json) = json_bindings(&values) {
        let written = statement::run(sql.as_ref(), query, &json)
            .map_err(|thrown| SqlError::new(query, statement::message(thrown)))?;
        return Ok(written as usize);
    }
    let cursor = sql
        .exec(query, bindings(values))
        .map_err(|err| SqlError::new(query, err.to_string()))?;
    // Drain the cursor so the statement completes before counting.
    let _ = cursor.raw().count();
    Ok(cursor.rows_written())
}

fn rows<T: FromRow>(sql: &SqlStorage, query: &str, values: Vec<Value>) -> Result<Vec<T>, SqlError> {
    raw_rows(sql, query, values)?
        .into_iter()
        .map(|values| {
            T::from_row(Row::new(values)).map_err(|mut err| {
                err.context = query.to_owned();
                err
            })
        })
        .collect()
}

/// The rows a query answers, as values (not generic: one copy in the wasm).
fn raw_rows(
    sql: &SqlStorage,
    query: &str,
    values: Vec<Value>,
) -> Result<Vec<Vec<Value>>, SqlError> {
    if let Some(json) = json_bindings(&values) {
        let text = statement::rows(sql.as_ref(), query, &json)
            .map_err(|thrown| SqlError::new(query, statement::message(thrown)))?;
        let rows: Vec<Vec<Cell>> = serde_json::from_str(&text)
            .map_err(|err| SqlError::shape(query, format!("rows: {err}")))?;
        return Ok(rows
            .into_iter()
            .map(|row| row.into_iter().map(|Cell(value)| value).collect())
            .collect());
    }
    let cursor = sql
        .exec(query, bindings(values))
        .map_err(|err| SqlError::new(query, err.to_string()))?;
    cursor
        .raw()
        .map(|raw| {
            let raw = raw.map_err(|err| SqlError::new(query, err.to_string()))?;
            Ok(raw.into_iter().map(from_js).collect())
        })
        .collect()
}

/// The bindings as one JSON array, unless one is a blob (which JSON cannot carry: those go
/// value by value). Integers travel as the same doubles either way.
fn json_bindings(values: &[Value]) -> Option<String> {
    let mut json = String::from("[");
    for (index, value) in values.iter().enumerate() {
        if index > 0 {
            json.push(',');
        }
        match value {
            Value::Null => json.push_str("null"),
            Value::Integer(n) => json.push_str(&n.to_string()),
            Value::Real(x) => json.push_str(&serde_json::Number::from_f64(*x)?.to_string()),
            Value::Text(text) => json.push_str(&serde_json::to_string(text).ok()?),
            Value::Blob(_) => return None,
        }
    }
    json.push(']');
    Some(json)
}

/// One column of a row read as JSON: a number without a fraction is an integer, as the
/// runtime's own conversion decides.
struct Cell(Value);

impl<'de> serde::Deserialize<'de> for Cell {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = Cell;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a column value")
            }
            fn visit_unit<E>(self) -> Result<Cell, E> {
                Ok(Cell(Value::Null))
            }
            fn visit_bool<E>(self, flag: bool) -> Result<Cell, E> {
                Ok(Cell(Value::Integer(i64::from(flag))))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Cell, E> {
                Ok(Cell(Value::Integer(n)))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Cell, E> {
                Ok(Cell(
                    i64::try_from(n).map_or(Value::Real(n as f64), Value::Integer),
                ))
            }
            fn visit_f64<E>(self, x: f64) -> Result<Cell, E> {
                Ok(Cell(Value::Real(x)))
            }
            fn visit_str<E>(self, text: &str) -> Result<Cell, E> {
                Ok(Cell(Value::Text(text.to_owned())))
            }
            fn visit_string<E>(self, text: String) -> Result<Cell, E> {
                Ok(Cell(Value::Text(text)))
            }
        }
        deserializer.deserialize_any(Visit)
    }
}

fn transaction_sync(storage: &Storage) -> Result<Function, SqlError> {
    let raw: &JsValue = storage.as_raw().as_ref();
    Reflect::get(raw, &JsValue::from_str("transactionSync"))
        .ok()
        .and_then(|value| value.dyn_into().ok())
        .ok_or_else(|| SqlError::shape("transaction", "no transactionSync".into()))
}

fn atomically<T, E: From<SqlError>>(
    storage: &Storage,
    transaction_sync: &Function,
    work: impl FnOnce() -> Result<T, E>,
) -> Result<T, E> {
    let mut outcome: Option<Result<T, E>> = None;
    let mut work = Some(work);
    let mut callback = || -> Result<JsValue, JsValue> {
        let Some(work) = work.take() else {
            return Err(JsValue::from_str("called twice"));
        };
        let result = work();
        let failed = result.is_err();
        outcome = Some(result);
        if failed {
            // Throwing makes the runtime roll the transaction back.
            Err(JsValue::from_str("rolled back"))
        } else {
            Ok(JsValue::UNDEFINED)
        }
    };
    let raw: &JsValue = storage.as_raw().as_ref();
    // Borrowed, not 'static: transactionSync calls it before it returns, and the closure is
    // invalidated when `scoped` drops.
    let call = {
        let scoped =
            Closure::<dyn FnMut() -> Result<JsValue, JsValue>>::borrow_mut_aborting(&mut callback);
        transaction_sync.call1(raw, scoped.as_ref().unchecked_ref())
    };
    match (call, outcome) {
        (Ok(_), Some(result)) => result,
        (Err(_), Some(Err(error))) => Err(error),
        (Err(thrown), _) => {
            let mut error = SqlError::new("transaction", format!("{thrown:?}"));
            // A commit that failed may well succeed on a retry.
            error.transient = true;
            Err(error.into())
        }
        (Ok(_), None) => Err(SqlError::shape("transaction", "work did not run".into()).into()),
    }
}

impl Sql for Durable {
    fn run(&self, query: &str, bindings: Vec<Value>) -> Result<usize, SqlError> {
        run(&self.sql, query, bindings)
    }

    fn rows<T: FromRow>(&self, query: &str, bindings: Vec<Value>) -> Result<Vec<T>, SqlError> {
        rows(&self.sql, query, bindings)
    }
}

impl Transact for Durable {
    fn atomically<T, E: From<SqlError>>(
        &self,
        work: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        let function = match self.transaction_sync.get() {
            Some(function) => function,
            None => {
                let function = transaction_sync(&self.storage)?;
                self.transaction_sync.get_or_init(|| function)
            }
        };
        atomically(&self.storage, function, work)
    }
}

/// Statements alone, for code that runs inside a transaction begun elsewhere.
impl Sql for SqlStorage {
    fn run(&self, query: &str, bindings: Vec<Value>) -> Result<usize, SqlError> {
        run(self, query, bindings)
    }

    fn rows<T: FromRow>(&self, query: &str, bindings: Vec<Value>) -> Result<Vec<T>, SqlError> {
        rows(self, query, bindings)
    }
}

/// For callers that hold only the `Storage` (each statement reads `storage.sql` again).
impl Sql for Storage {
    fn run(&self, query: &str, bindings: Vec<Value>) -> Result<usize, SqlError> {
        run(&self.sql(), query, bindings)
    }

    fn rows<T: FromRow>(&self, query: &str, bindings: Vec<Value>) -> Result<Vec<T>, SqlError> {
        rows(&self.sql(), query, bindings)
    }
}

impl Transact for Storage {
    fn atomically<T, E: From<SqlError>>(
        &self,
        work: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        atomically(self, &transaction_sync(self)?, work)
    }
}
