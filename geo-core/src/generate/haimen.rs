//! What is specific to 海门区 (Haimen district, Nantong, Jiangsu): the real district
//! boundary (compiled in; see data/README.md for its source and licence), the approximate
//! seats of its streets and towns, its parks, the gate station of its gas network, the
//! codes and name prefixes its ledgers use and the CRS of its gas company's drawings.
//!
//! A boundary other than Haimen's gets none of the positions here: the generator falls
//! back to synthetic towns and parks spread over it.

use geo::{Geometry, MultiPolygon};

use super::enterprises::ParkKind;

/// The district's name, as it appears in house addresses.
pub(super) const DISTRICT: &str = "海门区";
/// The administrative code used in the district's credit codes.
pub(super) const CREDIT_AREA: &str = "320684";
/// The place names an enterprise's name starts with: the district, or the city.
pub(super) const FIRM_PREFIXES: [&str; 2] = ["海门", "南通"];

/// The CRS the gas company's drawings are in: CGCS2000 3-degree Gauss–Krüger zone
/// with central meridian 120°E (EPSG:4549), the zone that holds Haimen.
pub const PIPELINE_CRS: &str = "EPSG:4549";

/// A seat of a town or street (镇/街道), approximate position of its centre.
pub(super) struct SeatDef {
    pub(super) name: &'static str,
    pub(super) code: &'static str,
    pub(super) lon: f64,
    pub(super) lat: f64,
    pub(super) weight: f64,
    pub(super) min_radius: f64,
}

/// 海门区's streets and towns with approximate seat positions (海永镇, an exclave on
/// 崇明岛, lies outside the boundary used here). Codes are plausible 12-digit statistical
/// codes under 320614, not the official list.
pub(super) const fn seat(
    name: &'static str,
    code: &'static str,
    lon: f64,
    lat: f64,
    weight: f64,
    min_radius: f64,
) -> SeatDef {
    SeatDef {
        name,
        code,
        lon,
        lat,
        weight,
        min_radius,
    }
}

pub(super) const HAIMEN_SEATS: [SeatDef; 11] = [
    seat("海门街道", "320614001000", 121.170, 31.895, 3.0, 1500.0),
    seat("三厂街道", "320614002000", 121.112, 31.878, 1.5, 1000.0),
    seat("滨江街道", "320614003000", 121.205, 31.852, 1.3, 900.0),
    seat("常乐镇", "320614101000", 121.240, 31.935, 1.0, 700.0),
    seat("悦来镇", "320614102000", 121.335, 31.895, 1.0, 700.0),
    seat("四甲镇", "320614103000", 121.255, 32.062, 0.9, 700.0),
    seat("余东镇", "320614104000", 121.325, 32.005, 0.9, 700.0),
    seat("正余镇", "320614105000", 121.172, 31.975, 0.8, 600.0),
    seat("包场镇", "320614106000", 121.425, 32.060, 0.9, 700.0),
    seat("临江镇", "320614107000", 121.055, 31.830, 0.9, 700.0),
    seat("三星镇", "320614108000", 121.108, 31.940, 1.2, 800.0),
];

/// The natural-gas gate station (门站) the trunk starts from, west of the city.
pub(super) const HAIMEN_GATE: (f64, f64) = (121.095, 31.905);

/// Parks of the synthetic city: name, kind, approximate centre, tan of half the turn of
/// its grid, share of the industrial firms. The chemical park lies along the Yangtze in
/// the south-west (临江新区); the second chemical cluster is used only for large cities.
pub(super) const HAIMEN_PARKS: [(&str, ParkKind, f64, f64, f64, f64); 5] = [
    (
        "临江新区化工园区",
        ParkKind::Chemical,
        121.088,
        31.792,
        -0.249,
        1.0,
    ),
    (
        "海门经济技术开发区",
        ParkKind::Industrial,
        121.228,
        31.882,
        0.05,
        0.5,
    ),
    (
        "海门港新区",
        ParkKind::Industrial,
        121.462,
        32.072,
        0.05,
        0.3,
    ),
    (
        "三星叠石桥工业集中区",
        ParkKind::Industrial,
        121.102,
        31.968,
        0.05,
        0.2,
    ),
    (
        "海门港新区化工集中区",
        ParkKind::Chemical,
        121.420,
        32.090,
        0.05,
        0.0,
    ),
];

const HAIMEN: &str = include_str!("../../../data/boundaries/haimen.geojson");

/// Why the built-in boundary could not be read (only if the compiled-in file is broken).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BoundaryError {
    /// The file is not GeoJSON, or holds a geometry that cannot be read.
    #[error("built-in boundary: {0}")]
    GeoJson(#[from] geojson::Error),
    /// The file holds no polygon.
    #[error("built-in boundary has no polygon")]
    NoPolygon,
}

/// The district boundary of 海门区 (see data/README.md for its source and licence).
///
/// # Errors
///
/// [`BoundaryError`] if the compiled-in file cannot be read, which the tests rule out.
pub fn haimen() -> Result<MultiPolygon<f64>, BoundaryError> {
    let gj: geojson::GeoJson = HAIMEN.parse()?;
    let fc = geojson::FeatureCollection::try_from(gj)?;
    let mut polys = Vec::new();
    for f in fc.features {
        let Some(g) = f.geometry else { continue };
        let g: Geometry<f64> = g.try_into()?;
        match g {
            Geometry::Polygon(p) => polys.push(p),
            Geometry::MultiPolygon(m) => polys.extend(m.0),
            _ => {}
        }
    }
    if polys.is_empty() {
        return Err(BoundaryError::NoPolygon);
    }
    Ok(MultiPolygon(polys))
}
