//! Reading requests: body size limit, content type, JSON with errors that name the field,
//! headers, the query string, and the effective clock.

use super::error::ApiError;
use super::json::is_json_content_type;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::Request;

pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The raw body, refused with 413 over the limit (checked on the declared length first,
/// then on what actually arrives).
pub async fn body_bytes(req: &mut Request) -> Result<Vec<u8>, ApiError> {
    body_bytes_up_to(req, MAX_BODY_BYTES).await
}

/// `body_bytes` with a route's own limit (the core's catalogue batches are larger).
pub async fn body_bytes_up_to(req: &mut Request, limit: usize) -> Result<Vec<u8>, ApiError> {
    let too_large = ApiError::PayloadTooLarge { limit_bytes: limit };
    if let Some(length) = header(req, "Content-Length") {
        if length.trim().parse::<usize>().is_ok_and(|n| n > limit) {
            return Err(too_large);
        }
    }
    let bytes = req
        .bytes()
        .await
        .map_err(|_| ApiError::invalid("body could not be read"))?;
    if bytes.len() > limit {
        return Err(too_large);
    }
    Ok(bytes)
}

/// Parsing lives in `json` (pure, fuzzed); re-exported for the handlers.
pub use super::json::parse_json;

/// 415 unless the request's `Content-Type` is `application/json` (see `json::is_json_content_type`).
pub fn require_json(req: &Request) -> Result<(), ApiError> {
    if is_json_content_type(&header(req, "Content-Type").unwrap_or_default()) {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType)
    }
}

/// A JSON body: 415 without a JSON content type, 413 over the limit, 400 when malformed.
pub async fn json_body<T: DeserializeOwned + Serialize>(
    req: &mut Request,
) -> Result<(T, Vec<u8>), ApiError> {
    require_json(req)?;
    let bytes = body_bytes(req).await?;
    if bytes.is_empty() {
        return Err(ApiError::invalid("body: a JSON object is required"));
    }
    Ok((parse_json(&bytes)?, bytes))
}

/// For endpoints whose body is optional: an empty body is `None`; a non-empty one must be JSON.
pub async fn optional_json_body<T: DeserializeOwned + Serialize>(
    req: &mut Request,
) -> Result<Option<T>, ApiError> {
    let bytes = body_bytes(req).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    require_json(req)?;
    parse_json(&bytes).map(Some)
}

pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// A query parameter, first occurrence.
pub fn query(req: &Request, name: &str) -> Result<Option<String>, ApiError> {
    Ok(crate::http::url_text::query_param(&req.inner().url(), name))
}

/// Wall-clock now. Worker time advances only across I/O, which is precise enough here.
pub fn wall_now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(worker::Date::now().as_millis() as i64).unwrap_or_default()
}

/// The business clock: wall time, or `X-Test-Now` when the test clock is enabled.
pub fn business_now(req: &Request, allow_test_clock: bool) -> Result<DateTime<Utc>, ApiError> {
    if allow_test_clock {
        if let Some(raw) = header(req, "X-Test-Now") {
            return crate::domain::time::parse_test_clock(&raw).ok_or_else(|| {
                ApiError::invalid("X-Test-Now: an RFC 3339 instant from 2000 to 2099")
            });
        }
    }
    Ok(wall_now())
}

/// The optional `Idempotency-Key`: 1 to 255 visible ASCII characters.
pub fn idempotency_key(req: &Request) -> Result<Option<String>, ApiError> {
    match header(req, "Idempotency-Key") {
        None => Ok(None),
        Some(key)
            if (1..=255).contains(&key.len())
                && key.bytes().all(|b| (0x21..=0x7e).contains(&b)) =>
        {
            Ok(Some(key))
        }
        Some(_) => Err(ApiError::invalid(
            "Idempotency-Key: 1 to 255 visible ASCII characters",
        )),
    }
}

/// Fingerprint of a request body, to tell a replay from a reuse of its Idempotency-Key.
pub fn body_hash(scope: &str, body: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(scope.as_bytes());
    hasher.update(b"\n");
    hasher.update(body);
    crate::domain::ids::hex(&hasher.finalize())
}

/// A path parameter that must be an id.
pub fn path_id<T>(
    raw: Option<&str>,
    name: &str,
    parse: impl Fn(&str) -> Result<T, crate::domain::ids::InvalidId>,
) -> Result<T, ApiError> {
    parse(raw.unwrap_or_default())
        .map_err(|_| ApiError::invalid(format!("{name}: must match [A-Za-z0-9_-]{{1,64}}")))
}
