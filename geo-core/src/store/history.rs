//! The ledgers as they stood on a past day, from a store's audit trail.
//!
//! Every change of a store's row is kept with the feature before and after it
//! ([`super::changes`]). The ledgers at the end of a day are the ledgers of today with
//! every change made since then taken back: for each feature changed after the day, its
//! `before` in the first such change is what it was (none: it did not exist yet). Those
//! features, as a batch of edits ([`reverting`]), take a living map of today back to the
//! day, and its analysis with it (conflicts, levels, grid), by the change path every edit
//! takes.
//!
//! Days end at midnight China Standard Time (UTC+8), the day the ledgers count in; the
//! trail's times are UTC ([`day_end_utc`]). The trail begins with the store's first
//! transaction (its first import, as a rule): what the store held then is the earliest it
//! knows, so that first transaction is never taken back, and a day before it shows the
//! ledgers as first stored — each hidden hazard's state on the day then still follows
//! from its own dates (discovered, rectified, closed).
//!
//! A hidden hazard is often entered after it was found (a ledger caught up with, an
//! inspection written up the week after). Its record says when it was found, and the
//! bureau counts it from then: a hazard added after the day but discovered on or before
//! it is on the day's map as it was first entered, its state that day following from its
//! dates. Every other addition after the day is taken back.

use std::collections::HashSet;

use super::changes::ChangeRecord;
use crate::analysis::hidden_trend::{self, MonthLevels};
use crate::io::{LoadOptions, recorded_feature_from_geojson};
use crate::live::{AnyFeature, Edit, Live};
use crate::model::{Day, LayerKind};

/// Where the trail's time `at` (UTC, ISO 8601) of the end of `day` in UTC+8 falls:
/// `YYYY-MM-DDT16:00:00` of the day, to compare with the first 19 characters of `at`.
pub fn day_end_utc(day: Day) -> String {
    format!("{day}T16:00:00")
}

/// Whether a change made at `at` (UTC, ISO 8601) came after `cutoff` ([`day_end_utc`]).
pub fn after(at: &str, cutoff: &str) -> bool {
    at.get(..19).unwrap_or(at) >= cutoff
}

/// The batch that takes a living map back over some changes of its store.
#[derive(Debug, Clone, Default)]
pub struct Reverting {
    /// One edit per feature: what it was before the first of its changes.
    pub edits: Vec<Edit>,
    /// Change records taken back.
    pub records: usize,
    /// Features that could not be taken back, each with why (a `before` the checks
    /// refuse now, a layer unknown to this version).
    pub skipped: Vec<String>,
}

impl Reverting {
    /// Whether there is nothing to take back.
    pub fn is_empty(&self) -> bool {
        self.edits.is_empty()
    }
}

/// The edits that take `current` (the map served, up to date with `records`) back to
/// `day`: `records` are the changes after its end, in `seq` order. A record of the
/// store's first transaction (`first_at`, the `at` of its first record) is not taken
/// back, nor a hidden hazard's addition that was discovered by `day` (it goes back to
/// what was first entered). Each feature's `before` goes through the checks an edit gets
/// but for a hidden hazard's lifecycle step ([`recorded_feature_from_geojson`]), against
/// `current`'s data.
pub fn reverting(
    records: &[ChangeRecord],
    first_at: Option<&str>,
    current: &Live,
    opts: &LoadOptions,
    day: Day,
) -> Reverting {
    let mut out = Reverting::default();
    let mut seen: HashSet<(LayerKind, &str)> = HashSet::new();
    for r in records {
        if first_at == Some(r.at.as_str()) {
            continue;
        }
        out.records += 1;
        let Some(kind) = LayerKind::from_name(&r.layer).filter(|k| k.is_input()) else {
            out.skipped
                .push(format!("seq {}: no input layer '{}'", r.seq, r.layer));
            continue;
        };
        if !seen.insert((kind, r.id.as_str())) {
            // Its first change after the moment says what it was.
            continue;
        }
        let check = |f: &serde_json::Value| {
            recorded_feature_from_geojson(kind, f, Some(&r.id), current.dataset(), opts)
                .map(|c| c.feature)
                .map_err(|issues| {
                    format!(
                        "seq {}: {} {}: {}",
                        r.seq,
                        r.layer,
                        r.id,
                        issues.first().map_or("refused", |i| i.message.as_str())
                    )
                })
        };
        let then = match (&r.before, &r.after) {
            (Some(f), _) => check(f).map(Some),
            (None, Some(f)) if kind == LayerKind::HiddenHazards => check(f).map(|f| {
                let found = match &f {
                    AnyFeature::HiddenHazard(h) => h.props.discovered,
                    _ => None,
                };
                found.is_some_and(|d| d <= day).then_some(f)
            }),
            (None, _) => Ok(None),
        };
        match then {
            Ok(Some(f)) => out.edits.push(Edit::Put(Box::new(f))),
            Ok(None) => {
                if current.position(kind, &r.id).is_some() {
                    out.edits.push(Edit::Delete {
                        layer: kind,
                        id: r.id.clone(),
                    });
                }
            }
            Err(why) => out.skipped.push(why),
        }
    }
    out
}

/// The records split by the month whose step takes them back ([`month_by_month`]):
/// `spans` are a trend's months ([`hidden_trend::month_spans`]); those after the end of
/// month `k` (its counted day) and not after the end of month `k + 1` go to `k`, those
/// after the last day to the last month. The store's first transaction (`first_at`) is
/// never taken back ([`reverting`]) and is left out here too.
pub fn by_month(
    records: Vec<ChangeRecord>,
    first_at: Option<&str>,
    spans: &[(Day, Day)],
) -> Vec<Vec<ChangeRecord>> {
    let cutoffs: Vec<String> = spans.iter().map(|&(_, end)| day_end_utc(end)).collect();
    let mut out: Vec<Vec<ChangeRecord>> = vec![Vec::new(); spans.len()];
    for r in records {
        if first_at == Some(r.at.as_str()) {
            continue;
        }
        if let Some(k) = cutoffs.iter().rposition(|c| after(&r.at, c))
            && let Some(w) = out.get_mut(k)
        {
            w.push(r);
        }
    }
    out
}

/// The levels at each month's end of a map taken back month by month.
#[derive(Debug, Clone, Default)]
pub struct MonthByMonth {
    /// Per month of the spans, oldest first.
    pub levels: Vec<MonthLevels>,
    /// Change records taken back.
    pub taken_back: usize,
    /// Changes that could not be taken back, and why.
    pub skipped: Vec<String>,
}

/// Takes `live` back month by month, newest first — each step the changes of one
/// window of [`by_month`] (the last, those after the trend's last day) — and counts the
/// enterprises and houses per level at each month's end ([`hidden_trend::levels_on`]).
/// A step whose batch the change path refuses keeps the next month's map, and says why
/// in `skipped`.
pub fn month_by_month(
    mut live: Live,
    windows: &[Vec<ChangeRecord>],
    first_at: Option<&str>,
    opts: &LoadOptions,
    spans: &[(Day, Day)],
) -> MonthByMonth {
    let mut out = MonthByMonth::default();
    for (window, &(_, end)) in windows.iter().zip(spans).rev() {
        let back = reverting(window, first_at, &live, opts, end);
        out.taken_back += back.records;
        out.skipped.extend(back.skipped);
        if !back.edits.is_empty()
            && let Err(e) = live.apply(&back.edits)
        {
            out.skipped.push(format!("{end}: {e}"));
        }
        let rules = live.rules().clone();
        out.levels.push(hidden_trend::levels_on(
            live.dataset(),
            live.analysis(),
            &rules,
            end,
        ));
    }
    out.levels.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_ends_at_midnight_in_china_which_is_four_in_the_afternoon_utc() {
        let day = Day::new(2026, 12, 1).unwrap();
        let cutoff = day_end_utc(day);
        assert_eq!(cutoff, "2026-12-01T16:00:00");
        // 23:59:59.999 on 1 December in Beijing: still the day.
        assert!(!after("2026-12-01T15:59:59.999Z", &cutoff));
        // Midnight in Beijing: the next day.
        assert!(after("2026-12-01T16:00:00.000Z", &cutoff));
        assert!(after("2026-12-02T01:00:00.000Z", &cutoff));
        assert!(!after("2026-11-30T23:00:00.000Z", &cutoff));
    }

    fn rec(seq: u64, at: &str) -> ChangeRecord {
        ChangeRecord {
            seq,
            at: at.into(),
            actor: "t".into(),
            layer: "houses".into(),
            id: format!("H{seq}"),
            op: super::super::changes::ChangeOp::Update,
            before: None,
            after: None,
        }
    }

    #[test]
    fn records_go_to_the_month_that_takes_them_back() {
        let d = |y, m, dd| Day::new(y, m, dd).unwrap();
        // October, November, and December counted on the 3rd.
        let spans = hidden_trend::month_spans(3, d(2026, 12, 3));
        assert_eq!(spans[0], (d(2026, 10, 1), d(2026, 10, 31)));
        let records = vec![
            // The store's first transaction.
            rec(1, "2026-09-01T04:00:00.000Z"),
            // 1 November 08:00 in Beijing: after October's end.
            rec(2, "2026-11-01T00:00:00.000Z"),
            // 30 November 23:59 in Beijing: still November.
            rec(3, "2026-11-30T15:59:00.000Z"),
            // 1 December 00:00 in Beijing: after November's end.
            rec(4, "2026-11-30T16:00:00.000Z"),
            // 4 December in Beijing: after the last day.
            rec(5, "2026-12-03T16:30:00.000Z"),
        ];
        let w = by_month(records, Some("2026-09-01T04:00:00.000Z"), &spans);
        let seqs: Vec<Vec<u64>> = w
            .iter()
            .map(|w| w.iter().map(|r| r.seq).collect())
            .collect();
        assert_eq!(seqs, vec![vec![2, 3], vec![4], vec![5]]);
    }
}
