//! Finding what a data directory holds: its `riskmap.toml`, every file below it (in
//! name order), the manifest entries that name no file, and the Shapefile parts that go
//! with a `.shp` and are not files of their own.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::manifest::{self, MANIFEST_FILE, Manifest};
use super::report::{Issue, IssueCode, Sink};
use super::{LoadError, text};

/// Shapefile parts other than the .shp: not listed as ignored when their .shp is there.
const SIDECARS: &[&str] = &[
    "dbf", "shx", "prj", "cpg", "sbn", "sbx", "qix", "fbn", "fbx", "ain", "aih", "atx", "ixs",
    "mxs", "qmd", "qpj", "xml",
];

/// What a data directory holds.
pub(super) struct Found {
    /// Its `riskmap.toml`, or the default when there is none.
    pub manifest: Manifest,
    /// Each file to plan, with its path relative to the directory (`/`-separated), in
    /// name order; the manifest itself and Shapefile parts are left out.
    pub files: Vec<(PathBuf, String)>,
}

/// Reads the manifest and lists the files of `dir`; the manifest's issues and its
/// entries that name no file go to `head`.
pub(super) fn discover(dir: &Path, head: &mut Sink) -> Result<Found, LoadError> {
    let manifest = read_manifest(dir)?;
    for i in manifest.issues.iter().cloned() {
        head.push(i)?;
    }
    let mut files = Vec::new();
    walk(dir, &mut files).map_err(|source| LoadError::Dir {
        path: dir.to_path_buf(),
        source,
    })?;
    files.sort();
    let rels: Vec<String> = files.iter().map(|p| rel_path(dir, p)).collect();
    let present: HashSet<&str> = rels.iter().map(String::as_str).collect();
    // Paths named in the manifest that are not there: likely a typo or a moved file.
    for e in &manifest.files {
        let is_dir = dir.join(&e.path).is_dir();
        if !is_dir && !present.contains(e.path.as_str()) {
            head.push(Issue::file_warning(
                MANIFEST_FILE,
                e.layer,
                IssueCode::ManifestMissingFile,
                Some(format!("files.{}", e.path)),
                None,
                format!(
                    "{:?} is not in the data directory; the entry was not used",
                    e.path
                ),
            ))?;
        }
    }
    let shp_stems: HashSet<String> = rels
        .iter()
        .filter(|r| r.to_ascii_lowercase().ends_with(".shp"))
        .map(|r| r[..r.len() - 4].to_string())
        .collect();
    let files = files
        .into_iter()
        .zip(rels)
        .filter(|(_, rel)| rel != MANIFEST_FILE && !is_sidecar(rel, &shp_stems))
        .collect();
    Ok(Found { manifest, files })
}

/// The directory's `riskmap.toml`; the default when there is none.
fn read_manifest(dir: &Path) -> Result<Manifest, LoadError> {
    match std::fs::read(dir.join(MANIFEST_FILE)) {
        Ok(bytes) => {
            let decoded = text::decode(&bytes, None);
            manifest::parse(&decoded.text, MANIFEST_FILE)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Manifest::default()),
        Err(source) => Err(LoadError::Io {
            file: MANIFEST_FILE.into(),
            source,
        }),
    }
}

/// Whether a file is a part of a Shapefile whose `.shp` is there (`a.dbf` or
/// `a.shp.xml` next to `a.shp`).
fn is_sidecar(rel: &str, shp_stems: &HashSet<String>) -> bool {
    let Some((stem, ext)) = rel.rsplit_once('.') else {
        return false;
    };
    SIDECARS.contains(&ext.to_ascii_lowercase().as_str())
        && (shp_stems.contains(stem)
            || stem.to_ascii_lowercase().ends_with(".shp")
                && shp_stems.contains(&stem[..stem.len() - 4]))
}

/// Every file under `dir`, recursively.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

fn rel_path(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .unwrap_or(p)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}
