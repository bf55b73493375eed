//! `openiocimport`: reads an OpenIOC package and answers its indicators as MISP
//! attributes (legacy import format), optionally with the file itself as an attachment
//! and a set of tags on everything.

mod mapping;
mod tree;

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};

use super::imported_text;
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};
use crate::misp::{category_allows, type_defaults};
use tree::Tree;

pub struct OpenIocImport(ModuleDescriptor);

impl OpenIocImport {
    pub fn new() -> Self {
        Self(descriptor(
            "openiocimport",
            ModuleType::Import,
            json!({
                "userConfig": {
                    "not save ioc": {"type": "Boolean", "message": "Leave the OpenIOC file out of the event (it is attached by default)"},
                    "default tag": {"type": "String", "message": "Tags to add, comma separated (tlp:white,misp:threat-level=\"no-risk\")", "validation": "0"}
                },
                "inputSource": ["file"]
            }),
            json!({
                "version": "0.1",
                "author": "misp-modules-stack",
                "description": "Imports the indicators of an OpenIOC package as MISP attributes.",
                "module-type": ["import"],
                "name": "OpenIOC Import",
                "config": [],
                "features": "Indicator items map to attribute types by their search path; pairs under one AND indicator become composite attributes (filename|md5, regkey|value, ...). The description and author become comments.",
                "references": ["https://github.com/mandiant/OpenIOC_1.1"],
                "input": "An OpenIOC 1.0/1.1 XML file.",
                "output": "MISP attributes."
            }),
        ))
    }
}

/// One attribute found in the package.
struct Found {
    attribute_type: String,
    value: String,
    category: String,
    comment: String,
}

impl Found {
    fn new(attribute_type: &str, value: String, category: Option<&str>, comment: String) -> Self {
        let default = || {
            type_defaults(attribute_type)
                .map(|d| d.default_category.clone())
                .unwrap_or_else(|| "Other".to_owned())
        };
        // A category the type does not allow falls back to the type's default, as pymisp
        // does outside strict mode.
        let category = match category {
            Some(c) if category_allows(c, attribute_type) => c.to_owned(),
            _ => default(),
        };
        Self {
            attribute_type: attribute_type.to_owned(),
            value,
            category,
            comment,
        }
    }
}

fn search_of(tree: &Tree, item: usize) -> String {
    tree.find(item, "context")
        .and_then(|c| tree.attribute(c, "search"))
        .unwrap_or_default()
        .to_owned()
}

fn single_mapping(path: &str) -> Option<(&'static str, Option<&'static str>)> {
    mapping::SINGLE
        .iter()
        .find(|(p, _, _)| p.eq_ignore_ascii_case(path))
        .map(|(_, t, c)| (*t, *c))
}

/// `ip:port` under an IP type becomes the `ip|port` composite.
fn with_port(found: Found) -> Found {
    if matches!(found.attribute_type.as_str(), "ip-src" | "ip-dst")
        && found.value.matches(':').count() == 1
    {
        return Found {
            attribute_type: format!("{}|port", found.attribute_type),
            value: found.value.replace(':', "|"),
            ..found
        };
    }
    found
}

fn single_item(tree: &Tree, item: usize) -> Option<Found> {
    let value = tree.field(item, "content");
    if value.is_empty() {
        return None;
    }
    let search = search_of(tree, item);
    let content_type = tree
        .find(item, "content")
        .and_then(|c| tree.attribute(c, "type"))
        .filter(|t| !t.is_empty());
    let mapped = match content_type {
        // Route destinations say in the content type whether they are an IP or a name.
        Some(kind) if search.contains("RouteEntryItem/Destination") => {
            single_mapping(&format!("{search}/{kind}"))
        }
        _ => single_mapping(&search),
    };
    let (attribute_type, category) = mapped.unwrap_or(("other", Some("External analysis")));
    let comment = tree.field(item, "comment");
    Some(with_port(Found::new(
        attribute_type,
        value,
        category,
        comment,
    )))
}

fn composite_item(tree: &Tree, first: usize, second: usize, attribute_type: &str) -> Found {
    let value = format!(
        "{}|{}",
        tree.field(first, "content"),
        tree.field(second, "content")
    );
    let comment = format!(
        "{}{}",
        tree.field(first, "comment"),
        tree.field(second, "comment")
    );
    with_port(Found::new(attribute_type, value, None, comment))
}

fn indicators(tree: &Tree) -> Vec<Found> {
    let mut found = Vec::new();
    let mut processed: Vec<String> = Vec::new();
    for group in tree.find_all(tree.root(), "indicator") {
        if tree.attribute(group, "operator") != Some("AND") {
            continue;
        }
        let items = tree.find_all(group, "indicatoritem");
        let [a, b] = items[..] else { continue };
        let searches = [search_of(tree, a), search_of(tree, b)];
        for (left, right, attribute_type) in mapping::COMPOSITE {
            if !searches.iter().any(|s| s == left) || !searches.iter().any(|s| s == right) {
                continue;
            }
            let (first, second) = if searches[0] == *left { (a, b) } else { (b, a) };
            found.push(composite_item(tree, first, second, attribute_type));
            for item in [a, b] {
                if let Some(id) = tree.attribute(item, "id") {
                    processed.push(id.to_owned());
                }
            }
        }
    }
    for item in tree.find_all(tree.root(), "indicatoritem") {
        if tree
            .attribute(item, "id")
            .is_some_and(|id| processed.iter().any(|p| p == id))
        {
            continue;
        }
        found.extend(single_item(tree, item));
    }
    found
}

fn package_attributes(tree: &Tree) -> Vec<Found> {
    let root = tree.root();
    let comment = |value: String| Found::new("comment", value, None, String::new());
    let mut found = Vec::new();
    let info = tree.field(root, "short_description");
    let description = tree.field(root, "description");
    // The description only becomes an attribute when the short description already
    // serves as the event's title.
    if !description.is_empty() && !info.is_empty() {
        found.push(comment(description));
    }
    let author = tree.field(root, "authored_by");
    if !author.is_empty() {
        found.push(comment(author));
    }
    found.extend(indicators(tree));
    found
}

#[async_trait]
impl Module for OpenIocImport {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        let package = imported_text(&request)?;
        if package.is_empty() {
            // The reference answers an empty file with this JSON text, as a string.
            return Ok(json!("{\"success\": 0}"));
        }
        let tree = Tree::parse(&package).map_err(|e| {
            ModuleError::reported(format!("Could not read the file as OpenIOC XML: {e}"))
        })?;
        let config = request.config().filter(|c| !c.is_empty());
        let tags: Option<Vec<String>> = config
            .and_then(|c| c.get("default tag"))
            .filter(|t| !t.is_null())
            .map(|t| match t {
                Value::String(s) => s.split(',').map(str::to_owned).collect(),
                other => vec![other.to_string()],
            });
        let mut results = Vec::new();
        // MISP sends "0" when the "not save ioc" box is left unchecked.
        if config
            .and_then(|c| c.get("not save ioc"))
            .and_then(Value::as_str)
            == Some("0")
        {
            let mut file = json!({
                "values": [request.get("filename").cloned().unwrap_or(Value::Null)],
                "types": ["attachment"],
                "categories": ["Support Tool"],
                "data": request.get("data").cloned().unwrap_or(Value::Null),
            });
            if let Some(tags) = &tags {
                file["tags"] = json!(tags);
            }
            results.push(file);
        }
        for found in package_attributes(&tree) {
            let mut entry = json!({
                "values": [found.value],
                "types": [found.attribute_type],
                "categories": [found.category],
                "comment": found.comment,
            });
            if let Some(tags) = &tags {
                entry["tags"] = json!(tags);
            }
            results.push(entry);
        }
        Ok(json!({"results": results}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::{query, reported};
    use base64::Engine as _;

    const IOC: &str = r#"<?xml version="1.0" encoding="us-ascii"?>
<ioc xmlns="http://schemas.mandiant.com/2010/ioc" id="x">
  <short_description>Sample</short_description>
  <description>Tom &amp; Jerry</description>
  <authored_by>Analyst</authored_by>
  <definition>
    <Indicator operator="OR" id="i0">
      <IndicatorItem id="a" condition="is">
        <Context document="PortItem" search="PortItem/remoteIP" type="mir"/>
        <Content type="IP">198.51.100.4:8080</Content>
        <Comment>c2</Comment>
      </IndicatorItem>
      <IndicatorItem id="b" condition="is">
        <Context document="RouteEntryItem" search="RouteEntryItem/Destination" type="mir"/>
        <Content type="IP">203.0.113.9</Content>
      </IndicatorItem>
      <IndicatorItem id="c" condition="is">
        <Context document="X" search="Unknown/Thing" type="mir"/>
        <Content type="string">odd</Content>
      </IndicatorItem>
      <IndicatorItem id="d" condition="is">
        <Context document="DriverItem" search="driveritem/drivername" type="mir"/>
        <Content type="string">evil.sys</Content>
      </IndicatorItem>
      <IndicatorItem id="e" condition="is">
        <Context document="FileItem" search="FileItem/Md5sum" type="mir"/>
        <Content type="md5"></Content>
      </IndicatorItem>
      <Indicator operator="AND" id="i1">
        <IndicatorItem id="f" condition="is">
          <Context document="FileItem" search="FileItem/Md5sum" type="mir"/>
          <Content type="md5">0123456789abcdef0123456789abcdef</Content>
        </IndicatorItem>
        <IndicatorItem id="g" condition="is">
          <Context document="FileItem" search="FileItem/FileName" type="mir"/>
          <Content type="string">a.exe</Content>
        </IndicatorItem>
      </Indicator>
    </Indicator>
  </definition>
</ioc>"#;

    fn body(text: &str, config: Value) -> Value {
        let data = base64::engine::general_purpose::STANDARD.encode(text);
        json!({"module": "openiocimport", "data": data, "filename": "x.ioc", "config": config})
    }

    fn rows(answer: &Value) -> Vec<(String, String, String, String)> {
        answer["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["values"][0].as_str().unwrap_or_default().to_owned(),
                    r["types"][0].as_str().unwrap().to_owned(),
                    r["categories"][0].as_str().unwrap().to_owned(),
                    r["comment"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    }

    fn row(v: &str, t: &str, c: &str, comment: &str) -> (String, String, String, String) {
        (v.into(), t.into(), c.into(), comment.into())
    }

    #[tokio::test]
    async fn maps_items_composites_and_comments() {
        let answer = query(&OpenIocImport::new(), body(IOC, json!({})))
            .await
            .unwrap();
        assert_eq!(
            rows(&answer),
            vec![
                row("Tom & Jerry", "comment", "Other", ""),
                row("Analyst", "comment", "Other", ""),
                row(
                    "a.exe|0123456789abcdef0123456789abcdef",
                    "filename|md5",
                    "Payload delivery",
                    ""
                ),
                row("198.51.100.4|8080", "ip-dst|port", "Network activity", "c2"),
                row("203.0.113.9", "ip-dst", "Network activity", ""),
                row("odd", "other", "External analysis", ""),
                row("evil.sys", "other", "Artifacts dropped", ""),
            ]
        );
    }

    #[tokio::test]
    async fn attachment_and_tags_on_request() {
        let config = json!({"not save ioc": "0", "default tag": "tlp:white,foo"});
        let answer = query(&OpenIocImport::new(), body(IOC, config))
            .await
            .unwrap();
        let first = &answer["results"][0];
        assert_eq!(first["values"], json!(["x.ioc"]));
        assert_eq!(first["types"], json!(["attachment"]));
        assert_eq!(first["tags"], json!(["tlp:white", "foo"]));
        assert!(first["data"].is_string());
        assert_eq!(answer["results"][3]["tags"], json!(["tlp:white", "foo"]));
        let checked = json!({"not save ioc": "1"});
        let answer = query(&OpenIocImport::new(), body(IOC, checked))
            .await
            .unwrap();
        assert_eq!(answer["results"][0]["types"], json!(["comment"]));
    }

    #[tokio::test]
    async fn description_is_the_title_without_short_description() {
        let text = "<ioc><description>Only this</description><definition/></ioc>";
        let answer = query(&OpenIocImport::new(), body(text, json!({})))
            .await
            .unwrap();
        assert_eq!(answer["results"], json!([]));
    }

    #[tokio::test]
    async fn broken_and_empty_files() {
        let module = OpenIocImport::new();
        let broken = reported(query(&module, body("<ioc><![CDATA[x</ioc>", json!({}))).await);
        assert!(
            broken.starts_with("Could not read the file as OpenIOC XML"),
            "{broken}"
        );
        assert_eq!(
            query(&module, body("", json!({}))).await.unwrap(),
            json!("{\"success\": 0}")
        );
    }
}
