//! Which database changes the served map holds, by number: those the follower applied,
//! and the API's own edits served beside their transactions. `served_seq` is only a
//! high-water mark, and transactions commit out of the order of their change numbers (a
//! number is taken at the row's change, the notification comes at commit), so a
//! later-numbered change of another client can be served while an earlier one is still
//! on its way. An edit through the API checks the feature's changes after `served_seq`
//! against these, so that a change the map already holds does not make it stale.

use std::collections::BTreeSet;

/// The database changes applied, by number: every one up to `floor` (a full reading,
/// or numbers too old to keep), and those above it one by one.
#[derive(Debug, Default)]
pub struct AppliedSeqs {
    floor: i64,
    seqs: BTreeSet<i64>,
}

/// Change numbers kept one by one above the floor.
const APPLIED_KEPT: usize = 100_000;

impl AppliedSeqs {
    /// Everything up to `floor` applied.
    pub fn from_floor(floor: i64) -> AppliedSeqs {
        AppliedSeqs {
            floor,
            seqs: BTreeSet::new(),
        }
    }

    /// Whether change `seq` is applied.
    pub fn covers(&self, seq: i64) -> bool {
        seq <= self.floor || self.seqs.contains(&seq)
    }

    pub(super) fn add(&mut self, seqs: impl IntoIterator<Item = i64>) {
        self.seqs
            .extend(seqs.into_iter().filter(|s| *s > self.floor));
        while self.seqs.len() > APPLIED_KEPT {
            if let Some(s) = self.seqs.pop_first() {
                self.floor = self.floor.max(s);
            }
        }
    }

    pub(super) fn raise_floor(&mut self, floor: i64) {
        if floor > self.floor {
            self.floor = floor;
            self.seqs = self.seqs.split_off(&(floor + 1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_later_number_served_first_does_not_cover_an_earlier_one() {
        let mut a = AppliedSeqs::from_floor(10);
        assert!(a.covers(10) && a.covers(3));
        // Change 12 (another client's) is applied before change 11 (an edit's).
        a.add([12]);
        assert!(a.covers(12));
        assert!(!a.covers(11), "11 is not applied yet");
        a.add([11]);
        assert!(a.covers(11));
        // A full reading at 20 holds everything up to 20.
        a.raise_floor(20);
        assert!(a.covers(15) && a.covers(20) && !a.covers(21));
        a.add([5, 22]);
        assert!(a.covers(22) && !a.covers(21));
    }

    #[test]
    fn old_numbers_fold_into_the_floor() {
        let mut a = AppliedSeqs::from_floor(0);
        a.add((1..=(APPLIED_KEPT as i64 + 10)).map(|s| s * 2));
        assert_eq!(a.seqs.len(), APPLIED_KEPT);
        // The ten oldest folded into the floor (and the odd numbers below it with them).
        assert_eq!(a.floor, 20);
        assert!(a.covers(19) && a.covers(22) && !a.covers(23));
    }
}
