//! Query history: jobs (N values x M modules), their cells, trees of follow-up queries.

use std::collections::{HashMap, HashSet};

use sea_orm::sea_query::{Expr, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};

use super::entity::{job, job_cell};
use super::{Store, StoreError, now};

/// The error text stored in cells that were still pending when the server stopped.
pub const INTERRUPTED_MESSAGE: &str = "interrupted by a server restart";

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

impl Store {
    /// Records a query of `values` x `modules` with one pending cell per pair. A `parent`
    /// must be a job of the same user; the new job joins the parent's tree.
    pub async fn create_job(
        &self,
        user_id: i64,
        parent: Option<i64>,
        values: &[(String, String)],
        modules: &[String],
    ) -> Result<(JobRecord, Vec<CellRecord>), StoreError> {
        let every: Vec<(usize, String)> = (0..values.len())
            .flat_map(|index| modules.iter().map(move |m| (index, m.clone())))
            .collect();
        self.create_job_with_cells(user_id, parent, values, modules, &every)
            .await
    }

    /// Like [`Store::create_job`], with only the given cells: `(index into values,
    /// module)` pairs (a module that does not accept a value's type gets no cell).
    pub async fn create_job_with_cells(
        &self,
        user_id: i64,
        parent: Option<i64>,
        values: &[(String, String)],
        modules: &[String],
        pairs: &[(usize, String)],
    ) -> Result<(JobRecord, Vec<CellRecord>), StoreError> {
        if pairs.is_empty() || pairs.iter().any(|(index, _)| *index >= values.len()) {
            return Err(StoreError::Invalid("a query needs cells for its values"));
        }
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
        let mut cells = Vec::with_capacity(pairs.len());
        for (index, module) in pairs {
            let (value, value_type) = &values[*index];
            let position = i32::try_from(*index)
                .map_err(|_| StoreError::Invalid("too many values in one query"))?;
            {
                let cell = job_cell::ActiveModel {
                    job_id: Set(inserted.id),
                    position: Set(position),
                    value: Set(value.clone()),
                    value_type: Set(value_type.clone()),
                    module: Set(module.clone()),
                    status: Set(CellStatus::Pending.as_str().to_owned()),
                    result_json: Set(None),
                    error: Set(None),
                    started_at: Set(now()),
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

    /// Deletes one of the user's jobs with everything pivoted from it (children go with
    /// their parent). Returns whether there was such a job.
    pub async fn delete_job(&self, id: i64, user_id: i64) -> Result<bool, StoreError> {
        let result = job::Entity::delete_many()
            .filter(job::Column::Id.eq(id))
            .filter(job::Column::UserId.eq(user_id))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected > 0)
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

    /// Marks the given cells failed with [`INTERRUPTED_MESSAGE`] if they are still
    /// pending: a stopping server calls it for the cells it was running. Returns how many
    /// cells changed.
    pub async fn interrupt_cells(&self, ids: &[i64]) -> Result<u64, StoreError> {
        if ids.is_empty() {
            return Ok(0);
        }
        self.interrupt_where(job_cell::Column::Id.is_in(ids.iter().copied()))
            .await
    }

    /// Marks failed, with [`INTERRUPTED_MESSAGE`], the pending cells started before
    /// `started_before` (Unix seconds). A live server finishes every cell within its
    /// module deadline, so a cell pending for longer belongs to a server that stopped
    /// without saying so; instances sharing a database never touch each other's live work.
    pub async fn interrupt_stale(&self, started_before: i64) -> Result<u64, StoreError> {
        self.interrupt_where(job_cell::Column::StartedAt.lt(started_before))
            .await
    }

    async fn interrupt_where(
        &self,
        condition: sea_orm::sea_query::SimpleExpr,
    ) -> Result<u64, StoreError> {
        let updated = job_cell::Entity::update_many()
            .col_expr(
                job_cell::Column::Status,
                Expr::value(CellStatus::Failed.as_str()),
            )
            .col_expr(job_cell::Column::Error, Expr::value(INTERRUPTED_MESSAGE))
            .col_expr(job_cell::Column::FinishedAt, Expr::value(now()))
            .filter(job_cell::Column::Status.eq(CellStatus::Pending.as_str()))
            .filter(condition)
            .exec(&self.db)
            .await?;
        Ok(updated.rows_affected)
    }

    /// Puts the failed cells of one of the user's jobs back to pending, to be run again,
    /// and returns them. Done cells keep their results.
    pub async fn retry_failed(
        &self,
        job_id: i64,
        user_id: i64,
    ) -> Result<Vec<CellRecord>, StoreError> {
        let owned = job::Entity::find_by_id(job_id)
            .filter(job::Column::UserId.eq(user_id))
            .one(&self.db)
            .await?
            .is_some();
        if !owned {
            return Err(StoreError::NotFound("job"));
        }
        let failed = job_cell::Entity::find()
            .filter(job_cell::Column::JobId.eq(job_id))
            .filter(job_cell::Column::Status.eq(CellStatus::Failed.as_str()))
            .order_by_asc(job_cell::Column::Id)
            .all(&self.db)
            .await?;
        let mut restarted = Vec::with_capacity(failed.len());
        for cell in failed {
            // One by one, each only if still failed: when two requests retry the same
            // job at once, every cell is taken (and run) by one of them only.
            let started = now();
            let updated = job_cell::Entity::update_many()
                .col_expr(
                    job_cell::Column::Status,
                    Expr::value(CellStatus::Pending.as_str()),
                )
                .col_expr(job_cell::Column::Error, Expr::value(Option::<String>::None))
                .col_expr(job_cell::Column::StartedAt, Expr::value(started))
                .col_expr(
                    job_cell::Column::FinishedAt,
                    Expr::value(Option::<i64>::None),
                )
                .filter(job_cell::Column::Id.eq(cell.id))
                .filter(job_cell::Column::Status.eq(CellStatus::Failed.as_str()))
                .exec(&self.db)
                .await?;
            if updated.rows_affected == 1 {
                let mut record = CellRecord::try_from(cell)?;
                record.status = CellStatus::Pending;
                record.error = None;
                restarted.push(record);
            }
        }
        Ok(restarted)
    }
}
