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

/// The worker's `fetch`, as scripts/lib/shim.js calls it: the runtime's request with its
/// method and URL read on the JS side. Answers the text of a `response::Lean` (the shim makes
/// the `Response`) or a `Response` built through the `worker` crate.
#[cfg(target_arch = "wasm32")]
#[worker::wasm_bindgen::prelude::wasm_bindgen(
    wasm_bindgen = ::worker::wasm_bindgen,
    wasm_bindgen_futures = ::worker::wasm_bindgen_futures,
    js_sys = ::worker::js_sys
)]
pub async fn serve(
    request: worker::worker_sys::web_sys::Request,
    method: String,
    url: String,
    env: worker::Env,
    ctx: worker::worker_sys::Context,
) -> Result<worker::wasm_bindgen::JsValue, worker::wasm_bindgen::JsValue> {
    let incoming = http::request::Incoming::new(request, method, url);
    let answer = routes::dispatch(incoming, env, worker::Context::new(ctx)).await;
    Ok(match answer {
        http::response::Answer::Text(lean) => worker::wasm_bindgen::JsValue::from(lean.encode()),
        http::response::Answer::Runtime(response) => {
            worker::worker_sys::web_sys::Response::from(response).into()
        }
    })
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
