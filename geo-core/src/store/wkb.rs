//! The GeoPackage geometry encoding (GeoPackage 1.3 §2.1.3, unchanged in 1.4): a `GP`
//! header with the SRS id and an xy envelope, then ISO WKB.
//!
//! We write little-endian, version 0, an xy envelope (or none and the empty flag for an
//! empty geometry) and 2D WKB of Point, LineString, Polygon, the three Multi types and
//! GeometryCollection. We read any byte order and envelope kind; Z and M ordinates (ISO
//! type codes 1000+, 2000+, 3000+) are read and dropped, since every layer is 2D.

use geo::{
    BoundingRect, Coord, Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint,
    MultiPolygon, Point, Polygon,
};

/// Why a geometry blob could not be read or a geometry not written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeomError {
    /// The blob does not start with the `GP` magic.
    #[error("not a GeoPackage geometry (no 'GP' magic)")]
    NoMagic,
    /// A version other than 0.
    #[error("unsupported GeoPackage geometry version {0}")]
    Version(u8),
    /// Envelope indicator 5–7 (invalid) or the extended-geometry flag.
    #[error("unsupported GeoPackage geometry flags 0x{0:02x}")]
    Flags(u8),
    /// The blob ends before the geometry does.
    #[error("truncated geometry at byte {0}")]
    Truncated(usize),
    /// A WKB byte-order byte other than 0 or 1.
    #[error("bad WKB byte order {0} at byte {1}")]
    ByteOrder(u8, usize),
    /// A WKB type code we do not read.
    #[error("unsupported WKB geometry type {0}")]
    Type(u32),
    /// A point with no coordinates (NaN), which a lon/lat layer cannot hold.
    #[error("empty point")]
    EmptyPoint,
    /// Bytes left after the geometry.
    #[error("{0} bytes after the end of the geometry")]
    Trailing(usize),
    /// Collections nested too deeply to be a real geometry.
    #[error("geometry collections nested too deeply")]
    TooDeep,
}

/// WKB type codes (2D).
const POINT: u32 = 1;
const LINESTRING: u32 = 2;
const POLYGON: u32 = 3;
const MULTIPOINT: u32 = 4;
const MULTILINESTRING: u32 = 5;
const MULTIPOLYGON: u32 = 6;
const COLLECTION: u32 = 7;

/// Encodes a geometry as a GeoPackage geometry blob in `srs_id`.
pub fn encode(g: &Geometry<f64>, srs_id: i32) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(b"GP");
    out.push(0); // version 0 = GeoPackage 1.x
    match g.bounding_rect() {
        Some(r) => {
            // Little-endian (bit 0), envelope indicator 1 = [minx, maxx, miny, maxy].
            out.push(0b0000_0011);
            out.extend_from_slice(&srs_id.to_le_bytes());
            for v in [r.min().x, r.max().x, r.min().y, r.max().y] {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        None => {
            // Little-endian, no envelope, empty flag (bit 4).
            out.push(0b0001_0001);
            out.extend_from_slice(&srs_id.to_le_bytes());
        }
    }
    wkb(&mut out, g);
    out
}

/// Appends the ISO WKB (little-endian, 2D) of `g`.
pub fn wkb(out: &mut Vec<u8>, g: &Geometry<f64>) {
    match g {
        Geometry::Point(p) => {
            head(out, POINT);
            coord(out, p.0);
        }
        Geometry::Line(l) => {
            head(out, LINESTRING);
            coords(out, &[l.start, l.end]);
        }
        Geometry::LineString(l) => {
            head(out, LINESTRING);
            coords(out, &l.0);
        }
        Geometry::Polygon(p) => {
            head(out, POLYGON);
            rings(out, p);
        }
        Geometry::Rect(r) => wkb(out, &Geometry::Polygon(r.to_polygon())),
        Geometry::Triangle(t) => wkb(out, &Geometry::Polygon(t.to_polygon())),
        Geometry::MultiPoint(m) => {
            head(out, MULTIPOINT);
            count(out, m.0.len());
            for p in &m.0 {
                head(out, POINT);
                coord(out, p.0);
            }
        }
        Geometry::MultiLineString(m) => {
            head(out, MULTILINESTRING);
            count(out, m.0.len());
            for l in &m.0 {
                head(out, LINESTRING);
                coords(out, &l.0);
            }
        }
        Geometry::MultiPolygon(m) => {
            head(out, MULTIPOLYGON);
            count(out, m.0.len());
            for p in &m.0 {
                head(out, POLYGON);
                rings(out, p);
            }
        }
        Geometry::GeometryCollection(c) => {
            head(out, COLLECTION);
            count(out, c.0.len());
            for g in &c.0 {
                wkb(out, g);
            }
        }
    }
}

fn head(out: &mut Vec<u8>, ty: u32) {
    out.push(1);
    out.extend_from_slice(&ty.to_le_bytes());
}

fn count(out: &mut Vec<u8>, n: usize) {
    // A WKB count is a u32; no layer holds 4 billion parts.
    out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
}

fn coord(out: &mut Vec<u8>, c: Coord<f64>) {
    out.extend_from_slice(&c.x.to_le_bytes());
    out.extend_from_slice(&c.y.to_le_bytes());
}

fn coords(out: &mut Vec<u8>, cs: &[Coord<f64>]) {
    count(out, cs.len());
    for c in cs {
        coord(out, *c);
    }
}

fn rings(out: &mut Vec<u8>, p: &Polygon<f64>) {
    if p.exterior().0.is_empty() {
        count(out, 0);
        return;
    }
    count(out, 1 + p.interiors().len());
    coords(out, &p.exterior().0);
    for r in p.interiors() {
        coords(out, &r.0);
    }
}

/// The parts of a GeoPackage geometry header that the store needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Header {
    /// The SRS id.
    pub srs_id: i32,
    /// Whether the empty flag is set.
    pub empty: bool,
    /// `[minx, maxx, miny, maxy]`, if the blob carries an envelope.
    pub envelope: Option<[f64; 4]>,
    /// Where the WKB starts.
    pub wkb_start: usize,
}

/// Reads the header of a GeoPackage geometry blob.
pub fn header(b: &[u8]) -> Result<Header, GeomError> {
    if b.len() < 8 || &b[..2] != b"GP" {
        return Err(if b.len() >= 2 && &b[..2] == b"GP" {
            GeomError::Truncated(b.len())
        } else {
            GeomError::NoMagic
        });
    }
    if b[2] != 0 {
        return Err(GeomError::Version(b[2]));
    }
    let flags = b[3];
    let le = flags & 1 == 1;
    let env_len = match (flags >> 1) & 0b111 {
        0 => 0,
        1 => 4,
        2 | 3 => 6,
        4 => 8,
        _ => return Err(GeomError::Flags(flags)),
    };
    if flags & 0b0010_0000 != 0 {
        return Err(GeomError::Flags(flags));
    }
    let mut r = Reader { b, pos: 4, le };
    let srs_id = r.u32()? as i32;
    let mut env = [0.0; 8];
    for v in env.iter_mut().take(env_len) {
        *v = r.f64()?;
    }
    Ok(Header {
        srs_id,
        empty: flags & 0b0001_0000 != 0,
        envelope: (env_len > 0).then(|| [env[0], env[1], env[2], env[3]]),
        wkb_start: r.pos,
    })
}

/// Decodes a GeoPackage geometry blob.
pub fn decode(b: &[u8]) -> Result<Geometry<f64>, GeomError> {
    let h = header(b)?;
    let mut r = Reader {
        b,
        pos: h.wkb_start,
        le: true,
    };
    let g = r.geometry(0)?;
    if r.pos != b.len() {
        return Err(GeomError::Trailing(b.len() - r.pos));
    }
    Ok(g)
}

/// Decodes plain ISO WKB (either byte order), as GeoParquet and PostGIS's `ST_AsBinary`
/// give it: the same reader as a GeoPackage blob's body.
pub fn decode_wkb(b: &[u8]) -> Result<Geometry<f64>, GeomError> {
    let mut r = Reader {
        b,
        pos: 0,
        le: true,
    };
    let g = r.geometry(0)?;
    if r.pos != b.len() {
        return Err(GeomError::Trailing(b.len() - r.pos));
    }
    Ok(g)
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
    le: bool,
}

impl Reader<'_> {
    fn bytes<const N: usize>(&mut self) -> Result<[u8; N], GeomError> {
        let s = self
            .b
            .get(self.pos..self.pos + N)
            .ok_or(GeomError::Truncated(self.pos))?;
        self.pos += N;
        let mut a = [0; N];
        a.copy_from_slice(s);
        Ok(a)
    }
    fn u32(&mut self) -> Result<u32, GeomError> {
        let a = self.bytes::<4>()?;
        Ok(if self.le {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        })
    }
    fn f64(&mut self) -> Result<f64, GeomError> {
        let a = self.bytes::<8>()?;
        Ok(if self.le {
            f64::from_le_bytes(a)
        } else {
            f64::from_be_bytes(a)
        })
    }
    /// A count of items of at least `min_size` bytes each, checked against what is left so
    /// that a corrupt count cannot ask for a huge allocation.
    fn count(&mut self, min_size: usize) -> Result<usize, GeomError> {
        let n = self.u32()? as usize;
        if n.saturating_mul(min_size) > self.b.len() - self.pos {
            return Err(GeomError::Truncated(self.pos));
        }
        Ok(n)
    }
    fn coord(&mut self, dims: usize) -> Result<Coord<f64>, GeomError> {
        let x = self.f64()?;
        let y = self.f64()?;
        for _ in 2..dims {
            self.f64()?;
        }
        Ok(Coord { x, y })
    }
    fn line(&mut self, dims: usize) -> Result<LineString<f64>, GeomError> {
        let n = self.count(8 * dims)?;
        (0..n).map(|_| self.coord(dims)).collect()
    }
    fn polygon(&mut self, dims: usize) -> Result<Polygon<f64>, GeomError> {
        let n = self.count(4)?;
        let mut rings = (0..n)
            .map(|_| self.line(dims))
            .collect::<Result<Vec<_>, _>>()?;
        if rings.is_empty() {
            return Ok(Polygon::new(LineString::new(vec![]), vec![]));
        }
        let ext = rings.remove(0);
        Ok(Polygon::new(ext, rings))
    }
    /// Reads one WKB geometry, with its own byte order; returns it and its 2D type code.
    fn typed(&mut self, depth: usize) -> Result<(u32, Geometry<f64>), GeomError> {
        let at = self.pos;
        let [order] = self.bytes::<1>()?;
        self.le = match order {
            0 => false,
            1 => true,
            o => return Err(GeomError::ByteOrder(o, at)),
        };
        let code = self.u32()?;
        let (ty, dims) = match code / 1000 {
            0 => (code, 2),
            1 | 2 => (code % 1000, 3),
            3 => (code % 1000, 4),
            _ => return Err(GeomError::Type(code)),
        };
        let g = match ty {
            POINT => {
                let c = self.coord(dims)?;
                if c.x.is_nan() && c.y.is_nan() {
                    return Err(GeomError::EmptyPoint);
                }
                Geometry::Point(Point(c))
            }
            LINESTRING => Geometry::LineString(self.line(dims)?),
            POLYGON => Geometry::Polygon(self.polygon(dims)?),
            MULTIPOINT | MULTILINESTRING | MULTIPOLYGON | COLLECTION => {
                if depth > 32 {
                    return Err(GeomError::TooDeep);
                }
                let n = self.count(5)?;
                let mut parts = Vec::with_capacity(n);
                for _ in 0..n {
                    let (pty, g) = self.typed(depth + 1)?;
                    let want = match ty {
                        MULTIPOINT => Some(POINT),
                        MULTILINESTRING => Some(LINESTRING),
                        MULTIPOLYGON => Some(POLYGON),
                        _ => None,
                    };
                    if want.is_some_and(|w| w != pty) {
                        return Err(GeomError::Type(pty));
                    }
                    parts.push(g);
                }
                multi(ty, parts)
            }
            _ => return Err(GeomError::Type(code)),
        };
        Ok((ty, g))
    }
    fn geometry(&mut self, depth: usize) -> Result<Geometry<f64>, GeomError> {
        self.typed(depth).map(|(_, g)| g)
    }
}

fn multi(ty: u32, parts: Vec<Geometry<f64>>) -> Geometry<f64> {
    // The parts' types were checked while reading, so nothing is dropped here.
    fn only<T>(parts: Vec<Geometry<f64>>, f: fn(Geometry<f64>) -> Option<T>) -> Vec<T> {
        parts.into_iter().filter_map(f).collect()
    }
    match ty {
        MULTIPOINT => Geometry::MultiPoint(MultiPoint(only(parts, |g| match g {
            Geometry::Point(p) => Some(p),
            _ => None,
        }))),
        MULTILINESTRING => Geometry::MultiLineString(MultiLineString(only(parts, |g| match g {
            Geometry::LineString(l) => Some(l),
            _ => None,
        }))),
        MULTIPOLYGON => Geometry::MultiPolygon(MultiPolygon(only(parts, |g| match g {
            Geometry::Polygon(p) => Some(p),
            _ => None,
        }))),
        _ => Geometry::GeometryCollection(GeometryCollection(parts)),
    }
}

/// The GeoPackage geometry type name of one geometry (`POINT`, `POLYGON`, …).
pub fn type_name(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "POINT",
        Geometry::Line(_) | Geometry::LineString(_) => "LINESTRING",
        Geometry::Polygon(_) | Geometry::Rect(_) | Geometry::Triangle(_) => "POLYGON",
        Geometry::MultiPoint(_) => "MULTIPOINT",
        Geometry::MultiLineString(_) => "MULTILINESTRING",
        Geometry::MultiPolygon(_) => "MULTIPOLYGON",
        Geometry::GeometryCollection(_) => "GEOMETRYCOLLECTION",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, MultiPolygon, Point, Polygon};

    fn f(v: f64) -> [u8; 8] {
        v.to_le_bytes()
    }

    #[test]
    fn point_bytes_by_hand() {
        let g = Geometry::Point(Point::new(121.5, 31.25));
        let b = encode(&g, 4326);
        // 'G' 'P', version 0, flags 0b11 (LE, xy envelope), srs 4326 = 0x10E6 LE.
        let mut want = vec![0x47, 0x50, 0x00, 0x03, 0xE6, 0x10, 0x00, 0x00];
        // Envelope minx, maxx, miny, maxy.
        for v in [121.5, 121.5, 31.25, 31.25] {
            want.extend_from_slice(&f(v));
        }
        // WKB: LE, type 1, x, y. 121.5 = 0x405E600000000000, 31.25 = 0x403F400000000000.
        want.extend_from_slice(&[0x01, 0x01, 0x00, 0x00, 0x00]);
        want.extend_from_slice(&[0, 0, 0, 0, 0, 0x60, 0x5E, 0x40]);
        want.extend_from_slice(&[0, 0, 0, 0, 0, 0x40, 0x3F, 0x40]);
        assert_eq!(b, want);
        assert_eq!(b.len(), 8 + 32 + 21);
        assert_eq!(decode(&b), Ok(g));
    }

    #[test]
    fn polygon_bytes_by_hand() {
        let ring = LineString::from(vec![(0.0, 0.0), (2.0, 0.0), (2.0, 1.0), (0.0, 0.0)]);
        let g = Geometry::Polygon(Polygon::new(ring, vec![]));
        let b = encode(&g, 4326);
        // Envelope: x 0..2, y 0..1.
        assert_eq!(&b[8..16], &f(0.0));
        assert_eq!(&b[16..24], &f(2.0));
        assert_eq!(&b[24..32], &f(0.0));
        assert_eq!(&b[32..40], &f(1.0));
        // LE, type 3, 1 ring, 4 points.
        assert_eq!(&b[40..49], &[1, 3, 0, 0, 0, 1, 0, 0, 0]);
        assert_eq!(&b[49..53], &[4, 0, 0, 0]);
        assert_eq!(&b[53 + 16..53 + 24], &f(2.0)); // second point's x
        assert_eq!(b.len(), 53 + 4 * 16);
        assert_eq!(decode(&b), Ok(g));
    }

    #[test]
    fn multipolygon_and_empty() {
        let sq = |x: f64| {
            Polygon::new(
                LineString::from(vec![(x, 0.0), (x + 1.0, 0.0), (x + 1.0, 1.0), (x, 0.0)]),
                vec![],
            )
        };
        let g = Geometry::MultiPolygon(MultiPolygon(vec![sq(0.0), sq(5.0)]));
        let b = encode(&g, 4326);
        // LE, type 6, 2 parts, then the first part's own header: LE, type 3.
        assert_eq!(&b[40..54], &[1, 6, 0, 0, 0, 2, 0, 0, 0, 1, 3, 0, 0, 0]);
        assert_eq!(&b[16..24], &f(6.0)); // maxx
        assert_eq!(decode(&b), Ok(g));

        let empty = Geometry::LineString(LineString::new(vec![]));
        let b = encode(&empty, 4326);
        // flags: LE + empty, no envelope; WKB LE type 2 with 0 points.
        assert_eq!(
            b,
            [
                0x47, 0x50, 0, 0x11, 0xE6, 0x10, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0
            ]
        );
        assert!(header(&b).is_ok_and(|h| h.empty && h.envelope.is_none()));
        assert_eq!(decode(&b), Ok(empty));
    }

    #[test]
    fn big_endian_wkb_and_no_envelope_are_read() {
        // Header without envelope (flags 0x01), then big-endian WKB POINT(1 2).
        let mut b = vec![0x47, 0x50, 0, 0x01, 0xE6, 0x10, 0, 0, 0x00, 0, 0, 0, 1];
        b.extend_from_slice(&1.0f64.to_be_bytes());
        b.extend_from_slice(&2.0f64.to_be_bytes());
        assert_eq!(decode(&b), Ok(Geometry::Point(Point::new(1.0, 2.0))));
        // ISO POINT Z (1001): the z is dropped.
        let mut b = vec![0x47, 0x50, 0, 0x01, 0xE6, 0x10, 0, 0, 1, 0xE9, 0x03, 0, 0];
        for v in [1.0f64, 2.0, 3.0] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        assert_eq!(decode(&b), Ok(Geometry::Point(Point::new(1.0, 2.0))));
    }

    #[test]
    fn corrupt_blobs_are_errors() {
        assert_eq!(decode(b"XX\0\x03abcd"), Err(GeomError::NoMagic));
        assert_eq!(decode(b"GP"), Err(GeomError::Truncated(2)));
        let good = encode(&Geometry::Point(Point::new(1.0, 2.0)), 4326);
        assert!(matches!(
            decode(&good[..good.len() - 3]),
            Err(GeomError::Truncated(_))
        ));
        let mut bad = good.clone();
        bad[41] = 99; // WKB type
        assert_eq!(decode(&bad), Err(GeomError::Type(99)));
        let mut huge = encode(
            &Geometry::LineString(LineString::from(vec![(0.0, 0.0)])),
            4326,
        );
        huge[45..49].copy_from_slice(&u32::MAX.to_le_bytes()); // point count
        assert!(matches!(decode(&huge), Err(GeomError::Truncated(_))));
        let mut extra = good;
        extra.push(0);
        assert_eq!(decode(&extra), Err(GeomError::Trailing(1)));
    }
}
