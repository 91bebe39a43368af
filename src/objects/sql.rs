//! SQLite helpers for Durable Objects: an all-or-nothing transaction.

use crate::http::error::ApiError;
use worker::Storage;

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
