//! `extract_url_components`: turns a URL attribute into a MISP `url` object with its
//! scheme, host, domain parts (by the Public Suffix List), port, path, query and fragment.

use app::{ModuleDescriptor, ModuleType, StandardResults};
use async_trait::async_trait;
use serde_json::{Value, json};

use crate::engine::{Module, ModuleError, QueryRequest, descriptor};
use crate::misp::ObjectBuilder;
use crate::parse::url_parts::{UrlError, ascii_host, domain_parts, split_url};

pub struct ExtractUrlComponents(ModuleDescriptor);

impl ExtractUrlComponents {
    pub fn new() -> Self {
        Self(descriptor(
            "extract_url_components",
            ModuleType::Expansion,
            json!({"input": ["url"], "format": "misp_standard"}),
            json!({
                "version": "1",
                "author": "misp-modules-stack",
                "description": "Splits a URL into a MISP url object: scheme, host, domain, subdomain, TLD, port, path, query and fragment.",
                "module-type": ["expansion", "hover"],
                "name": "URL Components Extractor",
                "config": [],
                "features": "Works offline; the domain and TLD follow the Public Suffix List compiled into the server.",
                "input": "A url attribute.",
                "output": "A url object referencing the input attribute."
            }),
        ))
    }
}

#[async_trait]
impl Module for ExtractUrlComponents {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        let attribute = request.standard_attribute()?;
        if attribute.attribute_type != "url" {
            return Err(ModuleError::reported("Bad attribute type"));
        }
        let parts = split_url(&attribute.value).map_err(|e| match e {
            // A defanged or mangled host: the reference crashed here; say why instead.
            UrlError::BadBrackets => ModuleError::reported(format!("Unable to parse URL: {e}")),
            other => ModuleError::internal(format!("cannot split URL: {other}")),
        })?;
        let host = ascii_host(parts.host.as_deref().unwrap_or_default());
        let domain = domain_parts(&host);

        let mut object = ObjectBuilder::new("url")?;
        // Order and emptiness rules follow pymisp: empty parts are not added.
        let entries: [(&str, Option<String>); 11] = [
            ("url", Some(attribute.value.clone())),
            ("tld", domain.tld),
            ("subdomain", domain.subdomain),
            ("scheme", Some(parts.scheme)),
            ("resource_path", Some(parts.path)),
            ("query_string", Some(parts.query)),
            ("port", parts.port.map(|p| p.to_string())),
            ("host", Some(host)),
            ("fragment", Some(parts.fragment)),
            ("domain_without_tld", domain.domain_without_tld),
            ("domain", domain.domain),
        ];
        for (relation, value) in entries {
            if let Some(value) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) {
                object.add(relation, value)?;
            }
        }
        object.reference(&attribute.uuid, "generated-from");
        let results = StandardResults {
            attributes: Vec::new(),
            objects: vec![object.build()],
        };
        Ok(json!({"results": results}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::{object_relations, pairs, query, reported};

    const UUID: &str = "5a5d2c1e-3c2b-4a8e-9c7d-0123456789ab";

    async fn relations(url: &str) -> Vec<(String, String)> {
        let body = json!({"module": "extract_url_components", "attribute": {"type": "url", "value": url, "uuid": UUID}});
        let answer = query(&ExtractUrlComponents::new(), body).await.unwrap();
        let object = &answer["results"]["Object"][0];
        assert_eq!(object["ObjectReference"][0]["referenced_uuid"], UUID);
        assert_eq!(
            object["ObjectReference"][0]["relationship_type"],
            "generated-from"
        );
        object_relations(object)
    }

    #[tokio::test]
    async fn full_url() {
        assert_eq!(
            relations("https://www.example.com/path/x.php?a=1&b=2#frag").await,
            pairs(&[
                ("url", "https://www.example.com/path/x.php?a=1&b=2#frag"),
                ("tld", "com"),
                ("subdomain", "www"),
                ("scheme", "https"),
                ("resource_path", "/path/x.php"),
                ("query_string", "a=1&b=2"),
                ("host", "www.example.com"),
                ("fragment", "frag"),
                ("domain_without_tld", "example"),
                ("domain", "example.com"),
            ])
        );
    }

    #[tokio::test]
    async fn multi_label_suffix_port_and_credentials() {
        assert_eq!(
            relations("http://user:pass@sub.a.example.co.uk:8080/p").await,
            pairs(&[
                ("url", "http://user:pass@sub.a.example.co.uk:8080/p"),
                ("tld", "co.uk"),
                ("subdomain", "sub.a"),
                ("scheme", "http"),
                ("resource_path", "/p"),
                ("port", "8080"),
                ("host", "sub.a.example.co.uk"),
                ("domain_without_tld", "example"),
                ("domain", "example.co.uk"),
            ])
        );
    }

    #[tokio::test]
    async fn ip_hosts_have_no_domain_parts() {
        assert_eq!(
            relations("http://198.51.100.7/x").await,
            pairs(&[
                ("url", "http://198.51.100.7/x"),
                ("scheme", "http"),
                ("resource_path", "/x"),
                ("host", "198.51.100.7")
            ])
        );
    }

    #[tokio::test]
    async fn reference_answers_for_odd_hosts() {
        // The reference's relations for each URL (misp-modules 3.1.1).
        assert_eq!(
            relations("http://0x7f.1/").await,
            pairs(&[
                ("url", "http://0x7f.1/"),
                ("scheme", "http"),
                ("resource_path", "/"),
                ("host", "0x7f.1")
            ])
        );
        assert_eq!(
            relations("https://www.example.com./").await,
            pairs(&[
                ("url", "https://www.example.com./"),
                ("tld", "com"),
                ("subdomain", "www"),
                ("scheme", "https"),
                ("resource_path", "/"),
                ("host", "www.example.com."),
                ("domain_without_tld", "example"),
                ("domain", "example.com")
            ])
        );
        assert_eq!(
            relations("http://exa\tmple.com/").await,
            pairs(&[
                ("url", "http://exa\tmple.com/"),
                ("tld", "com"),
                ("scheme", "http"),
                ("resource_path", "/"),
                ("host", "example.com"),
                ("domain_without_tld", "example"),
                ("domain", "example.com")
            ])
        );
        let defanged =
            json!({"attribute": {"type": "url", "value": "hxxp://evil[.]com/bad", "uuid": UUID}});
        assert_eq!(
            reported(query(&ExtractUrlComponents::new(), defanged).await),
            "Unable to parse URL: the URL has an invalid bracketed host"
        );
    }

    #[tokio::test]
    async fn bare_domain() {
        assert_eq!(
            relations("example.com").await,
            pairs(&[
                ("url", "example.com"),
                ("tld", "com"),
                ("host", "example.com"),
                ("domain_without_tld", "example"),
                ("domain", "example.com")
            ])
        );
    }

    #[tokio::test]
    async fn input_errors() {
        let module = ExtractUrlComponents::new();
        let wrong = json!({"attribute": {"type": "domain", "value": "example.com", "uuid": UUID}});
        assert_eq!(reported(query(&module, wrong).await), "Bad attribute type");
        let no_host = json!({"attribute": {"type": "url", "value": "http:///x", "uuid": UUID}});
        assert!(matches!(
            query(&module, no_host).await,
            Err(ModuleError::Internal(_))
        ));
    }
}
