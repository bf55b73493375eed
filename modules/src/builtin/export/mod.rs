mod cef_export;
mod liteexport;
mod testexport;

use std::sync::Arc;

use base64::Engine as _;
use serde_json::{Value, json};

use crate::engine::Module;

pub fn all() -> Vec<Arc<dyn Module>> {
    vec![
        Arc::new(cef_export::CefExport::new()),
        Arc::new(liteexport::LiteExport::new()),
        Arc::new(testexport::TestExport::new()),
    ]
}

/// `{"response": [], "data": "<base64>"}`, the answer of an export module.
pub(crate) fn export_answer(file: &str) -> Value {
    json!({"response": [], "data": base64::engine::general_purpose::STANDARD.encode(file)})
}
