//! What every module shares: the trait, its errors, request helpers, the registry and the
//! runner.

mod error;
mod module;
mod registry;
mod request;
mod results;
mod runner;
mod settings;

pub use error::ModuleError;
pub use module::{Module, descriptor};
pub use registry::Registry;
pub use request::{AttributeInput, EventLayout, ExportEvent, QueryRequest, decode_base64};
pub use results::{legacy_results, legacy_scalar_results};
pub use runner::{Engine, EngineLimits, Outcome};
pub use settings::{ConfigDefaults, config_env_name};
