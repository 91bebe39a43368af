//! Abuse limits before any object is asked, on the Workers rate-limiting binding. They
//! bound how fast one member or one client can write; the exact rules (one check-in a day,
//! per-member claim limits, stock) stay with the owning objects. In production a binding
//! counts per Cloudflare location and is eventually consistent, which is what an abuse
//! limit needs; it is never a correctness limit.

use super::error::ApiError;
use worker::js_sys::futures::JsFuture;
use worker::Env;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Check-ins, make-ups, claims, orders, share links: per member.
    MemberWrites,
    /// Taps of one share link from one client.
    LinkTaps,
}

impl Limit {
    /// The binding in wrangler.toml (`[[ratelimits]]`).
    fn binding(self) -> &'static str {
        match self {
            Limit::MemberWrites => "MEMBER_WRITES",
            Limit::LinkTaps => "LINK_TAPS",
        }
    }

    /// The binding's period (wrangler.toml `simple.period`), sent as `Retry-After`.
    fn period_s(self) -> u32 {
        match self {
            Limit::MemberWrites => 10,
            Limit::LinkTaps => 60,
        }
    }
}

/// 429 `rate_limited` with `Retry-After` once `key` is over `limit`. A missing binding or a
/// failing limiter lets the request through: the objects still enforce every real rule.
pub async fn check(env: &Env, limit: Limit, key: String) -> Result<(), ApiError> {
    let outcome = match js::limit(env, limit.binding(), &key) {
        Ok(None) => return Ok(()),
        Ok(Some(outcome)) => JsFuture::from(outcome)
            .await
            .map(|success| success.as_bool()),
        Err(err) => Err(err),
    };
    match outcome {
        Ok(Some(false)) => Err(ApiError::RateLimited {
            retry_after_s: limit.period_s(),
        }),
        Ok(Some(true)) => Ok(()),
        failed => {
            worker::console_warn!("rate limiter {} failed: {failed:?}", limit.binding());
            Ok(())
        }
    }
}

/// The binding's `limit({ key })` and its outcome's `success` in one crossing (the `worker`
/// crate's `RateLimiter` checks the binding's class and converts the option and the outcome
/// through serde, a dozen crossings): a promise of `success`, none without the binding.
mod js {
    use worker::js_sys::Promise;
    use worker::wasm_bindgen::{self, prelude::wasm_bindgen, JsValue};
    use worker::Env;

    #[wasm_bindgen(
        inline_js = "export function limit(env, binding, key) { const limiter = env[binding]; return limiter === undefined ? undefined : limiter.limit({ key }).then((outcome) => outcome.success); }"
    )]
    extern "C" {
        #[wasm_bindgen(catch)]
        pub fn limit(env: &Env, binding: &str, key: &str) -> Result<Option<Promise>, JsValue>;
    }
}
