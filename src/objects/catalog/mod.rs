//! The catalogue authority: one Durable Object that holds every SKU's current version, the
//! core's status, and an admin's stop-sale. It is the truth orders are checked against, so a
//! stop acknowledged here is refused in every order placed after it, in every isolate. KV
//! holds a copy for pages and for the order path's first read; this object writes it.
//!
//! `repo` holds its transactions over the seam (tests/objects_catalog.rs), `protocol` its
//! commands; `object` (wasm32) is the Durable Object and its KV sync, `client` the worker's
//! side.

#[cfg(target_arch = "wasm32")]
pub mod client;
#[cfg(target_arch = "wasm32")]
mod object;
pub mod protocol;
pub mod repo;

#[cfg(target_arch = "wasm32")]
pub use object::CatalogObject;

/// The one instance.
pub const AUTHORITY_NAME: &str = "catalog";
