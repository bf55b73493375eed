mod admin;
mod history;
mod job;
mod login;
mod query;

pub use admin::AdminPage;
pub use history::HistoryPage;
pub use job::JobPage;
pub use login::LoginPage;
pub use query::QueryPage;

use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <h1>"Not found"</h1>
        <p><a href="/">"Back to the query page"</a></p>
    }
}

/// The message of a failed server function, without the framework's prefix.
pub(crate) fn error_text(error: &ServerFnError) -> String {
    match error {
        ServerFnError::ServerError(message) => message.clone(),
        _ => "The server could not be reached.".to_owned(),
    }
}
