//! The web UI's storage: accounts, query history, module states and encrypted module
//! settings, behind one [`Store`] facade over SeaORM (SQLite or PostgreSQL).
//!
//! All times are Unix seconds (UTC) stored as big integers. The facade's methods live
//! in `users.rs`, `jobs.rs` and `modules.rs`.

pub mod entity;
mod jobs;
mod modules;
pub mod secrets;
pub mod session_store;
mod users;

use migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr, SqlErr};

pub use jobs::{CellOutcome, CellRecord, CellStatus, INTERRUPTED_MESSAGE, JobRecord};
pub use secrets::{SettingsCipher, check_admin_password, check_password, check_secret_key};
pub use session_store::DbSessionStore;
pub use users::{USERNAME_MAX_CHARS, UserRecord};

/// Failures of the store. Messages never carry passwords, hashes or setting values.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The message has any password of the URL replaced by `***`.
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    #[error("cannot apply the database migrations: {0}")]
    Migration(DbErr),
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    /// Input refused by a policy (password, username, empty job...).
    #[error("{0}")]
    Invalid(&'static str),
    #[error("this username is already taken")]
    UsernameTaken,
    /// The thing does not exist, or belongs to another user.
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("the last administrator cannot be deleted")]
    LastAdmin,
    #[error("password hashing failed")]
    Hash,
    /// A stored row could not be read back (e.g. invalid JSON in a job).
    #[error("stored data is corrupt: {0}")]
    Corrupt(&'static str),
    #[error("a background task failed")]
    Task,
}

impl StoreError {
    /// What a user may be told: policy refusals as they are, anything else generic (the
    /// details go to the log).
    pub fn user_message(&self) -> String {
        match self {
            StoreError::Invalid(message) => {
                let mut text = message.to_string();
                if let Some(first) = text.get_mut(0..1) {
                    first.make_ascii_uppercase();
                }
                format!("{text}.")
            }
            StoreError::UsernameTaken | StoreError::LastAdmin => {
                let text = self.to_string();
                format!("{}{}.", text[..1].to_uppercase(), &text[1..])
            }
            StoreError::NotFound(_) => "Not found.".to_owned(),
            other => {
                tracing::error!("database: {other}");
                "The database is unavailable; try again shortly.".to_owned()
            }
        }
    }
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| StoreError::Task)
}

fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// The password part of `scheme://user:password@host...`, if any.
fn url_password(url: &str) -> Option<&str> {
    let rest = &url[url.find("://")? + 3..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let userinfo = &authority[..authority.rfind('@')?];
    Some(&userinfo[userinfo.find(':')? + 1..])
}

/// SQLite file URLs get `mode=rwc` so that a missing database file is created.
fn normalize_url(url: &str) -> String {
    if !url.starts_with("sqlite:") || url.contains(":memory:") || url.contains("mode=") {
        return url.to_owned();
    }
    if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// The web UI's database.
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
    cipher: SettingsCipher,
}

impl Store {
    /// Connects (SQLite URLs get `?mode=rwc` if no mode is given so the file is created),
    /// runs the migrations, returns the store.
    pub async fn connect(url: &str, cipher: SettingsCipher) -> Result<Store, StoreError> {
        Store::connect_with(ConnectOptions::new(normalize_url(url)), cipher).await
    }

    /// Like [`Store::connect`] with explicit connection options (pool size, PostgreSQL
    /// search path...). Statement logging is turned off.
    pub async fn connect_with(
        mut options: ConnectOptions,
        cipher: SettingsCipher,
    ) -> Result<Store, StoreError> {
        options.sqlx_logging(false);
        let password = url_password(options.get_url()).map(str::to_owned);
        let db = Database::connect(options).await.map_err(|err| {
            let mut message = err.to_string();
            if let Some(password) = password.as_deref().filter(|p| !p.is_empty()) {
                message = message.replace(password, "***");
            }
            StoreError::Connect(message)
        })?;
        Migrator::up(&db, None)
            .await
            .map_err(StoreError::Migration)?;
        // Compute the dummy hash now rather than during the first login attempt.
        blocking(|| users::DUMMY_HASH.is_some()).await?;
        Ok(Store { db, cipher })
    }

    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }
}

#[cfg(test)]
pub(crate) mod test_support;

#[cfg(test)]
mod tests;
