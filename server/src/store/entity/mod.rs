//! SeaORM entities of the tables the `migrations` crate creates. Relations are not declared:
//! the store queries by explicit columns, and the foreign keys live in the schema.

pub mod job;
pub mod job_cell;
pub mod module_setting;
pub mod module_state;
pub mod session;
pub mod user;
