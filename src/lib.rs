//! pharmedge: the edge layer of a pharmacy membership and growth system.
//!
//! `domain`, the pure parts of `http` (errors, tokens, signatures, path matching) and the
//! objects' transactions (written against the SQL seam, `objects::seam`) build and test
//! natively; everything that touches the Workers runtime exists only on wasm32.

pub mod config;
pub mod domain;
pub mod http;
pub mod objects;
pub mod pages;

#[cfg(target_arch = "wasm32")]
mod core_link;
#[cfg(target_arch = "wasm32")]
mod features;
#[cfg(target_arch = "wasm32")]
mod routes;

#[cfg(target_arch = "wasm32")]
pub use objects::campaign::{directory::DirectoryObject, stock::StockObject, CampaignObject};
#[cfg(target_arch = "wasm32")]
pub use objects::catalog::CatalogObject;
#[cfg(target_arch = "wasm32")]
pub use objects::member::MemberObject;
#[cfg(target_arch = "wasm32")]
pub use objects::{
    dead_letters::DeadLetterObject, order::OrderObject, referral_registry::ReferralRegistryObject,
    store::StoreObject,
};

#[cfg(target_arch = "wasm32")]
#[worker::event(fetch)]
pub async fn fetch(
    req: worker::Request,
    env: worker::Env,
    ctx: worker::Context,
) -> worker::Result<worker::Response> {
    Ok(routes::dispatch(req, env, ctx).await)
}

/// The Cron Trigger (wrangler.toml `[triggers]`): warms the stock shards of scheduled
/// campaigns' occurrences opening soon. Its clock is the event's scheduled time.
#[cfg(target_arch = "wasm32")]
#[worker::event(scheduled)]
pub async fn scheduled(
    event: worker::ScheduledEvent,
    env: worker::Env,
    _ctx: worker::ScheduleContext,
) {
    let millis = event.schedule() as i64;
    let now = domain::time::Instant::from_millis(millis);
    let warmed = features::campaign_cron::warm(&env, now).await;
    if !warmed.is_empty() {
        worker::console_log!("cron {}: warmed {}", event.cron(), warmed.join(", "));
    }
}
