//! The server side of the UI's server functions.

use std::collections::{HashMap, HashSet};

use app::ModuleType;
use app::ui::backend::{UiBackend, UiError};
use app::web::{
    AdminModuleView, CellState, CellView, HistoryNode, JobView, ModuleSummary, SessionInfo,
    SettingState, UserView,
};
use async_trait::async_trait;
use serde_json::Value;
use tower_sessions::Session;

use super::auth::current_user;
use super::render::result_view;
use super::{Web, config_keys, likely_required};
use crate::store::{CellRecord, CellStatus, JobRecord, StoreError, UserRecord};

pub struct WebBackend(pub Web);

fn unavailable(error: StoreError) -> UiError {
    tracing::error!("database: {error}");
    UiError::Unavailable("The database is unavailable; try again shortly.".into())
}

impl WebBackend {
    async fn user(&self) -> Result<UserRecord, UiError> {
        let session = leptos_axum::extract::<Session>()
            .await
            .map_err(|_| UiError::NotSignedIn)?;
        current_user(&self.0, &session)
            .await
            .ok_or(UiError::NotSignedIn)
    }

    async fn admin(&self) -> Result<UserRecord, UiError> {
        let user = self.user().await?;
        if user.is_admin {
            Ok(user)
        } else {
            Err(UiError::Forbidden)
        }
    }
}

#[async_trait]
impl UiBackend for WebBackend {
    async fn session(&self) -> Option<SessionInfo> {
        self.user().await.ok().map(|user| SessionInfo {
            username: user.username,
            is_admin: user.is_admin,
        })
    }

    async fn sign_in_warning(&self) -> Option<String> {
        if !self.0.secure_cookies {
            return None;
        }
        let headers = leptos_axum::extract::<axum::http::HeaderMap>().await.ok()?;
        cookie_would_be_dropped(&headers).then(|| {
            "This address is plain HTTP, so your browser will not keep the sign-in cookie: \
             signing in would bring you back here. Use https:// (a TLS proxy in front of this \
             server), http://localhost, or start the server with --insecure-cookies."
                .to_owned()
        })
    }

    async fn enrichment_modules(&self) -> Result<Vec<ModuleSummary>, UiError> {
        self.user().await?;
        let disabled = self.0.store.disabled_modules().await.map_err(unavailable)?;
        let descriptors = self
            .0
            .client
            .modules()
            .await
            .map_err(UiError::Unavailable)?;
        let mut list: Vec<ModuleSummary> = descriptors
            .into_iter()
            .filter(|d| d.module_type == ModuleType::Expansion && !disabled.contains(&d.name))
            .map(|d| {
                let configured = self.0.client.configured_keys(&d.name);
                let missing_settings = config_keys(&d)
                    .into_iter()
                    .filter(|key| likely_required(key) && !configured.contains(key))
                    .collect();
                ModuleSummary {
                    description: d
                        .meta
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                    input: d
                        .mispattributes
                        .get("input")
                        .and_then(Value::as_array)
                        .map(|types| {
                            types
                                .iter()
                                .filter_map(Value::as_str)
                                .map(str::to_owned)
                                .collect()
                        })
                        .unwrap_or_default(),
                    name: d.name,
                    missing_settings,
                }
            })
            .collect();
        list.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(list)
    }

    async fn job(&self, id: i64) -> Result<JobView, UiError> {
        let user = self.user().await?;
        let (job, cells) = self
            .0
            .store
            .job(id, user.id)
            .await
            .map_err(unavailable)?
            .ok_or(UiError::NotFound)?;
        Ok(job_view(job, cells))
    }

    async fn history(&self, search: &str) -> Result<Vec<HistoryNode>, UiError> {
        let user = self.user().await?;
        let search = search.trim();
        let jobs = self
            .0
            .store
            .history(user.id, (!search.is_empty()).then_some(search))
            .await
            .map_err(unavailable)?;
        Ok(history_trees(jobs))
    }

    async fn admin_modules(&self) -> Result<Vec<AdminModuleView>, UiError> {
        self.admin().await?;
        let disabled = self.0.store.disabled_modules().await.map_err(unavailable)?;
        let stored = self
            .0
            .store
            .settings_presence()
            .await
            .map_err(unavailable)?;
        let descriptors = self
            .0
            .client
            .modules()
            .await
            .map_err(UiError::Unavailable)?;
        let mut list: Vec<AdminModuleView> = descriptors
            .into_iter()
            .map(|d| {
                let stored_keys: HashSet<&String> = stored
                    .get(&d.name)
                    .map(|keys| keys.iter().collect())
                    .unwrap_or_default();
                let environment = self.0.engine.defaults().keys_for(&d.name);
                AdminModuleView {
                    settings: config_keys(&d)
                        .into_iter()
                        .map(|key| SettingState {
                            stored: stored_keys.contains(&key),
                            from_environment: environment.contains(&key),
                            pinned: self.0.engine.defaults().is_pinned(&d.name, &key),
                            key,
                        })
                        .collect(),
                    enabled: !disabled.contains(&d.name),
                    module_type: d.module_type.as_str().to_owned(),
                    name: d.name,
                }
            })
            .collect();
        list.sort_by(|a, b| (&a.module_type, &a.name).cmp(&(&b.module_type, &b.name)));
        Ok(list)
    }

    async fn users(&self) -> Result<Vec<UserView>, UiError> {
        self.admin().await?;
        let users = self.0.store.users().await.map_err(unavailable)?;
        Ok(users
            .into_iter()
            .map(|u| UserView {
                id: u.id,
                username: u.username,
                is_admin: u.is_admin,
            })
            .collect())
    }
}

pub fn job_view(job: JobRecord, cells: Vec<CellRecord>) -> JobView {
    let mut cells = cells;
    cells.sort_by_key(|c| c.position);
    JobView {
        id: job.id,
        parent_id: job.parent_id,
        created_at: job.created_at,
        values: job.values,
        modules: job.modules,
        cells: cells.into_iter().map(cell_view).collect(),
    }
}

fn cell_view(cell: CellRecord) -> CellView {
    let result = cell
        .result_json
        .as_deref()
        .and_then(|text| serde_json::from_str::<Value>(text).ok())
        .map(|answer| result_view(&answer, Some(&super::jobs::query_uuid(cell.id))));
    CellView {
        id: cell.id,
        state: match cell.status {
            CellStatus::Pending => CellState::Pending,
            CellStatus::Done => CellState::Done,
            CellStatus::Failed => CellState::Failed,
        },
        value: cell.value,
        value_type: cell.value_type,
        module: cell.module,
        error: cell.error,
        result,
    }
}

/// Jobs (newest first) arranged as trees: roots newest first, children oldest first.
pub fn history_trees(jobs: Vec<JobRecord>) -> Vec<HistoryNode> {
    let ids: HashSet<i64> = jobs.iter().map(|j| j.id).collect();
    let mut children: HashMap<i64, Vec<JobRecord>> = HashMap::new();
    let mut roots = Vec::new();
    for job in jobs {
        match job.parent_id.filter(|p| ids.contains(p)) {
            Some(parent) => children.entry(parent).or_default().push(job),
            None => roots.push(job),
        }
    }
    fn build(job: JobRecord, children: &mut HashMap<i64, Vec<JobRecord>>) -> HistoryNode {
        let mut mine = children.remove(&job.id).unwrap_or_default();
        mine.sort_by_key(|j| (j.created_at, j.id));
        HistoryNode {
            id: job.id,
            created_at: job.created_at,
            values: job.values,
            modules: job.modules,
            children: mine.into_iter().map(|j| build(j, children)).collect(),
        }
    }
    roots.into_iter().map(|j| build(j, &mut children)).collect()
}

/// Whether a browser would refuse a `Secure` cookie for this request: it came over plain
/// HTTP (no TLS proxy says otherwise) to a host that is not loopback, which browsers treat
/// as secure even without TLS.
fn cookie_would_be_dropped(headers: &axum::http::HeaderMap) -> bool {
    let behind_tls = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.eq_ignore_ascii_case("https"));
    if behind_tls {
        return false;
    }
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    let loopback = name.eq_ignore_ascii_case("localhost")
        || name.to_ascii_lowercase().ends_with(".localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    !loopback
}

#[cfg(test)]
mod tests {
    use super::cookie_would_be_dropped;
    use axum::http::{HeaderMap, HeaderValue};

    fn with(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (k, v) in pairs {
            headers.insert(*k, HeaderValue::from_static(v));
        }
        headers
    }

    #[test]
    fn only_plain_http_to_other_hosts_loses_the_cookie() {
        for host in [
            "localhost:7008",
            "127.0.0.1:7008",
            "[::1]:7008",
            "ui.localhost",
        ] {
            assert!(!cookie_would_be_dropped(&with(&[("host", host)])), "{host}");
        }
        assert!(cookie_would_be_dropped(&with(&[("host", "10.0.0.5:7008")])));
        assert!(cookie_would_be_dropped(&with(&[(
            "host",
            "misp-ui.example"
        )])));
        assert!(!cookie_would_be_dropped(&with(&[
            ("host", "misp-ui.example"),
            ("x-forwarded-proto", "https")
        ])));
    }
}
