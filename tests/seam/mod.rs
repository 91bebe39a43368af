//! The SQL seam over real SQLite (rusqlite, in memory), for native tests of the objects'
//! transactions: the same statements, the same migrations, the same all-or-nothing rule as
//! a Durable Object's `transactionSync`. Each test file uses only part of it.
#![allow(dead_code)]

use pharmedge::objects::seam::{FromRow, Row, Sql, SqlError, Transact, Value};
use rusqlite::types::{Value as Stored, ValueRef};
use rusqlite::{params_from_iter, Connection};
use std::cell::Cell;

/// One object's database.
pub struct Sqlite {
    pub connection: Connection,
    /// How deep in `atomically` we are (a Durable Object's transactions nest too).
    depth: Cell<u32>,
}

impl Sqlite {
    pub fn open() -> Self {
        Sqlite {
            connection: Connection::open_in_memory().expect("in-memory SQLite"),
            depth: Cell::new(0),
        }
    }

    /// Runs a statement straight on the connection (test setup: faults, inspection).
    pub fn raw(&self, sql: &str) {
        self.connection.execute_batch(sql).expect(sql);
    }
}

fn bind(value: Value) -> Stored {
    match value {
        Value::Null => Stored::Null,
        Value::Integer(n) => Stored::Integer(n),
        Value::Real(x) => Stored::Real(x),
        Value::Text(text) => Stored::Text(text),
        Value::Blob(bytes) => Stored::Blob(bytes),
    }
}

fn read(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(n) => Value::Integer(n),
        ValueRef::Real(x) => Value::Real(x),
        ValueRef::Text(text) => Value::Text(String::from_utf8_lossy(text).into_owned()),
        ValueRef::Blob(bytes) => Value::Blob(bytes.to_vec()),
    }
}

fn failed(query: &str) -> impl Fn(rusqlite::Error) -> SqlError + '_ {
    move |err| SqlError::new(query, err.to_string())
}

impl Sql for Sqlite {
    fn run(&self, query: &str, bindings: Vec<Value>) -> Result<usize, SqlError> {
        let before = self.connection.total_changes();
        let mut statement = self.connection.prepare(query).map_err(failed(query))?;
        let mut rows = statement
            .query(params_from_iter(bindings.into_iter().map(bind)))
            .map_err(failed(query))?;
        while rows.next().map_err(failed(query))?.is_some() {}
        Ok((self.connection.total_changes() - before) as usize)
    }

    fn rows<T: FromRow>(&self, query: &str, bindings: Vec<Value>) -> Result<Vec<T>, SqlError> {
        let mut statement = self.connection.prepare(query).map_err(failed(query))?;
        let columns = statement.column_count();
        let mut rows = statement
            .query(params_from_iter(bindings.into_iter().map(bind)))
            .map_err(failed(query))?;
        let mut decoded = Vec::new();
        while let Some(row) = rows.next().map_err(failed(query))? {
            let values = (0..columns)
                .map(|index| row.get_ref(index).map(read))
                .collect::<Result<Vec<_>, _>>()
                .map_err(failed(query))?;
            decoded.push(T::from_row(Row::new(values))?);
        }
        Ok(decoded)
    }
}

impl Transact for Sqlite {
    fn atomically<T, E: From<SqlError>>(
        &self,
        work: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        let savepoint = format!("seam{}", self.depth.get());
        self.connection
            .execute_batch(&format!("SAVEPOINT {savepoint}"))
            .map_err(failed("savepoint"))?;
        self.depth.set(self.depth.get() + 1);
        let result = work();
        self.depth.set(self.depth.get() - 1);
        let end = match &result {
            Ok(_) => format!("RELEASE {savepoint}"),
            Err(_) => format!("ROLLBACK TO {savepoint}; RELEASE {savepoint}"),
        };
        self.connection
            .execute_batch(&end)
            .map_err(|err| SqlError::new("commit", err.to_string()))?;
        result
    }
}

pub mod member;
pub mod order;
pub mod referral;

/// Runs a future whose awaits never wait: every fake neighbour (a shard, another member's
/// object) answers at once, so one poll finishes it.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut future = std::pin::pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("a fake neighbour waited"),
    }
}
