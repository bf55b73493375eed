//! Sigma rule model shared by `sigma_syntax_validator` and `sigma_queries`.

pub mod backends;
pub mod modifiers;
pub mod rule;
pub mod yaml;
