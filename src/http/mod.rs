//! HTTP edge: the error type and its mapping, tokens, signatures, request JSON and bodies,
//! path matching (pure), and on wasm32 the request/response plumbing around the Workers runtime.

pub mod bodies;
pub mod error;
mod error_from;
mod error_serde;
mod error_text;
pub mod json;
pub mod jwt;
pub mod router;
pub mod signature;
pub mod url_text;

#[cfg(target_arch = "wasm32")]
pub mod auth;
#[cfg(target_arch = "wasm32")]
pub mod rate_limit;
#[cfg(target_arch = "wasm32")]
pub mod request;
#[cfg(target_arch = "wasm32")]
pub mod response;
