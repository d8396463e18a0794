//! EPSG codes and names RiskMap knows by itself: WGS 84, CGCS2000, Web Mercator, the
//! CGCS2000 Gauss–Krüger zones EPSG:4491–4554 and UTM, plus the other spellings ledgers
//! use for them (`urn:ogc:def:crs:…`, OGC URLs, `cgcs2000`, `火星坐标`, `utm51n`).

use super::{Crs, CrsError};

#[cfg(not(feature = "proj"))]
use super::PROJ_HINT;
#[cfg(feature = "proj")]
use super::proj_backend::proj_checked;

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
pub(super) fn cgcs2000_gk_name(code: u32) -> Option<String> {
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
pub(super) enum ZoneFamily {
    SixDegree,
    ThreeDegree,
}

/// The CGCS2000 Gauss–Krüger code for a central meridian and false easting.
///
/// Prefixed zones are unambiguous (6° zones are 13–23, 3° zones 25–45). Without prefix a
/// central meridian of 75°, 81°, … 135°E belongs to both families; the two give identical
/// coordinates, so without a hint from the name no code is claimed.
pub(super) fn cgcs2000_gk_code(cm: f64, fe: f64, hint: Option<ZoneFamily>) -> Option<u32> {
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

pub(super) fn builtin_epsg(code: u32) -> Option<Crs> {
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

pub(super) fn unknown_epsg(code: u32) -> Result<Crs, CrsError> {
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
pub(super) fn split_authority(t: &str) -> Option<(String, String)> {
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

pub(super) fn from_authority(auth: &str, code: &str) -> Result<Crs, CrsError> {
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

pub(super) fn from_alias(t: &str) -> Option<Crs> {
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
