//! Date headers read the way Python's `email.utils.parsedate_to_datetime` reads them, since
//! the reference's `send-date` attribute and its normalised `Date:` line come from there.
//! It is lenient in its own particular ways (no seconds, no zone, full month names, a
//! two-digit year, `.` between the time fields, an unknown zone meaning "no zone"), and a
//! date it refuses is kept as written.
//!
//! The reading works on words: the day name and the RFC 850 and glued-zone spellings are
//! undone first ([`words`]), then each of the five positions is classified: which of the
//! first two words is the month, which of the next two is the clock, and whether the
//! year candidate is really the zone.
//!
//! Numbers go through [`python_int_text`], which reads ASCII digits only: Python's `int()`
//! also takes other Unicode decimal digits (`１５`, `١٥`), so a date written with those is
//! read by the reference but kept as written here. Such dates are not seen in practice.

use crate::pycompat::{is_python_space, python_int_text};

/// A parsed date. `offset_seconds` is `None` for a date without a usable zone (`-0000`, an
/// unknown zone name, none at all): Python then keeps a naive time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailDate {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub offset_seconds: Option<i64>,
}

/// Month names in order; a month may be written in full or by its first three letters.
const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
/// Weekday abbreviations from Monday, for output and for recognising a leading day name.
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// The three-letter abbreviation of a month name.
fn abbreviation(name: &str) -> &str {
    name.get(..3).unwrap_or(name)
}

/// 1 to 12 for a month name or abbreviation in any case.
fn month_number(word: &str) -> Option<u32> {
    let index = MONTH_NAMES.iter().position(|name| {
        word.eq_ignore_ascii_case(name) || word.eq_ignore_ascii_case(abbreviation(name))
    })?;
    u32::try_from(index + 1).ok()
}

fn is_day_name(word: &str) -> bool {
    WEEKDAYS.iter().any(|day| word.eq_ignore_ascii_case(day))
}

/// A zone name Python knows, as a `±hhmm` number. Besides universal time these are the
/// North American zones, `<region>ST` for standard time and `<region>DT` an hour later.
/// Military letters other than Z are not among them (their signs are unreliable), so they
/// mean "no zone".
fn named_zone(name: &str) -> Option<i64> {
    if matches!(name, "UT" | "UTC" | "GMT" | "Z") {
        return Some(0);
    }
    let standard = match name.get(..1)? {
        "A" => -400,
        "E" => -500,
        "C" => -600,
        "M" => -700,
        "P" => -800,
        _ => return None,
    };
    match name.get(1..)? {
        "ST" => Some(standard),
        "DT" => Some(standard + 100),
        _ => None,
    }
}

/// The largest `±hhmm` worth reading: anything beyond is 100 hours or more, which no
/// datetime accepts (Python refuses from 24 hours), and is refused before any arithmetic.
const MAX_ZONE_HHMM: i128 = 9999;

fn days_in_month(year: i128, month: u32) -> u32 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The words of a date with its spelling variants undone: no day name, an RFC 850 date
/// (`15-Jan-24`) split into three words, and a zone glued to the time (`10:00:00+0200`)
/// split off. A missing zone is an empty word, so that a usable date has five words.
fn words(value: &str) -> Option<Vec<&str>> {
    let mut words: Vec<&str> = value
        .split(is_python_space)
        .filter(|w| !w.is_empty())
        .collect();
    let first = *words.first()?;
    if first.ends_with(',') || is_day_name(first) {
        words.remove(0);
    } else if let Some((_, after)) = first.rsplit_once(',') {
        // A comma glued to the day number ("Mon,15") ends the day name.
        words[0] = after;
    }
    if let [date, rest @ ..] = &words[..]
        && rest.len() == 2
        && date.split('-').count() == 3
    {
        words = date.split('-').chain(rest.iter().copied()).collect();
    }
    if let [_, _, _, last] = words[..] {
        match last.find('+').or_else(|| last.find('-')) {
            Some(sign) if sign > 0 => {
                let (time, zone) = last.split_at(sign);
                words.splice(3.., [time, zone]);
            }
            _ => words.push(""),
        }
    }
    Some(words)
}

/// The month and the day among the first two words: the month is the second word, or
/// else the first (`Jan 15`).
fn month_and_day<'a>(first: &'a str, second: &'a str) -> Option<(u32, &'a str)> {
    match (month_number(second), month_number(first)) {
        (Some(month), _) => Some((month, first)),
        (None, Some(month)) => Some((month, second)),
        (None, None) => None,
    }
}

/// The clock and the year candidate among the third and fourth words: the clock is the
/// third word when it holds a `:` after its first character (`Jan 15 10:00 2024`).
fn time_and_year<'a>(third: &'a str, fourth: &'a str) -> (&'a str, &'a str) {
    if third.find(':').is_some_and(|i| i > 0) {
        (third, fourth)
    } else {
        (fourth, third)
    }
}

/// Hours, minutes and seconds of `hh:mm[:ss]`, or of `hh.mm[.ss]` as some mailers write.
fn clock(time: &str) -> Option<[i128; 3]> {
    let time = time.strip_suffix(',').unwrap_or(time);
    let separator = if !time.contains(':') && time.contains('.') {
        '.'
    } else {
        ':'
    };
    let parts: Vec<&str> = time.split(separator).collect();
    let (hour, minute, second) = match parts[..] {
        [hour, minute] => (hour, minute, "0"),
        [hour, minute, second] => (hour, minute, second),
        _ => return None,
    };
    Some([
        python_int_text(hour)?,
        python_int_text(minute)?,
        python_int_text(second)?,
    ])
}

/// A zone word as a `±hhmm` number: `None` when there is no usable zone (an unknown name,
/// `-0000`, which explicitly disclaims one, or nothing), `Err` when it is a number too
/// large to be an offset.
fn zone_hhmm(word: &str) -> Result<Option<i64>, ()> {
    let word = word.to_uppercase();
    if let Some(hhmm) = named_zone(&word) {
        return Ok(Some(hhmm));
    }
    match python_int_text(&word) {
        None => Ok(None),
        Some(0) if word.starts_with('-') => Ok(None),
        Some(hhmm) if hhmm.abs() > MAX_ZONE_HHMM => Err(()),
        Some(hhmm) => i64::try_from(hhmm).map(Some).map_err(|_| ()),
    }
}

/// `±hhmm` as seconds east of UTC; `hhmm` is at most [`MAX_ZONE_HHMM`] in size.
fn offset_seconds(hhmm: i64) -> i64 {
    hhmm.signum() * ((hhmm.abs() / 100) * 3600 + (hhmm.abs() % 100) * 60)
}

/// The fields of a date, before their ranges are checked.
struct Fields {
    year: i128,
    month: u32,
    day: i128,
    clock: [i128; 3],
    zone_hhmm: Option<i64>,
}

fn fields(value: &str) -> Option<Fields> {
    let words = words(value)?;
    let [first, second, third, fourth, fifth, ..] = words[..] else {
        return None;
    };
    if first.is_empty() || second.is_empty() || third.is_empty() {
        return None;
    }
    let (month, day) = month_and_day(first, second)?;
    let (time, year) = time_and_year(third, fourth);
    let year = match year.strip_suffix(',') {
        Some("") => return None,
        Some(year) => year,
        None => year,
    };
    // A year that does not start with a digit is the zone, written before the year
    // (`Jan 15 10:00 GMT 2024`). Python's test is `str.isdigit`, which takes any Unicode
    // digit; `is_numeric` is its nearest match, so that a year written in fullwidth digits
    // makes the date unreadable rather than being swapped with the zone.
    let (year, zone) = if year.starts_with(char::is_numeric) {
        (year, fifth)
    } else {
        (fifth, year)
    };
    let mut year = python_int_text(year)?;
    let day = python_int_text(day.strip_suffix(',').unwrap_or(day))?;
    let clock = clock(time)?;
    // Two-digit years: 69 to 99 are 1969 to 1999, 0 to 68 are 2000 to 2068 (POSIX).
    if year < 100 {
        year += if year > 68 { 1900 } else { 2000 };
    }
    Some(Fields {
        year,
        month,
        day,
        clock,
        zone_hhmm: zone_hhmm(zone).ok()?,
    })
}

/// Parses a date header value; `None` where Python's parser or its `datetime` refuses it.
pub fn parse(value: &str) -> Option<MailDate> {
    let f = fields(value)?;
    let offset_seconds = f.zone_hhmm.map(offset_seconds);
    let [hour, minute, second] = f.clock;
    let in_range = (1..=9999).contains(&f.year)
        && f.day >= 1
        && f.day <= i128::from(days_in_month(f.year, f.month))
        && (0..24).contains(&hour)
        && (0..60).contains(&minute)
        && (0..60).contains(&second)
        && offset_seconds.is_none_or(|s| s.abs() < 86_400);
    if !in_range {
        return None;
    }
    Some(MailDate {
        year: i64::try_from(f.year).ok()?,
        month: f.month,
        day: u32::try_from(f.day).ok()?,
        hour: u32::try_from(hour).ok()?,
        minute: u32::try_from(minute).ok()?,
        second: u32::try_from(second).ok()?,
        offset_seconds,
    })
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

impl MailDate {
    fn offset_text(&self, colon: bool) -> String {
        let Some(seconds) = self.offset_seconds else {
            return if colon {
                String::new()
            } else {
                "-0000".to_owned()
            };
        };
        let sign = if seconds < 0 { '-' } else { '+' };
        let minutes = seconds.abs() / 60;
        let sep = if colon { ":" } else { "" };
        format!("{sign}{:02}{sep}{:02}", minutes / 60, minutes % 60)
    }

    /// `email.utils.format_datetime`: `Tue, 16 Jan 2024 08:30:00 -0500`, the weekday
    /// computed (whatever the header said).
    pub fn header_text(&self) -> String {
        let days = days_from_civil(self.year, self.month.into(), self.day.into());
        // 1970-01-01 was a Thursday (index 3 from Monday).
        let weekday = usize::try_from((days + 3).rem_euclid(7))
            .ok()
            .and_then(|i| WEEKDAYS.get(i))
            .unwrap_or(&"");
        let month = (self.month as usize)
            .checked_sub(1)
            .and_then(|i| MONTH_NAMES.get(i))
            .map_or("", |name| abbreviation(name));
        format!(
            "{weekday}, {:02} {month} {:04} {:02}:{:02}:{:02} {}",
            self.day,
            self.year,
            self.hour,
            self.minute,
            self.second,
            self.offset_text(false)
        )
    }

    /// `datetime.isoformat()`, as the `send-date` attribute carries it.
    pub fn iso(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}",
            self.year,
            self.month,
            self.day,
            self.hour,
            self.minute,
            self.second,
            self.offset_text(true)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (header value, Python's normalised header text, Python's isoformat) as the
    /// reference gives them.
    const CASES: &[(&str, &str, &str)] = &[
        (
            "Mon, 15 Jan 2024 10:00:00 +0000",
            "Mon, 15 Jan 2024 10:00:00 +0000",
            "2024-01-15T10:00:00+00:00",
        ),
        (
            "Mon, 15 Jan 2024 10:00:00 UT",
            "Mon, 15 Jan 2024 10:00:00 +0000",
            "2024-01-15T10:00:00+00:00",
        ),
        (
            "Mon, 15 Jan 2024 10:00 GMT",
            "Mon, 15 Jan 2024 10:00:00 +0000",
            "2024-01-15T10:00:00+00:00",
        ),
        (
            "15 Jan 2024 10:00 GMT",
            "Mon, 15 Jan 2024 10:00:00 +0000",
            "2024-01-15T10:00:00+00:00",
        ),
        (
            "Mon, 15 Jan 2024 10:00:00",
            "Mon, 15 Jan 2024 10:00:00 -0000",
            "2024-01-15T10:00:00",
        ),
        (
            "Monday, 15 January 2024 10:00:00 +0000",
            "Mon, 15 Jan 2024 10:00:00 +0000",
            "2024-01-15T10:00:00+00:00",
        ),
        (
            "Mon, 15 Jan 2024 10:00:00 A",
            "Mon, 15 Jan 2024 10:00:00 -0000",
            "2024-01-15T10:00:00",
        ),
        (
            "Mon, 15 Jan 24 10.00 EST",
            "Mon, 15 Jan 2024 10:00:00 -0500",
            "2024-01-15T10:00:00-05:00",
        ),
        (
            "Mon,15 Jan 2024 10:00:00 +0530 (IST)",
            "Mon, 15 Jan 2024 10:00:00 +0530",
            "2024-01-15T10:00:00+05:30",
        ),
        (
            "Fri, 16 Jan 2024 08:30:00 -0500",
            "Tue, 16 Jan 2024 08:30:00 -0500",
            "2024-01-16T08:30:00-05:00",
        ),
        (
            "15-Jan-24 10:00:00 GMT",
            "Mon, 15 Jan 2024 10:00:00 +0000",
            "2024-01-15T10:00:00+00:00",
        ),
        (
            "Mon, 15 Jan 2024 10:00:00+0200",
            "Mon, 15 Jan 2024 10:00:00 +0200",
            "2024-01-15T10:00:00+02:00",
        ),
        // Words in other orders: month first, clock before the year, zone before it.
        (
            "Jan 15 2024 10:00 GMT",
            "Mon, 15 Jan 2024 10:00:00 +0000",
            "2024-01-15T10:00:00+00:00",
        ),
        (
            "Mon, Jan 15 10:00:00 2024 PDT",
            "Mon, 15 Jan 2024 10:00:00 -0700",
            "2024-01-15T10:00:00-07:00",
        ),
        (
            "15 Jan 10:00:00 2024 +0100",
            "Mon, 15 Jan 2024 10:00:00 +0100",
            "2024-01-15T10:00:00+01:00",
        ),
        (
            "Mon, 15 Jan 2024, 10:00:00, -0000",
            "Mon, 15 Jan 2024 10:00:00 -0000",
            "2024-01-15T10:00:00",
        ),
        (
            "15 Jan 2024 10:00:00 EDT 2024",
            "Mon, 15 Jan 2024 10:00:00 -0400",
            "2024-01-15T10:00:00-04:00",
        ),
        (
            "15 jan GMT 10:00 2024",
            "Mon, 15 Jan 2024 10:00:00 +0000",
            "2024-01-15T10:00:00+00:00",
        ),
        (
            "Tue, 15 JANUARY 99 23:59:59 +1234",
            "Fri, 15 Jan 1999 23:59:59 +1234",
            "1999-01-15T23:59:59+12:34",
        ),
        (
            "15 Jan 2024 10:00:00 -2359",
            "Mon, 15 Jan 2024 10:00:00 -2359",
            "2024-01-15T10:00:00-23:59",
        ),
        (
            "15 Jan 2024 10:00:00 +0_1_0_0",
            "Mon, 15 Jan 2024 10:00:00 +0100",
            "2024-01-15T10:00:00+01:00",
        ),
        (
            "15-Jan-2024 10:00 -0130",
            "Mon, 15 Jan 2024 10:00:00 -0130",
            "2024-01-15T10:00:00-01:30",
        ),
        (
            "15 Jan 2024 10:00:00 xyz",
            "Mon, 15 Jan 2024 10:00:00 -0000",
            "2024-01-15T10:00:00",
        ),
        (
            "15 Jan 0 0:0 +0000",
            "Sat, 15 Jan 2000 00:00:00 +0000",
            "2000-01-15T00:00:00+00:00",
        ),
        (
            "15 Jan -5 1:2:3 +0000",
            "Sat, 15 Jan 2000 01:02:03 -0005",
            "2000-01-15T01:02:03-00:05",
        ),
        (
            "15 Jan 2024 10:00:00 e\u{17f}t",
            "Mon, 15 Jan 2024 10:00:00 -0500",
            "2024-01-15T10:00:00-05:00",
        ),
    ];

    #[test]
    fn dates_read_as_python_reads_them() {
        for (value, header, iso) in CASES {
            let date = parse(value).unwrap_or_else(|| panic!("{value} not parsed"));
            assert_eq!(date.header_text(), *header, "{value}");
            assert_eq!(date.iso(), *iso, "{value}");
        }
    }

    #[test]
    fn dates_python_refuses() {
        for value in [
            "junk",
            "",
            "Mon, 31 Feb 2024 10:00:00 +0000",
            "Mon, 15 Jan 2024 10:00:00 +9999",
            "Mon, 15 Foo 2024 10:00:00 +0000",
            "Mon, 15 Jan 2024 25:00:00 +0000",
            "Mon, 15 Jan 2024 10:00:00.5 +0000",
        ] {
            assert_eq!(parse(value), None, "{value}");
        }
    }

    /// Zones too large to be an offset (a hostile header): refused without overflowing,
    /// so the header is kept as written. Python refuses these too, with a `ValueError`
    /// (kept as written) or, past a C int, an `OverflowError` that fails the reference's
    /// whole import.
    #[test]
    fn oversized_zones_are_refused() {
        for zone in [
            "+9223372036854775807",
            "-9223372036854775808",
            "+99999999999999999999999999999999999999",
            "-10000",
            "+2400",
            "+9999",
        ] {
            let value = format!("Mon, 15 Jan 2024 10:00:00 {zone}");
            assert_eq!(parse(&value), None, "{value}");
        }
    }

    /// Python's `int()` reads fullwidth and other Unicode digits; these dates are kept as
    /// written here (a known difference), and never misread as another date.
    #[test]
    fn unicode_digits_are_not_read() {
        for value in [
            "\u{ff11}\u{ff15} Jan 2024 10:00:00 +0000",
            "15 Jan \u{ff12}\u{ff10}\u{ff12}\u{ff14} 10:00:00 +0000",
        ] {
            assert_eq!(parse(value), None, "{value}");
        }
    }
}
