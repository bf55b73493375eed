mod cef_export;
mod cisco_acl_export;
mod cisco_asa_export;
mod cisco_firesight_manager_acl_rule_export;
mod defender_endpoint_export;
mod elastic_ecs_export;
mod envelope;
mod firewall_common;
mod fortios_export;
mod goamlexport;
pub(crate) mod indicators;
mod junos_export;
mod liteexport;
mod mass_eql_export;
mod mikrotik_export;
mod netfilter_export;
mod nexthinkexport;
pub(crate) mod osqueryexport;
mod owasp_crs_export;
mod panos_export;
mod pdfexport;
mod pf_export;
mod qradar_reference_set_export;
mod splunk_export;
mod squid_export;
mod testexport;
mod threat_connect_export;
mod threatstream_misp_export;
mod wazuh_cdb_export;
mod yara_export;
mod zeek_intel_export;

use std::sync::Arc;

use base64::Engine as _;
use serde_json::{Value, json};

use crate::engine::Module;

pub fn all() -> Vec<Arc<dyn Module>> {
    vec![
        Arc::new(cef_export::CefExport::new()),
        Arc::new(cisco_acl_export::CiscoAclExport::new()),
        Arc::new(cisco_asa_export::module()),
        Arc::new(cisco_firesight_manager_acl_rule_export::CiscoFiresightExport::new()),
        Arc::new(defender_endpoint_export::DefenderEndpointExport::new()),
        Arc::new(elastic_ecs_export::ElasticEcsExport::new()),
        Arc::new(fortios_export::module()),
        Arc::new(goamlexport::GoAmlExport::new()),
        Arc::new(junos_export::module()),
        Arc::new(liteexport::LiteExport::new()),
        Arc::new(mass_eql_export::MassEqlExport::new()),
        Arc::new(mikrotik_export::module()),
        Arc::new(netfilter_export::NetfilterExport::new()),
        Arc::new(nexthinkexport::NexthinkExport::new()),
        Arc::new(osqueryexport::OsqueryExport::new()),
        Arc::new(owasp_crs_export::OwaspCrsExport::new()),
        Arc::new(panos_export::module()),
        Arc::new(pdfexport::PdfExport::new()),
        Arc::new(pf_export::PfExport::new()),
        Arc::new(qradar_reference_set_export::QradarReferenceSetExport::new()),
        Arc::new(splunk_export::SplunkExport::new()),
        Arc::new(squid_export::SquidExport::new()),
        Arc::new(testexport::TestExport::new()),
        Arc::new(threat_connect_export::ThreatConnectExport::new()),
        Arc::new(threatstream_misp_export::ThreatStreamExport::new()),
        Arc::new(wazuh_cdb_export::WazuhCdbExport::new()),
        Arc::new(yara_export::YaraExport::new()),
        Arc::new(zeek_intel_export::ZeekIntelExport::new()),
    ]
}

/// `{"response": [], "data": "<base64>"}`, the answer of an export module.
pub(crate) fn export_answer(file: &str) -> Value {
    json!({"response": [], "data": base64::engine::general_purpose::STANDARD.encode(file)})
}
