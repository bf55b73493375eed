//! Fixtures shared by the firewall exporters' tests.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::Resolver;
use crate::builtin::testing::query;
use crate::engine::Module;

/// Two events (one per export layout) with every supported indicator kind, plus
/// non-IDS, deleted, unsupported and malformed attributes and a deleted object.
pub const EVENT: &str = include_str!("../testdata/firewall_event.json");

/// A resolver answering from a fixed table; other names fail like NXDOMAIN.
pub struct FixedResolver(pub HashMap<String, Vec<IpAddr>>);

#[async_trait]
impl Resolver for FixedResolver {
    async fn resolve(&self, name: &str) -> std::io::Result<Vec<IpAddr>> {
        self.0
            .get(name)
            .cloned()
            .ok_or_else(|| std::io::Error::other("no such name"))
    }
}

/// The resolver for a fixture's `dns` table (empty without one).
pub fn fixture_resolver(fixture: &str) -> Arc<dyn Resolver> {
    let fixture: Value = serde_json::from_str(fixture).unwrap();
    let table = fixture["dns"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(name, found)| {
            let found = found.as_array().unwrap();
            let found = found.iter().map(|a| a.as_str().unwrap().parse().unwrap());
            (name.clone(), found.collect())
        })
        .collect();
    Arc::new(FixedResolver(table))
}

pub use crate::builtin::testing::decoded_data as file_of;

/// Runs `module` on [`EVENT`] with the fixture's config and checks the answer against
/// the one the reference gave (its `data` stored decoded), key order included.
pub async fn assert_fixture(module: &dyn Module, fixture: &str) {
    let fixture: Value = serde_json::from_str(fixture).unwrap();
    let event: Value = serde_json::from_str(EVENT).unwrap();
    let body = json!({"module": module.name(), "data": event, "config": fixture["config"]});
    let mut answer = query(module, body).await.unwrap();
    answer["data"] = json!(file_of(&answer));
    let expected = &fixture["answer"];
    assert_eq!(answer["data"], expected["data"], "exported file");
    assert_eq!(
        serde_json::to_string_pretty(&answer).unwrap(),
        serde_json::to_string_pretty(expected).unwrap()
    );
}
