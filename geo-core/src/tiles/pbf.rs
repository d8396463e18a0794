//! The MVT 2.1 protobuf writer: one layer at a time, straight into bytes.
//!
//! The `vector_tile.proto` messages are written by hand rather than through generated
//! structs: a feature's geometry commands and tag indices go into reused buffers and then
//! into the layer's bytes, and keys and values are interned per layer with a fast hash.
//! Building a struct per feature, hashing each tag with SipHash and copying every string
//! value cost about half of an uncached house tile (measured with perf, see
//! BENCHMARKS.md). String values are copied once, into one text of the layer, and found
//! again through a table of their positions: a layer of points with an id each (hidden
//! hazards, enterprises) interns thousands of strings that occur once. Fields are written
//! in field-number order, as protobuf encoders do, so the bytes are the same as those of
//! a generated encoder (a test compares them with the `mvt` crate's).
//!
//! ```text
//! Tile    { repeated Layer layers = 3; }
//! Layer   { required uint32 version = 15; required string name = 1;
//!           repeated Feature features = 2; repeated string keys = 3;
//!           repeated Value values = 4; optional uint32 extent = 5; }
//! Feature { optional uint64 id = 1; repeated uint32 tags = 2 [packed];
//!           optional GeomType type = 3; repeated uint32 geometry = 4 [packed]; }
//! Value   { string 1 | float 2 | double 3 | int64 4 | uint64 5 | sint64 6 | bool 7 }
//! ```

use std::collections::HashMap;
use std::hash::BuildHasher;

use hashbrown::HashTable;

use super::PropValue;
use super::geometry::{GeomRef, Kind};

type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

const WIRE_VARINT: u32 = 0;
const WIRE_FIXED64: u32 = 1;
const WIRE_LEN: u32 = 2;
const WIRE_FIXED32: u32 = 5;

const CMD_MOVE_TO: u32 = 1;
const CMD_LINE_TO: u32 = 2;
const CMD_CLOSE_PATH: u32 = 7;

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn key(out: &mut Vec<u8>, field: u32, wire: u32) {
    varint(out, u64::from(field << 3 | wire));
}

fn bytes_field(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    key(out, field, WIRE_LEN);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// The bytes of `v` as a varint.
fn varint_len(v: u64) -> usize {
    // 7 bits a byte; 0 takes one.
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

/// The bytes of `values` as packed varints.
fn packed_len(values: &[u32]) -> usize {
    values.iter().map(|&v| varint_len(u64::from(v))).sum()
}

/// The bytes of a length-delimited field of `len` bytes whose number is below 16 (its
/// key one byte); none when empty, as [`packed_with_len`] writes nothing then.
fn field_len(len: usize) -> usize {
    if len == 0 {
        0
    } else {
        1 + varint_len(len as u64) + len
    }
}

/// `values` as a packed field, whose bytes ([`packed_len`]) are `len`; nothing when empty.
fn packed_with_len(out: &mut Vec<u8>, field: u32, values: &[u32], len: usize) {
    if values.is_empty() {
        return;
    }
    key(out, field, WIRE_LEN);
    varint(out, len as u64);
    for &v in values {
        varint(out, u64::from(v));
    }
}

fn zigzag(v: i32) -> u32 {
    ((v << 1) ^ (v >> 31)) as u32
}

fn command(id: u32, count: usize) -> u32 {
    // Counts are bounded by the tile's coordinates (a few million at most), far below 2²⁹.
    (id & 0x7) | ((count as u32) << 3)
}

/// A property value as the layer's value table holds it: floats by their bits, so that
/// equal values (and only those) share an entry; strings by where they are in the
/// layer's text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ValueKey {
    String { start: usize, end: usize },
    Float(u32),
    Double(u64),
    Int(i64),
    UInt(u64),
    SInt(i64),
    Bool(bool),
}

impl ValueKey {
    /// Appends the `values` field of this value; `text`: the layer's strings.
    fn encode(&self, text: &str, out: &mut Vec<u8>, body: &mut Vec<u8>) {
        body.clear();
        match self {
            ValueKey::String { start, end } => {
                bytes_field(body, 1, text.get(*start..*end).unwrap_or("").as_bytes());
            }
            ValueKey::Float(bits) => {
                key(body, 2, WIRE_FIXED32);
                body.extend_from_slice(&bits.to_le_bytes());
            }
            ValueKey::Double(bits) => {
                key(body, 3, WIRE_FIXED64);
                body.extend_from_slice(&bits.to_le_bytes());
            }
            ValueKey::Int(v) => {
                key(body, 4, WIRE_VARINT);
                varint(body, *v as u64);
            }
            ValueKey::UInt(v) => {
                key(body, 5, WIRE_VARINT);
                varint(body, *v);
            }
            ValueKey::SInt(v) => {
                key(body, 6, WIRE_VARINT);
                varint(body, ((v << 1) ^ (v >> 63)) as u64);
            }
            ValueKey::Bool(v) => {
                key(body, 7, WIRE_VARINT);
                varint(body, u64::from(*v));
            }
        }
        bytes_field(out, 4, body);
    }
}

/// One layer being written.
pub(crate) struct LayerWriter {
    name: String,
    extent: u32,
    /// The encoded `features` fields, one after another.
    features: Vec<u8>,
    keys: Vec<String>,
    key_index: FastMap<String, u32>,
    values: Vec<ValueKey>,
    /// The string values, one after another.
    text: String,
    /// The positions in `values` of the string values, by the hash of their text.
    string_index: HashTable<u32>,
    /// The other values, by their key.
    value_index: FastMap<ValueKey, u32>,
    tags: Vec<u32>,
    geometry: Vec<u32>,
    /// The tag indices of the last property lists seen, by where the list lies and its
    /// length (see [`LayerWriter::tags_of`]).
    shared: Vec<((usize, usize), Vec<u32>)>,
}

/// How many property lists [`LayerWriter::tags_of`] remembers: a layer drawn by level
/// has four.
const SHARED_LISTS: usize = 8;

impl LayerWriter {
    pub(crate) fn new(name: &str, extent: u32) -> Self {
        LayerWriter {
            name: name.to_owned(),
            extent,
            features: Vec::new(),
            keys: Vec::new(),
            key_index: FastMap::default(),
            values: Vec::new(),
            text: String::new(),
            string_index: HashTable::new(),
            value_index: FastMap::default(),
            tags: Vec::new(),
            geometry: Vec::new(),
            shared: Vec::new(),
        }
    }

    fn key_id(&mut self, k: &str) -> u32 {
        if let Some(&i) = self.key_index.get(k) {
            return i;
        }
        let i = self.keys.len() as u32;
        self.keys.push(k.to_owned());
        self.key_index.insert(k.to_owned(), i);
        i
    }

    fn string_id(&mut self, s: &str) -> u32 {
        let hasher = foldhash::fast::FixedState::default();
        let hash = hasher.hash_one(s);
        let (values, text) = (&self.values, &self.text);
        if let Some(&i) = self
            .string_index
            .find(hash, |i| text_of_at(values, text, *i) == Some(s))
        {
            return i;
        }
        let i = self.values.len() as u32;
        let start = self.text.len();
        self.text.push_str(s);
        self.values.push(ValueKey::String {
            start,
            end: self.text.len(),
        });
        let (values, text) = (&self.values, &self.text);
        self.string_index.insert_unique(hash, i, |i| {
            text_of_at(values, text, *i).map_or(0, |t| hasher.hash_one(t))
        });
        i
    }

    fn value_id(&mut self, v: &PropValue<'_>) -> u32 {
        let k = match v {
            PropValue::String(s) => return self.string_id(s),
            PropValue::Float(x) => ValueKey::Float(x.to_bits()),
            PropValue::Double(x) => ValueKey::Double(x.to_bits()),
            PropValue::Int(x) => ValueKey::Int(*x),
            PropValue::UInt(x) => ValueKey::UInt(*x),
            PropValue::SInt(x) => ValueKey::SInt(*x),
            PropValue::Bool(x) => ValueKey::Bool(*x),
        };
        if let Some(&i) = self.value_index.get(&k) {
            return i;
        }
        let i = self.values.len() as u32;
        self.values.push(k.clone());
        self.value_index.insert(k, i);
        i
    }

    /// Adds one feature; `shared`: whether other features may have the same
    /// `properties` (a borrowed list), whose tag indices are then remembered by where the
    /// list lies: a shared list must stay where it is, unchanged, for as long as this
    /// writer lives (the features of a layer borrow theirs for the whole layer).
    pub(crate) fn add(
        &mut self,
        id: u64,
        geom: GeomRef<'_>,
        properties: &[(std::borrow::Cow<'_, str>, PropValue<'_>)],
        shared: bool,
    ) {
        let cached = self.tags_of(properties, shared);
        let geom_type = commands(geom, &mut self.geometry);
        let tags = match cached {
            Some(i) => &self.shared[i].1,
            None => &self.tags,
        };
        // Written straight into the layer, its length worked out first: copying each
        // feature through buffers of its own was a fifth of a conflict layer's time
        // (thousands of short copies; BENCHMARKS.md).
        let (tags_len, geom_len) = (packed_len(tags), packed_len(&self.geometry));
        let body = 1 + varint_len(id) + field_len(tags_len) + 2 + field_len(geom_len);
        let f = &mut self.features;
        key(f, 2, WIRE_LEN);
        varint(f, body as u64);
        key(f, 1, WIRE_VARINT);
        varint(f, id);
        packed_with_len(f, 2, tags, tags_len);
        key(f, 3, WIRE_VARINT);
        // 1, 2 or 3: one byte.
        varint(f, u64::from(geom_type));
        packed_with_len(f, 4, &self.geometry, geom_len);
    }

    /// The tag indices of `properties`: in `self.shared` at the index returned, or in
    /// `self.tags`. Features that share their
    /// properties (a conflict layer's lines share a few lists, one per level) share the
    /// indices, found once: the list is known by where it lies and its length, which no
    /// other list can share while the features being written (which borrow or own them
    /// all) are alive.
    fn tags_of(
        &mut self,
        properties: &[(std::borrow::Cow<'_, str>, PropValue<'_>)],
        shared: bool,
    ) -> Option<usize> {
        let at = (properties.as_ptr() as usize, properties.len());
        let shared = shared && !properties.is_empty();
        if shared && let Some(i) = self.shared.iter().position(|(p, _)| *p == at) {
            return Some(i);
        }
        self.tags.clear();
        for (k, v) in properties {
            let ki = self.key_id(k);
            let vi = self.value_id(v);
            self.tags.push(ki);
            self.tags.push(vi);
        }
        if shared {
            if self.shared.len() == SHARED_LISTS {
                self.shared.remove(0);
            }
            self.shared.push((at, self.tags.clone()));
        }
        None
    }

    /// Appends the layer to `tile` as a one-layer Tile message (`layers = 3`), which
    /// concatenates with others into a tile. The features, most of the bytes, are copied
    /// once, after the length of the whole is known.
    pub(crate) fn write_tile_bytes(self, tile: &mut Vec<u8>) {
        let mut head = Vec::with_capacity(self.name.len() + 2);
        bytes_field(&mut head, 1, self.name.as_bytes());
        let mut tail = Vec::with_capacity(64 + 16 * self.values.len());
        for k in &self.keys {
            bytes_field(&mut tail, 3, k.as_bytes());
        }
        let mut body = Vec::new();
        for v in &self.values {
            v.encode(&self.text, &mut tail, &mut body);
        }
        key(&mut tail, 5, WIRE_VARINT);
        varint(&mut tail, u64::from(self.extent));
        key(&mut tail, 15, WIRE_VARINT);
        varint(&mut tail, 2);
        let len = head.len() + self.features.len() + tail.len();
        tile.reserve(len + 8);
        key(tile, 3, WIRE_LEN);
        varint(tile, len as u64);
        tile.extend_from_slice(&head);
        tile.extend_from_slice(&self.features);
        tile.extend_from_slice(&tail);
    }
}

/// The text of string value `i` of a layer.
fn text_of_at<'t>(values: &[ValueKey], text: &'t str, i: u32) -> Option<&'t str> {
    match values.get(i as usize) {
        Some(ValueKey::String { start, end }) => text.get(*start..*end),
        _ => None,
    }
}

/// Writes the geometry commands of `geom` into `out` (cleared first) and returns the MVT
/// geometry type (1 point, 2 line string, 3 polygon). The pipeline guarantees what MVT
/// requires of the input (see [`GeomRef`]): no zero-length LineTo, rings of at least
/// three vertices without their closing one, exteriors and holes oriented.
fn commands(geom: GeomRef<'_>, out: &mut Vec<u32>) -> u32 {
    out.clear();
    let (mut cx, mut cy) = (0i32, 0i32);
    let mut delta = |out: &mut Vec<u32>, p: [i32; 2]| {
        out.push(zigzag(p[0].wrapping_sub(cx)));
        out.push(zigzag(p[1].wrapping_sub(cy)));
        cx = p[0];
        cy = p[1];
    };
    match geom.kind {
        Kind::Points => {
            out.push(command(CMD_MOVE_TO, geom.coords.len()));
            for p in geom.coords {
                delta(out, *p);
            }
            1
        }
        Kind::Lines | Kind::Polygons => {
            let polygon = geom.kind == Kind::Polygons;
            for part in geom.parts() {
                let Some((first, rest)) = part.split_first() else {
                    continue;
                };
                out.push(command(CMD_MOVE_TO, 1));
                delta(out, *first);
                out.push(command(CMD_LINE_TO, rest.len()));
                for p in rest {
                    delta(out, *p);
                }
                if polygon {
                    out.push(command(CMD_CLOSE_PATH, 1));
                }
            }
            if polygon { 3 } else { 2 }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tiles::geometry::TileGeom;

    #[test]
    fn varints_and_zigzag_by_hand() {
        // Protocol Buffers encoding guide: 1 → 01, 150 → 96 01, 300 → ac 02.
        for (v, want) in [
            (1u64, vec![1u8]),
            (150, vec![0x96, 1]),
            (300, vec![0xac, 2]),
        ] {
            let mut out = Vec::new();
            varint(&mut out, v);
            assert_eq!(out, want);
        }
        // A varint holds 7 bits a byte: 0 and 127 take one, 128 and 16383 two, 16384
        // three, 2^63 and the largest u64 ten.
        for (v, n) in [
            (0u64, 1),
            (127, 1),
            (128, 2),
            (16_383, 2),
            (16_384, 3),
            (1 << 63, 10),
            (u64::MAX, 10),
        ] {
            assert_eq!(varint_len(v), n, "{v}");
            let mut out = Vec::new();
            varint(&mut out, v);
            assert_eq!(out.len(), n, "{v}");
        }
        assert_eq!(packed_len(&[1, 300, 0]), 4);
        assert_eq!(field_len(0), 0);
        assert_eq!(field_len(200), 1 + 2 + 200);
        // zigzag: 0 → 0, -1 → 1, 1 → 2, -2 → 3, 2147483647 → 4294967294.
        assert_eq!(
            [0, -1, 1, -2, i32::MAX].map(zigzag),
            [0, 1, 2, 3, 4_294_967_294]
        );
    }

    #[test]
    fn the_spec_example_polygon() {
        // MVT 2.1 §4.3.5.3 "Example Polygon": (3,6) (8,12) (20,34) closed is
        // 9 6 12 18 10 12 24 44 15.
        let g = TileGeom {
            kind: Kind::Polygons,
            coords: vec![[3, 6], [8, 12], [20, 34]],
            parts: vec![3],
        };
        let mut out = Vec::new();
        assert_eq!(commands(g.as_ref(), &mut out), 3);
        assert_eq!(out, vec![9, 6, 12, 18, 10, 12, 24, 44, 15]);
        // §4.3.5.1 "Example Point": (25,17) is 9 50 34; §4.3.5.2 "Example Multi Point":
        // (5,7) (3,2) is 17 10 14 3 9.
        let p = TileGeom {
            kind: Kind::Points,
            coords: vec![[5, 7], [3, 2]],
            parts: vec![],
        };
        assert_eq!(commands(p.as_ref(), &mut out), 1);
        assert_eq!(out, vec![17, 10, 14, 3, 9]);
        // §4.3.5.4 "Example Multi LineString": (2,2) (2,10) (10,10) and (1,1) (3,5) is
        // 9 4 4 18 0 16 16 0 9 17 17 10 4 8.
        let l = TileGeom {
            kind: Kind::Lines,
            coords: vec![[2, 2], [2, 10], [10, 10], [1, 1], [3, 5]],
            parts: vec![3, 2],
        };
        assert_eq!(commands(l.as_ref(), &mut out), 2);
        assert_eq!(out, vec![9, 4, 4, 18, 0, 16, 16, 0, 9, 17, 17, 10, 4, 8]);
    }
}
