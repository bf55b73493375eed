//! `GET /modules`. MISP polls it on many page views, so the answer is serialised once and
//! again only when an administrator enables or disables a module.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use app::ModuleDescriptor;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

use super::CachedJson;
use crate::AppState;

pub async fn list(State(state): State<AppState>, headers: HeaderMap) -> Response {
    state
        .cached
        .modules
        .answer(state.engine.disabled())
        .respond(&headers)
}

/// The module list, serialised for one set of disabled modules.
pub struct ModuleList {
    descriptors: Vec<ModuleDescriptor>,
    current: RwLock<(Arc<HashSet<String>>, CachedJson)>,
}

impl ModuleList {
    pub fn new(descriptors: Vec<ModuleDescriptor>) -> Self {
        let everything = Self::serialise(&descriptors, &HashSet::new());
        Self {
            descriptors,
            current: RwLock::new((Arc::default(), everything)),
        }
    }

    fn serialise(descriptors: &[ModuleDescriptor], disabled: &HashSet<String>) -> CachedJson {
        let shown: Vec<&ModuleDescriptor> = descriptors
            .iter()
            .filter(|d| !disabled.contains(&d.name))
            .collect();
        CachedJson::new(&serde_json::to_value(shown).unwrap_or_default())
    }

    /// The answer without the `disabled` modules. The engine hands out the same `Arc`
    /// until the set changes, so an unchanged set costs one pointer comparison.
    pub fn answer(&self, disabled: Arc<HashSet<String>>) -> CachedJson {
        {
            let current = self.current.read().unwrap_or_else(|p| p.into_inner());
            if Arc::ptr_eq(&current.0, &disabled) || *current.0 == *disabled {
                return current.1.clone();
            }
        }
        let fresh = Self::serialise(&self.descriptors, &disabled);
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = (disabled, fresh.clone());
        fresh
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::ModuleType;
    use serde_json::{Value, json};

    fn descriptor(name: &str) -> ModuleDescriptor {
        serde_json::from_value(json!({
            "name": name, "type": "expansion", "mispattributes": {}, "meta": {}
        }))
        .unwrap()
    }

    fn names(answer: &CachedJson) -> Vec<String> {
        let list: Vec<Value> = serde_json::from_slice(answer.body()).unwrap();
        list.iter()
            .map(|d| d["name"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn disabled_modules_leave_the_list_and_come_back() {
        let list = ModuleList::new(vec![descriptor("a"), descriptor("b")]);
        assert_eq!(descriptor("a").module_type, ModuleType::Expansion);
        assert_eq!(names(&list.answer(Arc::default())), ["a", "b"]);
        let without_a = Arc::new(HashSet::from(["a".to_owned()]));
        let first = list.answer(Arc::clone(&without_a));
        assert_eq!(names(&first), ["b"]);
        assert_eq!(names(&list.answer(Arc::default())), ["a", "b"]);
    }
}
