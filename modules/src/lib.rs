//! The module engine of misp-modules-stack and its built-in modules.
//!
//! A module is a value implementing [`engine::Module`]; the [`engine::Registry`] lists and
//! finds them, and [`engine::Engine`] runs one query with a deadline, a concurrency cap and
//! panic isolation so that one module's failure never reaches another query.
#![forbid(unsafe_code)]

pub mod builtin;
pub mod custom;
pub mod engine;
pub mod grouped;
pub mod misp;
pub mod parse;
pub mod pycompat;
pub mod service;

pub use engine::{Engine, EngineLimits, Module, ModuleError, Outcome, QueryRequest, Registry};
