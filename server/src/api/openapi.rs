//! `GET /openapi.json` (an OpenAPI 3.1 description of this API) and `GET /openapi` (the
//! same, rendered as a page by the server: no JavaScript, nothing loaded from elsewhere).

use app::ModuleDescriptor;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::AppState;

pub fn openapi_document(descriptors: &[ModuleDescriptor], server_url: &str) -> Value {
    let mut sorted: Vec<&ModuleDescriptor> = descriptors.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let error = json!({"$ref": "#/components/schemas/Error"});
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "MISP Modules API",
            "version": "1.0.0",
            "description": "Enrichment, import, export and action modules for MISP, wire-compatible with misp-modules."
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/modules": {"get": {
                "summary": "List the loaded modules",
                "responses": {"200": {"description": "Module descriptors", "content": {"application/json": {
                    "schema": {"type": "array", "items": {"$ref": "#/components/schemas/ModuleDescriptor"}},
                    "example": sorted
                }}}}
            }},
            "/query": {"post": {
                "summary": "Run one module",
                "description": "The body names the module and carries its input: the attribute under its type (legacy), an `attribute` object (misp_standard), base64 `data` (import), a list of events in `data` (export) or `params` and `data` (action). `timeout` (seconds) bounds the run.",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ModuleQuery"}}}},
                "responses": {
                    "200": {"description": "The module's answer, or {\"error\": ...} when the module reports a problem or times out", "content": {"application/json": {"schema": {}}}},
                    "400": {"description": "The body is not a JSON object, not UTF-8, or has an invalid timeout", "content": {"application/json": {"schema": error}}},
                    "413": {"description": "The body is larger than the server accepts", "content": {"application/json": {"schema": error}}}
                }
            }},
            "/healthcheck": {"get": {"summary": "Liveness", "responses": {"200": {"description": "Alive", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HealthResponse"}}}}}}},
            "/version": {"get": {"summary": "Protocol version", "responses": {"200": {"description": "Version", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/VersionResponse"}}}}}}},
            "/statistics": {"get": {"summary": "Query counters since start", "responses": {"200": {"description": "Counters", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Statistics"}}}}}}}
        },
        "components": {"schemas": {
            "ModuleDescriptor": {"type": "object", "required": ["name", "type", "mispattributes", "meta"], "properties": {
                "name": {"type": "string"},
                "type": {"type": "string", "enum": ["expansion", "import_mod", "export_mod", "action_mod"]},
                "mispattributes": {"type": "object"},
                "meta": {"type": "object"}
            }},
            "ModuleQuery": {"type": "object", "required": ["module"], "properties": {
                "module": {"type": "string"},
                "timeout": {"type": ["integer", "string"], "description": "Seconds; default 300, bounded by the server"},
                "config": {"type": "object", "additionalProperties": true},
                "attribute": {"type": "object", "properties": {"type": {"type": "string"}, "value": {"type": "string"}, "uuid": {"type": "string"}}},
                "data": {}
            }, "additionalProperties": true},
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
            "HealthResponse": {"type": "object", "properties": {"status": {"type": "boolean"}}},
            "VersionResponse": {"type": "object", "properties": {"version": {"type": "string"}}},
            "Statistics": {"type": "object", "properties": {
                "started_at": {"type": "string", "format": "date-time"},
                "uptime_seconds": {"type": "number"},
                "totals": {"type": "object"},
                "modules": {"type": "object", "additionalProperties": {"type": "object"}}
            }}
        }}
    })
}

pub async fn document(State(state): State<AppState>, headers: HeaderMap) -> Response {
    state.cached.openapi.respond(&headers)
}

/// The description as a readable page, built from the same document.
pub async fn page(State(state): State<AppState>) -> Response {
    let document: Value = serde_json::from_slice(state.cached.openapi.body()).unwrap_or_default();
    let mut html = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>MISP Modules API</title>\
         <style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5}\
         code,pre{background:#f3f3f3;padding:.1rem .3rem}pre{padding:1rem;overflow:auto}h2{border-bottom:1px solid #ccc}\
         @media (prefers-color-scheme:dark){body{background:#111;color:#ddd}code,pre{background:#222}}</style></head><body>\n",
    );
    html.push_str(&format!(
        "<h1>{}</h1><p>{}</p><p>Machine-readable: <a href=\"/openapi.json\">/openapi.json</a></p>\n",
        escape(document["info"]["title"].as_str().unwrap_or_default()),
        escape(document["info"]["description"].as_str().unwrap_or_default())
    ));
    if let Some(paths) = document["paths"].as_object() {
        for (path, methods) in paths {
            for (method, operation) in methods.as_object().into_iter().flatten() {
                html.push_str(&format!(
                    "<h2><code>{} {}</code></h2><p>{}</p>",
                    escape(&method.to_uppercase()),
                    escape(path),
                    escape(operation["summary"].as_str().unwrap_or_default())
                ));
                if let Some(description) = operation["description"].as_str() {
                    html.push_str(&format!("<p>{}</p>", escape(description)));
                }
                if let Some(responses) = operation["responses"].as_object() {
                    html.push_str("<ul>");
                    for (status, response) in responses {
                        html.push_str(&format!(
                            "<li><code>{}</code> {}</li>",
                            escape(status),
                            escape(response["description"].as_str().unwrap_or_default())
                        ));
                    }
                    html.push_str("</ul>");
                }
            }
        }
    }
    html.push_str("<h2>Schemas</h2><pre>");
    let schemas =
        serde_json::to_string_pretty(&document["components"]["schemas"]).unwrap_or_default();
    html.push_str(&escape(&schemas));
    html.push_str("</pre></body></html>\n");
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response()
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
