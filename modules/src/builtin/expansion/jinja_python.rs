//! What makes minijinja render as Jinja2 on Python does for `jinja_template_rendering`:
//! Python's methods on values (`d.items()`, `s.upper()`, via minijinja-contrib's
//! pycompat), values printed as Python prints them (`True`, `None`, `1e+20`, `['a']`),
//! and the Jinja2 filters minijinja lacks or writes differently.

use minijinja::value::{Kwargs, Rest, ValueKind, from_args};
use minijinja::{Environment, Error, ErrorKind, Output, State, Value};
use serde_json::Value as Json;

use crate::pycompat::{python_float_repr, python_json_dumps, python_repr_str};

pub(super) fn make_pythonic(env: &mut Environment) {
    env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
    env.set_formatter(python_formatter);
    env.add_filter("escape", escape);
    env.add_filter("e", escape);
    env.add_filter("round", round);
    env.add_filter("tojson", tojson);
    env.add_filter("truncate", truncate);
    env.add_filter("wordcount", wordcount);
    env.add_filter("center", center);
    env.add_filter("urlencode", urlencode);
    env.add_filter("striptags", |value: &Value| {
        minijinja_contrib::filters::striptags(python_str(value))
    });
    env.add_filter("wordwrap", wordwrap);
    env.add_filter("filesizeformat", filesizeformat);
    env.add_filter("xmlattr", xmlattr);
}

/// `{{ value }}` as Jinja2 prints it: `str(value)`.
fn python_formatter(out: &mut Output, state: &State, value: &Value) -> Result<(), Error> {
    if value.is_undefined() || value.kind() == ValueKind::String || value.is_safe() {
        return minijinja::escape_formatter(out, state, value);
    }
    out.write_str(&python_str(value))
        .map_err(|e| Error::new(ErrorKind::WriteFailure, e.to_string()))
}

/// Python's `str()`: strings as they are, everything else as `repr()`.
fn python_str(value: &Value) -> String {
    match value.as_str() {
        Some(text) => text.to_owned(),
        None if value.is_undefined() => String::new(),
        None => python_repr(value),
    }
}

/// Python's `repr()` of the value types templates see.
fn python_repr(value: &Value) -> String {
    match value.kind() {
        ValueKind::Undefined => String::new(),
        ValueKind::None => "None".to_owned(),
        ValueKind::Bool => if value.is_true() { "True" } else { "False" }.to_owned(),
        ValueKind::Number if !value.is_integer() => match f64::try_from(value.clone()) {
            Ok(number) => python_float_repr(number),
            Err(_) => value.to_string(),
        },
        ValueKind::String => python_repr_str(value.as_str().unwrap_or_default()),
        ValueKind::Seq => match value.try_iter() {
            Ok(items) => format!(
                "[{}]",
                items
                    .map(|v| python_repr(&v))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Err(_) => value.to_string(),
        },
        ValueKind::Map => match value.try_iter() {
            Ok(keys) => {
                let pairs: Vec<String> = keys
                    .map(|key| {
                        let item = value.get_item(&key).unwrap_or_default();
                        format!("{}: {}", python_repr(&key), python_repr(&item))
                    })
                    .collect();
                format!("{{{}}}", pairs.join(", "))
            }
            Err(_) => value.to_string(),
        },
        _ => value.to_string(),
    }
}

/// markupsafe's escaping: `&#34;` and `&#39;` for quotes, `/` left alone.
fn escape(value: &Value) -> Value {
    if value.is_safe() {
        return value.clone();
    }
    Value::from_safe_string(markup_escape(&python_str(value)))
}

fn markup_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Jinja2's `round(precision=0, method='common')`: Python's `round()`, which rounds an
/// exact tie to even (`2.5` gives `2.0`); an integer stays an integer with `common`.
fn round(
    value: &Value,
    precision: Option<i32>,
    method: Option<String>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let precision = kwargs
        .get::<Option<i32>>("precision")?
        .or(precision)
        .unwrap_or(0);
    let method = kwargs.get::<Option<String>>("method")?.or(method);
    kwargs.assert_all_used()?;
    let method = method.as_deref().unwrap_or("common");
    if !["common", "ceil", "floor"].contains(&method) {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "method must be common, ceil or floor",
        ));
    }
    if method == "common"
        && value.is_integer()
        && let Some(integer) = value.as_i64()
    {
        if precision >= 0 {
            return Ok(value.clone());
        }
        let scale = 10f64.powi(-precision);
        return Ok(Value::from(
            ((integer as f64 / scale).round_ties_even() * scale) as i64,
        ));
    }
    let number = f64::try_from(value.clone())?;
    let scale = 10f64.powi(precision);
    let rounded = match method {
        "ceil" => (number * scale).ceil() / scale,
        "floor" => (number * scale).floor() / scale,
        // Formatting rounds the exact binary value, ties to even, as Python's round().
        _ if precision >= 0 => format!("{number:.prec$}", prec = precision as usize)
            .parse()
            .unwrap_or(number),
        _ => (number * scale).round_ties_even() / scale,
    };
    Ok(Value::from(rounded))
}

/// Jinja2's `tojson`: `json.dumps` with sorted keys and Python's spacing, then `<`, `>`,
/// `&` and `'` as `\u` escapes so the text is safe inside HTML.
fn tojson(value: &Value, indent: Option<i32>, kwargs: Kwargs) -> Result<Value, Error> {
    let indent = kwargs.get::<Option<i32>>("indent")?.or(indent);
    kwargs.assert_all_used()?;
    let json = serde_json::to_value(value)
        .map_err(|e| Error::new(ErrorKind::BadSerialization, e.to_string()))?;
    let text = python_json_dumps(&sorted_keys(json), indent.map(i128::from))
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\'', "\\u0027");
    Ok(Value::from_safe_string(text))
}

fn sorted_keys(value: Json) -> Json {
    match value {
        Json::Object(map) => {
            let mut entries: Vec<(String, Json)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Json::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, sorted_keys(v)))
                    .collect(),
            )
        }
        Json::Array(items) => Json::Array(items.into_iter().map(sorted_keys).collect()),
        other => other,
    }
}

/// Jinja2's `truncate(length=255, killwords=False, end='...', leeway=5)`.
fn truncate(value: &Value, args: Rest<Value>) -> Result<String, Error> {
    type Args = (
        Option<usize>,
        Option<bool>,
        Option<String>,
        Option<usize>,
        Kwargs,
    );
    let (length, killwords, end, leeway, kwargs): Args = from_args(&args)?;
    let length = kwargs
        .get::<Option<usize>>("length")?
        .or(length)
        .unwrap_or(255);
    let killwords = kwargs
        .get::<Option<bool>>("killwords")?
        .or(killwords)
        .unwrap_or(false);
    let end = kwargs
        .get::<Option<String>>("end")?
        .or(end)
        .unwrap_or_else(|| "...".to_owned());
    let leeway = kwargs
        .get::<Option<usize>>("leeway")?
        .or(leeway)
        .unwrap_or(5);
    kwargs.assert_all_used()?;
    let text = python_str(value);
    let end_length = end.chars().count();
    if length < end_length {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "length must not be shorter than end",
        ));
    }
    if text.chars().count() <= length + leeway {
        return Ok(text);
    }
    let kept: String = text.chars().take(length - end_length).collect();
    let kept = match (killwords, kept.rfind(' ')) {
        (false, Some(space)) => &kept[..space],
        _ => kept.as_str(),
    };
    Ok(format!("{kept}{end}"))
}

/// The number of `\w+` runs, as Jinja2 counts words.
fn wordcount(value: &Value) -> usize {
    let text = python_str(value);
    let mut count = 0;
    let mut in_word = false;
    for c in text.chars() {
        let word = c.is_alphanumeric() || c == '_';
        if word && !in_word {
            count += 1;
        }
        in_word = word;
    }
    count
}

/// Python's `str.center(width)`: an odd margin puts the extra space on the left when the
/// width is odd, on the right otherwise.
fn center(value: &Value, width: Option<usize>) -> String {
    let text = python_str(value);
    let width = width.unwrap_or(80);
    let length = text.chars().count();
    if length >= width {
        return text;
    }
    let margin = width - length;
    let left = margin / 2 + (margin & width & 1);
    format!("{}{text}{}", " ".repeat(left), " ".repeat(margin - left))
}

/// Jinja2's `urlencode`: a string is quoted with `/` kept; a mapping or a sequence of
/// pairs becomes a query string (`+` for spaces).
fn urlencode(value: &Value) -> Result<String, Error> {
    let pairs: Vec<(Value, Value)> = match value.kind() {
        ValueKind::Map => value
            .try_iter()?
            .map(|key| {
                let item = value.get_item(&key).unwrap_or_default();
                (key, item)
            })
            .collect(),
        ValueKind::Seq | ValueKind::Iterable => value
            .try_iter()?
            .map(|pair| {
                (
                    pair.get_item_by_index(0).unwrap_or_default(),
                    pair.get_item_by_index(1).unwrap_or_default(),
                )
            })
            .collect(),
        _ => return Ok(url_quote(&python_str(value), false)),
    };
    Ok(pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                url_quote(&python_str(k), true),
                url_quote(&python_str(v), true)
            )
        })
        .collect::<Vec<_>>()
        .join("&"))
}

/// `urllib.parse.quote`: letters, digits and `_.-~` stay, and `/` outside query strings.
fn url_quote(text: &str, for_query: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                out.push(byte as char)
            }
            b'/' if !for_query => out.push('/'),
            b' ' if for_query => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// Jinja2's `wordwrap(width=79, break_long_words=True, wrapstring=None,
/// break_on_hyphens=True)`, positional or by name, on minijinja-contrib's wrapper.
fn wordwrap(value: &Value, args: Rest<Value>) -> Result<Value, Error> {
    type Args = (
        Option<usize>,
        Option<bool>,
        Option<String>,
        Option<bool>,
        Kwargs,
    );
    let (width, break_long_words, wrapstring, break_on_hyphens, kwargs): Args = from_args(&args)?;
    let mut named: Vec<(&str, Value)> = Vec::new();
    let positional = [
        ("width", width.map(Value::from)),
        ("break_long_words", break_long_words.map(Value::from)),
        ("wrapstring", wrapstring.map(Value::from)),
        ("break_on_hyphens", break_on_hyphens.map(Value::from)),
    ];
    for (name, given) in positional {
        match kwargs.get::<Option<Value>>(name)?.or(given) {
            Some(v) if !v.is_none() => named.push((name, v)),
            _ => {}
        }
    }
    kwargs.assert_all_used()?;
    let text = Value::from(python_str(value));
    minijinja_contrib::filters::wordwrap(&text, named.into_iter().collect())
}

/// Jinja2's `filesizeformat(binary=False)`.
fn filesizeformat(value: &Value, binary: Option<bool>) -> Result<String, Error> {
    let bytes: f64 = match value.as_str() {
        Some(text) => text.trim().parse().map_err(|_| {
            Error::new(
                ErrorKind::InvalidOperation,
                "could not convert string to float",
            )
        })?,
        None => f64::try_from(value.clone())?,
    };
    let binary = binary.unwrap_or(false);
    let base: f64 = if binary { 1024.0 } else { 1000.0 };
    let prefixes = if binary {
        ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"]
    } else {
        ["kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"]
    };
    if bytes == 1.0 {
        return Ok("1 Byte".to_owned());
    }
    if bytes < base {
        return Ok(format!("{} Bytes", bytes.trunc()));
    }
    let mut unit = base;
    for (index, prefix) in prefixes.iter().enumerate() {
        unit = base.powi(index as i32 + 2);
        if bytes < unit || index == prefixes.len() - 1 {
            return Ok(format!("{:.1} {prefix}", base * bytes / unit));
        }
    }
    Ok(format!("{:.1} YB", base * bytes / unit))
}

/// Jinja2's `xmlattr(autospace=True)`: `key="value"` for each item that is not none.
fn xmlattr(value: &Value, autospace: Option<bool>) -> Result<Value, Error> {
    let mut items = Vec::new();
    for key in value.try_iter()? {
        let item = value.get_item(&key)?;
        if item.is_none() || item.is_undefined() {
            continue;
        }
        let name = python_str(&key);
        if name
            .chars()
            .any(|c| c.is_ascii_whitespace() || matches!(c, '/' | '>' | '='))
        {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                "invalid character in attribute name",
            ));
        }
        items.push(format!(
            "{}=\"{}\"",
            markup_escape(&name),
            markup_escape(&python_str(&item))
        ));
    }
    let mut text = items.join(" ");
    if autospace.unwrap_or(true) && !text.is_empty() {
        text.insert(0, ' ');
    }
    Ok(Value::from_safe_string(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(template: &str, data: Json) -> String {
        let mut env = Environment::new();
        make_pythonic(&mut env);
        env.render_str(template, data)
            .unwrap_or_else(|e| panic!("{template}: {e}"))
    }

    // Every expected text below is the reference's (Jinja2 3.1 on Python 3.11).

    #[test]
    fn python_methods_on_values() {
        assert_eq!(
            render(
                "{% for k, v in d.items() %}{{k}}={{v}};{% endfor %}|{{ d.keys()|list }}|{{ d.values()|list }}|{{ d.get('a') }}|{{ d.get('z', 'def') }}|{{ d.get('z') }}",
                json!({"d": {"a": 1, "b": "x"}})
            ),
            "a=1;b=x;|['a', 'b']|[1, 'x']|1|def|None"
        );
        assert_eq!(
            render(
                "{{ s.upper() }}|{{ s.lower() }}|{{ s.replace('l', 'L') }}|{{ s.split() }}|{{ s.split('l') }}|{{ s.strip() }}|{{ s.startswith(' He') }}|{{ s.endswith('d ') }}|{{ '{}-{}'.format(1, 2) }}|{{ s.count('l') }}|{{ s.find('o') }}|{{ ','.join(['a','b']) }}",
                json!({"s": " Hello World "})
            ),
            " HELLO WORLD | hello world | HeLLo WorLd |['Hello', 'World']|[' He', '', 'o Wor', 'd ']|Hello World|True|True|1-2|3|5|a,b"
        );
        assert_eq!(
            render(
                "{{ l.count(2) }}|{{ l|length }}",
                json!({"l": [1, 2, 2, 3]})
            ),
            "2|4"
        );
    }

    #[test]
    fn numbers_print_as_python_prints_them() {
        assert_eq!(
            render(
                "{{ 1e20 }} {{ 1e-7 }} {{ 1e16 }} {{ 1.5e15 }} {{ 0.0001 }} {{ x }} {{ [1.0, 1e20] }} {{ 2.0 }} {{ 10/4 }} {{ 1/3 }}",
                json!({"x": 1e22})
            ),
            "1e+20 1e-07 1e+16 1500000000000000.0 0.0001 1e+22 [1.0, 1e+20] 2.0 2.5 0.3333333333333333"
        );
        assert_eq!(
            render(
                "{{ 2.5|round }} {{ 3.5|round }} {{ 2.675|round(2) }} {{ 0.125|round(2) }} {{ 2.5|round(0,'ceil') }} {{ 2.5|round(method='floor') }} {{ 7|round }} {{ -2.5|round }} {{ 1234.5|round(-2) }}",
                json!({})
            ),
            "2.0 4.0 2.67 0.12 3.0 2.0 7 -2.0 1200.0"
        );
    }

    #[test]
    fn escaping_and_json() {
        assert_eq!(
            render("{{ s|e }}|{{ s }}", json!({"s": "<a href=\"x\">'&/</a>"})),
            "&lt;a href=&#34;x&#34;&gt;&#39;&amp;/&lt;/a&gt;|<a href=\"x\">'&/</a>"
        );
        assert_eq!(
            render(
                "{{ d|tojson }}",
                json!({"d": {"b": "<x>", "a": [1, 2.5, null, true], "c": "é&'"}})
            ),
            r#"{"a": [1, 2.5, null, true], "b": "\u003cx\u003e", "c": "\u00e9\u0026\u0027"}"#
        );
        assert_eq!(
            render(
                "{{ d|tojson(2) }}|{{ d|tojson(indent=2) }}",
                json!({"d": {"b": 1, "a": [1]}})
            ),
            "{\n  \"a\": [\n    1\n  ],\n  \"b\": 1\n}|{\n  \"a\": [\n    1\n  ],\n  \"b\": 1\n}"
        );
    }

    #[test]
    fn text_filters() {
        assert_eq!(
            render(
                "{{ 'hello world foo'|truncate(9) }}|{{ 'hello world foo bar baz'|truncate(9, True) }}|{{ 'hello world foo bar baz'|truncate(9, True, '..') }}|{{ 'hello world foo bar baz'|truncate(length=9, end='!', leeway=0) }}|{{ 'abc'|truncate }}",
                json!({})
            ),
            "hello...|hello ...|hello w..|hello!|abc"
        );
        assert_eq!(
            render(
                "{{ 'hello, world_x 12 é'|wordcount }} {{ ''|wordcount }} {{ 5|wordcount }}",
                json!({})
            ),
            "4 0 1"
        );
        assert_eq!(
            render(
                "[{{ 'abc'|center(9) }}][{{ 'ab'|center(9) }}][{{ 'abc'|center(8) }}][{{ 'abcdef'|center(2) }}]",
                json!({})
            ),
            "[   abc   ][    ab   ][  abc   ][abcdef]"
        );
        assert_eq!(
            render(
                "{{ 'a b&c/d?é'|urlencode }}|{{ {'a b': 'c&d', 'x': 1}|urlencode }}|{{ [('k','v w'),('z', 2)]|urlencode }}|{{ 5|urlencode }}",
                json!({})
            ),
            "a%20b%26c/d%3F%C3%A9|a+b=c%26d&x=1|k=v+w&z=2|5"
        );
        assert_eq!(
            render(
                "{{ '<p>Hello  <b>World</b>\n &amp; &lt;x&gt; &eacute; <!-- c --> end</p>'|striptags }}",
                json!({})
            ),
            "Hello World & <x> é end"
        );
        assert_eq!(
            render(
                "{{ 'The quick brown fox jumps over the lazy dog'|wordwrap(10) }}|{{ 'a b\nc d'|wordwrap(3, wrapstring='<br>') }}",
                json!({})
            ),
            "The quick\nbrown fox\njumps over\nthe lazy\ndog|a b<br>c d"
        );
        assert_eq!(
            render(
                "{{ 100|filesizeformat }}|{{ 1|filesizeformat }}|{{ 1000|filesizeformat }}|{{ 1500000|filesizeformat }}|{{ 1024|filesizeformat(true) }}|{{ 100.7|filesizeformat }}|{{ -5000|filesizeformat }}|{{ 1e30|filesizeformat }}|{{ '2048'|filesizeformat }}",
                json!({})
            ),
            "100 Bytes|1 Byte|1.0 kB|1.5 MB|1.0 KiB|100 Bytes|-5000 Bytes|1000000.0 YB|2.0 kB"
        );
        assert_eq!(
            render(
                "<a{{ {'href': 'x\"y', 'class': 'c', 'n': none, 'z': 0}|xmlattr }}>|<a{{ {'k': '<&>'}|xmlattr(false) }}>",
                json!({})
            ),
            "<a href=\"x&#34;y\" class=\"c\" z=\"0\">|<ak=\"&lt;&amp;&gt;\">"
        );
    }
}
