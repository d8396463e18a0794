//! Area summaries kept by shares ([`AreaTally`]): after a batch, the shares of the
//! features recomputed, of the conflicts that came and went and of the cells that changed
//! are taken out and put in again; nothing is summed over every house.

use std::collections::BTreeSet;

use geo::Coord;

use super::Live;
use super::deps::{Dirty, push_box};
use crate::analysis::risk_grid::area_index;
use crate::analysis::risk_grid::tally::{AreaTally, Kept};
use crate::analysis::{PipelineConflict, ProtectionConflict};
use crate::model::LayerKind;

/// Points whose area is remembered, at most (a few megabytes).
const AREA_MEMO_MAX: usize = 200_000;

/// What a batch changed that the summaries follow.
#[derive(Default)]
pub(super) struct Shares<'a> {
    /// Positions of the features of each kept layer recomputed, changed or moved.
    pub features: Vec<(Kept, BTreeSet<usize>)>,
    /// Protection conflicts that went.
    pub gone_p: &'a [ProtectionConflict],
    /// Protection conflicts that came.
    pub new_p: &'a [ProtectionConflict],
    /// Pipeline conflicts that went.
    pub gone_q: &'a [PipelineConflict],
    /// Pipeline conflicts that came.
    pub new_q: &'a [PipelineConflict],
}

impl Live {
    /// The tally of the whole analysis, from nothing.
    pub(super) fn tally_all(&mut self) {
        self.area_memo.clear();
        let (ds, memo) = (&self.ds, &mut self.area_memo);
        let mut locate = |c: Coord<f64>| {
            *memo
                .entry((c.x.to_bits(), c.y.to_bits()))
                .or_insert_with(|| area_index(ds, geo::Point::from(c)))
        };
        self.tally = AreaTally::build(ds, &self.analysis, &self.house_slots, &mut locate);
    }

    /// Follows a batch's changes in the tally, then writes the summaries that changed;
    /// an area's box is dirty only when its level changed, the one figure of a summary
    /// its tiles show (the rest is read through the API, which every batch answers anew).
    pub(super) fn retally(&mut self, s: Shares, dirty: &mut Dirty) {
        // The area of a point depends on the areas alone (an area change re-analyses
        // everything): points met before are not located again. Points of features that
        // moved stay in the memo; it is emptied when it grows past a bound.
        if self.area_memo.len() > AREA_MEMO_MAX {
            self.area_memo.clear();
        }
        let (ds, an, slots) = (&self.ds, &self.analysis, &self.house_slots);
        let (memo, tally) = (&mut self.area_memo, &mut self.tally);
        let mut locate = |c: Coord<f64>| {
            *memo
                .entry((c.x.to_bits(), c.y.to_bits()))
                .or_insert_with(|| area_index(ds, geo::Point::from(c)))
        };
        for (k, positions) in &s.features {
            for &p in positions {
                tally.refresh(*k, p, ds, an, slots, &mut locate);
            }
        }
        for c in s.gone_p {
            tally.sub_protection(c, ds, &mut locate);
        }
        for c in s.new_p {
            tally.add_protection(c, ds, &mut locate);
        }
        for c in s.gone_q {
            tally.sub_pipeline(c, ds, &mut locate);
        }
        for c in s.new_q {
            tally.add_pipeline(c, ds, &mut locate);
        }
        let summaries = tally.summaries(ds, an, &self.rules.grid);
        for (i, s) in summaries.iter().enumerate() {
            if self
                .analysis
                .area_summaries
                .get(i)
                .map(|o| (&o.id, o.level))
                != Some((&s.id, s.level))
                && let Some(a) = self.ds.areas.get(i)
            {
                push_box(dirty, LayerKind::Areas, &a.geometry);
            }
        }
        self.analysis.area_summaries = summaries;
    }
}
