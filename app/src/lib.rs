//! Wire types of the misp-modules HTTP protocol.
//!
//! Everything here is plain serde data so that the server, the module engine, the tests
//! and the browser build share one definition of what crosses the wire.
#![forbid(unsafe_code)]
// The typed views of the results page nest deeply.
#![recursion_limit = "256"]

pub mod descriptor;
pub mod error_body;
pub mod misp;
pub mod statistics;

pub use descriptor::{ModuleDescriptor, ModuleType};
pub use error_body::{ErrorBody, GENERIC_ERROR};
pub use misp::{MispAttribute, MispObject, MispTag, ObjectReference, StandardResults};
pub mod web;

#[cfg(feature = "ui")]
pub mod ui;
