mod csvimport;
mod darkmoon_import;
mod joe_import;
mod mispjson;
mod report;
mod testimport;

#[cfg(test)]
mod expected;

use std::sync::Arc;

use crate::engine::Module;

pub fn all() -> Vec<Arc<dyn Module>> {
    vec![
        Arc::new(mispjson::MispJson::new()),
        Arc::new(csvimport::CsvImport::new()),
        Arc::new(darkmoon_import::DarkmoonImport::new()),
        Arc::new(joe_import::JoeImport::new()),
        Arc::new(testimport::TestImport::new()),
    ]
}
