//! The SQL seam: what an object's transactions need of a database, and nothing else. Run a
//! statement, read rows as typed values, and do a piece of work all or nothing.
//!
//! `worker::Storage` implements it in production (`seam::durable`, `transactionSync`), real
//! SQLite (rusqlite) in `cargo test` (tests/support/sqlite.rs), the way cloudflare/azul puts
//! its storage behind `LockBackend` / `ObjectBackend`. Rows are decoded by position
//! ([`FromRow`]) from the values the database hands over: no JSON in between.

#[cfg(target_arch = "wasm32")]
pub mod durable;

use crate::http::error::ApiError;

/// A value as SQLite stores it (the Durable Object runtime hands integers over as numbers).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl From<i64> for Value {
    fn from(value: i64) -> Self {
        Value::Integer(value)
    }
}

impl From<u32> for Value {
    fn from(value: u32) -> Self {
        Value::Integer(i64::from(value))
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Self {
        Value::Integer(i64::from(value))
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Value::Text(value)
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Value::Text(value.to_owned())
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(value: Option<T>) -> Self {
        value.map_or(Value::Null, Into::into)
    }
}

/// A storage failure: which statement, what the database said, and whether another attempt
/// may succeed (busy, out of memory). Becomes 503 (transient) or 500 at the object's edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlError {
    pub context: String,
    pub message: String,
    pub transient: bool,
}

impl SqlError {
    pub fn new(context: &str, message: String) -> Self {
        let transient = crate::domain::storage::is_transient(&message);
        SqlError {
            context: context.to_owned(),
            message,
            transient,
        }
    }

    /// A row that does not have the shape its reader expects: a bug, never transient.
    pub fn shape(context: &str, message: String) -> Self {
        SqlError {
            context: context.to_owned(),
            message,
            transient: false,
        }
    }
}

impl From<SqlError> for ApiError {
    fn from(error: SqlError) -> Self {
        log_error(&format!(
            "storage error in {}: {}",
            error.context, error.message
        ));
        if error.transient {
            ApiError::Unavailable
        } else {
            ApiError::Internal
        }
    }
}

/// Logs an internal failure (never request data): the console on Workers, stderr natively.
pub fn log_error(message: &str) {
    #[cfg(target_arch = "wasm32")]
    worker::console_error!("{message}");
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("{message}");
}

/// Logs something odd that the object survives.
pub fn log_warn(message: &str) {
    #[cfg(target_arch = "wasm32")]
    worker::console_warn!("{message}");
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("{message}");
}

/// One row as the database answered it, read by column position.
#[derive(Debug, Default)]
pub struct Row {
    values: Vec<Value>,
}

impl Row {
    pub fn new(values: Vec<Value>) -> Self {
        Row { values }
    }

    /// Takes column `index` as a `T` (each column is read once).
    pub fn get<T: FromValue>(&mut self, index: usize) -> Result<T, SqlError> {
        let value = self
            .values
            .get_mut(index)
            .map(std::mem::take)
            .ok_or_else(|| SqlError::shape("row", format!("no column {index}")))?;
        T::from_value(value).map_err(|found| {
            SqlError::shape(
                "row",
                format!(
                    "column {index}: expected {}, found {found:?}",
                    std::any::type_name::<T>()
                ),
            )
        })
    }
}

/// A Rust value one column decodes to; `Err` hands back what was found.
pub trait FromValue: Sized {
    fn from_value(value: Value) -> Result<Self, Value>;
}

impl FromValue for i64 {
    fn from_value(value: Value) -> Result<Self, Value> {
        match value {
            Value::Integer(n) => Ok(n),
            // The Workers runtime hands a number past 2^53 over as a float.
            Value::Real(x) if x.fract() == 0.0 => Ok(x as i64),
            other => Err(other),
        }
    }
}

impl FromValue for u32 {
    fn from_value(value: Value) -> Result<Self, Value> {
        let n = i64::from_value(value)?;
        u32::try_from(n).map_err(|_| Value::Integer(n))
    }
}

impl FromValue for bool {
    fn from_value(value: Value) -> Result<Self, Value> {
        Ok(i64::from_value(value)? != 0)
    }
}

impl FromValue for String {
    fn from_value(value: Value) -> Result<Self, Value> {
        match value {
            Value::Text(text) => Ok(text),
            other => Err(other),
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: Value) -> Result<Self, Value> {
        match value {
            Value::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

/// A type read from one row, by column position (the query names its columns in order).
pub trait FromRow: Sized {
    fn from_row(row: Row) -> Result<Self, SqlError>;
}

macro_rules! tuple_from_row {
    ($($name:ident $index:tt),+) => {
        impl<$($name: FromValue),+> FromRow for ($($name,)+) {
            fn from_row(mut row: Row) -> Result<Self, SqlError> {
                Ok(($(row.get::<$name>($index)?,)+))
            }
        }
    };
}
tuple_from_row!(A 0);
tuple_from_row!(A 0, B 1);
tuple_from_row!(A 0, B 1, C 2);
tuple_from_row!(A 0, B 1, C 2, D 3);
tuple_from_row!(A 0, B 1, C 2, D 3, E 4);

/// What an object's transactions need of a database: statements and typed rows.
pub trait Sql {
    /// Runs a statement to completion; answers the number of rows it wrote.
    fn run(&self, query: &str, bindings: Vec<Value>) -> Result<usize, SqlError>;

    /// Runs a query and decodes each row it answers.
    fn rows<T: FromRow>(&self, query: &str, bindings: Vec<Value>) -> Result<Vec<T>, SqlError>;

    /// The first row a query answers, if any.
    fn row<T: FromRow>(&self, query: &str, bindings: Vec<Value>) -> Result<Option<T>, SqlError> {
        Ok(self.rows(query, bindings)?.into_iter().next())
    }
}

/// A database that can also run a piece of work all or nothing.
pub trait Transact: Sql {
    /// Runs `work` so that its statements commit together, or, if it returns an error, none
    /// of them do. `work` is synchronous, so nothing can interleave: this is the
    /// check-then-write critical section of every object. A failure of the commit itself is
    /// reported as a transient [`SqlError`].
    fn atomically<T, E: From<SqlError>>(&self, work: impl FnOnce() -> Result<T, E>)
        -> Result<T, E>;
}

/// The one mapping of an enum to and from the name it is stored under: every enum kept in a
/// column declares it once, here-shaped, and rows read it back or fail with the odd value.
///
/// ```ignore
/// stored_names!(Fulfilment { Pickup => "pickup", Delivery => "delivery" });
/// ```
#[macro_export]
macro_rules! stored_names {
    ($type:ty { $( $variant:ident => $name:literal ),+ $(,)? }) => {
        impl $crate::objects::seam::FromValue for $type {
            fn from_value(
                value: $crate::objects::seam::Value,
            ) -> Result<Self, $crate::objects::seam::Value> {
                let name = <String as $crate::objects::seam::FromValue>::from_value(value)?;
                match name.as_str() {
                    $( $name => Ok(<$type>::$variant), )+
                    _ => Err($crate::objects::seam::Value::Text(name)),
                }
            }
        }
        impl From<$type> for $crate::objects::seam::Value {
            fn from(value: $type) -> Self {
                $crate::objects::seam::Value::Text(
                    match value {
                        $( <$type>::$variant => $name, )+
                    }
                    .to_owned(),
                )
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_decode_by_position_into_their_types() {
        let row = Row::new(vec![
            Value::Text("ord-1".into()),
            Value::Null,
            Value::Integer(7),
            Value::Real(9_007_199_254_740_992.0),
            Value::Integer(1),
        ]);
        let decoded: (String, Option<i64>, u32, i64, bool) = FromRow::from_row(row).unwrap();
        assert_eq!(
            decoded,
            ("ord-1".into(), None, 7, 9_007_199_254_740_992, true)
        );
    }

    #[test]
    fn a_column_of_another_type_is_an_error_naming_it() {
        let mut row = Row::new(vec![Value::Integer(1), Value::Text("x".into())]);
        let error = row.get::<i64>(1).unwrap_err();
        assert!(!error.transient);
        assert!(error.message.contains("column 1"), "{error:?}");
        assert!(row.get::<String>(5).is_err());
        assert!(u32::from_value(Value::Integer(-1)).is_err());
        assert!(i64::from_value(Value::Real(1.5)).is_err());
    }

    #[test]
    fn storage_errors_become_503_when_another_attempt_may_succeed() {
        let busy = SqlError::new("q", "SQLITE_BUSY: database is locked".into());
        assert!(busy.transient);
        assert_eq!(ApiError::from(busy), ApiError::Unavailable);
        let broken = SqlError::new("q", "no such column: x".into());
        assert_eq!(ApiError::from(broken), ApiError::Internal);
    }
}
