//! Typed configuration from the worker's environment (wrangler vars and secrets), read once
//! per isolate. Binding names are constants here, not strings scattered around. Reading the
//! environment exists on wasm32 only; the names and the shape build natively too.

use crate::domain::delivery::RetryPolicy;
use crate::domain::rules::Rules;
#[cfg(target_arch = "wasm32")]
use std::cell::RefCell;
#[cfg(target_arch = "wasm32")]
use std::rc::Rc;
#[cfg(target_arch = "wasm32")]
use worker::Env;

pub const MEMBER_OBJECT: &str = "MEMBER";
pub const CAMPAIGN_OBJECT: &str = "CAMPAIGN";
pub const STOCK_OBJECT: &str = "STOCK";
pub const DIRECTORY_OBJECT: &str = "DIRECTORY";
pub const ORDER_OBJECT: &str = "ORDER";
pub const STORE_OBJECT: &str = "STORE";
pub const DEAD_LETTERS_OBJECT: &str = "DEAD_LETTERS";
pub const REFERRALS_OBJECT: &str = "REFERRALS";
/// The catalogue authority: versions, statuses and stop-sales (one instance).
pub const CATALOG_OBJECT: &str = "CATALOG_AUTHORITY";
/// KV namespace: SKU -> catalogue item, read by pages and by orders before the authority.
pub const CATALOG_KV: &str = "CATALOG";
/// KV namespace: share code -> member id, read on every tap of a referral link.
pub const REFERRAL_LINKS_KV: &str = "REFERRAL_LINKS";
/// The dead-letter registry is a single object.
pub const DEAD_LETTERS_NAME: &str = "outbox";
/// The directory is a single object.
pub const DIRECTORY_NAME: &str = "campaigns";

pub struct Config {
    pub rules: Rules,
    pub member_jwt_secret: String,
    pub staff_jwt_secret: String,
    /// Current and (during a rotation) previous core signing secrets.
    pub core_signing_secrets: Vec<String>,
    pub edge_signing_secret: String,
    /// Signs pickup QR codes (bound to order, member, store and time step).
    pub pickup_signing_secret: String,
    /// Signs store-poster links (扫码领券).
    pub poster_signing_secret: String,
    /// Derives share codes and keys the visitor and device hashes of the referral program.
    pub referral_secret: String,
    /// Where a tapped referral link lands (the app's welcome / registration page).
    pub referral_landing_url: String,
    /// Where a tapped store poster lands when set (e.g. the app's own claim page); by default
    /// this worker's claim page `/m/campaigns/{id}`.
    pub claim_page_url: Option<String>,
    /// This worker's public origin, for links it prints.
    pub public_base_url: String,
    pub core_base_url: String,
    pub core_timeout_ms: i64,
    pub retry: RetryPolicy,
    /// Lets tests set the business clock with `X-Test-Now`. Never on in production.
    pub allow_test_clock: bool,
    pub version: String,
}

#[cfg(target_arch = "wasm32")]
fn var(env: &Env, name: &str) -> Option<String> {
    env.var(name).ok().map(|value| value.to_string())
}

#[cfg(target_arch = "wasm32")]
fn number(env: &Env, name: &str, default: i64) -> Result<i64, String> {
    match var(env, name) {
        None => Ok(default),
        Some(raw) => raw
            .trim()
            .parse()
            .map_err(|_| format!("{name}: {raw:?} is not an integer")),
    }
}

#[cfg(target_arch = "wasm32")]
fn secret(env: &Env, name: &str) -> Result<String, String> {
    match var(env, name) {
        Some(value) if value.len() >= 16 => Ok(value),
        Some(_) => Err(format!("{name} must be at least 16 characters")),
        None => Err(format!("{name} is not set (see .dev.vars.example)")),
    }
}

#[cfg(target_arch = "wasm32")]
impl Config {
    pub fn from_env(env: &Env) -> Result<Config, String> {
        let rules = Rules::from_vars(|name| var(env, name)).map_err(|err| err.to_string())?;
        let mut core_signing_secrets = vec![secret(env, "CORE_SIGNING_SECRET")?];
        if let Some(previous) = var(env, "CORE_SIGNING_SECRET_PREVIOUS").filter(|s| !s.is_empty()) {
            core_signing_secrets.push(previous);
        }
        let retry = RetryPolicy {
            base_ms: number(env, "OUTBOX_RETRY_BASE_MS", 2_000)?,
            max_ms: number(env, "OUTBOX_RETRY_MAX_MS", 600_000)?,
            max_attempts: number(env, "OUTBOX_MAX_ATTEMPTS", 40)? as u32,
        };
        Ok(Config {
            rules,
            member_jwt_secret: secret(env, "MEMBER_JWT_SECRET")?,
            staff_jwt_secret: secret(env, "STAFF_JWT_SECRET")?,
            core_signing_secrets,
            edge_signing_secret: secret(env, "EDGE_SIGNING_SECRET")?,
            poster_signing_secret: secret(env, "POSTER_SIGNING_SECRET")?,
            pickup_signing_secret: secret(env, "PICKUP_SIGNING_SECRET")?,
            referral_secret: secret(env, "REFERRAL_SECRET")?,
            referral_landing_url: var(env, "REFERRAL_LANDING_URL")
                .unwrap_or_else(|| "https://m.pharmedge.dev/welcome".into()),
            claim_page_url: var(env, "CLAIM_PAGE_URL").filter(|url| !url.trim().is_empty()),
            public_base_url: var(env, "PUBLIC_BASE_URL")
                .unwrap_or_else(|| "http://127.0.0.1:8787".into())
                .trim_end_matches('/')
                .to_owned(),
            core_base_url: var(env, "CORE_BASE_URL")
                .unwrap_or_else(|| "http://127.0.0.1:8790".into())
                .trim_end_matches('/')
                .to_owned(),
            core_timeout_ms: number(env, "CORE_TIMEOUT_MS", 10_000)?,
            retry,
            allow_test_clock: var(env, "ALLOW_TEST_CLOCK").as_deref() == Some("true"),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        })
    }

    /// The isolate's configuration, parsed on first use.
    pub fn get(env: &Env) -> Result<Rc<Config>, String> {
        thread_local! {
            static CACHED: RefCell<Option<Rc<Config>>> = const { RefCell::new(None) };
        }
        if let Some(config) = CACHED.with(|cached| cached.borrow().clone()) {
            return Ok(config);
        }
        let config = Rc::new(Config::from_env(env)?);
        CACHED.with(|cached| *cached.borrow_mut() = Some(config.clone()));
        Ok(config)
    }
}
