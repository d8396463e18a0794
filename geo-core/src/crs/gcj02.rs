//! GCJ-02 (火星坐标, AMap/Tencent) and BD-09 (百度坐标, Baidu): the offset systems of
//! Chinese web maps, by the widely published formulas.

use std::f64::consts::PI;

/// Semi-major axis of the Krasovsky ellipsoid, which the GCJ-02 formula uses.
const GCJ_A: f64 = 6_378_245.0;
/// First eccentricity squared of the Krasovsky ellipsoid.
const GCJ_EE: f64 = 0.006_693_421_622_965_943;
/// π·3000/180, the constant of Baidu's BD-09 formula.
const X_PI: f64 = PI * 3000.0 / 180.0;

/// Whether GCJ-02 applies: the rectangle 72.004–137.8347°E, 0.8293–55.8271°N that the
/// widely published implementations use.
///
/// It is a rectangle, so it also covers neighbours (Korea, most of Japan's west, South-East
/// Asia, Mongolia); that is the usual rule and what other tools do, so RiskMap does the
/// same to agree with them. Outside it GCJ-02 and BD-09 coordinates equal WGS84.
pub fn in_china(lon: f64, lat: f64) -> bool {
    (72.004..=137.8347).contains(&lon) && (0.8293..=55.8271).contains(&lat)
}

/// The GCJ-02 offset `(Δlon, Δlat)` in degrees at a WGS84 point, ignoring the rectangle.
fn gcj_offset(lon: f64, lat: f64) -> (f64, f64) {
    let x = lon - 105.0;
    let y = lat - 35.0;
    let common = (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    let mut dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    dlat += common;
    dlat += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlat += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    let mut dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    dlon += common;
    dlon += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlon += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    let rad = lat.to_radians();
    let magic = 1.0 - GCJ_EE * rad.sin() * rad.sin();
    let sqrt_magic = magic.sqrt();
    let dlat = dlat * 180.0 / ((GCJ_A * (1.0 - GCJ_EE)) / (magic * sqrt_magic) * PI);
    let dlon = dlon * 180.0 / (GCJ_A / sqrt_magic * rad.cos() * PI);
    (dlon, dlat)
}

/// WGS84 → GCJ-02 (火星坐标), by the widely published formula; outside
/// [`in_china`]'s rectangle the point is returned unchanged.
pub fn wgs84_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    if !in_china(lon, lat) {
        return (lon, lat);
    }
    let (dlon, dlat) = gcj_offset(lon, lat);
    (lon + dlon, lat + dlat)
}

/// GCJ-02 → WGS84, inverting [`wgs84_to_gcj02`] by fixed-point iteration to about
/// 10⁻¹⁰ degrees (the offset changes by under 1 % of a step, so each step gains two
/// digits). Outside [`in_china`]'s rectangle the point is returned unchanged.
pub fn gcj02_to_wgs84(lon: f64, lat: f64) -> (f64, f64) {
    if !in_china(lon, lat) {
        return (lon, lat);
    }
    let (mut wlon, mut wlat) = (lon, lat);
    for _ in 0..30 {
        let (dlon, dlat) = gcj_offset(wlon, wlat);
        let next = (lon - dlon, lat - dlat);
        let step = (next.0 - wlon).abs().max((next.1 - wlat).abs());
        (wlon, wlat) = next;
        if step < 1e-11 {
            break;
        }
    }
    (wlon, wlat)
}

/// GCJ-02 → BD-09 (百度坐标), Baidu's published formula.
pub fn gcj02_to_bd09(lon: f64, lat: f64) -> (f64, f64) {
    let z = lon.hypot(lat) + 0.00002 * (lat * X_PI).sin();
    let theta = lat.atan2(lon) + 0.000003 * (lon * X_PI).cos();
    (z * theta.cos() + 0.0065, z * theta.sin() + 0.006)
}

/// BD-09 → GCJ-02 by the usual approximate inverse, as every other tool computes it;
/// it round-trips [`gcj02_to_bd09`] to about 2·10⁻⁶ degrees (0.2 m).
pub fn bd09_to_gcj02(lon: f64, lat: f64) -> (f64, f64) {
    let x = lon - 0.0065;
    let y = lat - 0.006;
    let z = x.hypot(y) - 0.00002 * (y * X_PI).sin();
    let theta = y.atan2(x) - 0.000003 * (x * X_PI).cos();
    (z * theta.cos(), z * theta.sin())
}
