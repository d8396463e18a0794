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

use std::f64::consts::PI;
use std::fmt;

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

/// Radius of the Web Mercator sphere, metres.
const WEB_MERCATOR_R: f64 = 6_378_137.0;
/// The latitude where Web Mercator's square world ends, atan(sinh π), degrees.
const WEB_MERCATOR_MAX_LAT: f64 = 85.051_128_779_806_59;
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
    /// Codes RiskMap does not convert by itself become [`Crs::Proj`] when built with the
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
        let text = wkt.trim().trim_start_matches('\u{feff}').trim();
        let root = WktParser::new(text).parse_root()?;
        let authority_code = root.epsg_authority();
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
                    None => root.name().unwrap_or("the .prj CRS").to_string(),
                };
                Err(CrsError::Unsupported {
                    crs: name,
                    reason: format!("{reason}; {PROJ_HINT}"),
                })
            }
        }
    }

    /// Whether coordinates are longitude/latitude in degrees (true for WGS84, CGCS2000,
    /// GCJ-02 and BD-09). A [`Crs::Proj`] reports `false` whatever it is, as PROJ is
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
    /// For [`Crs::Proj`] each call builds (or reuses a per-thread cached) PROJ
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
            Crs::WebMercator => {
                let limit = PI * WEB_MERCATOR_R + 1.0;
                if !(x.is_finite() && y.is_finite()) || x.abs() > limit || y.abs() > limit {
                    return Err(out_of_domain(
                        self,
                        x,
                        y,
                        "Web Mercator coordinates lie within ±20 037 508.34 m",
                    ));
                }
                let lon = (x / WEB_MERCATOR_R).to_degrees().clamp(-180.0, 180.0);
                let lat = (y / WEB_MERCATOR_R).sinh().atan().to_degrees();
                Ok((lon, lat))
            }
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
            Crs::WebMercator => {
                if lat.abs() > WEB_MERCATOR_MAX_LAT + 1e-9 {
                    return Err(out_of_domain(
                        self,
                        lon,
                        lat,
                        "Web Mercator ends at ±85.0511° latitude",
                    ));
                }
                let x = WEB_MERCATOR_R * lon.to_radians();
                let y = WEB_MERCATOR_R * lat.to_radians().tan().asinh();
                Ok((x, y))
            }
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
    /// place; for [`Crs::Proj`] the PROJ transformer is built once.
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
                    let name = WktParser::new(def)
                        .parse_root()
                        .ok()
                        .and_then(|n| n.name().map(str::to_string));
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
const PROJ_HINT: &str = "RiskMap converts WGS 84, CGCS2000 (longitude/latitude, Gauss-Kruger \
    zones EPSG:4491-4554, UTM), Web Mercator, GCJ-02 and BD-09 by itself; build it with \
    `--features proj` to use any CRS that PROJ knows";

fn out_of_domain(crs: &Crs, x: f64, y: f64, reason: &str) -> CrsError {
    CrsError::OutOfDomain {
        crs: crs.to_string(),
        x,
        y,
        reason: reason.into(),
    }
}

#[cfg(feature = "proj")]
fn check_finite(crs: &Crs, x: f64, y: f64) -> Result<(), CrsError> {
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
        let hint = if x.abs() < 1000.0 {
            "; these look like degrees, not metres"
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

// ---------------------------------------------------------------------------------------
// Codes and names

/// `(central meridian, false easting)` of a CGCS2000 Gauss–Krüger EPSG code.
fn cgcs2000_gk(code: u32) -> Option<(f64, f64)> {
    let (cm, fe) = match code {
        // 6° zones 13–23 with the zone prefixed to the easting.
        4491..=4501 => {
            let zone = code - 4491 + 13;
            (6 * zone - 3, zone * 1_000_000 + 500_000)
        }
        // 6° zones by central meridian, 75°E–135°E.
        4502..=4512 => (75 + 6 * (code - 4502), 500_000),
        // 3° zones 25–45 with the zone prefixed.
        4513..=4533 => {
            let zone = code - 4513 + 25;
            (3 * zone, zone * 1_000_000 + 500_000)
        }
        // 3° zones by central meridian.
        4534..=4554 => (75 + 3 * (code - 4534), 500_000),
        _ => return None,
    };
    Some((f64::from(cm), f64::from(fe)))
}

/// The EPSG registry's name of a CGCS2000 Gauss–Krüger code.
fn cgcs2000_gk_name(code: u32) -> Option<String> {
    let name = match code {
        4491..=4501 => format!("CGCS2000 / Gauss-Kruger zone {}", code - 4491 + 13),
        4502..=4512 => format!("CGCS2000 / Gauss-Kruger CM {}E", 75 + 6 * (code - 4502)),
        4513..=4533 => format!("CGCS2000 / 3-degree Gauss-Kruger zone {}", code - 4513 + 25),
        4534..=4554 => format!(
            "CGCS2000 / 3-degree Gauss-Kruger CM {}E",
            75 + 3 * (code - 4534)
        ),
        _ => return None,
    };
    Some(name)
}

/// Which family of zones a `.prj` name says it belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ZoneFamily {
    SixDegree,
    ThreeDegree,
}

/// The CGCS2000 Gauss–Krüger code for a central meridian and false easting.
///
/// Prefixed zones are unambiguous (6° zones are 13–23, 3° zones 25–45). Without prefix a
/// central meridian of 75°, 81°, … 135°E belongs to both families; the two give identical
/// coordinates, so without a hint from the name no code is claimed.
fn cgcs2000_gk_code(cm: f64, fe: f64, hint: Option<ZoneFamily>) -> Option<u32> {
    if cm.fract() != 0.0 || fe.fract() != 0.0 || !(75.0..=135.0).contains(&cm) {
        return None;
    }
    // Range-checked integral values, so the casts are exact.
    let cm = cm as u32;
    let fe = fe as u64;
    let three = cm.is_multiple_of(3);
    let six = cm % 6 == 3;
    if fe == 500_000 {
        return match hint {
            Some(ZoneFamily::ThreeDegree) if three => Some(4534 + (cm - 75) / 3),
            Some(ZoneFamily::SixDegree) if six => Some(4502 + (cm - 75) / 6),
            None if three && !six => Some(4534 + (cm - 75) / 3),
            _ => None,
        };
    }
    if fe % 1_000_000 != 500_000 {
        return None;
    }
    let zone = u32::try_from(fe / 1_000_000).ok()?;
    if (25..=45).contains(&zone) && cm == 3 * zone && hint != Some(ZoneFamily::SixDegree) {
        Some(4513 + zone - 25)
    } else if (13..=23).contains(&zone)
        && cm == 6 * zone - 3
        && hint != Some(ZoneFamily::ThreeDegree)
    {
        Some(4491 + zone - 13)
    } else {
        None
    }
}

fn builtin_epsg(code: u32) -> Option<Crs> {
    Some(match code {
        4326 => Crs::Wgs84,
        4490 => Crs::Cgcs2000,
        3857 | 900_913 | 3785 | 102_100 | 102_113 => Crs::WebMercator,
        32601..=32660 => Crs::Utm {
            zone: u8::try_from(code - 32600).ok()?,
            north: true,
        },
        32701..=32760 => Crs::Utm {
            zone: u8::try_from(code - 32700).ok()?,
            north: false,
        },
        _ => {
            let (central_meridian, false_easting) = cgcs2000_gk(code)?;
            Crs::GaussKruger {
                epsg: Some(code),
                central_meridian,
                false_easting,
            }
        }
    })
}

fn unknown_epsg(code: u32) -> Result<Crs, CrsError> {
    #[cfg(feature = "proj")]
    {
        proj_checked(format!("EPSG:{code}"))
    }
    #[cfg(not(feature = "proj"))]
    {
        Err(CrsError::Unsupported {
            crs: format!("EPSG:{code}"),
            reason: PROJ_HINT.into(),
        })
    }
}

/// Splits `EPSG:4326`, `EPSG::4326`, `urn:ogc:def:crs:EPSG::4326` and
/// `http://www.opengis.net/def/crs/EPSG/0/4326` into `("EPSG", "4326")`.
fn split_authority(t: &str) -> Option<(String, String)> {
    let lower = t.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("urn:ogc:def:crs:") {
        // urn:ogc:def:crs:{authority}:{version, possibly empty}:{code}
        let mut parts = rest.split(':');
        let auth = parts.next()?;
        let code = parts.next_back()?;
        return Some((
            auth.to_ascii_uppercase(),
            t[t.len() - code.len()..].to_string(),
        ));
    }
    for prefix in [
        "http://www.opengis.net/def/crs/",
        "https://www.opengis.net/def/crs/",
    ] {
        if let Some(rest) = lower.strip_prefix(prefix) {
            // {authority}/{version}/{code}
            let mut parts = rest.trim_end_matches('/').split('/');
            let auth = parts.next()?;
            let code = parts.next_back()?;
            return Some((auth.to_ascii_uppercase(), code.to_ascii_uppercase()));
        }
    }
    let (auth, code) = t.split_once(':')?;
    let code = code.trim_start_matches(':').trim();
    let auth = auth.trim();
    if auth.is_empty()
        || code.is_empty()
        || code.contains(':')
        || !auth
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return None;
    }
    Some((auth.to_ascii_uppercase(), code.to_string()))
}

fn from_authority(auth: &str, code: &str) -> Result<Crs, CrsError> {
    let upper = code.to_ascii_uppercase();
    match auth {
        "OGC" | "CRS" if matches!(upper.as_str(), "CRS84" | "84") => return Ok(Crs::Wgs84),
        "EPSG" | "ESRI" => {
            if let Ok(n) = code.parse::<u32>() {
                return match builtin_epsg(n) {
                    Some(crs) => Ok(crs),
                    None if auth == "EPSG" => unknown_epsg(n),
                    None => other_authority(auth, code),
                };
            }
        }
        _ => {}
    }
    other_authority(auth, code)
}

fn other_authority(auth: &str, code: &str) -> Result<Crs, CrsError> {
    #[cfg(feature = "proj")]
    {
        proj_checked(format!("{auth}:{code}"))
    }
    #[cfg(not(feature = "proj"))]
    {
        Err(CrsError::Unsupported {
            crs: format!("{auth}:{code}"),
            reason: PROJ_HINT.into(),
        })
    }
}

fn from_alias(t: &str) -> Option<Crs> {
    let key: String = t
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_' | '/' | '.'))
        .flat_map(char::to_lowercase)
        .collect();
    let crs = match key.as_str() {
        "wgs84" | "wgs1984" | "crs84" | "ogccrs84" | "gps" | "wgs84坐标" | "wgs84坐标系" => {
            Crs::Wgs84
        }
        "cgcs2000"
        | "china2000"
        | "2000国家大地坐标系"
        | "国家2000"
        | "国家2000坐标系"
        | "cgcs2000坐标系" => Crs::Cgcs2000,
        "webmercator"
        | "pseudomercator"
        | "wgs84pseudomercator"
        | "wgs84webmercator"
        | "googlemercator" => Crs::WebMercator,
        "gcj02" | "gcj" | "火星坐标" | "火星坐标系" | "国测局坐标" | "gcj02坐标系" | "amap"
        | "高德" => Crs::Gcj02,
        "bd09" | "bd09ll" | "bd" | "baidu" | "百度" | "百度坐标" | "百度坐标系" | "bd09坐标系" => {
            Crs::Bd09
        }
        _ => return utm_alias(&key),
    };
    Some(crs)
}

/// `utm51n`, `wgs84utmzone51n`, `utm zone 50s` and the like.
fn utm_alias(key: &str) -> Option<Crs> {
    let rest = key
        .strip_prefix("wgs84")
        .or_else(|| key.strip_prefix("wgs1984"))
        .or_else(|| key.strip_prefix("cgcs2000"))
        .unwrap_or(key);
    let rest = rest.strip_prefix("utm")?;
    let rest = rest.strip_prefix("zone").unwrap_or(rest);
    let (digits, north) = match rest.strip_suffix('n') {
        Some(digits) => (digits, true),
        None => (rest.strip_suffix('s')?, false),
    };
    let zone: u8 = digits.parse().ok()?;
    (1..=60).contains(&zone).then_some(Crs::Utm { zone, north })
}

// ---------------------------------------------------------------------------------------
// PROJ strings

fn tmerc_definition(tm: &TransverseMercator) -> String {
    format!(
        "+proj=tmerc +lat_0=0 +lon_0={} +k={} +x_0={} +y_0={} +ellps=GRS80 +units=m +no_defs",
        tm.central_meridian, tm.scale, tm.false_easting, tm.false_northing
    )
}

/// Reads the PROJ strings of the systems RiskMap converts by itself; others go to PROJ
/// when the feature is on.
fn parse_proj_string(t: &str) -> Result<Crs, CrsError> {
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
        "tmerc" if wgs84 || grs80 => Ok(classify_tm(
            num("lon_0", 0.0)?,
            num("k", num("k_0", 1.0)?)?,
            num("x_0", 0.0)?,
            num("y_0", 0.0)?,
            num("lat_0", 0.0)?,
            None,
        )),
        _ => Err(format!(
            "+proj={proj} with this datum is not converted by RiskMap itself"
        )),
    }
}

/// Turns transverse Mercator parameters into the most specific [`Crs`].
fn classify_tm(
    cm: f64,
    k: f64,
    fe: f64,
    fn_: f64,
    lat0: f64,
    gk_codes: Option<Option<ZoneFamily>>,
) -> Crs {
    let tm = TransverseMercator::with_origin_latitude(cm, k, fe, fn_, lat0);
    if k == 1.0 && tm.false_northing == 0.0 {
        let epsg = gk_codes.and_then(|hint| cgcs2000_gk_code(cm, fe, hint));
        return Crs::GaussKruger {
            epsg,
            central_meridian: cm,
            false_easting: fe,
        };
    }
    if k == 0.9996
        && fe == 500_000.0
        && (tm.false_northing == 0.0 || tm.false_northing == 10_000_000.0)
    {
        let zone = (cm + 183.0) / 6.0;
        if zone.fract() == 0.0 && (1.0..=60.0).contains(&zone) {
            // Range-checked integral value.
            let zone = zone as u8;
            return Crs::Utm {
                zone,
                north: tm.false_northing == 0.0,
            };
        }
    }
    Crs::TransverseMercator(tm)
}

// ---------------------------------------------------------------------------------------
// WKT

#[derive(Debug)]
enum WktValue {
    Text(String),
    Number(f64),
    /// An unquoted enumeration value such as WKT2's `north`; only its presence matters.
    Word,
    Node(WktNode),
}

#[derive(Debug)]
struct WktNode {
    keyword: String,
    args: Vec<WktValue>,
}

impl WktNode {
    fn name(&self) -> Option<&str> {
        match self.args.first() {
            Some(WktValue::Text(s)) => Some(s),
            _ => None,
        }
    }

    fn children(&self) -> impl Iterator<Item = &WktNode> {
        self.args.iter().filter_map(|a| match a {
            WktValue::Node(n) => Some(n),
            _ => None,
        })
    }

    fn child(&self, keywords: &[&str]) -> Option<&WktNode> {
        self.children()
            .find(|n| keywords.iter().any(|k| n.keyword.eq_ignore_ascii_case(k)))
    }

    fn number(&self, i: usize) -> Option<f64> {
        match self.args.get(i) {
            Some(WktValue::Number(v)) => Some(*v),
            Some(WktValue::Text(s)) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// The EPSG code from this node's own `AUTHORITY` (WKT1) or `ID` (WKT2).
    fn epsg_authority(&self) -> Option<u32> {
        let auth = self.child(&["AUTHORITY", "ID"])?;
        let is_epsg =
            matches!(auth.args.first(), Some(WktValue::Text(a)) if a.eq_ignore_ascii_case("EPSG"));
        if !is_epsg {
            return None;
        }
        let code = auth.number(1)?;
        (code.fract() == 0.0 && (1.0..=f64::from(u32::MAX)).contains(&code)).then_some(code as u32)
    }

    /// Every `PARAMETER` below this node (WKT2 nests them in `CONVERSION`), by normalised name.
    fn parameters(&self, out: &mut Vec<(String, f64)>) {
        for child in self.children() {
            if child.keyword.eq_ignore_ascii_case("PARAMETER") {
                if let (Some(name), Some(value)) = (child.name(), child.number(1)) {
                    out.push((normalise(name), value));
                }
            } else if child.keyword.eq_ignore_ascii_case("CONVERSION") {
                child.parameters(out);
            }
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

struct WktParser<'a> {
    text: &'a str,
    pos: usize,
    depth: usize,
}

/// Deeper nesting than any real CRS has; stops hostile input from exhausting the stack.
const MAX_WKT_DEPTH: usize = 32;

impl<'a> WktParser<'a> {
    fn new(text: &'a str) -> Self {
        WktParser {
            text,
            pos: 0,
            depth: 0,
        }
    }

    fn error(&self, what: &str) -> CrsError {
        CrsError::InvalidPrj {
            reason: format!("{what} at character {}", self.pos),
        }
    }

    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
    }

    fn parse_root(mut self) -> Result<WktNode, CrsError> {
        self.skip_ws();
        let word = self.word();
        if word.is_empty() {
            return Err(self.error("expected a WKT keyword such as PROJCS or GEOGCS"));
        }
        let node = self.node(word)?;
        self.skip_ws();
        if self.pos < self.text.len() {
            return Err(self.error("unexpected text after the end of the WKT"));
        }
        Ok(node)
    }

    fn word(&mut self) -> String {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || c == '_' {
                self.pos += 1;
            } else {
                break;
            }
        }
        self.text[start..self.pos].to_string()
    }

    fn node(&mut self, keyword: String) -> Result<WktNode, CrsError> {
        self.skip_ws();
        let close = match self.peek() {
            Some('[') => ']',
            Some('(') => ')',
            _ => return Err(self.error(&format!("expected '[' after {keyword}"))),
        };
        self.depth += 1;
        if self.depth > MAX_WKT_DEPTH {
            return Err(self.error("WKT nested too deeply"));
        }
        self.pos += 1;
        let mut args = Vec::new();
        loop {
            self.skip_ws();
            if self.peek() == Some(close) && args.is_empty() {
                self.pos += 1;
                break;
            }
            args.push(self.value()?);
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(c) if c == close => {
                    self.pos += 1;
                    break;
                }
                Some(_) => {
                    return Err(self.error(&format!("expected ',' or '{close}' in {keyword}")));
                }
                None => return Err(self.error(&format!("unclosed {keyword}"))),
            }
        }
        self.depth -= 1;
        Ok(WktNode { keyword, args })
    }

    fn value(&mut self) -> Result<WktValue, CrsError> {
        match self.peek() {
            Some('"') => {
                self.pos += 1;
                let mut s = String::new();
                loop {
                    let c = self
                        .peek()
                        .ok_or_else(|| self.error("unclosed quoted text"))?;
                    self.pos += c.len_utf8();
                    if c == '"' {
                        // WKT escapes a quote by doubling it.
                        if self.peek() == Some('"') {
                            self.pos += 1;
                            s.push('"');
                        } else {
                            break;
                        }
                    } else {
                        s.push(c);
                    }
                }
                Ok(WktValue::Text(s))
            }
            Some(c) if c.is_ascii_digit() || matches!(c, '-' | '+' | '.') => {
                let start = self.pos;
                while let Some(c) = self.peek() {
                    if c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E') {
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
                let text = &self.text[start..self.pos];
                text.parse()
                    .map(WktValue::Number)
                    .map_err(|_| self.error(&format!("{text:?} is not a number")))
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let word = self.word();
                self.skip_ws();
                if matches!(self.peek(), Some('[' | '(')) {
                    Ok(WktValue::Node(self.node(word)?))
                } else {
                    Ok(WktValue::Word)
                }
            }
            Some(_) => Err(self.error("unexpected character")),
            None => Err(self.error("unexpected end of text")),
        }
    }
}

/// Which of the two datums RiskMap treats as one a WKT geographic CRS uses.
fn wkt_datum(geog: &WktNode) -> Result<Crs, String> {
    let datum = geog
        .child(&["DATUM", "GEODETICDATUM", "TRF", "ENSEMBLE"])
        .ok_or("no DATUM")?;
    if datum.child(&["TOWGS84"]).is_some_and(|shift| {
        shift
            .args
            .iter()
            .any(|a| !matches!(a, WktValue::Number(v) if *v == 0.0))
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
    } else {
        Err(format!(
            "datum {:?} is neither WGS 84 nor CGCS2000",
            datum.name().unwrap_or("")
        ))
    }
}

fn crs_from_wkt_params(root: &WktNode) -> Result<Crs, String> {
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
                .and_then(WktNode::name)
                .map(normalise)
                .ok_or("no PROJECTION")?;
            let name = normalise(root.name().unwrap_or(""));
            let mut params = Vec::new();
            root.parameters(&mut params);
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
            Ok(classify_tm(cm, k, fe, fn_, lat0, codes))
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
            if let Some(crs) = horizontal.epsg_authority().and_then(builtin_epsg) {
                return Ok(crs);
            }
            crs_from_wkt_params(horizontal)
        }
        _ => Err(format!("{} is not a horizontal CRS", root.keyword)),
    }
}

// ---------------------------------------------------------------------------------------
// Transverse Mercator

/// Transverse Mercator (横轴墨卡托; with scale 1 the Gauss–Krüger projection 高斯-克吕格)
/// on the CGCS2000/GRS80 ellipsoid, by Krüger's series to n⁶ (Karney 2011, "Transverse
/// Mercator with an accuracy of a few nanometers"): within 4 000 km of the central
/// meridian its error is below a micrometre. Also a handy local metric plane.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TransverseMercator {
    /// Central meridian, degrees east.
    pub central_meridian: f64,
    /// Scale factor on the central meridian (1 for Gauss–Krüger, 0.9996 for UTM).
    pub scale: f64,
    /// False easting, metres.
    pub false_easting: f64,
    /// False northing, metres (northing of the equator).
    pub false_northing: f64,
}

/// Krüger series coefficients for one ellipsoid.
struct Krueger {
    /// Rectifying radius A (the meridian quadrant over π/2).
    a_rect: f64,
    e: f64,
    e2: f64,
    alpha: [f64; 6],
    beta: [f64; 6],
}

impl Krueger {
    fn new(ell: Ellipsoid) -> Self {
        let f = ell.f;
        let n = f / (2.0 - f);
        let n2 = n * n;
        let n3 = n2 * n;
        let n4 = n3 * n;
        let n5 = n4 * n;
        let n6 = n5 * n;
        let a_rect = ell.a / (1.0 + n) * (1.0 + n2 / 4.0 + n4 / 64.0 + n6 / 256.0);
        // Karney 2011, eq. (35).
        let alpha = [
            n / 2.0 - 2.0 / 3.0 * n2 + 5.0 / 16.0 * n3 + 41.0 / 180.0 * n4 - 127.0 / 288.0 * n5
                + 7891.0 / 37800.0 * n6,
            13.0 / 48.0 * n2 - 3.0 / 5.0 * n3 + 557.0 / 1440.0 * n4 + 281.0 / 630.0 * n5
                - 1_983_433.0 / 1_935_360.0 * n6,
            61.0 / 240.0 * n3 - 103.0 / 140.0 * n4
                + 15061.0 / 26880.0 * n5
                + 167_603.0 / 181_440.0 * n6,
            49561.0 / 161_280.0 * n4 - 179.0 / 168.0 * n5 + 6_601_661.0 / 7_257_600.0 * n6,
            34729.0 / 80640.0 * n5 - 3_418_889.0 / 1_995_840.0 * n6,
            212_378_941.0 / 319_334_400.0 * n6,
        ];
        // Karney 2011, eq. (36).
        let beta = [
            n / 2.0 - 2.0 / 3.0 * n2 + 37.0 / 96.0 * n3 - 1.0 / 360.0 * n4 - 81.0 / 512.0 * n5
                + 96199.0 / 604_800.0 * n6,
            n2 / 48.0 + n3 / 15.0 - 437.0 / 1440.0 * n4 + 46.0 / 105.0 * n5
                - 1_118_711.0 / 3_870_720.0 * n6,
            17.0 / 480.0 * n3 - 37.0 / 840.0 * n4 - 209.0 / 4480.0 * n5 + 5569.0 / 90720.0 * n6,
            4397.0 / 161_280.0 * n4 - 11.0 / 504.0 * n5 - 830_251.0 / 7_257_600.0 * n6,
            4583.0 / 161_280.0 * n5 - 108_847.0 / 3_991_680.0 * n6,
            20_648_693.0 / 638_668_800.0 * n6,
        ];
        let e2 = f * (2.0 - f);
        Krueger {
            a_rect,
            e: e2.sqrt(),
            e2,
            alpha,
            beta,
        }
    }

    /// tan of the conformal latitude from tan of the geodetic latitude (Karney eq. 7–9);
    /// this form stays accurate near the poles where sin-based formulas lose digits.
    fn conformal_tan(&self, tau: f64) -> f64 {
        let sigma = (self.e * (self.e * tau / tau.hypot(1.0)).atanh()).sinh();
        tau * sigma.hypot(1.0) - sigma * tau.hypot(1.0)
    }

    /// Inverse of [`Krueger::conformal_tan`] by Newton's method (Karney eq. 19–21),
    /// which converges in two or three steps.
    fn geodetic_tan(&self, taup: f64) -> f64 {
        let e2m = 1.0 - self.e2;
        let mut tau = taup / e2m;
        for _ in 0..10 {
            let taupa = self.conformal_tan(tau);
            let dtau = (taup - taupa) * (1.0 + e2m * tau * tau)
                / (e2m * tau.hypot(1.0) * taupa.hypot(1.0));
            tau += dtau;
            if dtau.abs() <= 1e-15 * tau.abs().max(1.0) {
                break;
            }
        }
        tau
    }
}

/// Longitude difference brought into [-180°, 180°].
fn lon_diff(lon: f64, lon0: f64) -> f64 {
    let d = (lon - lon0) % 360.0;
    if d > 180.0 {
        d - 360.0
    } else if d < -180.0 {
        d + 360.0
    } else {
        d
    }
}

impl TransverseMercator {
    /// A transverse Mercator with the given central meridian (degrees), scale factor and
    /// false easting / northing (metres).
    pub fn new(central_meridian: f64, scale: f64, false_easting: f64, false_northing: f64) -> Self {
        TransverseMercator {
            central_meridian,
            scale,
            false_easting,
            false_northing,
        }
    }

    /// A Gauss–Krüger zone (高斯-克吕格): scale 1, no false northing.
    pub fn gauss_kruger(central_meridian: f64, false_easting: f64) -> Self {
        Self::new(central_meridian, 1.0, false_easting, 0.0)
    }

    /// A UTM zone (1–60); the south adds a 10 000 km false northing.
    pub fn utm(zone: u8, north: bool) -> Self {
        let cm = f64::from(zone) * 6.0 - 183.0;
        Self::new(
            cm,
            0.9996,
            500_000.0,
            if north { 0.0 } else { 10_000_000.0 },
        )
    }

    /// A local metric plane: metres east and north of `(lon0, lat0)`, with true scale on
    /// the meridian through it (scale error 1.2·10⁻⁸ at 1 km east or west, 5·10⁻⁶ at 20 km).
    pub fn local(lon0: f64, lat0: f64) -> Self {
        Self::with_origin_latitude(lon0, 1.0, 0.0, 0.0, lat0)
    }

    /// A transverse Mercator whose false northing applies at `lat0` rather than at the
    /// equator (the `Latitude_Of_Origin` / `+lat_0` of a `.prj` or PROJ string).
    pub fn with_origin_latitude(
        central_meridian: f64,
        scale: f64,
        false_easting: f64,
        false_northing: f64,
        lat0: f64,
    ) -> Self {
        let shift = if lat0 == 0.0 {
            0.0
        } else {
            Self::new(central_meridian, scale, 0.0, 0.0)
                .forward(central_meridian, lat0)
                .1
        };
        Self::new(
            central_meridian,
            scale,
            false_easting,
            false_northing - shift,
        )
    }

    /// Projects WGS84/CGCS2000 `(lon, lat)` in degrees to `(easting, northing)` in metres.
    pub fn forward(&self, lon: f64, lat: f64) -> (f64, f64) {
        self.forward_on(Ellipsoid::CGCS2000, lon, lat)
    }

    /// Unprojects `(easting, northing)` in metres to `(lon, lat)` in degrees.
    pub fn inverse(&self, x: f64, y: f64) -> (f64, f64) {
        self.inverse_on(Ellipsoid::CGCS2000, x, y)
    }

    /// [`TransverseMercator::forward`] on another ellipsoid.
    pub fn forward_on(&self, ellipsoid: Ellipsoid, lon: f64, lat: f64) -> (f64, f64) {
        let k = Krueger::new(ellipsoid);
        let lam = lon_diff(lon, self.central_meridian).to_radians();
        let taup = k.conformal_tan(lat.to_radians().tan());
        let (sin_lam, cos_lam) = lam.sin_cos();
        let xip = taup.atan2(cos_lam);
        let etap = (sin_lam / taup.hypot(cos_lam)).asinh();
        let mut xi = xip;
        let mut eta = etap;
        for (j, a) in k.alpha.iter().enumerate() {
            let m = 2.0 * (j as f64 + 1.0);
            xi += a * (m * xip).sin() * (m * etap).cosh();
            eta += a * (m * xip).cos() * (m * etap).sinh();
        }
        let s = self.scale * k.a_rect;
        (self.false_easting + s * eta, self.false_northing + s * xi)
    }

    /// [`TransverseMercator::inverse`] on another ellipsoid.
    pub fn inverse_on(&self, ellipsoid: Ellipsoid, x: f64, y: f64) -> (f64, f64) {
        let k = Krueger::new(ellipsoid);
        let s = self.scale * k.a_rect;
        let xi = (y - self.false_northing) / s;
        let eta = (x - self.false_easting) / s;
        let mut xip = xi;
        let mut etap = eta;
        for (j, b) in k.beta.iter().enumerate() {
            let m = 2.0 * (j as f64 + 1.0);
            xip -= b * (m * xi).sin() * (m * eta).cosh();
            etap -= b * (m * xi).cos() * (m * eta).sinh();
        }
        let (sin_xip, cos_xip) = xip.sin_cos();
        let sinh_etap = etap.sinh();
        let taup = sin_xip / sinh_etap.hypot(cos_xip);
        let lam = sinh_etap.atan2(cos_xip);
        let lat = k.geodetic_tan(taup).atan().to_degrees();
        let lon = lon_diff(self.central_meridian + lam.to_degrees(), 0.0);
        (lon, lat)
    }
}

// ---------------------------------------------------------------------------------------
// GCJ-02 and BD-09

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

// ---------------------------------------------------------------------------------------
// PROJ

/// Builds a CRS handed to PROJ, after checking that PROJ knows it, so that a typo fails
/// when the CRS is read rather than at the first coordinate.
#[cfg(feature = "proj")]
fn proj_checked(def: String) -> Result<Crs, CrsError> {
    match proj::Proj::new(&def) {
        Ok(_) => Ok(Crs::Proj(def)),
        Err(e) => Err(CrsError::Proj {
            crs: def,
            message: e.to_string(),
        }),
    }
}

#[cfg(feature = "proj")]
fn proj_transformer(def: &str, from_wgs84: bool) -> Result<proj::Proj, CrsError> {
    // EPSG:4326 with new_known_crs is normalised to (lon, lat), as this module wants.
    let (from, to) = if from_wgs84 {
        ("EPSG:4326", def)
    } else {
        (def, "EPSG:4326")
    };
    proj::Proj::new_known_crs(from, to, None).map_err(|e| CrsError::Proj {
        crs: def.to_string(),
        message: e.to_string(),
    })
}

#[cfg(feature = "proj")]
thread_local! {
    /// Building a PROJ transformer reads the database and takes milliseconds, so
    /// single-point calls reuse the last few.
    static PROJ_CACHE: std::cell::RefCell<Vec<(String, bool, proj::Proj)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

#[cfg(feature = "proj")]
const PROJ_CACHE_LEN: usize = 8;

#[cfg(feature = "proj")]
fn proj_convert_one(def: &str, from_wgs84: bool, x: f64, y: f64) -> Result<(f64, f64), CrsError> {
    PROJ_CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        let pos = cache
            .iter()
            .position(|(d, dir, _)| d == def && *dir == from_wgs84);
        let index = match pos {
            Some(i) => i,
            None => {
                let p = proj_transformer(def, from_wgs84)?;
                if cache.len() >= PROJ_CACHE_LEN {
                    cache.remove(0);
                }
                cache.push((def.to_string(), from_wgs84, p));
                cache.len() - 1
            }
        };
        let (_, _, p) = &cache[index];
        let crs = if from_wgs84 {
            Crs::Wgs84
        } else {
            Crs::Proj(def.to_string())
        };
        convert_checked(p, &crs, def, x, y)
    })
}

#[cfg(feature = "proj")]
fn convert_checked(
    p: &proj::Proj,
    crs: &Crs,
    def: &str,
    x: f64,
    y: f64,
) -> Result<(f64, f64), CrsError> {
    match p.convert((x, y)) {
        Ok((a, b)) if a.is_finite() && b.is_finite() => Ok((a, b)),
        Ok(_) => Err(out_of_domain(crs, x, y, "PROJ could not convert it")),
        Err(e) => Err(CrsError::Proj {
            crs: def.to_string(),
            message: format!("converting ({x}, {y}): {e}"),
        }),
    }
}

#[cfg(feature = "proj")]
fn proj_convert_many(crs: &Crs, def: &str, coords: &mut [(f64, f64)]) -> Result<(), CrsError> {
    for &(x, y) in coords.iter() {
        check_finite(crs, x, y)?;
    }
    let p = proj_transformer(def, false)?;
    let mut out = coords.to_vec();
    if p.convert_array(&mut out).is_ok() && out.iter().all(|c| c.0.is_finite() && c.1.is_finite()) {
        coords.copy_from_slice(&out);
        return Ok(());
    }
    // convert_array does not say which point failed: converting one by one finds it for
    // the message.
    for c in coords.iter_mut() {
        *c = convert_checked(&p, crs, def, c.0, c.1)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), CrsError>;

    /// 1 mm, for projected coordinates.
    const MM: f64 = 1e-3;
    /// 10⁻⁹ degree (0.1 mm), for longitude and latitude.
    const NANODEG: f64 = 1e-9;

    fn assert_close(got: (f64, f64), want: (f64, f64), tol: f64, what: &str) {
        let err = (got.0 - want.0).abs().max((got.1 - want.1).abs());
        assert!(
            err <= tol,
            "{what}: got ({:.11}, {:.11}), want ({:.11}, {:.11}), off by {err:e}",
            got.0,
            got.1,
            want.0,
            want.1
        );
    }

    /// `(lon, lat, easting, northing)`: WGS84/CGCS2000 → `code` must give the easting and
    /// northing within 1 mm.
    fn check_forward(code: u32, cases: &[(f64, f64, f64, f64)]) -> TestResult {
        let crs = Crs::from_epsg(code)?;
        for &(lon, lat, x, y) in cases {
            let got = crs.from_wgs84(lon, lat)?;
            assert_close(
                got,
                (x, y),
                MM,
                &format!("EPSG:{code} forward ({lon}, {lat})"),
            );
        }
        Ok(())
    }

    /// `(easting, northing, lon, lat)`: `code` → WGS84/CGCS2000 within 10⁻⁹ degree.
    fn check_inverse(code: u32, cases: &[(f64, f64, f64, f64)]) -> TestResult {
        let crs = Crs::from_epsg(code)?;
        for &(x, y, lon, lat) in cases {
            let got = crs.to_wgs84(x, y)?;
            assert_close(
                got,
                (lon, lat),
                NANODEG,
                &format!("EPSG:{code} inverse ({x}, {y})"),
            );
        }
        Ok(())
    }

    // Reference values: PROJ 9.1.1 `cs2cs` (Debian 12 package proj-bin). Its input and
    // output follow the EPSG axis order, so the commands take and give latitude before
    // longitude, and northing before easting for the CGCS2000 zones; the tables below are
    // reordered to (x, y).

    #[test]
    fn gauss_kruger_3_degree_zone_40_with_prefix_epsg_4528() -> TestResult {
        // printf '31.89 121.17\n18 118.5\n53.5 121.5\n0 120\n40 119.2\n' | cs2cs -d 4 EPSG:4490 EPSG:4528
        check_forward(
            4528,
            &[
                (121.17, 31.89, 40610692.1889, 3530252.1086),
                (118.5, 18.0, 40341127.7434, 1991624.6813),
                (121.5, 53.5, 40599535.2646, 5931313.3188),
                (120.0, 0.0, 40500000.0, 0.0),
                (119.2, 40.0, 40431684.5239, 4429835.6071),
            ],
        )?;
        // printf '3530000.123 40612345.678\n2000000 40350000\n5900000 40640000\n' | cs2cs -d 11 EPSG:4528 EPSG:4490
        check_inverse(
            4528,
            &[
                (40612345.678, 3530000.123, 121.18744478948, 31.88756593595),
                (40350000.0, 2000000.0, 118.58314298068, 18.07627800100),
                (40640000.0, 5900000.0, 122.09557621416, 53.20962606990),
            ],
        )
    }

    #[test]
    fn gauss_kruger_3_degree_cm_120e_epsg_4549() -> TestResult {
        // printf '31.89 121.17\n18 118.5\n53.5 121.5\n0 120\n40 119.2\n' | cs2cs -d 4 EPSG:4490 EPSG:4549
        check_forward(
            4549,
            &[
                (121.17, 31.89, 610692.1889, 3530252.1086),
                (118.5, 18.0, 341127.7434, 1991624.6813),
                (121.5, 53.5, 599535.2646, 5931313.3188),
                (120.0, 0.0, 500000.0, 0.0),
                (119.2, 40.0, 431684.5239, 4429835.6071),
            ],
        )?;
        // printf '3530000.123 612345.678\n2000000 350000\n5900000 640000\n' | cs2cs -d 11 EPSG:4549 EPSG:4490
        check_inverse(
            4549,
            &[
                (612345.678, 3530000.123, 121.18744478948, 31.88756593595),
                (350000.0, 2000000.0, 118.58314298068, 18.07627800100),
                (640000.0, 5900000.0, 122.09557621416, 53.20962606990),
            ],
        )
    }

    #[test]
    fn gauss_kruger_3_degree_cm_123e_epsg_4550() -> TestResult {
        // printf '31.89 121.17\n30 121.5\n45 124.5\n' | cs2cs -d 4 EPSG:4490 EPSG:4550
        check_forward(
            4550,
            &[
                (121.17, 31.89, 326858.3146, 3531116.0363),
                (121.5, 30.0, 355262.2509, 3321060.8409),
                (124.5, 45.0, 618270.2740, 4986039.2140),
            ],
        )?;
        // printf '3400000 420000\n5000000 620000\n' | cs2cs -d 11 EPSG:4550 EPSG:4490
        check_inverse(
            4550,
            &[
                (420000.0, 3400000.0, 122.16480359665, 30.71793079280),
                (620000.0, 5000000.0, 124.52526631405, 45.12528763547),
            ],
        )
    }

    #[test]
    fn gauss_kruger_6_degree_zone_21_with_prefix_epsg_4499() -> TestResult {
        // printf '31.89 121.17\n40 120\n48 126\n' | cs2cs -d 4 EPSG:4490 EPSG:4499
        check_forward(
            4499,
            &[
                (121.17, 31.89, 21326858.3146, 3531116.0363),
                (120.0, 40.0, 21243797.8712, 4433842.5938),
                (126.0, 48.0, 21723865.4616, 5322784.9030),
            ],
        )?;
        // printf '3400000 21420000\n5300000 21700000\n' | cs2cs -d 11 EPSG:4499 EPSG:4490
        check_inverse(
            4499,
            &[
                (21420000.0, 3400000.0, 122.16480359665, 30.71793079280),
                (21700000.0, 5300000.0, 125.67000955759, 47.80320656496),
            ],
        )
    }

    #[test]
    fn gauss_kruger_6_degree_cm_123e_epsg_4510() -> TestResult {
        // printf '31.89 121.17\n40 120\n48 126\n' | cs2cs -d 4 EPSG:4490 EPSG:4510
        check_forward(
            4510,
            &[
                (121.17, 31.89, 326858.3146, 3531116.0363),
                (120.0, 40.0, 243797.8712, 4433842.5938),
                (126.0, 48.0, 723865.4616, 5322784.9030),
            ],
        )?;
        // printf '3400000 420000\n5300000 700000\n' | cs2cs -d 11 EPSG:4510 EPSG:4490
        check_inverse(
            4510,
            &[
                (420000.0, 3400000.0, 122.16480359665, 30.71793079280),
                (700000.0, 5300000.0, 125.67000955759, 47.80320656496),
            ],
        )
    }

    #[test]
    fn utm_zone_50n_epsg_32650() -> TestResult {
        // printf '22.5 114\n40 120\n39.9 116.4\n' | cs2cs -d 4 EPSG:4326 EPSG:32650
        check_forward(
            32650,
            &[
                (114.0, 22.5, 191334.3106, 2491265.9897),
                (120.0, 40.0, 756099.6480, 4432069.0569),
                (116.4, 39.9, 448709.3802, 4416830.5622),
            ],
        )?;
        // printf '250000 2500000\n700000 4400000\n' | cs2cs -d 11 EPSG:32650 EPSG:4326
        check_inverse(
            32650,
            &[
                (250000.0, 2500000.0, 114.56836514278, 22.58844084495),
                (700000.0, 4400000.0, 119.33362068383, 39.72644584310),
            ],
        )
    }

    #[test]
    fn utm_zone_51n_epsg_32651() -> TestResult {
        // printf '31.89 121.17\n25 120\n45 126\n' | cs2cs -d 4 EPSG:4326 EPSG:32651
        check_forward(
            32651,
            &[
                (121.17, 31.89, 326927.5713, 3529703.5899),
                (120.0, 25.0, 197181.3122, 2768300.2188),
                (126.0, 45.0, 736446.0261, 4987329.5047),
            ],
        )?;
        // printf '300000 3500000\n800000 5000000\n' | cs2cs -d 11 EPSG:32651 EPSG:4326
        check_inverse(
            32651,
            &[
                (300000.0, 3500000.0, 120.89151410221, 31.61777507540),
                (800000.0, 5000000.0, 126.81233356574, 45.08980169318),
            ],
        )
    }

    #[test]
    fn utm_southern_zones() -> TestResult {
        // printf -- '-10 117\n' | cs2cs -d 4 EPSG:4326 EPSG:32750
        check_forward(32750, &[(117.0, -10.0, 500000.0, 8894587.5087)])?;
        // printf -- '-33.9 151.2\n' | cs2cs -d 4 EPSG:4326 EPSG:32756
        check_forward(32756, &[(151.2, -33.9, 333568.9410, 6247473.3368)])?;
        // printf '500000 8900000\n' | cs2cs -d 11 EPSG:32750 EPSG:4326
        check_inverse(32750, &[(500000.0, 8900000.0, 117.0, -9.95104624804)])
    }

    #[test]
    fn transverse_mercator_far_from_the_central_meridian() {
        // 34° east of zone 50's meridian: the Krüger series still holds to well below 1 mm.
        // printf -- '-33.9 151.2\n' | cs2cs -d 4 EPSG:4326 EPSG:32750
        let got = TransverseMercator::utm(50, false).forward_on(Ellipsoid::WGS84, 151.2, -33.9);
        assert_close(got, (3727543.2059, 5670031.5071), MM, "zone 50S at 151.2E");
        // The CRS itself refuses it: no ledger in zone 50 lies 3 000 km east of it.
        assert!(matches!(
            Crs::from_epsg(32750).and_then(|c| c.from_wgs84(151.2, -33.9)),
            Err(CrsError::OutOfDomain { .. })
        ));
    }

    #[test]
    fn every_utm_zone_round_trips() -> TestResult {
        for zone in 1..=60u8 {
            for north in [true, false] {
                let crs = Crs::Utm { zone, north };
                let cm = f64::from(zone) * 6.0 - 183.0;
                let lat = if north { 35.0 } else { -35.0 };
                let (x, y) = crs.from_wgs84(cm + 2.5, lat)?;
                assert_close(
                    crs.to_wgs84(x, y)?,
                    (cm + 2.5, lat),
                    NANODEG,
                    &crs.to_string(),
                );
                let code = if north { 32600 } else { 32700 } + u32::from(zone);
                assert_eq!(crs.epsg(), Some(code));
                assert_eq!(Crs::from_epsg(code)?, crs);
            }
        }
        Ok(())
    }

    #[test]
    fn every_cgcs2000_zone_matches_its_definition() -> TestResult {
        // projinfo EPSG:4491 -o PROJ -q  →  +proj=tmerc +lon_0=75 +k=1 +x_0=13500000 ... +ellps=GRS80
        // (likewise 4501: lon_0=135 x_0=23500000; 4502: 75, 500000; 4512: 135, 500000;
        //  4513: 75, 25500000; 4533: 135, 45500000; 4534: 75, 500000; 4554: 135, 500000)
        let ends = [
            (4491, 75.0, 13500000.0, "CGCS2000 / Gauss-Kruger zone 13"),
            (4501, 135.0, 23500000.0, "CGCS2000 / Gauss-Kruger zone 23"),
            (4502, 75.0, 500000.0, "CGCS2000 / Gauss-Kruger CM 75E"),
            (4512, 135.0, 500000.0, "CGCS2000 / Gauss-Kruger CM 135E"),
            (
                4513,
                75.0,
                25500000.0,
                "CGCS2000 / 3-degree Gauss-Kruger zone 25",
            ),
            (
                4533,
                135.0,
                45500000.0,
                "CGCS2000 / 3-degree Gauss-Kruger zone 45",
            ),
            (
                4534,
                75.0,
                500000.0,
                "CGCS2000 / 3-degree Gauss-Kruger CM 75E",
            ),
            (
                4554,
                135.0,
                500000.0,
                "CGCS2000 / 3-degree Gauss-Kruger CM 135E",
            ),
        ];
        for (code, cm, fe, name) in ends {
            let crs = Crs::from_epsg(code)?;
            assert_eq!(
                crs,
                Crs::GaussKruger {
                    epsg: Some(code),
                    central_meridian: cm,
                    false_easting: fe
                }
            );
            assert_eq!(crs.to_string(), format!("EPSG:{code} ({name})"));
        }
        for code in 4491..=4554 {
            let crs = Crs::from_epsg(code)?;
            let Crs::GaussKruger {
                central_meridian,
                false_easting,
                ..
            } = crs
            else {
                panic!("EPSG:{code} is not Gauss-Kruger: {crs:?}");
            };
            // The code a .prj's parameters lead back to, given the family from its name.
            let family = if code >= 4513 {
                ZoneFamily::ThreeDegree
            } else {
                ZoneFamily::SixDegree
            };
            assert_eq!(
                cgcs2000_gk_code(central_meridian, false_easting, Some(family)),
                Some(code)
            );
            let (x, y) = crs.from_wgs84(central_meridian + 1.0, 30.0)?;
            assert_close(
                crs.to_wgs84(x, y)?,
                (central_meridian + 1.0, 30.0),
                NANODEG,
                &crs.to_string(),
            );
        }
        Ok(())
    }

    #[test]
    fn web_mercator_epsg_3857() -> TestResult {
        // printf '31.89 121.17\n85.0511287798 180\n40.7 -74\n' | cs2cs -d 4 EPSG:4326 EPSG:3857
        check_forward(
            3857,
            &[
                (121.17, 31.89, 13488582.6994, 3748880.0631),
                (180.0, 85.0511287798, 20037508.3428, 20037508.3428),
                (-74.0, 40.7, -8237642.3187, 4968191.9302),
            ],
        )?;
        // printf '13488400 3747800\n' | cs2cs -d 11 EPSG:3857 EPSG:4326
        check_inverse(
            3857,
            &[(13488400.0, 3747800.0, 121.16835878318, 31.88176169758)],
        )?;
        let err = Crs::WebMercator.from_wgs84(121.0, 86.0);
        assert!(matches!(err, Err(CrsError::OutOfDomain { .. })), "{err:?}");
        let err = Crs::WebMercator.to_wgs84(1.0, 3.0e7);
        assert!(matches!(err, Err(CrsError::OutOfDomain { .. })), "{err:?}");
        Ok(())
    }

    #[test]
    fn transverse_mercator_round_trips_on_a_grid() {
        let tm = TransverseMercator::new(120.0, 1.0, 500000.0, 0.0);
        let utm = TransverseMercator::utm(51, true);
        for i in -12..=12 {
            for j in -20..=21 {
                let lon = 120.0 + f64::from(i) * 0.25;
                let lat = f64::from(j) * 4.0 + 0.37;
                let (x, y) = tm.forward(lon, lat);
                assert_close(tm.inverse(x, y), (lon, lat), NANODEG, "GK grid");
                let lon = 123.0 + f64::from(i) * 0.25;
                let (x, y) = utm.forward_on(Ellipsoid::WGS84, lon, lat);
                assert_close(
                    utm.inverse_on(Ellipsoid::WGS84, x, y),
                    (lon, lat),
                    NANODEG,
                    "UTM grid",
                );
            }
        }
    }

    #[test]
    fn transverse_mercator_local_plane_and_origin_latitude() {
        let plane = TransverseMercator::local(121.17, 31.89);
        assert_close(plane.forward(121.17, 31.89), (0.0, 0.0), 1e-9, "origin");
        // One metre north on the ellipsoid is one metre in the plane.
        let (_, y) = plane.forward(121.17, 31.90);
        // python3 -c "from geographiclib.geodesic import Geodesic; print(Geodesic.WGS84.Inverse(31.89,121.17,31.90,121.17)['s12'])"
        // → 1108.8497359564233 (the CGCS2000 ellipsoid changes it by under 1 µm)
        assert!((y - 1108.8497359564233).abs() < 1e-6, "{y}");
        assert_close(
            plane.inverse(0.0, 0.0),
            (121.17, 31.89),
            1e-12,
            "inverse origin",
        );
    }

    #[test]
    fn grid_coordinates_outside_the_zone_are_refused() -> TestResult {
        let zone40 = Crs::from_epsg(4528)?;
        let Err(CrsError::OutOfDomain { reason, .. }) = zone40.to_wgs84(610692.1889, 3530252.1086)
        else {
            panic!("an easting without its zone prefix was accepted");
        };
        assert!(reason.contains("prefix"), "{reason}");
        let cm120 = Crs::from_epsg(4549)?;
        let Err(CrsError::OutOfDomain { reason, .. }) = cm120.to_wgs84(40610692.1889, 3530252.1086)
        else {
            panic!("an easting with a zone prefix was accepted");
        };
        assert!(reason.contains("prefix"), "{reason}");
        let Err(CrsError::OutOfDomain { reason, .. }) = cm120.to_wgs84(121.17, 31.89) else {
            panic!("degrees were accepted as metres");
        };
        assert!(reason.contains("degrees"), "{reason}");
        assert!(matches!(
            cm120.to_wgs84(f64::NAN, 0.0),
            Err(CrsError::OutOfDomain { .. })
        ));
        assert!(matches!(
            cm120.to_wgs84(500000.0, 1.2e7),
            Err(CrsError::OutOfDomain { .. })
        ));
        Ok(())
    }

    #[test]
    fn geographic_coordinates_are_checked() -> TestResult {
        assert_eq!(Crs::Wgs84.to_wgs84(121.17, 31.89)?, (121.17, 31.89));
        assert_eq!(Crs::Cgcs2000.to_wgs84(121.17, 31.89)?, (121.17, 31.89));
        let Err(CrsError::OutOfDomain { reason, .. }) = Crs::Wgs84.to_wgs84(31.89, 121.17) else {
            panic!("latitude 121.17 was accepted");
        };
        assert!(reason.contains("swapped"), "{reason}");
        let Err(CrsError::OutOfDomain { reason, .. }) =
            Crs::Cgcs2000.to_wgs84(40610692.0, 3530252.0)
        else {
            panic!("metres were accepted as degrees");
        };
        assert!(reason.contains("metres"), "{reason}");
        assert!(matches!(
            Crs::Gcj02.to_wgs84(f64::INFINITY, 30.0),
            Err(CrsError::OutOfDomain { .. })
        ));
        assert!(matches!(
            Crs::Bd09.from_wgs84(181.0, 30.0),
            Err(CrsError::OutOfDomain { .. })
        ));
        Ok(())
    }

    // Reference values: the PyPI package coord-convert 0.2.1 (an independent Python
    // implementation of the same published formulas), after `pip install coord-convert==0.2.1`:
    //   python3 -c "from coord_convert.transform import wgs2gcj, wgs2bd, gcj2wgs, bd2wgs, gcj2bd, bd2gcj
    //   for p in [(121.17, 31.89), (116.391, 39.907), (114.0579, 22.5431), (87.6168, 43.8256),
    //             (91.1322, 29.66), (126.6424, 45.7567), (109.5, 18.25)]:
    //       print(p, wgs2gcj(*p), wgs2bd(*p), gcj2wgs(*p), bd2wgs(*p), gcj2bd(*p), bd2gcj(*p))"
    // (printed with '%.10f'). Its gcj2wgs iterates until a step is below 10⁻⁶ degree.

    const GCJ_POINTS: [(f64, f64); 7] = [
        (121.17, 31.89),
        (116.391, 39.907),
        (114.0579, 22.5431),
        (87.6168, 43.8256),
        (91.1322, 29.66),
        (126.6424, 45.7567),
        (109.5, 18.25),
    ];

    #[test]
    fn wgs84_to_gcj02_and_bd09_match_coord_convert() -> TestResult {
        // (wgs2gcj, wgs2bd) of GCJ_POINTS.
        let expected = [
            (
                (121.1745849858, 31.8881361771),
                (121.1810429902, 31.8942175464),
            ),
            (
                (116.3972409586, 39.9084011088),
                (116.4036144238, 39.9147439008),
            ),
            (
                (114.0630139986, 22.5403828142),
                (114.0695639870, 22.5460415591),
            ),
            (
                (87.6196499495, 43.8268053931),
                (87.6260997708, 43.8329497948),
            ),
            (
                (91.1337433162, 29.6572795013),
                (91.1403425095, 29.6630255063),
            ),
            (
                (126.6483698163, 45.7586511019),
                (126.6549993290, 45.7643455639),
            ),
            (
                (109.5041184440, 18.2483315210),
                (109.5106802563, 18.2540120062),
            ),
        ];
        for (&(lon, lat), &(gcj, bd)) in GCJ_POINTS.iter().zip(&expected) {
            assert_close(Crs::Gcj02.from_wgs84(lon, lat)?, gcj, 1e-6, "wgs2gcj");
            assert_close(wgs84_to_gcj02(lon, lat), gcj, 1e-9, "wgs2gcj (formula)");
            assert_close(Crs::Bd09.from_wgs84(lon, lat)?, bd, 1e-6, "wgs2bd");
        }
        Ok(())
    }

    #[test]
    fn gcj02_and_bd09_to_wgs84_match_coord_convert() -> TestResult {
        // (gcj2wgs, bd2wgs, gcj2bd, bd2gcj) of GCJ_POINTS.
        let expected = [
            (
                (121.1654054391, 31.8918555939),
                (121.1588793052, 31.8859684873),
                (121.1764806586, 31.8959949097),
                (121.1634864655, 31.8841261762),
            ),
            (
                (116.3847635568, 39.9056027934),
                (116.3783541435, 39.8993685664),
                (116.3973865475, 39.9133087906),
                (116.3845833880, 39.9007599980),
            ),
            (
                (114.0527923343, 22.5458264970),
                (114.0462599526, 22.5401521095),
                (114.0644520373, 22.5487568918),
                (114.0513574082, 22.5374116601),
            ),
            (
                (87.6139528194, 43.8243960395),
                (87.6075551674, 43.8181629101),
                (87.6232336079, 43.8317762578),
                (87.6103974997, 43.8193668213),
            ),
            (
                (91.1306544510, 29.6627179527),
                (91.1240683847, 29.6569079034),
                (91.1387981316, 29.6657544492),
                (91.1256221056, 29.6541961192),
            ),
            (
                (126.6364439191, 45.7547573870),
                (126.6298974537, 45.7488733353),
                (126.6490006575, 45.7624766785),
                (126.6358394733, 45.7508087134),
            ),
            (
                (109.4958695396, 18.2516565757),
                (109.4892952983, 18.2459438112),
                (109.5065646135, 18.2556731439),
                (109.4934443052, 18.2443089558),
            ),
        ];
        for (&(lon, lat), &(wgs, bd_wgs, bd, gcj)) in GCJ_POINTS.iter().zip(&expected) {
            assert_close(Crs::Gcj02.to_wgs84(lon, lat)?, wgs, 1e-6, "gcj2wgs");
            assert_close(Crs::Bd09.to_wgs84(lon, lat)?, bd_wgs, 1e-6, "bd2wgs");
            assert_close(gcj02_to_bd09(lon, lat), bd, 1e-9, "gcj2bd");
            assert_close(bd09_to_gcj02(lon, lat), gcj, 1e-9, "bd2gcj");
        }
        Ok(())
    }

    #[test]
    fn gcj02_inverse_round_trips() {
        for i in 0..=40 {
            for j in 0..=30 {
                let lon = 73.5 + f64::from(i) * 1.55;
                let lat = 3.9 + f64::from(j) * 1.65;
                let (glon, glat) = wgs84_to_gcj02(lon, lat);
                if !in_china(glon, glat) {
                    continue;
                }
                let (wlon, wlat) = gcj02_to_wgs84(glon, glat);
                assert_close((wlon, wlat), (lon, lat), 1e-7, "GCJ→WGS");
                assert_close(
                    wgs84_to_gcj02(wlon, wlat),
                    (glon, glat),
                    1e-7,
                    "GCJ→WGS→GCJ",
                );
                assert_close(
                    gcj02_to_wgs84(glon, glat),
                    (lon, lat),
                    1e-9,
                    "WGS→GCJ→WGS tight",
                );
            }
        }
    }

    #[test]
    fn offsets_stop_at_the_border_rectangle() -> TestResult {
        // Tokyo lies east of 137.8347°E.
        assert_eq!(
            Crs::Gcj02.from_wgs84(139.6917, 35.6895)?,
            (139.6917, 35.6895)
        );
        assert_eq!(Crs::Gcj02.to_wgs84(139.6917, 35.6895)?, (139.6917, 35.6895));
        assert_eq!(
            Crs::Bd09.from_wgs84(139.6917, 35.6895)?,
            (139.6917, 35.6895)
        );
        assert_eq!(Crs::Bd09.to_wgs84(-0.1276, 51.5072)?, (-0.1276, 51.5072));
        assert!(in_china(121.17, 31.89) && !in_china(60.0, 31.89));
        Ok(())
    }

    #[test]
    fn parse_recognises_the_usual_spellings() -> TestResult {
        let gk4528 = Crs::GaussKruger {
            epsg: Some(4528),
            central_meridian: 120.0,
            false_easting: 40500000.0,
        };
        let cases = [
            ("EPSG:4326", Crs::Wgs84),
            ("4490", Crs::Cgcs2000),
            (" epsg:4528 ", gk4528.clone()),
            ("EPSG::4528", gk4528.clone()),
            (
                "EPSG:4528 (CGCS2000 / 3-degree Gauss-Kruger zone 40)",
                gk4528.clone(),
            ),
            ("urn:ogc:def:crs:EPSG::4528", gk4528.clone()),
            ("urn:ogc:def:crs:EPSG:9.8.15:4528", gk4528),
            ("urn:ogc:def:crs:OGC:1.3:CRS84", Crs::Wgs84),
            ("OGC:CRS84", Crs::Wgs84),
            ("CRS:84", Crs::Wgs84),
            (
                "http://www.opengis.net/def/crs/EPSG/0/4549",
                Crs::GaussKruger {
                    epsg: Some(4549),
                    central_meridian: 120.0,
                    false_easting: 500000.0,
                },
            ),
            ("wgs84", Crs::Wgs84),
            ("WGS 84", Crs::Wgs84),
            ("cgcs2000", Crs::Cgcs2000),
            ("CGCS 2000", Crs::Cgcs2000),
            ("国家2000", Crs::Cgcs2000),
            ("gcj02", Crs::Gcj02),
            ("GCJ-02", Crs::Gcj02),
            ("火星坐标", Crs::Gcj02),
            ("bd09", Crs::Bd09),
            ("BD-09", Crs::Bd09),
            ("百度坐标", Crs::Bd09),
            ("EPSG:3857", Crs::WebMercator),
            ("EPSG:900913", Crs::WebMercator),
            ("ESRI:102100", Crs::WebMercator),
            ("web mercator", Crs::WebMercator),
            (
                "EPSG:32651",
                Crs::Utm {
                    zone: 51,
                    north: true,
                },
            ),
            (
                "epsg:32749",
                Crs::Utm {
                    zone: 49,
                    north: false,
                },
            ),
            (
                "UTM 50N",
                Crs::Utm {
                    zone: 50,
                    north: true,
                },
            ),
            (
                "WGS 84 / UTM zone 51N",
                Crs::Utm {
                    zone: 51,
                    north: true,
                },
            ),
            (
                "+proj=utm +zone=49 +datum=WGS84 +units=m +no_defs",
                Crs::Utm {
                    zone: 49,
                    north: true,
                },
            ),
            ("+proj=longlat +ellps=GRS80 +no_defs", Crs::Cgcs2000),
            (
                "+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m \
                 +nadgrids=@null +wktext +no_defs",
                Crs::WebMercator,
            ),
            (
                // projinfo EPSG:4550 -o PROJ -q
                "+proj=tmerc +lat_0=0 +lon_0=123 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs +type=crs",
                Crs::GaussKruger {
                    epsg: None,
                    central_meridian: 123.0,
                    false_easting: 500000.0,
                },
            ),
        ];
        for (text, want) in cases {
            assert_eq!(Crs::parse(text)?, want, "{text:?}");
        }
        Ok(())
    }

    #[test]
    fn parse_rejects_what_it_does_not_know() {
        for text in [
            "", "   ", "foo", "EPSG:", "utm 61n", "utm五", "utm", "gcj03",
        ] {
            assert!(
                matches!(Crs::parse(text), Err(CrsError::Unrecognized { .. })),
                "{text:?} -> {:?}",
                Crs::parse(text)
            );
        }
    }

    #[cfg(not(feature = "proj"))]
    #[test]
    fn codes_outside_the_built_in_set_need_the_proj_feature() {
        for text in [
            "EPSG:2385",
            "2437",
            "urn:ogc:def:crs:EPSG::2385",
            "+proj=tmerc +lon_0=120 +ellps=krass",
        ] {
            let Err(err @ CrsError::Unsupported { .. }) = Crs::parse(text) else {
                panic!("{text:?} was not refused: {:?}", Crs::parse(text));
            };
            let message = err.to_string();
            assert!(message.contains("--features proj"), "{message}");
        }
        let message = Crs::parse("EPSG:2385").map_or_else(|e| e.to_string(), |c| c.to_string());
        assert!(
            message.starts_with("EPSG:2385 is not supported"),
            "{message}"
        );
    }

    #[test]
    fn display_epsg_and_definitions() -> TestResult {
        let cases = [
            (
                "EPSG:4528",
                "EPSG:4528 (CGCS2000 / 3-degree Gauss-Kruger zone 40)",
                Some(4528),
            ),
            (
                "EPSG:4510",
                "EPSG:4510 (CGCS2000 / Gauss-Kruger CM 123E)",
                Some(4510),
            ),
            (
                "EPSG:32651",
                "EPSG:32651 (WGS 84 / UTM zone 51N)",
                Some(32651),
            ),
            (
                "EPSG:32750",
                "EPSG:32750 (WGS 84 / UTM zone 50S)",
                Some(32750),
            ),
            ("wgs84", "EPSG:4326 (WGS 84)", Some(4326)),
            ("cgcs2000", "EPSG:4490 (CGCS2000)", Some(4490)),
            (
                "EPSG:3857",
                "EPSG:3857 (WGS 84 / Pseudo-Mercator)",
                Some(3857),
            ),
            ("gcj02", "GCJ-02", None),
            ("bd09", "BD-09", None),
        ];
        for (text, shown, code) in cases {
            let crs = Crs::parse(text)?;
            assert_eq!(crs.to_string(), shown);
            assert_eq!(crs.epsg(), code, "{text}");
            assert_eq!(Crs::parse(&crs.to_definition())?, crs, "{text}");
            assert_eq!(Crs::parse(shown)?, crs, "{shown}");
        }
        let custom = Crs::GaussKruger {
            epsg: None,
            central_meridian: 120.0,
            false_easting: 500000.0,
        };
        assert_eq!(
            custom.to_string(),
            "CGCS2000 / Gauss-Kruger (central meridian 120°E, false easting 500000 m)"
        );
        assert_eq!(Crs::parse(&custom.to_definition())?, custom);
        let grid =
            Crs::TransverseMercator(TransverseMercator::new(114.0, 0.9999, 50000.0, -3000000.0));
        assert_eq!(Crs::parse(&grid.to_definition())?, grid);
        assert!(
            Crs::Gcj02.is_geographic()
                && Crs::Bd09.is_geographic()
                && Crs::Cgcs2000.is_geographic()
        );
        assert!(
            !Crs::WebMercator.is_geographic()
                && !Crs::Utm {
                    zone: 50,
                    north: true
                }
                .is_geographic()
        );
        Ok(())
    }

    #[test]
    fn serde_reads_and_writes_definitions() -> Result<(), serde::de::value::Error> {
        use serde::Deserialize;
        use serde::de::value::{Error, StrDeserializer};
        let crs = Crs::deserialize(StrDeserializer::<Error>::new("EPSG:4549"))?;
        assert_eq!(crs.epsg(), Some(4549));
        assert!(Crs::deserialize(StrDeserializer::<Error>::new("nonsense")).is_err());
        Ok(())
    }

    // ESRI .prj texts as ArcGIS writes them: `projinfo EPSG:<code> -o WKT1_ESRI -q --single-line`
    // (PROJ 9.1.1), for each code in the name of the constant.
    const PRJ_4326: &str = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
    const PRJ_4490: &str = r#"GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
    const PRJ_4528: &str = r#"PROJCS["CGCS2000_3_Degree_GK_Zone_40",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",40500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
    const PRJ_4549: &str = r#"PROJCS["CGCS2000_3_Degree_GK_CM_120E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
    const PRJ_4550: &str = r#"PROJCS["CGCS2000_3_Degree_GK_CM_123E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",123.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
    const PRJ_4499: &str = r#"PROJCS["CGCS2000_GK_Zone_21",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",21500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",123.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
    const PRJ_4510: &str = r#"PROJCS["CGCS2000_GK_CM_123E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",123.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
    const PRJ_32651: &str = r#"PROJCS["WGS_1984_UTM_Zone_51N",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",123.0],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
    const PRJ_3857: &str = r#"PROJCS["WGS_1984_Web_Mercator_Auxiliary_Sphere",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Mercator_Auxiliary_Sphere"],PARAMETER["False_Easting",0.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",0.0],PARAMETER["Standard_Parallel_1",0.0],PARAMETER["Auxiliary_Sphere_Type",0.0],UNIT["Meter",1.0]]"#;
    const PRJ_2385: &str = r#"PROJCS["Xian_1980_3_Degree_GK_CM_120E",GEOGCS["GCS_Xian_1980",DATUM["D_Xian_1980",SPHEROID["Xian_1980",6378140.0,298.257]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
    // GDAL's WKT1 with authorities: `projinfo EPSG:4528 -o WKT1_GDAL -q --single-line`.
    const PRJ_4528_GDAL: &str = r#"PROJCS["CGCS2000 / 3-degree Gauss-Kruger zone 40",GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101,AUTHORITY["EPSG","1024"]],AUTHORITY["EPSG","1043"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4490"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",120],PARAMETER["scale_factor",1],PARAMETER["false_easting",40500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AUTHORITY["EPSG","4528"]]"#;

    fn gk(epsg: Option<u32>, central_meridian: f64, false_easting: f64) -> Crs {
        Crs::GaussKruger {
            epsg,
            central_meridian,
            false_easting,
        }
    }

    #[test]
    fn from_prj_reads_esri_prj_files() -> TestResult {
        let cases = [
            (PRJ_4326, Crs::Wgs84),
            (PRJ_4490, Crs::Cgcs2000),
            (PRJ_4528, gk(Some(4528), 120.0, 40500000.0)),
            (PRJ_4549, gk(Some(4549), 120.0, 500000.0)),
            (PRJ_4550, gk(Some(4550), 123.0, 500000.0)),
            (PRJ_4499, gk(Some(4499), 123.0, 21500000.0)),
            (PRJ_4510, gk(Some(4510), 123.0, 500000.0)),
            (
                PRJ_32651,
                Crs::Utm {
                    zone: 51,
                    north: true,
                },
            ),
            (PRJ_3857, Crs::WebMercator),
            (PRJ_4528_GDAL, gk(Some(4528), 120.0, 40500000.0)),
        ];
        for (prj, want) in cases {
            assert_eq!(Crs::from_prj(prj)?, want, "{prj}");
        }
        // Files often carry a byte-order mark, line breaks and indentation.
        let pretty = format!(
            "\u{feff}{}\r\n",
            PRJ_4549.replace(",PARAMETER", ",\n    PARAMETER")
        );
        assert_eq!(Crs::from_prj(&pretty)?, gk(Some(4549), 120.0, 500000.0));
        Ok(())
    }

    #[test]
    fn from_prj_reads_generic_transverse_mercator() -> TestResult {
        // CGCS2000 UTM has no EPSG code; ArcGIS users build it from the UTM parameters.
        let utm = PRJ_32651
            .replace("WGS_1984_UTM_Zone_51N", "CGCS2000_UTM_Zone_50N")
            .replace("Central_Meridian\",123.0", "Central_Meridian\",117.0")
            .replace(
                r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]]"#,
                r#"GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]]"#,
            );
        assert_eq!(
            Crs::from_prj(&utm)?,
            Crs::Utm {
                zone: 50,
                north: true
            }
        );
        // A zone named by neither convention: 120°E is only a 3° meridian, while 117°E
        // is a meridian of both the 6° and the 3° zones, so no code is claimed for it.
        let plain = PRJ_4549.replace("CGCS2000_3_Degree_GK_CM_120E", "My_Grid");
        assert_eq!(Crs::from_prj(&plain)?, gk(Some(4549), 120.0, 500000.0));
        let plain117 = plain.replace("Central_Meridian\",120.0", "Central_Meridian\",117.0");
        assert_eq!(Crs::from_prj(&plain117)?, gk(None, 117.0, 500000.0));
        // A WGS84 Gauss-Kruger zone is no CGCS2000 code, but converts the same.
        let wgs_gk = PRJ_32651
            .replace("0.9996", "1.0")
            .replace("WGS_1984_UTM_Zone_51N", "WGS_1984_GK_CM_123E");
        assert_eq!(Crs::from_prj(&wgs_gk)?, gk(None, 123.0, 500000.0));
        // A city grid with its own false northing, scale and origin latitude.
        let city = PRJ_4549
            .replace("CGCS2000_3_Degree_GK_CM_120E", "Haimen_City_Grid")
            .replace("False_Northing\",0.0", "False_Northing\",-3000000.0")
            .replace("Scale_Factor\",1.0", "Scale_Factor\",0.9999")
            .replace("Latitude_Of_Origin\",0.0", "Latitude_Of_Origin\",31.0")
            .replace("Central_Meridian\",120.0", "Central_Meridian\",121.2");
        let crs = Crs::from_prj(&city)?;
        let Crs::TransverseMercator(tm) = crs else {
            panic!("city grid read as {crs:?}");
        };
        // At the origin (121.2°E, 31°N) the grid reads (false easting, false northing).
        assert_close(
            tm.forward(121.2, 31.0),
            (500000.0, -3000000.0),
            1e-6,
            "origin",
        );
        assert_close(
            crs.to_wgs84(500000.0, -3000000.0)?,
            (121.2, 31.0),
            1e-12,
            "origin back",
        );
        Ok(())
    }

    // `projinfo EPSG:4528 -o WKT2_2019 -q --single-line` and the same for EPSG:4326
    // (PROJ 9.1.1).
    const WKT2_4528: &str = r#"PROJCRS["CGCS2000 / 3-degree Gauss-Kruger zone 40",BASEGEOGCRS["China Geodetic Coordinate System 2000",DATUM["China 2000",ELLIPSOID["CGCS2000",6378137,298.257222101,LENGTHUNIT["metre",1]]],PRIMEM["Greenwich",0,ANGLEUNIT["degree",0.0174532925199433]],ID["EPSG",4490]],CONVERSION["3-degree Gauss-Kruger zone 40",METHOD["Transverse Mercator",ID["EPSG",9807]],PARAMETER["Latitude of natural origin",0,ANGLEUNIT["degree",0.0174532925199433],ID["EPSG",8801]],PARAMETER["Longitude of natural origin",120,ANGLEUNIT["degree",0.0174532925199433],ID["EPSG",8802]],PARAMETER["Scale factor at natural origin",1,SCALEUNIT["unity",1],ID["EPSG",8805]],PARAMETER["False easting",40500000,LENGTHUNIT["metre",1],ID["EPSG",8806]],PARAMETER["False northing",0,LENGTHUNIT["metre",1],ID["EPSG",8807]]],CS[Cartesian,2],AXIS["northing (X)",north,ORDER[1],LENGTHUNIT["metre",1]],AXIS["easting (Y)",east,ORDER[2],LENGTHUNIT["metre",1]],USAGE[SCOPE["Cadastre, engineering survey, topographic mapping (large scale)."],AREA["China - onshore between 118°30'E and 121°30'E."],BBOX[24.43,118.5,53.33,121.5]],ID["EPSG",4528]]"#;
    const WKT2_4326: &str = r#"GEOGCRS["WGS 84",ENSEMBLE["World Geodetic System 1984 ensemble",MEMBER["World Geodetic System 1984 (Transit)"],MEMBER["World Geodetic System 1984 (G730)"],MEMBER["World Geodetic System 1984 (G873)"],MEMBER["World Geodetic System 1984 (G1150)"],MEMBER["World Geodetic System 1984 (G1674)"],MEMBER["World Geodetic System 1984 (G1762)"],MEMBER["World Geodetic System 1984 (G2139)"],ELLIPSOID["WGS 84",6378137,298.257223563,LENGTHUNIT["metre",1]],ENSEMBLEACCURACY[2.0]],PRIMEM["Greenwich",0,ANGLEUNIT["degree",0.0174532925199433]],CS[ellipsoidal,2],AXIS["geodetic latitude (Lat)",north,ORDER[1],ANGLEUNIT["degree",0.0174532925199433]],AXIS["geodetic longitude (Lon)",east,ORDER[2],ANGLEUNIT["degree",0.0174532925199433]],USAGE[SCOPE["Horizontal component of 3D system."],AREA["World."],BBOX[-90,-180,90,180]],ID["EPSG",4326]]"#;

    #[test]
    fn from_prj_reads_wkt2() -> TestResult {
        let zone40 = gk(Some(4528), 120.0, 40_500_000.0);
        assert_eq!(Crs::from_prj(WKT2_4528)?, zone40);
        assert_eq!(Crs::parse(WKT2_4528)?, zone40);
        // Without the top-level ID the parameters and the name still lead to 4528.
        let without_id = WKT2_4528.replace(r#",ID["EPSG",4528]]"#, "]");
        assert_eq!(Crs::from_prj(&without_id)?, zone40);
        assert_eq!(Crs::from_prj(WKT2_4326)?, Crs::Wgs84);
        let without_id = WKT2_4326.replace(r#",ID["EPSG",4326]]"#, "]");
        assert_eq!(Crs::from_prj(&without_id)?, Crs::Wgs84);
        Ok(())
    }

    #[test]
    fn from_prj_authority_wins() -> TestResult {
        // The name and parameters say CM 120E, the authority says EPSG:4550 (CM 123E).
        let prj = format!(
            "{}{}",
            PRJ_4549.trim_end_matches(']'),
            r#"],AUTHORITY["EPSG","4550"]]"#
        );
        assert_eq!(Crs::from_prj(&prj)?, gk(Some(4550), 123.0, 500000.0));
        Ok(())
    }

    #[test]
    fn from_prj_refuses_broken_text() {
        for bad in [
            "",
            "PROJCS",
            r#"PROJCS["x",GEOGCS["y""#,
            r#"GEOGCS["GCS_WGS_1984"]]"#,
            "not a prj at all",
            &"PROJCS[".repeat(100),
        ] {
            assert!(
                matches!(Crs::from_prj(bad), Err(CrsError::InvalidPrj { .. })),
                "{bad:?} -> {:?}",
                Crs::from_prj(bad)
            );
        }
    }

    #[cfg(not(feature = "proj"))]
    #[test]
    fn from_prj_other_datums_need_the_proj_feature() {
        let Err(err @ CrsError::Unsupported { .. }) = Crs::from_prj(PRJ_2385) else {
            panic!("Xian 1980 was not refused");
        };
        let message = err.to_string();
        assert!(
            message.contains("Xian_1980") && message.contains("--features proj"),
            "{message}"
        );
    }

    #[test]
    fn in_place_conversion_matches_single_points() -> TestResult {
        let crs = Crs::from_epsg(4528)?;
        let mut coords = vec![
            (40612345.678, 3530000.123),
            (40350000.0, 2000000.0),
            (40640000.0, 5900000.0),
        ];
        let want = coords
            .iter()
            .map(|&(x, y)| crs.to_wgs84(x, y))
            .collect::<Result<Vec<_>, _>>()?;
        crs.to_wgs84_in_place(&mut coords)?;
        assert_eq!(coords, want);
        let mut bad = vec![(40612345.678, 3530000.123), (612345.678, 3530000.123)];
        let err = crs.to_wgs84_in_place(&mut bad);
        assert!(
            matches!(err, Err(CrsError::OutOfDomain { x, .. }) if x == 612345.678),
            "{err:?}"
        );
        Ok(())
    }

    #[cfg(feature = "proj")]
    mod with_proj {
        use super::*;

        #[test]
        fn proj_agrees_with_the_built_in_gauss_kruger() -> TestResult {
            let builtin = Crs::from_epsg(4528)?;
            let proj = Crs::Proj("EPSG:4528".into());
            let mut coords = vec![
                (40612345.678, 3530000.123),
                (40350000.0, 2000000.0),
                (40640000.0, 5900000.0),
            ];
            for &(x, y) in &coords {
                assert_close(
                    proj.to_wgs84(x, y)?,
                    builtin.to_wgs84(x, y)?,
                    NANODEG,
                    "to WGS84",
                );
            }
            for (lon, lat) in [(121.17, 31.89), (118.5, 18.0), (121.5, 53.5)] {
                assert_close(
                    proj.from_wgs84(lon, lat)?,
                    builtin.from_wgs84(lon, lat)?,
                    MM,
                    "from WGS84",
                );
            }
            let want = coords
                .iter()
                .map(|&(x, y)| builtin.to_wgs84(x, y))
                .collect::<Result<Vec<_>, _>>()?;
            proj.to_wgs84_in_place(&mut coords)?;
            for (got, want) in coords.iter().zip(&want) {
                assert_close(*got, *want, NANODEG, "in place");
            }
            assert_eq!(proj.epsg(), Some(4528));
            Ok(())
        }

        #[test]
        fn codes_only_proj_knows_match_cs2cs() -> TestResult {
            // Xian 1980 / 3-degree Gauss-Kruger CM 120E. The EPSG database has no Xian 1980
            // to WGS 84 transformation, so PROJ applies none (a "ballpark" one).
            let crs = Crs::parse("EPSG:2385")?;
            assert_eq!(crs, Crs::Proj("EPSG:2385".into()));
            // printf '3530000 612345\n' | cs2cs -d 11 EPSG:2385 EPSG:4326
            assert_close(
                crs.to_wgs84(612345.0, 3530000.0)?,
                (121.18743686079, 31.88755006494),
                NANODEG,
                "EPSG:2385 inverse",
            );
            // printf '31.89 121.17\n' | cs2cs -d 4 EPSG:4326 EPSG:2385
            assert_close(
                crs.from_wgs84(121.17, 31.89)?,
                (610692.2410, 3530253.7540),
                MM,
                "EPSG:2385 forward",
            );
            // The ESRI .prj of the same system goes to PROJ as WKT and agrees.
            let from_prj = Crs::from_prj(PRJ_2385)?;
            assert!(matches!(from_prj, Crs::Proj(_)), "{from_prj:?}");
            assert_eq!(from_prj.to_string(), "Xian_1980_3_Degree_GK_CM_120E");
            assert_close(
                from_prj.to_wgs84(612345.0, 3530000.0)?,
                (121.18743686079, 31.88755006494),
                NANODEG,
                "Xian 1980 .prj",
            );
            Ok(())
        }

        #[test]
        fn proj_reports_unknown_codes_and_bad_points() {
            let err = Crs::parse("EPSG:999999");
            assert!(matches!(err, Err(CrsError::Proj { .. })), "{err:?}");
            let crs = Crs::Proj("EPSG:2385".into());
            let err = crs.to_wgs84(f64::NAN, 0.0);
            assert!(matches!(err, Err(CrsError::OutOfDomain { .. })), "{err:?}");
        }
    }
}
