//! The HTML pages people use (member H5 pages, the store counter, the marketing console): static
//! markup and scripts compiled into the worker, calling the same JSON API as everyone else.

pub mod entry;
pub mod site;

#[cfg(target_arch = "wasm32")]
pub mod serve;
