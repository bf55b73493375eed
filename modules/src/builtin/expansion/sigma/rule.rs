//! A Sigma rule as the legacy sigmatools converter reads it: detection definitions, the
//! condition expression (with its quirky prefix tokenizer), aggregations, the tree
//! optimizer, and multi-document collections (`action: global/reset/repeat`).

use regex::Regex;

use super::modifiers::{Val, apply_modifiers};
use super::yaml::Node;

#[derive(Debug, Clone)]
pub enum Cond {
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Box<Cond>),
    Sub(Box<Cond>),
    /// A bare value searched in any field (string or integer).
    Keyword(Val),
    Field(String, Val),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AggFunc {
    Count,
    Min,
    Max,
    Avg,
    Sum,
    Near,
}

#[derive(Debug, Clone)]
pub struct Aggregation {
    pub func: AggFunc,
    /// The function name as written.
    pub func_text: String,
    pub field: Option<String>,
    pub group: Option<String>,
    pub op: Option<String>,
    pub threshold: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ParsedCondition {
    pub search: Cond,
    pub aggregation: Option<Aggregation>,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub doc: Node,
    pub conditions: Vec<ParsedCondition>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Tk {
    One,
    All,
    Agg,
    Near,
    By,
    Eq,
    Lte,
    Lt,
    Gte,
    Gt,
    Pipe,
    And,
    Or,
    Not,
    Id,
    LPar,
    RPar,
}

impl Tk {
    fn name(self) -> &'static str {
        match self {
            Tk::One => "ONE",
            Tk::All => "ALL",
            Tk::Agg => "AGG",
            Tk::Near => "NEAR",
            Tk::By => "BY",
            Tk::Eq => "EQ",
            Tk::Lte => "LTE",
            Tk::Lt => "LT",
            Tk::Gte => "GTE",
            Tk::Gt => "GT",
            Tk::Pipe => "PIPE",
            Tk::And => "AND",
            Tk::Or => "OR",
            Tk::Not => "NOT",
            Tk::Id => "ID",
            Tk::LPar => "LPAR",
            Tk::RPar => "RPAR",
        }
    }
}

#[derive(Debug, Clone)]
struct Token {
    kind: Tk,
    text: String,
    pos: usize,
}

impl Token {
    fn describe(&self) -> String {
        format!("[ Token: {}: '{}' ]", self.kind.name(), self.text)
    }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Length in bytes of `word` at the start of `text`, ignoring ASCII case.
fn prefix_ci(text: &str, word: &str) -> Option<usize> {
    let head = text.get(..word.len())?;
    head.eq_ignore_ascii_case(word).then_some(word.len())
}

/// The reference tries each token pattern at the start of the remaining text, in a fixed
/// order and without word boundaries: `order` reads as `or` + `der`, `summary` as `sum`
/// + `mary`. Rules written for it are converted the same way here.
fn tokenize(condition: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut rest = condition;
    let mut pos = 1;
    while !rest.is_empty() {
        let mut found: Option<(Option<Tk>, usize)> = None;
        let keyword_patterns: [(Tk, &[&str]); 2] = [(Tk::One, &["1 of"]), (Tk::All, &["all of"])];
        for (kind, words) in keyword_patterns {
            if let Some(n) = words.iter().find_map(|w| prefix_ci(rest, w)) {
                found = Some((Some(kind), n));
                break;
            }
        }
        if found.is_none() {
            let spaces: usize = rest
                .chars()
                .take_while(|c| is_py_space(*c))
                .map(char::len_utf8)
                .sum();
            if spaces > 0 {
                found = Some((None, spaces));
            }
        }
        if found.is_none() {
            let ordered: [(Tk, &[&str]); 13] = [
                (Tk::Agg, &["count", "min", "max", "avg", "sum"]),
                (Tk::Near, &["near"]),
                (Tk::By, &["by"]),
                (Tk::Eq, &["=="]),
                (Tk::Lte, &["<="]),
                (Tk::Lt, &["<"]),
                (Tk::Gte, &[">="]),
                (Tk::Gt, &[">"]),
                (Tk::Pipe, &["|"]),
                (Tk::And, &["and"]),
                (Tk::Or, &["or"]),
                (Tk::Not, &["not"]),
                (Tk::LPar, &[]),
            ];
            for (kind, words) in ordered {
                if let Some(n) = words.iter().find_map(|w| prefix_ci(rest, w)) {
                    found = Some((Some(kind), n));
                    break;
                }
            }
        }
        if found.is_none() {
            let id: usize = rest
                .chars()
                .take_while(|&c| is_word(c) || ('*'..='.').contains(&c))
                .map(char::len_utf8)
                .sum();
            if id > 0 {
                found = Some((Some(Tk::Id), id));
            } else if rest.starts_with('(') {
                found = Some((Some(Tk::LPar), 1));
            } else if rest.starts_with(')') {
                found = Some((Some(Tk::RPar), 1));
            }
        }
        let Some((kind, len)) = found else {
            return Err(format!("Unexpected token in condition at position {rest}"));
        };
        if let Some(kind) = kind {
            tokens.push(Token {
                kind,
                text: rest[..len].to_owned(),
                pos,
            });
        }
        pos += rest[..len].chars().count();
        rest = &rest[len..];
    }
    Ok(tokens)
}

enum Elem {
    Tok(Token),
    Node(Cond),
}

struct RuleParser<'a> {
    definitions: Vec<(String, &'a Node)>,
}

impl RuleParser<'_> {
    fn definition(&self, name: &str, all: Option<bool>) -> Result<Cond, String> {
        let def = self
            .definitions
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, d)| *d)
            .ok_or_else(|| format!("Unknown definition '{name}'"))?;
        parse_definition(def, all)
    }

    fn x_of(&self, target: &str, all: bool) -> Result<Cond, String> {
        let wrap = |items: Vec<Cond>| {
            if all {
                Cond::And(items)
            } else {
                Cond::Or(items)
            }
        };
        if target == "them" {
            let mut items = Vec::new();
            for (name, def) in &self.definitions {
                if name != "timeframe" {
                    items.push(Cond::Sub(Box::new(parse_definition(def, None)?)));
                }
            }
            Ok(Cond::Sub(Box::new(wrap(items))))
        } else if target.find('*').is_some_and(|i| i > 0) {
            let pattern = Regex::new(&format!("^{}$", target.replace('*', ".*")))
                .map_err(|e| e.to_string())?;
            let mut items = Vec::new();
            for (name, def) in &self.definitions {
                if name != "timeframe" && pattern.is_match(name) {
                    items.push(Cond::Sub(Box::new(parse_definition(def, None)?)));
                }
            }
            Ok(Cond::Sub(Box::new(wrap(items))))
        } else {
            Ok(Cond::Sub(Box::new(self.definition(target, Some(all))?)))
        }
    }

    fn parse_search(&self, mut elems: Vec<Elem>) -> Result<Cond, String> {
        while let Some(lpos) = elems
            .iter()
            .position(|e| matches!(e, Elem::Tok(t) if t.kind == Tk::LPar))
        {
            let mut depth = 0;
            let mut rpos = None;
            for (i, e) in elems.iter().enumerate().skip(lpos + 1) {
                match e {
                    Elem::Tok(t) if t.kind == Tk::LPar => depth += 1,
                    Elem::Tok(t) if t.kind == Tk::RPar => {
                        if depth == 0 {
                            rpos = Some(i);
                            break;
                        }
                        depth -= 1;
                    }
                    _ => {}
                }
            }
            let rpos = rpos.ok_or("Missing matching closing parentheses")?;
            if lpos + 1 == rpos {
                let at = match &elems[lpos] {
                    Elem::Tok(t) => t.pos,
                    Elem::Node(_) => 0,
                };
                return Err(format!("Empty subexpression at {at}"));
            }
            let tail = elems.split_off(rpos + 1);
            let inner: Vec<Elem> = elems.drain(lpos + 1..rpos).collect();
            elems.truncate(lpos);
            let sub = self.parse_search(inner)?;
            elems.push(Elem::Node(Cond::Sub(Box::new(sub))));
            elems.extend(tail);
        }
        for op in [Tk::All, Tk::One, Tk::Id, Tk::Not, Tk::And, Tk::Or] {
            while let Some(pos) = elems
                .iter()
                .position(|e| matches!(e, Elem::Tok(t) if t.kind == op))
            {
                match op {
                    Tk::Id => {
                        let Elem::Tok(t) = &elems[pos] else {
                            unreachable!()
                        };
                        let node = Cond::Sub(Box::new(self.definition(&t.text, None)?));
                        elems[pos] = Elem::Node(node);
                    }
                    Tk::All | Tk::One => {
                        let target = match elems.get(pos + 1) {
                            Some(Elem::Tok(t)) => t.text.clone(),
                            Some(Elem::Node(_)) => {
                                return Err(
                                    "'NodeSubexpression' object has no attribute 'matched'".into(),
                                );
                            }
                            None => return Err("list index out of range".into()),
                        };
                        let node = self.x_of(&target, op == Tk::All)?;
                        elems.remove(pos + 1);
                        elems[pos] = Elem::Node(node);
                    }
                    Tk::Not => {
                        if pos + 1 >= elems.len() {
                            return Err("list index out of range".into());
                        }
                        let Elem::Node(inner) = elems.remove(pos + 1) else {
                            return Err("Unexpected token after 'not' in condition".into());
                        };
                        elems[pos] = Elem::Node(Cond::Not(Box::new(inner)));
                    }
                    _ => {
                        if pos == 0 || pos + 1 >= elems.len() {
                            return Err("Missing operand of 'and'/'or' in condition".into());
                        }
                        let right = elems.remove(pos + 1);
                        let left = elems.remove(pos - 1);
                        let (Elem::Node(left), Elem::Node(right)) = (left, right) else {
                            return Err("Unexpected token next to 'and'/'or' in condition".into());
                        };
                        let node = if op == Tk::And {
                            Cond::And(vec![left, right])
                        } else {
                            Cond::Or(vec![left, right])
                        };
                        elems[pos - 1] = Elem::Node(node);
                    }
                }
            }
        }
        if elems.len() != 1 {
            return Err("Parse tree must have exactly one start node!".into());
        }
        // Every bracket level is optimized on its own, as in the reference.
        match elems.pop() {
            Some(Elem::Node(node)) => optimize(node),
            _ => Err("Parse tree must have exactly one start node!".into()),
        }
    }
}

fn cond_list(all: bool, items: Vec<Cond>) -> Cond {
    if all {
        Cond::And(items)
    } else {
        Cond::Or(items)
    }
}

pub fn parse_definition(def: &Node, all: Option<bool>) -> Result<Cond, String> {
    match def {
        Node::Seq(values) => {
            let mut items = Vec::new();
            for value in values {
                items.push(match value {
                    Node::Str(s) => Cond::Keyword(Val::Str(s.clone())),
                    Node::Int(i) => Cond::Keyword(Val::Int(i.clone())),
                    Node::Map(_) | Node::Seq(_) => parse_definition(value, None)?,
                    _ => return Err("Definition list may only contain plain values or maps".into()),
                });
            }
            Ok(cond_list(all.unwrap_or(false), items))
        }
        Node::Map(entries) => {
            let mut items = Vec::new();
            for (key, value) in entries {
                let key = key.py_str();
                let (field, value) = if key.contains('|') {
                    let mut parts = key.split('|');
                    let field = parts.next().unwrap_or_default().to_owned();
                    let names: Vec<&str> = parts.collect();
                    if names.contains(&"cidr") {
                        return Err("Cannot convert the rule. Unsupported new cidr modifier by SIGMAC. Please use the new PySigma/SigmaCLI to be able to convert the rule".into());
                    }
                    (field, apply_modifiers(Val::from_node(value), &names)?)
                } else {
                    (key, Val::from_node(value))
                };
                items.push(match value {
                    Val::And(values) => Cond::And(
                        values
                            .into_iter()
                            .map(|v| Cond::Field(field.clone(), v))
                            .collect(),
                    ),
                    Val::Sub(inner) => match *inner {
                        Val::Or(values) => Cond::Or(
                            values
                                .into_iter()
                                .map(|v| Cond::Field(field.clone(), v))
                                .collect(),
                        ),
                        other => Cond::Field(field, other),
                    },
                    other => Cond::Field(field, other),
                });
            }
            Ok(Cond::And(items))
        }
        other => Err(format!(
            "Expected map or list, got type <class '{}'>: '{}'",
            other.py_type(),
            other.py_str()
        )),
    }
}

// ---- optimizer -------------------------------------------------------------------------

fn strip(node: Cond) -> Cond {
    match node {
        Cond::Sub(inner) => strip(*inner),
        Cond::And(items) => Cond::And(items.into_iter().map(strip).collect()),
        Cond::Or(items) => Cond::Or(items.into_iter().map(strip).collect()),
        other => other,
    }
}

fn unstrip(node: Cond) -> Cond {
    match node {
        Cond::And(items) => Cond::Sub(Box::new(Cond::And(
            items.into_iter().map(unstrip).collect(),
        ))),
        Cond::Or(items) => Cond::Sub(Box::new(Cond::Or(items.into_iter().map(unstrip).collect()))),
        other => other,
    }
}

/// Value equality as Python's set sees it: regular expressions and subexpressions are
/// distinct objects and never equal.
fn val_eq(a: &Val, b: &Val) -> bool {
    match (a, b) {
        (Val::Str(x), Val::Str(y)) | (Val::Int(x), Val::Int(y)) => x == y,
        (Val::Other(x), Val::Other(y)) => x == y,
        (Val::List(x), Val::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| val_eq(p, q))
        }
        _ => false,
    }
}

fn same_leaf(a: &Cond, b: &Cond) -> bool {
    match (a, b) {
        (Cond::Field(f, v), Cond::Field(g, w)) => f == g && val_eq(v, w),
        (Cond::Keyword(v), Cond::Keyword(w)) => val_eq(v, w),
        _ => false,
    }
}

fn optimize_once(node: Cond, changed: &mut bool) -> Option<Cond> {
    let (is_and, items) = match node {
        Cond::And(items) => (true, items),
        Cond::Or(items) => (false, items),
        Cond::Not(inner) => {
            return match *inner {
                Cond::Not(twice) => {
                    *changed = true;
                    optimize_once(*twice, changed)
                }
                other => Some(Cond::Not(Box::new(other))),
            };
        }
        other => return Some(other),
    };
    if items.is_empty() {
        *changed = true;
        return None;
    }
    if items.len() == 1 {
        *changed = true;
        return items
            .into_iter()
            .next()
            .and_then(|only| optimize_once(only, changed));
    }
    let mut unique: Vec<Cond> = Vec::with_capacity(items.len());
    let before = items.len();
    for item in items {
        if !unique.iter().any(|seen| same_leaf(seen, &item)) {
            unique.push(item);
        }
    }
    if unique.len() < before {
        *changed = true;
        return optimize_once(cond_list(is_and, unique), changed);
    }
    let same_kind = |c: &Cond| matches!((is_and, c), (true, Cond::And(_)) | (false, Cond::Or(_)));
    if unique.iter().any(same_kind)
        && unique
            .iter()
            .all(|c| same_kind(c) || matches!(c, Cond::Field(..)))
    {
        let mut flat = Vec::new();
        for child in unique {
            match child {
                Cond::And(inner) | Cond::Or(inner) => flat.extend(inner),
                other => flat.push(other),
            }
        }
        *changed = true;
        return optimize_once(cond_list(is_and, flat), changed);
    }
    let items = unique
        .into_iter()
        .filter_map(|c| optimize_once(c, changed))
        .collect();
    Some(cond_list(is_and, items))
}

fn optimize(tree: Cond) -> Result<Cond, String> {
    let mut tree = Some(strip(tree));
    loop {
        let mut changed = false;
        tree = tree.and_then(|t| optimize_once(t, &mut changed));
        if !changed {
            break;
        }
    }
    tree.map(unstrip)
        .ok_or_else(|| "The condition matches nothing".to_owned())
}

// ---- aggregations ----------------------------------------------------------------------

fn parse_aggregation(tokens: &[Token]) -> Result<Aggregation, String> {
    let mut agg = Aggregation {
        func: AggFunc::Count,
        func_text: String::new(),
        field: None,
        group: None,
        op: None,
        threshold: None,
    };
    let mut state: i32 = 0;
    for token in tokens {
        if state < 0 {
            return Err(format!(
                "No further token expected, but read {}",
                token.describe()
            ));
        }
        let k = token.kind;
        let next = match (state, k) {
            (0, Tk::Agg) | (0, Tk::Near) => {
                agg.func = match token.text.as_str() {
                    "count" => AggFunc::Count,
                    "min" => AggFunc::Min,
                    "max" => AggFunc::Max,
                    "avg" => AggFunc::Avg,
                    "sum" => AggFunc::Sum,
                    "near" => AggFunc::Near,
                    other => return Err(format!("Unknown aggregation function '{other}'")),
                };
                agg.func_text = token.text.clone();
                if k == Tk::Agg { 1 } else { 8 }
            }
            (1, Tk::LPar) => 2,
            (2, Tk::RPar) | (3, Tk::RPar) => 4,
            (2, Tk::Id) => {
                agg.field = Some(token.text.clone());
                3
            }
            (4, Tk::By) => 5,
            (4 | 6, Tk::Eq | Tk::Lt | Tk::Lte | Tk::Gt | Tk::Gte) => {
                agg.op = Some(token.text.clone());
                7
            }
            (5, Tk::Id) => {
                agg.group = Some(token.text.clone());
                6
            }
            (7, Tk::Id) => {
                agg.threshold = Some(token.text.clone());
                -1
            }
            (8, Tk::Id) | (10, Tk::Id) => 9,
            (9, Tk::And) => 10,
            (10, Tk::Not) => 8,
            _ => {
                return Err(format!(
                    "Unexpected token {} at {} in aggregation expression",
                    token.describe(),
                    token.pos
                ));
            }
        };
        state = next;
    }
    if state != -1 && state != 9 {
        return Err(format!(
            "Unexpected end of aggregation expression, state={state}"
        ));
    }
    Ok(agg)
}

// ---- rules -----------------------------------------------------------------------------

/// Keys of the detection maps and the `str()` of every value seen for them, in first-seen
/// order (the reference keeps a set per key).
pub type DetectionValues = Vec<(Node, Vec<String>)>;

fn extract_values(def: &Node, values: &mut DetectionValues) {
    match def {
        Node::Seq(items) => items.iter().for_each(|i| extract_values(i, values)),
        Node::Map(entries) => {
            for (key, value) in entries {
                let text = value.py_str();
                match values.iter_mut().find(|(k, _)| k == key) {
                    Some((_, seen)) => {
                        if !seen.contains(&text) {
                            seen.push(text);
                        }
                    }
                    None => values.push((key.clone(), vec![text])),
                }
            }
        }
        _ => {}
    }
}

/// Parses one rule document, with the reference's error texts for the usual mistakes.
pub fn parse_rule(doc: Node) -> Result<(Rule, DetectionValues), String> {
    let detection = match &doc {
        Node::Map(_) => doc
            .get("detection")
            .ok_or("No detection definitions found")?,
        Node::Str(_) => return Err("string indices must be integers, not 'str'".into()),
        Node::Seq(_) => return Err("list indices must be integers or slices, not str".into()),
        other => return Err(format!("'{}' object is not subscriptable", other.py_type())),
    };
    let Node::Map(entries) = detection else {
        return Err(format!(
            "'{}' object has no attribute 'items'",
            detection.py_type()
        ));
    };
    let mut values = DetectionValues::new();
    let mut definitions = Vec::new();
    for (name, def) in entries {
        if matches!(name, Node::Str(s) if s == "condition") {
            continue;
        }
        definitions.push((name.py_str(), def));
        extract_values(def, &mut values);
    }
    let condition = detection.get("condition").ok_or("No condition found")?;
    let texts: Vec<&str> = match condition {
        Node::Str(s) => vec![s.as_str()],
        Node::Seq(items) => items
            .iter()
            .map(|i| match i {
                Node::Str(s) => Ok(s.as_str()),
                other => Err(format!(
                    "SigmaConditionTokenizer constructor expects string or list, got <class '{}'>",
                    other.py_type()
                )),
            })
            .collect::<Result<_, _>>()?,
        _ => Vec::new(),
    };
    let token_lists: Vec<Vec<Token>> = texts.into_iter().map(tokenize).collect::<Result<_, _>>()?;
    if let Some(logsource) = doc.get("logsource")
        && !matches!(logsource, Node::Map(_))
    {
        return Err(match logsource {
            Node::Str(_) => "string indices must be integers, not 'str'".to_owned(),
            Node::Seq(_) => "list indices must be integers or slices, not str".to_owned(),
            other => format!("'{}' object is not subscriptable", other.py_type()),
        });
    }
    let parser = RuleParser { definitions };
    let mut conditions = Vec::new();
    for mut tokens in token_lists {
        let agg_tokens = match tokens.iter().position(|t| t.kind == Tk::Pipe) {
            Some(pipe) => {
                let rest = tokens.split_off(pipe + 1);
                tokens.pop();
                Some(rest)
            }
            None => None,
        };
        let search_tokens = tokens;
        let search = parser.parse_search(search_tokens.into_iter().map(Elem::Tok).collect())?;
        let aggregation = agg_tokens.map(|a| parse_aggregation(&a)).transpose()?;
        conditions.push(ParsedCondition {
            search,
            aggregation,
        });
    }
    Ok((Rule { doc, conditions }, values))
}

fn deep_update(dest: &mut Vec<(Node, Node)>, src: &[(Node, Node)]) {
    for (key, value) in src {
        match dest.iter_mut().find(|(k, _)| k == key) {
            Some((_, Node::Map(inner))) if matches!(value, Node::Map(_)) => {
                if let Node::Map(src_inner) = value {
                    deep_update(inner, src_inner);
                }
            }
            Some(slot) => slot.1 = value.clone(),
            None => dest.push((key.clone(), value.clone())),
        }
    }
}

/// All rules of a YAML stream, applying `action: global` / `reset` / `repeat` documents.
pub fn parse_collection(text: &str) -> Result<Vec<Rule>, String> {
    let docs = super::yaml::load_all(text)?;
    let mut global: Vec<(Node, Node)> = Vec::new();
    let mut previous: Option<Vec<(Node, Node)>> = None;
    let mut rules = Vec::new();
    for doc in docs {
        let Node::Map(mut entries) = doc else {
            return Err(format!("'{}' object is not subscriptable", doc.py_type()));
        };
        let action = entries
            .iter()
            .position(|(k, _)| matches!(k, Node::Str(s) if s == "action"))
            .map(|i| entries.remove(i).1);
        match action.as_ref().and_then(Node::as_str) {
            Some("global") => deep_update(&mut global, &entries),
            Some("reset") => global.clear(),
            Some("repeat") => {
                let mut rule = previous
                    .clone()
                    .ok_or("action 'repeat' is only applicable after first valid Sigma rule")?;
                deep_update(&mut rule, &entries);
                rules.push(parse_rule(Node::Map(rule.clone()))?.0);
                previous = Some(rule);
            }
            _ => {
                deep_update(&mut entries, &global);
                rules.push(parse_rule(Node::Map(entries.clone()))?.0);
                previous = Some(entries);
            }
        }
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizer_reads_prefixes_like_the_reference() {
        let kinds: Vec<Tk> = tokenize("selection and not order | count() by host > 5")
            .unwrap()
            .iter()
            .map(|t| t.kind)
            .collect();
        assert_eq!(
            kinds,
            [
                Tk::Id,
                Tk::And,
                Tk::Not,
                Tk::Or,
                Tk::Id,
                Tk::Pipe,
                Tk::Agg,
                Tk::LPar,
                Tk::RPar,
                Tk::By,
                Tk::Id,
                Tk::Gt,
                Tk::Id
            ]
        );
        assert_eq!(
            tokenize("sel & x").unwrap_err(),
            "Unexpected token in condition at position & x"
        );
    }

    #[test]
    fn aggregation_states() {
        let tokens = tokenize("count(user) by host >= 3").unwrap();
        let agg = parse_aggregation(&tokens).unwrap();
        assert_eq!(agg.func, AggFunc::Count);
        assert_eq!(agg.field.as_deref(), Some("user"));
        assert_eq!(agg.group.as_deref(), Some("host"));
        assert_eq!(agg.op.as_deref(), Some(">="));
        assert_eq!(agg.threshold.as_deref(), Some("3"));
        let err = parse_aggregation(&tokenize("count() by host").unwrap()).unwrap_err();
        assert_eq!(err, "Unexpected end of aggregation expression, state=6");
    }
}
