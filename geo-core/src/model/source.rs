//! Where a feature came from: a file (or a store's table) and a position in it, in 8
//! bytes a feature.
//!
//! A province holds ten million houses, each with the name of the file it came from. The
//! names are few (one per file read), so each is held once for the process and a feature
//! keeps its number ([`SourceFile`]): a shared `Arc<str>` and a `u64` position took 24
//! bytes a feature, 16 more than this.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock, RwLock};

use serde::{Deserialize, Serialize};

/// A file's name as features point to it: a number into the names the process has met
/// (never forgotten; a program reads a few files, a server the same ones again: name
/// only files and tables here, never text a client sends). The default is the empty
/// name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SourceFile(u32);

/// The names met, by number, and the number of each.
#[derive(Default)]
struct Names {
    names: Vec<Arc<str>>,
    numbers: HashMap<Arc<str>, u32>,
}

fn names() -> &'static RwLock<Names> {
    static NAMES: OnceLock<RwLock<Names>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let empty: Arc<str> = Arc::from("");
        RwLock::new(Names {
            names: vec![Arc::clone(&empty)],
            numbers: HashMap::from([(empty, 0)]),
        })
    })
}

impl SourceFile {
    /// The number of `name`, given it now if it is new. Past 4,294,967,295 names (no
    /// process meets as many) a new one is kept as the empty name.
    pub fn named(name: &str) -> SourceFile {
        let lock = names();
        if let Some(&n) = lock
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .numbers
            .get(name)
        {
            return SourceFile(n);
        }
        let mut w = lock.write().unwrap_or_else(|p| p.into_inner());
        if let Some(&n) = w.numbers.get(name) {
            return SourceFile(n);
        }
        let Ok(n) = u32::try_from(w.names.len()) else {
            return SourceFile(0);
        };
        let name: Arc<str> = Arc::from(name);
        w.names.push(Arc::clone(&name));
        w.numbers.insert(name, n);
        SourceFile(n)
    }

    /// The name.
    pub fn name(self) -> Arc<str> {
        let r = names().read().unwrap_or_else(|p| p.into_inner());
        r.names
            .get(self.0 as usize)
            .map_or_else(|| Arc::from(""), Arc::clone)
    }
}

/// Where a feature came from, so that every message and result can point back to it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(into = "Written", from = "Written")]
pub struct SourceRef {
    file: SourceFile,
    position: u32,
}

impl SourceRef {
    /// Feature `position` of `file`: the zero-based feature index (GeoJSON, Shapefile),
    /// the one-based line or row (CSV, Excel), or a store's row key (a GeoPackage fid, a
    /// PostGIS row number). A position past 4,294,967,295 is kept as that number: no
    /// ledger held in memory has as many features, but a store's keys can pass it (after
    /// many deletions and inserts), and such a feature then points to its table alone.
    pub fn new(file: SourceFile, position: u64) -> SourceRef {
        SourceRef {
            file,
            position: u32::try_from(position).unwrap_or(u32::MAX),
        }
    }

    /// [`SourceRef::new`] in the file named `name`.
    pub fn in_file(name: &str, position: u64) -> SourceRef {
        SourceRef::new(SourceFile::named(name), position)
    }

    /// The file's name, as given (relative to the data directory where possible).
    pub fn file(&self) -> Arc<str> {
        self.file.name()
    }

    /// The file.
    pub fn source_file(&self) -> SourceFile {
        self.file
    }

    /// The position in the file (see [`SourceRef::new`]).
    pub fn position(&self) -> u64 {
        u64::from(self.position)
    }
}

impl fmt::Debug for SourceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceRef")
            .field("file", &self.file())
            .field("position", &self.position)
            .finish()
    }
}

/// A [`SourceRef`] as it is written out: the file's name and the position.
#[derive(Clone, Serialize, Deserialize)]
struct Written {
    file: String,
    position: u64,
}

impl From<SourceRef> for Written {
    fn from(s: SourceRef) -> Written {
        Written {
            file: s.file().to_string(),
            position: s.position(),
        }
    }
}

impl From<Written> for SourceRef {
    fn from(w: Written) -> SourceRef {
        SourceRef::in_file(&w.file, w.position)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn a_name_is_held_once_and_given_back() {
        let a = SourceRef::in_file("a-file-only-this-test-reads.csv", 7);
        let b = SourceRef::in_file("a-file-only-this-test-reads.csv", 9);
        assert_eq!(a.source_file(), b.source_file());
        assert_eq!(&*a.file(), "a-file-only-this-test-reads.csv");
        assert_eq!((a.position(), b.position()), (7, 9));
        assert_ne!(
            SourceFile::named("another-file-only-this-test-reads.csv"),
            a.source_file()
        );
        // The default is the empty name at position 0.
        assert_eq!(&*SourceRef::default().file(), "");
        assert_eq!(SourceRef::default().position(), 0);
        assert_eq!(SourceRef::default(), SourceRef::in_file("", 0));
        // Past u32, the largest position.
        assert_eq!(
            SourceRef::in_file("x", 1 << 40).position(),
            u64::from(u32::MAX)
        );
        // 8 bytes a feature.
        assert_eq!(std::mem::size_of::<SourceRef>(), 8);
        // Written out as the name and the position, and read back.
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(
            json,
            r#"{"file":"a-file-only-this-test-reads.csv","position":7}"#
        );
        let back: SourceRef = serde_json::from_str(&json).unwrap();
        assert_eq!(back, a);
        assert_eq!(
            format!("{a:?}"),
            r#"SourceRef { file: "a-file-only-this-test-reads.csv", position: 7 }"#
        );
    }
}
