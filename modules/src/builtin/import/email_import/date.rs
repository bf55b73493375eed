//! Date headers read the way Python's `email.utils.parsedate_to_datetime` reads them, since
//! the reference's `send-date` attribute and its normalised `Date:` line come from there.
//! It is lenient in its own particular ways (no seconds, no zone, full month names, a
//! two-digit year, `.` between the time fields, an unknown zone meaning "no zone"), and a
//! date it refuses is kept as written.

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

const MONTHS: [&str; 24] = [
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTH_ABBREVIATIONS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The zone names Python knows, as `±hhmm` numbers; military letters other than Z are not
/// among them (their signs are unreliable), so they mean "no zone".
fn named_zone(name: &str) -> Option<i64> {
    Some(match name {
        "UT" | "UTC" | "GMT" | "Z" => 0,
        "AST" => -400,
        "ADT" => -300,
        "EST" => -500,
        "EDT" => -400,
        "CST" => -600,
        "CDT" => -500,
        "MST" => -700,
        "MDT" => -600,
        "PST" => -800,
        "PDT" => -700,
        _ => return None,
    })
}

/// Python's `str.isspace` for splitting: Unicode whitespace plus the ASCII separators
/// U+001C..U+001F, which Rust does not count.
fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `int()` on a short decimal text: surrounding blanks, a sign, and single
/// underscores between digits are allowed.
fn python_int(text: &str) -> Option<i64> {
    let text = text.trim_matches(is_python_space);
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || !digits.chars().all(|c| c.is_ascii_digit() || c == '_')
    {
        return None;
    }
    let value: i64 = digits.replace('_', "").parse().ok()?;
    Some(if negative { -value } else { value })
}

fn days_in_month(year: i64, month: u32) -> u32 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The fields `_parsedate_tz` finds, before `datetime` checks their ranges.
struct Fields {
    year: i64,
    month: u32,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    zone_hhmm: Option<i64>,
}

fn fields(value: &str) -> Option<Fields> {
    let mut words: Vec<String> = value
        .split(is_python_space)
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    let first = words.first()?;
    // A leading day name (with or without its comma) is skipped; a comma glued to the day
    // number ("Mon,15") cuts what precedes it.
    if first.ends_with(',') || DAY_NAMES.contains(&first.to_lowercase().as_str()) {
        words.remove(0);
    } else if let Some(comma) = first.rfind(',') {
        words[0] = first[comma + 1..].to_owned();
    }
    if words.len() == 3 {
        // RFC 850: 15-Jan-24 10:00:00 GMT.
        let parts: Vec<String> = words[0].split('-').map(str::to_owned).collect();
        if parts.len() == 3 {
            words.splice(0..1, parts);
        }
    }
    if words.len() == 4 {
        // The zone may be glued to the time: 10:00:00+0200.
        let last = words[3].clone();
        match last.find('+').or_else(|| last.find('-')) {
            Some(sign) if sign > 0 => {
                words[3] = last[..sign].to_owned();
                words.push(last[sign..].to_owned());
            }
            _ => words.push(String::new()),
        }
    }
    if words.len() < 5 {
        return None;
    }
    let [mut day, mut month, mut year, mut time, mut zone]: [String; 5] =
        words[..5].to_vec().try_into().ok()?;
    if day.is_empty() || month.is_empty() || year.is_empty() {
        return None;
    }
    month = month.to_lowercase();
    if !MONTHS.contains(&month.as_str()) {
        (day, month) = (month, day.to_lowercase());
        if !MONTHS.contains(&month.as_str()) {
            return None;
        }
    }
    let index = MONTHS.iter().position(|m| *m == month)?;
    let month_number = (index % 12) as u32 + 1;
    if day.ends_with(',') {
        day.pop();
    }
    if year.find(':').is_some_and(|i| i > 0) {
        (year, time) = (time, year);
    }
    if year.ends_with(',') {
        year.pop();
        if year.is_empty() {
            return None;
        }
    }
    if !year.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        (year, zone) = (zone, year);
    }
    if time.ends_with(',') {
        time.pop();
    }
    let mut clock: Vec<&str> = time.split(':').collect();
    if clock.len() == 1 && time.contains('.') {
        // Some mailers write 10.00.00.
        clock = time.split('.').collect();
        if !(2..=3).contains(&clock.len()) {
            return None;
        }
    } else if !(2..=3).contains(&clock.len()) {
        return None;
    }
    let mut year = python_int(&year)?;
    let day = python_int(&day)?;
    let hour = python_int(clock[0])?;
    let minute = python_int(clock[1])?;
    let second = match clock.get(2) {
        Some(s) => python_int(s)?,
        None => 0,
    };
    if year < 100 {
        year += if year > 68 { 1900 } else { 2000 };
    }
    let zone = zone.to_uppercase();
    let zone_hhmm = match named_zone(&zone) {
        Some(hhmm) => Some(hhmm),
        // "-0000" explicitly disclaims a zone.
        None => python_int(&zone).filter(|n| !(*n == 0 && zone.starts_with('-'))),
    };
    Some(Fields {
        year,
        month: month_number,
        day,
        hour,
        minute,
        second,
        zone_hhmm,
    })
}

/// Parses a date header value; `None` where Python's parser or its `datetime` refuses it.
pub fn parse(value: &str) -> Option<MailDate> {
    let f = fields(value)?;
    let offset_seconds = f.zone_hhmm.map(|hhmm| {
        let sign = if hhmm < 0 { -1 } else { 1 };
        let hhmm = hhmm.abs();
        sign * ((hhmm / 100) * 3600 + (hhmm % 100) * 60)
    });
    let in_range = (1..=9999).contains(&f.year)
        && f.day >= 1
        && f.day <= i64::from(days_in_month(f.year, f.month))
        && (0..24).contains(&f.hour)
        && (0..60).contains(&f.minute)
        && (0..60).contains(&f.second)
        && offset_seconds.is_none_or(|s| s.abs() < 86_400);
    if !in_range {
        return None;
    }
    Some(MailDate {
        year: f.year,
        month: f.month,
        day: f.day as u32,
        hour: f.hour as u32,
        minute: f.minute as u32,
        second: f.second as u32,
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
        let weekday = WEEKDAYS[(days + 3).rem_euclid(7) as usize];
        let month = MONTH_ABBREVIATIONS[(self.month.clamp(1, 12) - 1) as usize];
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
}
