//! GeoArrow's native geometry encodings in a GeoParquet 1.1 file.
//!
//! A native geometry column is not one column of bytes but a nest of Parquet lists whose
//! leaves are the coordinates' `x` and `y` columns (GeoParquet allows only the
//! "separated" struct layout): a `point` is `struct<x, y>`, a `linestring` or `multipoint`
//! a list of them, a `polygon` or `multilinestring` a list of lists, a `multipolygon` a
//! list of lists of lists. Parquet stores each leaf flat with two numbers a value (Dremel
//! levels): the repetition level says at which list a value starts a new element (0: a
//! new row), the definition level how deep the path is present (a null or an empty list
//! stops it short, and then no value is stored). The rows are put together here from the
//! `x` column's levels; `y` must have the same ones. `z` and `m` are read by nobody here:
//! risk analysis is on the plane.

use parquet::basic::Repetition;
use parquet::column::reader::ColumnReader;
use parquet::file::reader::RowGroupReader;
use parquet::schema::types::{SchemaDescriptor, Type};

use crate::io::geom::{GeomInput, RawGeom};

type Coord = geo::Coord<f64>;

/// The six geometry types GeoArrow encodes natively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    Point,
    LineString,
    Polygon,
    MultiPoint,
    MultiLineString,
    MultiPolygon,
}

impl Shape {
    /// The shape of a GeoParquet `encoding` name, `None` for any other (WKB included).
    pub(super) fn of_encoding(name: &str) -> Option<Shape> {
        Some(match name.to_ascii_lowercase().as_str() {
            "point" => Shape::Point,
            "linestring" => Shape::LineString,
            "polygon" => Shape::Polygon,
            "multipoint" => Shape::MultiPoint,
            "multilinestring" => Shape::MultiLineString,
            "multipolygon" => Shape::MultiPolygon,
            _ => return None,
        })
    }

    /// How many lists nest around a coordinate.
    fn depth(self) -> usize {
        match self {
            Shape::Point => 0,
            Shape::LineString | Shape::MultiPoint => 1,
            Shape::Polygon | Shape::MultiLineString => 2,
            Shape::MultiPolygon => 3,
        }
    }
}

/// Where a native geometry column's coordinates are, and the definition levels that say
/// how much of a row is there.
#[derive(Debug)]
pub(super) struct Native {
    shape: Shape,
    x: usize,
    y: usize,
    /// The level at which the geometry itself is not null.
    present: i16,
    /// For each list from the outside in, the level at which it holds an element.
    element: Vec<i16>,
    /// The level at which a coordinate is there.
    full: i16,
}

impl Native {
    /// The columns of `column` encoded as `shape`, its nesting checked against the shape.
    pub(super) fn locate(
        schema: &SchemaDescriptor,
        column: &str,
        shape: Shape,
    ) -> Result<Native, String> {
        let leaf = |axis: &str| {
            schema.columns().iter().position(|c| {
                let parts = c.path().parts();
                parts.len() > 1 && parts[0] == column && parts[parts.len() - 1] == axis
            })
        };
        let (Some(x), Some(y)) = (leaf("x"), leaf("y")) else {
            return Err(format!(
                "its geometry column {column:?} is said to be GeoArrow {shape:?} but has no \
                 x and y coordinate columns"
            ));
        };
        let (present, element, full) = levels(schema, x)?;
        if element.len() != shape.depth() || levels(schema, y)? != (present, element.clone(), full)
        {
            return Err(format!(
                "its geometry column {column:?} is said to be GeoArrow {shape:?}, but its \
                 coordinates are nested {} list(s) deep, not {}",
                element.len(),
                shape.depth()
            ));
        }
        Ok(Native {
            shape,
            x,
            y,
            present,
            element,
            full,
        })
    }

    /// The `n` geometries of a row group.
    pub(super) fn read(&self, rg: &dyn RowGroupReader, n: usize) -> Result<Vec<GeomInput>, String> {
        let x = coordinates(rg, self.x, n, self.full, self.element.len())?;
        let y = coordinates(rg, self.y, n, self.full, self.element.len())?;
        let (xd, xr, xs) = (&x.defs, &x.reps, &x.values);
        let (yd, yr, ys) = (&y.defs, &y.reps, &y.values);
        let depth = self.element.len();
        if depth > 0 && xr.len() != xd.len() {
            return Err("the geometry's repetition and definition levels differ in number".into());
        }
        if xd != yd || xr != yr || xs.len() != ys.len() {
            return Err("the geometry's x and y columns do not have the same shape".into());
        }
        let mut rows = Vec::with_capacity(n);
        let mut row: Option<Nest> = None;
        let mut v = 0usize;
        for i in 0..xd.len() {
            let d = xd[i];
            let r = if depth > 0 {
                usize::try_from(xr[i]).unwrap_or(0)
            } else {
                0
            };
            if r == 0 {
                rows.extend(row.take().map(|b| b.finish(self.shape)));
                row = Some(Nest::new(d >= self.present, depth));
            }
            let Some(nest) = row.as_mut() else {
                return Err("the geometry's first value does not start a row".into());
            };
            if depth == 0 {
                if d >= self.full {
                    nest.coord(xs.get(v).zip(ys.get(v)))?;
                    v += 1;
                }
                continue;
            }
            // Each list from the one this value repeats in, inward: an element there
            // while the path is defined that deep.
            for k in r.max(1)..=depth {
                if d < self.element[k - 1] {
                    break;
                }
                if k < depth {
                    nest.open(k + 3 - depth);
                } else if d >= self.full {
                    nest.coord(xs.get(v).zip(ys.get(v)))?;
                    v += 1;
                } else {
                    nest.null_coordinate = true;
                }
            }
        }
        rows.extend(row.map(|b| b.finish(self.shape)));
        if rows.len() != n || v != xs.len() {
            return Err(format!(
                "the geometry's levels give {} row(s) and {v} coordinate(s) where the row \
                 group has {n} row(s) and {} coordinate(s)",
                rows.len(),
                xs.len()
            ));
        }
        Ok(rows)
    }
}

/// The definition levels of a leaf's path: where its top node is there, where each
/// repeated node holds an element, and where the leaf is.
fn levels(schema: &SchemaDescriptor, leaf: usize) -> Result<(i16, Vec<i16>, i16), String> {
    let descr = schema.column(leaf);
    let parts = descr.path().parts();
    let mut node: &Type = schema.get_column_root(leaf);
    let mut def = 0i16;
    let mut present = 0i16;
    let mut element = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            node = node
                .get_fields()
                .iter()
                .find(|f| f.name() == part.as_str())
                .map(|f| f.as_ref())
                .ok_or_else(|| format!("the schema has no {part:?} where its column path says"))?;
        }
        let info = node.get_basic_info();
        if info.has_repetition() {
            match info.repetition() {
                Repetition::OPTIONAL => def += 1,
                Repetition::REPEATED => {
                    def += 1;
                    element.push(def);
                }
                Repetition::REQUIRED => {}
            }
        }
        if i == 0 {
            present = def;
        }
        if i + 1 < parts.len() && !node.is_group() {
            return Err(format!(
                "{part:?} is a value, not a group, in the column's path"
            ));
        }
    }
    if def != descr.max_def_level() {
        return Err("the column's definition levels disagree with its schema".into());
    }
    Ok((present, element, def))
}

/// A coordinate column of a row group: definition and repetition levels and the values.
struct Leaf {
    defs: Vec<i16>,
    reps: Vec<i16>,
    values: Vec<f64>,
}

/// Reads a coordinate column of a row group.
fn coordinates(
    rg: &dyn RowGroupReader,
    column: usize,
    n: usize,
    max_def: i16,
    depth: usize,
) -> Result<Leaf, String> {
    let ColumnReader::DoubleColumnReader(mut r) =
        rg.get_column_reader(column).map_err(|e| e.to_string())?
    else {
        return Err("the geometry's coordinates are not doubles".into());
    };
    let mut defs = Vec::new();
    let mut reps = Vec::new();
    let mut vals = Vec::new();
    let mut got = 0;
    while got < n {
        let (records, _, _) = r
            .read_records(
                n - got,
                (max_def > 0).then_some(&mut defs),
                (depth > 0).then_some(&mut reps),
                &mut vals,
            )
            .map_err(|e| e.to_string())?;
        if records == 0 {
            return Err(format!("the geometry column ends after {got} of {n} rows"));
        }
        got += records;
    }
    if max_def == 0 {
        // Every row a coordinate, required all the way.
        defs = vec![0; vals.len()];
    }
    Ok(Leaf {
        defs,
        reps,
        values: vals,
    })
}

/// One row's coordinates, always nested three deep (polygons, rings, coordinates); a
/// shape with fewer lists starts inside the outer ones.
struct Nest {
    present: bool,
    polygons: Vec<Vec<Vec<Coord>>>,
    coords: usize,
    null_coordinate: bool,
}

impl Nest {
    fn new(present: bool, depth: usize) -> Nest {
        let mut n = Nest {
            present,
            polygons: Vec::new(),
            coords: 0,
            null_coordinate: false,
        };
        // The lists the shape does not have are there once.
        for level in 1..=3usize.saturating_sub(depth.max(1)) {
            n.open(level);
        }
        n
    }

    /// A new element at nesting level 1 (a polygon) or 2 (a ring).
    fn open(&mut self, level: usize) {
        match level {
            1 => self.polygons.push(Vec::new()),
            _ => {
                if let Some(p) = self.polygons.last_mut() {
                    p.push(Vec::new());
                }
            }
        }
    }

    fn coord(&mut self, xy: Option<(&f64, &f64)>) -> Result<(), String> {
        let (&x, &y) = xy.ok_or("the geometry's levels name more coordinates than it holds")?;
        let ring = self
            .polygons
            .last_mut()
            .and_then(|p| p.last_mut())
            .ok_or("a coordinate outside any list")?;
        ring.push(Coord { x, y });
        self.coords += 1;
        Ok(())
    }

    fn finish(self, shape: Shape) -> GeomInput {
        if !self.present {
            return GeomInput::Missing;
        }
        if self.null_coordinate {
            return GeomInput::Invalid("a null coordinate inside the geometry".into());
        }
        if self.coords == 0 {
            return GeomInput::Missing;
        }
        let mut polygons = self.polygons;
        let first = |p: &mut Vec<Vec<Vec<Coord>>>| p.pop().unwrap_or_default();
        GeomInput::Geom(match shape {
            Shape::Point => {
                let c = first(&mut polygons).pop().unwrap_or_default();
                match c.first() {
                    // An empty point is NaN in GeoArrow, as in WKB.
                    Some(c) if !(c.x.is_nan() && c.y.is_nan()) => RawGeom::Point(*c),
                    _ => return GeomInput::Missing,
                }
            }
            Shape::LineString => {
                RawGeom::LineString(first(&mut polygons).pop().unwrap_or_default())
            }
            Shape::MultiPoint => {
                RawGeom::MultiPoint(first(&mut polygons).pop().unwrap_or_default())
            }
            Shape::Polygon => RawGeom::Polygon(first(&mut polygons)),
            Shape::MultiLineString => RawGeom::MultiLineString(first(&mut polygons)),
            Shape::MultiPolygon => RawGeom::MultiPolygon(polygons),
        })
    }
}
