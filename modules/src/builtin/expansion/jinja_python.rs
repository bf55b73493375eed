//! What makes minijinja render as Jinja2 on Python does for `jinja_template_rendering`:
//! Python's methods on values (`d.items()`, `s.upper()`, via minijinja-contrib's
//! pycompat), values printed as Python prints them (`True`, `None`, `1e+20`, `['a']`),
//! and the Jinja2 filters minijinja lacks or writes differently.

use minijinja::value::{Kwargs, ValueKind};
use minijinja::{Environment, Error, ErrorKind, Output, State, Value};
use serde_json::Value as Json;

use super::jinja_text_filters::add_text_filters;
use crate::pycompat::{python_float_repr, python_json_dumps, python_repr_str};

pub(super) fn make_pythonic(env: &mut Environment) {
    env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
    env.set_formatter(python_formatter);
    env.add_filter("escape", escape);
    env.add_filter("e", escape);
    env.add_filter("round", round);
    env.add_filter("tojson", tojson);
    env.add_filter("wordcount", wordcount);
    env.add_filter("striptags", |value: &Value| {
        minijinja_contrib::filters::striptags(python_str(value))
    });
    env.add_filter("xmlattr", xmlattr);
    add_text_filters(env);
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
pub(super) fn python_str(value: &Value) -> String {
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
/// `ceil` and `floor` scale by `10**precision`, round, and scale back, as Jinja2 documents.
fn round(
    value: &Value,
    precision: Option<i64>,
    method: Option<String>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let precision = kwargs
        .get::<Option<i64>>("precision")?
        .or(precision)
        .unwrap_or(0);
    let method = kwargs.get::<Option<String>>("method")?.or(method);
    kwargs.assert_all_used()?;
    // Past ±400 digits every case below answers as at ±400 (the number unchanged, zero,
    // or Python's error), so the clamp changes no answer and keeps the arithmetic small.
    let precision = precision.clamp(-400, 400) as i32;
    let integer = value.as_i64().filter(|_| value.is_integer());
    match method.as_deref().unwrap_or("common") {
        "common" => match integer {
            Some(integer) => Ok(Value::from(round_integer(integer, precision))),
            None => Ok(Value::from(round_float(
                f64::try_from(value.clone())?,
                precision,
            ))),
        },
        method @ ("ceil" | "floor") => {
            // An integer scaled up by a power of ten is still whole: Python gives it back
            // as a float.
            if let Some(integer) = integer.filter(|_| precision >= 0) {
                return Ok(Value::from(integer as f64));
            }
            let number = f64::try_from(value.clone())?;
            let whole: fn(f64) -> f64 = if method == "ceil" {
                f64::ceil
            } else {
                f64::floor
            };
            scaled_whole(number, precision, whole).map(Value::from)
        }
        _ => Err(Error::new(
            ErrorKind::InvalidOperation,
            "method must be common, ceil or floor",
        )),
    }
}

/// Python's `round(int, ndigits)`: exact, ties to even; whole for `ndigits >= 0`.
fn round_integer(integer: i64, precision: i32) -> i128 {
    if precision >= 0 {
        return i128::from(integer);
    }
    // 10^20 is over twice any i64, so everything rounds to zero from there on.
    let Some(step) = 10i128
        .checked_pow(precision.unsigned_abs())
        .filter(|_| precision > -20)
    else {
        return 0;
    };
    let value = i128::from(integer);
    let (quotient, remainder) = (value.div_euclid(step), value.rem_euclid(step));
    let rounds_up = match (2 * remainder).cmp(&step) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Equal => quotient % 2 != 0,
        std::cmp::Ordering::Less => false,
    };
    (quotient + i128::from(rounds_up)) * step
}

/// Python's `round(float, ndigits)`: the number unchanged past 323 digits (finer than any
/// double), a zero of its sign below -308 (coarser than any double).
fn round_float(number: f64, precision: i32) -> f64 {
    match precision {
        324.. => number,
        ..-308 => 0.0 * number,
        // Formatting rounds the exact binary value, ties to even, as Python's round().
        0.. => format!("{number:.prec$}", prec = precision.unsigned_abs() as usize)
            .parse()
            .unwrap_or(number),
        _ => {
            let scale = 10f64.powi(precision);
            (number * scale).round_ties_even() / scale
        }
    }
}

/// `whole(number * 10**precision) / 10**precision`, with Python's errors where the power
/// of ten does not fit a double (too large) or is zero (too small).
fn scaled_whole(number: f64, precision: i32, whole: fn(f64) -> f64) -> Result<f64, Error> {
    if precision > 308 {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "int too large to convert to float",
        ));
    }
    let scale = 10f64.powf(f64::from(precision));
    if scale == 0.0 {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "float division by zero",
        ));
    }
    Ok(whole(number * scale) / scale)
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
    fn round_with_extreme_precisions() {
        // round(100000000) panicked in the formatter and round(-2147483648) on negation;
        // each expected text is Python's.
        assert_eq!(
            render(
                "{{ 1.5|round(100000000) }}|{{ 7|round(-2147483648) }}|{{ 1.5|round(400) }}|{{ 1.5|round(-400) }}|{{ -1.5|round(-400) }}|{{ 7|round(-400) }}|{{ 7|round(400) }}|{{ 1234.5678|round(-3) }}|{{ 1.5|round(309) }}|{{ 1.5|round(-309) }}|{{ 5e-324|round(400) }}|{{ 15|round(-1) }}|{{ 25|round(-1) }}|{{ -25|round(-1) }}|{{ 9000000000000000000|round(-19) }}|{{ 5000000000000000000|round(-19) }}|{{ 2.5|round(10000000000) }}",
                json!({})
            ),
            "1.5|0|1.5|0.0|-0.0|0|7|1000.0|1.5|0.0|5e-324|20|20|-20|10000000000000000000|0|2.5"
        );
        assert_eq!(
            render(
                "{{ 1.5|round(20, 'ceil') }}|{{ 1.5|round(-20, 'ceil') }}|{{ 7|round(-1, 'floor') }}|{{ 1.5|round(-300, 'ceil') }}|{{ 1.5|round(-308, 'floor') }}|{{ 7|round(400, 'ceil') }}|{{ 7|round(-1, 'ceil') }}|{{ 1.5|round(-323, 'ceil') }}",
                json!({})
            ),
            "1.5|1e+20|0.0|9.999999999999999e+299|0.0|7.0|10.0|inf"
        );
        let mut env = Environment::new();
        make_pythonic(&mut env);
        // Python: OverflowError and ZeroDivisionError.
        for template in [
            "{{ 1.5|round(309, 'ceil') }}",
            "{{ 1.5|round(-324, 'floor') }}",
        ] {
            assert!(env.render_str(template, json!({})).is_err(), "{template}");
        }
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
