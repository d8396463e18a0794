//! Web Mercator (Web墨卡托, EPSG:3857): spherical Mercator on a 6 378 137 m sphere, as
//! web map tiles use it.

use std::f64::consts::PI;

use super::{Crs, CrsError, out_of_domain};

/// Radius of the Web Mercator sphere, metres.
const WEB_MERCATOR_R: f64 = 6_378_137.0;
/// The latitude where Web Mercator's square world ends, atan(sinh π), degrees.
const WEB_MERCATOR_MAX_LAT: f64 = 85.051_128_779_806_59;

/// Web Mercator metres to WGS84 `(longitude, latitude)`; `crs` names the system in errors.
pub(super) fn to_wgs84(crs: &Crs, x: f64, y: f64) -> Result<(f64, f64), CrsError> {
    let limit = PI * WEB_MERCATOR_R + 1.0;
    if !(x.is_finite() && y.is_finite()) || x.abs() > limit || y.abs() > limit {
        return Err(out_of_domain(
            crs,
            x,
            y,
            "Web Mercator coordinates lie within ±20 037 508.34 m",
        ));
    }
    let lon = (x / WEB_MERCATOR_R).to_degrees().clamp(-180.0, 180.0);
    let lat = (y / WEB_MERCATOR_R).sinh().atan().to_degrees();
    Ok((lon, lat))
}

/// WGS84 `(longitude, latitude)` (already checked) to Web Mercator metres.
pub(super) fn from_wgs84(crs: &Crs, lon: f64, lat: f64) -> Result<(f64, f64), CrsError> {
    if lat.abs() > WEB_MERCATOR_MAX_LAT + 1e-9 {
        return Err(out_of_domain(
            crs,
            lon,
            lat,
            "Web Mercator ends at ±85.0511° latitude",
        ));
    }
    let x = WEB_MERCATOR_R * lon.to_radians();
    let y = WEB_MERCATOR_R * lat.to_radians().tan().asinh();
    Ok((x, y))
}
