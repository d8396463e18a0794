//! Output directories that are whole or absent, and the manifest of the run in them.
//!
//! A command that writes a directory (`analyze`, `export`) first checks the destination,
//! before any loading: its parent is made if missing and must take a file (a probe is
//! created and removed). The files are then written into a hidden directory beside the
//! target (`.NAME.tmp-PID`, same parent, so the final rename stays on one file system) and
//! the directory is renamed into place once every file, `run.json` included, is written. An
//! existing target is first renamed aside (`.NAME.old-PID`), the new one renamed in, and the
//! old one removed: a reader sees the old output or the new one, never a mix, and a failed
//! or killed run leaves the old output as it was. An existing target is replaced only when
//! it is empty holds the `run.json` of an earlier run or only
//! files a run writes, so that `--out` never deletes a
//! directory that is not an output.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use riskmap_core::io::{FileStatus, ValidationReport};
use riskmap_core::model::LayerKind;
use riskmap_core::rules::Rules;
use sha2::{Digest, Sha256};

use super::{CliError, Source, write_err};

/// The manifest of a run, written into its output.
pub(crate) const MANIFEST: &str = "run.json";

/// A checked destination, not yet written to.
pub(crate) struct Destination {
    target: PathBuf,
    parent: PathBuf,
    name: String,
}

/// The directory being written; removed unless [`Staging::commit`] moved it into place.
pub(crate) struct Staging {
    dest: Destination,
    tmp: PathBuf,
    committed: bool,
}

fn refuse(path: &Path, why: impl Into<String>) -> CliError {
    CliError::Write {
        path: path.to_path_buf(),
        source: std::io::Error::other(why.into()),
    }
}

impl Destination {
    /// Checks that `target` can be written, before any work: the parent exists (made if
    /// missing) and takes a file, and an existing target is a directory this tool wrote.
    pub(crate) fn check(target: &Path) -> Result<Destination, CliError> {
        let name = target
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| *n != "." && *n != "..")
            .ok_or_else(|| refuse(target, "--out must end in a directory name"))?
            .to_string();
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(write_err(&parent))?;
        let probe = parent.join(format!(".{name}.probe-{}", std::process::id()));
        fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&probe)
            .map_err(write_err(&probe))?;
        fs::remove_file(&probe).map_err(write_err(&probe))?;
        let dest = Destination {
            target: target.to_path_buf(),
            parent,
            name,
        };
        dest.check_replaceable()?;
        Ok(dest)
    }

    fn check_replaceable(&self) -> Result<(), CliError> {
        let t = &self.target;
        let Ok(meta) = fs::symlink_metadata(t) else {
            return Ok(());
        };
        if !meta.is_dir() {
            return Err(refuse(t, "exists and is not a directory"));
        }
        let empty = fs::read_dir(t).map_err(write_err(t))?.next().is_none();
        if empty || t.join(MANIFEST).is_file() || only_output_files(t)? {
            Ok(())
        } else {
            Err(refuse(
                t,
                format!(
                    "exists and is not the output of an earlier run (it has no {MANIFEST}); \
                     name a new directory or remove this one"
                ),
            ))
        }
    }

    /// Makes the hidden directory the files are written into.
    pub(crate) fn stage(self) -> Result<Staging, CliError> {
        let tmp = self
            .parent
            .join(format!(".{}.tmp-{}", self.name, std::process::id()));
        if tmp.exists() {
            fs::remove_dir_all(&tmp).map_err(write_err(&tmp))?;
        }
        fs::create_dir(&tmp).map_err(write_err(&tmp))?;
        Ok(Staging {
            dest: self,
            tmp,
            committed: false,
        })
    }
}

impl Staging {
    /// Where to write the files.
    pub(crate) fn dir(&self) -> &Path {
        &self.tmp
    }

    /// Moves the written directory into place (see the module documentation).
    pub(crate) fn commit(mut self) -> Result<(), CliError> {
        let target = self.dest.target.clone();
        self.dest.check_replaceable()?;
        let old = self
            .dest
            .parent
            .join(format!(".{}.old-{}", self.dest.name, std::process::id()));
        let had_old = fs::symlink_metadata(&target).is_ok();
        if had_old {
            fs::rename(&target, &old).map_err(write_err(&target))?;
        }
        if let Err(e) = fs::rename(&self.tmp, &target) {
            if had_old {
                // Put the old output back; the staging directory is removed on drop.
                let _ = fs::rename(&old, &target);
            }
            return Err(write_err(&target)(e));
        }
        self.committed = true;
        if had_old && let Err(e) = fs::remove_dir_all(&old) {
            tracing::warn!(path = %old.display(), error = %e, "the previous output could not be removed");
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.tmp);
        }
    }
}

/// Whether every entry of `dir` is a file that a run writes (an output of a version that
/// wrote no manifest).
fn only_output_files(dir: &Path) -> Result<bool, CliError> {
    let known = |name: &str| {
        matches!(
            name,
            "summary.json"
                | "area_summaries.json"
                | "hidden_hazards_by_area.json"
                | "validation_report.json"
                | "validation_report.md"
        ) || LayerKind::all().any(|k| name == format!("{}.geojson", k.name()))
    };
    for e in fs::read_dir(dir).map_err(write_err(dir))? {
        let e = e.map_err(write_err(dir))?;
        let is_file = e.file_type().is_ok_and(|t| t.is_file());
        if !is_file || !e.file_name().to_str().is_some_and(known) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Now as an RFC 3339 time in UTC.
pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The SHA-256 of the rules as TOML, in hex: what `run.json` records of a run's rules
/// and a site check cites.
pub(crate) fn rules_sha256(rules: &Rules) -> String {
    rules_toml_sha256(&rules.to_toml_string())
}

fn rules_toml_sha256(toml: &str) -> String {
    hex(&Sha256::digest(toml.as_bytes()))
}

/// Size and SHA-256 of a file, read in blocks.
fn hash_file(path: &Path) -> Result<(u64, String), CliError> {
    let err = |source| CliError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut f = fs::File::open(path).map_err(err)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(err)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        h.update(&buf[..n]);
    }
    Ok((size, hex(&h.finalize())))
}

/// The files a load read: every file the report loaded or skipped, the sidecars of its
/// shapefiles and the data manifest, as paths relative to the data directory.
fn input_files(dir: &Path, report: &ValidationReport) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in &report.files {
        if f.status == FileStatus::Ignored {
            continue;
        }
        out.push(f.file.clone());
        if let Some(stem) = f.file.strip_suffix(".shp").or(f.file.strip_suffix(".SHP")) {
            for ext in ["shx", "dbf", "prj", "cpg", "SHX", "DBF", "PRJ", "CPG"] {
                let side = format!("{stem}.{ext}");
                if dir.join(&side).is_file() {
                    out.push(side);
                }
            }
        }
    }
    if dir.join("riskmap.toml").is_file() {
        out.push("riskmap.toml".into());
    }
    out.sort();
    out.dedup();
    out
}

/// What `run.json` records about the run, filled in as it goes.
pub(crate) struct RunRecord {
    /// The subcommand.
    pub command: &'static str,
    /// When it started.
    pub started: String,
}

impl RunRecord {
    /// A record of a run starting now.
    pub(crate) fn start(command: &'static str) -> RunRecord {
        RunRecord {
            command,
            started: now_rfc3339(),
        }
    }

    /// [`RunRecord::write`] for a command that loaded `load` into `p`.
    pub(crate) fn write_loaded(
        &self,
        staging: &Staging,
        load: &crate::args::LoadArgs,
        p: &riskmap_core::project::Project,
    ) -> Result<(), CliError> {
        self.write(
            staging,
            &super::source(load)?,
            load.rules.as_deref(),
            &p.rules,
            &p.report,
        )
    }

    /// Writes `run.json` into the staging directory, listing every file already in it:
    /// call it after the last output file. `data_dir` is the data source: a directory
    /// (every file the report read is listed) or a GeoPackage (the file is listed).
    pub(crate) fn write(
        &self,
        staging: &Staging,
        source: &Source,
        rules_file: Option<&Path>,
        rules: &Rules,
        report: &ValidationReport,
    ) -> Result<(), CliError> {
        let mut inputs = Vec::new();
        let data_dir = source.name();
        let data_dir = data_dir.as_path();
        if matches!(source, Source::Db(_)) {
            // A database has no file to hash; its tables are named in the report.
        } else if data_dir.is_file() {
            // A GeoPackage: the one file holds every table read.
            let (bytes, sha256) = hash_file(data_dir)?;
            let name = data_dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            inputs.push(serde_json::json!({ "path": name, "bytes": bytes, "sha256": sha256 }));
        } else {
            // A province's inputs are gigabytes in dozens of files: hashed side by side.
            let hashed: Vec<(String, (u64, String))> = input_files(data_dir, report)
                .into_par_iter()
                .map(|rel| hash_file(&data_dir.join(&rel)).map(|h| (rel, h)))
                .collect::<Result<_, _>>()?;
            for (rel, (bytes, sha256)) in hashed {
                inputs.push(serde_json::json!({ "path": rel, "bytes": bytes, "sha256": sha256 }));
            }
        }
        let rules_file = match rules_file {
            Some(p) => {
                let (bytes, sha256) = hash_file(p)?;
                serde_json::json!({ "path": p.display().to_string(), "bytes": bytes, "sha256": sha256 })
            }
            None => serde_json::Value::Null,
        };
        let mut outputs = Vec::new();
        let dir = staging.dir();
        let mut entries: Vec<_> = fs::read_dir(dir)
            .map_err(|source| CliError::Read {
                path: dir.to_path_buf(),
                source,
            })?
            .filter_map(Result::ok)
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let bytes = e
                .metadata()
                .map(|m| m.len())
                .map_err(|source| CliError::Read {
                    path: e.path(),
                    source,
                })?;
            outputs.push(serde_json::json!({
                "path": e.file_name().to_string_lossy(),
                "bytes": bytes,
            }));
        }
        let rules_toml = rules.to_toml_string();
        let manifest = serde_json::json!({
            "riskmap_version": env!("CARGO_PKG_VERSION"),
            "command": self.command,
            "arguments": std::env::args().collect::<Vec<_>>(),
            "started": self.started,
            "finished": now_rfc3339(),
            "data_dir": data_dir.display().to_string(),
            "inputs": inputs,
            "rules_file": rules_file,
            "rules": {
                "sha256": rules_toml_sha256(&rules_toml),
                "toml": rules_toml,
            },
            "outputs": outputs,
        });
        let path = dir.join(MANIFEST);
        let text = serde_json::to_string_pretty(&manifest).unwrap_or_default();
        fs::write(&path, text).map_err(write_err(&path))
    }
}
