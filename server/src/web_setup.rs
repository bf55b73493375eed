//! Start-up of the web UI: database, secrets, first administrator, module backend.
//! Misconfiguration stops the start with a clear message (fail closed): a placeholder
//! secret or no way to sign in is worse than no UI.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use modules::Engine;
use thiserror::Error;

use crate::cli::Cli;
use crate::store::{SettingsCipher, Store, check_admin_password, check_secret_key};
use crate::web::{InProcess, LoginLimiter, ModuleClient, Remote, RunningCells, Web, WebContext};

#[derive(Debug, Error)]
pub enum WebSetupError {
    #[error("SECRET_KEY is refused: {0}")]
    SecretKey(&'static str),
    #[error(
        "SECRET_KEY must be set when the database is not a local SQLite file (instances sharing a database must share the key)"
    )]
    SecretKeyRequired,
    #[error("cannot keep the generated secret key in {path}: {source}")]
    SecretFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("ADMIN_PASSWORD is refused: {0}")]
    AdminPassword(&'static str),
    #[error(
        "the web UI has no user yet: set ADMIN_PASSWORD (12 characters or more) for the first start, or run with --no-web"
    )]
    NoAdministrator,
    #[error("database: {0}")]
    Database(String),
    #[error("MISP_MODULE: {0}")]
    Backend(String),
}

/// Builds the UI's shared context from the command line and the environment `vars`.
pub async fn build_web(
    cli: &Cli,
    vars: &HashMap<String, String>,
    engine: Arc<Engine>,
) -> Result<Web, WebSetupError> {
    let url = database_url(cli, vars);
    let secret = secret_key(&url, vars)?;
    let store = Store::connect(&url, SettingsCipher::from_secret(&secret))
        .await
        .map_err(|e| WebSetupError::Database(e.to_string()))?;
    ensure_administrator(&store, vars).await?;
    let deadline = Duration::from_secs(cli.ui_timeout.max(1));
    let client: Arc<dyn ModuleClient> = match &cli.module_backend {
        Some(target) if !target.trim().is_empty() => {
            tracing::info!("web UI queries go to the module server {target}");
            Arc::new(
                Remote::new(target, deadline, Arc::clone(&engine))
                    .map_err(WebSetupError::Backend)?,
            )
        }
        _ => Arc::new(InProcess {
            engine: Arc::clone(&engine),
            deadline,
        }),
    };
    let web = Arc::new(WebContext {
        store,
        client,
        engine,
        queries_limit: cli.queries_limit.max(1),
        login_limiter: LoginLimiter::default(),
        secure_cookies: !cli.insecure_cookies,
        site_root: site_root(cli),
        module_deadline: deadline,
        behind_proxy: cli.behind_proxy,
        running: RunningCells::default(),
    });
    crate::web::sync_from_store(&web).await;
    crate::web::sweep_stale_cells(&web).await;
    Ok(web)
}

/// `--database-url`/`DATABASE_URL`, else the reference's `DATABASE_URI` (SQLAlchemy
/// spelling: `sqlite:///relative.db`, `sqlite:////absolute.db`).
fn database_url(cli: &Cli, vars: &HashMap<String, String>) -> String {
    if vars.contains_key("DATABASE_URL") {
        return cli.database_url.clone();
    }
    match vars.get("DATABASE_URI") {
        Some(uri) if !uri.is_empty() => match uri.strip_prefix("sqlite:///") {
            Some(path) => format!("sqlite://{path}"),
            None => uri.clone(),
        },
        _ => cli.database_url.clone(),
    }
}

/// `SECRET_KEY`, checked; for a local SQLite file without one, a random key kept in a
/// file beside the database (mode 0600), so stored settings survive restarts.
fn secret_key(url: &str, vars: &HashMap<String, String>) -> Result<String, WebSetupError> {
    if let Some(secret) = vars.get("SECRET_KEY") {
        check_secret_key(secret).map_err(WebSetupError::SecretKey)?;
        return Ok(secret.clone());
    }
    let Some(path) = sqlite_file(url) else {
        if url.starts_with("sqlite::memory:") {
            return Ok(random_key());
        }
        return Err(WebSetupError::SecretKeyRequired);
    };
    let key_path = PathBuf::from(format!("{}.secret", path.display()));
    match std::fs::read_to_string(&key_path) {
        Ok(existing) if check_secret_key(existing.trim()).is_ok() => Ok(existing.trim().to_owned()),
        _ => {
            let key = random_key();
            write_private(&key_path, &key).map_err(|source| WebSetupError::SecretFile {
                path: key_path.clone(),
                source,
            })?;
            tracing::info!("generated a secret key in {}", key_path.display());
            Ok(key)
        }
    }
}

fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.starts_with(":memory:")).then(|| PathBuf::from(path))
}

fn random_key() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(text.as_bytes())
}

/// The first start creates the administrator from `ADMIN_PASSWORD` (user `admin`, or
/// `ADMIN_USERNAME`). Later starts leave accounts alone, but still refuse a placeholder.
async fn ensure_administrator(
    store: &Store,
    vars: &HashMap<String, String>,
) -> Result<(), WebSetupError> {
    let password = vars.get("ADMIN_PASSWORD");
    if let Some(password) = password {
        check_admin_password(password).map_err(WebSetupError::AdminPassword)?;
    }
    let users = store
        .user_count()
        .await
        .map_err(|e| WebSetupError::Database(e.to_string()))?;
    if users > 0 {
        return Ok(());
    }
    let Some(password) = password else {
        return Err(WebSetupError::NoAdministrator);
    };
    let username = vars
        .get("ADMIN_USERNAME")
        .filter(|u| !u.trim().is_empty())
        .map_or("admin", |u| u.trim());
    store
        .create_user(username, password, true)
        .await
        .map_err(|e| WebSetupError::Database(e.to_string()))?;
    tracing::info!(target: "audit", user = username, "administrator created at first start");
    Ok(())
}

fn site_root(cli: &Cli) -> PathBuf {
    if let Some(root) = &cli.site_root {
        return root.clone();
    }
    let beside_binary = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("site")));
    match beside_binary {
        Some(dir) if dir.join("pkg").is_dir() => dir,
        _ => PathBuf::from("target/site"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_reference_database_uri_is_understood() {
        let cli = Cli::try_parse_from(["misp-modules"]).unwrap();
        assert_eq!(
            database_url(&cli, &vars(&[("DATABASE_URI", "sqlite:///misp-module.db")])),
            "sqlite://misp-module.db"
        );
        assert_eq!(
            database_url(&cli, &vars(&[("DATABASE_URI", "sqlite:////var/lib/m.db")])),
            "sqlite:///var/lib/m.db"
        );
        assert_eq!(database_url(&cli, &vars(&[])), "sqlite://misp-modules.db");
    }

    #[test]
    fn shared_databases_need_an_explicit_secret() {
        let error = secret_key("postgres://u@h/db", &vars(&[])).unwrap_err();
        assert!(matches!(error, WebSetupError::SecretKeyRequired));
        let error = secret_key(
            "postgres://u@h/db",
            &vars(&[("SECRET_KEY", "your-secure-secret-key")]),
        )
        .unwrap_err();
        assert!(matches!(error, WebSetupError::SecretKey(_)));
    }

    #[test]
    fn a_local_database_gets_a_kept_secret() {
        let dir = std::env::temp_dir().join(format!("mm-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}/ui.db", dir.display());
        let first = secret_key(&url, &vars(&[])).unwrap();
        let second = secret_key(&url, &vars(&[])).unwrap();
        assert_eq!(first, second);
        assert_eq!(first.len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("ui.db.secret"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
