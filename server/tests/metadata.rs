//! Each built-in module's `/modules` entry matches the reference's metadata for what
//! clients read: name, type, inputs, outputs, formats and configuration keys.

mod common;

use std::collections::BTreeSet;

use serde_json::Value;

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn built_in_modules_match_the_reference_metadata() {
    let text =
        std::fs::read_to_string(common::fixtures().join("upstream-module-metadata.json")).unwrap();
    let upstream: Vec<Value> = serde_json::from_str(&text).unwrap();
    let server = common::start(&[], &[]).await;
    let listed: Value = server.get_json("/modules").await;
    let listed = listed.as_array().unwrap();
    assert!(listed.len() >= 11);
    for module in listed {
        let name = module["name"].as_str().unwrap();
        let reference = upstream
            .iter()
            .find(|m| m["name"] == name)
            .unwrap_or_else(|| panic!("{name} is not an upstream module"));
        assert_eq!(module["type"], reference["type"], "{name}: type");
        let (ours, theirs) = (&module["mispattributes"], &reference["mispattributes"]);
        for key in [
            "input",
            "output",
            "format",
            "inputSource",
            "responseType",
            "outputFileExtension",
        ] {
            assert_eq!(ours[key], theirs[key], "{name}: mispattributes.{key}");
        }
        assert_eq!(
            keys(&ours["userConfig"]),
            keys(&theirs["userConfig"]),
            "{name}: userConfig keys"
        );
        for (field, spec) in theirs["userConfig"].as_object().into_iter().flatten() {
            assert_eq!(
                ours["userConfig"][field]["type"], spec["type"],
                "{name}: userConfig.{field}.type"
            );
        }
        let (ours, theirs) = (&module["meta"], &reference["meta"]);
        for key in ["module-type", "name", "version"] {
            assert_eq!(ours[key], theirs[key], "{name}: meta.{key}");
        }
        match &theirs["config"] {
            Value::Object(action) => assert_eq!(
                keys(&ours["config"]["params"]),
                keys(&action["params"]),
                "{name}: params"
            ),
            other => assert_eq!(&ours["config"], other, "{name}: meta.config"),
        }
    }
}
