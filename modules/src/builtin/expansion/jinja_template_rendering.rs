//! `jinja_template_rendering`: renders a Jinja template with data, both given as one JSON
//! text: `{"template": "...", "data": {...}}`.
//!
//! The engine (minijinja) has no template loader, so templates cannot read files or
//! include other templates; execution fuel and an output cap bound the work one request
//! can cause.

use std::io::Write;

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use minijinja::Environment;
use serde_json::{Value, json};

use super::jinja_python::make_pythonic;
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};

const DEFAULT_TEMPLATE: &str = "- Default template -";
/// Rendered text larger than this is refused; filters that would build a larger value
/// refuse it up front.
pub(super) const MAX_OUTPUT_BYTES: usize = 1024 * 1024;
/// The detail of a filter's error when its result alone would pass the output cap.
const OUTPUT_LIMIT_DETAIL: &str = "the result would exceed the output limit";

/// The error a filter returns instead of building a value larger than the output cap; the
/// module then answers as for rendered text over the cap.
pub(super) fn output_limit_error() -> minijinja::Error {
    minijinja::Error::new(minijinja::ErrorKind::InvalidOperation, OUTPUT_LIMIT_DETAIL)
}

fn is_output_limit(error: &minijinja::Error) -> bool {
    error.detail() == Some(OUTPUT_LIMIT_DETAIL)
}
/// Instructions one rendering may execute.
const FUEL: u64 = 5_000_000;

pub struct JinjaTemplateRendering(ModuleDescriptor);

impl JinjaTemplateRendering {
    pub fn new() -> Self {
        Self(descriptor(
            "jinja_template_rendering",
            ModuleType::Expansion,
            json!({"input": ["text"], "output": ["text"]}),
            json!({
                "version": "0.1",
                "author": "misp-modules-stack",
                "description": "Renders a Jinja template with the data given alongside it.",
                "module-type": ["expansion"],
                "name": "Ninja Template Rendering",
                "features": "Sandboxed: no file access, bounded execution and output size. A template that fails to render gives an empty text.",
                "input": "A text attribute holding {\"template\": ..., \"data\": {...}} as JSON.",
                "output": "The rendered text."
            }),
        ))
    }
}

/// A writer that stops accepting bytes past the cap.
struct Capped {
    out: Vec<u8>,
    overflowed: bool,
}

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.out.len() + buf.len() > MAX_OUTPUT_BYTES {
            self.overflowed = true;
            return Err(std::io::Error::other("output limit reached"));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

enum Rendered {
    Text(String),
    Failed,
    TooLarge,
}

fn render(template: &str, data: &Value) -> Rendered {
    let mut env = Environment::new();
    env.set_fuel(Some(FUEL));
    make_pythonic(&mut env);
    let Ok(compiled) = env.template_from_str(template) else {
        return Rendered::Failed;
    };
    let mut out = Capped {
        out: Vec::new(),
        overflowed: false,
    };
    match compiled.render_captured_to(data, &mut out) {
        Ok(_) => Rendered::Text(String::from_utf8_lossy(&out.out).into_owned()),
        Err(e) if out.overflowed || is_output_limit(&e) => Rendered::TooLarge,
        Err(e) => {
            tracing::warn!(kind = ?e.kind(), "template render failed");
            Rendered::Failed
        }
    }
}

#[async_trait]
impl Module for JinjaTemplateRendering {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        // Without a (non-empty) text the reference answers a bare `false`.
        let Some(text) = request.str_field("text").filter(|t| !t.is_empty()) else {
            return Ok(Value::Bool(false));
        };
        let input: Value = serde_json::from_str(text)
            .map_err(|e| ModuleError::reported(format!("The text is not valid JSON: {e}")))?;
        let Some(input) = input.as_object() else {
            return Err(ModuleError::reported(
                "The text must be a JSON object with \"template\" and \"data\"",
            ));
        };
        let template = match input.get("template") {
            None => DEFAULT_TEMPLATE,
            Some(Value::String(t)) => t.as_str(),
            Some(_) => return Err(ModuleError::reported("\"template\" must be a string")),
        };
        let data = input.get("data").cloned().unwrap_or_else(|| json!({}));
        let rendered = match render(template, &data) {
            Rendered::Text(text) => text,
            Rendered::Failed => String::new(),
            Rendered::TooLarge => {
                return Err(ModuleError::reported(format!(
                    "The rendered text exceeds {MAX_OUTPUT_BYTES} bytes"
                )));
            }
        };
        Ok(json!({"results": [{"types": ["text"], "values": [rendered]}]}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::{query, reported};

    async fn rendered(input: Value) -> Value {
        let body = json!({"module": "jinja_template_rendering", "text": input.to_string()});
        let answer = query(&JinjaTemplateRendering::new(), body).await.unwrap();
        answer["results"][0]["values"][0].clone()
    }

    #[tokio::test]
    async fn renders_templates() {
        assert_eq!(
            rendered(json!({"template": "Hello {{ name }}! {% for x in items %}[{{ x }}]{% endfor %}", "data": {"name": "MISP", "items": [1, 2, 3]}})).await,
            "Hello MISP! [1][2][3]"
        );
        assert_eq!(rendered(json!({"data": {}})).await, DEFAULT_TEMPLATE);
        assert_eq!(rendered(json!({"template": "{{ a.b }}|{{ missing }}|{{ 'x'|upper }}", "data": {"a": {"b": 2}}})).await, "2||X");
    }

    #[tokio::test]
    async fn failures_and_limits() {
        assert_eq!(rendered(json!({"template": "{% for %}"})).await, "");
        assert_eq!(
            rendered(json!({"template": "{% include 'etc/passwd' %}"})).await,
            ""
        );
        assert_eq!(rendered(json!({"template": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"})).await, "");
        let body = json!({"text": json!({"template": "{% for i in range(90000) %}{{ 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' }}{% endfor %}"}).to_string()});
        assert!(reported(query(&JinjaTemplateRendering::new(), body).await).contains("exceeds"));
        // A filter asked for more than the cap refuses before allocating it: center with
        // a width of 10^14 asked for 50 TB and aborted the process.
        for template in [
            "{{ 'a'|center(100000000000000) }}",
            "{{ 'a'|center(1048577)|length }}",
        ] {
            let body = json!({"text": json!({"template": template}).to_string()});
            let answer = reported(query(&JinjaTemplateRendering::new(), body).await);
            assert_eq!(
                answer, "The rendered text exceeds 1048576 bytes",
                "{template}"
            );
        }
        let module = JinjaTemplateRendering::new();
        assert_eq!(query(&module, json!({})).await.unwrap(), json!(false));
        assert_eq!(
            query(&module, json!({"text": ""})).await.unwrap(),
            json!(false)
        );
        assert!(reported(query(&module, json!({"text": "nope"})).await).contains("not valid JSON"));
    }
}
