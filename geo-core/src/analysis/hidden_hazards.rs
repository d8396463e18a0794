//! 隐患 — where each hidden hazard stands on a given day, and the counts a bureau chases:
//! open, overdue, major open, closed, per feature and per enterprise.
//!
//! The state on a day comes from the record's dates: a hazard found after the day did not
//! exist yet; one closed (销号) on or before the day was closed; any other was open, and
//! overdue when its deadline (整改期限) had passed. An open hazard whose record is now
//! rectified or closed is counted as rectified (已整改待验收) on the days after its
//! rectification date and in rectification (整改中) before it.
//!
//! ```
//! use riskmap_core::analysis::hidden_hazards::state_on;
//! use riskmap_core::model::{Day, HiddenHazard, HiddenHazardStatus};
//! let h = HiddenHazard {
//!     discovered: Day::new(2026, 3, 1),
//!     deadline: Day::new(2026, 3, 31),
//!     ..HiddenHazard::default()
//! };
//! let s = state_on(&h, Day::new(2026, 4, 10).unwrap());
//! assert_eq!(s.status, Some(HiddenHazardStatus::Pending));
//! assert_eq!(s.days_overdue, Some(10)); // 1 April to 10 April
//! ```

use std::collections::HashMap;

use serde::Serialize;

use crate::dataset::Dataset;
use crate::model::{Day, HiddenHazard, HiddenHazardStatus, LayerKind};

/// Where one hidden hazard stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct HiddenState {
    /// Its status on the day; `None` when it had not been found yet.
    pub status: Option<HiddenHazardStatus>,
    /// Open on the day (found, not closed).
    pub open: bool,
    /// Days past its deadline, when it was open and overdue on the day (at least 1).
    pub days_overdue: Option<i64>,
    /// Days from found to closed, when it was closed on the day.
    pub days_to_close: Option<i64>,
}

impl HiddenState {
    /// Open and past its deadline.
    pub fn overdue(&self) -> bool {
        self.days_overdue.is_some()
    }
}

/// Where a hidden hazard stands on `day` (see the module documentation).
pub fn state_on(h: &HiddenHazard, day: Day) -> HiddenState {
    if h.discovered.is_some_and(|d| d > day) {
        return HiddenState {
            status: None,
            open: false,
            days_overdue: None,
            days_to_close: None,
        };
    }
    let closed_by_day = h.status == HiddenHazardStatus::Closed && h.closed.is_none_or(|c| c <= day);
    if closed_by_day {
        return HiddenState {
            status: Some(HiddenHazardStatus::Closed),
            open: false,
            days_overdue: None,
            days_to_close: match (h.discovered, h.closed) {
                (Some(d), Some(c)) => Some(c.days_since(d).max(0)),
                _ => None,
            },
        };
    }
    let status = match h.status {
        HiddenHazardStatus::Closed | HiddenHazardStatus::Rectified => {
            if h.rectified.is_some_and(|r| r <= day) {
                HiddenHazardStatus::Rectified
            } else {
                HiddenHazardStatus::InProgress
            }
        }
        s => s,
    };
    let days_overdue = h
        .deadline
        .map(|d| day.days_since(d))
        .filter(|late| *late > 0);
    HiddenState {
        status: Some(status),
        open: true,
        days_overdue,
        days_to_close: None,
    }
}

/// The state of every hidden hazard of a dataset on a day, in layer order.
pub fn states_on(ds: &Dataset, day: Day) -> Vec<HiddenState> {
    ds.hidden_hazards
        .features()
        .iter()
        .map(|f| state_on(&f.props, day))
        .collect()
}

/// Hidden hazards counted on a day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct HiddenCounts {
    /// Found by the day.
    pub found: u32,
    /// Open on the day.
    pub open: u32,
    /// Open and past the deadline.
    pub overdue: u32,
    /// Major (重大事故隐患) and open.
    pub major_open: u32,
    /// Major, open and past the deadline.
    pub major_overdue: u32,
    /// Closed (销号) by the day.
    pub closed: u32,
}

impl HiddenCounts {
    /// Counts one hazard in its state.
    pub fn add(&mut self, h: &HiddenHazard, s: &HiddenState) {
        if s.status.is_none() {
            return;
        }
        self.found += 1;
        if s.open {
            self.open += 1;
            if h.major {
                self.major_open += 1;
            }
            if s.overdue() {
                self.overdue += 1;
                if h.major {
                    self.major_overdue += 1;
                }
            }
        } else {
            self.closed += 1;
        }
    }

    /// General (一般) hazards open.
    pub fn general_open(&self) -> u32 {
        self.open - self.major_open
    }

    /// General hazards open and overdue.
    pub fn general_overdue(&self) -> u32 {
        self.overdue - self.major_overdue
    }

    /// Closed of found (整改率 as the plans count it), when any was found.
    pub fn closure_rate(&self) -> Option<f64> {
        (self.found > 0).then(|| f64::from(self.closed) / f64::from(self.found))
    }
}

/// The enterprise a hidden hazard counts for: the one it belongs to, or the owner of the
/// hazard source it belongs to.
fn enterprise_of<'a, S: std::hash::BuildHasher>(
    h: &'a HiddenHazard,
    source_owner: &HashMap<&str, &'a str, S>,
) -> Option<&'a str> {
    let id = h.feature_id.as_deref()?;
    match h.feature_layer? {
        LayerKind::Enterprises => Some(id),
        LayerKind::HazardSources => source_owner.get(id).copied(),
        _ => None,
    }
}

/// The hidden hazards on a day of the enterprises `keep` accepts (their own and their
/// hazard sources'), by enterprise id, in one pass over the layer.
fn counts_where(
    ds: &Dataset,
    day: Day,
    keep: impl Fn(&str) -> bool,
) -> foldhash::HashMap<&str, HiddenCounts> {
    // foldhash here too: one entry per hidden hazard.
    let mut out: foldhash::HashMap<&str, HiddenCounts> = foldhash::HashMap::default();
    if ds.hidden_hazards.is_empty() {
        return out;
    }
    // foldhash: looked up once per hidden hazard of a hazard source (a full analysis, a
    // day's view); ids of one's own ledgers need no protection against chosen collisions.
    let owners: foldhash::HashMap<&str, &str> = ds
        .hazard_sources
        .features()
        .iter()
        .filter_map(|f| Some((f.id.as_str(), f.props.enterprise_id.as_deref()?)))
        .filter(|(_, e)| keep(e))
        .collect();
    for f in ds.hidden_hazards.features() {
        if let Some(e) = enterprise_of(&f.props, &owners)
            && keep(e)
        {
            out.entry(e)
                .or_default()
                .add(&f.props, &state_on(&f.props, day));
        }
    }
    out
}

/// The hidden hazards of every enterprise on a day (its own and its hazard sources'), by
/// enterprise id; empty when the dataset has no hidden-hazard layer.
pub fn counts_by_enterprise(ds: &Dataset, day: Day) -> foldhash::HashMap<&str, HiddenCounts> {
    counts_where(ds, day, |_| true)
}

/// The hidden hazards of the enterprises `ids` on a day, by id (absent: none); `None` when
/// the dataset has no hidden-hazard layer, so that the ledger's declared counts stand. (A
/// living map's batches count from the hazards it keeps by feature instead.)
pub fn counts_for_enterprises<'a>(
    ds: &'a Dataset,
    ids: &std::collections::HashSet<&str>,
    day: Day,
) -> Option<foldhash::HashMap<&'a str, HiddenCounts>> {
    (!ds.hidden_hazards.is_empty()).then(|| counts_where(ds, day, |e| ids.contains(e)))
}

/// The hidden hazards of one enterprise on a day (its own and its hazard sources');
/// `None` when the dataset has no hidden-hazard layer.
pub fn counts_for_enterprise(ds: &Dataset, id: &str, day: Day) -> Option<HiddenCounts> {
    (!ds.hidden_hazards.is_empty()).then(|| {
        counts_where(ds, day, |e| e == id)
            .get(id)
            .copied()
            .unwrap_or_default()
    })
}

/// The hidden hazards of one town or street (or of the whole district) on the day of the
/// analysis: what the work plans count — open, overdue, major open, closed, the share
/// closed (整改率) and the median days from found to closed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaHidden {
    /// The area's id; empty for the whole district.
    pub id: String,
    /// The area's name; 全区 for the whole district, 区域外 for hazards outside every area.
    pub name: String,
    /// The counts.
    pub counts: HiddenCounts,
    /// Closed of found, when any was found.
    pub closure_rate: Option<f64>,
    /// The median of the days from found to closed of those closed by the day.
    pub median_days_to_close: Option<f64>,
}

fn median(mut v: Vec<i64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
    })
}

/// The hidden hazards per area on the analysis's day (`states`, in layer order): one
/// entry per area in layer order, one for hazards outside every area when there are
/// any, and the whole district last. Empty without hidden hazards.
pub fn by_area(ds: &Dataset, states: &[HiddenState]) -> Vec<AreaHidden> {
    if ds.hidden_hazards.is_empty() {
        return Vec::new();
    }
    let n = ds.areas.len();
    // One slot per area, one for outside every area, one for the district.
    let mut counts = vec![HiddenCounts::default(); n + 2];
    let mut days: Vec<Vec<i64>> = vec![Vec::new(); n + 2];
    for (f, s) in ds.hidden_hazards.features().iter().zip(states) {
        let slot = crate::analysis::risk_grid::house_slot(
            ds,
            crate::analysis::risk_grid::anchor(&f.geometry),
        )
        .min(n);
        for k in [slot, n + 1] {
            counts[k].add(&f.props, s);
            if let Some(d) = s.days_to_close {
                days[k].push(d);
            }
        }
    }
    let mut out = Vec::with_capacity(n + 2);
    for (k, (c, d)) in counts.into_iter().zip(days).enumerate() {
        let (id, name) = match ds.areas.get(k) {
            Some(a) => (a.id.clone(), a.props.name.clone()),
            None if k == n => (String::new(), "区域外".to_string()),
            None => (String::new(), "全区".to_string()),
        };
        if k == n && c.found == 0 {
            continue;
        }
        out.push(AreaHidden {
            id,
            name,
            closure_rate: c.closure_rate(),
            median_days_to_close: median(d),
            counts: c,
        });
    }
    out
}

#[cfg(test)]
#[allow(clippy::field_reassign_with_default)]
mod tests {
    use super::*;
    use crate::analysis::testutil::{feat, pt};
    use crate::dataset::Layer;
    use crate::model::{Enterprise, HazardSource};

    fn day(y: i32, m: u8, d: u8) -> Day {
        Day::new(y, m, d).unwrap()
    }

    fn hazard(found: Day, deadline: Day) -> HiddenHazard {
        HiddenHazard {
            discovered: Some(found),
            deadline: Some(deadline),
            ..HiddenHazard::default()
        }
    }

    #[test]
    fn a_closed_hazard_was_open_and_overdue_before_it_was_closed() {
        // Found 2025-01-10, due 2025-02-10, rectified 2025-03-01, closed 2025-03-05.
        let h = HiddenHazard {
            status: HiddenHazardStatus::Closed,
            rectified: Some(day(2025, 3, 1)),
            verified_by: Some("王工".into()),
            closed: Some(day(2025, 3, 5)),
            ..hazard(day(2025, 1, 10), day(2025, 2, 10))
        };
        assert_eq!(state_on(&h, day(2025, 1, 9)).status, None);
        let s = state_on(&h, day(2025, 2, 10));
        assert_eq!(s.status, Some(HiddenHazardStatus::InProgress));
        assert!(
            s.open && !s.overdue(),
            "due on the day itself is not overdue yet"
        );
        // 2025-02-28: 18 days past 10 February.
        assert_eq!(state_on(&h, day(2025, 2, 28)).days_overdue, Some(18));
        let s = state_on(&h, day(2025, 3, 2));
        assert_eq!(s.status, Some(HiddenHazardStatus::Rectified));
        assert_eq!(s.days_overdue, Some(20));
        let s = state_on(&h, day(2025, 3, 5));
        assert_eq!(s.status, Some(HiddenHazardStatus::Closed));
        assert!(!s.open);
        // 10 January to 5 March 2025: 21 + 28 + 5 = 54 days.
        assert_eq!(s.days_to_close, Some(54));
    }

    #[test]
    fn counts_follow_the_day_and_the_enterprise_of_a_hazard_source() {
        let mut ds = Dataset::default();
        ds.enterprises = Layer::new(
            LayerKind::Enterprises,
            vec![feat("e1", pt(121.0, 31.0), Enterprise::default())],
        );
        ds.hazard_sources = Layer::new(
            LayerKind::HazardSources,
            vec![feat(
                "s1",
                pt(121.0, 31.0),
                HazardSource {
                    enterprise_id: Some("e1".into()),
                    ..HazardSource::default()
                },
            )],
        );
        let link = |layer: LayerKind, id: &str, h: HiddenHazard| HiddenHazard {
            feature_layer: Some(layer),
            feature_id: Some(id.into()),
            ..h
        };
        let jan = day(2026, 1, 5);
        ds.hidden_hazards = Layer::new(
            LayerKind::HiddenHazards,
            vec![
                // Major, at the enterprise's hazard source, due 31 January.
                feat(
                    "h1",
                    pt(121.0, 31.0),
                    link(
                        LayerKind::HazardSources,
                        "s1",
                        HiddenHazard {
                            major: true,
                            ..hazard(jan, day(2026, 1, 31))
                        },
                    ),
                ),
                // General, at the enterprise, due 28 February.
                feat(
                    "h2",
                    pt(121.0, 31.0),
                    link(LayerKind::Enterprises, "e1", hazard(jan, day(2026, 2, 28))),
                ),
                // Found only in March.
                feat(
                    "h3",
                    pt(121.0, 31.0),
                    link(
                        LayerKind::Enterprises,
                        "e1",
                        hazard(day(2026, 3, 2), day(2026, 3, 30)),
                    ),
                ),
            ],
        );
        let feb = counts_for_enterprise(&ds, "e1", day(2026, 2, 15)).unwrap();
        assert_eq!(
            feb,
            HiddenCounts {
                found: 2,
                open: 2,
                overdue: 1,
                major_open: 1,
                major_overdue: 1,
                closed: 0,
            }
        );
        assert_eq!((feb.general_open(), feb.general_overdue()), (1, 0));
        let mar = counts_by_enterprise(&ds, day(2026, 3, 10));
        assert_eq!(mar.get("e1").map(|c| (c.found, c.overdue)), Some((3, 2)));
        assert_eq!(counts_for_enterprise(&Dataset::default(), "e1", jan), None);
    }

    #[test]
    fn per_area_the_share_closed_and_the_median_days_to_close() {
        use crate::model::Area;
        let ll = |x: f64, y: f64| geo::Geometry::Point(geo::Point::new(x, y));
        let mut ds = Dataset::default();
        let square = |x: f64| {
            geo::Geometry::Polygon(geo::Polygon::new(
                geo::LineString::from(vec![
                    (x, 31.0),
                    (x + 0.1, 31.0),
                    (x + 0.1, 31.1),
                    (x, 31.1),
                    (x, 31.0),
                ]),
                vec![],
            ))
        };
        ds.areas = Layer::new(
            LayerKind::Areas,
            vec![
                feat(
                    "w",
                    square(121.0),
                    Area {
                        name: "西镇".into(),
                        code: None,
                    },
                ),
                feat(
                    "e",
                    square(121.1),
                    Area {
                        name: "东镇".into(),
                        code: None,
                    },
                ),
            ],
        );
        let closed = |found: Day, shut: Day| HiddenHazard {
            discovered: Some(found),
            status: HiddenHazardStatus::Closed,
            rectified: Some(shut),
            verified_by: Some("王某".into()),
            closed: Some(shut),
            ..HiddenHazard::default()
        };
        let d = |m, dd| day(2026, m, dd);
        ds.hidden_hazards = Layer::new(
            LayerKind::HiddenHazards,
            vec![
                // West: closed in 10 and in 31 days, one open.
                feat("a", ll(121.05, 31.05), closed(d(1, 1), d(1, 11))),
                feat("b", ll(121.05, 31.05), closed(d(1, 1), d(2, 1))),
                feat("c", ll(121.05, 31.05), hazard(d(3, 1), d(3, 10))),
                // East: closed in 5 days.
                feat("e", ll(121.15, 31.05), closed(d(2, 1), d(2, 6))),
                // Outside both.
                feat("x", ll(125.0, 31.05), hazard(d(3, 1), d(4, 1))),
            ],
        );
        let on = d(3, 20);
        let rows = by_area(&ds, &states_on(&ds, on));
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["西镇", "东镇", "区域外", "全区"]);
        let w = &rows[0];
        assert_eq!(
            (w.counts.found, w.counts.closed, w.counts.overdue),
            (3, 2, 1)
        );
        assert_eq!(w.closure_rate, Some(2.0 / 3.0));
        // Median of 10 and 31 days.
        assert_eq!(w.median_days_to_close, Some(20.5));
        assert_eq!(rows[1].median_days_to_close, Some(5.0));
        assert_eq!(rows[2].counts.open, 1);
        // The district: 5 found, 3 closed; days 5, 10, 31.
        let all = &rows[3];
        assert_eq!((all.counts.found, all.counts.closed), (5, 3));
        assert_eq!(all.median_days_to_close, Some(10.0));
    }
}
