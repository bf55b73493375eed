mod osquery_pack_publish;
mod testaction;

use std::sync::Arc;

use crate::engine::Module;

pub fn all() -> Vec<Arc<dyn Module>> {
    vec![
        Arc::new(osquery_pack_publish::OsqueryPackPublish::new()),
        Arc::new(testaction::TestAction::new()),
    ]
}
