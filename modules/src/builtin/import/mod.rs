mod csvimport;
mod goamlimport;
mod mispjson;
mod sandbox_archive;
mod testimport;
mod threatanalyzer_import;

use std::sync::Arc;

use crate::engine::Module;

pub fn all() -> Vec<Arc<dyn Module>> {
    vec![
        Arc::new(mispjson::MispJson::new()),
        Arc::new(csvimport::CsvImport::new()),
        Arc::new(goamlimport::GoAmlImport::new()),
        Arc::new(testimport::TestImport::new()),
        Arc::new(threatanalyzer_import::ThreatAnalyzerImport::new()),
    ]
}
