//! Dates as ledgers write them: `2024-03-05`, `2024/3/5`, `2024.3.5`, `2024年3月5日`,
//! `20240305`, a time after the day (`2024-03-05 14:30`, `2024-03-05T14:30:00`), or an
//! Excel serial number left unformatted (45356).

use crate::model::Day;

use super::half_width_str;
use super::numbers::is_placeholder;

/// Why a date cell was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DateError(pub String);

/// Excel serials of 1950-01-01 and 2100-12-31: a bare number in this range in a date
/// column is a serial (Excel's day count from 1899-12-30).
const SERIAL_RANGE: std::ops::RangeInclusive<f64> = 18_264.0..=73_415.0;

/// A date from a number cell: `20240305` or an Excel serial.
pub(crate) fn date_from_number(n: f64) -> Result<Day, DateError> {
    if n.is_finite() && n.fract() == 0.0 && (19_000_101.0..=21_001_231.0).contains(&n) {
        let v = n as i64;
        let (y, m, d) = (v / 10_000, (v / 100) % 100, v % 100);
        return Day::new(y as i32, m as u8, d as u8)
            .ok_or_else(|| DateError(format!("{v} is not a date (YYYYMMDD)")));
    }
    if n.is_finite() && SERIAL_RANGE.contains(&n) {
        let day0 = Day::new(1899, 12, 30).ok_or_else(|| DateError("calendar".into()))?;
        return Ok(day0.plus_days(n.floor() as i64));
    }
    Err(DateError(format!(
        "{n} is neither a date YYYYMMDD nor a spreadsheet date between 1950 and 2100"
    )))
}

/// A date from text; `Ok(None)` for an empty cell or a placeholder (`无`, `/`, `-`).
pub(crate) fn parse_date(s: &str) -> Result<Option<Day>, DateError> {
    let t = s.trim();
    if t.is_empty() || is_placeholder(t) {
        return Ok(None);
    }
    let h = half_width_str(t);
    let t = h.trim();
    // A time after the day is dropped: `2024-03-05 14:30`, `2024-03-05T14:30:00Z`.
    let day_part = t
        .split(|c: char| c == 'T' || c.is_whitespace())
        .next()
        .unwrap_or(t);
    if day_part.chars().all(|c| c.is_ascii_digit() || c == '.') {
        if let Ok(n) = day_part.parse::<f64>()
            && !day_part.contains('.')
        {
            return date_from_number(n).map(Some);
        }
        if day_part.matches('.').count() == 1 {
            // A number with a fraction: a serial with a time of day.
            if let Ok(n) = day_part.parse::<f64>() {
                return date_from_number(n.floor()).map(Some);
            }
        }
    }
    let parts: Vec<&str> = day_part
        .split(['-', '/', '.', '年', '月', '日'])
        .filter(|p| !p.is_empty())
        .collect();
    let bad = || DateError(format!("{t:?} is not a date (write it as 2024-03-05)"));
    let [y, m, d] = parts.as_slice() else {
        return Err(bad());
    };
    if y.len() != 4 || m.len() > 2 || d.len() > 2 {
        return Err(bad());
    }
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i32>(), m.parse::<u8>(), d.parse::<u8>()) else {
        return Err(bad());
    };
    Day::new(y, m, d).map(Some).ok_or_else(|| {
        DateError(format!(
            "{t:?} is not a day of the calendar ({y}-{m:02}-{d:02} does not exist)"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u8, d: u8) -> Option<Day> {
        Day::new(y, m, d)
    }

    #[test]
    fn ledger_forms_of_one_day() {
        for s in [
            "2024-03-05",
            "2024/3/5",
            "2024.03.05",
            "2024年3月5日",
            "２０２４年３月５日",
            "20240305",
            "2024-03-05 14:30",
            "2024-03-05T14:30:00Z",
            // Excel's serial of 2024-03-05: 45,356 days after 1899-12-30.
            "45356",
            "45356.6",
        ] {
            assert_eq!(parse_date(s), Ok(day(2024, 3, 5)), "{s}");
        }
        assert_eq!(date_from_number(45_356.0), Ok(day(2024, 3, 5).unwrap()));
        assert_eq!(date_from_number(20_240_305.0), Ok(day(2024, 3, 5).unwrap()));
    }

    #[test]
    fn empty_and_placeholders_are_no_date() {
        assert_eq!(parse_date(""), Ok(None));
        assert_eq!(parse_date("  "), Ok(None));
        assert_eq!(parse_date("无"), Ok(None));
        assert_eq!(parse_date("/"), Ok(None));
    }

    #[test]
    fn what_is_not_a_date_says_why() {
        assert!(
            parse_date("2024-02-30")
                .unwrap_err()
                .0
                .contains("does not exist")
        );
        assert!(parse_date("下周").is_err());
        assert!(parse_date("24-3-5").is_err());
        assert!(parse_date("2024-3").is_err());
        assert!(date_from_number(12.0).is_err());
        assert!(date_from_number(20_241_305.0).is_err());
    }
}
