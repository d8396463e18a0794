//! Monthly trends of the hidden hazards of a town or of the district, as the 安委办's
//! monthly reports count them: per calendar month, the hazards found and closed in it,
//! and at its end those open, overdue and major open, with the enterprises and houses at
//! each risk level that day.
//!
//! A month's hidden-hazard figures are worked out from each record's own dates (found,
//! deadline, rectified, closed): the ledger as it is now, read back in time. The levels
//! at a month's end ([`MonthLevels`]) are those of a map as it stood that day: the
//! enterprises' assessment with the hidden hazards of that day, and the houses' levels.
//! From one map ([`monthly`]) the houses are as they are in it at every month's end, and
//! the enterprises' ledger and hazard sources too; a store's server takes its map back
//! month by month over the store's history and gives each month its own map's levels
//! ([`monthly_with_levels`]).

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
    /// Self-built houses at each level at its end: 重大, 较大, 一般, 低 (major first).
    pub houses_by_level: [u32; 4],
}

/// Enterprises and houses per level (major first) on one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Levels {
    /// Enterprises: 重大, 较大, 一般, 低.
    pub enterprises: [u32; 4],
    /// Self-built houses: 重大, 较大, 一般, 低.
    pub houses: [u32; 4],
}

/// The levels of one map on one day, for every area and the district.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MonthLevels {
    /// The areas' ids, by position in the areas layer of the map counted.
    pub area_ids: Vec<String>,
    /// By area position; the one after the last area holds what lies outside every area.
    pub areas: Vec<Levels>,
    /// The whole district.
    pub district: Levels,
}

impl MonthLevels {
    /// The levels of the area at position `area` (`None`: the district).
    pub fn of(&self, area: Option<usize>) -> Levels {
        match area {
            None => self.district,
            Some(k) => self.areas.get(k).copied().unwrap_or_default(),
        }
    }

    /// The levels of the area with this id (`None`: the district); none counted for an
    /// area the map did not have.
    pub fn of_id(&self, area: Option<&str>) -> Levels {
        match area {
            None => self.district,
            Some(id) => self
                .area_ids
                .iter()
                .position(|a| a == id)
                .map_or_else(Levels::default, |k| self.of(Some(k))),
        }
    }
}

/// Major first: 重大 0, 较大 1, 一般 2, 低 3.
fn slot(l: RiskLevel) -> usize {
    match l {
        RiskLevel::Major => 0,
        RiskLevel::Significant => 1,
        RiskLevel::General => 2,
        RiskLevel::Low => 3,
    }
}

/// The levels of `ds` (analysed as `a` with `rules`) on `day`: the enterprises assessed
/// with the hidden hazards of the day, the houses as `a` has them (a house's level does
/// not depend on the day). Houses per area are the analysis's area summaries'.
pub fn levels_on(ds: &Dataset, a: &Analysis, rules: &Rules, day: Day) -> MonthLevels {
    OneMap::of(ds, a).on(ds, a, rules, day)
}

/// [`levels_on`] at the counted day of each of `spans` ([`month_spans`]), oldest first:
/// what does not change with the day (the houses, the enterprises' areas) counted once.
pub fn levels_at_ends(
    ds: &Dataset,
    a: &Analysis,
    rules: &Rules,
    spans: &[(Day, Day)],
) -> Vec<MonthLevels> {
    let one = OneMap::of(ds, a);
    spans
        .par_iter()
        .map(|&(_, end)| one.on(ds, a, rules, end))
        .collect()
}

/// What the levels of one map share from day to day: the houses per level, and the area
/// of every enterprise.
struct OneMap {
    houses: MonthLevels,
    enterprise_slots: Vec<usize>,
}

impl OneMap {
    fn of(ds: &Dataset, a: &Analysis) -> OneMap {
        let n = ds.areas.len();
        let mut houses = MonthLevels {
            area_ids: ds.areas.features().iter().map(|f| f.id.clone()).collect(),
            areas: vec![Levels::default(); n + 1],
            district: Levels::default(),
        };
        for h in &a.house_risks {
            houses.district.houses[slot(h.level)] += 1;
        }
        for (x, s) in houses.areas.iter_mut().zip(&a.area_summaries) {
            // Summaries count low first.
            let [low, general, significant, major] = s.houses;
            x.houses = [major, significant, general, low];
        }
        let enterprise_slots = ds
            .enterprises
            .features()
            .par_iter()
            .map(|f| house_slot(ds, anchor(&f.geometry)))
            .collect();
        OneMap {
            houses,
            enterprise_slots,
        }
    }

    /// The levels on `day`: the enterprises assessed with the hidden hazards of the day.
    fn on(&self, ds: &Dataset, a: &Analysis, rules: &Rules, day: Day) -> MonthLevels {
        let mut out = self.houses.clone();
        if !ds.enterprises.is_empty() {
            let mut r = rules.clone();
            r.hidden_hazards.as_of = Some(day);
            let levels = enterprise_risk::levels_on(ds, &r, &a.enterprise_risks);
            for (l, &k) in levels.into_iter().zip(&self.enterprise_slots) {
                out.district.enterprises[slot(l)] += 1;
                if let Some(x) = out.areas.get_mut(k) {
                    x.enterprises[slot(l)] += 1;
                }
            }
        }
        out
    }
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

/// The first and the counted day of each of the `months` calendar months up to the one
/// holding `until` (counted at `until` in it), oldest first.
pub fn month_spans(months: u32, until: Day) -> Vec<(Day, Day)> {
    (0..months.max(1))
        .rev()
        .map(|back| {
            let start = months_back(until, back);
            (start, month_end(start).min(until))
        })
        .collect()
}

/// The `months` calendar months up to the one holding `until` (counted at `until` in
/// it), oldest first, for the area at position `area` of the areas layer (`None`: the
/// whole district). `a` is the analysis of `ds` with `rules`; the levels at each month's
/// end are those of `ds` on that day ([`levels_on`]).
pub fn monthly(
    ds: &Dataset,
    a: &Analysis,
    rules: &Rules,
    area: Option<usize>,
    months: u32,
    until: Day,
) -> Vec<MonthTrend> {
    let levels: Vec<Levels> = levels_at_ends(ds, a, rules, &month_spans(months, until))
        .iter()
        .map(|l| l.of(area))
        .collect();
    monthly_with_levels(ds, area, until, &levels)
}

/// [`monthly`] with the levels at each month's end given, oldest first, one per month
/// (the trend has as many months): those of the map as it stood each day.
pub fn monthly_with_levels(
    ds: &Dataset,
    area: Option<usize>,
    until: Day,
    levels: &[Levels],
) -> Vec<MonthTrend> {
    let inside = |g: &geo::Geometry<f64>| area.is_none_or(|k| house_slot(ds, anchor(g)) == k);
    let hazards: Vec<_> = ds
        .hidden_hazards
        .features()
        .par_iter()
        .filter(|f| inside(&f.geometry))
        .map(|f| &f.props)
        .collect();
    let months = u32::try_from(levels.len()).unwrap_or(u32::MAX);
    month_spans(months, until)
        .into_par_iter()
        .zip(levels.par_iter())
        .map(|((start, end), l)| {
            let mut m = MonthTrend {
                month: format!("{:04}-{:02}", start.ymd().0, start.ymd().1),
                end,
                found: 0,
                closed: 0,
                at_end: HiddenCounts::default(),
                enterprises_by_level: l.enterprises,
                houses_by_level: l.houses,
            };
            let within = |d: Option<Day>| d.is_some_and(|d| d >= start && d <= end);
            for h in &hazards {
                let s = state_on(h, end);
                m.at_end.add(h, &s);
                m.found += u32::from(within(h.discovered));
                m.closed += u32::from(s.status.is_some() && !s.open && within(h.closed));
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
