//! Reading requests: body size limit, content type, JSON with errors that name the field,
//! headers, the query string, and the effective clock.

use super::error::ApiError;
use super::json::is_json_content_type;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::cell::OnceCell;
use worker::js_sys::{futures::JsFuture, Uint8Array};
use worker::worker_sys::web_sys;

pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The runtime's request as the handlers read it: the method and URL that
/// scripts/lib/shim.js hands over with it, the headers read one by one when asked (the
/// `Headers` object fetched once), the body only when a handler reads it. The `worker`
/// crate's `Request` reads the URL, method, headers and `cf` of every request up front.
pub struct Incoming {
    raw: web_sys::Request,
    method: String,
    url: String,
    headers: OnceCell<web_sys::Headers>,
    body_used: bool,
}

impl Incoming {
    pub fn new(raw: web_sys::Request, method: String, url: String) -> Incoming {
        Incoming {
            raw,
            method,
            url,
            headers: OnceCell::new(),
            body_used: false,
        }
    }

    pub fn method(&self) -> &str {
        &self.method
    }

    /// The whole URL, as the runtime serialized it.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The path of the URL (the runtime's serialization: after the host, before `?`/`#`).
    pub fn path(&self) -> &str {
        crate::http::url_text::path(&self.url)
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get_or_init(|| self.raw.headers())
            .get(name)
            .ok()
            .flatten()
    }

    /// The body of a request that declared none (`Content-Length: 0`): empty, and used.
    fn declared_empty(&mut self) -> Result<Vec<u8>, ApiError> {
        if std::mem::replace(&mut self.body_used, true) {
            return Err(ApiError::invalid("body could not be read"));
        }
        Ok(Vec::new())
    }

    /// The body's bytes; none when the request has no body (no read, no promise). A second
    /// read fails, as the runtime's does.
    async fn bytes(&mut self) -> Result<Vec<u8>, ()> {
        if std::mem::replace(&mut self.body_used, true) {
            return Err(());
        }
        if self.raw.body().is_none() {
            return Ok(Vec::new());
        }
        let buffer = JsFuture::from(self.raw.array_buffer().map_err(|_| ())?)
            .await
            .map_err(|_| ())?;
        Ok(Uint8Array::new(&buffer).to_vec())
    }
}

/// The raw body, refused with 413 over the limit (checked on the declared length first,
/// then on what actually arrives).
pub async fn body_bytes(req: &mut Incoming) -> Result<Vec<u8>, ApiError> {
    body_bytes_up_to(req, MAX_BODY_BYTES).await
}

/// `body_bytes` with a route's own limit (the core's catalogue batches are larger).
pub async fn body_bytes_up_to(req: &mut Incoming, limit: usize) -> Result<Vec<u8>, ApiError> {
    let too_large = ApiError::PayloadTooLarge { limit_bytes: limit };
    if let Some(length) = header(req, "Content-Length") {
        match length.trim().parse::<usize>() {
            Ok(n) if n > limit => return Err(too_large),
            // Declared empty: nothing to read (no promise to wait for). With a
            // Transfer-Encoding too, that encoding frames the body (RFC 9112 6.3): read it.
            Ok(0) if header(req, "Transfer-Encoding").is_none() => return req.declared_empty(),
            _ => {}
        }
    }
    let bytes = req
        .bytes()
        .await
        .map_err(|()| ApiError::invalid("body could not be read"))?;
    if bytes.len() > limit {
        return Err(too_large);
    }
    Ok(bytes)
}

/// Parsing lives in `json` (pure, fuzzed); re-exported for the handlers.
pub use super::json::parse_json;

/// 415 unless the request's `Content-Type` is `application/json` (see `json::is_json_content_type`).
pub fn require_json(req: &Incoming) -> Result<(), ApiError> {
    if is_json_content_type(&header(req, "Content-Type").unwrap_or_default()) {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType)
    }
}

/// A JSON body: 415 without a JSON content type, 413 over the limit, 400 when malformed.
pub async fn json_body<T: DeserializeOwned + Serialize>(
    req: &mut Incoming,
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
    req: &mut Incoming,
) -> Result<Option<T>, ApiError> {
    let bytes = body_bytes(req).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    require_json(req)?;
    parse_json(&bytes).map(Some)
}

pub fn header(req: &Incoming, name: &str) -> Option<String> {
    req.header(name)
}

/// A query parameter, first occurrence.
pub fn query(req: &Incoming, name: &str) -> Result<Option<String>, ApiError> {
    Ok(crate::http::url_text::query_param(req.url(), name))
}

/// Wall-clock now. Worker time advances only across I/O, which is precise enough here.
pub fn wall_now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(worker::Date::now().as_millis() as i64).unwrap_or_default()
}

/// The business clock: wall time, or `X-Test-Now` when the test clock is enabled.
pub fn business_now(req: &Incoming, allow_test_clock: bool) -> Result<DateTime<Utc>, ApiError> {
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
pub fn idempotency_key(req: &Incoming) -> Result<Option<String>, ApiError> {
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
