//! PROJ strings (`+proj=tmerc +lon_0=120 …`): the ones for systems RiskMap converts by
//! itself are read here, others go to PROJ when the `proj` feature is on.

use super::epsg::{ZoneFamily, cgcs2000_gk_code};
use super::kruger::TransverseMercator;
use super::{Crs, CrsError};

#[cfg(not(feature = "proj"))]
use super::PROJ_HINT;
#[cfg(feature = "proj")]
use super::proj_backend::proj_checked;

pub(super) fn tmerc_definition(tm: &TransverseMercator) -> String {
    format!(
        "+proj=tmerc +lat_0=0 +lon_0={} +k={} +x_0={} +y_0={} +ellps=GRS80 +units=m +no_defs",
        tm.central_meridian, tm.scale, tm.false_easting, tm.false_northing
    )
}

/// Reads the PROJ strings of the systems RiskMap converts by itself; others go to PROJ
/// when the feature is on.
pub(super) fn parse_proj_string(t: &str) -> Result<Crs, CrsError> {
    match proj_string_builtin(t) {
        Ok(crs) => Ok(crs),
        Err(reason) => {
            #[cfg(feature = "proj")]
            {
                let _ = reason;
                proj_checked(t.to_string())
            }
            #[cfg(not(feature = "proj"))]
            {
                Err(CrsError::Unsupported {
                    crs: t.to_string(),
                    reason: format!("{reason}; {PROJ_HINT}"),
                })
            }
        }
    }
}

fn proj_string_builtin(t: &str) -> Result<Crs, String> {
    let mut params: Vec<(String, Option<String>)> = Vec::new();
    for token in t.split_whitespace() {
        let token = token.trim_start_matches('+');
        match token.split_once('=') {
            Some((k, v)) => params.push((k.to_ascii_lowercase(), Some(v.to_string()))),
            None => params.push((token.to_ascii_lowercase(), None)),
        }
    }
    let get = |key: &str| {
        params
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_deref().unwrap_or(""))
    };
    let num = |key: &str, default: f64| -> Result<f64, String> {
        match get(key) {
            None => Ok(default),
            Some(v) => v
                .parse::<f64>()
                .map_err(|_| format!("+{key}={v} is not a number")),
        }
    };
    if get("towgs84")
        .is_some_and(|shift| shift.split(',').any(|v| v.trim().parse::<f64>() != Ok(0.0)))
    {
        return Err("a datum shift (+towgs84) is given".into());
    }
    if get("nadgrids").is_some_and(|g| g != "@null") || get("geoidgrids").is_some() {
        return Err("a grid-based datum shift is given".into());
    }
    if get("units").is_some_and(|u| u != "m") || get("to_meter").is_some() {
        return Err("units other than metres".into());
    }
    if get("pm").is_some_and(|pm| !matches!(pm, "greenwich" | "0"))
        || get("axis").is_some_and(|axis| axis != "enu")
    {
        return Err("a prime meridian or axis order of its own".into());
    }
    let proj = get("proj").ok_or("no +proj")?.to_ascii_lowercase();
    let datum = get("datum").map(str::to_ascii_uppercase);
    let ellps = get("ellps").map(str::to_ascii_uppercase);
    let spherical = get("a") == Some("6378137") && get("b") == Some("6378137");
    let wgs84 =
        datum.as_deref() == Some("WGS84") || (datum.is_none() && ellps.as_deref() == Some("WGS84"));
    let grs80 =
        datum.is_none() && get("a").is_none() && matches!(ellps.as_deref(), Some("GRS80") | None);
    match proj.as_str() {
        "longlat" | "latlong" | "lonlat" | "latlon" => {
            if wgs84 {
                Ok(Crs::Wgs84)
            } else if grs80 && ellps.is_some() {
                Ok(Crs::Cgcs2000)
            } else {
                Err("a datum other than WGS 84 or CGCS2000".into())
            }
        }
        "webmerc" if wgs84 => Ok(Crs::WebMercator),
        "merc" if spherical => {
            let plain = ["lat_ts", "lon_0", "x_0", "y_0"]
                .iter()
                .all(|k| num(k, 0.0).is_ok_and(|v| v == 0.0))
                && num("k", 1.0).is_ok_and(|v| v == 1.0);
            if plain {
                Ok(Crs::WebMercator)
            } else {
                Err("a Mercator other than Web Mercator".into())
            }
        }
        "utm" if wgs84 || grs80 => {
            let zone: u8 = get("zone")
                .and_then(|z| z.parse().ok())
                .filter(|z| (1..=60).contains(z))
                .ok_or("+zone must be 1 to 60")?;
            Ok(Crs::Utm {
                zone,
                north: get("south").is_none(),
            })
        }
        "tmerc" if wgs84 || grs80 => classify_tm(
            num("lon_0", 0.0)?,
            num("k", num("k_0", 1.0)?)?,
            num("x_0", 0.0)?,
            num("y_0", 0.0)?,
            num("lat_0", 0.0)?,
            None,
        ),
        _ => Err(format!(
            "+proj={proj} with this datum is not converted by RiskMap itself"
        )),
    }
}

/// Turns transverse Mercator parameters into the most specific [`Crs`]; refuses
/// parameters no projection has (not finite, a scale factor that is not positive, an
/// origin beyond the poles), which would turn every coordinate into NaN.
pub(super) fn classify_tm(
    cm: f64,
    k: f64,
    fe: f64,
    fn_: f64,
    lat0: f64,
    gk_codes: Option<Option<ZoneFamily>>,
) -> Result<Crs, String> {
    if ![cm, k, fe, fn_, lat0].iter().all(|v| v.is_finite()) {
        return Err(format!(
            "transverse Mercator parameters must be finite numbers: central meridian {cm}, \
             scale factor {k}, false easting {fe}, false northing {fn_}, latitude of origin {lat0}"
        ));
    }
    if k <= 0.0 {
        return Err(format!("the scale factor {k} is not positive"));
    }
    if lat0.abs() > 90.0 {
        return Err(format!("the latitude of origin {lat0} is beyond the poles"));
    }
    let tm = TransverseMercator::with_origin_latitude(cm, k, fe, fn_, lat0);
    if k == 1.0 && tm.false_northing == 0.0 {
        let epsg = gk_codes.and_then(|hint| cgcs2000_gk_code(cm, fe, hint));
        return Ok(Crs::GaussKruger {
            epsg,
            central_meridian: cm,
            false_easting: fe,
        });
    }
    if k == 0.9996
        && fe == 500_000.0
        && (tm.false_northing == 0.0 || tm.false_northing == 10_000_000.0)
    {
        let zone = (cm + 183.0) / 6.0;
        if zone.fract() == 0.0 && (1.0..=60.0).contains(&zone) {
            // Range-checked integral value.
            let zone = zone as u8;
            return Ok(Crs::Utm {
                zone,
                north: tm.false_northing == 0.0,
            });
        }
    }
    Ok(Crs::TransverseMercator(tm))
}
