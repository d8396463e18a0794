//! Writing a generated city as the ledgers a district really receives: enterprises and
//! houses as GBK CSV with Chinese headers (houses with WKT footprints), gas pipelines as
//! GeoJSON in CGCS2000 Gauss–Krüger, protection targets in GCJ-02 (declared in a
//! `riskmap.toml` manifest), the rest as WGS84 GeoJSON, with a README saying the data is
//! synthetic.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use geo::{Coord, Geometry, MapCoords};
use serde::Serialize;

use super::GenerateOptions;
use super::haimen::PIPELINE_CRS;
use crate::crs::Crs;
use crate::dataset::{Dataset, Layer};
use crate::export::{self, FieldPolicy, Filter};

/// A ledger file or the directory's manifest could not be written.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub struct LedgerWriteError {
    /// The file.
    pub path: PathBuf,
    /// Cause.
    #[source]
    pub source: std::io::Error,
}

pub(super) fn fail(path: &Path) -> impl Fn(std::io::Error) -> LedgerWriteError + '_ {
    move |e| LedgerWriteError {
        path: path.to_path_buf(),
        source: e,
    }
}

fn write<P: Serialize>(path: PathBuf, layer: &Layer<P>) -> Result<(), LedgerWriteError> {
    let f = File::create(&path).map_err(fail(&path))?;
    // Synthetic ledgers carry phone numbers so that the field policy can be seen working;
    // input files keep every field.
    export::write_layer(
        BufWriter::with_capacity(1 << 20, f),
        layer,
        &Filter::default(),
        &FieldPolicy::allow_all(),
    )
    .map_err(|e| LedgerWriteError {
        path,
        source: std::io::Error::other(e.to_string()),
    })?;
    Ok(())
}

/// Writes a layer as GeoJSON with coordinates in `crs` and a legacy `crs` member naming
/// it, as exports from Chinese CAD and GIS systems often are.
fn write_projected<P: Serialize>(
    path: PathBuf,
    layer: &Layer<P>,
    crs: &Crs,
    urn: Option<&str>,
) -> Result<(), LedgerWriteError> {
    let mut out = String::with_capacity(layer.len() * 400);
    out.push_str("{\"type\":\"FeatureCollection\",");
    if let Some(urn) = urn {
        out.push_str(&format!(
            "\"crs\":{{\"type\":\"name\",\"properties\":{{\"name\":\"{urn}\"}}}},"
        ));
    }
    out.push_str("\"features\":[");
    for (i, f) in layer.features().iter().enumerate() {
        let g = f.geometry.map_coords(|c| {
            let (x, y) = crs.from_wgs84(c.x, c.y).unwrap_or((f64::NAN, f64::NAN));
            if crs.is_geographic() {
                // Degrees: the writer keeps seven decimals (about 1 cm).
                Coord { x, y }
            } else {
                // Metres: millimetres, as CAD exports give them.
                Coord {
                    x: (x * 1000.0).round() / 1000.0,
                    y: (y * 1000.0).round() / 1000.0,
                }
            }
        });
        if i > 0 {
            out.push(',');
        }
        let mut gbuf = String::new();
        export::write_geometry(&mut gbuf, &g);
        let props = export::properties(&f.props, &FieldPolicy::allow_all(), layer.kind());
        out.push_str(&format!(
            "\n{{\"type\":\"Feature\",\"id\":{},\"geometry\":{gbuf},\"properties\":{}}}",
            serde_json::Value::from(f.id.clone()),
            serde_json::Value::Object(props)
        ));
    }
    out.push_str("\n]}\n");
    std::fs::write(&path, out).map_err(fail(&path))
}

/// A CSV cell: quoted when it holds a comma, quote or line break.
fn cell(v: &str) -> String {
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_string()
    }
}

fn wkt(g: &Geometry<f64>) -> String {
    let ring = |ls: &geo::LineString<f64>| {
        ls.0.iter()
            .map(|c| format!("{:.6} {:.6}", c.x, c.y))
            .collect::<Vec<_>>()
            .join(",")
    };
    match g {
        Geometry::Point(p) => format!("POINT ({:.6} {:.6})", p.x(), p.y()),
        Geometry::Polygon(p) => format!(
            "POLYGON (({}))",
            std::iter::once(p.exterior())
                .chain(p.interiors())
                .map(ring)
                .collect::<Vec<_>>()
                .join("),(")
        ),
        Geometry::MultiPolygon(m) => format!(
            "MULTIPOLYGON ({})",
            m.0.iter()
                .map(|p| format!(
                    "(({}))",
                    std::iter::once(p.exterior())
                        .chain(p.interiors())
                        .map(ring)
                        .collect::<Vec<_>>()
                        .join("),(")
                ))
                .collect::<Vec<_>>()
                .join(",")
        ),
        other => {
            let mut s = String::new();
            export::write_geometry(&mut s, other);
            s
        }
    }
}

/// Writes a CSV ledger the way office software exports it: GBK, Chinese headers.
fn write_gbk_csv(
    path: &Path,
    header: &[&str],
    rows: impl Iterator<Item = Vec<String>>,
) -> Result<(), LedgerWriteError> {
    let mut text = header.join(",");
    text.push_str("\r\n");
    for r in rows {
        text.push_str(&r.iter().map(|v| cell(v)).collect::<Vec<_>>().join(","));
        text.push_str("\r\n");
    }
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(&text);
    if unmappable {
        return Err(LedgerWriteError {
            path: path.to_path_buf(),
            source: std::io::Error::other("text not representable in GBK"),
        });
    }
    std::fs::write(path, bytes).map_err(fail(path))
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// Writes the hidden-hazard ledger (隐患台账) as office software exports it: GBK CSV
/// with Chinese headers, coordinates only for records with a place of their own.
fn write_hidden(path: &Path, ds: &Dataset) -> Result<(), LedgerWriteError> {
    write_gbk_csv(
        path,
        &[
            "隐患编号",
            "关联对象类型",
            "关联对象编号",
            "行业领域",
            "隐患类别",
            "隐患级别",
            "隐患描述",
            "发现方式",
            "发现日期",
            "整改责任单位",
            "整改责任人",
            "整改措施",
            "整改资金(万元)",
            "整改期限",
            "应急预案",
            "隐患状态",
            "整改完成日期",
            "验收人",
            "销号日期",
            "退回次数",
            "退回原因",
            "经度",
            "纬度",
        ],
        ds.hidden_hazards.features().iter().map(|f| {
            let p = &f.props;
            let (lon, lat) = match (&f.geometry, p.own_location) {
                (Geometry::Point(pt), true) => (format!("{:.6}", pt.x()), format!("{:.6}", pt.y())),
                _ => (String::new(), String::new()),
            };
            vec![
                f.id.clone(),
                opt(p.feature_layer.map(|k| k.name_zh())),
                opt(p.feature_id.clone()),
                opt(p.industry.clone()),
                opt(p.category.clone()),
                (if p.major {
                    "重大事故隐患"
                } else {
                    "一般事故隐患"
                })
                .to_string(),
                p.description.to_string(),
                opt(p.found_by.map(|b| b.name_zh())),
                opt(p.discovered),
                opt(p.responsible_unit.clone()),
                opt(p.responsible_person.clone()),
                opt(p.measures.clone()),
                opt(p.funds_wan_yuan),
                opt(p.deadline),
                opt(p.contingency_plan.clone()),
                p.status.name_zh().to_string(),
                opt(p.rectified),
                opt(p.verified_by.clone()),
                opt(p.closed),
                p.reopened.to_string(),
                opt(p.reopen_reason.clone()),
                lon,
                lat,
            ]
        }),
    )
}

/// Writes a generated dataset as the ledgers a district really receives: enterprises and
/// houses as GBK CSV with Chinese headers (houses with WKT footprints), gas pipelines as
/// GeoJSON in CGCS2000 Gauss–Krüger (declared by a legacy `crs` member), protection
/// targets in GCJ-02 (declared in `riskmap.toml`), the rest as WGS84 GeoJSON.
/// With `houses_geojson` the houses are written as WGS84 GeoJSON instead of a CSV ledger.
pub fn write_generated(
    dir: &Path,
    ds: &Dataset,
    opts: &GenerateOptions,
    houses_geojson: bool,
) -> Result<(), LedgerWriteError> {
    let at = |layer: &str, ext: &str| dir.join(format!("{layer}.{ext}"));
    write_layers(&at, ds, PIPELINE_CRS, houses_geojson)?;
    let (y, m, d) = super::LEDGER_END;
    let manifest = dir.join("riskmap.toml");
    std::fs::write(
        &manifest,
        format!(
        "# How to read the files of this directory (see docs/data-model.md).\n\
         # Enterprises, houses and hidden hazards are GBK CSV ledgers: the encoding is detected.\n\
         # Gas pipelines declare EPSG:4549 in their own `crs` member.\n\n\
         # The ledgers end on this day: hidden hazards are counted on it unless --as-of says otherwise.\n\
         as_of = \"{y:04}-{m:02}-{d:02}\"\n\n\
         [files.\"protection_targets.geojson\"]\n\
         # Digitised on an AMap/Tencent base map: GCJ-02 coordinates.\n\
         crs = \"gcj02\"\n",
        ),
    )
    .map_err(fail(&manifest))?;
    let readme = dir.join("README.md");
    let text = format!(
        "# Synthetic data — not real enterprises, houses or people\n\n\
         Generated by `riskmap generate` (seed {}, {} houses, {} enterprises, {} hazard \
         sources, {:.0} km of gas pipelines, {} protection targets, {} hidden hazards) inside the real \
         district boundary of 海门区 (see `data/README.md` for its source). Every name, \
         number and position other than the boundary is invented; names end in （合成数据）.\n\n\
         The files are written the way a district receives them: `enterprises.csv` and \
         `houses.csv` are GBK-encoded CSV ledgers with Chinese headers (houses with WKT \
         footprints; a benchmark city has `houses.geojson` instead), `gas_pipelines.geojson` is in CGCS2000 3-degree Gauss–Krüger \
         (EPSG:4549), `protection_targets.geojson` in GCJ-02 (declared in `riskmap.toml`), \
         the rest WGS84 GeoJSON.\n",
        opts.seed,
        opts.houses,
        opts.enterprises,
        opts.hazard_sources,
        opts.pipeline_km,
        opts.protection_targets,
        ds.hidden_hazards.len()
    );
    std::fs::write(&readme, text).map_err(fail(&readme))?;
    Ok(())
}

/// Writes the layers of a generated dataset, each to `at(layer, extension)`, the gas
/// pipelines in the Gauss–Krüger zone `pipeline_crs` (an `EPSG:` code).
pub(super) fn write_layers(
    at: &dyn Fn(&str, &str) -> PathBuf,
    ds: &Dataset,
    pipeline_crs: &str,
    houses_geojson: bool,
) -> Result<(), LedgerWriteError> {
    write(at("areas", "geojson"), &ds.areas)?;
    write(at("hazard_sources", "geojson"), &ds.hazard_sources)?;
    let gk = Crs::parse(pipeline_crs).map_err(|e| LedgerWriteError {
        path: at("gas_pipelines", "geojson"),
        source: std::io::Error::other(e.to_string()),
    })?;
    let urn = format!(
        "urn:ogc:def:crs:EPSG::{}",
        pipeline_crs.trim_start_matches("EPSG:")
    );
    write_projected(
        at("gas_pipelines", "geojson"),
        &ds.gas_pipelines,
        &gk,
        Some(&urn),
    )?;
    write_projected(
        at("protection_targets", "geojson"),
        &ds.protection_targets,
        &Crs::Gcj02,
        None,
    )?;
    write_gbk_csv(
        &at("enterprises", "csv"),
        &[
            "编号",
            "企业名称",
            "统一社会信用代码",
            "行业类别",
            "从业人数",
            "申报风险等级",
            "未整改一般隐患数",
            "未整改重大隐患数",
            "所在园区",
            "联系电话",
            "经度",
            "纬度",
            "几何",
        ],
        ds.enterprises.features().iter().map(|f| {
            let p = &f.props;
            let (lon, lat, geom) = match &f.geometry {
                Geometry::Point(pt) => (
                    format!("{:.6}", pt.x()),
                    format!("{:.6}", pt.y()),
                    String::new(),
                ),
                g => (String::new(), String::new(), wkt(g)),
            };
            vec![
                f.id.clone(),
                p.name.clone(),
                opt(p.credit_code.clone()),
                opt(p.industry.map(|i| i.name_zh())),
                opt(p.employees),
                opt(p.declared_level.map(|l| l.name_zh())),
                p.open_hidden_hazards.to_string(),
                p.open_major_hidden_hazards.to_string(),
                opt(p.park.clone()),
                opt(p.phone.clone()),
                lon,
                lat,
                geom,
            ]
        }),
    )?;
    if houses_geojson {
        write(at("houses", "geojson"), &ds.houses)?;
    } else {
        write_gbk_csv(
            &at("houses", "csv"),
            &[
                "编号",
                "地址",
                "层数",
                "用途",
                "居住人数",
                "鉴定等级",
                "整治状态",
                "联系电话",
                "几何",
            ],
            ds.houses.features().iter().map(|f| {
                let p = &f.props;
                vec![
                    f.id.clone(),
                    p.address.to_string(),
                    opt(p.floors),
                    opt(p.house_use.map(|u| u.name_zh())),
                    opt(p.occupants),
                    opt(p.appraisal.map(|a| a.name_zh())),
                    opt(p.rectification.map(|r| r.name_zh())),
                    opt(p.phone.clone()),
                    wkt(&f.geometry),
                ]
            }),
        )?;
    }
    if !ds.hidden_hazards.is_empty() {
        write_hidden(&at("hidden_hazards", "csv"), ds)?;
    }
    Ok(())
}
