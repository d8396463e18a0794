//! The site check without HTTP: reading a proposed site from a GeoJSON request body into
//! core types ([`parse_site`]) and writing the check's report as a GeoJSON
//! FeatureCollection ([`report_geojson`]).

use geo::{CoordsIter, Geometry, Validation};
use riskmap_core::analysis::site_check::{SiteError as SiteCheckError, SiteUse, check_site};
use riskmap_core::crs::Crs;
use riskmap_core::export::FeatureWriter;
use riskmap_core::model::TargetKind;
use serde_json::{Map, Value, json};

use super::error::AppError;
use super::state::Snapshot;

/// Why a site-check request body cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    /// The body is not JSON.
    #[error("request body is not JSON: {0}")]
    NotJson(#[source] serde_json::Error),
    /// A FeatureCollection without a `features` array.
    #[error("FeatureCollection without features")]
    NoFeatures,
    /// A FeatureCollection of other than one feature.
    #[error("send one site, not {0}")]
    NotOne(usize),
    /// Neither a Feature, a FeatureCollection nor a polygon.
    #[error("expected a GeoJSON Feature with a Polygon or MultiPolygon geometry")]
    NotAFeature,
    /// A feature without a geometry.
    #[error("the site has no geometry")]
    NoGeometry,
    /// The geometry is not GeoJSON.
    #[error("geometry: {0}")]
    GeometryJson(#[source] serde_json::Error),
    /// The geometry cannot be converted.
    #[error("geometry: {0}")]
    Geometry(#[source] Box<geojson::Error>),
    /// The geometry is not a polygon.
    #[error("the site must be a Polygon or MultiPolygon")]
    NotAPolygon,
    /// More vertices than accepted.
    #[error("the site has {count} vertices; at most {max} are accepted")]
    TooManyVertices {
        /// Vertices sent.
        count: usize,
        /// Vertices accepted.
        max: usize,
    },
    /// A coordinate outside lon/lat degrees.
    #[error(
        "coordinate ({x}, {y}) is not lon/lat in degrees (RFC 7946); a site in another \
         coordinate system says which: a \"crs\" member ({{\"type\":\"name\",\"properties\":\
         {{\"name\":\"EPSG:4549\"}}}}, or gcj02 for a site drawn on AMap) or ?crs=EPSG:4549"
    )]
    NotLonLat {
        /// Longitude given.
        x: f64,
        /// Latitude given.
        y: f64,
    },
    /// A coordinate system (a `crs` member, `?crs=`) that is not known.
    #[error("crs {given:?}: {message}")]
    UnknownCrs {
        /// The name given.
        given: String,
        /// Why it is not known.
        message: String,
    },
    /// A `crs` member and `?crs=` that name different systems.
    #[error("the site's crs member says {member:?} and ?crs= says {query:?}: give one")]
    TwoCrs {
        /// The member's.
        member: String,
        /// The query's.
        query: String,
    },
    /// A position that cannot be converted from the site's coordinate system.
    #[error("position ({x}, {y}) cannot be converted from {crs} to lon/lat: {message}")]
    Conversion {
        /// The system.
        crs: String,
        /// Easting or longitude given.
        x: f64,
        /// Northing or latitude given.
        y: f64,
        /// Why.
        message: String,
    },
    /// The polygon is invalid (self-intersecting, open ring, …).
    #[error("the site polygon is not valid: {0}")]
    Invalid(String),
    /// An unknown `use`.
    #[error("unknown use '{0}'; accepted: {accepted}", accepted = accepted_uses())]
    UnknownUse(String),
    /// No `use` in the properties: a site is never assumed residential.
    #[error("the site's properties have no 'use'; accepted: {accepted}", accepted = accepted_uses())]
    MissingUse,
    /// A `use` that is not a string.
    #[error("the site's 'use' must be a string, not {0}; accepted: {accepted}", accepted = accepted_uses())]
    UseNotText(String),
    /// A polygon or ring without positions.
    #[error("the site has no coordinates (polygon {polygon}, ring {ring})")]
    Empty {
        /// Polygon index (0 for a Polygon).
        polygon: usize,
        /// Ring index, 0 the exterior.
        ring: usize,
    },
    /// A ring of fewer than 4 positions.
    #[error(
        "ring {ring} of polygon {polygon} has {count} positions; a closed ring needs at least 4 (RFC 7946 §3.1.6)"
    )]
    TooFewPositions {
        /// Polygon index.
        polygon: usize,
        /// Ring index.
        ring: usize,
        /// Positions given.
        count: usize,
    },
    /// A ring whose last position is not its first.
    #[error(
        "ring {ring} of polygon {polygon} is not closed: first position {first:?}, last {last:?}"
    )]
    Unclosed {
        /// Polygon index.
        polygon: usize,
        /// Ring index.
        ring: usize,
        /// First position.
        first: Vec<f64>,
        /// Last position.
        last: Vec<f64>,
    },
    /// An edge that jumps across the antimeridian (more than 180° of longitude).
    #[error(
        "the site crosses the antimeridian between ({x0}, {y0}) and ({x1}, {y1}); split it at ±180° into a MultiPolygon (RFC 7946 §3.1.9)"
    )]
    Antimeridian {
        /// Longitude before the jump.
        x0: f64,
        /// Latitude before the jump.
        y0: f64,
        /// Longitude after the jump.
        x1: f64,
        /// Latitude after the jump.
        y1: f64,
    },
}

/// The accepted values of `use`, for error messages.
fn accepted_uses() -> String {
    let mut v = vec!["residential (居住, 住宅)".to_string()];
    v.extend(
        TargetKind::ALL
            .iter()
            .map(|k| format!("{} ({})", k.key(), k.name_zh())),
    );
    v.join(", ")
}

/// A site-check request: the site, what it is for and the properties it was sent with.
#[derive(Debug)]
pub struct SiteRequest {
    /// The site, a Polygon or MultiPolygon in lon/lat (converted from the system it was
    /// sent in).
    pub geometry: Geometry<f64>,
    /// The coordinate system it was sent in, when not WGS84 or CGCS2000 lon/lat.
    pub crs: Option<String>,
    /// Its use (and population, households).
    pub site_use: SiteUse,
    /// The feature's properties as sent.
    pub props: Map<String, Value>,
}

/// Parses a site-check request: a GeoJSON Feature (or a FeatureCollection of one) whose
/// geometry is a Polygon or MultiPolygon, with `use` (and optionally `population`,
/// `households`) in its properties. The coordinates are lon/lat unless a legacy `crs`
/// member (of the object sent or its feature) or `crs` (the request's `?crs=`) names
/// another system that the loaders read (a Gauss–Krüger zone, GCJ-02 for a site drawn
/// on AMap, BD-09…): then they are converted, as a ledger's would be.
pub fn parse_site(
    body: &[u8],
    max_vertices: usize,
    crs: Option<&str>,
) -> Result<SiteRequest, SiteError> {
    let v: Value = serde_json::from_slice(body).map_err(SiteError::NotJson)?;
    let feature = match v.get("type").and_then(Value::as_str) {
        Some("Feature") => v.clone(),
        Some("FeatureCollection") => {
            let fs = v
                .get("features")
                .and_then(Value::as_array)
                .ok_or(SiteError::NoFeatures)?;
            if fs.len() != 1 {
                return Err(SiteError::NotOne(fs.len()));
            }
            fs[0].clone()
        }
        Some("Polygon" | "MultiPolygon") => {
            json!({"type": "Feature", "geometry": v, "properties": {}})
        }
        _ => return Err(SiteError::NotAFeature),
    };
    let props = feature
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    // (the old GeoJSON put a crs member on any object: the one sent, the feature, its
    // geometry)
    let member = [Some(&v), Some(&feature), feature.get("geometry")]
        .into_iter()
        .flatten()
        .find_map(|o| o.get("crs").and_then(riskmap_core::io::legacy_crs_name));
    let given = match (member, crs) {
        (Some(m), Some(q)) if !same_crs(&m, q) => {
            return Err(SiteError::TwoCrs {
                member: m,
                query: q.to_string(),
            });
        }
        (Some(m), _) => Some(m),
        (None, q) => q.map(str::to_string),
    };
    let system = match &given {
        None => None,
        Some(g) => {
            let c = Crs::parse(g).map_err(|e| SiteError::UnknownCrs {
                given: g.clone(),
                message: e.to_string(),
            })?;
            (!matches!(c, Crs::Wgs84 | Crs::Cgcs2000)).then_some((g.clone(), c))
        }
    };
    let gv = feature
        .get("geometry")
        .cloned()
        .ok_or(SiteError::NoGeometry)?;
    let mut gj: geojson::Geometry = serde_json::from_value(gv).map_err(SiteError::GeometryJson)?;
    if let Some((_, c)) = &system {
        to_lon_lat(&mut gj.value, c)?;
    }
    check_rings(&gj.value)?;
    let g: Geometry<f64> = gj
        .try_into()
        .map_err(|e: geojson::Error| SiteError::Geometry(Box::new(e)))?;
    check_geometry(&g, max_vertices)?;
    let use_s = match props.get("use") {
        None | Some(Value::Null) => return Err(SiteError::MissingUse),
        Some(Value::String(s)) => s.as_str(),
        Some(other) => return Err(SiteError::UseNotText(other.to_string())),
    };
    let kind = parse_use(use_s).ok_or_else(|| SiteError::UnknownUse(use_s.to_string()))?;
    let num = |k: &str| {
        props
            .get(k)
            .and_then(Value::as_u64)
            .and_then(|v| u32::try_from(v).ok())
    };
    let site_use = SiteUse {
        kind,
        population: num("population"),
        households: num("households"),
    };
    Ok(SiteRequest {
        geometry: g,
        crs: system.map(|(g, c)| format!("{g} ({c})")),
        site_use,
        props,
    })
}

/// Whether two names of coordinate systems name the same one.
fn same_crs(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
        || matches!((Crs::parse(a), Crs::parse(b)), (Ok(x), Ok(y)) if x == y)
}

/// Converts every position of a polygon or multipolygon (any other geometry is left for
/// [`check_rings`] to refuse) from `crs` to lon/lat, in place.
fn to_lon_lat(v: &mut geojson::GeometryValue, crs: &Crs) -> Result<(), SiteError> {
    let rings: Vec<&mut Vec<geojson::Position>> = match v {
        geojson::GeometryValue::Polygon { coordinates } => coordinates.iter_mut().collect(),
        geojson::GeometryValue::MultiPolygon { coordinates } => {
            coordinates.iter_mut().flatten().collect()
        }
        _ => return Ok(()),
    };
    for ring in rings {
        for p in ring.iter_mut() {
            let s = p.as_slice();
            let (x, y) = (
                s.first().copied().unwrap_or(f64::NAN),
                s.get(1).copied().unwrap_or(f64::NAN),
            );
            let (lon, lat) = crs.to_wgs84(x, y).map_err(|e| SiteError::Conversion {
                crs: crs.to_string(),
                x,
                y,
                message: e.to_string(),
            })?;
            *p = geojson::Position::from(vec![lon, lat]);
        }
    }
    Ok(())
}

/// The rings as sent, before conversion (which would close an open ring silently): every
/// polygon has rings, every ring at least 4 positions and closed, every position lon/lat,
/// and no edge jumps more than 180° of longitude (a ring across the antimeridian).
fn check_rings(v: &geojson::GeometryValue) -> Result<(), SiteError> {
    let polygons: Vec<&geojson::PolygonType> = match v {
        geojson::GeometryValue::Polygon { coordinates } => vec![coordinates],
        geojson::GeometryValue::MultiPolygon { coordinates } => coordinates.iter().collect(),
        _ => return Err(SiteError::NotAPolygon),
    };
    if polygons.is_empty() {
        return Err(SiteError::Empty {
            polygon: 0,
            ring: 0,
        });
    }
    for (pi, rings) in polygons.into_iter().enumerate() {
        if rings.is_empty() {
            return Err(SiteError::Empty {
                polygon: pi,
                ring: 0,
            });
        }
        for (ri, ring) in rings.iter().enumerate() {
            if ring.is_empty() {
                return Err(SiteError::Empty {
                    polygon: pi,
                    ring: ri,
                });
            }
            if ring.len() < 4 {
                return Err(SiteError::TooFewPositions {
                    polygon: pi,
                    ring: ri,
                    count: ring.len(),
                });
            }
            let xy = |p: &geojson::Position| {
                let s = p.as_slice();
                (
                    s.first().copied().unwrap_or(f64::NAN),
                    s.get(1).copied().unwrap_or(f64::NAN),
                )
            };
            for p in ring {
                let (x, y) = xy(p);
                if !x.is_finite() || !y.is_finite() || x.abs() > 180.0 || y.abs() > 90.0 {
                    return Err(SiteError::NotLonLat { x, y });
                }
            }
            let (first, last) = (&ring[0], &ring[ring.len() - 1]);
            if xy(first) != xy(last) {
                return Err(SiteError::Unclosed {
                    polygon: pi,
                    ring: ri,
                    first: first.as_slice().to_vec(),
                    last: last.as_slice().to_vec(),
                });
            }
            for w in ring.windows(2) {
                let ((x0, y0), (x1, y1)) = (xy(&w[0]), xy(&w[1]));
                if (x1 - x0).abs() > 180.0 {
                    return Err(SiteError::Antimeridian { x0, y0, x1, y1 });
                }
            }
        }
    }
    Ok(())
}

/// A polygon of at most `max_vertices` lon/lat vertices that is valid.
fn check_geometry(g: &Geometry<f64>, max_vertices: usize) -> Result<(), SiteError> {
    if !matches!(g, Geometry::Polygon(_) | Geometry::MultiPolygon(_)) {
        return Err(SiteError::NotAPolygon);
    }
    let count = g.coords_count();
    if count > max_vertices {
        return Err(SiteError::TooManyVertices {
            count,
            max: max_vertices,
        });
    }
    if let Some(c) = g
        .coords_iter()
        .find(|c| !c.x.is_finite() || !c.y.is_finite() || c.x.abs() > 180.0 || c.y.abs() > 90.0)
    {
        return Err(SiteError::NotLonLat { x: c.x, y: c.y });
    }
    g.check_validation()
        .map_err(|e| SiteError::Invalid(e.to_string()))
}

fn parse_use(s: &str) -> Option<TargetKind> {
    match s.trim() {
        "residential" | "居住" | "住宅" => Some(TargetKind::ResidentialCommunity),
        other => TargetKind::parse(other),
    }
}

/// The draft opinion of the check (选址审查意见草稿, A4 HTML): the site's facts, the map of
/// the site and its surroundings, the conflicts, the basis and blank fields to sign.
pub fn report_html(snap: &Snapshot, req: &SiteRequest) -> Result<String, SiteCheckError> {
    let report = check_site(
        snap.dataset(),
        snap.analysis(),
        &req.geometry,
        &req.site_use,
        &snap.rules,
    )?;
    let facts = riskmap_core::report::SiteFacts {
        use_zh: req.site_use.kind.name_zh().to_string(),
        population: req.site_use.population,
        area_m2: riskmap_core::geodesy::area_m2(&req.geometry),
        checked_at: crate::commands::output_now(),
        data_generation: snap.generation,
        data_as_of: snap.analysis().as_of.map(|d| d.to_string()),
        rules_sha256: crate::commands::rules_sha256(&snap.rules),
        sent_in: req.crs.clone(),
    };
    Ok(riskmap_core::report::site_report(
        snap.dataset(),
        snap.analysis(),
        &req.geometry,
        &report,
        &facts,
    ))
}

/// Checks the site against the snapshot's data and writes the result as a GeoJSON
/// FeatureCollection: the site (its properties plus the class) and one feature per
/// conflict.
pub fn report_geojson(snap: &Snapshot, req: &SiteRequest) -> Result<Vec<u8>, AppError> {
    let report = check_site(
        snap.dataset(),
        snap.analysis(),
        &req.geometry,
        &req.site_use,
        &snap.rules,
    )
    .map_err(|e| AppError::bad_request(e.to_string()))?;
    let mut buf = Vec::new();
    let mut w = FeatureWriter::new(&mut buf, "site_check")?;
    let mut sp = req.props.clone();
    sp.insert("role".into(), json!("site"));
    sp.insert("use".into(), json!(req.site_use.kind.key()));
    sp.insert("class".into(), json!(report.class.key()));
    sp.insert("class_zh".into(), json!(report.class.name_zh()));
    sp.insert("conflicts".into(), json!(report.conflicts.len()));
    // (the geometry written is the site converted to lon/lat)
    if let Some(c) = &req.crs {
        sp.insert("crs_sent".into(), json!(c));
    }
    sp.insert("data_generation".into(), json!(snap.generation));
    // What a review needs to cite the check: when, on which data and rules, for what.
    sp.insert("use_zh".into(), json!(req.site_use.kind.name_zh()));
    sp.insert(
        "area_m2".into(),
        json!((riskmap_core::geodesy::area_m2(&req.geometry) * 10.0).round() / 10.0),
    );
    sp.insert("checked_at".into(), json!(crate::commands::output_now()));
    sp.insert(
        "data_as_of".into(),
        json!(snap.analysis().as_of.map(|d| d.to_string())),
    );
    sp.insert("riskmap_version".into(), json!(env!("CARGO_PKG_VERSION")));
    sp.insert(
        "rules_sha256".into(),
        json!(crate::commands::rules_sha256(&snap.rules)),
    );
    sp.insert(
        "note_zh".into(),
        json!("本结果为规划选址的 GIS 筛查，标注“本项目规划筛查默认值”的距离无标准依据，正式审查应以安全评价或定量风险评价为准。"),
    );
    w.feature("site", &req.geometry, &sp)?;
    for (i, c) in report.conflicts.iter().enumerate() {
        let mut m = match serde_json::to_value(c) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        m.insert("role".into(), json!("conflict"));
        m.insert(
            "distance_m".into(),
            json!((c.distance_m * 100.0).round() / 100.0),
        );
        m.insert(
            "shortfall_m".into(),
            json!((c.shortfall_m * 100.0).round() / 100.0),
        );
        if let Some(l) = c.level {
            m.insert("level_zh".into(), json!(l.name_zh()));
        }
        m.insert("severity".into(), json!(c.severity.name()));
        m.insert("severity_zh".into(), json!(c.severity.name_zh()));
        w.feature(&format!("conflict-{}", i + 1), &c.geometry, &m)?;
    }
    w.finish()?;
    Ok(buf)
}
