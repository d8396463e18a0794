//! Reading the CRS of an ESRI `.prj` file, or any CRS given as WKT (WKT1 as ESRI and
//! GDAL write it; simple WKT2 works too).

use std::f64::consts::PI;

use super::epsg::{ZoneFamily, builtin_epsg};
use super::projstr::classify_tm;
use super::{Crs, CrsError};
use crate::wkt::{self, Node, Value};

#[cfg(not(feature = "proj"))]
use super::PROJ_HINT;
#[cfg(feature = "proj")]
use super::proj_backend::proj_checked;

/// [`Crs::from_prj`]: an authority code on the whole CRS wins, then the parameters of a
/// datum and projection RiskMap converts itself, then (with the `proj` feature) PROJ.
pub(super) fn from_prj(wkt: &str) -> Result<Crs, CrsError> {
    let text = wkt.trim().trim_start_matches('\u{feff}').trim();
    let root = wkt::parse(text).map_err(|e| CrsError::InvalidPrj {
        reason: e.to_string(),
    })?;
    let authority_code = epsg_authority(&root);
    if let Some(crs) = authority_code.and_then(builtin_epsg) {
        return Ok(crs);
    }
    // PROJ knows the code exactly; without PROJ the parameters may still do.
    #[cfg(feature = "proj")]
    if let Some(code) = authority_code {
        return proj_checked(format!("EPSG:{code}"));
    }
    match crs_from_wkt_params(&root) {
        Ok(crs) => Ok(crs),
        #[cfg(feature = "proj")]
        Err(_) => proj_checked(text.to_string()),
        #[cfg(not(feature = "proj"))]
        Err(reason) => {
            let name = match authority_code {
                Some(code) => format!("EPSG:{code}"),
                None => match root.name() {
                    Some(n) if !n.trim().is_empty() && !n.eq_ignore_ascii_case("unknown") => {
                        n.to_string()
                    }
                    _ => "the .prj's coordinate system (it names none)".to_string(),
                },
            };
            Err(CrsError::Unsupported {
                crs: name,
                reason: format!("{reason}; {PROJ_HINT}"),
            })
        }
    }
}

/// The name of a WKT CRS (the first quoted text of its root), if it parses.
#[cfg(feature = "proj")]
pub(super) fn wkt_name(wkt: &str) -> Option<String> {
    wkt::parse(wkt)
        .ok()
        .and_then(|n| n.name().map(str::to_string))
}

/// The EPSG code from a node's own `AUTHORITY` (WKT1) or `ID` (WKT2).
fn epsg_authority(node: &Node) -> Option<u32> {
    let auth = node.child(&["AUTHORITY", "ID"])?;
    let is_epsg =
        matches!(auth.args.first(), Some(Value::Text(a)) if a.eq_ignore_ascii_case("EPSG"));
    if !is_epsg {
        return None;
    }
    let code = auth.number(1)?;
    (code.fract() == 0.0 && (1.0..=f64::from(u32::MAX)).contains(&code)).then_some(code as u32)
}

/// Every `PARAMETER` below a node (WKT2 nests them in `CONVERSION`), by normalised name.
fn parameters(node: &Node, out: &mut Vec<(String, f64)>) {
    for child in node.children() {
        if child.keyword.eq_ignore_ascii_case("PARAMETER") {
            if let (Some(name), Some(value)) = (child.name(), child.number(1)) {
                out.push((normalise(name), value));
            }
        } else if child.keyword.eq_ignore_ascii_case("CONVERSION") {
            parameters(child, out);
        }
    }
}

/// Lower-case letters and digits only, so `False_Easting`, `false easting` and
/// `False Easting` compare equal.
fn normalise(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Which of the two datums RiskMap treats as one a WKT geographic CRS uses.
fn wkt_datum(geog: &Node) -> Result<Crs, String> {
    let datum = geog
        .child(&["DATUM", "GEODETICDATUM", "TRF", "ENSEMBLE"])
        .ok_or("no DATUM")?;
    if datum.child(&["TOWGS84"]).is_some_and(|shift| {
        shift
            .args
            .iter()
            .any(|a| !matches!(a, Value::Number(v) if *v == 0.0))
    }) {
        return Err("the datum has a TOWGS84 shift".into());
    }
    let name = normalise(datum.name().unwrap_or(""));
    if geog
        .child(&["PRIMEM", "PRIMEMERIDIAN"])
        .and_then(|primem| primem.number(1))
        .is_some_and(|v| v != 0.0)
    {
        return Err("the prime meridian is not Greenwich".into());
    }
    if name.contains("wgs1984")
        || name.contains("wgs84")
        || name.contains("worldgeodeticsystem1984")
    {
        Ok(Crs::Wgs84)
    } else if name.contains("china2000")
        || name.contains("cgcs2000")
        || name.contains("chinageodeticcoordinatesystem2000")
    {
        Ok(Crs::Cgcs2000)
    } else if name.contains("unknownbasedongrs80") && on_grs80(datum) {
        // What GDAL writes for a grid defined on the GRS 80 ellipsoid with no datum named
        // (`+ellps=GRS80`): a city's own transverse Mercator on CGCS2000, whose
        // ellipsoid is GRS 80's to within a tenth of a millimetre.
        Ok(Crs::Cgcs2000)
    } else {
        Err(format!(
            "datum {:?} is neither WGS 84 nor CGCS2000",
            datum.name().unwrap_or("")
        ))
    }
}

/// Whether a datum's ellipsoid is GRS 80 (a = 6 378 137 m, 1/f = 298.257222101).
fn on_grs80(datum: &Node) -> bool {
    datum.child(&["SPHEROID", "ELLIPSOID"]).is_some_and(|e| {
        e.number(1).is_some_and(|a| a == 6_378_137.0)
            && e.number(2)
                .is_some_and(|rf| (rf - 298.257_222_101).abs() < 1e-6)
    })
}

fn crs_from_wkt_params(root: &Node) -> Result<Crs, String> {
    let kw = root.keyword.to_ascii_uppercase();
    match kw.as_str() {
        "GEOGCS" | "GEOGCRS" | "GEODCRS" | "GEOGRAPHICCRS" | "GEODETICCRS" => {
            if root
                .child(&["UNIT", "ANGLEUNIT"])
                .and_then(|unit| unit.number(1))
                .is_some_and(|v| (v - PI / 180.0).abs() > 1e-12)
            {
                return Err("angles are not in degrees".into());
            }
            wkt_datum(root)
        }
        "PROJCS" | "PROJCRS" | "PROJECTEDCRS" => {
            let geog = root
                .child(&["GEOGCS", "BASEGEOGCRS", "BASEGEODCRS"])
                .ok_or("no GEOGCS in PROJCS")?;
            let datum = wkt_datum(geog)?;
            if root
                .child(&["UNIT", "LENGTHUNIT"])
                .and_then(|unit| unit.number(1))
                .is_some_and(|v| (v - 1.0).abs() > 1e-12)
            {
                return Err("the linear unit is not the metre".into());
            }
            let method = root
                .child(&["PROJECTION"])
                .or_else(|| {
                    root.child(&["CONVERSION"])
                        .and_then(|c| c.child(&["METHOD"]))
                })
                .and_then(Node::name)
                .map(normalise)
                .ok_or("no PROJECTION")?;
            let name = normalise(root.name().unwrap_or(""));
            let mut params = Vec::new();
            parameters(root, &mut params);
            let param = |keys: &[&str], default: f64| {
                params
                    .iter()
                    .find(|(k, _)| keys.contains(&k.as_str()))
                    .map_or(default, |(_, v)| *v)
            };
            if method.contains("auxiliarysphere")
                || method.contains("pseudomercator")
                || ((method.starts_with("mercator"))
                    && (name.contains("webmercator") || name.contains("pseudomercator")))
            {
                return Ok(Crs::WebMercator);
            }
            if !matches!(
                method.as_str(),
                "transversemercator" | "gausskruger" | "gausskrueger"
            ) {
                return Err(format!("projection {method:?} is not transverse Mercator"));
            }
            let cm = param(
                &[
                    "centralmeridian",
                    "longitudeofnaturalorigin",
                    "longitudeoforigin",
                ],
                0.0,
            );
            let k = param(&["scalefactor", "scalefactoratnaturalorigin"], 1.0);
            let fe = param(&["falseeasting"], 0.0);
            let fn_ = param(&["falsenorthing"], 0.0);
            let lat0 = param(&["latitudeoforigin", "latitudeofnaturalorigin"], 0.0);
            let hint = if name.contains("3degree") || name.contains("3deg") {
                Some(ZoneFamily::ThreeDegree)
            } else if name.contains("gk") || name.contains("gausskruger") {
                Some(ZoneFamily::SixDegree)
            } else {
                None
            };
            // Codes 4491–4554 are CGCS2000 zones: a WGS84 grid is not one of them.
            let codes = (datum == Crs::Cgcs2000).then_some(hint);
            classify_tm(cm, k, fe, fn_, lat0, codes)
        }
        "COMPD_CS" | "COMPOUNDCRS" => {
            let horizontal = root
                .children()
                .find(|n| {
                    matches!(
                        n.keyword.to_ascii_uppercase().as_str(),
                        "PROJCS" | "GEOGCS" | "PROJCRS" | "GEOGCRS" | "GEODCRS"
                    )
                })
                .ok_or("no horizontal CRS in the compound CRS")?;
            if let Some(crs) = epsg_authority(horizontal).and_then(builtin_epsg) {
                return Ok(crs);
            }
            crs_from_wkt_params(horizontal)
        }
        _ => Err(format!("{} is not a horizontal CRS", root.keyword)),
    }
}
