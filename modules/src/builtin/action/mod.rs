mod testaction;

use std::sync::Arc;

use crate::engine::Module;

pub fn all() -> Vec<Arc<dyn Module>> {
    vec![Arc::new(testaction::TestAction::new())]
}
