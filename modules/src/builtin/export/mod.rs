mod cef_export;
mod cisco_firesight_manager_acl_rule_export;
mod defender_endpoint_export;
mod envelope;
mod goamlexport;
mod liteexport;
mod mass_eql_export;
mod nexthinkexport;
mod testexport;
mod threat_connect_export;
mod threatstream_misp_export;
mod yara_export;

use std::sync::Arc;

use base64::Engine as _;
use serde_json::{Value, json};

use crate::engine::Module;

pub fn all() -> Vec<Arc<dyn Module>> {
    vec![
        Arc::new(cef_export::CefExport::new()),
        Arc::new(cisco_firesight_manager_acl_rule_export::CiscoFiresightExport::new()),
        Arc::new(defender_endpoint_export::DefenderEndpointExport::new()),
        Arc::new(goamlexport::GoAmlExport::new()),
        Arc::new(liteexport::LiteExport::new()),
        Arc::new(mass_eql_export::MassEqlExport::new()),
        Arc::new(nexthinkexport::NexthinkExport::new()),
        Arc::new(testexport::TestExport::new()),
        Arc::new(threat_connect_export::ThreatConnectExport::new()),
        Arc::new(threatstream_misp_export::ThreatStreamExport::new()),
        Arc::new(yara_export::YaraExport::new()),
    ]
}

/// `{"response": [], "data": "<base64>"}`, the answer of an export module.
pub(crate) fn export_answer(file: &str) -> Value {
    json!({"response": [], "data": base64::engine::general_purpose::STANDARD.encode(file)})
}
