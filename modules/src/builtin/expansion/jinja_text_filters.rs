//! The Jinja2 text filters minijinja lacks or writes differently: `truncate`, `center`,
//! `wordwrap`, `urlencode` and `filesizeformat`, written from their documented behaviour
//! (Jinja2 3.1's filter reference and Python's `str`/`urllib.parse` documentation).
//!
//! Sizes given by the template (`center` and `wordwrap` widths, `truncate` lengths) are
//! bounded: the work happens inside one filter call, which neither the fuel nor the output
//! cap sees until it returns.

use minijinja::value::{Kwargs, Rest, ValueKind, from_args};
use minijinja::{Environment, Error, ErrorKind, Value};

use super::jinja_python::python_str;
use super::jinja_template_rendering::{MAX_OUTPUT_BYTES, output_limit_error};

pub(super) fn add_text_filters(env: &mut Environment) {
    env.add_filter("truncate", truncate);
    env.add_filter("center", center);
    env.add_filter("wordwrap", wordwrap);
    env.add_filter("urlencode", urlencode);
    env.add_filter("filesizeformat", filesizeformat);
}

/// `truncate(length=255, killwords=False, end='...', leeway=5)`: text at most `leeway`
/// characters over `length` is kept whole; longer text is cut so that, with `end`
/// appended, it is `length` characters long, and without `killwords` the cut moves back
/// to the last space before it.
fn truncate(value: &Value, args: Rest<Value>) -> Result<String, Error> {
    type Args = (
        Option<usize>,
        Option<bool>,
        Option<String>,
        Option<usize>,
        Kwargs,
    );
    let (length, killwords, end, leeway, kwargs): Args = from_args(&args)?;
    let named = |name: &str| kwargs.get::<Option<usize>>(name);
    let length = named("length")?.or(length).unwrap_or(255);
    let leeway = named("leeway")?.or(leeway).unwrap_or(5);
    let killwords = kwargs
        .get::<Option<bool>>("killwords")?
        .or(killwords)
        .unwrap_or(false);
    let ellipsis = kwargs
        .get::<Option<String>>("end")?
        .or(end)
        .unwrap_or_else(|| "...".to_owned());
    kwargs.assert_all_used()?;
    let text = python_str(value);
    let Some(room) = length.checked_sub(ellipsis.chars().count()) else {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "length must not be shorter than end",
        ));
    };
    // A length near usize::MAX means "never truncate", not an overflow.
    if text.chars().count() <= length.saturating_add(leeway) {
        return Ok(text);
    }
    let head_end = text
        .char_indices()
        .nth(room)
        .map_or(text.len(), |(at, _)| at);
    let head = text.get(..head_end).unwrap_or_default();
    let kept = if killwords {
        head
    } else {
        head.rfind(' ')
            .and_then(|space| head.get(..space))
            .unwrap_or(head)
    };
    Ok(format!("{kept}{ellipsis}"))
}

/// `center(width=80)`, Python's `str.center`: the text padded with spaces on both sides
/// to `width` characters; when the padding is odd, the extra space goes on the left if the
/// width is odd and on the right if it is even.
fn center(value: &Value, width: Option<usize>) -> Result<String, Error> {
    let text = python_str(value);
    let width = width.unwrap_or(80);
    let length = text.chars().count();
    if width <= length {
        return Ok(text);
    }
    // The padding alone would pass the output cap: refuse before allocating it.
    if width > MAX_OUTPUT_BYTES {
        return Err(output_limit_error());
    }
    let padding = width - length;
    let odd_extra = padding % 2 == 1 && width % 2 == 1;
    let left = padding / 2 + usize::from(odd_extra);
    let right = padding - left;
    Ok(format!("{}{text}{}", " ".repeat(left), " ".repeat(right)))
}

/// `wordwrap(width=79, break_long_words=True, wrapstring=None, break_on_hyphens=True)`,
/// positional or by name, on minijinja-contrib's wrapper.
fn wordwrap(value: &Value, args: Rest<Value>) -> Result<Value, Error> {
    type Args = (
        Option<usize>,
        Option<bool>,
        Option<String>,
        Option<bool>,
        Kwargs,
    );
    let (width, break_long_words, wrapstring, break_on_hyphens, kwargs): Args = from_args(&args)?;
    // No line of a text that fits the output cap is longer than the cap, so a wider
    // width wraps the same way.
    let width = width.map(|w| w.min(MAX_OUTPUT_BYTES));
    let mut named: Vec<(&str, Value)> = Vec::new();
    let positional = [
        ("width", width.map(Value::from)),
        ("break_long_words", break_long_words.map(Value::from)),
        ("wrapstring", wrapstring.map(Value::from)),
        ("break_on_hyphens", break_on_hyphens.map(Value::from)),
    ];
    for (name, given) in positional {
        let given = match kwargs.get::<Option<Value>>(name)? {
            Some(by_name) if name == "width" => clamp_width(by_name)?,
            Some(by_name) => Some(by_name),
            None => given,
        };
        match given {
            Some(v) if !v.is_none() => named.push((name, v)),
            _ => {}
        }
    }
    kwargs.assert_all_used()?;
    let text = Value::from(python_str(value));
    minijinja_contrib::filters::wordwrap(&text, named.into_iter().collect())
}

/// A `width=` given by name, bounded as the positional one is.
fn clamp_width(width: Value) -> Result<Option<Value>, Error> {
    if width.is_none() {
        return Ok(None);
    }
    let width = usize::try_from(width)?;
    Ok(Some(Value::from(width.min(MAX_OUTPUT_BYTES))))
}

/// Which characters survive percent-encoding: Python's `quote` keeps ASCII letters,
/// digits and `_.-~` always, and `/` unless told otherwise.
#[derive(Clone, Copy)]
enum UrlPiece {
    /// A whole string: `/` is kept and a space is `%20`.
    Path,
    /// A key or value of a query string: `/` is encoded and a space is `+`.
    QueryField,
}

fn percent_encoded(text: &str, piece: UrlPiece) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        let kept = byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b'-' | b'~');
        match (byte, piece) {
            _ if kept => encoded.push(char::from(byte)),
            (b'/', UrlPiece::Path) => encoded.push('/'),
            (b' ', UrlPiece::QueryField) => encoded.push('+'),
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}

/// `urlencode`: a mapping, or a sequence of `(key, value)` pairs, becomes a query string
/// (`k=v&k2=v2`); anything else is converted to text and percent-encoded whole.
fn urlencode(value: &Value) -> Result<String, Error> {
    let fields: Vec<(Value, Value)> = match value.kind() {
        ValueKind::Map => value
            .try_iter()?
            .map(|key| {
                let field = value.get_item(&key).unwrap_or_default();
                (key, field)
            })
            .collect(),
        ValueKind::Seq | ValueKind::Iterable => value
            .try_iter()?
            .map(|pair| {
                let first = pair.get_item_by_index(0).unwrap_or_default();
                let second = pair.get_item_by_index(1).unwrap_or_default();
                (first, second)
            })
            .collect(),
        _ => return Ok(percent_encoded(&python_str(value), UrlPiece::Path)),
    };
    let query: Vec<String> = fields
        .iter()
        .map(|(key, field)| {
            let key = percent_encoded(&python_str(key), UrlPiece::QueryField);
            let field = percent_encoded(&python_str(field), UrlPiece::QueryField);
            format!("{key}={field}")
        })
        .collect();
    Ok(query.join("&"))
}

/// Unit names from kilo (or kibi) up; the last one takes every larger size too.
const DECIMAL_UNITS: [&str; 8] = ["kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
const BINARY_UNITS: [&str; 8] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];

/// `filesizeformat(binary=False)`: a byte count for people. Under one kilobyte (1000, or
/// 1024 with `binary`) it is a whole number of bytes (`1 Byte`, `100 Bytes`, negative
/// counts included); from there it is scaled to the largest unit not above it, yottabytes
/// at most, with one decimal (`1.5 MB`, `1.0 KiB`).
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
    let (base, units) = if binary.unwrap_or(false) {
        (1024u128, BINARY_UNITS)
    } else {
        (1000u128, DECIMAL_UNITS)
    };
    if bytes == 1.0 {
        return Ok("1 Byte".to_owned());
    }
    if bytes < base as f64 {
        return whole_bytes(bytes).map(|count| format!("{count} Bytes"));
    }
    let largest = units.len();
    if bytes.is_nan() {
        // NaN is not below any size, so it lands in the largest unit.
        return Ok(format!("nan {}", units.get(largest - 1).unwrap_or(&"YB")));
    }
    // floor(log_base(bytes)), counted against exact integer powers so that a float just
    // below a power (1e24 is below 10^24) is not taken for it.
    let mut exponent = 1;
    let mut next_power = base * base;
    while exponent < largest && at_least(bytes, next_power) {
        exponent += 1;
        next_power *= base;
    }
    let unit = units.get(exponent - 1).unwrap_or(&"YB");
    let scaled = bytes / (base as f64).powi(exponent as i32);
    Ok(format!("{scaled:.1} {unit}"))
}

/// Whether `bytes` (not below zero) is at least the integer `count`, compared exactly.
fn at_least(bytes: f64, count: u128) -> bool {
    // The float's integer part is exact in u128 below 2^128; `as` saturates above.
    bytes.floor() as u128 >= count
}

/// A count under one kilobyte as Python's `int()` writes it: truncated towards zero, so
/// `-0.5` is `0`, and every digit of a large negative float written out.
fn whole_bytes(bytes: f64) -> Result<String, Error> {
    if bytes.is_infinite() {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "cannot convert float infinity to integer",
        ));
    }
    let whole = bytes.trunc();
    if whole == 0.0 {
        return Ok("0".to_owned());
    }
    Ok(format!("{whole:.0}"))
}

#[cfg(test)]
mod tests {
    use minijinja::Environment;
    use serde_json::json;

    use super::super::jinja_python::make_pythonic;

    fn render(template: &str) -> Result<String, minijinja::Error> {
        let mut env = Environment::new();
        make_pythonic(&mut env);
        env.render_str(template, json!({}))
    }

    fn rendered(template: &str) -> String {
        render(template).unwrap_or_else(|e| panic!("{template}: {e}"))
    }

    // The expected texts are Jinja2 3.1's on Python 3.11 (the reference's versions).

    #[test]
    fn truncate_with_huge_lengths_keeps_the_text() {
        // length + leeway overflowed: "attempt to add with overflow" (/tmp/rv_j.json).
        assert_eq!(
            rendered(
                "{{ 'ab'|truncate(18446744073709551615) }}|{{ 'hello world'|truncate(18446744073709551615, leeway=18446744073709551615) }}|{{ 'héllo wörld foo'|truncate(9) }}|{{ 'abcdefghij'|truncate(5) }}"
            ),
            "ab|hello world|héllo...|abcdefghij"
        );
        assert!(render("{{ 'abcdefghij'|truncate(2, leeway=0) }}").is_err());
    }

    #[test]
    fn center_and_wordwrap_widths_are_bounded() {
        // center(10^14) asked for 50 TB; anything over the output cap is refused before
        // the padding exists, and a huge wrap width wraps as Python does.
        let refused = render("{{ 'a'|center(100000000000000) }}").unwrap_err();
        assert_eq!(
            refused.detail(),
            Some("the result would exceed the output limit")
        );
        assert_eq!(rendered("{{ 'ab'|center(1048576)|length }}"), "1048576");
        assert_eq!(
            rendered(
                "{{ 'x y'|wordwrap(1000000000000) }}|{{ 'a b c'|wordwrap(width=2) }}|{{ 'a b'|wordwrap(width=18446744073709551615) }}"
            ),
            "x y|a\nb\nc|a b"
        );
    }

    #[test]
    fn filesizeformat_like_jinja() {
        assert_eq!(
            rendered(
                "{{ -0.5|filesizeformat }}|{{ -1|filesizeformat }}|{{ 0.5|filesizeformat }}|{{ 999.9|filesizeformat }}|{{ 1e27|filesizeformat }}|{{ 1e24|filesizeformat }}|{{ 999999|filesizeformat }}|{{ 1023|filesizeformat(true) }}|{{ 1048575|filesizeformat(true) }}|{{ 1048576|filesizeformat(true) }}|{{ 'nan'|filesizeformat }}|{{ 'nan'|filesizeformat(true) }}|{{ 'inf'|filesizeformat }}|{{ -1e30|filesizeformat }}|{{ 1e21|filesizeformat }}|{{ 0|filesizeformat }}"
            ),
            "0 Bytes|-1 Bytes|0 Bytes|999 Bytes|1000.0 YB|1000.0 ZB|1000.0 kB|1023 Bytes|1024.0 KiB|1.0 MiB|nan YB|nan YiB|inf YB|-1000000000000000019884624838656 Bytes|1.0 ZB|0 Bytes"
        );
        // Python: "cannot convert float infinity to integer".
        assert!(render("{{ '-inf'|filesizeformat }}").is_err());
    }

    #[test]
    fn urlencode_pieces() {
        assert_eq!(
            rendered(
                "{{ 'a/b c'|urlencode }}|{{ {'a/b': 'c d/'}|urlencode }}|{{ 'é~_.-'|urlencode }}"
            ),
            "a/b%20c|a%2Fb=c+d%2F|%C3%A9~_.-"
        );
    }
}
