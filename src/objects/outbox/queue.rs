//! Queuing a delivery: a row written in the same transaction as the change it reports.
//! Plain SQL through the seam, so it runs natively too; delivery itself is `outbox`'s.

use crate::domain::delivery::Target;
use crate::domain::events::OutboundEvent;
use crate::http::error::ApiError;
use crate::objects::schema::Module;
use crate::objects::seam::Sql;
use serde::Serialize;

/// The outbox table, for any object that queues deliveries.
pub const MODULE: Module = Module {
    name: "outbox",
    migrations: &[&[SCHEMA]],
    baseline: &[],
};

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS outbox (
    key TEXT PRIMARY KEY,
    target TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    first_attempt_ms INTEGER,
    last_error TEXT,
    reported INTEGER NOT NULL DEFAULT 0
)";

/// Where a row goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Core(Target),
    /// The object named `name` in the namespace bound as `binding`.
    Object {
        binding: String,
        name: String,
    },
}

impl Destination {
    pub fn encode(&self) -> String {
        match self {
            Destination::Core(target) => target.as_str().to_owned(),
            Destination::Object { binding, name } => format!("object:{binding}:{name}"),
        }
    }

    pub fn parse(raw: &str) -> Option<Destination> {
        if let Some(rest) = raw.strip_prefix("object:") {
            let (binding, name) = rest.split_once(':')?;
            return Some(Destination::Object {
                binding: binding.to_owned(),
                name: name.to_owned(),
            });
        }
        Target::parse(raw).map(Destination::Core)
    }
}

thread_local! {
    static QUEUED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// How many rows this isolate has asked to queue so far: an object that read its outbox
/// empty compares it before and after a command to know whether it must read again.
pub fn queued_count() -> u64 {
    QUEUED.with(std::cell::Cell::get)
}

/// Queues a delivery. The key is the idempotency key; queuing the same key twice is a no-op.
pub fn enqueue(
    sql: &(impl Sql + ?Sized),
    key: &str,
    destination: &Destination,
    kind: &str,
    body: &str,
    now_ms: i64,
) -> Result<(), ApiError> {
    QUEUED.with(|queued| queued.set(queued.get() + 1));
    sql.run(
        "INSERT OR IGNORE INTO outbox (key, target, kind, body, next_attempt_ms, created_ms) VALUES (?, ?, ?, ?, ?, ?)",
        vec![key.into(), destination.encode().into(), kind.into(), body.into(), now_ms.into(), now_ms.into()],
    )?;
    Ok(())
}

pub fn enqueue_event(
    sql: &(impl Sql + ?Sized),
    event: &OutboundEvent,
    now_ms: i64,
) -> Result<(), ApiError> {
    let body = serde_json::to_string(event).map_err(|_| ApiError::Internal)?;
    enqueue(
        sql,
        &event.id,
        &Destination::Core(Target::Events),
        event.event_type,
        &body,
        now_ms,
    )
}

/// Queues `command` for the object `name` bound as `binding`, e.g. a coupon release.
pub fn enqueue_command<C: Serialize>(
    sql: &(impl Sql + ?Sized),
    key: &str,
    binding: &str,
    name: &str,
    kind: &str,
    command: &C,
    now_ms: i64,
) -> Result<(), ApiError> {
    let body = serde_json::to_string(command).map_err(|_| ApiError::Internal)?;
    let destination = Destination::Object {
        binding: binding.to_owned(),
        name: name.to_owned(),
    };
    enqueue(sql, key, &destination, kind, &body, now_ms)
}
