//! SQLite helpers for Durable Objects: an all-or-nothing transaction and error mapping.

use crate::domain::storage;
use crate::http::error::ApiError;
use std::cell::RefCell;
use std::rc::Rc;
use worker::js_sys::{Function, Reflect};
use worker::wasm_bindgen::closure::Closure;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::Storage;

/// Logs a storage failure (never request data) and hides it behind `Unavailable` (503 with
/// Retry-After) when another attempt may succeed (out of memory, busy), else `Internal`.
pub fn internal(context: &str) -> impl Fn(worker::Error) -> ApiError + '_ {
    move |err| {
        let message = err.to_string();
        worker::console_error!("storage error in {context}: {message}");
        if storage::is_transient(&message) {
            ApiError::Unavailable
        } else {
            ApiError::Internal
        }
    }
}

/// Runs `work` inside `storage.transactionSync`: its SQL statements commit together, or, if it
/// returns an error, none of them do. `work` is synchronous, so nothing can interleave: this
/// is the check-then-write critical section of every object.
pub fn atomically<T: 'static>(
    storage: &Storage,
    work: impl FnOnce() -> Result<T, ApiError> + 'static,
) -> Result<T, ApiError> {
    let outcome: Rc<RefCell<Option<Result<T, ApiError>>>> = Rc::default();
    let slot = outcome.clone();
    let mut work = Some(work);
    let callback = Closure::<dyn FnMut() -> Result<JsValue, JsValue>>::new(move || {
        let result = work.take().map_or(Err(ApiError::Internal), |work| work());
        let failed = result.is_err();
        *slot.borrow_mut() = Some(result);
        if failed {
            // Throwing makes the runtime roll the transaction back.
            Err(JsValue::from_str("rolled back"))
        } else {
            Ok(JsValue::UNDEFINED)
        }
    });
    let raw: &JsValue = storage.as_raw().as_ref();
    let transaction_sync: Function = Reflect::get(raw, &JsValue::from_str("transactionSync"))
        .ok()
        .and_then(|value| value.dyn_into().ok())
        .ok_or(ApiError::Internal)?;
    let call = transaction_sync.call1(raw, callback.as_ref().unchecked_ref());
    drop(callback);
    let result = outcome.borrow_mut().take();
    match (call, result) {
        (Ok(_), Some(result)) => result,
        (Err(_), Some(Err(error))) => Err(error),
        (Err(thrown), _) => {
            worker::console_error!("transaction failed: {thrown:?}");
            Err(ApiError::Unavailable)
        }
        (Ok(_), None) => Err(ApiError::Internal),
    }
}

/// The rows a query answers, typed. Failures are logged with the query (never its values).
pub fn rows<T: serde::de::DeserializeOwned>(
    sql: &worker::SqlStorage,
    query: &str,
    bindings: Vec<worker::SqlStorageValue>,
) -> Result<Vec<T>, ApiError> {
    sql.exec(query, bindings)
        .and_then(|cursor| cursor.to_array())
        .map_err(internal(query))
}

/// Runs a statement to completion; answers the rows it wrote.
pub fn run(
    sql: &worker::SqlStorage,
    query: &str,
    bindings: Vec<worker::SqlStorageValue>,
) -> Result<usize, ApiError> {
    sql.exec(query, bindings)
        .map(|cursor| {
            // Drain the cursor so the statement completes before counting.
            let _ = cursor.raw().count();
            cursor.rows_written()
        })
        .map_err(internal(query))
}
