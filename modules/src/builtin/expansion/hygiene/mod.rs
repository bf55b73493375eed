//! `hygiene`: looks an observable up in the MISP warninglists and records every list it
//! appears in as a `warninglist-match` object.
//!
//! The lists shipped with pymispwarninglists 1.7.0 are compiled in, gzip-compressed
//! (`modules/data/warninglists/`). They are decompressed and indexed on the first hygiene
//! query, not at start-up, and the index is shared by all later queries.
//!
//! `warninglists_path` (a misp-warninglists checkout) comes from the query's config, which
//! the caller controls, so it is only honoured when it is the deployment's own setting
//! (`MISP_MODULES_HYGIENE_WARNINGLISTS_PATH`) or lies inside the directory the operator
//! names in `HYGIENE_WARNINGLISTS_ROOT`; anything else is refused without touching it.

mod index;
mod values;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Map, Value, json};
use tokio::sync::{Mutex, OnceCell};

use super::input_attribute::echo;
use crate::engine::{
    AttributeInput, Module, ModuleError, QueryRequest, config_env_name, descriptor,
};
use crate::misp::{ObjectBuilder, new_attribute};
use index::{Builder, Index, LoadError};
use values::{Refusal, normalise_domain, python_ip_text, python_strip, python_urlsplit};

/// The environment variable naming the directory local checkouts must lie in.
pub const ROOT_VARIABLE: &str = "HYGIENE_WARNINGLISTS_ROOT";

static BUNDLED: &[u8] = include_bytes!("../../../../data/warninglists/lists.jsonl.gz");

const INPUT_TYPES: [&str; 10] = [
    "domain",
    "hostname",
    "url",
    "ip-src",
    "ip-dst",
    "md5",
    "sha1",
    "sha256",
    "email-src",
    "email-dst",
];
const LOAD_FAILED: &str = "The local warninglists could not be loaded or searched.";
const INVALID_REQUEST: &str = "Invalid request or service response.";
const PATH_REFUSED: &str = "warninglists_path must be inside the warninglists directory configured on the module server (HYGIENE_WARNINGLISTS_ROOT).";
const MODULE_NAME: &str = "Hygiene Warninglist Check";

/// The index of one local checkout and what its files looked like when it was built.
struct LocalIndex {
    path: PathBuf,
    stamp: Vec<(PathBuf, Option<SystemTime>, u64)>,
    index: Arc<Index>,
}

pub struct Hygiene {
    descriptor: ModuleDescriptor,
    /// Canonical form taken lazily; `None` when the operator set neither setting.
    root: Option<PathBuf>,
    deployment_path: Option<PathBuf>,
    bundled: OnceCell<Arc<Index>>,
    local: Mutex<Option<LocalIndex>>,
}

impl Hygiene {
    pub fn new() -> Self {
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        Self::with_settings(
            var(ROOT_VARIABLE),
            var(&config_env_name("hygiene", "warninglists_path")),
        )
    }

    pub fn with_settings(root: Option<PathBuf>, deployment_path: Option<PathBuf>) -> Self {
        Self {
            descriptor: descriptor(
                "hygiene",
                ModuleType::Expansion,
                json!({"input": INPUT_TYPES, "format": "misp_standard"}),
                json!({
                    "version": "1",
                    "author": "misp-modules-stack",
                    "name": MODULE_NAME,
                    "description": "Looks an observable up in the MISP warninglists and adds one warninglist-match object per list that holds it.",
                    "module-type": ["expansion"],
                    "logo": "",
                    "requirements": [],
                    "features": "Works offline on the warninglists of pymispwarninglists 1.7.0 compiled into the server, indexed once on first use. slow_search (default true) applies each list's own rule: CIDR ranges, host names and their subdomains, substrings; false asks for exact membership. max_results (1-100, default 25) caps the objects; a capped answer adds an annotation saying so. warninglists_path selects a local misp-warninglists checkout, accepted only as the server's own setting or inside the directory named by HYGIENE_WARNINGLISTS_ROOT. A match is context for the analyst, not a verdict that the value is benign.",
                    "references": ["https://github.com/MISP/misp-warninglists", "https://github.com/MISP/PyMISPWarningLists"],
                    "input": "A domain, hostname, url, ip-src, ip-dst, md5, sha1, sha256, email-src or email-dst attribute.",
                    "output": "warninglist-match objects referencing the attribute.",
                    "config": ["warninglists_path", "slow_search", "max_results"]
                }),
            ),
            root,
            deployment_path,
            bundled: OnceCell::new(),
            local: Mutex::new(None),
        }
    }

    async fn bundled_index(&self) -> Result<Arc<Index>, ModuleError> {
        self.bundled
            .get_or_try_init(|| async {
                let index = run_blocking(load_bundled).await?;
                tracing::info!(
                    lists = index.lists().len(),
                    bytes = index.size_hint(),
                    "hygiene: bundled warninglists indexed"
                );
                Ok(Arc::new(index))
            })
            .await
            .cloned()
    }

    /// The index of a checkout, rebuilt only when its list files change.
    async fn local_index(&self, path: PathBuf) -> Result<Arc<Index>, ModuleError> {
        let mut cached = self.local.lock().await;
        let probe = path.clone();
        let stamp = run_blocking(move || Ok(stamp(&probe))).await?;
        if let Some(local) = cached.as_ref()
            && local.path == path
            && local.stamp == stamp
        {
            return Ok(Arc::clone(&local.index));
        }
        // Free the previous checkout's index before building the next one.
        *cached = None;
        let files: Vec<PathBuf> = stamp.iter().map(|(p, _, _)| p.clone()).collect();
        let index = Arc::new(run_blocking(move || load_files(&files)).await?);
        *cached = Some(LocalIndex {
            path,
            stamp,
            index: Arc::clone(&index),
        });
        Ok(index)
    }

    /// The checkout a query names, if the operator allows it.
    fn allowed_path(&self, requested: &str) -> Result<PathBuf, ModuleError> {
        let refused = || ModuleError::reported(PATH_REFUSED);
        // Resolved before any other check so that a refused path reveals nothing.
        let canonical = Path::new(requested).canonicalize().map_err(|_| refused())?;
        let same_as_setting = self
            .deployment_path
            .as_ref()
            .and_then(|p| p.canonicalize().ok())
            .is_some_and(|p| p == canonical);
        let under_root = self
            .root
            .as_ref()
            .and_then(|r| r.canonicalize().ok())
            .is_some_and(|r| canonical.starts_with(r));
        if !(same_as_setting || under_root) {
            return Err(refused());
        }
        if !canonical.is_dir() || !canonical.join("lists").is_dir() {
            return Err(ModuleError::reported(
                "warninglists_path must contain a lists directory.",
            ));
        }
        Ok(canonical)
    }
}

async fn run_blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, LoadError> + Send + 'static,
) -> Result<T, ModuleError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => {
            tracing::warn!("hygiene: warninglists not loaded: {error}");
            Err(ModuleError::reported(LOAD_FAILED))
        }
        Err(error) => Err(ModuleError::internal(format!("hygiene loader: {error}"))),
    }
}

fn load_bundled() -> Result<Index, LoadError> {
    let mut reader = BufReader::new(flate2::bufread::GzDecoder::new(BUNDLED));
    let mut builder = Builder::default();
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| LoadError(format!("bundled lists: {e}")))?;
        if read == 0 {
            break;
        }
        builder.add(&line)?;
    }
    builder.build()
}

/// `lists/*/list.json` in directory order (hidden entries skipped), as Python's glob
/// finds them, with what identifies each file's version.
fn stamp(root: &Path) -> Vec<(PathBuf, Option<SystemTime>, u64)> {
    let Ok(entries) = std::fs::read_dir(root.join("lists")) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(|e| {
            let file = e.path().join("list.json");
            let meta = std::fs::metadata(&file).ok()?;
            Some((file, meta.modified().ok(), meta.len()))
        })
        .collect()
}

fn load_files(files: &[PathBuf]) -> Result<Index, LoadError> {
    let mut builder = Builder::default();
    for file in files {
        let bytes =
            std::fs::read(file).map_err(|e| LoadError(format!("{}: {e}", file.display())))?;
        builder.add(&bytes)?;
    }
    builder.build()
}

/// Python truthiness of a JSON value.
fn truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Number(n)) => n.as_f64() != Some(0.0),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(Value::Bool(true)) => true,
    }
}

fn refusal(refusal: Refusal) -> ModuleError {
    match refusal {
        Refusal::Message(text) => ModuleError::reported(text),
        Refusal::Invalid => ModuleError::reported(INVALID_REQUEST),
    }
}

/// The value as the lists are searched for it.
fn search_value(attribute_type: &str, raw: &str) -> Result<String, ModuleError> {
    let value = python_strip(raw);
    let hash_len = match attribute_type {
        "md5" => Some(32),
        "sha1" => Some(40),
        "sha256" => Some(64),
        _ => None,
    };
    if let Some(len) = hash_len {
        if value.len() != len || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ModuleError::reported(format!(
                "Invalid {attribute_type} hash."
            )));
        }
        return Ok(value.to_ascii_lowercase());
    }
    match attribute_type {
        "ip-src" | "ip-dst" => python_ip_text(value).ok_or_else(|| refusal(Refusal::Invalid)),
        "domain" | "hostname" => normalise_domain(value).map_err(refusal),
        "url" => {
            let split = python_urlsplit(value).map_err(|()| refusal(Refusal::Invalid))?;
            if !matches!(split.scheme.as_str(), "http" | "https")
                || split.hostname().is_none()
                || split.has_credentials()
            {
                return Err(ModuleError::reported("Invalid HTTP(S) URL."));
            }
            Ok(value.to_owned())
        }
        _ => {
            let Some((local, domain)) = value.rsplit_once('@').filter(|(l, _)| !l.is_empty())
            else {
                return Err(ModuleError::reported("A valid email address is required."));
            };
            Ok(format!(
                "{local}@{}",
                normalise_domain(domain).map_err(refusal)?
            ))
        }
    }
}

fn max_results(config: &Map<String, Value>) -> Result<usize, ModuleError> {
    let wrong = || ModuleError::reported("max_results must be an integer between 1 and 100.");
    let text = match config.get("max_results") {
        None | Some(Value::Null) => return Ok(25),
        Some(Value::String(s)) if s.is_empty() => return Ok(25),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => return Err(wrong()),
    };
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(wrong());
    }
    match text.trim_start_matches('0').parse::<usize>() {
        Ok(n) if (1..=100).contains(&n) => Ok(n),
        _ => Err(wrong()),
    }
}

fn smart_mode(config: &Map<String, Value>) -> Result<bool, ModuleError> {
    let text = match config.get("slow_search") {
        None => return Ok(true),
        // An unset setting arrives empty from some callers; the default applies.
        Some(Value::String(s)) if s.is_empty() => return Ok(true),
        Some(Value::String(s)) => s.to_lowercase(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(_) => String::new(),
    };
    match text.as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ModuleError::reported("slow_search must be true or false.")),
    }
}

fn limit_annotation(uuid: &str, limit: usize) -> Result<Value, ModuleError> {
    let mut object = ObjectBuilder::new("annotation")?;
    let text = format!("{{\n  \"limit\": {limit},\n  \"more_results_available\": true\n}}");
    let mut attribute = new_attribute("text", text);
    attribute.disable_correlation = true;
    object.add_attribute("text", attribute);
    object.reference(uuid, "describes");
    let mut value = serde_json::to_value(object.build())
        .map_err(|e| ModuleError::internal(format!("annotation: {e}")))?;
    if let Value::Object(map) = &mut value {
        map.insert(
            "comment".into(),
            Value::String(format!("{MODULE_NAME} result limit")),
        );
    }
    Ok(value)
}

#[async_trait]
impl Module for Hygiene {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.descriptor
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        let attribute = request.get("attribute").and_then(Value::as_object);
        let Some(attribute) =
            attribute.filter(|a| ["type", "value", "uuid"].iter().all(|k| truthy(a.get(*k))))
        else {
            return Err(ModuleError::reported(
                "An attribute containing type, value and uuid is required.",
            ));
        };
        let attribute_type = attribute["type"].as_str().unwrap_or_default();
        if !INPUT_TYPES.contains(&attribute_type) {
            return Err(ModuleError::reported("Unsupported attribute type."));
        }
        let raw_value = match attribute["value"].as_str() {
            Some(v) if !python_strip(v).is_empty() => v,
            _ => {
                return Err(ModuleError::reported(
                    "The attribute value must be a nonempty string.",
                ));
            }
        };
        let empty = Map::new();
        let config = match request.get("config") {
            None | Some(Value::Null) => &empty,
            Some(Value::Object(config)) => config,
            Some(_) => return Err(ModuleError::reported("The config must be a JSON object.")),
        };
        let Some(uuid) = attribute["uuid"].as_str() else {
            return Err(ModuleError::reported(INVALID_REQUEST));
        };

        let value = search_value(attribute_type, raw_value)?;
        let limit = max_results(config)?;
        let smart = smart_mode(config)?;
        let index = match config.get("warninglists_path") {
            Some(path) if truthy(Some(path)) => {
                let Some(path) = path.as_str() else {
                    return Err(ModuleError::reported(INVALID_REQUEST));
                };
                let path = self.allowed_path(path)?;
                self.local_index(path).await?
            }
            _ => self.bundled_index().await?,
        };
        let found = index
            .search(&value, smart)
            .map_err(|_| ModuleError::reported(LOAD_FAILED))?;
        let rows: Vec<_> = found
            .into_iter()
            .filter(|list| list.applies_to(attribute_type))
            .collect();

        let mut objects = Vec::new();
        if rows.len() > limit {
            objects.push(limit_annotation(uuid, limit)?);
        }
        let mode = if smart { "smart" } else { "exact" };
        for list in rows.into_iter().take(limit) {
            let mut object = ObjectBuilder::new("warninglist-match")?;
            for (relation, text) in [
                ("value", value.as_str()),
                ("warninglist-name", &list.name),
                ("warninglist-version", &list.version),
                ("warninglist-type", list.list_type.as_str()),
                ("description", &list.description),
                ("matching-mode", mode),
            ] {
                object.add(relation, text)?;
            }
            object.reference(uuid, "describes");
            objects.push(
                serde_json::to_value(object.build())
                    .map_err(|e| ModuleError::internal(format!("object: {e}")))?,
            );
        }
        let echoed = echo(&AttributeInput {
            attribute_type: attribute_type.to_owned(),
            value: raw_value.to_owned(),
            uuid: uuid.to_owned(),
            raw: attribute.clone(),
        });
        Ok(json!({"results": {"Attribute": [echoed], "Object": objects}}))
    }
}

#[cfg(test)]
mod tests;
