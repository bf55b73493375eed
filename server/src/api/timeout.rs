//! The `timeout` field of `/query`, read as the reference reads it (Python's `int()`).

use std::time::Duration;

use modules::pycompat::python_int;
use serde_json::Value;

/// Seconds the reference allows a query when it names no timeout.
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 300;

/// The deadline of a query, or a message saying why its `timeout` is unusable.
/// Negative values mean "already expired", as they do in the reference; values above
/// `max_seconds` are lowered to it.
pub fn parse_timeout(value: Option<&Value>, max_seconds: u64) -> Result<Duration, String> {
    let seconds = match value {
        None => i128::from(DEFAULT_TIMEOUT_SECONDS),
        Some(given) => python_int(given).ok_or_else(|| invalid(value))?,
    };
    let bounded = seconds.clamp(0, i128::from(max_seconds));
    Ok(Duration::from_secs(
        u64::try_from(bounded).unwrap_or(max_seconds),
    ))
}

fn invalid(value: Option<&Value>) -> String {
    let shown = value.map(Value::to_string).unwrap_or_default();
    let shown: String = shown.chars().take(40).collect();
    format!("\"timeout\" must be a whole number of seconds, got {shown}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn secs(value: Value) -> Result<u64, String> {
        parse_timeout(Some(&value), 3600).map(|d| d.as_secs())
    }

    #[test]
    fn follows_python_int() {
        assert_eq!(parse_timeout(None, 3600).unwrap().as_secs(), 300);
        assert_eq!(secs(json!(5)), Ok(5));
        assert_eq!(secs(json!("2")), Ok(2));
        assert_eq!(secs(json!(" +1_0 ")), Ok(10));
        assert_eq!(secs(json!(1.9)), Ok(1));
        assert_eq!(secs(json!(true)), Ok(1));
        assert_eq!(secs(json!(0)), Ok(0));
    }

    #[test]
    fn refuses_what_int_refuses() {
        for bad in [
            json!(null),
            json!("abc"),
            json!("1.5"),
            json!(""),
            json!("1__0"),
            json!([1]),
            json!({}),
        ] {
            assert!(secs(bad.clone()).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn bounds_the_value() {
        assert_eq!(secs(json!(-5)), Ok(0));
        assert_eq!(secs(json!(1e12)), Ok(3600));
        assert_eq!(secs(json!("99999999999999999999999999999999999")), Ok(3600));
    }
}
