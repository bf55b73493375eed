use std::collections::HashMap;
use std::sync::Arc;

use app::{ModuleDescriptor, ModuleType};

use super::Module;

/// The loaded modules, in listing order, found by name.
#[derive(Default, Clone)]
pub struct Registry {
    modules: Vec<Arc<dyn Module>>,
    index: HashMap<String, usize>,
}

impl Registry {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a module. A module with a name already registered replaces the earlier one in
    /// its listing position, which is how a custom module overrides a built-in.
    pub fn register(&mut self, module: Arc<dyn Module>) {
        let name = module.name().to_owned();
        match self.index.get(&name) {
            Some(&position) => self.modules[position] = module,
            None => {
                self.index.insert(name, self.modules.len());
                self.modules.push(module);
            }
        }
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn Module>> {
        self.index
            .get(name)
            .map(|&position| &self.modules[position])
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn Module>> {
        self.modules.iter()
    }

    pub fn of_type(&self, module_type: ModuleType) -> impl Iterator<Item = &Arc<dyn Module>> {
        self.modules
            .iter()
            .filter(move |m| m.module_type() == module_type)
    }

    pub fn len(&self) -> usize {
        self.modules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.modules.is_empty()
    }

    pub fn descriptors(&self) -> Vec<ModuleDescriptor> {
        self.modules
            .iter()
            .map(|m| m.descriptor().clone())
            .collect()
    }
}
