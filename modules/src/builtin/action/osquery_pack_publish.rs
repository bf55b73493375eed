//! `osquery_pack_publish`: the workflow action that writes the osquery pack of the
//! selected events (built as `osqueryexport` builds it) into the pack directory the
//! module server is configured with, for a file-based osquery deployment to pick up.
//!
//! The directory is server configuration only (`OSQUERY_PACK_DIRECTORY`, read at
//! start-up); a request names the pack, never a path. The file name is `misp-<pack_name>
//! .conf` with a pack name of letters, digits, `_` and `-`, so it cannot leave the
//! directory. The content goes to a fresh temporary file first, then is linked (no
//! overwrite) or renamed (overwrite) into place: neither follows a symlink, and readers
//! never see a half-written pack. Dry run, the default, writes nothing.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::builtin::export::indicators::flag;
use crate::builtin::export::osqueryexport::build_pack;
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};
use crate::misp::new_uuid;

/// The environment variable naming the pack directory.
pub const DIRECTORY_VARIABLE: &str = "OSQUERY_PACK_DIRECTORY";

const NOT_CONFIGURED: &str =
    "Configure OSQUERY_PACK_DIRECTORY as an existing absolute directory on the module server.";
const EXISTS: &str = "Pack already exists; set overwrite=true to replace its complete contents.";
const WRITE_FAILED: &str = "filesystem write failed; check server permissions and pack state.";

pub struct OsqueryPackPublish {
    descriptor: ModuleDescriptor,
    directory: Option<PathBuf>,
}

impl OsqueryPackPublish {
    pub fn new() -> Self {
        let directory = std::env::var_os(DIRECTORY_VARIABLE)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from);
        Self::with_directory(directory)
    }

    pub fn with_directory(directory: Option<PathBuf>) -> Self {
        let config = json!({
            "params": {
                "pack_name": {"type": "string", "description": "Required: the pack's name, letters, digits, _ and - only (written as misp-<name>.conf)"},
                "interval": {"type": "string", "description": "Seconds between runs of each query", "value": "3600"},
                "scan_path": {"type": "string", "description": "Absolute osquery path pattern that file, hash and YARA queries search"},
                "dry_run": {"type": "string", "description": "Only show the pack, write nothing", "value": "true"},
                "overwrite": {"type": "string", "description": "Replace an existing pack of that name with this one", "value": "false"}
            },
            "blocking": true,
            "support_filters": false,
            "expect_misp_core_format": true
        });
        let descriptor = descriptor(
            "osquery_pack_publish",
            ModuleType::Action,
            json!({"config": config}),
            json!({
                "version": "1.0",
                "author": "misp-modules-stack",
                "description": "Writes the osquery query pack of the selected events into the pack directory configured on the module server.",
                "module-type": ["action"],
                "name": "OSQuery Pack Publish",
                "config": config,
                "requirements": ["OSQUERY_PACK_DIRECTORY set on the module server to an existing absolute directory"],
                "input": "The events a workflow selected, with their object attributes.",
                "output": "Whether the pack was planned or written, its file name, content, SHA-256, counts and the attributes behind each query."
            }),
        );
        Self {
            descriptor,
            directory,
        }
    }
}

fn valid_pack_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (1..=64).contains(&bytes.len())
        && bytes[0].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
}

/// Why a publication failed: a message for the user, or a filesystem error whose details
/// stay in the log.
enum Failure {
    Refused(String),
    Io(io::Error),
}

impl From<io::Error> for Failure {
    fn from(error: io::Error) -> Self {
        Failure::Io(error)
    }
}

fn publish(
    directory: Option<&Path>,
    filename: &str,
    content: &[u8],
    overwrite: bool,
) -> Result<(), Failure> {
    let directory = directory
        .filter(|d| d.is_absolute() && d.is_dir())
        .ok_or_else(|| Failure::Refused(NOT_CONFIGURED.into()))?;
    let target = directory.join(filename);
    if fs::symlink_metadata(&target).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(Failure::Refused(
            "Refusing to publish over a symlink.".into(),
        ));
    }
    let temporary = directory.join(format!(".misp-pack-{}", new_uuid()));
    let outcome = write_then_place(&temporary, &target, content, overwrite);
    // The temporary name is ours alone; after a link or a failure it must go.
    if fs::symlink_metadata(&temporary).is_ok() {
        let _ = fs::remove_file(&temporary);
    }
    match outcome {
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists && !overwrite => {
            Err(Failure::Refused(EXISTS.into()))
        }
        other => Ok(other?),
    }
}

fn write_then_place(
    temporary: &Path,
    target: &Path,
    content: &[u8],
    overwrite: bool,
) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o640);
    }
    let mut file = options.open(temporary)?;
    file.write_all(content)?;
    file.sync_all()?;
    drop(file);
    if overwrite {
        // Replaces the directory entry itself, a symlink planted meanwhile included.
        fs::rename(temporary, target)
    } else {
        // Fails when the name exists in any form: an atomic "create if absent".
        fs::hard_link(temporary, target)
    }
}

fn run(request: &QueryRequest, directory: Option<&Path>) -> Result<Value, Failure> {
    let refused = |text: &str| Failure::Refused(text.to_owned());
    if request.get("filteredItems").is_some() || request.get("matchingData").is_some() {
        return Err(refused(
            "Workflow filters/extracted data are unsupported; supply selected events in data.",
        ));
    }
    let empty = Map::new();
    let params = match request.get("params") {
        None => &empty,
        Some(Value::Object(params)) => params,
        Some(_) => return Err(refused("params must be an object.")),
    };
    let name = params.get("pack_name").and_then(Value::as_str);
    let Some(name) = name.filter(|n| valid_pack_name(n)) else {
        return Err(refused(
            "pack_name must be 1-64 letters, digits, _ or -, starting with a letter or digit.",
        ));
    };
    let dry_run = match params.get("dry_run") {
        None | Some(Value::Null) => true,
        Some(Value::String(text)) if text.is_empty() => true,
        other => flag(other, "dry_run").map_err(|e| Failure::Refused(e.0))?,
    };
    let overwrite =
        flag(params.get("overwrite"), "overwrite").map_err(|e| Failure::Refused(e.0))?;
    // Workflows publish IDS attributes only: the action has no include_non_ids setting.
    let mut settings = Map::new();
    for key in ["interval", "scan_path"] {
        if let Some(value) = params.get(key) {
            settings.insert(key.to_owned(), value.clone());
        }
    }
    let pack = build_pack(request.get("data"), &settings).map_err(|e| Failure::Refused(e.0))?;
    if pack.queries.is_empty() {
        return Err(refused(
            "No eligible queries; refusing to publish an empty pack.",
        ));
    }
    let content = pack.file();
    let filename = format!("misp-{name}.conf");
    if !dry_run {
        publish(directory, &filename, content.as_bytes(), overwrite)?;
    }
    let digest: String = Sha256::digest(content.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(json!({
        "result_key": "osquery_pack_publish",
        "data": {
            "success": true,
            "status": if dry_run { "planned" } else { "published" },
            "filename": filename,
            "sha256": digest,
            "pack": {"queries": pack.queries},
            "summary": pack.summary(),
            "sources": pack.sources,
            "activation": "Distribute the pack and reload osquery configuration; publication does not execute queries."
        }
    }))
}

#[async_trait]
impl Module for OsqueryPackPublish {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.descriptor
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        let directory = self.directory.clone();
        // Filesystem calls block; keep them off the async workers.
        let outcome = tokio::task::spawn_blocking(move || run(&request, directory.as_deref()))
            .await
            .map_err(|e| ModuleError::internal(format!("osquery_pack_publish: {e}")))?;
        match outcome {
            Ok(answer) => Ok(answer),
            Err(Failure::Refused(message)) => Err(ModuleError::reported(format!(
                "osquery pack publish: {message}"
            ))),
            Err(Failure::Io(error)) => {
                tracing::warn!("osquery_pack_publish: {error}");
                Err(ModuleError::reported(format!(
                    "osquery pack publish: {WRITE_FAILED}"
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::{query, reported};

    const REQUEST: &str = include_str!("testdata/osquery_pack_request.json");
    const EXPECTED: &str = include_str!("testdata/osquery_pack_expected.json");

    /// A fresh directory under the system's temporary one, removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new() -> Self {
            let path = std::env::temp_dir().join(format!("osquery-pack-test-{}", new_uuid()));
            fs::create_dir(&path).unwrap();
            Scratch(path)
        }

        fn entries(&self) -> Vec<String> {
            let mut names: Vec<String> = fs::read_dir(&self.0)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn request(params: Value) -> Value {
        let mut body: Value = serde_json::from_str(REQUEST).unwrap();
        for (key, value) in params.as_object().unwrap() {
            body["params"][key] = value.clone();
        }
        body
    }

    fn module(directory: &Path) -> OsqueryPackPublish {
        OsqueryPackPublish::with_directory(Some(directory.to_owned()))
    }

    #[tokio::test]
    async fn dry_run_matches_the_reference_and_writes_nothing() {
        let scratch = Scratch::new();
        let answer = query(&module(&scratch.0), request(json!({})))
            .await
            .unwrap();
        let expected: Value = serde_json::from_str(EXPECTED).unwrap();
        assert_eq!(answer, expected);
        assert!(scratch.entries().is_empty());
    }

    #[tokio::test]
    async fn publishes_once_and_replaces_only_when_asked() {
        let scratch = Scratch::new();
        let publish = request(json!({"dry_run": "false"}));
        let answer = query(&module(&scratch.0), publish.clone()).await.unwrap();
        assert_eq!(answer["data"]["status"], "published");
        assert_eq!(scratch.entries(), ["misp-apt-42.conf"]);
        let written = fs::read(scratch.0.join("misp-apt-42.conf")).unwrap();
        // Same bytes as the reference wrote (its digest is in the expected answer).
        let expected: Value = serde_json::from_str(EXPECTED).unwrap();
        let digest: String = Sha256::digest(&written)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(digest, expected["data"]["sha256"].as_str().unwrap());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(scratch.0.join("misp-apt-42.conf"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o640);
        }

        assert_eq!(
            reported(query(&module(&scratch.0), publish).await),
            format!("osquery pack publish: {EXISTS}")
        );
        let replace = request(json!({"dry_run": "0", "overwrite": "1", "interval": "60"}));
        query(&module(&scratch.0), replace).await.unwrap();
        let text = fs::read_to_string(scratch.0.join("misp-apt-42.conf")).unwrap();
        assert!(text.contains("\"interval\": 60,"));
        assert_eq!(
            scratch.entries(),
            ["misp-apt-42.conf"],
            "no temporary file left"
        );
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn never_writes_through_a_symlink() {
        let scratch = Scratch::new();
        let outside = Scratch::new();
        let victim = outside.0.join("victim");
        fs::write(&victim, "keep").unwrap();
        std::os::unix::fs::symlink(&victim, scratch.0.join("misp-apt-42.conf")).unwrap();
        for overwrite in ["0", "1"] {
            let body = request(json!({"dry_run": false, "overwrite": overwrite}));
            assert_eq!(
                reported(query(&module(&scratch.0), body).await),
                "osquery pack publish: Refusing to publish over a symlink."
            );
        }
        assert_eq!(fs::read_to_string(&victim).unwrap(), "keep");
        assert_eq!(scratch.entries(), ["misp-apt-42.conf"]);
    }

    #[tokio::test]
    async fn request_names_cannot_leave_the_directory() {
        let scratch = Scratch::new();
        for name in [
            "../etc/cron.d/x",
            "/tmp/x",
            "a/b",
            "-lead",
            "",
            "dot.name",
            &"a".repeat(65),
        ] {
            let body = request(json!({"pack_name": name, "dry_run": "false"}));
            assert_eq!(
                reported(query(&module(&scratch.0), body).await),
                "osquery pack publish: pack_name must be 1-64 letters, digits, _ or -, starting with a letter or digit.",
                "{name}"
            );
        }
        assert!(scratch.entries().is_empty());
    }

    #[tokio::test]
    async fn the_directory_must_be_configured_absolute_and_existing() {
        let publish = request(json!({"dry_run": "true "}));
        let message = reported(query(&OsqueryPackPublish::with_directory(None), publish).await);
        assert_eq!(
            message,
            "osquery pack publish: dry_run must be true, false, 1 or 0."
        );
        let publish = request(json!({"dry_run": "False"}));
        for directory in [
            None,
            Some(PathBuf::from("relative/packs")),
            Some(PathBuf::from("/nonexistent/osquery-packs")),
        ] {
            let module = OsqueryPackPublish::with_directory(directory);
            assert_eq!(
                reported(query(&module, publish.clone()).await),
                format!("osquery pack publish: {NOT_CONFIGURED}")
            );
        }
        // A dry run needs no directory.
        let planned = query(
            &OsqueryPackPublish::with_directory(None),
            request(json!({})),
        )
        .await
        .unwrap();
        assert_eq!(planned["data"]["status"], "planned");
    }

    #[tokio::test]
    async fn invalid_requests_are_refused_like_the_reference() {
        let module = OsqueryPackPublish::with_directory(None);
        let cases = [
            (
                json!({"params": {"pack_name": "ok"}, "data": {"Event": {"Attribute": []}}}),
                "No eligible queries; refusing to publish an empty pack.",
            ),
            (
                json!({"params": {"pack_name": "ok"}, "data": "x"}),
                "data must contain an event or list of events.",
            ),
            (
                json!({"params": {"pack_name": "ok", "interval": "0"}, "data": {}}),
                "interval must be an integer from 1 to 604800 seconds.",
            ),
            (
                json!({"params": {"pack_name": "ok", "scan_path": "relative/%"}, "data": {}}),
                "scan_path must be an absolute osquery path pattern.",
            ),
            (
                json!({"params": [], "data": {}}),
                "params must be an object.",
            ),
            (
                json!({"params": {"pack_name": "ok"}, "data": {}, "matchingData": {}}),
                "Workflow filters/extracted data are unsupported; supply selected events in data.",
            ),
        ];
        for (body, message) in cases {
            assert_eq!(
                reported(query(&module, body).await),
                format!("osquery pack publish: {message}")
            );
        }
    }
}
