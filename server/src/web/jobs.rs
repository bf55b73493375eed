//! Runs a query's cells: every (value, module) pair at once, each stored the moment it
//! finishes, so a slow module never holds back a fast one and a page reload loses nothing.

use std::collections::HashMap;

use app::ModuleDescriptor;
use serde_json::{Map, Value, json};

use super::Web;
use super::module_client::ModuleAnswer;
use crate::store::{CellOutcome, CellRecord};

/// Whether a module takes the MISP standard format (`{"attribute": {...}}`) rather than
/// the legacy `{"<type>": value}` body.
pub fn takes_standard_format(descriptor: &ModuleDescriptor) -> bool {
    descriptor
        .mispattributes
        .get("format")
        .and_then(Value::as_str)
        == Some("misp_standard")
}

/// The uuid the query attribute of a cell carries. Derived from the cell, so the results
/// page can tell which references of an answer point at the queried value.
pub fn query_uuid(cell_id: i64) -> String {
    format!(
        "00000000-0000-4000-8000-{:012x}",
        cell_id & 0xffff_ffff_ffff
    )
}

/// The query body the module expects for one value of cell `cell_id`.
pub fn query_body(
    module: &str,
    cell_id: i64,
    value: &str,
    value_type: &str,
    standard: bool,
) -> Map<String, Value> {
    let body = if standard {
        json!({
            "module": module,
            "attribute": {
                "type": value_type,
                "value": value,
                "uuid": query_uuid(cell_id),
            },
            "config": {},
        })
    } else {
        json!({"module": module, value_type: value, "config": {}})
    };
    match body {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Starts every cell in the background. `usable` holds the modules a query may use now
/// (loaded and enabled); a cell whose module is not among them fails at once.
pub fn spawn_cells(web: Web, cells: Vec<CellRecord>, usable: &HashMap<String, ModuleDescriptor>) {
    for cell in cells {
        let standard = usable.get(&cell.module).map(takes_standard_format);
        let web = web.clone();
        web.running.started(cell.id);
        tokio::spawn(async move {
            let outcome = match standard {
                None => CellOutcome::Failed("This module is not available any more.".into()),
                Some(standard) => {
                    let body = query_body(
                        &cell.module,
                        cell.id,
                        &cell.value,
                        &cell.value_type,
                        standard,
                    );
                    match web.client.query(&cell.module, body).await {
                        ModuleAnswer::Results(value) => CellOutcome::Done(value.to_string()),
                        ModuleAnswer::Failed(message) => CellOutcome::Failed(message),
                    }
                }
            };
            if let Err(error) = web.store.finish_cell(cell.id, outcome).await {
                tracing::error!(cell = cell.id, "could not store a result: {error}");
            }
            web.running.finished(cell.id);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_follow_the_module_format() {
        let legacy = query_body("countrycode", 1, "example.be", "domain", false);
        assert_eq!(legacy["domain"], "example.be");
        assert_eq!(legacy["module"], "countrycode");
        let standard = query_body("x", 42, "8.8.8.8", "ip-src", true);
        assert_eq!(standard["attribute"]["value"], "8.8.8.8");
        assert_eq!(standard["attribute"]["type"], "ip-src");
        assert_eq!(
            standard["attribute"]["uuid"],
            "00000000-0000-4000-8000-00000000002a"
        );
    }
}
