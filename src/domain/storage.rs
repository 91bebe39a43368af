//! Which storage failures are the runtime's passing trouble (answer 503 and let the client
//! retry) and which are bugs (answer 500).

/// Messages of failures that another attempt may not meet: the runtime out of memory for
/// SQLite, storage busy or overloaded, an object reset under the request.
const TRANSIENT: &[&str] = &[
    "SQLITE_NOMEM",
    "out of memory",
    "SQLITE_BUSY",
    "SQLITE_FULL",
    "SQLITE_IOERR",
    "overloaded",
    "reset",
    "exceeded its memory limit",
    "Network connection lost",
];

/// Whether a storage failure with this message is worth a retry.
pub fn is_transient(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    TRANSIENT
        .iter()
        .any(|needle| lower.contains(&needle.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_out_of_memory_is_transient() {
        assert!(is_transient(
            "Error: SQLITE_NOMEM: sqlite3 result code 7: out of memory"
        ));
        assert!(is_transient(
            "Durable Object reset because its code was updated."
        ));
        assert!(is_transient(
            "Durable Object's isolate exceeded its memory limit and was reset."
        ));
    }

    #[test]
    fn a_bug_is_not() {
        assert!(!is_transient("no such table: coupons: SQLITE_ERROR"));
        assert!(!is_transient("UNIQUE constraint failed: ledger.kind"));
    }
}
