//! One file per capability: each handler authenticates, parses, asks the owner object and
//! maps the answer.

pub mod checkins;
pub mod core_events;
pub mod health;
pub mod me;
pub mod points;

use crate::config::Config;
use chrono::{DateTime, Utc};
use std::rc::Rc;
use worker::{Env, Request};

/// Everything a handler gets.
pub struct Ctx {
    pub req: Request,
    pub env: Env,
    pub config: Rc<Config>,
    /// The business clock (wall time unless the test clock is enabled).
    pub now: DateTime<Utc>,
}
