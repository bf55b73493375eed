//! What the server functions answer. Every string here may come from a module or a
//! remote service: components render it as text, never as markup.

use serde::{Deserialize, Serialize};

/// The signed-in user, as pages need to know it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub username: String,
    pub is_admin: bool,
}

/// An enrichment module as the query page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModuleSummary {
    pub name: String,
    pub description: String,
    /// Attribute types the module accepts.
    pub input: Vec<String>,
    /// Config keys it declares that have no value anywhere (query page warns before running).
    pub missing_settings: Vec<String>,
}

/// One result of a job: one value sent to one module.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellView {
    pub id: i64,
    pub value: String,
    pub value_type: String,
    pub module: String,
    pub state: CellState,
    /// What went wrong, for `Failed`; never a stack trace or an internal address.
    pub error: Option<String>,
    pub result: Option<ResultView>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CellState {
    Pending,
    Done,
    Failed,
}

/// A query of several values with several modules, and where its results stand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobView {
    pub id: i64,
    pub parent_id: Option<i64>,
    /// Unix seconds.
    pub created_at: i64,
    pub values: Vec<(String, String)>,
    pub modules: Vec<String>,
    pub cells: Vec<CellView>,
}

impl JobView {
    pub fn pending(&self) -> usize {
        self.cells
            .iter()
            .filter(|c| c.state == CellState::Pending)
            .count()
    }

    pub fn failed(&self) -> usize {
        self.cells
            .iter()
            .filter(|c| c.state == CellState::Failed)
            .count()
    }

    pub fn is_finished(&self) -> bool {
        self.pending() == 0
    }
}

/// A module's answer in the three shapes the results page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultView {
    pub objects: Vec<ObjectView>,
    pub attributes: Vec<AttributeView>,
    /// The answer pretty-printed.
    pub json: String,
    /// The answer as Markdown source, and parsed for display.
    pub markdown: String,
    pub markdown_blocks: Vec<MarkdownBlock>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectView {
    pub name: String,
    pub meta_category: Option<String>,
    pub uuid: Option<String>,
    pub comment: Option<String>,
    /// Ordered by the template's `ui-priority`, highest first.
    pub attributes: Vec<AttributeView>,
    pub references: Vec<ReferenceView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeView {
    pub object_relation: Option<String>,
    pub attribute_type: String,
    pub category: Option<String>,
    pub value: String,
    pub comment: Option<String>,
    pub to_ids: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferenceView {
    pub relationship_type: String,
    pub referenced_uuid: String,
    /// The referenced object's name when it is in the same answer.
    pub referenced_name: Option<String>,
}

/// Markdown parsed into blocks the components render as text nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MarkdownBlock {
    Heading(u8, Vec<Inline>),
    Paragraph(Vec<Inline>),
    List(Vec<Vec<Inline>>),
    Code(String),
    Table {
        header: Vec<Vec<Inline>>,
        rows: Vec<Vec<Vec<Inline>>>,
    },
    Rule,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Inline {
    Text(String),
    Code(String),
    Strong(String),
    Emphasis(String),
    /// Only http and https targets survive parsing; others become text.
    Link {
        href: String,
        text: String,
    },
}

/// One node of the history tree: a job and the jobs pivoted from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryNode {
    pub id: i64,
    pub created_at: i64,
    pub values: Vec<(String, String)>,
    pub modules: Vec<String>,
    pub children: Vec<HistoryNode>,
}

/// A module on the admin page. Setting values are never part of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminModuleView {
    pub name: String,
    pub module_type: String,
    pub enabled: bool,
    pub settings: Vec<SettingState>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingState {
    pub key: String,
    /// Stored through this UI.
    pub stored: bool,
    /// Provided by the server's environment.
    pub from_environment: bool,
    /// Pinned by the operator: a query's own value for it is ignored.
    pub pinned: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub is_admin: bool,
}
