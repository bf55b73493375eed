//! Lookups in local IPGeolocation.io MMDB databases: nothing leaves the host.
//!
//! `mmdb_paths` names files or directories of `.mmdb` files. Each file is read once and
//! reused while it is unchanged on disk; a file an updater replaced is read again at the
//! next check, so new releases are picked up without a restart.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use chrono::DateTime;
use maxminddb::Reader;
use serde_json::Value;

use super::fields::{Fields, expand_database_record, normalize};
use crate::engine::ModuleError;

/// How long a setting's file list and file states are trusted before being checked again.
pub const RECHECK: Duration = Duration::from_secs(60);
/// Distinct `mmdb_paths` settings remembered; more are forgotten oldest first.
const MAX_SETTINGS: usize = 16;

/// Size, modification time and inode: a replaced file differs in at least one.
type Signature = (u64, Option<SystemTime>, u64);

struct Database {
    path: PathBuf,
    signature: Signature,
    reader: Arc<Reader<Vec<u8>>>,
    /// "db-ip-city.mmdb (ipgeolocation.io Database, built 2026-09-30)"
    description: String,
}

struct Checked {
    at: Instant,
    databases: Vec<Arc<Database>>,
}

/// The databases behind each `mmdb_paths` setting seen, shared by all queries.
pub struct Databases {
    recheck: Duration,
    settings: Mutex<HashMap<String, Checked>>,
}

fn cannot_read(path: &Path, error: &std::io::Error) -> ModuleError {
    // The OS text without Rust's " (os error N)" suffix.
    let text = error.to_string();
    let text = text.split(" (os error").next().unwrap_or(&text);
    ModuleError::reported(format!(
        "Cannot read the IPGeolocation.io database {}: {text}",
        path.display()
    ))
}

fn signature(path: &Path) -> Result<Signature, ModuleError> {
    let metadata = std::fs::metadata(path).map_err(|e| cannot_read(path, &e))?;
    Ok((metadata.len(), metadata.modified().ok(), inode(&metadata)))
}

#[cfg(unix)]
fn inode(metadata: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(metadata)
}

#[cfg(not(unix))]
fn inode(_: &std::fs::Metadata) -> u64 {
    0
}

/// The files a setting names: listed files as they are, directories' `.mmdb` files in
/// name order.
fn files(setting: &str) -> Result<Vec<PathBuf>, ModuleError> {
    let mut files = Vec::new();
    for entry in setting.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let path = PathBuf::from(entry);
        if path.is_dir() {
            let listing = std::fs::read_dir(&path).map_err(|e| cannot_read(&path, &e))?;
            let mut found: Vec<PathBuf> = listing
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "mmdb"))
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(path);
        }
    }
    Ok(files)
}

fn open(path: &Path, signature: Signature) -> Result<Database, ModuleError> {
    let reader = Reader::open_readfile(path).map_err(|e| match e {
        maxminddb::MaxMindDbError::Io(io) => cannot_read(path, &io),
        other => ModuleError::reported(format!(
            "Cannot open the IPGeolocation.io database {}: {other}",
            path.display()
        )),
    })?;
    let metadata = reader.metadata();
    let built = i64::try_from(metadata.build_epoch)
        .ok()
        .and_then(|epoch| DateTime::from_timestamp(epoch, 0))
        .map_or_else(
            || "unknown".to_owned(),
            |d| d.format("%Y-%m-%d").to_string(),
        );
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let description = format!("{name} ({}, built {built})", metadata.database_type);
    Ok(Database {
        path: path.to_owned(),
        signature,
        reader: Arc::new(reader),
        description,
    })
}

impl Databases {
    pub fn new(recheck: Duration) -> Self {
        Self {
            recheck,
            settings: Mutex::default(),
        }
    }

    /// The databases of `setting`, (re)opening files that are new or changed. Blocking:
    /// call from a blocking task.
    fn current(&self, setting: &str) -> Result<Vec<Arc<Database>>, ModuleError> {
        let mut settings = self.settings.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(checked) = settings.get(setting)
            && checked.at.elapsed() <= self.recheck
        {
            return Ok(checked.databases.clone());
        }
        let previous: HashMap<PathBuf, Arc<Database>> = settings
            .values()
            .flat_map(|c| c.databases.iter())
            .map(|d| (d.path.clone(), Arc::clone(d)))
            .collect();
        let mut databases = Vec::new();
        for path in files(setting)? {
            let signature = signature(&path)?;
            match previous.get(&path) {
                Some(known) if known.signature == signature => databases.push(Arc::clone(known)),
                // A replaced reader is not closed: lookups still holding it finish on it.
                _ => databases.push(Arc::new(open(&path, signature)?)),
            }
        }
        if databases.is_empty() {
            return Err(ModuleError::reported("No .mmdb files found in mmdb_paths."));
        }
        if settings.len() >= MAX_SETTINGS
            && !settings.contains_key(setting)
            && let Some(oldest) = settings
                .iter()
                .min_by_key(|(_, c)| c.at)
                .map(|(k, _)| k.clone())
        {
            settings.remove(&oldest);
        }
        settings.insert(
            setting.to_owned(),
            Checked {
                at: Instant::now(),
                databases: databases.clone(),
            },
        );
        Ok(databases)
    }

    /// What the databases of `setting` know about `address`, and which databases said it.
    pub fn lookup(&self, address: IpAddr, setting: &str) -> Result<(Fields, String), ModuleError> {
        let mut records = Vec::new();
        let mut sources = Vec::new();
        for database in self.current(setting)? {
            let metadata = database.reader.metadata();
            if address.is_ipv6() && metadata.ip_version == 4 {
                continue; // an IPv4-only database cannot hold it
            }
            let unreadable = |e: maxminddb::MaxMindDbError| {
                ModuleError::reported(format!(
                    "Cannot read the IPGeolocation.io database {}: {e}",
                    database.path.display()
                ))
            };
            let found = database.reader.lookup(address).map_err(unreadable)?;
            let record = found.decode::<Value>().map_err(unreadable)?;
            if let Some(record) = record.filter(|r| r.as_object().is_some_and(|o| !o.is_empty())) {
                records.push(expand_database_record(record, &metadata.database_type));
                sources.push(database.description.clone());
            }
        }
        if records.is_empty() {
            return Err(ModuleError::reported(format!(
                "{} is not in the configured IPGeolocation.io databases.",
                crate::pycompat::python_ip_text(address)
            )));
        }
        Ok((normalize(&records), sources.join(", ")))
    }
}
