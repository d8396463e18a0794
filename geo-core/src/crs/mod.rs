//! Coordinate reference systems (坐标系) of input ledgers, and their conversion to WGS84.
//!
//! Ledgers reach RiskMap in WGS84 or CGCS2000 longitude/latitude, in CGCS2000
//! Gauss–Krüger (高斯-克吕格) zones, in UTM, in Web Mercator, or in the offset GCJ-02
//! (火星坐标, AMap/Tencent) and BD-09 (百度坐标) systems. Everything is converted to WGS84
//! longitude/latitude when it is loaded; [`Crs`] names the system a file is in and does
//! the conversion.
//!
//! Coordinates are always `(x, y)` = `(longitude, latitude)` or `(easting, northing)`,
//! whatever axis order the EPSG registry declares (EPSG:4326 and the CGCS2000 zones
//! formally put latitude / northing first): ledgers and GeoJSON put the east–west value
//! first, and so does this module.
//!
//! # Datums
//! CGCS2000 (2000国家大地坐标系) and WGS84 are treated as the same datum, as PROJ also
//! does: both are aligned with the ITRF and agree to a few centimetres as defined. (As
//! CGCS2000 stays at epoch 2000.0 while WGS84 follows the moving plates, today's
//! coordinates of one point can differ by decimetres; that is still far below what a
//! risk map resolves.) Gauss–Krüger zones are computed on the CGCS2000 ellipsoid (GRS80) and UTM on the
//! WGS84 ellipsoid; the two flattenings differ by 1.6·10⁻¹¹, which moves a projected
//! point by at most about 0.1 mm. Older datums (Beijing 1954 北京54, Xian 1980 西安80)
//! genuinely differ, by up to a hundred metres, and are only available through PROJ
//! (cargo feature `proj`).
//!
//! ```
//! use riskmap_core::crs::Crs;
//! let crs = Crs::parse("EPSG:4528")?;
//! let (lon, lat) = crs.to_wgs84(40_610_692.1889, 3_530_252.1086)?;
//! assert!((lon - 121.17).abs() < 1e-9 && (lat - 31.89).abs() < 1e-9);
//! assert_eq!(crs.to_string(), "EPSG:4528 (CGCS2000 / 3-degree Gauss-Kruger zone 40)");
//! # Ok::<(), riskmap_core::crs::CrsError>(())
//! ```

use std::fmt;

mod epsg;
mod gcj02;
mod kruger;
mod mercator;
mod prj;
#[cfg(feature = "proj")]
mod proj_backend;
mod projstr;
#[cfg(test)]
mod tests;

pub use gcj02::{bd09_to_gcj02, gcj02_to_bd09, gcj02_to_wgs84, in_china, wgs84_to_gcj02};
pub use kruger::TransverseMercator;

use epsg::{
    builtin_epsg, cgcs2000_gk_name, from_alias, from_authority, split_authority, unknown_epsg,
};
#[cfg(feature = "proj")]
use proj_backend::{proj_checked, proj_convert_many, proj_convert_one};
use projstr::{parse_proj_string, tmerc_definition};

/// An ellipsoid given by its semi-major axis and flattening (椭球).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Ellipsoid {
    /// Semi-major axis, metres.
    pub a: f64,
    /// Flattening.
    pub f: f64,
}

impl Ellipsoid {
    /// The CGCS2000 ellipsoid (2000国家大地坐标系), numerically GRS80.
    pub const CGCS2000: Ellipsoid = Ellipsoid {
        a: 6_378_137.0,
        f: 1.0 / 298.257_222_101,
    };
    /// The WGS84 ellipsoid.
    pub const WGS84: Ellipsoid = Ellipsoid {
        a: 6_378_137.0,
        f: 1.0 / 298.257_223_563,
    };
}

/// Why a coordinate reference system could not be recognised or a coordinate converted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CrsError {
    /// The text does not name any coordinate reference system RiskMap knows.
    #[error(
        "unrecognised coordinate reference system {input:?}: expected for example \
         \"EPSG:4528\", \"EPSG:4326\", \"cgcs2000\", \"gcj02\" or \"bd09\""
    )]
    Unrecognized {
        /// The text as given.
        input: String,
    },
    /// A recognised coordinate reference system that this build cannot convert.
    #[error("{crs} is not supported: {reason}")]
    Unsupported {
        /// The system, e.g. `EPSG:2385`.
        crs: String,
        /// What is missing, and what to do about it.
        reason: String,
    },
    /// A `.prj` file that is not well-formed WKT, or lacks what a projection needs.
    #[error("invalid .prj (WKT) text: {reason}")]
    InvalidPrj {
        /// What is wrong, with the character position where that helps.
        reason: String,
    },
    /// A coordinate that cannot be in the given system, such as an easting outside the
    /// zone, a latitude beyond 90° or a NaN.
    #[error("coordinate ({x}, {y}) cannot be in {crs}: {reason}")]
    OutOfDomain {
        /// The system the coordinate was read or written in.
        crs: String,
        /// The first coordinate as given (longitude or easting).
        x: f64,
        /// The second coordinate as given (latitude or northing).
        y: f64,
        /// What is wrong, and the likely cause.
        reason: String,
    },
    /// PROJ refused the system or failed to convert a coordinate.
    #[cfg(feature = "proj")]
    #[error("PROJ failed for {crs}: {message}")]
    Proj {
        /// The system handed to PROJ.
        crs: String,
        /// PROJ's own message.
        message: String,
    },
}

/// A coordinate reference system an input file can be in.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Crs {
    /// WGS84 longitude/latitude, EPSG:4326 (also OGC CRS84).
    Wgs84,
    /// CGCS2000 longitude/latitude (2000国家大地坐标系), EPSG:4490.
    ///
    /// Treated as WGS84: the two datums differ by centimetres (see the module docs).
    Cgcs2000,
    /// Web Mercator (Web墨卡托), EPSG:3857 (also 900913, 3785 and ESRI 102100, 102113):
    /// spherical Mercator on a 6 378 137 m sphere, valid to ±85.0511° latitude.
    WebMercator,
    /// A CGCS2000 Gauss–Krüger zone (高斯-克吕格投影): transverse Mercator with scale 1
    /// and no false northing, EPSG:4491–4554 (6° and 3° zones, with and without the zone
    /// number prefixed to the easting).
    GaussKruger {
        /// The EPSG code, when the zone is one of EPSG:4491–4554.
        epsg: Option<u32>,
        /// Central meridian (中央经线), degrees east.
        central_meridian: f64,
        /// False easting, metres: 500 000, plus zone × 1 000 000 when the zone number is
        /// prefixed (带号).
        false_easting: f64,
    },
    /// UTM on WGS84 (EPSG:326xx north, 327xx south), also used for CGCS2000 UTM.
    Utm {
        /// Zone number, 1–60 (China: 43–53).
        zone: u8,
        /// Northern hemisphere (no 10 000 km false northing).
        north: bool,
    },
    /// Any other transverse Mercator on WGS84/CGCS2000, as read from a `.prj` or PROJ
    /// string (e.g. a city grid with a false northing or a scale factor).
    TransverseMercator(TransverseMercator),
    /// GCJ-02 (国测局坐标, 火星坐标): the offset coordinates of AMap (高德) and Tencent.
    Gcj02,
    /// BD-09 (百度坐标): Baidu's further offset of GCJ-02.
    Bd09,
    /// Any CRS that PROJ knows, by any definition PROJ accepts (`EPSG:2385`, WKT, a
    /// PROJ string).
    ///
    /// PROJ needs its database `proj.db` at run time: a build remembers where it built
    /// one, and a binary run on another machine needs `PROJ_DATA` pointing at a copy of
    /// the same PROJ version's.
    #[cfg(feature = "proj")]
    Proj(String),
}

/// How far from the false easting a projected easting may be. A 6° zone reaches 334 km
/// from its meridian at the equator; 400 km leaves room for points just over the edge
/// while keeping the zone number prefixed to an easting (带号) unchanged, and refuses
/// degrees or eastings with a missing or extra prefix.
const MAX_EASTING_OFFSET: f64 = 400_000.0;
/// A little more than the length of a quarter meridian, metres.
const MAX_NORTHING_OFFSET: f64 = 10_002_000.0;

impl Crs {
    /// Recognises a CRS from the way ledgers and users write it.
    ///
    /// Accepts EPSG codes in every usual spelling (`EPSG:4326`, `4490`, `epsg:4528`,
    /// `urn:ogc:def:crs:EPSG::4528`, `http://www.opengis.net/def/crs/EPSG/0/4549`),
    /// `urn:ogc:def:crs:OGC:1.3:CRS84`, names (`wgs84`, `cgcs2000`, `gcj02`, `GCJ-02`,
    /// `bd09`, `BD-09`, `webmercator`, `utm51n`, and the Chinese 火星坐标, 百度坐标),
    /// PROJ strings for `tmerc`, `utm`, `longlat` and `merc`, and WKT (as
    /// [`Crs::from_prj`]).
    ///
    /// Codes RiskMap does not convert by itself become `Crs::Proj` when built with the
    /// `proj` feature, and [`CrsError::Unsupported`] otherwise.
    pub fn parse(s: &str) -> Result<Crs, CrsError> {
        let t = s.trim().trim_start_matches('\u{feff}').trim();
        if t.is_empty() {
            return Err(CrsError::Unrecognized { input: s.into() });
        }
        if t.starts_with('+') {
            return parse_proj_string(t);
        }
        if t.contains('[') {
            return Crs::from_prj(t);
        }
        // What Display printed, e.g. "EPSG:4528 (CGCS2000 / 3-degree Gauss-Kruger zone 40)",
        // pasted back from a report or message.
        if let Some(Ok(crs)) = t
            .split_once(" (")
            .filter(|_| t.ends_with(')'))
            .map(|(head, _)| Crs::parse(head))
        {
            return Ok(crs);
        }
        if let Some((auth, code)) = split_authority(t) {
            return from_authority(&auth, &code);
        }
        if t.bytes().all(|b| b.is_ascii_digit()) {
            let code = t
                .parse::<u32>()
                .map_err(|_| CrsError::Unrecognized { input: s.into() })?;
            return Crs::from_epsg(code);
        }
        if let Some(crs) = from_alias(t) {
            return Ok(crs);
        }
        #[cfg(feature = "proj")]
        if t.starts_with('{') {
            return proj_checked(t.to_string());
        }
        Err(CrsError::Unrecognized { input: s.into() })
    }

    /// The CRS with this EPSG code.
    ///
    /// Built in: 4326, 4490, 3857 (and 900913, 3785, 102100, 102113), 4491–4554 and
    /// 32601–32660 / 32701–32760. Other codes need the `proj` feature.
    pub fn from_epsg(code: u32) -> Result<Crs, CrsError> {
        if let Some(crs) = builtin_epsg(code) {
            return Ok(crs);
        }
        unknown_epsg(code)
    }

    /// Recognises the CRS of an ESRI `.prj` file (WKT1; simple WKT2 works too).
    ///
    /// An `AUTHORITY["EPSG","nnnn"]` (or WKT2 `ID`) on the whole CRS wins. Otherwise the
    /// datum must be WGS84 or CGCS2000 and the projection transverse Mercator (including
    /// ESRI's `Gauss_Kruger`) or Web Mercator; its `Central_Meridian`, `False_Easting`,
    /// `False_Northing`, `Scale_Factor` and `Latitude_Of_Origin` are read, and a CGCS2000
    /// zone gets its EPSG code where the name or parameters make it unambiguous. With the
    /// `proj` feature anything else is handed to PROJ as it is.
    pub fn from_prj(wkt: &str) -> Result<Crs, CrsError> {
        prj::from_prj(wkt)
    }

    /// Whether coordinates are longitude/latitude in degrees (true for WGS84, CGCS2000,
    /// GCJ-02 and BD-09). A `Crs::Proj` reports `false` whatever it is, as PROJ is
    /// not asked.
    pub fn is_geographic(&self) -> bool {
        matches!(self, Crs::Wgs84 | Crs::Cgcs2000 | Crs::Gcj02 | Crs::Bd09)
    }

    /// The EPSG code, when the system has one (GCJ-02 and BD-09 have none).
    pub fn epsg(&self) -> Option<u32> {
        match self {
            Crs::Wgs84 => Some(4326),
            Crs::Cgcs2000 => Some(4490),
            Crs::WebMercator => Some(3857),
            Crs::GaussKruger { epsg, .. } => *epsg,
            Crs::Utm { zone, north } => (1..=60)
                .contains(zone)
                .then(|| if *north { 32600 } else { 32700 } + u32::from(*zone)),
            Crs::TransverseMercator(_) | Crs::Gcj02 | Crs::Bd09 => None,
            #[cfg(feature = "proj")]
            Crs::Proj(def) => match split_authority(def) {
                Some((auth, code)) if auth == "EPSG" => code.parse().ok(),
                _ => None,
            },
        }
    }

    /// Text that [`Crs::parse`] turns back into this CRS: `EPSG:nnnn` where there is a
    /// code, `GCJ-02`, `BD-09`, or a PROJ string for a zone without a code.
    pub fn to_definition(&self) -> String {
        match self {
            Crs::Gcj02 => "GCJ-02".into(),
            Crs::Bd09 => "BD-09".into(),
            Crs::GaussKruger {
                epsg: None,
                central_meridian,
                false_easting,
            } => tmerc_definition(&TransverseMercator::new(
                *central_meridian,
                1.0,
                *false_easting,
                0.0,
            )),
            Crs::TransverseMercator(tm) => tmerc_definition(tm),
            #[cfg(feature = "proj")]
            Crs::Proj(def) => def.clone(),
            other => match other.epsg() {
                Some(code) => format!("EPSG:{code}"),
                None => other.to_string(),
            },
        }
    }

    /// Converts one coordinate of this system to WGS84 `(longitude, latitude)`.
    ///
    /// For `Crs::Proj` each call builds (or reuses a per-thread cached) PROJ
    /// transformer; prefer [`Crs::to_wgs84_in_place`] for many points.
    pub fn to_wgs84(&self, x: f64, y: f64) -> Result<(f64, f64), CrsError> {
        match self {
            Crs::Wgs84 | Crs::Cgcs2000 => {
                check_lon_lat(self, x, y)?;
                Ok((x, y))
            }
            Crs::Gcj02 => {
                check_lon_lat(self, x, y)?;
                Ok(gcj02_to_wgs84(x, y))
            }
            Crs::Bd09 => {
                check_lon_lat(self, x, y)?;
                let (gx, gy) = bd09_to_gcj02(x, y);
                Ok(if in_china(x, y) {
                    gcj02_to_wgs84(gx, gy)
                } else {
                    (x, y)
                })
            }
            Crs::WebMercator => mercator::to_wgs84(self, x, y),
            Crs::GaussKruger { .. } | Crs::Utm { .. } | Crs::TransverseMercator(_) => {
                let (tm, ellipsoid) = self.tm_params()?;
                check_projected(self, &tm, x, y)?;
                Ok(tm.inverse_on(ellipsoid, x, y))
            }
            #[cfg(feature = "proj")]
            Crs::Proj(def) => {
                check_finite(self, x, y)?;
                proj_convert_one(def, false, x, y)
            }
        }
    }

    /// Converts one WGS84 `(longitude, latitude)` into this system.
    pub fn from_wgs84(&self, lon: f64, lat: f64) -> Result<(f64, f64), CrsError> {
        check_lon_lat(&Crs::Wgs84, lon, lat)?;
        match self {
            Crs::Wgs84 | Crs::Cgcs2000 => Ok((lon, lat)),
            Crs::Gcj02 => Ok(wgs84_to_gcj02(lon, lat)),
            Crs::Bd09 => Ok(if in_china(lon, lat) {
                let (gx, gy) = wgs84_to_gcj02(lon, lat);
                gcj02_to_bd09(gx, gy)
            } else {
                (lon, lat)
            }),
            Crs::WebMercator => mercator::from_wgs84(self, lon, lat),
            Crs::GaussKruger { .. } | Crs::Utm { .. } | Crs::TransverseMercator(_) => {
                let (tm, ellipsoid) = self.tm_params()?;
                let (x, y) = tm.forward_on(ellipsoid, lon, lat);
                if check_projected(self, &tm, x, y).is_err() {
                    return Err(out_of_domain(
                        self,
                        lon,
                        lat,
                        "too far from the central meridian",
                    ));
                }
                Ok((x, y))
            }
            #[cfg(feature = "proj")]
            Crs::Proj(def) => proj_convert_one(def, true, lon, lat),
        }
    }

    /// Converts many coordinates of this system to WGS84 `(longitude, latitude)` in
    /// place; for `Crs::Proj` the PROJ transformer is built once.
    ///
    /// On error the slice may be partly converted and should be discarded; the error
    /// names the offending coordinate.
    pub fn to_wgs84_in_place(&self, coords: &mut [(f64, f64)]) -> Result<(), CrsError> {
        #[cfg(feature = "proj")]
        if let Crs::Proj(def) = self {
            return proj_convert_many(self, def, coords);
        }
        for c in coords.iter_mut() {
            *c = self.to_wgs84(c.0, c.1)?;
        }
        Ok(())
    }

    /// The projection and ellipsoid of a transverse Mercator system.
    fn tm_params(&self) -> Result<(TransverseMercator, Ellipsoid), CrsError> {
        match self {
            Crs::GaussKruger {
                central_meridian,
                false_easting,
                ..
            } => Ok((
                TransverseMercator::new(*central_meridian, 1.0, *false_easting, 0.0),
                Ellipsoid::CGCS2000,
            )),
            Crs::Utm { zone, north } => {
                if !(1..=60).contains(zone) {
                    return Err(CrsError::Unsupported {
                        crs: format!("UTM zone {zone}"),
                        reason: "UTM zones are numbered 1 to 60".into(),
                    });
                }
                Ok((TransverseMercator::utm(*zone, *north), Ellipsoid::WGS84))
            }
            Crs::TransverseMercator(tm) => Ok((*tm, Ellipsoid::CGCS2000)),
            other => Err(CrsError::Unsupported {
                crs: other.to_string(),
                reason: "not a transverse Mercator system".into(),
            }),
        }
    }
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Crs::Wgs84 => f.write_str("EPSG:4326 (WGS 84)"),
            Crs::Cgcs2000 => f.write_str("EPSG:4490 (CGCS2000)"),
            Crs::WebMercator => f.write_str("EPSG:3857 (WGS 84 / Pseudo-Mercator)"),
            Crs::GaussKruger {
                epsg: Some(code),
                central_meridian,
                ..
            } => match cgcs2000_gk_name(*code) {
                Some(name) => write!(f, "EPSG:{code} ({name})"),
                None => write!(
                    f,
                    "EPSG:{code} (Gauss-Kruger, central meridian {})",
                    DegreesEast(*central_meridian)
                ),
            },
            Crs::GaussKruger {
                epsg: None,
                central_meridian,
                false_easting,
            } => write!(
                f,
                "CGCS2000 / Gauss-Kruger (central meridian {}, false easting {false_easting} m)",
                DegreesEast(*central_meridian)
            ),
            Crs::Utm { zone, north } => {
                let hemisphere = if *north { 'N' } else { 'S' };
                match self.epsg() {
                    Some(code) => write!(f, "EPSG:{code} (WGS 84 / UTM zone {zone}{hemisphere})"),
                    None => write!(f, "WGS 84 / UTM zone {zone}{hemisphere} (no such zone)"),
                }
            }
            Crs::TransverseMercator(tm) => write!(
                f,
                "Transverse Mercator (central meridian {}, scale {}, false easting {} m, \
                 false northing {} m)",
                DegreesEast(tm.central_meridian),
                tm.scale,
                tm.false_easting,
                tm.false_northing
            ),
            Crs::Gcj02 => f.write_str("GCJ-02"),
            Crs::Bd09 => f.write_str("BD-09"),
            #[cfg(feature = "proj")]
            Crs::Proj(def) => {
                if def.contains('[') {
                    // A whole WKT is unreadable in a message: its name says enough.
                    let name = prj::wkt_name(def);
                    write!(f, "{}", name.as_deref().unwrap_or("WKT CRS"))
                } else {
                    f.write_str(def)
                }
            }
        }
    }
}

impl std::str::FromStr for Crs {
    type Err = CrsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Crs::parse(s)
    }
}

impl serde::Serialize for Crs {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_definition())
    }
}

impl<'de> serde::Deserialize<'de> for Crs {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Crs::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Formats a longitude as `120°E` / `3°W`.
struct DegreesEast(f64);

impl fmt::Display for DegreesEast {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 < 0.0 {
            write!(f, "{}°W", -self.0)
        } else {
            write!(f, "{}°E", self.0)
        }
    }
}

#[cfg(not(feature = "proj"))]
pub(super) const PROJ_HINT: &str = "RiskMap converts WGS 84, CGCS2000 (longitude/latitude, Gauss-Kruger \
    zones EPSG:4491-4554, UTM), Web Mercator, GCJ-02 and BD-09 by itself; build it with \
    `--features proj` to use any CRS that PROJ knows, or convert the file first \
    (ogr2ogr -t_srs EPSG:4490 out.shp in.shp)";

pub(super) fn out_of_domain(crs: &Crs, x: f64, y: f64, reason: &str) -> CrsError {
    CrsError::OutOfDomain {
        crs: crs.to_string(),
        x,
        y,
        reason: reason.into(),
    }
}

#[cfg(feature = "proj")]
pub(super) fn check_finite(crs: &Crs, x: f64, y: f64) -> Result<(), CrsError> {
    if x.is_finite() && y.is_finite() {
        Ok(())
    } else {
        Err(out_of_domain(crs, x, y, "not a finite number"))
    }
}

fn check_lon_lat(crs: &Crs, lon: f64, lat: f64) -> Result<(), CrsError> {
    if !(lon.is_finite() && lat.is_finite()) {
        return Err(out_of_domain(crs, lon, lat, "not a finite number"));
    }
    if lat.abs() > 90.0 {
        let reason = if lon.abs() <= 90.0 && lat.abs() <= 180.0 {
            "latitude beyond ±90°: longitude and latitude look swapped"
        } else if lat.abs() > 1000.0 {
            "latitude beyond ±90°: these look like projected metres, not degrees"
        } else {
            "latitude beyond ±90°"
        };
        return Err(out_of_domain(crs, lon, lat, reason));
    }
    if lon.abs() > 180.0 {
        let reason = if lon.abs() > 1000.0 {
            "longitude beyond ±180°: these look like projected metres, not degrees"
        } else {
            "longitude beyond ±180°"
        };
        return Err(out_of_domain(crs, lon, lat, reason));
    }
    Ok(())
}

fn check_projected(crs: &Crs, tm: &TransverseMercator, x: f64, y: f64) -> Result<(), CrsError> {
    if !(x.is_finite() && y.is_finite()) {
        return Err(out_of_domain(crs, x, y, "not a finite number"));
    }
    let dx = x - tm.false_easting;
    if dx.abs() >= MAX_EASTING_OFFSET {
        let low = tm.false_easting - MAX_EASTING_OFFSET;
        let high = tm.false_easting + MAX_EASTING_OFFSET;
        let swapped = (y - tm.false_easting).abs() < MAX_EASTING_OFFSET
            && (x - tm.false_northing).abs() <= MAX_NORTHING_OFFSET;
        let hint = if x.abs() < 1000.0 {
            "; these look like degrees, not metres"
        } else if swapped {
            "; x and y look swapped: the x column holds the northing and the y column the \
             easting, as Chinese surveying names them (X坐标 north): name the columns the \
             other way round (or 纵坐标 for the northing, 横坐标 for the easting)"
        } else if tm.false_easting >= 1_000_000.0 && x < 1_000_000.0 {
            "; the zone number (带号) prefix seems missing: pick the CRS without it"
        } else if tm.false_easting < 1_000_000.0 && x >= 1_000_000.0 {
            "; the easting seems to carry a zone number (带号) prefix: pick the CRS with it"
        } else {
            "; wrong zone or wrong CRS?"
        };
        return Err(out_of_domain(
            crs,
            x,
            y,
            &format!("the easting must lie between {low} and {high} m{hint}"),
        ));
    }
    if (y - tm.false_northing).abs() > MAX_NORTHING_OFFSET {
        return Err(out_of_domain(
            crs,
            x,
            y,
            "the northing is farther from the equator than the pole",
        ));
    }
    Ok(())
}
