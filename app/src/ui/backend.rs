//! What the server functions need from the server, as a trait so that `app` does not
//! depend on the database or the module engine. The server provides an implementation
//! through Leptos context.

use std::sync::Arc;

use async_trait::async_trait;

use crate::web::{AdminModuleView, HistoryNode, JobView, ModuleSummary, SessionInfo, UserView};

/// Why a server function could not answer. Messages are shown to users as they are, so
/// implementations put no internal detail in them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UiError {
    NotSignedIn,
    Forbidden,
    NotFound,
    /// A dependency (database, remote module server) failed; the message is generic.
    Unavailable(String),
}

impl std::fmt::Display for UiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UiError::NotSignedIn => f.write_str("not signed in"),
            UiError::Forbidden => f.write_str("this needs an administrator"),
            UiError::NotFound => f.write_str("not found"),
            UiError::Unavailable(message) => f.write_str(message),
        }
    }
}

/// Everything is asked on behalf of the user of the current request; implementations
/// read the session themselves (they run inside the request's context).
#[async_trait]
pub trait UiBackend: Send + Sync + 'static {
    async fn session(&self) -> Option<SessionInfo>;
    /// A warning for the sign-in page when this request cannot keep a session cookie
    /// (plain HTTP on an address browsers do not treat as secure).
    async fn sign_in_warning(&self) -> Option<String>;
    async fn enrichment_modules(&self) -> Result<Vec<ModuleSummary>, UiError>;
    async fn job(&self, id: i64) -> Result<JobView, UiError>;
    async fn history(&self, search: &str) -> Result<Vec<HistoryNode>, UiError>;
    async fn admin_modules(&self) -> Result<Vec<AdminModuleView>, UiError>;
    async fn users(&self) -> Result<Vec<UserView>, UiError>;
}

/// The handle the server puts into context.
pub type SharedBackend = Arc<dyn UiBackend>;
