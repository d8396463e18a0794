//! Times as the change trail writes them, worked out from the days since 1970 by hand
//! (H. Hinnant's days-to-civil algorithm), independent of the SQLite date functions the
//! trail uses.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `t` in UTC to the millisecond, as `2001-09-09T01:46:40.000Z` (times before 1970 are
/// not needed by the tests and read as 1970).
pub fn utc_text(t: SystemTime) -> String {
    let ms = t
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let (days, rem) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    )
}

/// Now, to the millisecond (as the trail keeps times).
pub fn now_ms() -> SystemTime {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    UNIX_EPOCH + Duration::from_millis(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_every_reference_gives() {
        let at = |s: u64| utc_text(UNIX_EPOCH + Duration::from_secs(s));
        assert_eq!(at(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(at(1_000_000_000), "2001-09-09T01:46:40.000Z");
        // 2000-02-29 (a leap day of a century's year) and the day after.
        assert_eq!(at(951_782_400), "2000-02-29T00:00:00.000Z");
        assert_eq!(at(951_868_800 + 3_723), "2000-03-01T01:02:03.000Z");
        assert_eq!(
            utc_text(UNIX_EPOCH + Duration::from_millis(1_234_567_890_123)),
            "2009-02-13T23:31:30.123Z"
        );
    }
}
