//! Where the served data comes from — a data folder, a GeoPackage or a PostGIS store —
//! and how it is read, at the start and at every reload.

use std::path::PathBuf;

use riskmap_core::io::{self, LoadOptions};
use riskmap_core::store::stamp::FileStamp;

/// Where the served data comes from, and how to read it (the command line's load options,
/// used again at every reload).
#[derive(Debug, Clone)]
pub struct DataSource {
    /// The data directory, or the GeoPackage, read again at every reload; for a database,
    /// its URL without the password (how messages name it).
    pub dir: PathBuf,
    /// A PostGIS store instead of a path: read at every reload, and followed while
    /// serving by its change notifications.
    pub db: Option<DbUrl>,
    /// How to load it.
    pub load: LoadOptions,
}

/// A database's connection string, which may hold a password: `Debug` shows it without.
#[derive(Clone)]
pub struct DbUrl(String);

impl DbUrl {
    /// The connection string as given.
    pub fn new(url: impl Into<String>) -> DbUrl {
        DbUrl(url.into())
    }

    /// The whole string, password included: for connecting only, never for messages.
    pub fn secret(&self) -> &str {
        &self.0
    }

    /// Without the password.
    pub fn shown(&self) -> String {
        riskmap_core::store::pg::Db::new(&self.0)
            .shown()
            .to_string()
    }
}

impl std::fmt::Debug for DbUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown())
    }
}

impl DataSource {
    /// What the source is (`directory`, `gpkg` or `postgis`), for `/health`; `unreadable`
    /// when the path is neither.
    pub fn kind(&self) -> &'static str {
        if self.db.is_some() {
            return "postgis";
        }
        riskmap_core::project::SourceKind::of(&self.dir).map_or("unreadable", |k| k.name())
    }

    /// The folder's or file's name, without the rest of its path; a database's URL
    /// without its password.
    pub fn name(&self) -> String {
        if let Some(db) = &self.db {
            return db.shown();
        }
        self.dir.file_name().map_or_else(
            || self.dir.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    }

    /// A directory read with the default options.
    pub fn dir(dir: impl Into<PathBuf>) -> DataSource {
        DataSource {
            dir: dir.into(),
            db: None,
            load: LoadOptions::default(),
        }
    }

    /// A PostGIS store read with the default options.
    pub fn database(url: impl Into<String>) -> DataSource {
        let url = DbUrl::new(url);
        DataSource {
            dir: PathBuf::from(url.shown()),
            db: Some(url),
            load: LoadOptions::default(),
        }
    }

    /// For a GeoPackage source, the file's stamp now (none for a folder or a database).
    pub fn file_stamp(&self) -> Option<FileStamp> {
        (self.db.is_none() && riskmap_core::store::gpkg::looks_like_sqlite(&self.dir))
            .then(|| FileStamp::of(&self.dir))
    }

    /// For a GeoPackage source, the file's stamp now, the last record of its trail and
    /// its last mark of a changed row (0 when it has none, or it cannot be read: the
    /// loading says why).
    pub fn file_state(&self) -> Option<(FileStamp, u64, i64)> {
        let stamp = self.file_stamp()?;
        let trail = riskmap_core::store::gpkg::last_change_seq(&self.dir).unwrap_or(0);
        let marks = riskmap_core::store::touched::tracking(&self.dir).map_or(0, |t| t.upto);
        Some((stamp, trail, marks))
    }

    /// Reads the source through the loaders (blocking: run it off the async runtime; a
    /// database is read on a runtime of its own). For a database, also the number of
    /// the last change recorded before the read: the read has everything up to it.
    pub fn load(&self) -> Result<(io::Loaded, Option<i64>), io::LoadError> {
        let Some(url) = &self.db else {
            return riskmap_core::project::load_source(&self.dir, &self.load).map(|l| (l, None));
        };
        let store_err = |e: riskmap_core::store::StoreError| io::LoadError::Store {
            path: self.dir.clone(),
            source: Box::new(e),
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| io::LoadError::Io {
                file: self.dir.display().to_string(),
                source: e,
            })?;
        rt.block_on(async {
            use riskmap_core::store::pg;
            let (client, db) = pg::connect(url.secret()).await.map_err(store_err)?;
            let seq = pg::last_change(&client, &db).await.map_err(store_err)?;
            let mut loaded = pg::load(&client, &db, &self.load).await?;
            // A row the checks refuse is served as the change table last had it in a
            // state they pass, as the running server kept it (`refused_rows`); one query
            // a layer, and a failure to read them costs only those rows.
            let refused = super::refused_rows::refused_ids(&loaded);
            let mut states = std::collections::BTreeMap::new();
            for (kind, ids) in &refused {
                let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
                match pg::recorded_states(&client, &db, *kind, &ids).await {
                    Ok(s) => {
                        states.insert(*kind, s);
                    }
                    Err(e) => tracing::warn!(
                        layer = kind.name(),
                        error = %e,
                        "the recorded states of refused rows could not be read: those rows \
                         are not served"
                    ),
                }
            }
            super::refused_rows::put_back(&mut loaded, &self.load, refused, |kind, _| {
                Ok(states.remove(&kind).unwrap_or_default())
            });
            Ok((loaded, Some(seq)))
        })
    }
}
