//! RiskMap's own rules, stricter than the specification, for the tiles it produces.

use std::collections::{HashMap, HashSet};

use super::error::{MvtError, Rule, Violations};
use super::topology::{ring_inside, rings_overlap};
use super::types::{Geometry, Polygon, Tile, Value};
use super::{Coord, decode};

/// Parameters of [`check_riskmap_rules`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskmapRules {
    /// Expected extent of every layer.
    pub extent: u32,
    /// Buffer: coordinates must lie in `[-buffer, extent + buffer]`.
    pub buffer: u32,
}

impl Default for RiskmapRules {
    fn default() -> Self {
        Self {
            extent: 4096,
            buffer: 64,
        }
    }
}

/// Decodes with [`decode`] (version 2, topology) and then checks RiskMap's own rules.
pub fn decode_riskmap(bytes: &[u8], rules: &RiskmapRules) -> Result<Tile, MvtError> {
    let tile = decode(bytes)?;
    check_riskmap_rules(&tile, rules)?;
    Ok(tile)
}

/// Checks RiskMap's stricter rules on a decoded tile (see the module documentation).
pub fn check_riskmap_rules(tile: &Tile, rules: &RiskmapRules) -> Result<(), MvtError> {
    let mut v = Violations::default();
    let lo = -i64::from(rules.buffer);
    let hi = i64::from(rules.extent) + i64::from(rules.buffer);
    for (li, layer) in tile.layers.iter().enumerate() {
        let lat = format!("layer {li} {:?}", layer.name);
        if layer.version != 2 {
            v.push(
                Rule::NotVersion2,
                &lat,
                format!("version {}", layer.version),
            );
        }
        if layer.extent != rules.extent {
            v.push(
                Rule::UnexpectedExtent,
                &lat,
                format!("extent {} instead of {}", layer.extent, rules.extent),
            );
        }
        if layer.features.is_empty() {
            v.push(Rule::EmptyLayer, &lat, "layer has no features");
        }
        let mut keys: HashSet<&str> = HashSet::new();
        for k in &layer.keys {
            if !keys.insert(k) {
                v.push(
                    Rule::DuplicateKeyOrValue,
                    &lat,
                    format!("key {k:?} listed twice"),
                );
            }
        }
        let mut values: HashMap<String, usize> = HashMap::new();
        for (i, val) in layer.values.iter().enumerate() {
            // Same type and same bytes (floats by bit pattern).
            let key = match val {
                Value::Float(x) => format!("f{}", x.to_bits()),
                Value::Double(x) => format!("d{}", x.to_bits()),
                other => format!("{other:?}"),
            };
            if let Some(first) = values.insert(key, i) {
                v.push(
                    Rule::DuplicateKeyOrValue,
                    &lat,
                    format!("values {first} and {i} are the same"),
                );
            }
        }
        let mut ids: HashSet<u64> = HashSet::new();
        for (fi, f) in layer.features.iter().enumerate() {
            let at = format!("{lat} feature {fi}");
            match f.id {
                None => v.push(Rule::MissingId, &at, "feature has no id"),
                Some(id) => {
                    if !ids.insert(id) {
                        v.push(Rule::DuplicateId, &at, format!("id {id} used twice"));
                    }
                }
            }
            let mut in_range = |p: &Coord| {
                if p[0] < lo || p[0] > hi || p[1] < lo || p[1] > hi {
                    v.push(
                        Rule::CoordinateOutOfRange,
                        &at,
                        format!("({}, {}) outside [{lo}, {hi}]", p[0], p[1]),
                    );
                }
            };
            match &f.geometry {
                Geometry::Unknown => {}
                Geometry::Points(pts) => pts.iter().for_each(&mut in_range),
                Geometry::LineStrings(ls) => ls.iter().flatten().for_each(&mut in_range),
                Geometry::Polygons(ps) => ps
                    .iter()
                    .flat_map(|p| std::iter::once(&p.exterior).chain(&p.interiors))
                    .flatten()
                    .for_each(&mut in_range),
            }
            match &f.geometry {
                Geometry::Unknown => {
                    v.push(
                        Rule::UnknownGeometry,
                        &at,
                        "UNKNOWN or undecodable geometry",
                    );
                }
                Geometry::Points(pts) => {
                    if pts.windows(2).any(|w| w[0] == w[1]) {
                        v.push(
                            Rule::RepeatedPoint,
                            &at,
                            "multipoint repeats a point consecutively",
                        );
                    }
                }
                Geometry::LineStrings(lines) => {
                    for w in lines.windows(2) {
                        if w[0].last() == w[1].first() {
                            v.push(
                                Rule::RepeatedPoint,
                                &at,
                                "a line starts where the previous one ends (MoveTo of length 0)",
                            );
                        }
                    }
                }
                Geometry::Polygons(ps) => {
                    for (i, a) in ps.iter().enumerate() {
                        for (j, b) in ps.iter().enumerate().skip(i + 1) {
                            if polygons_overlap(a, b) {
                                v.push(
                                    Rule::OverlappingPolygons,
                                    &at,
                                    format!("polygons {i} and {j} overlap"),
                                );
                            }
                        }
                    }
                }
            }
        }
    }
    if v.0.is_empty() {
        Ok(())
    } else {
        Err(MvtError { violations: v.0 })
    }
}

/// Whether two polygons' areas overlap or share an edge: their exteriors do, and not
/// because one lies inside a hole of the other.
fn polygons_overlap(a: &Polygon, b: &Polygon) -> bool {
    if !rings_overlap(&a.exterior, &b.exterior) {
        return false;
    }
    let in_hole = |inner: &Polygon, outer: &Polygon| {
        outer
            .interiors
            .iter()
            .any(|h| ring_inside(&inner.exterior, h))
    };
    !(in_hole(a, b) || in_hole(b, a))
}
