//! Writing responses: JSON with a status, and problem+json from an `ApiError`.
//!
//! The hot paths and every problem answer as text ([`Lean`]): one string handed to
//! scripts/lib/shim.js, which makes the runtime's `Response` from it, instead of a dozen
//! crossings building `Headers`, `ResponseInit`, a `Uint8Array` and the `Response` from the
//! wasm. The other routes build a `worker::Response` as before ([`Answer::Runtime`]).

use super::error::ApiError;
use serde::Serialize;
use worker::{Headers, Response};

/// What a route answers.
pub enum Answer {
    /// Built here; crosses to the shim as one string.
    Text(Lean),
    /// Built through the `worker` crate (pages, images, the routes off the hot paths).
    Runtime(Response),
}

impl From<Response> for Answer {
    fn from(response: Response) -> Self {
        Answer::Runtime(response)
    }
}

impl From<Lean> for Answer {
    fn from(lean: Lean) -> Self {
        Answer::Text(lean)
    }
}

/// A response as text: status, headers, body (empty: no body at all).
pub struct Lean {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
}

impl Lean {
    /// `body` as `content_type`, never cached.
    pub fn new(status: u16, content_type: &str, body: String) -> Lean {
        Lean {
            status,
            headers: vec![
                ("Content-Type", content_type.to_owned()),
                ("Cache-Control", "no-store".to_owned()),
            ],
            body,
        }
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Lean {
        self.headers.push((name, value.into()));
        self
    }

    /// The text `answer` in scripts/lib/shim.js reads: the status on the first line, then a
    /// `name:value` line per header, an empty line, and the body. A header value never holds
    /// a line break (the runtime's `Headers` refuses one too); one is cut off here.
    pub fn encode(&self) -> String {
        let mut text = String::with_capacity(self.body.len() + 96);
        text.push_str(&self.status.to_string());
        text.push('\n');
        for (name, value) in &self.headers {
            let value = value.split(['\r', '\n']).next().unwrap_or_default();
            text.push_str(name);
            text.push(':');
            text.push_str(value);
            text.push('\n');
        }
        text.push('\n');
        text.push_str(&self.body);
        text
    }
}

pub fn with_type(body: String, status: u16, content_type: &str) -> Response {
    let headers = Headers::new();
    let _ = headers.set("Content-Type", content_type);
    let _ = headers.set("Cache-Control", "no-store");
    Response::builder()
        .with_status(status)
        .with_headers(headers)
        .fixed(body.into_bytes())
}

pub fn json<T: Serialize>(status: u16, value: &T) -> Result<Response, ApiError> {
    let body = serde_json::to_string(value).map_err(|_| ApiError::Internal)?;
    Ok(with_type(body, status, "application/json; charset=utf-8"))
}

/// `json` as text (the hot paths).
pub fn json_text<T: Serialize>(status: u16, value: &T) -> Result<Answer, ApiError> {
    let body = serde_json::to_string(value).map_err(|_| ApiError::Internal)?;
    Ok(Answer::Text(Lean::new(
        status,
        "application/json; charset=utf-8",
        body,
    )))
}

pub fn problem(error: &ApiError) -> Lean {
    let problem = error.to_problem();
    let mut lean = Lean::new(
        problem.status,
        "application/problem+json",
        problem.body.to_string(),
    );
    lean.headers.extend(problem.headers);
    lean
}

/// A 302 to `location`, never cached (every tap is counted or checked again).
pub fn redirect(location: &str) -> Result<Response, ApiError> {
    let headers = Headers::new();
    headers
        .set("Location", location)
        .map_err(|_| ApiError::Internal)?;
    headers
        .set("Cache-Control", "no-store")
        .map_err(|_| ApiError::Internal)?;
    Ok(Response::builder()
        .with_status(302)
        .with_headers(headers)
        .empty())
}

/// `redirect` as text (the referral link's tap): no body.
pub fn redirect_text(location: &str) -> Lean {
    Lean {
        status: 302,
        headers: vec![
            ("Location", location.to_owned()),
            ("Cache-Control", "no-store".to_owned()),
        ],
        body: String::new(),
    }
}
