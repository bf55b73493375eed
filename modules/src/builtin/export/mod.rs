mod cef_export;
mod indicators;
mod liteexport;
mod netfilter_export;
mod osqueryexport;
mod qradar_reference_set_export;
mod splunk_export;
mod squid_export;
mod testexport;
mod wazuh_cdb_export;
mod zeek_intel_export;

use std::sync::Arc;

use base64::Engine as _;
use serde_json::{Value, json};

use crate::engine::Module;

pub fn all() -> Vec<Arc<dyn Module>> {
    vec![
        Arc::new(cef_export::CefExport::new()),
        Arc::new(liteexport::LiteExport::new()),
        Arc::new(netfilter_export::NetfilterExport::new()),
        Arc::new(osqueryexport::OsqueryExport::new()),
        Arc::new(qradar_reference_set_export::QradarReferenceSetExport::new()),
        Arc::new(splunk_export::SplunkExport::new()),
        Arc::new(squid_export::SquidExport::new()),
        Arc::new(testexport::TestExport::new()),
        Arc::new(wazuh_cdb_export::WazuhCdbExport::new()),
        Arc::new(zeek_intel_export::ZeekIntelExport::new()),
    ]
}

/// `{"response": [], "data": "<base64>"}`, the answer of an export module.
pub(crate) fn export_answer(file: &str) -> Value {
    json!({"response": [], "data": base64::engine::general_purpose::STANDARD.encode(file)})
}
