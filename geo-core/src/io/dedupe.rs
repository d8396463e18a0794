//! Duplicate ids within a layer: the first feature with an id (in file order) is kept,
//! each other one is skipped and reported with both places. An id written with spaces
//! around it (` house-0000077` beside `house-0000077`, a second row of a store's table
//! that its key tells apart) gives way to the one written as it is, wherever it comes.
//!
//! Ids are found equal by sorting (hash, file, position) in parallel and comparing the
//! ids of equal hashes: a hash table of ten million ids, filled on one thread with a
//! cache miss per insert, took seconds of a province's load.

use std::hash::BuildHasher;

use rayon::prelude::*;

use super::LoadError;
use super::features::Found;
use super::read::{FileReports, LayerFiles};
use super::report::{Issue, IssueCode, Severity};

/// The features of a layer once duplicates are gone, with each one's plan index.
pub(super) struct Kept<P> {
    pub found: Found<P>,
    /// Each kept feature's plan index.
    pub files: Vec<usize>,
}

/// How a skipped duplicate differs from the feature kept, for an office to tell a row
/// entered twice from two records given one id.
fn how_it_differs<P: PartialEq>(
    later: &crate::model::Feature<P>,
    kept: &crate::model::Feature<P>,
) -> &'static str {
    match (later.geometry == kept.geometry, later.props == kept.props) {
        (true, true) => "the same as it (entered twice)",
        (true, false) => "at the same place with other properties",
        (false, true) => "with the same properties at another place",
        (false, false) => "another record at another place",
    }
}

/// Drops later features whose id an earlier one (in file order) already has, reporting
/// each with both positions; sets each file's loaded count.
pub(super) fn dedupe<P: Sync + PartialEq>(
    mut files: LayerFiles<P>,
    reports: &mut FileReports,
) -> Result<Kept<P>, LoadError> {
    let FileReports {
        rels,
        issues,
        summaries,
        strict,
    } = reports;
    let total: usize = files.iter().map(|(_, f)| f.features.len()).sum();
    // Indices to drop, per entry of `files`, ascending.
    let mut drop: Vec<Vec<usize>> = vec![Vec::new(); files.len()];
    for (slot, k, fslot, fk) in duplicates(&files) {
        drop[slot].push(k);
        let spaced = files[slot].1.spaced.binary_search(&(k as u32)).is_ok();
        let (file, found) = &files[slot];
        let f = &found.features[k];
        let (ffile, ffound) = &files[fslot];
        let fpos = ffound.positions[fk];
        let place = if ffile == file {
            format!("{fpos}")
        } else {
            format!(
                "{}, {fpos}",
                rels.get(*ffile).map(String::as_str).unwrap_or("")
            )
        };
        let issue = Issue {
            severity: Severity::Skipped,
            code: IssueCode::DuplicateId,
            file: rels.get(*file).cloned().unwrap_or_default(),
            layer: summaries.get(*file).and_then(|s| s.layer),
            position: Some(found.positions[k]),
            feature_id: Some(f.id.clone()),
            field: None,
            message: if spaced {
                format!(
                    "duplicate id {:?}, written here with spaces around it: the feature at \
                     {place} has it as written; this one, {}, was skipped",
                    f.id,
                    how_it_differs(f, &ffound.features[fk])
                )
            } else {
                format!(
                    "duplicate id {:?}: already used at {place}; this later feature, {}, \
                     was skipped",
                    f.id,
                    how_it_differs(f, &ffound.features[fk])
                )
            },
        };
        if *strict {
            return Err(LoadError::Invalid {
                issue: Box::new(issue),
            });
        }
        if let Some(v) = issues.get_mut(*file) {
            v.push(issue);
        }
    }
    for ((_, found), drop) in files.iter_mut().zip(drop.iter_mut()) {
        // (indices into the features as they were; not kept past here)
        found.spaced = Vec::new();
        if drop.is_empty() {
            continue;
        }
        drop.sort_unstable();
        let mut next = drop.iter().peekable();
        let mut keep = Vec::with_capacity(found.features.len());
        for k in 0..found.features.len() {
            let dropped = next.peek().is_some_and(|&&d| d == k);
            if dropped {
                next.next();
            }
            keep.push(!dropped);
        }
        let mut it = keep.iter();
        found
            .features
            .retain(|_| it.next().copied().unwrap_or(true));
        let mut it = keep.iter();
        found
            .positions
            .retain(|_| it.next().copied().unwrap_or(true));
    }
    let mut kept = Kept {
        found: Found::with_capacity(0),
        files: Vec::with_capacity(total),
    };
    for (file, mut found) in files {
        if let Some(s) = summaries.get_mut(file) {
            s.features_loaded += found.features.len() as u64;
        }
        kept.files
            .extend(std::iter::repeat_n(file, found.features.len()));
        if kept.found.features.is_empty() {
            // The first (often only) file moves in whole, with room for the others: a
            // vector grown file by file copied a province's houses several times over.
            // Also room for the features a living map adds later (`heap::HEADROOM`).
            kept.found = found;
            let more = total.saturating_sub(kept.found.features.len());
            kept.found
                .features
                .reserve_exact(more + crate::heap::room(total));
            kept.found.positions.reserve_exact(more);
        } else {
            kept.found.append(&mut found);
        }
    }
    Ok(kept)
}

/// Every feature whose id another one holds: (slot, position, and the slot and position
/// of the holder), in file order. The holder is the first (in file order) of those
/// with the id whose id was written without spaces around it, else the first.
fn duplicates<P: Sync>(files: &LayerFiles<P>) -> Vec<(usize, usize, usize, usize)> {
    let hasher = &foldhash::fast::FixedState::default();
    let id = |slot: usize, k: usize| files[slot].1.features[k].id.as_str();
    let mut keys: Vec<(u64, u32, u32)> = files
        .par_iter()
        .enumerate()
        .flat_map_iter(|(slot, (_, found))| {
            found
                .features
                .iter()
                .enumerate()
                .map(move |(k, f)| (hasher.hash_one(f.id.as_str()), slot as u32, k as u32))
        })
        .collect();
    // (hash, slot, position): equal ids are next to each other, in file order.
    keys.par_sort_unstable();
    let mut out = Vec::new();
    let spaced = |slot: usize, k: usize| files[slot].1.spaced.binary_search(&(k as u32)).is_ok();
    for run in keys.chunk_by(|a, b| a.0 == b.0).filter(|r| r.len() > 1) {
        let run: Vec<(usize, usize)> = run
            .iter()
            .map(|&(_, slot, k)| (slot as usize, k as usize))
            .collect();
        for (j, &(slot, k)) in run.iter().enumerate() {
            // (each id once: at its first in the run)
            if run[..j].iter().any(|&(s, x)| id(s, x) == id(slot, k)) {
                continue;
            }
            let same: Vec<(usize, usize)> = run[j..]
                .iter()
                .copied()
                .filter(|&(s, x)| id(s, x) == id(slot, k))
                .collect();
            // A third copy names the holder, not the second.
            let holder = same
                .iter()
                .copied()
                .find(|&(s, x)| !spaced(s, x))
                .unwrap_or(same[0]);
            out.extend(
                same.into_iter()
                    .filter(|&c| c != holder)
                    .map(|(s, x)| (s, x, holder.0, holder.1)),
            );
        }
    }
    out.sort_unstable();
    out
}

#[cfg(test)]
mod tests {
    use geo::{Geometry, Point};

    use super::*;
    use crate::io::report::Position;
    use crate::model::{Feature, SourceRef};

    fn file(ids: &[&str]) -> Found<()> {
        Found {
            features: ids
                .iter()
                .map(|id| Feature {
                    id: (*id).to_string(),
                    geometry: Geometry::Point(Point::new(0.0, 0.0)),
                    props: (),
                    source: SourceRef::default(),
                })
                .collect(),
            positions: (0..ids.len() as u64).map(Position::Feature).collect(),
            spaced: Vec::new(),
        }
    }

    // Worked by hand: "a" first at file 0, position 1; its copies at file 1, position 0
    // and file 2, position 2 both name that first one; "b" twice in file 2.
    #[test]
    fn every_later_copy_names_the_first_holder_in_file_order() {
        let files: LayerFiles<()> = vec![
            (0, file(&["x", "a", "y"])),
            (1, file(&["a", "z"])),
            (2, file(&["b", "w", "a", "b"])),
        ];
        assert_eq!(
            duplicates(&files),
            vec![(1, 0, 0, 1), (2, 2, 0, 1), (2, 3, 2, 0)]
        );
        let none: LayerFiles<()> = vec![(0, file(&["p", "q"])), (1, file(&["r"]))];
        assert!(duplicates(&none).is_empty());
    }

    // Worked by hand: "a" at file 0, position 0 was written with spaces around it (so
    // it gives way), as was "b" at file 1, position 1; file 1's "a" (position 0) is
    // written as it is and holds it, and so does file 1's last "b" (position 3) over the
    // earlier spaced one, a third copy of "a" (file 1, position 2) naming the holder.
    #[test]
    fn an_id_written_with_spaces_gives_way_to_one_written_as_it_is() {
        let mut first = file(&["a", "x"]);
        first.spaced = vec![0];
        let mut second = file(&["a", "b", "a", "b"]);
        second.spaced = vec![1];
        let files: LayerFiles<()> = vec![(0, first), (1, second)];
        assert_eq!(
            duplicates(&files),
            vec![(0, 0, 1, 0), (1, 1, 1, 3), (1, 2, 1, 0)]
        );
    }
}
