//! Custom modules: upstream-style Python files (`DIR/<type>/<name>.py`) run by a pool of
//! Python worker processes, so a deployment's existing modules keep working unchanged.

mod discover;
mod python_module;
mod worker_pool;

pub use discover::{CustomError, load_custom_modules};
pub use python_module::PythonModule;
pub use worker_pool::WorkerPool;

/// The Python side of the bridge, passed to `python3 -c`.
pub(crate) const BRIDGE: &str = include_str!("bridge.py");
