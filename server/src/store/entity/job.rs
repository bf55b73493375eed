use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub parent_id: Option<i64>,
    /// Set right after the insert (to the job's own id for a root); never null afterwards.
    pub root_id: Option<i64>,
    /// Unix seconds.
    pub created_at: i64,
    /// JSON array of `{"value": ..., "type": ...}`.
    #[sea_orm(column_type = "Text")]
    pub values_json: String,
    /// JSON array of module names.
    #[sea_orm(column_type = "Text")]
    pub modules_json: String,
    /// The values joined by newlines, lowercased.
    #[sea_orm(column_type = "Text")]
    pub search_text: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
