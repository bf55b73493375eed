//! A bounded pool of Python worker processes.
//!
//! A worker is checked out for one call. If the call's future is dropped (deadline or
//! client gone) the worker is dropped with it, which kills the process: the Python code
//! really stops, unlike the reference's threads that run on after a timeout.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;

use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::Semaphore;

use super::BRIDGE;
use crate::engine::ModuleError;

pub struct WorkerPool {
    python: PathBuf,
    idle: Mutex<Vec<Worker>>,
    slots: Semaphore,
    size: usize,
}

struct Worker {
    // Held so that dropping the worker kills the process (kill_on_drop).
    _child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

#[derive(Deserialize)]
struct Reply {
    ok: Option<Value>,
    error: Option<String>,
}

impl WorkerPool {
    pub fn new(python: impl Into<PathBuf>, max_workers: usize) -> Self {
        let size = max_workers.max(1);
        Self {
            python: python.into(),
            idle: Mutex::new(Vec::new()),
            slots: Semaphore::new(size),
            size,
        }
    }

    /// Workers one module may hold at once: all but one, so a slow module always leaves
    /// a worker for the others.
    pub fn per_module_share(&self) -> usize {
        self.size.saturating_sub(1).max(1)
    }

    pub fn python(&self) -> &Path {
        &self.python
    }

    /// Runs the module file at `path` on the JSON request text `body`.
    pub async fn call(
        &self,
        path: &Path,
        dict_handler: bool,
        body: &str,
    ) -> Result<Value, ModuleError> {
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| ModuleError::internal("worker pool closed"))?;
        let mut worker = match self.checkout() {
            Some(worker) => worker,
            None => self.spawn()?,
        };
        let request = json!({"path": path, "dict_handler": dict_handler, "body": body});
        let reply = worker.exchange(&request).await?;
        self.checkin(worker);
        match reply {
            Reply {
                ok: Some(value), ..
            } => Ok(value),
            Reply {
                error: Some(error), ..
            } => Err(ModuleError::internal(format!(
                "python module raised {error}"
            ))),
            // `{"ok": null}` is a module returning None.
            Reply { .. } => Ok(Value::Null),
        }
    }

    fn checkout(&self) -> Option<Worker> {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop()
    }

    fn checkin(&self, worker: Worker) {
        self.idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(worker);
    }

    fn spawn(&self) -> Result<Worker, ModuleError> {
        let mut child = Command::new(&self.python)
            .arg("-c")
            .arg(BRIDGE)
            .arg("serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                ModuleError::internal(format!("cannot start {}: {e}", self.python.display()))
            })?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(ModuleError::internal("python worker has no pipes"));
        };
        Ok(Worker {
            _child: child,
            stdin,
            stdout: BufReader::new(stdout),
        })
    }
}

impl Worker {
    async fn exchange(&mut self, request: &Value) -> Result<Reply, ModuleError> {
        let broken =
            |e: std::io::Error| ModuleError::internal(format!("python worker failed: {e}"));
        let mut line = request.to_string();
        line.push('\n');
        self.stdin
            .write_all(line.as_bytes())
            .await
            .map_err(broken)?;
        self.stdin.flush().await.map_err(broken)?;
        let mut answer = String::new();
        let read = self.stdout.read_line(&mut answer).await.map_err(broken)?;
        if read == 0 {
            return Err(ModuleError::internal(
                "python worker exited during the query",
            ));
        }
        serde_json::from_str(&answer)
            .map_err(|e| ModuleError::internal(format!("python worker answered garbage: {e}")))
    }
}
