//! The GeoPackage tables: the required metadata tables, feature tables with their R-tree
//! spatial index (extension `gpkg_rtree_index`), and the SQL functions its triggers call.

use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, params};

use super::wkb;

/// `PRAGMA application_id` of a GeoPackage: "GPKG".
pub const APPLICATION_ID: i32 = 0x4750_4B47;
/// `PRAGMA user_version` of GeoPackage 1.3.0: the version whose R-tree triggers (insert,
/// update1–4, delete) the store writes, and the newest that GDAL before 3.7 knows.
pub const USER_VERSION: i32 = 10300;
/// The SRS of every geometry the store writes (lon/lat; CGCS2000 differs by centimetres).
pub const SRS_ID: i32 = 4326;

const WGS84: &str = r#"GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]"#;
const CGCS2000: &str = r#"GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101,AUTHORITY["EPSG","1024"]],AUTHORITY["EPSG","1043"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4490"]]"#;

/// Creates the metadata tables a GeoPackage requires (and those of the schema extension,
/// which marks JSON columns), with the required SRS rows and CGCS2000.
pub fn create_core(c: &Connection) -> rusqlite::Result<()> {
    c.execute_batch(&format!(
        "PRAGMA application_id = {APPLICATION_ID};
         PRAGMA user_version = {USER_VERSION};
         CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
           srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY,
           organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
           definition TEXT NOT NULL, description TEXT);
         CREATE TABLE IF NOT EXISTS gpkg_contents (
           table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
           identifier TEXT UNIQUE, description TEXT DEFAULT '',
           last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
           min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
           CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
         CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
           table_name TEXT NOT NULL, column_name TEXT NOT NULL,
           geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL,
           z TINYINT NOT NULL, m TINYINT NOT NULL,
           CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
           CONSTRAINT uk_gc_table_name UNIQUE (table_name),
           CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
           CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
         CREATE TABLE IF NOT EXISTS gpkg_extensions (
           table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
           definition TEXT NOT NULL, scope TEXT NOT NULL,
           CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
         CREATE TABLE IF NOT EXISTS gpkg_data_columns (
           table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, title TEXT,
           description TEXT, mime_type TEXT, constraint_name TEXT,
           CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),
           CONSTRAINT gdc_tn UNIQUE (table_name, name));
         CREATE TABLE IF NOT EXISTS gpkg_data_column_constraints (
           constraint_name TEXT NOT NULL, constraint_type TEXT NOT NULL, value TEXT,
           min NUMERIC, min_is_inclusive BOOLEAN, max NUMERIC, max_is_inclusive BOOLEAN,
           description TEXT,
           CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value));
         -- The UNIQUE constraint does not hold rows with a NULL column_name apart.
         INSERT INTO gpkg_extensions
           SELECT t, NULL, 'gpkg_schema',
                  'http://www.geopackage.org/spec/#extension_schema', 'read-write'
           FROM (SELECT 'gpkg_data_columns' AS t UNION ALL
                 SELECT 'gpkg_data_column_constraints')
           WHERE NOT EXISTS (SELECT 1 FROM gpkg_extensions
                             WHERE table_name = t AND extension_name = 'gpkg_schema');"
    ))?;
    let mut ins = c.prepare("INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES (?,?,?,?,?,?)")?;
    ins.execute(params![
        "Undefined cartesian SRS",
        -1,
        "NONE",
        -1,
        "undefined",
        "undefined cartesian coordinate reference system"
    ])?;
    ins.execute(params![
        "Undefined geographic SRS",
        0,
        "NONE",
        0,
        "undefined",
        "undefined geographic coordinate reference system"
    ])?;
    ins.execute(params![
        "WGS 84 geodetic",
        4326,
        "EPSG",
        4326,
        WGS84,
        "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid"
    ])?;
    ins.execute(params![
        "China Geodetic Coordinate System 2000",
        4490,
        "EPSG",
        4490,
        CGCS2000,
        "CGCS2000 longitude/latitude in decimal degrees"
    ])?;
    Ok(())
}

/// Quotes an SQL identifier.
pub fn q(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Whether a table (or view) of this name exists.
pub fn table_exists(c: &Connection, name: &str) -> rusqlite::Result<bool> {
    c.prepare_cached("SELECT 1 FROM sqlite_master WHERE type IN ('table','view') AND name = ?")?
        .query_row([name], |_| Ok(()))
        .optional()
        .map(|o| o.is_some())
}

/// Creates the R-tree of `table`'s geometry column, its triggers (GeoPackage 1.3 annex
/// F.3; they call the functions of [`register_functions`]) and its extension row.
pub fn create_rtree(c: &Connection, table: &str, geom: &str, pk: &str) -> rusqlite::Result<()> {
    let rt = q(&format!("rtree_{table}_{geom}"));
    let trg = |s: &str| q(&format!("rtree_{table}_{geom}_{s}"));
    let (t, g, i) = (q(table), q(geom), q(pk));
    let values =
        format!("NEW.{i}, ST_MinX(NEW.{g}), ST_MaxX(NEW.{g}), ST_MinY(NEW.{g}), ST_MaxY(NEW.{g})");
    c.execute_batch(&format!(
        "CREATE VIRTUAL TABLE {rt} USING rtree(id, minx, maxx, miny, maxy);
         CREATE TRIGGER {ins} AFTER INSERT ON {t}
           WHEN (NEW.{g} NOT NULL AND NOT ST_IsEmpty(NEW.{g}))
         BEGIN INSERT OR REPLACE INTO {rt} VALUES ({values}); END;
         CREATE TRIGGER {u1} AFTER UPDATE OF {g} ON {t}
           WHEN OLD.{i} = NEW.{i} AND (NEW.{g} NOTNULL AND NOT ST_IsEmpty(NEW.{g}))
         BEGIN INSERT OR REPLACE INTO {rt} VALUES ({values}); END;
         CREATE TRIGGER {u2} AFTER UPDATE OF {g} ON {t}
           WHEN OLD.{i} = NEW.{i} AND (NEW.{g} ISNULL OR ST_IsEmpty(NEW.{g}))
         BEGIN DELETE FROM {rt} WHERE id = OLD.{i}; END;
         CREATE TRIGGER {u3} AFTER UPDATE ON {t}
           WHEN OLD.{i} != NEW.{i} AND (NEW.{g} NOTNULL AND NOT ST_IsEmpty(NEW.{g}))
         BEGIN DELETE FROM {rt} WHERE id = OLD.{i};
               INSERT OR REPLACE INTO {rt} VALUES ({values}); END;
         CREATE TRIGGER {u4} AFTER UPDATE ON {t}
           WHEN OLD.{i} != NEW.{i} AND (NEW.{g} ISNULL OR ST_IsEmpty(NEW.{g}))
         BEGIN DELETE FROM {rt} WHERE id IN (OLD.{i}, NEW.{i}); END;
         CREATE TRIGGER {del} AFTER DELETE ON {t} WHEN OLD.{g} NOT NULL
         BEGIN DELETE FROM {rt} WHERE id = OLD.{i}; END;",
        ins = trg("insert"),
        u1 = trg("update1"),
        u2 = trg("update2"),
        u3 = trg("update3"),
        u4 = trg("update4"),
        del = trg("delete"),
    ))?;
    c.execute(
        "INSERT OR IGNORE INTO gpkg_extensions VALUES (?, ?, 'gpkg_rtree_index',
           'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
        [table, geom],
    )?;
    Ok(())
}

/// Registers `ST_MinX`, `ST_MaxX`, `ST_MinY`, `ST_MaxY` and `ST_IsEmpty` on GeoPackage
/// geometry blobs, which the R-tree triggers call. A blob that is not a geometry gives NULL.
pub fn register_functions(c: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    for (name, which) in [
        ("ST_MinX", 0),
        ("ST_MaxX", 1),
        ("ST_MinY", 2),
        ("ST_MaxY", 3),
    ] {
        c.create_scalar_function(name, 1, flags, move |ctx| {
            Ok(match ctx.get_raw(0) {
                ValueRef::Blob(b) => envelope(b).map(|e| e[which]),
                _ => None,
            })
        })?;
    }
    c.create_scalar_function("ST_IsEmpty", 1, flags, |ctx| {
        Ok(match ctx.get_raw(0) {
            ValueRef::Blob(b) => wkb::header(b)
                .ok()
                .map(|h| h.empty || envelope(b).is_none()),
            _ => None,
        })
    })?;
    Ok(())
}

/// `[minx, maxx, miny, maxy]` of a geometry blob: its envelope, else computed.
fn envelope(b: &[u8]) -> Option<[f64; 4]> {
    let h = wkb::header(b).ok()?;
    if let Some(e) = h.envelope {
        return Some(e);
    }
    let r = geo::BoundingRect::bounding_rect(&wkb::decode(b).ok()?)?;
    Some([r.min().x, r.max().x, r.min().y, r.max().y])
}

/// The geometry types a GeoPackage column may declare, but the catch-all GEOMETRY.
const TYPES: [&str; 7] = [
    "POINT",
    "LINESTRING",
    "POLYGON",
    "MULTIPOINT",
    "MULTILINESTRING",
    "MULTIPOLYGON",
    "GEOMETRYCOLLECTION",
];

/// Makes `table`'s geometry column `geom` of any type: `gpkg_geometry_columns` says
/// GEOMETRY, and so does the column's declared SQL type, which GDAL compares with it (a
/// warning at every open when they differ). SQLite cannot change a column's type, so the
/// table's `CREATE TABLE` statement in the schema has its one type word replaced
/// (`PRAGMA writable_schema`, as GDAL does for such changes) and the schema's version
/// raised, so that every connection reads it again. Nothing happens when the column is
/// of any type already. Runs in the caller's transaction.
pub fn widen_geometry(c: &Connection, table: &str, geom: &str) -> rusqlite::Result<()> {
    let changed = c.execute(
        "UPDATE gpkg_geometry_columns SET geometry_type_name = 'GEOMETRY'
         WHERE table_name = ?1 AND column_name = ?2 AND geometry_type_name != 'GEOMETRY'",
        params![table, geom],
    )?;
    let sql: Option<String> = c
        .query_row(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [table],
            |r| r.get(0),
        )
        .optional()?;
    let Some(new) = sql.as_deref().and_then(|s| declared_any(s, geom)) else {
        let _ = changed;
        return Ok(());
    };
    c.execute_batch("PRAGMA writable_schema = ON")?;
    let written = c.execute(
        "UPDATE sqlite_master SET sql = ?2 WHERE type = 'table' AND name = ?1",
        params![table, new],
    );
    c.execute_batch("PRAGMA writable_schema = OFF")?;
    written?;
    let version: i64 = c.query_row("PRAGMA schema_version", [], |r| r.get(0))?;
    c.execute_batch(&format!("PRAGMA schema_version = {}", version + 1))
}

/// A `CREATE TABLE` statement with the declared type of column `geom` (the first word
/// after the column's name, quoted or not, when it is a geometry type) replaced by
/// GEOMETRY; `None` when it declares no such type.
fn declared_any(sql: &str, geom: &str) -> Option<String> {
    let open = sql.find('(')?;
    let upper = sql.to_ascii_uppercase();
    let names = [
        format!("\"{geom}\""),
        format!("`{geom}`"),
        format!("[{geom}]"),
        geom.to_string(),
    ];
    for name in &names {
        let name_up = name.to_ascii_uppercase();
        let mut from = open;
        while let Some(i) = upper[from..].find(&name_up) {
            let at = from + i;
            from = at + name_up.len();
            // The name as a whole column name: after `(` or `,` and spaces.
            let before = upper[..at].trim_end();
            if !(before.ends_with('(') || before.ends_with(',')) {
                continue;
            }
            let rest = &upper[from..];
            let word_at = from + (rest.len() - rest.trim_start().len());
            let word_len = upper[word_at..]
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
                .unwrap_or(upper.len() - word_at);
            let word = &upper[word_at..word_at + word_len];
            // Another column whose name only starts the same (`geom_src`), or one of
            // another type: look further.
            if word_at == from || !TYPES.contains(&word) {
                continue;
            }
            return Some(format!(
                "{}GEOMETRY{}",
                &sql[..word_at],
                &sql[word_at + word_len..]
            ));
        }
    }
    None
}

#[cfg(test)]
mod widen_tests {
    use super::declared_any;

    #[test]
    fn the_geometry_column_s_declared_type_is_replaced_and_nothing_else() {
        assert_eq!(
            declared_any(
                "CREATE TABLE \"houses\" (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,\n  geom POLYGON, id TEXT NOT NULL UNIQUE, geom_note TEXT)",
                "geom"
            )
            .as_deref(),
            Some(
                "CREATE TABLE \"houses\" (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,\n  geom GEOMETRY, id TEXT NOT NULL UNIQUE, geom_note TEXT)"
            )
        );
        // As GDAL writes it: the name quoted.
        assert_eq!(
            declared_any(
                "CREATE TABLE \"t\" ( \"fid\" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, \"geom\" MULTIPOLYGON, \"id\" TEXT)",
                "geom"
            )
            .as_deref(),
            Some(
                "CREATE TABLE \"t\" ( \"fid\" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, \"geom\" GEOMETRY, \"id\" TEXT)"
            )
        );
        // Of any type already, or a column whose name only starts the same: nothing.
        assert_eq!(
            declared_any("CREATE TABLE t (geom GEOMETRY, id TEXT)", "geom"),
            None
        );
        // A column whose name starts the same, before the geometry's.
        assert_eq!(
            declared_any(
                "CREATE TABLE t (fid INTEGER, geom_src TEXT, geom POLYGON)",
                "geom"
            )
            .as_deref(),
            Some("CREATE TABLE t (fid INTEGER, geom_src TEXT, geom GEOMETRY)")
        );
        assert_eq!(
            declared_any("CREATE TABLE t (id TEXT, geometry_kind TEXT)", "geom"),
            None
        );
    }
}
