//! The seam over a Durable Object's own SQLite: `ctx.storage.sql` and `transactionSync`.

use super::{FromRow, Row, Sql, SqlError, Transact, Value};
use std::cell::OnceCell;
use worker::js_sys::{Function, Reflect};
use worker::wasm_bindgen::closure::Closure;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::{SqlStorage, SqlStorageValue, Storage};

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
    let cursor = sql
        .exec(query, bindings(values))
        .map_err(|err| SqlError::new(query, err.to_string()))?;
    // Drain the cursor so the statement completes before counting.
    let _ = cursor.raw().count();
    Ok(cursor.rows_written())
}

fn rows<T: FromRow>(sql: &SqlStorage, query: &str, values: Vec<Value>) -> Result<Vec<T>, SqlError> {
    let cursor = sql
        .exec(query, bindings(values))
        .map_err(|err| SqlError::new(query, err.to_string()))?;
    cursor
        .raw()
        .map(|raw| {
            let raw = raw.map_err(|err| SqlError::new(query, err.to_string()))?;
            T::from_row(Row::new(raw.into_iter().map(from_js).collect())).map_err(|mut err| {
                err.context = query.to_owned();
                err
            })
        })
        .collect()
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
