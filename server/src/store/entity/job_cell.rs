use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "job_cells")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub job_id: i64,
    pub position: i32,
    #[sea_orm(column_type = "Text")]
    pub value: String,
    pub value_type: String,
    pub module: String,
    /// "pending" | "done" | "failed".
    pub status: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub result_json: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    /// Unix seconds: when the cell was (last) started; stale pending cells are found by it.
    pub started_at: i64,
    /// Unix seconds.
    pub finished_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
