//! Finds `DIR/<type>/<name>.py` files and asks Python for their metadata.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use app::{ModuleDescriptor, ModuleType};
use serde::Deserialize;
use serde_json::Value;
use thiserror::Error;
use tokio::process::Command;

use super::{BRIDGE, PythonModule, WorkerPool};
use crate::engine::Module;

/// How long loading every custom module may take before start-up gives up on them.
const DESCRIBE_LIMIT: Duration = Duration::from_secs(60);

#[derive(Debug, Error)]
pub enum CustomError {
    #[error("custom module directory {0} does not exist or is not a directory")]
    MissingDirectory(PathBuf),
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
}

#[derive(Deserialize)]
struct Described {
    path: PathBuf,
    ok: Option<Metadata>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct Metadata {
    introspection: Value,
    version: Value,
    dict_handler: bool,
}

/// Loads the custom modules under `dir`. A module that fails to load is skipped with its
/// reason logged; only an unusable directory is an error.
pub async fn load_custom_modules(
    dir: &Path,
    pool: Arc<WorkerPool>,
) -> Result<Vec<Arc<dyn Module>>, CustomError> {
    if !dir.is_dir() {
        return Err(CustomError::MissingDirectory(dir.to_owned()));
    }
    let mut files = Vec::new();
    for module_type in ModuleType::ALL {
        for path in module_files(&dir.join(module_type.as_str()))? {
            files.push((module_type, path));
        }
    }
    if files.is_empty() {
        return Ok(Vec::new());
    }
    let described = describe(pool.python(), files.iter().map(|(_, p)| p.as_path())).await;
    let mut modules: Vec<Arc<dyn Module>> = Vec::new();
    for (module_type, path) in files {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let found = described.iter().find(|d| d.path == path);
        match found {
            Some(Described { ok: Some(meta), .. }) => modules.push(Arc::new(PythonModule {
                descriptor: ModuleDescriptor {
                    name,
                    module_type,
                    mispattributes: meta.introspection.clone(),
                    meta: meta.version.clone(),
                },
                path,
                dict_handler: meta.dict_handler,
                share: tokio::sync::Semaphore::new(pool.per_module_share()),
                pool: Arc::clone(&pool),
            })),
            Some(Described {
                error: Some(reason),
                ..
            }) => {
                tracing::warn!(
                    "custom module {name} ({}) skipped: {reason}",
                    module_type.as_str()
                );
            }
            _ => tracing::warn!(
                "custom module {name} ({}) skipped: no answer from Python",
                module_type.as_str()
            ),
        }
    }
    Ok(modules)
}

/// `*.py` files of one type directory, sorted, without `__init__.py` and `_helpers`.
fn module_files(type_dir: &Path) -> Result<Vec<PathBuf>, CustomError> {
    if !type_dir.is_dir() {
        return Ok(Vec::new());
    }
    let entries = std::fs::read_dir(type_dir).map_err(|source| CustomError::Read {
        path: type_dir.to_owned(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            path.is_file() && name.ends_with(".py") && !name.starts_with('_')
        })
        .collect();
    files.sort();
    Ok(files)
}

async fn describe(python: &Path, paths: impl Iterator<Item = &Path>) -> Vec<Described> {
    let mut command = Command::new(python);
    command
        .arg("-c")
        .arg(BRIDGE)
        .arg("describe")
        .args(paths)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    let output = match tokio::time::timeout(DESCRIBE_LIMIT, command.output()).await {
        Ok(Ok(output)) => output,
        Ok(Err(error)) => {
            tracing::warn!(
                "cannot run {} for custom modules: {error}",
                python.display()
            );
            return Vec::new();
        }
        Err(_) => {
            tracing::warn!("loading custom modules took over {DESCRIBE_LIMIT:?}; none loaded");
            return Vec::new();
        }
    };
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}
