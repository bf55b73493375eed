//! Data the web UI exchanges between the server and the browser: the typed responses of
//! the server functions and the typed bodies of the UI's form posts. Plain serde, compiled
//! for every target.

mod forms;
mod indicator;
mod url_text;
mod views;

pub use forms::{
    JobIdForm, LoginForm, ModuleSettingForm, ModuleToggleForm, NewJobForm, NewUserForm, PivotForm,
    UserIdForm, safe_next_path,
};
pub use indicator::{DetectedValue, detect_values, suggest_type};
pub use url_text::query_value;
pub use views::{
    AdminModuleView, AttributeView, CellState, CellView, HistoryNode, Inline, JobView,
    MarkdownBlock, ModuleSummary, ObjectView, ReferenceView, ResultView, SessionInfo, SettingState,
    UserView,
};
