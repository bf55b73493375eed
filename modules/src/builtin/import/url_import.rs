//! `url_import`: one MISP `url` object per line of an uploaded URL list, split into
//! scheme, host, domain parts, port, path, query and fragment.

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};

use super::imported_text;
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};
use crate::misp::{ObjectBuilder, new_uuid};
use crate::parse::python_json::python_splitlines;
use crate::parse::url_parts::{ascii_host, domain_parts, split_url};

pub struct UrlImport(ModuleDescriptor);

impl UrlImport {
    pub fn new() -> Self {
        Self(descriptor(
            "url_import",
            ModuleType::Import,
            json!({
                "inputSource": ["file", "paste"],
                "output": ["MISP Format"],
                "format": "misp_standard",
                "userConfig": {
                    "include_scheme": {"type": "Boolean", "message": "Add the scheme (http, https, ...) to each url object"}
                }
            }),
            json!({
                "version": "0.1",
                "author": "misp-modules-stack",
                "description": "Turns a list of URLs, one per line, into MISP url objects with their parts split out.",
                "module-type": ["import"],
                "name": "URL Import",
                "config": [],
                "features": "Works offline; domains and TLDs follow the Public Suffix List compiled into the server. Blank lines are skipped.",
                "input": "A text file or pasted text with one URL per line.",
                "output": "A MISP event holding one url object per URL."
            }),
        ))
    }
}

/// A checkbox value as MISP may send it: a JSON boolean or a "1"/"0"-style string.
pub(super) fn checkbox(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(flag)) => *flag,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(text)) => !matches!(
            text.trim().to_ascii_lowercase().as_str(),
            "" | "0" | "false" | "no" | "off"
        ),
        _ => false,
    }
}

fn url_object(
    line_number: usize,
    url: &str,
    include_scheme: bool,
) -> Result<app::MispObject, ModuleError> {
    let parts = split_url(url).map_err(|e| {
        ModuleError::reported(format!(
            "Line {line_number} is not a usable URL ({e}): {url}"
        ))
    })?;
    let host = ascii_host(parts.host.as_deref().unwrap_or_default());
    let domain = domain_parts(&host);
    let mut object = ObjectBuilder::new("url")?;
    let entries: [(&str, Option<String>); 11] = [
        ("url", Some(url.to_owned())),
        ("tld", domain.tld),
        ("subdomain", domain.subdomain),
        ("scheme", include_scheme.then_some(parts.scheme)),
        ("resource_path", Some(parts.path)),
        ("query_string", Some(parts.query)),
        ("port", parts.port.map(|p| p.to_string())),
        ("host", Some(host)),
        ("fragment", Some(parts.fragment)),
        ("domain_without_tld", domain.domain_without_tld),
        ("domain", domain.domain),
    ];
    // Like pymisp, values are trimmed and empty ones left out.
    for (relation, value) in entries {
        let value = value.map(|v| v.trim().trim_matches('\0').to_owned());
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            object.add(relation, value)?;
        }
    }
    Ok(object.build())
}

#[async_trait]
impl Module for UrlImport {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        let text = imported_text(&request)?;
        let include_scheme = checkbox(request.config().and_then(|c| c.get("include_scheme")));
        let mut objects = Vec::new();
        for (index, line) in python_splitlines(&text).into_iter().enumerate() {
            let url = line.trim();
            if !url.is_empty() {
                objects.push(url_object(index + 1, url, include_scheme)?);
            }
        }
        let mut event = json!({"uuid": new_uuid()});
        if !objects.is_empty() {
            event["Object"] =
                serde_json::to_value(objects).map_err(|e| ModuleError::internal(e.to_string()))?;
        }
        Ok(json!({"results": event}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::{object_relations, pairs, query, reported};
    use base64::Engine as _;

    fn body(text: &str, config: Value) -> Value {
        let data = base64::engine::general_purpose::STANDARD.encode(text);
        json!({"module": "url_import", "data": data, "config": config})
    }

    #[tokio::test]
    async fn one_object_per_line_with_scheme_on_request() {
        let text = "https://www.example.com:8080/path/a?q=1#f\r\n\n  http://198.51.100.7/x  \n";
        let answer = query(
            &UrlImport::new(),
            body(text, json!({"include_scheme": true})),
        )
        .await
        .unwrap();
        let objects = answer["results"]["Object"].as_array().unwrap();
        assert_eq!(objects.len(), 2);
        assert_eq!(
            object_relations(&objects[0]),
            pairs(&[
                ("url", "https://www.example.com:8080/path/a?q=1#f"),
                ("tld", "com"),
                ("subdomain", "www"),
                ("scheme", "https"),
                ("resource_path", "/path/a"),
                ("query_string", "q=1"),
                ("port", "8080"),
                ("host", "www.example.com"),
                ("fragment", "f"),
                ("domain_without_tld", "example"),
                ("domain", "example.com"),
            ])
        );
        assert_eq!(
            object_relations(&objects[1]),
            pairs(&[
                ("url", "http://198.51.100.7/x"),
                ("scheme", "http"),
                ("resource_path", "/x"),
                ("host", "198.51.100.7"),
            ])
        );
        assert_eq!(objects[0]["Attribute"][6]["type"], "port");
    }

    #[tokio::test]
    async fn scheme_left_out_by_default_and_for_unchecked_boxes() {
        for config in [
            json!({}),
            json!({"include_scheme": "0"}),
            json!({"include_scheme": false}),
        ] {
            let answer = query(&UrlImport::new(), body("http://a.example.org", config))
                .await
                .unwrap();
            assert_eq!(
                object_relations(&answer["results"]["Object"][0]),
                pairs(&[
                    ("url", "http://a.example.org"),
                    ("tld", "org"),
                    ("subdomain", "a"),
                    ("host", "a.example.org"),
                    ("domain_without_tld", "example"),
                    ("domain", "example.org"),
                ])
            );
        }
    }

    #[tokio::test]
    async fn empty_lists_and_bad_lines() {
        let module = UrlImport::new();
        let empty = query(&module, body("\n\n", json!({}))).await.unwrap();
        assert_eq!(empty["results"].as_object().unwrap().len(), 1);
        assert!(empty["results"]["uuid"].is_string());
        assert_eq!(
            reported(query(&module, body("example.com\nhttp://a.com:99999/", json!({}))).await),
            "Line 2 is not a usable URL (the URL has an invalid port \"99999\"): http://a.com:99999/"
        );
        let latin1 = json!({"module": "url_import", "data": "aHR0cDovL2Hp"});
        assert!(reported(query(&module, latin1).await).contains("UTF-8"));
    }
}
