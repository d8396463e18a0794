//! Duplicate ids within a layer: the first feature with an id (in file order) is kept,
//! each later one is skipped and reported with both places. Ids are hashed with a fast
//! hash, as a million houses are checked on every load.

use std::collections::HashMap;

use super::LoadError;
use super::features::Found;
use super::read::{FileReports, LayerFiles};
use super::report::{Issue, IssueCode, Severity};

/// A fast hash for ids (a word at a time, as in rustc's FxHash): the default SipHash is
/// built to resist flooding, which ids from one's own ledgers do not call for, and
/// costs a tenth of a second per million features.
#[derive(Clone, Copy, Default)]
struct IdHash;

impl std::hash::BuildHasher for IdHash {
    type Hasher = IdHasher;
    fn build_hasher(&self) -> IdHasher {
        IdHasher(0)
    }
}

struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(i)).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    fn finish(&self) -> u64 {
        // The table indexes by the low bits, which a multiply leaves depending on the
        // first bytes only ("H0000001", "H0000002", … would collide): mix them down
        // (MurmurHash3's finaliser).
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

/// The features of a layer once duplicates are gone, with each one's plan index.
pub(super) struct Kept<P> {
    pub found: Found<P>,
    /// Each kept feature's plan index.
    pub files: Vec<usize>,
}

/// Drops later features whose id an earlier one (in file order) already has, reporting
/// each with both positions; sets each file's loaded count.
pub(super) fn dedupe<P>(
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
    {
        let mut seen: HashMap<&str, (usize, usize), IdHash> =
            HashMap::with_capacity_and_hasher(total, IdHash);
        for (slot, (file, found)) in files.iter().enumerate() {
            for (k, f) in found.features.iter().enumerate() {
                let Some(&(fslot, fk)) = seen.get(f.id.as_str()) else {
                    seen.insert(f.id.as_str(), (slot, k));
                    continue;
                };
                drop[slot].push(k);
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
                    message: format!(
                        "duplicate id {:?}: already used at {place}; this later feature was skipped",
                        f.id
                    ),
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
        }
    }
    for ((_, found), drop) in files.iter_mut().zip(&drop) {
        if drop.is_empty() {
            continue;
        }
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
            // The first (often only) file moves in whole.
            kept.found = found;
        } else {
            kept.found.append(&mut found);
        }
    }
    Ok(kept)
}
