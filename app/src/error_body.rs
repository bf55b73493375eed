//! The `{"error": "..."}` answer every client of the protocol understands.

use serde::{Deserialize, Serialize};

/// Text the reference answers when a module fails in a way it did not anticipate.
/// Kept verbatim because MISP users and scripts match on it.
pub const GENERIC_ERROR: &str = "Something went wrong, look in the server logs for details";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
}

impl ErrorBody {
    pub fn new(error: impl Into<String>) -> Self {
        Self {
            error: error.into(),
        }
    }
}
