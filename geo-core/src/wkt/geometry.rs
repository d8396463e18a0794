//! The geometry grammar of WKT (simple features): `POINT (x y)`, `LINESTRING`, `POLYGON`
//! and their `MULTI` forms, with `Z`, `M` and `ZM` coordinates read and their extra
//! ordinates dropped, `EMPTY`, and an EWKT `SRID=4326;` prefix for longitude/latitude.
//!
//! Coordinates are whitespace-separated numbers inside round brackets, so this grammar
//! reads straight off the tokenizer rather than through the node tree of
//! CRS WKT; errors name the first thing that does not fit, counting characters from 1.
//!
//! ```
//! use riskmap_core::wkt::{self, Geometry};
//! let g = wkt::parse_geometry("POINT Z (121.1 31.2 4)")?;
//! assert_eq!(g, Some(Geometry::Point(geo_types::Coord { x: 121.1, y: 31.2 })));
//! assert_eq!(wkt::parse_geometry("POLYGON EMPTY")?, None);
//! # Ok::<(), wkt::GeometryError>(())
//! ```

use geo_types::Coord;

use super::scan::{Scanner, Spaces, WordChars, starts_number};

/// A geometry as written: rings not closed, repeated points kept, coordinates not checked.
///
/// Readers of other formats (GeoJSON, shapefiles) build it too, so that every geometry
/// is checked and repaired the same way once read.
#[derive(Debug, Clone, PartialEq)]
pub enum Geometry {
    /// A point.
    Point(Coord<f64>),
    /// Points.
    MultiPoint(Vec<Coord<f64>>),
    /// A line through the points in order.
    LineString(Vec<Coord<f64>>),
    /// Lines.
    MultiLineString(Vec<Vec<Coord<f64>>>),
    /// A polygon: its shell, then its holes.
    Polygon(Vec<Vec<Coord<f64>>>),
    /// Polygons, each its shell then its holes.
    MultiPolygon(Vec<Vec<Vec<Coord<f64>>>>),
}

impl Geometry {
    /// The geometry type's name, as GeoJSON spells it (`"MultiPolygon"`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Geometry::Point(_) => "Point",
            Geometry::MultiPoint(_) => "MultiPoint",
            Geometry::LineString(_) => "LineString",
            Geometry::MultiLineString(_) => "MultiLineString",
            Geometry::Polygon(_) => "Polygon",
            Geometry::MultiPolygon(_) => "MultiPolygon",
        }
    }

    /// Calls `f` on every coordinate in order.
    pub fn for_each_coord(&self, mut f: impl FnMut(Coord<f64>)) {
        match self {
            Geometry::Point(c) => f(*c),
            Geometry::MultiPoint(v) | Geometry::LineString(v) => v.iter().copied().for_each(f),
            Geometry::MultiLineString(v) | Geometry::Polygon(v) => {
                v.iter().flatten().copied().for_each(f)
            }
            Geometry::MultiPolygon(v) => v.iter().flatten().flatten().copied().for_each(f),
        }
    }

    /// Every coordinate in order, to change in place.
    pub fn coords_mut(&mut self) -> Vec<&mut Coord<f64>> {
        match self {
            Geometry::Point(c) => vec![c],
            Geometry::MultiPoint(v) | Geometry::LineString(v) => v.iter_mut().collect(),
            Geometry::MultiLineString(v) | Geometry::Polygon(v) => v.iter_mut().flatten().collect(),
            Geometry::MultiPolygon(v) => v.iter_mut().flatten().flatten().collect(),
        }
    }

    /// The first coordinate, to judge what system a file's numbers are in.
    pub fn first(&self) -> Option<Coord<f64>> {
        let mut out = None;
        self.for_each_coord(|c| {
            if out.is_none() {
                out = Some(c);
            }
        });
        out
    }

    /// Whether there is no coordinate at all.
    pub fn is_empty(&self) -> bool {
        self.first().is_none()
    }
}

/// Why text could not be read as a WKT geometry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GeometryError {
    /// The text does not follow the grammar; the message says what was expected and, where
    /// it helps, at which character (counted from 1).
    #[error("WKT cannot be read: {0}")]
    Syntax(String),
    /// A whole geometry followed by more text.
    #[error("WKT has text after the geometry at character {position}")]
    TrailingText {
        /// Where the extra text starts, counted from 1.
        position: usize,
    },
}

/// Reads one WKT (or EWKT with SRID 4326 or 4490) geometry; `Ok(None)` for `… EMPTY`.
pub fn parse_geometry(text: &str) -> Result<Option<Geometry>, GeometryError> {
    let mut p = GeometryParser {
        s: Scanner::new(text, Spaces::Ascii),
    };
    let g = p.geometry().map_err(GeometryError::Syntax)?;
    p.s.skip_spaces();
    if !p.s.at_end() {
        return Err(GeometryError::TrailingText {
            position: p.s.pos() + 1,
        });
    }
    Ok(g)
}

struct GeometryParser<'a> {
    s: Scanner<'a>,
}

impl GeometryParser<'_> {
    /// The next word, upper-cased; empty when the next character is not a letter.
    fn word(&mut self) -> String {
        self.s.skip_spaces();
        self.s.word(WordChars::Alphabetic).to_ascii_uppercase()
    }

    fn peek(&mut self) -> Option<char> {
        self.s.skip_spaces();
        self.s.peek()
    }

    fn expect(&mut self, c: char) -> Result<(), String> {
        self.s.skip_spaces();
        if self.s.eat(c) {
            Ok(())
        } else {
            Err(format!("expected '{c}' at character {}", self.s.pos() + 1))
        }
    }

    fn number(&mut self) -> Result<f64, String> {
        self.s.skip_spaces();
        let start = self.s.pos();
        self.s
            .number()
            .parse()
            .map_err(|_| format!("expected a number at character {}", start + 1))
    }

    fn coord(&mut self) -> Result<Coord<f64>, String> {
        let x = self.number()?;
        let y = self.number()?;
        // Z and M are read and dropped: the model is 2-D.
        while self.peek().is_some_and(starts_number) {
            self.number()?;
        }
        Ok(Coord { x, y })
    }

    fn list<T>(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<T, String>,
    ) -> Result<Vec<T>, String> {
        self.expect('(')?;
        let mut v = vec![item(self)?];
        while self.peek() == Some(',') {
            self.s.advance(1);
            v.push(item(self)?);
        }
        self.expect(')')?;
        Ok(v)
    }

    /// The members of a multi geometry: a list whose items may each be `EMPTY` (OGC
    /// Simple Features 1.2.1, 7.2.1), which are left out.
    fn members<T>(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<T, String>,
    ) -> Result<Vec<T>, String> {
        let v = self.list(|p| {
            if p.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
                let w = p.word();
                return if w == "EMPTY" {
                    Ok(None)
                } else {
                    Err(format!("unexpected {w:?} in a list of members"))
                };
            }
            item(p).map(Some)
        })?;
        Ok(v.into_iter().flatten().collect())
    }

    fn coords(&mut self) -> Result<Vec<Coord<f64>>, String> {
        self.list(|p| p.coord())
    }

    fn rings(&mut self) -> Result<Vec<Vec<Coord<f64>>>, String> {
        self.list(|p| p.coords())
    }

    /// An EWKT `SRID=…;` prefix: an SRID would change the CRS of one row; the file's CRS
    /// is declared instead, so only the lon/lat ones are accepted.
    fn srid(&mut self) -> Result<(), String> {
        let rest = self.s.rest();
        if !rest
            .as_bytes()
            .get(..5)
            .is_some_and(|head| head.eq_ignore_ascii_case(b"SRID="))
        {
            return Ok(());
        }
        let end = rest.find(';').ok_or("SRID= without ';'")?;
        let srid = rest[5..end].trim();
        if srid != "4326" && srid != "4490" {
            return Err(format!(
                "EWKT SRID={srid} is not read per row; drop the prefix and declare the CRS \
                 in riskmap.toml"
            ));
        }
        self.s.advance(end + 1);
        Ok(())
    }

    fn geometry(&mut self) -> Result<Option<Geometry>, String> {
        self.s.skip_spaces();
        self.srid()?;
        let kind = self.word();
        let mut dim = self.word();
        if dim == "EMPTY" {
            return Ok(None);
        }
        if !matches!(dim.as_str(), "" | "Z" | "M" | "ZM") {
            return Err(format!("unexpected {dim:?} after {kind}"));
        }
        if self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            dim = self.word();
            if dim == "EMPTY" {
                return Ok(None);
            }
            return Err(format!("unexpected {dim:?} after {kind}"));
        }
        Ok(Some(match kind.as_str() {
            "POINT" => {
                self.expect('(')?;
                let c = self.coord()?;
                self.expect(')')?;
                Geometry::Point(c)
            }
            "LINESTRING" => Geometry::LineString(self.coords()?),
            "POLYGON" => Geometry::Polygon(self.rings()?),
            "MULTIPOINT" => Geometry::MultiPoint(self.members(|p| {
                if p.peek() == Some('(') {
                    p.s.advance(1);
                    let c = p.coord()?;
                    p.expect(')')?;
                    Ok(c)
                } else {
                    p.coord()
                }
            })?),
            "MULTILINESTRING" => Geometry::MultiLineString(self.members(|p| p.coords())?),
            "MULTIPOLYGON" => Geometry::MultiPolygon(self.members(|p| p.rings())?),
            "" => return Err("no geometry type".into()),
            other => return Err(format!("geometry type {other} is not supported")),
        })
        // A multi geometry of EMPTY members only is EMPTY.
        .filter(|g| match g {
            Geometry::MultiPoint(v) => !v.is_empty(),
            Geometry::MultiLineString(v) => !v.is_empty(),
            Geometry::MultiPolygon(v) => !v.is_empty(),
            Geometry::Point(_) | Geometry::LineString(_) | Geometry::Polygon(_) => true,
        }))
    }
}
