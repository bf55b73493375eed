mod cof2misp;
mod csvimport;
mod email_import;
mod import_blueprint;
mod mispjson;
mod ocr;
mod openiocimport;
mod testimport;
mod url_import;

use std::sync::Arc;

use crate::engine::{Module, ModuleError, QueryRequest};

pub fn all() -> Vec<Arc<dyn Module>> {
    vec![
        Arc::new(mispjson::MispJson::new()),
        Arc::new(csvimport::CsvImport::new()),
        Arc::new(email_import::EmailImport::new()),
        Arc::new(testimport::TestImport::new()),
        Arc::new(cof2misp::Cof2Misp::new()),
        Arc::new(import_blueprint::ImportBlueprint::new()),
        Arc::new(ocr::Ocr::new()),
        Arc::new(openiocimport::OpenIocImport::new()),
        Arc::new(url_import::UrlImport::new()),
    ]
}

/// The uploaded file of an import query as UTF-8 text, or an error saying why not.
fn imported_text(request: &QueryRequest) -> Result<String, ModuleError> {
    let bytes = request.import_data().ok_or_else(|| {
        ModuleError::reported("The \"data\" field with the uploaded file is missing")
    })??;
    String::from_utf8(bytes).map_err(|_| ModuleError::reported("Input is not valid UTF-8"))
}
