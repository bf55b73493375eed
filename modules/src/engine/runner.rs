//! Runs one query: deployment settings, a per-module concurrency cap, a hard deadline and
//! panic isolation. Nothing a module does here can disturb another query.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::Semaphore;

use super::{ConfigDefaults, ModuleError, QueryRequest, Registry};

/// Limits applied to every query.
#[derive(Debug, Clone)]
pub struct EngineLimits {
    /// Queries of one module running at once; further ones wait (the wait counts toward
    /// their deadline), so one slow module cannot take every worker.
    pub per_module_concurrency: usize,
}

impl Default for EngineLimits {
    fn default() -> Self {
        Self {
            per_module_concurrency: 64,
        }
    }
}

/// What became of a query.
#[derive(Debug)]
pub enum Outcome {
    /// The module's answer, unchanged (it may itself carry an `error` key).
    Answer(Value),
    /// The module reported a problem meant for the user.
    Reported(String),
    /// The module failed unexpectedly or panicked; details were logged.
    Exception,
    /// The deadline passed; the module's work was cancelled.
    Timeout,
    /// No module of that name is loaded.
    UnknownModule,
    /// The module is loaded but an administrator turned it off.
    Disabled,
}

pub struct Engine {
    registry: Arc<Registry>,
    defaults: ConfigDefaults,
    /// Settings an administrator stored through the web UI. They fill a query's empty keys
    /// before the environment's `defaults` do, and can change while serving.
    stored: RwLock<ConfigDefaults>,
    /// Modules an administrator turned off in the web UI: absent from listings, refused
    /// by `run`. Replaced whole, so readers can tell a change by the pointer.
    disabled: RwLock<Arc<HashSet<String>>>,
    permits: HashMap<String, Arc<Semaphore>>,
}

impl Engine {
    pub fn new(registry: Arc<Registry>, defaults: ConfigDefaults, limits: EngineLimits) -> Self {
        let permits = registry
            .iter()
            .map(|m| {
                let cap = limits.per_module_concurrency.max(1);
                (m.name().to_owned(), Arc::new(Semaphore::new(cap)))
            })
            .collect();
        Self {
            registry,
            defaults,
            stored: RwLock::new(ConfigDefaults::default()),
            disabled: RwLock::default(),
            permits,
        }
    }

    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    pub fn defaults(&self) -> &ConfigDefaults {
        &self.defaults
    }

    /// Replaces the stored (web UI) settings layer.
    pub fn replace_stored_settings(&self, settings: ConfigDefaults) {
        *self.stored.write().unwrap_or_else(|p| p.into_inner()) = settings;
    }

    /// Fills the config keys a query body leaves missing or empty: the query's own values
    /// win, then the stored settings, then the environment. For keys the operator pinned
    /// the query's value is dropped first.
    pub fn fill_settings(&self, module: &str, body: &mut Map<String, Value>) {
        self.defaults.strip_pinned(module, body);
        self.stored
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .fill(module, body);
        self.defaults.fill(module, body);
    }

    /// Replaces the set of disabled modules.
    pub fn set_disabled(&self, modules: HashSet<String>) {
        let mut current = self.disabled.write().unwrap_or_else(|p| p.into_inner());
        if **current != modules {
            *current = Arc::new(modules);
        }
    }

    /// The disabled modules; the same `Arc` until the set changes.
    pub fn disabled(&self) -> Arc<HashSet<String>> {
        Arc::clone(&self.disabled.read().unwrap_or_else(|p| p.into_inner()))
    }

    pub fn is_disabled(&self, module: &str) -> bool {
        self.disabled
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains(module)
    }

    /// Keys of `module` that have a stored (web UI) value, never the values.
    pub fn stored_keys_for(&self, module: &str) -> Vec<String> {
        self.stored
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .keys_for(module)
    }

    /// Runs `module` on `body` (the whole parsed request) within `deadline`.
    pub async fn run(
        &self,
        module: &str,
        mut body: Map<String, Value>,
        deadline: Duration,
    ) -> Outcome {
        let (Some(found), Some(permits)) = (self.registry.get(module), self.permits.get(module))
        else {
            return Outcome::UnknownModule;
        };
        if self.is_disabled(module) {
            return Outcome::Disabled;
        }
        self.fill_settings(module, &mut body);
        let secrets = config_values(&body);
        let found = Arc::clone(found);
        let permits = Arc::clone(permits);
        // A task of its own: a panic stays inside it, and aborting it drops the module's
        // future, which cancels its I/O and kills its child processes. It is aborted on the
        // deadline, and also when this future is dropped (the client went away).
        let mut task = AbortOnDrop(tokio::spawn(async move {
            let _permit = permits.acquire_owned().await;
            found.query(QueryRequest::new(body)).await
        }));
        match tokio::time::timeout(deadline, &mut task.0).await {
            Err(_) => {
                tracing::warn!(module, "query timed out after {:?}", deadline);
                Outcome::Timeout
            }
            Ok(Err(join_error)) => {
                tracing::error!(module, "module panicked: {join_error}");
                Outcome::Exception
            }
            Ok(Ok(Err(ModuleError::Internal(detail)))) => {
                // Module errors often quote the URL they called, API key included.
                let detail = redact(&detail, &secrets);
                tracing::error!(module, "module failed: {detail}");
                Outcome::Exception
            }
            Ok(Ok(Err(ModuleError::Reported(message)))) => Outcome::Reported(message),
            Ok(Ok(Ok(answer))) => Outcome::Answer(answer),
        }
    }
}

/// The config values of a query that are long enough to be secrets worth hiding.
fn config_values(body: &Map<String, Value>) -> Vec<String> {
    let Some(Value::Object(config)) = body.get("config") else {
        return Vec::new();
    };
    let mut values: Vec<String> = config
        .values()
        .filter_map(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .filter(|s| s.len() >= 4)
        .collect();
    // Longest first, so a value containing another is hidden whole.
    values.sort_by_key(|s| std::cmp::Reverse(s.len()));
    values
}

/// `text` with every occurrence of the `secrets` replaced.
fn redact(text: &str, secrets: &[String]) -> String {
    secrets.iter().fold(text.to_owned(), |acc, secret| {
        acc.replace(secret.as_str(), "<redacted>")
    })
}

struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Module, descriptor};
    use app::{ModuleDescriptor, ModuleType};
    use async_trait::async_trait;
    use serde_json::json;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// Behaves according to the `text` of the query.
    struct Probe {
        descriptor: ModuleDescriptor,
        finished: Arc<AtomicBool>,
    }

    #[async_trait]
    impl Module for Probe {
        fn descriptor(&self) -> &ModuleDescriptor {
            &self.descriptor
        }
        async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
            match request.str_field("text") {
                Some("panic") => panic!("deliberate"),
                Some("fail") => Err(ModuleError::internal("boom")),
                Some("report") => Err(ModuleError::reported("bad input")),
                Some("hang") => {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    self.finished.store(true, Ordering::SeqCst);
                    Ok(Value::Null)
                }
                _ => Ok(json!({"config": request.get("config")})),
            }
        }
    }

    fn engine(finished: Arc<AtomicBool>) -> Engine {
        let mut registry = Registry::new();
        registry.register(Arc::new(Probe {
            descriptor: descriptor(
                "probe",
                ModuleType::Expansion,
                json!({}),
                json!({"config": ["key"]}),
            ),
            finished,
        }));
        let mut defaults = ConfigDefaults::default();
        defaults.set("probe", "key", "from-env".into());
        Engine::new(Arc::new(registry), defaults, EngineLimits::default())
    }

    fn body(text: &str) -> Map<String, Value> {
        json!({"module": "probe", "text": text})
            .as_object()
            .cloned()
            .unwrap()
    }

    #[tokio::test]
    async fn failures_become_outcomes() {
        let engine = engine(Arc::default());
        let second = Duration::from_secs(1);
        assert!(matches!(
            engine.run("probe", body("panic"), second).await,
            Outcome::Exception
        ));
        assert!(matches!(
            engine.run("probe", body("fail"), second).await,
            Outcome::Exception
        ));
        assert!(
            matches!(engine.run("probe", body("report"), second).await, Outcome::Reported(m) if m == "bad input")
        );
        assert!(matches!(
            engine.run("nope", body("x"), second).await,
            Outcome::UnknownModule
        ));
        // The engine still serves after a panic, and fills deployment settings.
        match engine.run("probe", body("ok"), second).await {
            Outcome::Answer(v) => assert_eq!(v, json!({"config": {"key": "from-env"}})),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[tokio::test]
    async fn disabled_modules_do_not_run() {
        let engine = engine(Arc::default());
        let second = Duration::from_secs(1);
        let before = engine.disabled();
        engine.set_disabled(HashSet::from(["probe".to_owned()]));
        assert!(!Arc::ptr_eq(&before, &engine.disabled()));
        assert!(matches!(
            engine.run("probe", body("ok"), second).await,
            Outcome::Disabled
        ));
        // The same set again is no change.
        let now = engine.disabled();
        engine.set_disabled(HashSet::from(["probe".to_owned()]));
        assert!(Arc::ptr_eq(&now, &engine.disabled()));
        engine.set_disabled(HashSet::new());
        assert!(matches!(
            engine.run("probe", body("ok"), second).await,
            Outcome::Answer(_)
        ));
    }

    #[tokio::test]
    async fn stored_settings_rank_between_the_query_and_the_environment() {
        let engine = engine(Arc::default());
        let second = Duration::from_secs(1);
        let mut stored = ConfigDefaults::default();
        stored.set("probe", "key", "from-ui".into());
        engine.replace_stored_settings(stored);
        assert_eq!(engine.stored_keys_for("probe"), ["key"]);
        match engine.run("probe", body("ok"), second).await {
            Outcome::Answer(v) => assert_eq!(v, json!({"config": {"key": "from-ui"}})),
            other => panic!("unexpected {other:?}"),
        }
        let mut own = body("ok");
        own.insert("config".into(), json!({"key": "from-query"}));
        match engine.run("probe", own, second).await {
            Outcome::Answer(v) => assert_eq!(v, json!({"config": {"key": "from-query"}})),
            other => panic!("unexpected {other:?}"),
        }
        engine.replace_stored_settings(ConfigDefaults::default());
        match engine.run("probe", body("ok"), second).await {
            Outcome::Answer(v) => assert_eq!(v, json!({"config": {"key": "from-env"}})),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_deadline_cancels_the_work() {
        let finished = Arc::new(AtomicBool::new(false));
        let engine = engine(Arc::clone(&finished));
        let outcome = engine
            .run("probe", body("hang"), Duration::from_millis(50))
            .await;
        assert!(matches!(outcome, Outcome::Timeout));
        tokio::time::sleep(Duration::from_secs(7200)).await;
        assert!(
            !finished.load(Ordering::SeqCst),
            "the timed-out work must not run on"
        );
    }

    #[test]
    fn config_values_are_hidden_from_error_text() {
        let body = json!({"config": {"apikey": "SENTINEL-123", "short": "ab", "port": 8443}});
        let secrets = config_values(body.as_object().unwrap());
        let text = redact("GET /api?key=SENTINEL-123&port=8443 (ab)", &secrets);
        assert_eq!(text, "GET /api?key=<redacted>&port=<redacted> (ab)");
    }

    #[tokio::test(start_paused = true)]
    async fn an_abandoned_query_stops_its_work() {
        let finished = Arc::new(AtomicBool::new(false));
        let engine = engine(Arc::clone(&finished));
        let abandoned = tokio::time::timeout(
            Duration::from_millis(50),
            engine.run("probe", body("hang"), Duration::from_secs(86_400)),
        )
        .await;
        assert!(abandoned.is_err(), "the caller gave up first");
        tokio::time::sleep(Duration::from_secs(7200)).await;
        assert!(
            !finished.load(Ordering::SeqCst),
            "work of a dropped query must stop"
        );
    }
}
