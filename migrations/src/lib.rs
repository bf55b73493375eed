//! Database schema of the web UI: accounts, sessions, query history and module settings.
//! The server applies the migrations at start (`Migrator::up`); every statement is built
//! with sea-query so the same migration runs on SQLite and PostgreSQL.
//!
//! Times are stored as big integers holding Unix seconds (UTC) in every table.
#![forbid(unsafe_code)]

pub use sea_orm_migration::prelude::*;

mod m20260101_000001_initial;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(m20260101_000001_initial::Migration)]
    }
}
