mod binary_file;
mod cof2misp;
mod csvimport;
mod cuckooimport;
mod darkmoon_import;
mod email_import;
mod goamlimport;
mod import_blueprint;
mod joe_import;
mod mispjson;
mod ocr;
mod openiocimport;
mod report;
mod sandbox_archive;
mod testimport;
mod threatanalyzer_import;
mod url_import;
mod vmray_summary_json_import;

#[cfg(test)]
mod expected;

use std::sync::Arc;

use crate::engine::{Module, ModuleError, QueryRequest};

pub fn all() -> Vec<Arc<dyn Module>> {
    vec![
        Arc::new(cof2misp::Cof2Misp::new()),
        Arc::new(csvimport::CsvImport::new()),
        Arc::new(cuckooimport::CuckooImport::new()),
        Arc::new(darkmoon_import::DarkmoonImport::new()),
        Arc::new(email_import::EmailImport::new()),
        Arc::new(goamlimport::GoAmlImport::new()),
        Arc::new(import_blueprint::ImportBlueprint::new()),
        Arc::new(joe_import::JoeImport::new()),
        Arc::new(mispjson::MispJson::new()),
        Arc::new(ocr::Ocr::new()),
        Arc::new(openiocimport::OpenIocImport::new()),
        Arc::new(testimport::TestImport::new()),
        Arc::new(threatanalyzer_import::ThreatAnalyzerImport::new()),
        Arc::new(url_import::UrlImport::new()),
        Arc::new(vmray_summary_json_import::VmraySummaryJsonImport::new()),
    ]
}

/// The uploaded file of an import query as UTF-8 text, or an error saying why not.
fn imported_text(request: &QueryRequest) -> Result<String, ModuleError> {
    let bytes = request.import_data().ok_or_else(|| {
        ModuleError::reported("The \"data\" field with the uploaded file is missing")
    })??;
    String::from_utf8(bytes).map_err(|_| ModuleError::reported("Input is not valid UTF-8"))
}
