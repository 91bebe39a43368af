//! Writing responses: JSON with a status, and problem+json from an `ApiError`.

use super::error::ApiError;
use serde::Serialize;
use worker::{Headers, Response};

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

pub fn problem(error: &ApiError) -> Response {
    let problem = error.to_problem();
    let response = with_type(
        problem.body.to_string(),
        problem.status,
        "application/problem+json",
    );
    for (name, value) in &problem.headers {
        let _ = response.headers().set(name, value);
    }
    response
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
