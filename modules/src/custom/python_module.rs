use std::path::PathBuf;
use std::sync::Arc;

use app::ModuleDescriptor;
use async_trait::async_trait;
use serde_json::Value;
use tokio::sync::Semaphore;

use super::WorkerPool;
use crate::engine::{Module, ModuleError, QueryRequest};

/// A custom module implemented by a Python file.
pub struct PythonModule {
    pub(crate) descriptor: ModuleDescriptor,
    pub(crate) path: PathBuf,
    /// Whether the file defines `dict_handler(request)`; otherwise `handler(q)` gets the
    /// request as JSON bytes, as in the reference.
    pub(crate) dict_handler: bool,
    pub(crate) pool: Arc<WorkerPool>,
    /// This module's share of the pool.
    pub(crate) share: Semaphore,
}

#[async_trait]
impl Module for PythonModule {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.descriptor
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        let body = Value::Object(request.into_body()).to_string();
        let _share = self
            .share
            .acquire()
            .await
            .map_err(|_| ModuleError::internal("module share closed"))?;
        self.pool.call(&self.path, self.dict_handler, &body).await
    }
}
