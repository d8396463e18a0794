//! Monthly trends of the hidden hazards of a town or of the district, as the 安委办's
//! monthly reports count them: per calendar month, the hazards found and closed in it,
//! and at its end those open, overdue and major open, with the enterprises at each risk
//! level that day.
//!
//! A past day is worked out from each record's own dates (found, deadline, rectified,
//! closed): the ledger as it is now, read back in time. The enterprises' levels that day
//! are their assessment with the hidden hazards of that day (the rest of the ledger, the
//! hazard sources' grades and the declared data, as they are now).

use rayon::prelude::*;
use serde::Serialize;

use super::hidden_hazards::{HiddenCounts, state_on};
use super::risk_grid::{anchor, house_slot};
use super::{Analysis, enterprise_risk};
use crate::dataset::Dataset;
use crate::model::{Day, RiskLevel};
use crate::rules::Rules;

/// One month of a trend.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthTrend {
    /// `YYYY-MM`.
    pub month: String,
    /// The day the month is counted at: its last day, or the trend's last day in the
    /// month that holds it.
    pub end: Day,
    /// Found in the month (发现日期 in it).
    pub found: u32,
    /// Closed in the month (销号日期 in it).
    pub closed: u32,
    /// Where the hazards stood at its end (found by then, open, overdue, major open,
    /// closed by then).
    pub at_end: HiddenCounts,
    /// Enterprises at each level at its end: 重大, 较大, 一般, 低 (major first).
    pub enterprises_by_level: [u32; 4],
}

/// The last day of the month of `d`.
fn month_end(d: Day) -> Day {
    let (y, m, _) = d.ymd();
    let next = if m == 12 {
        Day::new(y + 1, 1, 1)
    } else {
        Day::new(y, m + 1, 1)
    };
    next.map_or(d, |n| n.plus_days(-1))
}

/// The first day of the month `back` months before that of `d`.
fn months_back(d: Day, back: u32) -> Day {
    let (y, m, _) = d.ymd();
    let total = i64::from(y) * 12 + i64::from(m) - 1 - i64::from(back);
    let (y, m) = (total.div_euclid(12), total.rem_euclid(12) + 1);
    Day::new(y as i32, m as u8, 1).unwrap_or(d)
}

/// The `months` calendar months up to the one holding `until` (counted at `until` in
/// it), oldest first, for the area at position `area` of the areas layer (`None`: the
/// whole district). `a` is the analysis of `ds` with `rules`.
pub fn monthly(
    ds: &Dataset,
    a: &Analysis,
    rules: &Rules,
    area: Option<usize>,
    months: u32,
    until: Day,
) -> Vec<MonthTrend> {
    let inside = |g: &geo::Geometry<f64>| area.is_none_or(|k| house_slot(ds, anchor(g)) == k);
    let hazards: Vec<_> = ds
        .hidden_hazards
        .features()
        .par_iter()
        .filter(|f| inside(&f.geometry))
        .map(|f| &f.props)
        .collect();
    let enterprises: Vec<usize> = (0..ds.enterprises.len())
        .into_par_iter()
        .filter(|&i| ds.enterprises.get(i).is_some_and(|f| inside(&f.geometry)))
        .collect();
    (0..months.max(1))
        .rev()
        .collect::<Vec<u32>>()
        .into_par_iter()
        .map(|back| {
            let start = months_back(until, back);
            let end = month_end(start).min(until);
            let mut m = MonthTrend {
                month: format!("{:04}-{:02}", start.ymd().0, start.ymd().1),
                end,
                found: 0,
                closed: 0,
                at_end: HiddenCounts::default(),
                enterprises_by_level: [0; 4],
            };
            let within = |d: Option<Day>| d.is_some_and(|d| d >= start && d <= end);
            for h in &hazards {
                let s = state_on(h, end);
                m.at_end.add(h, &s);
                m.found += u32::from(within(h.discovered));
                m.closed += u32::from(s.status.is_some() && !s.open && within(h.closed));
            }
            if !enterprises.is_empty() {
                let mut r = rules.clone();
                r.hidden_hazards.as_of = Some(end);
                let levels = enterprise_risk::levels_on(ds, &r, &a.enterprise_risks);
                for &i in &enterprises {
                    let k = match levels.get(i) {
                        Some(RiskLevel::Major) => 0,
                        Some(RiskLevel::Significant) => 1,
                        Some(RiskLevel::General) => 2,
                        _ => 3,
                    };
                    m.enterprises_by_level[k] += 1;
                }
            }
            m
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u8, dd: u8) -> Day {
        Day::new(y, m, dd).expect("day")
    }

    #[test]
    fn months_are_calendar_months() {
        assert_eq!(month_end(d(2024, 2, 10)), d(2024, 2, 29));
        assert_eq!(month_end(d(2026, 2, 1)), d(2026, 2, 28));
        assert_eq!(month_end(d(2026, 12, 31)), d(2026, 12, 31));
        assert_eq!(months_back(d(2026, 3, 15), 0), d(2026, 3, 1));
        assert_eq!(months_back(d(2026, 3, 15), 3), d(2025, 12, 1));
        assert_eq!(months_back(d(2026, 1, 31), 25), d(2023, 12, 1));
    }
}
