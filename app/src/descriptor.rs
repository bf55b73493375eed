//! One entry of `GET /modules`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The directory type of a module, spelled as the reference spells it on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ModuleType {
    #[serde(rename = "expansion")]
    Expansion,
    #[serde(rename = "import_mod")]
    Import,
    #[serde(rename = "export_mod")]
    Export,
    #[serde(rename = "action_mod")]
    Action,
}

impl ModuleType {
    /// All types, in the order the custom-module directory is scanned.
    pub const ALL: [ModuleType; 4] = [
        ModuleType::Expansion,
        ModuleType::Import,
        ModuleType::Export,
        ModuleType::Action,
    ];

    /// The wire spelling, which is also the sub-directory name of custom modules.
    pub fn as_str(self) -> &'static str {
        match self {
            ModuleType::Expansion => "expansion",
            ModuleType::Import => "import_mod",
            ModuleType::Export => "export_mod",
            ModuleType::Action => "action_mod",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

/// `{"name", "type", "mispattributes", "meta"}`: exactly the four keys MISP reads.
///
/// `mispattributes` and `meta` stay free-form JSON because their keys vary per module
/// (and some upstream modules carry oddly spelled keys that clients may rely on).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModuleDescriptor {
    pub name: String,
    #[serde(rename = "type")]
    pub module_type: ModuleType,
    pub mispattributes: Value,
    pub meta: Value,
}
