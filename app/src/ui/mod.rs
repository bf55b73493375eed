//! The web UI: a Leptos application rendered on the server and hydrated in the browser.
//! Pages read through typed server functions; changes go through plain HTML form posts to
//! the server (see `web::forms`), so every page also works before the wasm bundle loads.

#[cfg(feature = "ssr")]
pub mod backend;
mod components;
mod pages;
pub mod server_fns;
mod shell;

pub use shell::{App, shell};
