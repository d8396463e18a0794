//! The PostGIS schema: the ledger tables, their indexes and triggers, the change table and
//! the schema version, created once and checked on every later run.
//!
//! Every object is created only when it is missing, so that a second run changes nothing
//! (and says so); a trigger function whose body differs from this release's is replaced.

use tokio_postgres::GenericClient;

use super::StoreError;
use super::columns::ColType;
use super::pg::Db;
use crate::model::LayerKind;

/// The version of the schema this release creates and reads. A later release that changes
/// the layout raises it and migrates databases of the versions before.
pub const SCHEMA_VERSION: i32 = 1;

/// WGS 84 lon/lat.
pub const WGS84: i32 = 4326;
/// CGCS2000 lon/lat (China Geodetic Coordinate System 2000), within centimetres of WGS 84.
pub const CGCS2000: i32 = 4490;

/// The table of the schema version (one row).
pub(super) const VERSION_TABLE: &str = "riskmap_schema";
/// The change table.
pub(super) const CHANGES: &str = "riskmap_changes";
/// The channel of the change notifications.
pub const CHANNEL: &str = "riskmap_changes";

/// The field columns of an input layer (the serde names of its props type, in
/// declaration order) and their types; `None` for a result layer, which is not stored.
/// Inventories and QRA distances are text in their ledger form, as in the GeoPackage
/// store (`store::ledger`).
pub(super) fn field_columns(kind: LayerKind) -> Option<&'static [(&'static str, ColType)]> {
    use ColType::{Boolean as B, Integer as I, Real as R, Text as T};
    Some(match kind {
        LayerKind::Enterprises => &[
            ("name", T),
            ("credit_code", T),
            ("industry", T),
            ("employees", I),
            ("declared_level", T),
            ("open_hidden_hazards", I),
            ("open_major_hidden_hazards", I),
            ("park", T),
            ("phone", T),
        ],
        LayerKind::HazardSources => &[
            ("name", T),
            ("enterprise_id", T),
            ("unit_type", T),
            ("inventory", T),
            ("declared_grade", T),
            ("qra_distances", T),
        ],
        LayerKind::GasPipelines => &[
            ("name", T),
            ("pressure_class", T),
            ("design_pressure_mpa", R),
            ("diameter_mm", R),
            ("material", T),
            ("year_laid", I),
        ],
        LayerKind::Houses => &[
            ("address", T),
            ("floors", I),
            ("house_use", T),
            ("occupants", I),
            ("appraisal", T),
            ("rectification", T),
            ("phone", T),
        ],
        LayerKind::ProtectionTargets => &[
            ("name", T),
            ("kind", T),
            ("class", T),
            ("population", I),
            ("households", I),
        ],
        LayerKind::Areas => &[("name", T), ("code", T)],
        // Dates as ISO text (2026-11-30), as the ledgers' other vocabularies are text.
        LayerKind::HiddenHazards => &[
            ("feature_layer", T),
            ("feature_id", T),
            ("own_location", B),
            ("industry", T),
            ("category", T),
            ("major", B),
            ("description", T),
            ("found_by", T),
            ("discovered", T),
            ("responsible_unit", T),
            ("responsible_person", T),
            ("measures", T),
            ("funds_wan_yuan", R),
            ("deadline", T),
            ("contingency_plan", T),
            ("status", T),
            ("rectified", T),
            ("verified_by", T),
            ("closed", T),
            ("reopened", I),
            ("reopen_reason", T),
        ],
        LayerKind::HazardGrades
        | LayerKind::ProtectionConflicts
        | LayerKind::PipelineConflicts
        | LayerKind::HouseRisk
        | LayerKind::EnterpriseRisk
        | LayerKind::RiskGrid => return None,
    })
}

/// The geometry type a new table declares: the one type the layer's ledgers usually
/// hold, or `Geometry` for layers that mix points and polygons. An import of a feature
/// of another type widens the column to `Geometry` (see `pg::write`).
pub(super) fn initial_geometry_type(kind: LayerKind) -> &'static str {
    match kind {
        LayerKind::Enterprises => "Point",
        LayerKind::Houses => "Polygon",
        LayerKind::GasPipelines => "LineString",
        LayerKind::HiddenHazards => "Point",
        LayerKind::HazardSources | LayerKind::ProtectionTargets | LayerKind::Areas => "Geometry",
        LayerKind::HazardGrades
        | LayerKind::ProtectionConflicts
        | LayerKind::PipelineConflicts
        | LayerKind::HouseRisk
        | LayerKind::EnterpriseRisk
        | LayerKind::RiskGrid => "Geometry",
    }
}

/// What [`super::pg::init`] found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitReport {
    /// The schema version of the database (after the run).
    pub version: i32,
    /// The SRID of the geometry columns (4326 or 4490).
    pub srid: i32,
    /// What this run created or replaced, one line each; empty when nothing changed.
    pub changed: Vec<String>,
}

/// Sets `updated_at` when a row is inserted or really changed.
const TOUCH_FN: &str = "riskmap_touch";
const TOUCH_BODY: &str = "
BEGIN
  IF TG_OP = 'INSERT' OR NEW IS DISTINCT FROM OLD THEN
    NEW.updated_at := now();
  END IF;
  RETURN NEW;
END
";

/// Notifies a change of the status word table (`riskmap_status_words`), once a
/// statement: a follower reads the words again, and the hidden hazards with them. No
/// change row: the table is not a layer.
const WORDS_FN: &str = "riskmap_words_changed";
const WORDS_BODY: &str = "
BEGIN
  PERFORM pg_notify('riskmap_changes',
    json_build_object('layer', TG_TABLE_NAME, 'id', '', 'op', lower(TG_OP), 'seq', 0)::text);
  RETURN NULL;
END
";

/// Writes one change row per inserted, really updated or deleted row, and notifies. The
/// actor is `riskmap.actor` as the transaction (`set_config(…, true)`, what an edit
/// through the server sets) or the session (`SET riskmap.actor = …`) has it, else
/// `database`; the notification names it too, so that the served change is announced
/// as made by it.
/// An update that changes a row's id (QGIS lets a user edit the `id` field) is two
/// changes: the old id deleted, the new one inserted, so that whoever follows by id lets
/// go of the old one.
/// Neither trigger fires in a session that set `riskmap.bulk` to `on` (their `WHEN`):
/// its writer sets `updated_at` and records the same rows and notifications itself,
/// set-based (the importer: the row triggers cost two minutes for a million houses).
const RECORD_FN: &str = "riskmap_record_change";
const RECORD_BODY: &str = "
DECLARE
  v_actor text := coalesce(nullif(current_setting('riskmap.actor', true), ''), 'database');
  v_op text := lower(TG_OP);
  v_id text;
  v_before jsonb;
  v_after jsonb;
  v_seq bigint;
BEGIN
  IF TG_OP = 'UPDATE' AND OLD IS NOT DISTINCT FROM NEW THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'UPDATE' AND OLD.id IS DISTINCT FROM NEW.id THEN
    INSERT INTO riskmap_changes (actor, layer, id, op, before, after)
      VALUES (v_actor, TG_TABLE_NAME, OLD.id, 'delete', to_jsonb(OLD), NULL)
      RETURNING seq INTO v_seq;
    PERFORM pg_notify('riskmap_changes',
      json_build_object('layer', TG_TABLE_NAME, 'id', OLD.id, 'op', 'delete', 'seq', v_seq,
        'actor', v_actor)::text);
    v_op := 'insert';
    v_after := to_jsonb(NEW);
    v_id := NEW.id;
  ELSE
    IF TG_OP <> 'INSERT' THEN
      v_before := to_jsonb(OLD);
      v_id := OLD.id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
      v_after := to_jsonb(NEW);
      v_id := NEW.id;
    END IF;
  END IF;
  INSERT INTO riskmap_changes (actor, layer, id, op, before, after)
    VALUES (v_actor, TG_TABLE_NAME, v_id, v_op, v_before, v_after)
    RETURNING seq INTO v_seq;
  PERFORM pg_notify('riskmap_changes',
    json_build_object('layer', TG_TABLE_NAME, 'id', v_id, 'op', v_op, 'seq', v_seq,
      'actor', v_actor)::text);
  RETURN NULL;
END
";

/// Records a `TRUNCATE` of a layer table (which fires no row trigger: psql's `TRUNCATE
/// houses`, a program emptying a table before loading it again) as a deletion of each of
/// its rows, with the row as it was, and notifies each, before the rows go; so that the
/// trail and a follower know of it. A statement trigger, set-based (one statement for
/// the table's rows), as the importer's records are.
const TRUNCATE_FN: &str = "riskmap_record_truncate";
const TRUNCATE_BODY: &str = "
DECLARE
  v_actor text := coalesce(nullif(current_setting('riskmap.actor', true), ''), 'database');
BEGIN
  EXECUTE format(
    'WITH gone AS (
       INSERT INTO riskmap_changes (actor, layer, id, op, before, after)
       SELECT $1, %L, t.id, ''delete'', to_jsonb(t), NULL FROM %I.%I t
       RETURNING seq, id)
     SELECT count(pg_notify(''riskmap_changes'',
       json_build_object(''layer'', %L, ''id'', id, ''op'', ''delete'', ''seq'', seq,
         ''actor'', $1)::text)) FROM gone',
    TG_TABLE_NAME, TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_TABLE_NAME)
  USING v_actor;
  RETURN NULL;
END
";

/// The trigger functions this release makes, by name, with their bodies.
const FUNCTIONS: [(&str, &str); 4] = [
    (TOUCH_FN, TOUCH_BODY),
    (RECORD_FN, RECORD_BODY),
    (WORDS_FN, WORDS_BODY),
    (TRUNCATE_FN, TRUNCATE_BODY),
];

/// The triggers every layer table has, by name, with when they fire, whether for each
/// row, and their function.
const LAYER_TRIGGERS: [(&str, &str, bool, &str); 3] = [
    ("riskmap_touch", "BEFORE INSERT OR UPDATE", true, TOUCH_FN),
    (
        "riskmap_change",
        "AFTER INSERT OR UPDATE OR DELETE",
        true,
        RECORD_FN,
    ),
    ("riskmap_truncate", "BEFORE TRUNCATE", false, TRUNCATE_FN),
];

/// The layer tables that lack a trigger this release keeps them with (a table another
/// program dropped and made again, as GDAL's `-overwrite` does, or a database of an
/// older release): (table, trigger) each. Without `riskmap_change` a table's changes
/// are neither recorded nor followed; without `riskmap_truncate` a `TRUNCATE` is not;
/// without `riskmap_touch` its `updated_at` is not kept. `riskmap db init` makes them.
pub async fn missing_triggers<C: GenericClient>(
    c: &C,
) -> Result<Vec<(&'static str, &'static str)>, tokio_postgres::Error> {
    let mut out = Vec::new();
    for kind in LayerKind::INPUTS {
        if field_columns(kind).is_none() {
            continue;
        }
        let t = kind.name();
        let have: Vec<String> = c
            .query(
                "SELECT tgname::text FROM pg_trigger
                 WHERE tgrelid = to_regclass(current_schema() || '.' || $1)",
                &[&t],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        for (trigger, ..) in LAYER_TRIGGERS {
            if !have.iter().any(|h| h == trigger) {
                out.push((t, trigger));
            }
        }
    }
    Ok(out)
}

/// The body of the function `name` in the current schema, if there is one.
async fn function_body<C: GenericClient>(
    c: &C,
    name: &str,
) -> Result<Option<String>, tokio_postgres::Error> {
    Ok(c.query_opt(
        "SELECT p.prosrc FROM pg_proc p
         WHERE p.proname = $1 AND p.pronamespace = current_schema()::regnamespace",
        &[&name],
    )
    .await?
    .map(|r| r.get(0)))
}

/// The trigger functions of the database that are not this release's (another release's
/// `riskmap db init` made them, or someone changed them): their names. A server warns of
/// them, since the changes it follows are recorded by them; `riskmap db init` replaces
/// them.
pub async fn outdated_functions<C: GenericClient>(
    c: &C,
) -> Result<Vec<&'static str>, tokio_postgres::Error> {
    let mut out = Vec::new();
    for (name, body) in FUNCTIONS {
        if function_body(c, name).await?.is_some_and(|b| b != body) {
            out.push(name);
        }
    }
    Ok(out)
}

/// Creates what is missing; `srid` is the SRID asked for (`None`: 4326 for a new
/// database, whatever an existing one uses). Runs in the caller's transaction.
pub(super) async fn ensure<C: GenericClient>(
    c: &C,
    db: &Db,
    srid: Option<i32>,
) -> Result<InitReport, StoreError> {
    let mut changed = Vec::new();
    if let Some(s) = srid
        && s != WGS84
        && s != CGCS2000
    {
        return Err(db.problem(format!(
            "SRID {s}: the store keeps lon/lat in EPSG:{WGS84} (WGS 84) or EPSG:{CGCS2000} (CGCS2000)"
        )));
    }
    let has_postgis = c
        .query_opt("SELECT 1 FROM pg_extension WHERE extname = 'postgis'", &[])
        .await
        .map_err(db.err("looking for PostGIS"))?
        .is_some();
    if !has_postgis {
        c.batch_execute("CREATE EXTENSION postgis")
            .await
            .map_err(db.err("CREATE EXTENSION postgis (needs a superuser once, or PostGIS installed by the administrator)"))?;
        changed.push("extension postgis".to_string());
    }
    let (version, srid) = if relation_exists(c, VERSION_TABLE)
        .await
        .map_err(db.err("reading the catalog"))?
    {
        let row = c
            .query_opt(&format!("SELECT version, srid FROM {VERSION_TABLE}"), &[])
            .await
            .map_err(db.err("reading the schema version"))?
            .ok_or_else(|| db.problem(format!("{VERSION_TABLE} is empty")))?;
        let (v, s): (i32, i32) = (row.get(0), row.get(1));
        if v > SCHEMA_VERSION {
            return Err(db.problem(format!(
                "the schema is version {v}, newer than this release's {SCHEMA_VERSION}: upgrade riskmap"
            )));
        }
        if let Some(asked) = srid
            && asked != s
        {
            return Err(db.problem(format!(
                "the tables use SRID {s}, not {asked}: the SRID is chosen once, by the first `db init`"
            )));
        }
        (v, s)
    } else {
        let s = srid.unwrap_or(WGS84);
        c.batch_execute(&format!(
            "CREATE TABLE {VERSION_TABLE} (
               version integer NOT NULL,
               srid integer NOT NULL CHECK (srid IN ({WGS84}, {CGCS2000})),
               created_at timestamptz NOT NULL DEFAULT now(),
               one boolean PRIMARY KEY DEFAULT true CHECK (one));
             INSERT INTO {VERSION_TABLE} (version, srid) VALUES ({SCHEMA_VERSION}, {s});"
        ))
        .await
        .map_err(db.err("creating the schema version table"))?;
        changed.push(format!(
            "table {VERSION_TABLE} (version {SCHEMA_VERSION}, SRID {s})"
        ));
        (SCHEMA_VERSION, s)
    };
    if !relation_exists(c, CHANGES)
        .await
        .map_err(db.err("reading the catalog"))?
    {
        c.batch_execute(&format!(
            "CREATE TABLE {CHANGES} (
               seq bigserial PRIMARY KEY,
               at timestamptz NOT NULL DEFAULT now(),
               actor text NOT NULL,
               layer text NOT NULL,
               id text NOT NULL,
               op text NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
               before jsonb,
               after jsonb);
             CREATE INDEX {CHANGES}_layer_id_idx ON {CHANGES} (layer, id);"
        ))
        .await
        .map_err(db.err("creating the change table"))?;
        changed.push(format!("table {CHANGES}"));
    }
    if !relation_exists(c, super::words::WORDS_TABLE)
        .await
        .map_err(db.err("reading the catalog"))?
    {
        c.batch_execute(&format!(
            "CREATE TABLE {t} (word text PRIMARY KEY, stage text NOT NULL);
             COMMENT ON TABLE {t} IS 'This province''s words for the hidden hazards'' stages (stage: pending, in_progress, rectified, closed, supervised)';",
            t = super::words::WORDS_TABLE
        ))
        .await
        .map_err(db.err("creating the status word table"))?;
        changed.push(format!("table {}", super::words::WORDS_TABLE));
    }
    for (name, body) in FUNCTIONS {
        let current = function_body(c, name)
            .await
            .map_err(db.err("reading the catalog"))?;
        if current.as_deref() != Some(body) {
            c.batch_execute(&format!(
                "CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $riskmap${body}$riskmap$"
            ))
            .await
            .map_err(db.err("creating a trigger function"))?;
            let verb = if current.is_some() {
                "replaced"
            } else {
                "created"
            };
            changed.push(format!("function {name}() ({verb})"));
        }
    }
    for kind in LayerKind::INPUTS {
        layer_table(c, db, kind, srid, &mut changed).await?;
    }
    let words = super::words::WORDS_TABLE;
    let exists = c
        .query_opt(
            "SELECT 1 FROM pg_trigger
             WHERE tgname = 'riskmap_words' AND tgrelid = (current_schema() || '.' || $1)::regclass",
            &[&words],
        )
        .await
        .map_err(db.err("reading the catalog"))?
        .is_some();
    if !exists {
        c.batch_execute(&format!(
            "CREATE TRIGGER riskmap_words AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {words}
             FOR EACH STATEMENT EXECUTE FUNCTION {WORDS_FN}()"
        ))
        .await
        .map_err(db.err("creating a trigger"))?;
        changed.push(format!("trigger riskmap_words on {words}"));
    }
    Ok(InitReport {
        version,
        srid,
        changed,
    })
}

/// The table of one layer, its columns, spatial index and triggers.
async fn layer_table<C: GenericClient>(
    c: &C,
    db: &Db,
    kind: LayerKind,
    srid: i32,
    changed: &mut Vec<String>,
) -> Result<(), StoreError> {
    let Some(fields) = field_columns(kind) else {
        return Ok(());
    };
    let t = kind.name();
    if !relation_exists(c, t)
        .await
        .map_err(db.err("reading the catalog"))?
    {
        let cols: String = fields
            .iter()
            .map(|(n, ty)| format!(",\n  {n} {}", ty.pg()))
            .collect();
        c.batch_execute(&format!(
            "CREATE TABLE {t} (
               id text PRIMARY KEY,
               geom geometry({}, {srid}){cols},
               updated_at timestamptz NOT NULL DEFAULT now())",
            initial_geometry_type(kind)
        ))
        .await
        .map_err(db.err("creating a layer table"))?;
        changed.push(format!("table {t}"));
    } else {
        let have: Vec<String> = c
            .query(
                "SELECT column_name::text FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = $1",
                &[&t],
            )
            .await
            .map_err(db.err("reading the catalog"))?
            .iter()
            .map(|r| r.get(0))
            .collect();
        for must in ["id", "geom", "updated_at"] {
            if !have.iter().any(|h| h == must) {
                return Err(db.problem(format!("table {t} has no column {must}")));
            }
        }
        for (n, ty) in fields {
            if !have.iter().any(|h| h == n) {
                c.batch_execute(&format!("ALTER TABLE {t} ADD COLUMN {n} {}", ty.pg()))
                    .await
                    .map_err(db.err("adding a column"))?;
                changed.push(format!("column {t}.{n}"));
            }
        }
    }
    let index = format!("{t}_geom_idx");
    if !relation_exists(c, &index)
        .await
        .map_err(db.err("reading the catalog"))?
    {
        c.batch_execute(&format!("CREATE INDEX {index} ON {t} USING gist (geom)"))
            .await
            .map_err(db.err("creating a spatial index"))?;
        changed.push(format!("index {index}"));
    }
    for (trigger, when, each_row, func) in LAYER_TRIGGERS {
        let exists = c
            .query_opt(
                "SELECT 1 FROM pg_trigger
                 WHERE tgname = $1 AND tgrelid = (current_schema() || '.' || $2)::regclass",
                &[&trigger, &t],
            )
            .await
            .map_err(db.err("reading the catalog"))?
            .is_some();
        if !exists {
            c.batch_execute(&format!(
                "CREATE TRIGGER {trigger} {when} ON {t} FOR EACH {}
                 WHEN (current_setting('riskmap.bulk', true) IS DISTINCT FROM 'on')
                 EXECUTE FUNCTION {func}()",
                if each_row { "ROW" } else { "STATEMENT" }
            ))
            .await
            .map_err(db.err("creating a trigger"))?;
            changed.push(format!("trigger {trigger} on {t}"));
        }
    }
    Ok(())
}

/// Whether a table or index of this name is in the current schema.
pub(super) async fn relation_exists<C: GenericClient>(
    c: &C,
    name: &str,
) -> Result<bool, tokio_postgres::Error> {
    // (one round trip: the parameter's type given, no statement prepared)
    Ok(c.query_typed_opt(
        "SELECT 1 FROM pg_class WHERE relname = $1
               AND relnamespace = current_schema()::regnamespace",
        &[(&name, tokio_postgres::types::Type::TEXT)],
    )
    .await?
    .is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Area, Enterprise, GasPipeline, HazardSource, House, ProtectionTarget};
    use serde::Serialize;

    fn names<P: Serialize + Default>() -> Vec<String> {
        match serde_json::to_value(P::default()) {
            Ok(serde_json::Value::Object(m)) => m.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }

    /// The columns are the serde fields of each layer's props: a field added to
    /// a props type must be added here too.
    #[test]
    fn field_columns_are_the_props_fields() {
        for (kind, want) in [
            (LayerKind::Enterprises, names::<Enterprise>()),
            (LayerKind::HazardSources, names::<HazardSource>()),
            (LayerKind::GasPipelines, names::<GasPipeline>()),
            (LayerKind::Houses, names::<House>()),
            (LayerKind::ProtectionTargets, names::<ProtectionTarget>()),
            (LayerKind::Areas, names::<Area>()),
            (
                LayerKind::HiddenHazards,
                names::<crate::model::HiddenHazard>(),
            ),
        ] {
            let mut got: Vec<String> = field_columns(kind)
                .map(|f| f.iter().map(|(n, _)| n.to_string()).collect())
                .unwrap_or_default();
            let mut want = want;
            got.sort();
            want.sort();
            assert_eq!(got, want, "{kind}");
        }
        for kind in LayerKind::RESULTS {
            assert!(field_columns(kind).is_none());
        }
    }
}
