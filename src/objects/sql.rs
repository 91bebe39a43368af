//! SQLite helpers for Durable Objects: an all-or-nothing transaction and error mapping.

use crate::domain::storage;
use crate::http::error::ApiError;
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
    // One transactionSync glue for every object: the seam's (a commit that fails is transient).
    crate::objects::seam::Transact::atomically(storage, work)
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
