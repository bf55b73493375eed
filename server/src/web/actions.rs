//! The UI's form posts: sign in and out, start a query or a pivot, and the admin changes.
//! Each answers with a redirect (303), so they work the same with or without the wasm
//! bundle. The cross-site check runs before all of them (see `guard`).

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};

use app::ModuleType;
use app::web::{
    JobIdForm, LoginForm, ModuleSettingForm, ModuleToggleForm, NewJobForm, NewUserForm, PivotForm,
    UserIdForm, detect_values, safe_next_path,
};
use axum::Form;
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use super::auth::{current_user, sign_in, sign_out};
use super::jobs::spawn_cells;
use super::{Web, sync_from_store};
use crate::store::UserRecord;
use app::web::query_value;

fn back(path: &str) -> Response {
    Redirect::to(path).into_response()
}

fn login_again(next: &str) -> Response {
    back(&format!("/login?next={}", query_value(next)))
}

/// The address sign-in attempts are counted by: the peer, or behind a proxy the client
/// it reports. The last `X-Forwarded-For` entry is the one the proxy itself added; earlier
/// ones come from the client and could be forged.
fn client_address(web: &Web, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
    if !web.behind_proxy {
        return peer.ip();
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .next_back()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|entry| entry.trim().parse::<IpAddr>().ok())
        .unwrap_or(peer.ip())
}

pub async fn login(
    State(web): State<Web>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    session: Session,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next_path(form.next.as_deref()).to_owned();
    let client = client_address(&web, peer, &headers);
    let keys = [
        format!("user:{}", form.username.to_lowercase()),
        format!("ip:{client}"),
    ];
    let failed = |code: &str| back(&format!("/login?error={code}&next={}", query_value(&next)));
    if web.login_limiter.is_throttled(&keys) {
        tracing::warn!(target: "audit", user = %form.username, peer = %client, "sign-in throttled");
        return failed("throttled");
    }
    match web.store.verify_login(&form.username, &form.password).await {
        Ok(Some(user)) => {
            web.login_limiter.record_success(&keys);
            if let Err(error) = sign_in(&session, &user).await {
                tracing::error!("could not start a session: {error}");
                return failed("unavailable");
            }
            tracing::info!(target: "audit", user = %user.username, peer = %client, "signed in");
            back(&next)
        }
        Ok(None) => {
            web.login_limiter.record_failure(&keys);
            tracing::warn!(target: "audit", user = %form.username, peer = %client, "sign-in failed");
            failed("1")
        }
        Err(error) => {
            tracing::error!("database: {error}");
            failed("unavailable")
        }
    }
}

pub async fn logout(State(web): State<Web>, session: Session) -> Response {
    if let Some(user) = current_user(&web, &session).await {
        tracing::info!(target: "audit", user = %user.username, "signed out");
    }
    sign_out(&session).await;
    back("/login")
}

/// A new query from the query page. The body is read as pairs because `modules` repeats.
pub async fn new_job(
    State(web): State<Web>,
    session: Session,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let Some(user) = current_user(&web, &session).await else {
        return login_again("/");
    };
    let form = new_job_form(pairs);
    let detected = detect_values(&form.values);
    let chosen: Vec<&str> = form.types.lines().map(str::trim).collect();
    // The browser sends one type per detected value; anything else means it did not run.
    let values: Vec<(String, String)> = if chosen.len() == detected.len() {
        detected
            .into_iter()
            .zip(chosen)
            .map(|(d, t)| {
                (
                    d.value,
                    if t.is_empty() {
                        d.suggested.to_owned()
                    } else {
                        t.to_owned()
                    },
                )
            })
            .collect()
    } else {
        detected
            .into_iter()
            .map(|d| (d.value, d.suggested.to_owned()))
            .collect()
    };
    start_job(&web, &user, form.parent, values, form.modules, "/").await
}

fn new_job_form(pairs: Vec<(String, String)>) -> NewJobForm {
    let mut form = NewJobForm::default();
    for (key, value) in pairs {
        match key.as_str() {
            "values" => form.values = value,
            "types" => form.types = value,
            "modules" => form.modules.push(value),
            "parent" => form.parent = value.parse().ok(),
            _ => {}
        }
    }
    form
}

/// "Query again": the value with the modules of the query it came from.
pub async fn pivot(
    State(web): State<Web>,
    session: Session,
    Form(form): Form<PivotForm>,
) -> Response {
    let Some(user) = current_user(&web, &session).await else {
        return login_again(&format!("/jobs/{}", form.parent));
    };
    let parent = match web.store.job(form.parent, user.id).await {
        Ok(Some((job, _))) => job,
        Ok(None) => return back("/?error=That+query+no+longer+exists."),
        Err(error) => {
            tracing::error!("database: {error}");
            return back("/?error=The+database+is+unavailable.");
        }
    };
    let values = vec![(form.value, form.value_type)];
    let back_to = format!("/jobs/{}", parent.id);
    start_job(
        &web,
        &user,
        Some(parent.id),
        values,
        parent.modules,
        &back_to,
    )
    .await
}

async fn start_job(
    web: &Web,
    user: &UserRecord,
    parent: Option<i64>,
    values: Vec<(String, String)>,
    modules: Vec<String>,
    on_error: &str,
) -> Response {
    let fail = |message: &str| {
        let joiner = if on_error.contains('?') { '&' } else { '?' };
        back(&format!("{on_error}{joiner}error={}", query_value(message)))
    };
    if values.is_empty() {
        return fail("Enter at least one value.");
    }
    let usable = match usable_modules(web).await {
        Ok(usable) => usable,
        Err(message) => return fail(&message),
    };
    let mut seen = HashSet::new();
    let modules: Vec<String> = modules
        .into_iter()
        .filter(|m| usable.contains_key(m) && seen.insert(m.clone()))
        .collect();
    if modules.is_empty() {
        return fail("Choose at least one enabled enrichment module.");
    }
    // Each value goes only to the chosen modules that accept its type.
    let accepts = |module: &str, kind: &str| {
        usable[module]
            .mispattributes
            .get("input")
            .and_then(serde_json::Value::as_array)
            .is_some_and(|types| types.iter().any(|t| t.as_str() == Some(kind)))
    };
    let pairs: Vec<(usize, String)> = values
        .iter()
        .enumerate()
        .flat_map(|(i, (_, kind))| {
            modules
                .iter()
                .filter(|m| accepts(m, kind))
                .map(move |m| (i, m.clone()))
        })
        .collect();
    if pairs.is_empty() {
        return fail("None of the chosen modules accepts these types of value.");
    }
    let created = web
        .store
        .create_job_with_cells(user.id, parent, &values, &modules, &pairs)
        .await;
    let (job, cells) = match created {
        Ok(created) => created,
        Err(error) => {
            tracing::error!("database: {error}");
            return fail("The query could not be saved; try again.");
        }
    };
    spawn_cells(web.clone(), cells, &usable);
    if let Err(error) = web
        .store
        .enforce_history_limit(user.id, web.queries_limit)
        .await
    {
        tracing::warn!("could not trim the history: {error}");
    }
    back(&format!("/jobs/{}", job.id))
}

/// The enrichment modules a query may use now: served by the backend and enabled.
async fn usable_modules(web: &Web) -> Result<HashMap<String, app::ModuleDescriptor>, String> {
    let descriptors = web.client.modules().await?;
    let disabled = web.store.disabled_modules().await.map_err(|error| {
        tracing::error!("database: {error}");
        "The database is unavailable; try again shortly.".to_owned()
    })?;
    Ok(descriptors
        .into_iter()
        .filter(|d| d.module_type == ModuleType::Expansion && !disabled.contains(&d.name))
        .map(|d| (d.name.clone(), d))
        .collect())
}

/// Runs the failed results of a query again (a module that timed out, a server that
/// stopped); results that are in stay as they are.
pub async fn retry_job(
    State(web): State<Web>,
    session: Session,
    Form(form): Form<JobIdForm>,
) -> Response {
    let page = format!("/jobs/{}", form.id);
    let Some(user) = current_user(&web, &session).await else {
        return login_again(&page);
    };
    let usable = match usable_modules(&web).await {
        Ok(usable) => usable,
        Err(message) => return back(&format!("{page}?error={}", query_value(&message))),
    };
    match web.store.retry_failed(form.id, user.id).await {
        Ok(cells) => {
            spawn_cells(web.clone(), cells, &usable);
            back(&page)
        }
        Err(crate::store::StoreError::NotFound(_)) => back("/history"),
        Err(error) => {
            tracing::error!("database: {error}");
            back(&format!(
                "{page}?error={}",
                query_value("The database is unavailable; try again shortly.")
            ))
        }
    }
}

/// Deletes a query of the signed-in user's history, with its pivots.
pub async fn delete_job(
    State(web): State<Web>,
    session: Session,
    Form(form): Form<JobIdForm>,
) -> Response {
    let Some(user) = current_user(&web, &session).await else {
        return login_again("/history");
    };
    match web.store.delete_job(form.id, user.id).await {
        Ok(_) => back("/history"),
        Err(error) => {
            tracing::error!("database: {error}");
            back("/history")
        }
    }
}

async fn admin(web: &Web, session: &Session) -> Option<UserRecord> {
    current_user(web, session).await.filter(|u| u.is_admin)
}

fn admin_done(notice: &str) -> Response {
    back(&format!("/admin?notice={}", query_value(notice)))
}

fn admin_failed(message: &str) -> Response {
    back(&format!("/admin?error={}", query_value(message)))
}

pub async fn module_state(
    State(web): State<Web>,
    session: Session,
    Form(form): Form<ModuleToggleForm>,
) -> Response {
    let Some(user) = admin(&web, &session).await else {
        return login_again("/admin");
    };
    match web
        .store
        .set_module_enabled(&form.module, form.enabled)
        .await
    {
        Ok(()) => {
            tracing::info!(target: "audit", user = %user.username, module = %form.module, enabled = form.enabled, "module state changed");
            sync_from_store(&web).await;
            admin_done(&format!(
                "{} is now {}.",
                form.module,
                if form.enabled { "enabled" } else { "disabled" }
            ))
        }
        Err(error) => {
            tracing::error!("database: {error}");
            admin_failed("The change could not be saved.")
        }
    }
}

pub async fn module_setting(
    State(web): State<Web>,
    session: Session,
    Form(form): Form<ModuleSettingForm>,
) -> Response {
    let Some(user) = admin(&web, &session).await else {
        return login_again("/admin");
    };
    let known = match web.client.modules().await {
        Ok(list) => list
            .iter()
            .any(|d| d.name == form.module && super::config_keys(d).contains(&form.key)),
        Err(message) => return admin_failed(&message),
    };
    if !known {
        return admin_failed("That module has no such setting.");
    }
    let clearing = form.clear.is_some() || form.value.is_empty();
    let value = (!clearing).then_some(form.value.as_str());
    match web.store.set_setting(&form.module, &form.key, value).await {
        Ok(()) => {
            // Never the value: who changed which key, and whether it was set or cleared.
            tracing::info!(target: "audit", user = %user.username, module = %form.module, key = %form.key, cleared = clearing, "module setting changed");
            sync_from_store(&web).await;
            admin_done(&format!(
                "{} of {} was {}.",
                form.key,
                form.module,
                if clearing { "cleared" } else { "saved" }
            ))
        }
        Err(error) => {
            tracing::error!("database: {error}");
            admin_failed("The setting could not be saved.")
        }
    }
}

pub async fn new_user(
    State(web): State<Web>,
    session: Session,
    Form(form): Form<NewUserForm>,
) -> Response {
    let Some(admin_user) = admin(&web, &session).await else {
        return login_again("/admin");
    };
    let is_admin = form.is_admin.is_some();
    match web
        .store
        .create_user(form.username.trim(), &form.password, is_admin)
        .await
    {
        Ok(user) => {
            tracing::info!(target: "audit", user = %admin_user.username, created = %user.username, is_admin, "user created");
            admin_done(&format!("User {} was created.", user.username))
        }
        Err(error) => admin_failed(&error.user_message()),
    }
}

pub async fn set_password(
    State(web): State<Web>,
    session: Session,
    Form(form): Form<UserIdForm>,
) -> Response {
    let Some(admin_user) = admin(&web, &session).await else {
        return login_again("/admin");
    };
    let password = form.password.unwrap_or_default();
    match web.store.set_password(form.id, &password).await {
        Ok(()) => {
            tracing::info!(target: "audit", user = %admin_user.username, target_id = form.id, "password changed");
            admin_done("The password was changed.")
        }
        Err(error) => admin_failed(&error.user_message()),
    }
}

pub async fn delete_user(
    State(web): State<Web>,
    session: Session,
    Form(form): Form<UserIdForm>,
) -> Response {
    let Some(admin_user) = admin(&web, &session).await else {
        return login_again("/admin");
    };
    match web.store.delete_user(form.id).await {
        Ok(()) => {
            tracing::info!(target: "audit", user = %admin_user.username, target_id = form.id, "user deleted");
            admin_done("The user was deleted.")
        }
        Err(error) => admin_failed(&error.user_message()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_module_fields_are_all_kept() {
        let form = new_job_form(vec![
            ("values".into(), "8.8.8.8\nexample.com".into()),
            ("types".into(), "ip-dst\ndomain".into()),
            ("modules".into(), "a".into()),
            ("modules".into(), "b".into()),
            ("parent".into(), "7".into()),
        ]);
        assert_eq!(form.modules, ["a", "b"]);
        assert_eq!(form.parent, Some(7));
        assert_eq!(form.types, "ip-dst\ndomain");
    }
}
