//! The misp-modules server: the module API (port 6666) and the web UI (port 7008) in one
//! process. `main.rs` only parses the command line and calls [`run`].
#![forbid(unsafe_code)]

pub mod api;
pub mod cli;
pub mod error;
pub mod startup;
pub mod store;
pub mod web;
pub mod web_setup;

pub use startup::{AppState, build_state, launch, run};
