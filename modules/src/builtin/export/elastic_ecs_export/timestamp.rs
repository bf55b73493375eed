//! MISP times (epoch seconds as numbers or text, or ISO 8601 with a zone) as the UTC
//! millisecond timestamps Elasticsearch `date` fields take.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde_json::Value;

/// `None` when the value is no time the exporter can place in years 1 to 9999.
pub(super) fn ecs_time(value: &Value) -> Option<String> {
    let instant = match value {
        Value::Number(n) => from_epoch(n.as_f64()?),
        Value::String(text) if is_decimal(text) => from_epoch(text.parse().ok()?),
        Value::String(text) => from_iso(&text.replace('Z', "+00:00")),
        _ => None,
    }?;
    if !(1..=9999).contains(&instant.year()) {
        return None;
    }
    Some(instant.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

fn is_decimal(text: &str) -> bool {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "1"));
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    all_digits(whole) && all_digits(fraction)
}

/// Seconds since the epoch, rounded to the microsecond half to even first, as Python's
/// `datetime.fromtimestamp` does before the milliseconds are cut.
fn from_epoch(seconds: f64) -> Option<DateTime<Utc>> {
    if !seconds.is_finite() || seconds.abs() > 1e12 {
        return None;
    }
    let whole = seconds.trunc();
    let mut micros = ((seconds - whole) * 1e6).round_ties_even() as i64;
    let mut whole = whole as i64;
    if micros < 0 {
        whole -= 1;
        micros += 1_000_000;
    } else if micros >= 1_000_000 {
        whole += 1;
        micros -= 1_000_000;
    }
    DateTime::from_timestamp(whole, u32::try_from(micros * 1000).ok()?)
}

fn number(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `HH`, `HH:MM`, `HH:MM:SS` or their forms without colons, with an optional fraction
/// (dot or comma, digits past the sixth dropped); for times and zone offsets alike.
fn clock(text: &str) -> Option<(u32, u32, u32, u32)> {
    let (main, fraction) = match text.find(['.', ',']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let parts: Vec<&str> = if main.contains(':') {
        main.split(':').collect()
    } else {
        (0..main.len().div_ceil(2))
            .map(|i| main.get(2 * i..(2 * i + 2).min(main.len())))
            .collect::<Option<_>>()?
    };
    if parts.is_empty() || parts.len() > 3 || parts.iter().any(|p| p.len() != 2) {
        return None;
    }
    let field = |i: usize| parts.get(i).map_or(Some(0), |p| number(p));
    let micros = match fraction {
        None => 0,
        Some(_) if parts.len() < 3 => return None,
        Some(digits) => {
            let kept: String = digits.chars().take(6).collect();
            number(digits)?;
            number(&format!("{kept:0<6}"))?
        }
    };
    Some((field(0)?, field(1)?, field(2)?, micros))
}

fn from_iso(text: &str) -> Option<DateTime<Utc>> {
    let (date, rest) = if text.get(4..5) == Some("-") {
        (text.get(..10)?, &text[10..])
    } else {
        (text.get(..8)?, &text[8..])
    };
    let digits: String = date.chars().filter(|c| *c != '-').collect();
    if digits.len() != 8 || (date.len() == 10 && date.get(7..8) != Some("-")) {
        return None;
    }
    let day = NaiveDate::from_ymd_opt(
        i32::try_from(number(&digits[..4])?).ok()?,
        number(&digits[4..6])?,
        number(&digits[6..])?,
    )?;
    // A date alone has no zone, and times without one are refused.
    let mut chars = rest.chars();
    chars.next()?;
    let time = chars.as_str();
    let zone_at = time.find(['+', '-'])?;
    let (hour, minute, second, micros) = clock(time[..zone_at].trim_end())?;
    let (oh, om, os, ous) = clock(&time[zone_at + 1..])?;
    let offset = Duration::hours(i64::from(oh))
        + Duration::minutes(i64::from(om))
        + Duration::seconds(i64::from(os))
        + Duration::microseconds(i64::from(ous));
    if offset >= Duration::hours(24) || om >= 60 || os >= 60 {
        return None;
    }
    let local = NaiveDateTime::new(
        day,
        NaiveTime::from_hms_micro_opt(hour, minute, second, micros)?,
    );
    let utc = if time.as_bytes()[zone_at] == b'+' {
        local.checked_sub_signed(offset)?
    } else {
        local.checked_add_signed(offset)?
    };
    Some(utc.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(value: Value) -> Option<String> {
        ecs_time(&value)
    }

    #[test]
    fn epoch_seconds_round_to_microseconds_then_cut() {
        assert_eq!(
            at(json!(1740701000)).as_deref(),
            Some("2025-02-28T00:03:20.000Z")
        );
        assert_eq!(
            at(json!("1740701000.9996")).as_deref(),
            Some("2025-02-28T00:03:20.999Z")
        );
        assert_eq!(at(json!(-1.5)).as_deref(), Some("1969-12-31T23:59:58.500Z"));
        assert_eq!(
            at(json!(253402300799.9999f64)).as_deref(),
            Some("9999-12-31T23:59:59.999Z")
        );
        assert_eq!(
            at(json!(-62135596800i64)).as_deref(),
            Some("0001-01-01T00:00:00.000Z")
        );
        assert_eq!(at(json!(253402300800i64)), None);
        assert_eq!(at(json!(-62135596801i64)), None);
        assert_eq!(at(json!("1e5")), None);
        assert_eq!(at(json!(true)), None);
    }

    #[test]
    fn iso_times_need_a_zone() {
        let cases = [
            ("2025-02-27T10:15:30+01:00", "2025-02-27T09:15:30.000Z"),
            ("2025-02-27 10:15+01", "2025-02-27T09:15:00.000Z"),
            ("20250227T101530.1234567+0100", "2025-02-27T09:15:30.123Z"),
            ("2025-02-27T10:15:30,5+00:00", "2025-02-27T10:15:30.500Z"),
            ("2025-02-27T10+00:00", "2025-02-27T10:00:00.000Z"),
            ("2025-02-27X10:15:30+05:30:15", "2025-02-27T04:45:15.000Z"),
            (
                "2025-02-27T10:15:30.999999-05:00",
                "2025-02-27T15:15:30.999Z",
            ),
            ("2025-02-27T1015+00:00", "2025-02-27T10:15:00.000Z"),
            ("2025-02-27T10:15:30 +00:00", "2025-02-27T10:15:30.000Z"),
            ("2025-02-28T12:00:00Z", "2025-02-28T12:00:00.000Z"),
        ];
        for (given, expected) in cases {
            assert_eq!(at(json!(given)).as_deref(), Some(expected), "{given}");
        }
        for refused in [
            "2025-02-27",
            "2025-02-27T10:15:30",
            "0001-01-01T00:30:00+01:00",
            "2025-02-27T24:00:00+00:00",
            " 2025-02-27T10:15:30+00:00",
            "soon",
        ] {
            assert_eq!(at(json!(refused)), None, "{refused}");
        }
    }
}
