mod cef_export;
mod cisco_acl_export;
mod cisco_asa_export;
mod firewall_common;
mod fortios_export;
mod junos_export;
mod liteexport;
mod mikrotik_export;
mod owasp_crs_export;
mod panos_export;
mod pf_export;
mod testexport;

use std::sync::Arc;

use base64::Engine as _;
use serde_json::{Value, json};

use crate::engine::Module;

pub fn all() -> Vec<Arc<dyn Module>> {
    vec![
        Arc::new(cef_export::CefExport::new()),
        Arc::new(cisco_acl_export::CiscoAclExport::new()),
        Arc::new(cisco_asa_export::module()),
        Arc::new(fortios_export::module()),
        Arc::new(junos_export::module()),
        Arc::new(liteexport::LiteExport::new()),
        Arc::new(mikrotik_export::module()),
        Arc::new(owasp_crs_export::OwaspCrsExport::new()),
        Arc::new(panos_export::module()),
        Arc::new(pf_export::PfExport::new()),
        Arc::new(testexport::TestExport::new()),
    ]
}

/// `{"response": [], "data": "<base64>"}`, the answer of an export module.
pub(crate) fn export_answer(file: &str) -> Value {
    json!({"response": [], "data": base64::engine::general_purpose::STANDARD.encode(file)})
}
