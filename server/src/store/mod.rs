//! The web UI's storage: accounts, query history, module states and encrypted module
//! settings, behind one [`Store`] facade over SeaORM (SQLite or PostgreSQL).
//!
//! All times are Unix seconds (UTC) stored as big integers.

pub mod entity;
pub mod secrets;
pub mod session_store;

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use migrations::{Migrator, MigratorTrait};
use sea_orm::sea_query::{Expr, LikeExpr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectOptions, Database, DatabaseConnection,
    DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, SqlErr, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use entity::{job, job_cell, module_setting, module_state, user};
pub use secrets::{SettingsCipher, check_admin_password, check_password, check_secret_key};
pub use session_store::DbSessionStore;

/// The error text stored in cells that were still pending when the server stopped.
pub const INTERRUPTED_MESSAGE: &str = "interrupted by a server restart";

/// Longest accepted username, in characters.
pub const USERNAME_MAX_CHARS: usize = 64;

/// Failures of the store. Messages never carry passwords, hashes or setting values.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot connect to the database: {0}")]
    Connect(DbErr),
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

/// An account, without its password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    pub id: i64,
    pub username: String,
    pub is_admin: bool,
    /// Unix seconds.
    pub created_at: i64,
}

/// One query: `values` (value, type) times `modules`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobRecord {
    pub id: i64,
    pub user_id: i64,
    pub parent_id: Option<i64>,
    /// The id of the first job of the tree (the job's own id for a root).
    pub root_id: i64,
    /// Unix seconds.
    pub created_at: i64,
    /// (value, type) pairs.
    pub values: Vec<(String, String)>,
    pub modules: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CellStatus {
    Pending,
    Done,
    Failed,
}

impl CellStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CellStatus::Pending => "pending",
            CellStatus::Done => "done",
            CellStatus::Failed => "failed",
        }
    }

    pub fn parse(value: &str) -> Option<CellStatus> {
        match value {
            "pending" => Some(CellStatus::Pending),
            "done" => Some(CellStatus::Done),
            "failed" => Some(CellStatus::Failed),
            _ => None,
        }
    }
}

/// The result of one module on one value. `position` is the index of the value in the
/// job's `values`; cells come ordered by value, then by the job's module order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellRecord {
    pub id: i64,
    pub job_id: i64,
    pub position: i32,
    pub value: String,
    pub value_type: String,
    pub module: String,
    pub status: CellStatus,
    pub result_json: Option<String>,
    pub error: Option<String>,
}

/// How a cell ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CellOutcome {
    /// The module's answer, as JSON text.
    Done(String),
    /// A message for the user.
    Failed(String),
}

#[derive(Serialize, Deserialize)]
struct StoredValue {
    value: String,
    #[serde(rename = "type")]
    value_type: String,
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// A hash of a random password, verified against when the username is unknown so that a
/// login attempt costs about the same either way.
static DUMMY_HASH: LazyLock<Option<String>> = LazyLock::new(|| {
    let password = SaltString::generate(&mut OsRng);
    hash_password(password.as_str()).ok()
});

fn hash_password(password: &str) -> Result<String, StoreError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|_| StoreError::Hash)
}

fn password_matches(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| StoreError::Task)
}

fn check_username(username: &str) -> Result<(), StoreError> {
    if username.trim().is_empty() {
        return Err(StoreError::Invalid("the username is empty"));
    }
    if username.chars().count() > USERNAME_MAX_CHARS {
        return Err(StoreError::Invalid(
            "the username must be at most 64 characters long",
        ));
    }
    if username.chars().any(char::is_control) {
        return Err(StoreError::Invalid(
            "the username must not contain control characters",
        ));
    }
    if username.trim() != username {
        return Err(StoreError::Invalid(
            "the username must not start or end with a space",
        ));
    }
    Ok(())
}

fn check_name(value: &str, what: &'static str) -> Result<(), StoreError> {
    if value.is_empty() || value.contains('\0') {
        return Err(StoreError::Invalid(what));
    }
    Ok(())
}

fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
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

impl From<user::Model> for UserRecord {
    fn from(model: user::Model) -> Self {
        UserRecord {
            id: model.id,
            username: model.username,
            is_admin: model.is_admin,
            created_at: model.created_at,
        }
    }
}

impl TryFrom<job::Model> for JobRecord {
    type Error = StoreError;

    fn try_from(model: job::Model) -> Result<Self, StoreError> {
        let values: Vec<StoredValue> = serde_json::from_str(&model.values_json)
            .map_err(|_| StoreError::Corrupt("job values are not valid JSON"))?;
        let modules: Vec<String> = serde_json::from_str(&model.modules_json)
            .map_err(|_| StoreError::Corrupt("job modules are not valid JSON"))?;
        Ok(JobRecord {
            id: model.id,
            user_id: model.user_id,
            parent_id: model.parent_id,
            root_id: model.root_id.unwrap_or(model.id),
            created_at: model.created_at,
            values: values
                .into_iter()
                .map(|v| (v.value, v.value_type))
                .collect(),
            modules,
        })
    }
}

impl TryFrom<job_cell::Model> for CellRecord {
    type Error = StoreError;

    fn try_from(model: job_cell::Model) -> Result<Self, StoreError> {
        let status =
            CellStatus::parse(&model.status).ok_or(StoreError::Corrupt("unknown cell status"))?;
        Ok(CellRecord {
            id: model.id,
            job_id: model.job_id,
            position: model.position,
            value: model.value,
            value_type: model.value_type,
            module: model.module,
            status,
            result_json: model.result_json,
            error: model.error,
        })
    }
}

fn jobs_from(models: Vec<job::Model>) -> Result<Vec<JobRecord>, StoreError> {
    models.into_iter().map(JobRecord::try_from).collect()
}

fn cells_from(models: Vec<job_cell::Model>) -> Result<Vec<CellRecord>, StoreError> {
    models.into_iter().map(CellRecord::try_from).collect()
}

/// Escapes `%`, `_` and the escape character itself for a `LIKE ... ESCAPE '\'` pattern.
fn like_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
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
        let db = Database::connect(options)
            .await
            .map_err(StoreError::Connect)?;
        Migrator::up(&db, None)
            .await
            .map_err(StoreError::Migration)?;
        // Compute the dummy hash now rather than during the first login attempt.
        blocking(|| DUMMY_HASH.is_some()).await?;
        Ok(Store { db, cipher })
    }

    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    // ----- users -----

    pub async fn user_count(&self) -> Result<u64, StoreError> {
        Ok(user::Entity::find().count(&self.db).await?)
    }

    /// Creates an account; the password must pass [`check_password`] and is stored as an
    /// argon2id PHC string.
    pub async fn create_user(
        &self,
        username: &str,
        password: &str,
        is_admin: bool,
    ) -> Result<UserRecord, StoreError> {
        check_username(username)?;
        check_password(password).map_err(StoreError::Invalid)?;
        let exists = user::Entity::find()
            .filter(user::Column::Username.eq(username))
            .count(&self.db)
            .await?;
        if exists > 0 {
            return Err(StoreError::UsernameTaken);
        }
        let password = password.to_owned();
        let hash = blocking(move || hash_password(&password)).await??;
        let model = user::ActiveModel {
            username: Set(username.to_owned()),
            password_hash: Set(hash),
            is_admin: Set(is_admin),
            created_at: Set(now()),
            ..Default::default()
        };
        match model.insert(&self.db).await {
            Ok(model) => Ok(model.into()),
            Err(err) if is_unique_violation(&err) => Err(StoreError::UsernameTaken),
            Err(err) => Err(err.into()),
        }
    }

    /// The account if `password` is right. An unknown username costs one hash
    /// verification too, so both failures take about the same time.
    pub async fn verify_login(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<UserRecord>, StoreError> {
        let found = user::Entity::find()
            .filter(user::Column::Username.eq(username))
            .one(&self.db)
            .await?;
        // Bound the work an oversized input can cause; it can never be a valid password.
        let too_long = password.chars().count() > secrets::PASSWORD_MAX_CHARS;
        let password = if too_long {
            String::new()
        } else {
            password.to_owned()
        };
        match found {
            Some(model) => {
                let phc = model.password_hash.clone();
                let ok = blocking(move || password_matches(&password, &phc)).await?;
                Ok((ok && !too_long).then(|| model.into()))
            }
            None => {
                blocking(move || {
                    if let Some(dummy) = DUMMY_HASH.as_deref() {
                        password_matches(&password, dummy);
                    }
                })
                .await?;
                Ok(None)
            }
        }
    }

    pub async fn user(&self, id: i64) -> Result<Option<UserRecord>, StoreError> {
        Ok(user::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .map(UserRecord::from))
    }

    /// Every account, by id.
    pub async fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        Ok(user::Entity::find()
            .order_by_asc(user::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(UserRecord::from)
            .collect())
    }

    /// Deletes an account with its history. Refuses to delete the last administrator.
    pub async fn delete_user(&self, id: i64) -> Result<(), StoreError> {
        let txn = self.db.begin().await?;
        let Some(target) = user::Entity::find_by_id(id).one(&txn).await? else {
            return Err(StoreError::NotFound("user"));
        };
        if target.is_admin {
            let admins = user::Entity::find()
                .filter(user::Column::IsAdmin.eq(true))
                .count(&txn)
                .await?;
            if admins <= 1 {
                return Err(StoreError::LastAdmin);
            }
        }
        user::Entity::delete_by_id(id).exec(&txn).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Replaces the password (after [`check_password`]).
    pub async fn set_password(&self, id: i64, password: &str) -> Result<(), StoreError> {
        check_password(password).map_err(StoreError::Invalid)?;
        let password = password.to_owned();
        let hash = blocking(move || hash_password(&password)).await??;
        let result = user::Entity::update_many()
            .col_expr(user::Column::PasswordHash, Expr::value(hash))
            .filter(user::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        if result.rows_affected == 0 {
            return Err(StoreError::NotFound("user"));
        }
        Ok(())
    }

    // ----- jobs -----

    /// Records a query of `values` x `modules` with one pending cell per pair. A `parent`
    /// must be a job of the same user; the new job joins the parent's tree.
    pub async fn create_job(
        &self,
        user_id: i64,
        parent: Option<i64>,
        values: &[(String, String)],
        modules: &[String],
    ) -> Result<(JobRecord, Vec<CellRecord>), StoreError> {
        if values.is_empty() {
            return Err(StoreError::Invalid("a query needs at least one value"));
        }
        if modules.is_empty() {
            return Err(StoreError::Invalid("a query needs at least one module"));
        }
        let stored: Vec<StoredValue> = values
            .iter()
            .map(|(value, value_type)| StoredValue {
                value: value.clone(),
                value_type: value_type.clone(),
            })
            .collect();
        let values_json = serde_json::to_string(&stored)
            .map_err(|_| StoreError::Invalid("the values cannot be encoded"))?;
        let modules_json = serde_json::to_string(modules)
            .map_err(|_| StoreError::Invalid("the modules cannot be encoded"))?;
        let search_text = values
            .iter()
            .map(|(value, _)| value.as_str())
            .collect::<Vec<_>>()
            .join("\n")
            .to_lowercase();

        let txn = self.db.begin().await?;
        let root_id = match parent {
            Some(parent_id) => {
                let parent = job::Entity::find_by_id(parent_id)
                    .filter(job::Column::UserId.eq(user_id))
                    .one(&txn)
                    .await?
                    .ok_or(StoreError::NotFound("parent job"))?;
                Some(parent.root_id.unwrap_or(parent.id))
            }
            None => None,
        };
        let inserted = job::ActiveModel {
            user_id: Set(user_id),
            parent_id: Set(parent),
            root_id: Set(root_id),
            created_at: Set(now()),
            values_json: Set(values_json),
            modules_json: Set(modules_json),
            search_text: Set(search_text),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let inserted = if inserted.root_id.is_none() {
            let id = inserted.id;
            let mut active: job::ActiveModel = inserted.into();
            active.root_id = Set(Some(id));
            active.update(&txn).await?
        } else {
            inserted
        };
        let mut cells = Vec::with_capacity(values.len() * modules.len());
        for (index, (value, value_type)) in values.iter().enumerate() {
            let position = i32::try_from(index)
                .map_err(|_| StoreError::Invalid("too many values in one query"))?;
            for module in modules {
                let cell = job_cell::ActiveModel {
                    job_id: Set(inserted.id),
                    position: Set(position),
                    value: Set(value.clone()),
                    value_type: Set(value_type.clone()),
                    module: Set(module.clone()),
                    status: Set(CellStatus::Pending.as_str().to_owned()),
                    result_json: Set(None),
                    error: Set(None),
                    finished_at: Set(None),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
                cells.push(CellRecord::try_from(cell)?);
            }
        }
        txn.commit().await?;
        Ok((JobRecord::try_from(inserted)?, cells))
    }

    /// Records the outcome of a pending cell.
    pub async fn finish_cell(&self, cell_id: i64, outcome: CellOutcome) -> Result<(), StoreError> {
        let (status, result, error) = match outcome {
            CellOutcome::Done(json) => (CellStatus::Done, Some(json), None),
            CellOutcome::Failed(message) => (CellStatus::Failed, None, Some(message)),
        };
        let updated = job_cell::Entity::update_many()
            .col_expr(job_cell::Column::Status, Expr::value(status.as_str()))
            .col_expr(job_cell::Column::ResultJson, Expr::value(result))
            .col_expr(job_cell::Column::Error, Expr::value(error))
            .col_expr(job_cell::Column::FinishedAt, Expr::value(now()))
            .filter(job_cell::Column::Id.eq(cell_id))
            .filter(job_cell::Column::Status.eq(CellStatus::Pending.as_str()))
            .exec(&self.db)
            .await?;
        if updated.rows_affected == 0 {
            return Err(StoreError::NotFound("pending cell"));
        }
        Ok(())
    }

    /// A job with its cells, only if it belongs to `user_id`.
    pub async fn job(
        &self,
        id: i64,
        user_id: i64,
    ) -> Result<Option<(JobRecord, Vec<CellRecord>)>, StoreError> {
        let Some(model) = job::Entity::find_by_id(id)
            .filter(job::Column::UserId.eq(user_id))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let cells = job_cell::Entity::find()
            .filter(job_cell::Column::JobId.eq(id))
            .order_by_asc(job_cell::Column::Id)
            .all(&self.db)
            .await?;
        Ok(Some((JobRecord::try_from(model)?, cells_from(cells)?)))
    }

    /// The user's jobs, newest first. With a (non-blank) `search`, the jobs whose values
    /// contain it (case-insensitive) and every other job of their trees.
    pub async fn history(
        &self,
        user_id: i64,
        search: Option<&str>,
    ) -> Result<Vec<JobRecord>, StoreError> {
        let mut query = job::Entity::find().filter(job::Column::UserId.eq(user_id));
        if let Some(search) = search.map(str::trim).filter(|s| !s.is_empty()) {
            let pattern = format!("%{}%", like_escape(&search.to_lowercase()));
            let matching = job::Entity::find()
                .filter(job::Column::UserId.eq(user_id))
                .filter(job::Column::SearchText.like(LikeExpr::new(pattern).escape('\\')))
                .all(&self.db)
                .await?;
            let roots: HashSet<i64> = matching.iter().map(|m| m.root_id.unwrap_or(m.id)).collect();
            if roots.is_empty() {
                return Ok(Vec::new());
            }
            query = query.filter(job::Column::RootId.is_in(roots));
        }
        let models = query
            .order_by_desc(job::Column::CreatedAt)
            .order_by_desc(job::Column::Id)
            .all(&self.db)
            .await?;
        jobs_from(models)
    }

    /// Keeps at most `limit` jobs for the user: deletes whole trees, oldest root first,
    /// until within the limit. The tree holding the newest job is never deleted, so a
    /// single tree larger than the limit stays.
    pub async fn enforce_history_limit(&self, user_id: i64, limit: u64) -> Result<(), StoreError> {
        let txn = self.db.begin().await?;
        let models = job::Entity::find()
            .filter(job::Column::UserId.eq(user_id))
            .all(&txn)
            .await?;
        let mut total = models.len() as u64;
        if total <= limit {
            return Ok(());
        }
        // root id -> (root created_at, job count)
        let mut trees: HashMap<i64, (i64, u64)> = HashMap::new();
        for model in &models {
            let root = model.root_id.unwrap_or(model.id);
            let entry = trees.entry(root).or_insert((model.created_at, 0));
            entry.1 += 1;
            if model.id == root {
                entry.0 = model.created_at;
            }
        }
        let newest_root = models
            .iter()
            .max_by_key(|m| (m.created_at, m.id))
            .map(|m| m.root_id.unwrap_or(m.id));
        let mut order: Vec<(i64, i64, u64)> = trees
            .into_iter()
            .map(|(root, (created, count))| (created, root, count))
            .collect();
        order.sort_unstable();
        for (_, root, count) in order {
            if total <= limit {
                break;
            }
            if Some(root) == newest_root {
                continue;
            }
            job::Entity::delete_many()
                .filter(job::Column::UserId.eq(user_id))
                .filter(job::Column::RootId.eq(root))
                .exec(&txn)
                .await?;
            total = total.saturating_sub(count);
        }
        txn.commit().await?;
        Ok(())
    }

    /// Marks every pending cell failed with [`INTERRUPTED_MESSAGE`]; call at start-up.
    /// Returns how many cells changed.
    pub async fn interrupt_pending(&self) -> Result<u64, StoreError> {
        let updated = job_cell::Entity::update_many()
            .col_expr(
                job_cell::Column::Status,
                Expr::value(CellStatus::Failed.as_str()),
            )
            .col_expr(job_cell::Column::Error, Expr::value(INTERRUPTED_MESSAGE))
            .col_expr(job_cell::Column::FinishedAt, Expr::value(now()))
            .filter(job_cell::Column::Status.eq(CellStatus::Pending.as_str()))
            .exec(&self.db)
            .await?;
        Ok(updated.rows_affected)
    }

    // ----- modules -----

    /// Modules an administrator turned off.
    pub async fn disabled_modules(&self) -> Result<HashSet<String>, StoreError> {
        Ok(module_state::Entity::find()
            .filter(module_state::Column::Enabled.eq(false))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| m.module)
            .collect())
    }

    pub async fn set_module_enabled(&self, module: &str, enabled: bool) -> Result<(), StoreError> {
        check_name(module, "the module name is empty or invalid")?;
        module_state::Entity::insert(module_state::ActiveModel {
            module: Set(module.to_owned()),
            enabled: Set(enabled),
        })
        .on_conflict(
            OnConflict::column(module_state::Column::Module)
                .update_column(module_state::Column::Enabled)
                .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await?;
        Ok(())
    }

    /// `Some(non-empty)`: encrypts and stores the value; `None` or empty: deletes it.
    pub async fn set_setting(
        &self,
        module: &str,
        key: &str,
        value: Option<&str>,
    ) -> Result<(), StoreError> {
        check_name(module, "the module name is empty or invalid")?;
        check_name(key, "the setting name is empty or invalid")?;
        match value.filter(|v| !v.is_empty()) {
            Some(value) => {
                let (nonce, ciphertext) = self.cipher.encrypt(module, key, value);
                module_setting::Entity::insert(module_setting::ActiveModel {
                    module: Set(module.to_owned()),
                    key: Set(key.to_owned()),
                    nonce: Set(nonce),
                    ciphertext: Set(ciphertext),
                })
                .on_conflict(
                    OnConflict::columns([
                        module_setting::Column::Module,
                        module_setting::Column::Key,
                    ])
                    .update_columns([
                        module_setting::Column::Nonce,
                        module_setting::Column::Ciphertext,
                    ])
                    .to_owned(),
                )
                .exec_without_returning(&self.db)
                .await?;
            }
            None => {
                module_setting::Entity::delete_many()
                    .filter(module_setting::Column::Module.eq(module))
                    .filter(module_setting::Column::Key.eq(key))
                    .exec(&self.db)
                    .await?;
            }
        }
        Ok(())
    }

    /// Rows that decrypt with the current secret; the others are skipped with a warning.
    async fn readable_settings(&self) -> Result<Vec<(String, String, String)>, StoreError> {
        let rows = module_setting::Entity::find()
            .order_by_asc(module_setting::Column::Module)
            .order_by_asc(module_setting::Column::Key)
            .all(&self.db)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            match self
                .cipher
                .decrypt(&row.module, &row.key, &row.nonce, &row.ciphertext)
            {
                Ok(value) => out.push((row.module, row.key, value)),
                Err(_) => tracing::warn!(
                    module = %row.module,
                    key = %row.key,
                    "stored module setting cannot be decrypted (was SECRET_KEY changed?); ignored"
                ),
            }
        }
        Ok(out)
    }

    /// Decrypted (module, key, value), ordered by module then key.
    pub async fn settings(&self) -> Result<Vec<(String, String, String)>, StoreError> {
        self.readable_settings().await
    }

    /// module -> names of the settings that are set (and readable), never the values.
    pub async fn settings_presence(&self) -> Result<HashMap<String, Vec<String>>, StoreError> {
        let mut out: HashMap<String, Vec<String>> = HashMap::new();
        for (module, key, _) in self.readable_settings().await? {
            out.entry(module).or_default().push(key);
        }
        Ok(out)
    }
}

#[cfg(test)]
pub(crate) mod test_support;

#[cfg(test)]
mod tests;
