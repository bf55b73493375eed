//! The three conversions the legacy converter answers with when driven the way the
//! reference module drives it (only backends that produce their output at the end of a
//! run report anything): Elasticsearch DSL, Kibana saved searches and Splunk dashboards.
//! A backend that cannot express a rule is left out of the answer, as in the reference.

use serde_json::{Map, Value, json};

use super::modifiers::Val;
use super::rule::{AggFunc, Aggregation, Cond, Rule};
use super::yaml::Node;
use crate::pycompat::python_json_dumps;

type Out<T> = Result<T, String>;

fn unsupported<T>() -> Out<T> {
    Err("value type not supported by this backend".into())
}

/// A `*` or `?` not escaped by a single backslash.
fn contains_wildcard(value: &str) -> bool {
    let chars: Vec<char> = value.chars().collect();
    chars.iter().enumerate().any(|(i, c)| {
        (*c == '*' || *c == '?')
            && (i == 0 || chars[i - 1] != '\\' || (i >= 2 && chars[i - 2] == '\\'))
    })
}

fn keyword_field(field: &str, keyword: bool) -> String {
    if keyword {
        format!("{field}.keyword")
    } else {
        field.to_owned()
    }
}

fn val_has_wildcard(value: &Val) -> bool {
    match value {
        Val::Str(s) => contains_wildcard(s),
        Val::List(items) => items
            .iter()
            .any(|v| matches!(v, Val::Str(s) if contains_wildcard(s))),
        Val::Regex(_) => true,
        _ => false,
    }
}

/// The fields a rule asks to display (`fields:`); a plain string is iterated per
/// character, as the reference does.
fn columns(doc: &Node) -> Out<Option<Vec<Value>>> {
    match doc.get("fields") {
        None => Ok(None),
        Some(Node::Seq(items)) => Ok(Some(
            items.iter().map(|i| Value::String(i.py_str())).collect(),
        )),
        Some(Node::Str(s)) => Ok(Some(
            s.chars().map(|c| Value::String(c.to_string())).collect(),
        )),
        Some(Node::Map(entries)) => Ok(Some(
            entries
                .iter()
                .map(|(k, _)| Value::String(k.py_str()))
                .collect(),
        )),
        Some(_) => Err("fields is not iterable".into()),
    }
}

// ---- Elasticsearch DSL -----------------------------------------------------------------

fn dsl_term(field: &str, value: &str) -> Value {
    let keyword = contains_wildcard(value);
    let key = keyword_field(field, keyword);
    let cleaned = value.replace("\\\\*", "\\*");
    if keyword {
        json!({"wildcard": {key: cleaned.replace('\\', "\\\\")}})
    } else {
        json!({"match_phrase": {key: cleaned}})
    }
}

fn dsl_field(field: &str, value: &Val) -> Out<Value> {
    match value {
        Val::Str(s) | Val::Int(s) => Ok(dsl_term(field, s)),
        Val::Other(Node::Null) => Ok(json!({"bool": {"must_not": {"exists": {"field": field}}}})),
        Val::Regex(r) => Ok(json!({"regexp": {keyword_field(field, true): r}})),
        Val::List(items) => {
            let mut should = Vec::new();
            for item in items {
                match item {
                    Val::Sub(inner) => match inner.as_ref() {
                        Val::Or(alts) => should.push(dsl_field(field, &Val::List(alts.clone()))?),
                        _ => return unsupported(),
                    },
                    other => {
                        let text = other.py_str().ok_or("unsupported list value")?;
                        should.push(dsl_term(field, &text));
                    }
                }
            }
            Ok(json!({"bool": {"should": should}}))
        }
        _ => unsupported(),
    }
}

fn dsl_node(node: &Cond) -> Out<Value> {
    Ok(match node {
        Cond::And(items) => {
            json!({"bool": {"must": items.iter().map(dsl_node).collect::<Out<Vec<_>>>()?}})
        }
        Cond::Or(items) => {
            json!({"bool": {"should": items.iter().map(dsl_node).collect::<Out<Vec<_>>>()?}})
        }
        Cond::Not(inner) => json!({"bool": {"must_not": [dsl_node(inner)?]}}),
        Cond::Sub(inner) => dsl_node(inner)?,
        Cond::Keyword(v) => {
            let query = match v {
                Val::Int(i) => i
                    .parse::<i64>()
                    .map(Value::from)
                    .unwrap_or_else(|_| Value::String(i.clone())),
                Val::Str(s) => Value::String(s.clone()),
                _ => return unsupported(),
            };
            json!({"multi_match": {"query": query, "fields": [], "type": "phrase"}})
        }
        Cond::Field(field, value) => dsl_field(field, value)?,
    })
}

fn dsl_aggregation(agg: &Aggregation) -> Out<Option<Value>> {
    if agg.func != AggFunc::Count {
        return Err(format!(
            "The '{}' aggregation operator is not yet implemented",
            agg.func_text
        ));
    }
    let Some(group) = &agg.group else {
        return Ok(None);
    };
    let script = format!(
        "params.count {} {}",
        agg.op.as_deref().unwrap_or(""),
        agg.threshold.as_deref().unwrap_or("")
    );
    let group_name = format!("{group}_count");
    Ok(Some(match &agg.field {
        Some(field) => {
            let distinct = format!("{field}_distinct");
            json!({group_name: {
                "terms": {"field": group},
                "aggs": {
                    distinct.clone(): {"cardinality": {"field": field}},
                    "limit": {"bucket_selector": {"buckets_path": {"count": distinct}, "script": script}}
                }
            }})
        }
        None => {
            let single = format!("single_{group}_count");
            json!({group_name: {
                "terms": {"field": group},
                "aggs": {
                    single.clone(): {"value_count": {"field": group}},
                    "limit": {"bucket_selector": {"buckets_path": {"count": single}, "script": script}}
                }
            }})
        }
    }))
}

pub fn es_dsl(rules: &[Rule]) -> Out<String> {
    let mut queries = Vec::new();
    // The reference keeps the last time frame seen for the rules that follow.
    let mut interval: Option<String> = None;
    for rule in rules {
        if let Some(tf) = rule.doc.get("detection").and_then(|d| d.get("timeframe")) {
            interval = Some(tf.py_str());
        }
        for parsed in &rule.conditions {
            let mut query = Map::new();
            let mut filter = dsl_node(&parsed.search)?;
            let aggs = match &parsed.aggregation {
                Some(agg) => dsl_aggregation(agg)?,
                None => None,
            };
            let cols = columns(&rule.doc)?;
            if let Some(interval) = interval.as_deref().filter(|i| !i.is_empty()) {
                let range = json!({"range": {"date": {"gte": format!("now-{interval}")}}});
                match filter.get_mut("bool").and_then(Value::as_object_mut) {
                    Some(bool_map) => {
                        let must = bool_map.entry("must").or_insert_with(|| json!([]));
                        if let Some(list) = must.as_array_mut() {
                            list.push(range);
                        }
                    }
                    None => filter = json!({"bool": {"must": [filter, range]}}),
                }
            }
            query.insert(
                "query".into(),
                json!({"constant_score": {"filter": filter}}),
            );
            if let Some(aggs) = aggs {
                query.insert("aggs".into(), aggs);
            }
            if let Some(cols) = cols {
                query.insert("_source".into(), Value::Array(cols));
            }
            queries.push(Value::Object(query));
        }
    }
    Ok(if queries.len() == 1 {
        python_json_dumps(&queries[0], Some(2))
    } else {
        python_json_dumps(&Value::Array(queries), Some(2))
    })
}

// ---- Kibana (Elasticsearch query string) -----------------------------------------------

/// Query-string escaping of the reference (`reEscape` of its es-qs backend).
fn qs_escape(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let mut out = String::with_capacity(value.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() || ('\x1c'..='\x1f').contains(&c) || "+-=!(){}[]^\"~:/".contains(c) {
            out.push('\\');
            out.push(c);
        } else if c == '\\' {
            let escaped_before = i > 0 && chars[i - 1] == '\\';
            if !escaped_before && !matches!(next, Some('*' | '?' | '\\')) {
                out.push_str("\\\\");
            } else if next == Some('u') {
                out.push_str("\\\\u");
                i += 1;
            } else {
                out.push(c);
            }
        } else if (c == '&' || c == '|') && next == Some(c) {
            out.push('\\');
            out.push(c);
            out.push(c);
            i += 1;
        } else {
            out.push(c);
        }
        i += 1;
    }
    out
}

/// Drops `^`/`$` anchors the way the reference's query-string backends do; the same
/// regular expression object is rewritten by three of them before Kibana sees it.
fn strip_anchors(regex: &str) -> Out<String> {
    if regex.is_empty() {
        return Err("empty regular expression".into());
    }
    let starts = regex.starts_with('^');
    let ends = regex.ends_with('$');
    Ok(if starts && ends {
        let inner: String = regex.chars().skip(1).collect();
        let mut inner: Vec<char> = inner.chars().collect();
        inner.pop();
        inner.into_iter().collect()
    } else if starts {
        let rest = &regex[1..];
        if regex.ends_with(".*") && regex.len() >= 2 {
            rest.to_owned()
        } else {
            format!("{rest}.*")
        }
    } else if ends {
        let rest = &regex[..regex.len() - 1];
        if regex.starts_with(".*") {
            rest.to_owned()
        } else {
            format!(".*{rest}")
        }
    } else {
        regex.to_owned()
    })
}

struct QueryString {
    /// Carried between nodes as in the reference, whose field handling sets it.
    match_keyword: bool,
}

impl QueryString {
    fn value(&self, raw: &str) -> String {
        let result = qs_escape(raw);
        if result.is_empty() || result.chars().all(char::is_whitespace) {
            "\"\"".to_owned()
        } else if self.match_keyword || contains_wildcard(&result) {
            result
        } else {
            format!("\"{result}\"")
        }
    }

    fn field(&mut self, field: &str, value: &Val) -> Out<String> {
        self.match_keyword = val_has_wildcard(value);
        let name = keyword_field(field, self.match_keyword);
        match value {
            Val::Str(s) | Val::Int(s) => Ok(format!("{name}:{}", self.value(s))),
            Val::List(items) => {
                let mut parts = Vec::new();
                for item in items {
                    match item {
                        Val::Str(s) | Val::Int(s) => parts.push(self.value(s)),
                        _ => return Err("List values must be strings or numbers".into()),
                    }
                }
                Ok(if parts.len() == 1 {
                    format!("{name}:{}", parts[0])
                } else {
                    format!("{name}:({})", parts.join(" OR "))
                })
            }
            Val::Regex(r) => {
                let mut r = r.clone();
                for _ in 0..3 {
                    r = strip_anchors(&r)?;
                }
                Ok(format!("{name}:/{r}/"))
            }
            Val::Other(Node::Null) => Ok(format!("NOT _exists_:{field}")),
            _ => unsupported(),
        }
    }

    fn node(&mut self, node: &Cond) -> Out<String> {
        match node {
            Cond::And(items) | Cond::Or(items) => {
                let joiner = if matches!(node, Cond::And(_)) {
                    " AND "
                } else {
                    " OR "
                };
                let parts = items
                    .iter()
                    .map(|i| self.node(i))
                    .collect::<Out<Vec<_>>>()?;
                Ok(parts.join(joiner))
            }
            Cond::Not(inner) => Ok(format!("(NOT {})", self.node(inner)?)),
            Cond::Sub(inner) => self.sub(inner),
            Cond::Keyword(v) => match v {
                Val::Str(s) | Val::Int(s) => Ok(self.value(s)),
                _ => unsupported(),
            },
            Cond::Field(field, value) => self.field(field, value),
        }
    }

    fn sub(&mut self, inner: &Cond) -> Out<String> {
        if let Cond::And(items) | Cond::Or(items) = inner
            && items
                .iter()
                .all(|i| matches!(i, Cond::Keyword(Val::Str(_) | Val::Int(_))))
        {
            // Bare keywords are searched in every keyword field, as substrings.
            let joiner = if matches!(inner, Cond::And(_)) {
                " AND "
            } else {
                " OR "
            };
            self.match_keyword = true;
            let parts: Vec<String> = items
                .iter()
                .map(|i| match i {
                    Cond::Keyword(Val::Str(s)) => {
                        let mut s = s.clone();
                        if !s.starts_with('*') {
                            s.insert(0, '*');
                        }
                        if !s.ends_with('*') {
                            s.push('*');
                        }
                        self.value(&s)
                    }
                    Cond::Keyword(Val::Int(s)) => self.value(s),
                    _ => String::new(),
                })
                .collect();
            self.match_keyword = false;
            return Ok(format!("\\*.keyword:({})", parts.join(joiner)));
        }
        // The reference means to skip the brackets around a single item but its test never
        // holds, so every group is bracketed.
        let generated = self.node(inner)?;
        Ok(if generated.is_empty() {
            generated
        } else {
            format!("({generated})")
        })
    }
}

pub fn kibana(rules: &[Rule]) -> Out<Option<String>> {
    let mut saved = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut qs = QueryString {
        match_keyword: true,
    };
    for rule in rules {
        let doc = &rule.doc;
        if doc.get("logsource").is_none() {
            return Err("Kibana needs a log source".into());
        }
        let description = doc
            .get("description")
            .map(Node::to_json)
            .unwrap_or(json!(""));
        let cols = columns(doc)?.unwrap_or_default();
        for parsed in &rule.conditions {
            let query = qs.node(&parsed.search)?;
            let base = match doc.get("id") {
                Some(id) if id.as_str() != Some("00000000-0000-0000-0000-000000000000") => {
                    id.py_str()
                }
                // The reference's es-dsl backend, which runs first, gives a rule without a
                // title an empty one: the Kibana name and title are then empty too.
                _ => match doc.get("title") {
                    Some(Node::Str(t)) => t.replace(' ', "-").replace(['(', ')'], ""),
                    Some(_) => return Err("title is not a string".into()),
                    None => String::new(),
                },
            };
            let mut name = base.clone();
            if names.contains(&name) {
                let mut counter = 2;
                while names.contains(&format!("{base}-{counter}")) {
                    counter += 1;
                }
                name = format!("{base}-{counter}");
            }
            names.push(name.clone());
            let title = match doc.get("title") {
                Some(Node::Str(title)) => title.as_str(),
                Some(_) => return Err("title is not a string".into()),
                None => "",
            };
            let search_source = json!({
                "index": "*",
                "filter": [],
                "highlight": {
                    "pre_tags": ["@kibana-highlighted-field@"],
                    "post_tags": ["@/kibana-highlighted-field@"],
                    "fields": {"*": {}},
                    "require_field_match": false,
                    "fragment_size": 2147483647_i64
                },
                "query": {"query_string": {"query": query, "analyze_wildcard": true}}
            });
            saved.push(json!({
                "_id": name,
                "_type": "search",
                "_source": {
                    "title": format!("Sigma: {title}"),
                    "description": description,
                    "hits": 0,
                    "columns": cols,
                    "sort": ["@timestamp", "desc"],
                    "version": 1,
                    "kibanaSavedObjectMeta": {"searchSourceJSON": python_json_dumps(&search_source, None)}
                }
            }));
        }
    }
    Ok((!saved.is_empty()).then(|| python_json_dumps(&Value::Array(saved), Some(2))))
}

// ---- Splunk dashboard ------------------------------------------------------------------

fn spl_value(raw: &str) -> String {
    let chars: Vec<char> = raw.chars().collect();
    let mut out = String::from("\"");
    for (i, c) in chars.iter().enumerate() {
        let lone_backslash = *c == '\\'
            && !(i > 0 && chars[i - 1] == '\\')
            && !matches!(chars.get(i + 1), Some('*' | '?' | '\\'));
        if *c == '"' || lone_backslash {
            out.push('\\');
        }
        out.push(*c);
    }
    out.push('"');
    out
}

fn spl_node(node: &Cond) -> Out<String> {
    match node {
        Cond::And(items) => Ok(items
            .iter()
            .map(spl_node)
            .collect::<Out<Vec<_>>>()?
            .join(" ")),
        Cond::Or(items) => Ok(items
            .iter()
            .map(spl_node)
            .collect::<Out<Vec<_>>>()?
            .join(" OR ")),
        Cond::Not(inner) => Ok(format!("NOT {}", spl_node(inner)?)),
        Cond::Sub(inner) => Ok(format!("({})", spl_node(inner)?)),
        Cond::Keyword(Val::Str(s) | Val::Int(s)) => Ok(spl_value(s)),
        Cond::Keyword(_) => unsupported(),
        Cond::Field(field, value) => match value {
            Val::Str(s) | Val::Int(s) => Ok(format!("{field}={}", spl_value(s))),
            Val::List(items) => {
                let parts = items
                    .iter()
                    .map(|i| {
                        if matches!(i, Val::Sub(_) | Val::Bytes(_)) {
                            return unsupported();
                        }
                        let text = i.py_str().ok_or("unsupported list value")?;
                        Ok(format!("{field}={}", spl_value(&text)))
                    })
                    .collect::<Out<Vec<_>>>()?;
                Ok(format!("({})", parts.join(" OR ")))
            }
            Val::Other(Node::Null) => Ok(format!("NOT {field}=\"*\"")),
            Val::Regex(_) => Err("Type modifier 're' is not supported by backend".into()),
            _ => unsupported(),
        },
    }
}

fn spl_aggregation(agg: &Aggregation) -> String {
    if agg.func == AggFunc::Near {
        return String::new();
    }
    // The reference's plain Splunk backend runs first on the same parsed rule and turns
    // `count(field)` into a distinct count, which the dashboard then shows.
    let func = if agg.func == AggFunc::Count && agg.field.is_some() {
        "dc"
    } else {
        agg.func_text.as_str()
    };
    let by = agg
        .group
        .as_ref()
        .map(|g| format!(" by {g}"))
        .unwrap_or_default();
    format!(
        " | stats {}({}) as val{by} | search val {} {}",
        func,
        agg.field.as_deref().unwrap_or(""),
        agg.op.as_deref().unwrap_or(""),
        agg.threshold.as_deref().unwrap_or("")
    )
}

const DASH_PRE: &str = "<form><label>MyDashboard</label><fieldset submitButton=\"false\"><input type=\"time\" token=\"field1\"><label></label><default><earliest>-24h@h</earliest><latest>now</latest></default></input></fieldset>";
const PANEL_INF: &str = "</title><table><search><query>";
const PANEL_SUF: &str = "</query><earliest>$field1.earliest$</earliest><latest>$field1.latest$</latest><sampleRatio>1</sampleRatio></search><option name=\"count\">20</option><option name=\"dataOverlayMode\">none</option><option name=\"drilldown\">row</option><option name=\"percentagesRow\">false</option><option name=\"refresh.display\">progressbar</option><option name=\"rowNumbers\">false</option><option name=\"totalsRow\">false</option><option name=\"wrap\">true</option></table></panel></row>";

pub fn splunk_xml(rules: &[Rule]) -> Out<String> {
    let mut out = String::from(DASH_PRE);
    for rule in rules {
        for parsed in &rule.conditions {
            let mut query = spl_node(&parsed.search)?;
            if let Some(agg) = &parsed.aggregation {
                query.push_str(&spl_aggregation(agg));
            }
            let title = match rule.doc.get("title") {
                None | Some(Node::Null) => String::new(),
                Some(Node::Str(t)) => t.clone(),
                Some(_) => return Err("title is not a string".into()),
            };
            out.push_str("<row><panel><title>");
            out.push_str(&title);
            out.push_str(PANEL_INF);
            out.push_str(&query.replace('<', "&lt;").replace('>', "&gt;"));
            out.push_str(PANEL_SUF);
        }
    }
    out.push_str("</form>");
    Ok(out)
}
