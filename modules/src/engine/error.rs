use thiserror::Error;

/// How a module query can fail.
#[derive(Debug, Error)]
pub enum ModuleError {
    /// A message meant for the user (missing input, wrong type, missing key, ...),
    /// answered as `{"error": "<message>"}`.
    #[error("{0}")]
    Reported(String),
    /// A failure the module did not anticipate. The detail goes to the log only; the client
    /// gets the reference's generic text, which MISP users already know.
    #[error("internal failure: {0}")]
    Internal(String),
}

impl ModuleError {
    pub fn reported(message: impl Into<String>) -> Self {
        Self::Reported(message.into())
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        Self::Internal(detail.into())
    }
}
