//! Where the UI's queries go: the module engine in this process (the default), or a
//! remote misp-modules-compatible server named by `MISP_MODULE=host:port`.

use std::sync::Arc;
use std::time::Duration;

use app::ModuleDescriptor;
use async_trait::async_trait;
use modules::{Engine, Outcome};
use serde_json::{Map, Value};

/// What one module query came to, in words fit for the user.
#[derive(Debug, Clone, PartialEq)]
pub enum ModuleAnswer {
    Results(Value),
    Failed(String),
}

#[async_trait]
pub trait ModuleClient: Send + Sync {
    /// The modules the backend serves; an error message fit for the user otherwise.
    async fn modules(&self) -> Result<Vec<ModuleDescriptor>, String>;
    async fn query(&self, module: &str, body: Map<String, Value>) -> ModuleAnswer;
    /// Keys of `module` that have a deployment value here (environment or stored).
    fn configured_keys(&self, module: &str) -> Vec<String>;
}

/// An answer that is itself `{"error": ...}` is a failure of that module.
fn answer_of(value: Value) -> ModuleAnswer {
    match value.get("error") {
        Some(Value::String(message)) => ModuleAnswer::Failed(message.clone()),
        Some(other) if !other.is_null() => ModuleAnswer::Failed(other.to_string()),
        _ => ModuleAnswer::Results(value),
    }
}

pub struct InProcess {
    pub engine: Arc<Engine>,
    pub deadline: Duration,
}

#[async_trait]
impl ModuleClient for InProcess {
    async fn modules(&self) -> Result<Vec<ModuleDescriptor>, String> {
        Ok(self.engine.registry().descriptors())
    }

    async fn query(&self, module: &str, body: Map<String, Value>) -> ModuleAnswer {
        match self.engine.run(module, body, self.deadline).await {
            Outcome::Answer(value) => answer_of(value),
            Outcome::Reported(message) => ModuleAnswer::Failed(message),
            Outcome::Exception => ModuleAnswer::Failed(
                "The module failed unexpectedly; the server log has the details.".into(),
            ),
            Outcome::Timeout => ModuleAnswer::Failed(format!(
                "The module did not answer within {} seconds.",
                self.deadline.as_secs()
            )),
            Outcome::UnknownModule => ModuleAnswer::Failed("This module is not loaded.".into()),
            Outcome::Disabled => {
                ModuleAnswer::Failed("An administrator disabled this module.".into())
            }
        }
    }

    fn configured_keys(&self, module: &str) -> Vec<String> {
        let mut keys = self.engine.defaults().keys_for(module);
        keys.extend(self.engine.stored_keys_for(module));
        keys
    }
}

/// A misp-modules server elsewhere. Its address is configuration, so messages to users
/// do not repeat it; the log does. The settings an administrator stored in this UI go
/// with each query, as the reference UI sends its stored config.
pub struct Remote {
    base: String,
    http: reqwest::Client,
    deadline: Duration,
    settings: Arc<Engine>,
}

const UNREACHABLE: &str = "The module server (MISP_MODULE) is unreachable.";

impl Remote {
    /// `target` is `host:port` (the reference's form) or a full `http://` URL.
    pub fn new(target: &str, deadline: Duration, settings: Arc<Engine>) -> Result<Self, String> {
        let base = if target.contains("://") {
            target.trim_end_matches('/').to_owned()
        } else {
            format!("http://{}", target.trim_end_matches('/'))
        };
        modules::service::install_crypto_provider();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self {
            base,
            http,
            deadline,
            settings,
        })
    }
}

#[async_trait]
impl ModuleClient for Remote {
    async fn modules(&self) -> Result<Vec<ModuleDescriptor>, String> {
        let response = self
            .http
            .get(format!("{}/modules", self.base))
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| {
                tracing::warn!("module server {}: {e}", self.base);
                UNREACHABLE.to_owned()
            })?;
        response.json::<Vec<ModuleDescriptor>>().await.map_err(|e| {
            tracing::warn!(
                "module server {} sent an unusable module list: {e}",
                self.base
            );
            "The module server answered with something that is not a module list.".to_owned()
        })
    }

    async fn query(&self, module: &str, body: Map<String, Value>) -> ModuleAnswer {
        let mut body = body;
        self.settings.fill_settings(module, &mut body);
        body.insert("module".into(), Value::String(module.to_owned()));
        body.insert("timeout".into(), Value::from(self.deadline.as_secs()));
        let sent = self
            .http
            .post(format!("{}/query", self.base))
            .json(&body)
            .timeout(self.deadline + Duration::from_secs(5))
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(e) if e.is_timeout() => {
                return ModuleAnswer::Failed(format!(
                    "The module did not answer within {} seconds.",
                    self.deadline.as_secs()
                ));
            }
            Err(e) => {
                tracing::warn!("module server {}: {e}", self.base);
                return ModuleAnswer::Failed(UNREACHABLE.into());
            }
        };
        match response.json::<Value>().await {
            Ok(value) => answer_of(value),
            Err(e) => {
                tracing::warn!("module server {} sent a non-JSON answer: {e}", self.base);
                ModuleAnswer::Failed("The module server sent an answer that is not JSON.".into())
            }
        }
    }

    fn configured_keys(&self, module: &str) -> Vec<String> {
        // Only what this side sends; the remote server may fill more on its own.
        self.settings.stored_keys_for(module)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_answers_are_failures() {
        assert_eq!(
            answer_of(json!({"error": "no key"})),
            ModuleAnswer::Failed("no key".into())
        );
        assert_eq!(
            answer_of(json!({"results": []})),
            ModuleAnswer::Results(json!({"results": []}))
        );
    }

    #[tokio::test]
    async fn an_unreachable_remote_says_so_without_its_address() {
        // A port nothing listens on: bind, note the port, close.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let engine = Arc::new(Engine::new(
            Arc::new(modules::Registry::new()),
            modules::engine::ConfigDefaults::default(),
            modules::EngineLimits::default(),
        ));
        let remote =
            Remote::new(&format!("127.0.0.1:{port}"), Duration::from_secs(2), engine).unwrap();
        let error = remote.modules().await.unwrap_err();
        assert_eq!(error, UNREACHABLE);
        let answer = remote.query("countrycode", Map::new()).await;
        assert_eq!(answer, ModuleAnswer::Failed(UNREACHABLE.into()));
    }
}
