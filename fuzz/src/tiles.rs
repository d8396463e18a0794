//! The tile target: bytes read as a small dataset, which is written out as GeoJSON,
//! loaded and analysed (`Project::open`), tiled (`TileSet`), and every tile that has data
//! decoded by the independent MVT 2.1 decoder with RiskMap's own stricter rules.
//!
//! Input layout, every field one byte unless said otherwise:
//!
//! - zoom (`% 19`);
//! - scale: bits 0–2 choose the coordinate unit, `10^-(2 + n % 6)` degrees; bit 6 moves the
//!   data next to the antimeridian, bit 7 next to the edge of the Mercator world (85° N);
//! - then features until the bytes run out, each: kind (`% 7`: house polygon, house point,
//!   gas pipeline, enterprise polygon, protection target polygon, area, hazard source
//!   point), shape (bit 0 closes the rings, bit 1 adds a hole, bits 2–5 the number of
//!   points less one), then per point two little-endian `i16` offsets (east, north) in
//!   units from the centre.

use geo::{Coord, Rect};
use riskmap_core::Project;
use riskmap_core::io::LoadOptions;
use riskmap_core::model::LayerKind;
use riskmap_core::rules::Rules;
use riskmap_core::tiles::{MAX_ZOOM, tiles_covering};
use riskmap_core::tileset::{TileSet, TileSetConfig};
use riskmap_tests::mvt_check::{RiskmapRules, decode_riskmap};
use serde_json::{Value, json};

use crate::targets::{scratch_dir, write};

/// Most features read from one input.
const MAX_FEATURES: usize = 12;
/// Pressure classes the pipelines take in turn (different detail zooms).
const PRESSURE_CLASSES: [&str; 3] = ["中压A", "高压A", "低压"];
/// Most tiles rendered for one input.
const MAX_TILES: usize = 6;

struct Bytes<'a> {
    d: &'a [u8],
    i: usize,
}

impl Bytes<'_> {
    fn u8(&mut self) -> Option<u8> {
        let b = self.d.get(self.i).copied();
        self.i += 1;
        b
    }

    fn i16(&mut self) -> Option<i16> {
        Some(i16::from_le_bytes([self.u8()?, self.u8()?]))
    }
}

/// One feature as read from the input.
#[derive(Debug, Clone, PartialEq)]
pub struct Drawn {
    /// Which layer and geometry type.
    pub kind: u8,
    /// Close the rings.
    pub close: bool,
    /// Add a hole (the same ring shrunk by half towards its first point).
    pub hole: bool,
    /// The positions, lon/lat.
    pub points: Vec<[f64; 2]>,
}

/// The dataset of an input: zoom and features.
pub fn read(data: &[u8]) -> (u8, Vec<Drawn>) {
    let mut b = Bytes { d: data, i: 0 };
    let z = b.u8().map_or(12, |v| v % (MAX_ZOOM + 1));
    let scale = b.u8().unwrap_or(4);
    let unit = 10_f64.powi(-(2 + i32::from(scale & 7) % 6));
    let centre = match (scale & 0x40 != 0, scale & 0x80 != 0) {
        (true, _) => [179.999, 31.89],
        (false, true) => [121.17, 85.0],
        (false, false) => [121.17, 31.89],
    };
    let mut out = Vec::new();
    while out.len() < MAX_FEATURES {
        let (Some(kind), Some(shape)) = (b.u8(), b.u8()) else {
            break;
        };
        let n = usize::from((shape >> 2) & 15) + 1;
        let mut points = Vec::with_capacity(n);
        for _ in 0..n {
            let (Some(dx), Some(dy)) = (b.i16(), b.i16()) else {
                break;
            };
            points.push([
                centre[0] + f64::from(dx) * unit,
                centre[1] + f64::from(dy) * unit,
            ]);
        }
        if points.is_empty() {
            break;
        }
        out.push(Drawn {
            kind: kind % 7,
            close: shape & 1 != 0,
            hole: shape & 2 != 0,
            points,
        });
    }
    (z, out)
}

fn ring(d: &Drawn) -> Vec<Value> {
    let mut r: Vec<Value> = d.points.iter().map(|p| json!(p)).collect();
    if d.close {
        r.push(json!(d.points[0]));
    }
    r
}

fn polygon(d: &Drawn) -> Value {
    let mut rings = vec![ring(d)];
    if d.hole {
        let [x0, y0] = d.points[0];
        let shrunk = Drawn {
            points: d
                .points
                .iter()
                .map(|[x, y]| [x0 + (x - x0) / 2.0, y0 + (y - y0) / 2.0])
                .collect(),
            ..d.clone()
        };
        rings.push(ring(&shrunk));
    }
    json!({"type": "Polygon", "coordinates": rings})
}

/// The layer file and the GeoJSON feature of a drawn feature.
fn feature(i: usize, d: &Drawn) -> (LayerKind, Value) {
    let id = format!("F{i}");
    let point = json!({"type": "Point", "coordinates": d.points[0]});
    let line = json!({"type": "LineString", "coordinates": d.points});
    let (kind, geometry, props) = match d.kind {
        0 => (
            LayerKind::Houses,
            polygon(d),
            json!({"appraisal": "D级", "occupants": 3, "floors": 2}),
        ),
        1 => (LayerKind::Houses, point, json!({"appraisal": "C级"})),
        2 => (
            LayerKind::GasPipelines,
            line,
            json!({"pressure_class": PRESSURE_CLASSES[i % 3]}),
        ),
        3 => (
            LayerKind::Enterprises,
            polygon(d),
            json!({"name": id, "industry": "危险化学品生产", "employees": 120}),
        ),
        4 => (
            LayerKind::ProtectionTargets,
            polygon(d),
            json!({"name": id, "kind": "school", "population": 800}),
        ),
        5 => (LayerKind::Areas, polygon(d), json!({"name": id})),
        _ => (
            LayerKind::HazardSources,
            point,
            json!({"name": id, "inventory": [{"cas": "7782-50-5", "name": "氯", "tonnes": 20}]}),
        ),
    };
    let f = json!({"type": "Feature", "id": id, "geometry": geometry, "properties": props});
    (kind, f)
}

/// Runs one input of the tile target; the number of tiles with data, all decoded.
pub fn run(data: &[u8]) -> usize {
    let (z, drawn) = read(data);
    if drawn.is_empty() {
        return 0;
    }
    let dir = scratch_dir();
    for kind in LayerKind::INPUTS {
        let features: Vec<Value> = drawn
            .iter()
            .enumerate()
            .map(|(i, d)| feature(i, d))
            .filter(|(k, _)| *k == kind)
            .map(|(_, f)| f)
            .collect();
        if !features.is_empty() {
            let fc = json!({"type": "FeatureCollection", "features": features});
            write(
                &dir.join(format!("{}.geojson", kind.name())),
                fc.to_string().as_bytes(),
            );
        }
    }
    let Ok(p) = Project::open(&dir, &LoadOptions::default(), &Rules::default()) else {
        return 0;
    };
    let tiles = match TileSet::build(&p.dataset, &p.analysis, TileSetConfig::default()) {
        Ok(t) => t,
        Err(e) => panic!("a loaded dataset has no tiles: {e}"),
    };
    let layers: Vec<LayerKind> = tiles
        .layers()
        .iter()
        .filter_map(|l| LayerKind::from_name(l.name))
        .collect();
    let mut ids = Vec::new();
    for c in first_coords(&p) {
        let Ok(mut range) = tiles_covering(Rect::new(c, c), z) else {
            continue;
        };
        if let Some(t) = range.next()
            && !ids.contains(&t)
        {
            ids.push(t);
        }
        if ids.len() == MAX_TILES {
            break;
        }
    }
    let mut decoded = 0;
    for t in ids {
        let (tz, tx, ty) = (t.z, t.x, t.y);
        let bytes = match tiles.render(&p.dataset, &p.analysis, &layers, tz, tx, ty) {
            Ok(b) => b,
            Err(e) => panic!("tile {tz}/{tx}/{ty} was refused: {e}"),
        };
        if bytes.is_empty() {
            continue;
        }
        if let Err(e) = decode_riskmap(&bytes, &RiskmapRules::default()) {
            panic!("tile {tz}/{tx}/{ty} does not decode: {e}");
        }
        decoded += 1;
    }
    decoded
}

/// The first coordinate of every loaded input feature.
fn first_coords(p: &Project) -> Vec<Coord<f64>> {
    use geo::CoordsIter;
    let ds = &p.dataset;
    let mut out = Vec::new();
    let mut take = |g: &geo::Geometry<f64>| {
        if let Some(c) = g.coords_iter().next() {
            out.push(c);
        }
    };
    ds.houses.features().iter().for_each(|f| take(&f.geometry));
    ds.gas_pipelines
        .features()
        .iter()
        .for_each(|f| take(&f.geometry));
    ds.enterprises
        .features()
        .iter()
        .for_each(|f| take(&f.geometry));
    ds.protection_targets
        .features()
        .iter()
        .for_each(|f| take(&f.geometry));
    ds.areas.features().iter().for_each(|f| take(&f.geometry));
    ds.hazard_sources
        .features()
        .iter()
        .for_each(|f| take(&f.geometry));
    out
}
