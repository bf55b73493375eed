//! Typed reads of the UI. All are POST (the default encoding) and change nothing; changes
//! are form posts handled by the server, behind its cross-site request check.

use leptos::prelude::*;

use crate::web::{AdminModuleView, HistoryNode, JobView, ModuleSummary, SessionInfo, UserView};

#[cfg(feature = "ssr")]
fn backend() -> Result<super::backend::SharedBackend, ServerFnError> {
    use_context::<super::backend::SharedBackend>()
        .ok_or_else(|| ServerFnError::new("the UI backend is not configured"))
}

#[cfg(feature = "ssr")]
fn answer<T>(result: Result<T, super::backend::UiError>) -> Result<T, ServerFnError> {
    result.map_err(|error| ServerFnError::new(error.to_string()))
}

#[server(endpoint = "whoami")]
pub async fn whoami() -> Result<Option<SessionInfo>, ServerFnError> {
    Ok(backend()?.session().await)
}

#[server(endpoint = "sign_in_warning")]
pub async fn sign_in_warning() -> Result<Option<String>, ServerFnError> {
    Ok(backend()?.sign_in_warning().await)
}

#[server(endpoint = "enrichment_modules")]
pub async fn enrichment_modules() -> Result<Vec<ModuleSummary>, ServerFnError> {
    answer(backend()?.enrichment_modules().await)
}

#[server(endpoint = "job")]
pub async fn get_job(id: i64) -> Result<JobView, ServerFnError> {
    answer(backend()?.job(id).await)
}

#[server(endpoint = "history")]
pub async fn get_history(search: String) -> Result<Vec<HistoryNode>, ServerFnError> {
    answer(backend()?.history(&search).await)
}

#[server(endpoint = "admin_modules")]
pub async fn admin_modules() -> Result<Vec<AdminModuleView>, ServerFnError> {
    answer(backend()?.admin_modules().await)
}

#[server(endpoint = "users")]
pub async fn get_users() -> Result<Vec<UserView>, ServerFnError> {
    answer(backend()?.users().await)
}
