//! ESRI Shapefile reader (.shp with its .shx, .dbf, .prj and .cpg).
//!
//! The .dbf's encoding is, in order: the one forced by options or `riskmap.toml`, the
//! `.cpg`, the language-driver byte for GBK, UTF-8 when every byte is valid UTF-8, and
//! otherwise a detection biased to Chinese (GBK in practice). Chinese column names live
//! in the .dbf header, so they are decoded with the same encoding.

use std::borrow::Cow;
use std::io::{BufReader, Cursor, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use encoding_rs::{Encoding, GBK, UTF_8};
use geo::Coord;
use shapefile::dbase::{self, FieldValue};
use shapefile::record::traits::HasXY;
use shapefile::{PolygonRing, Shape};

use super::LoadError;
use super::geom::{GeomInput, RawGeom};
use super::report::{Issue, IssueCode, Position};
use super::text;

/// A shapefile being read: its records handed over a part at a time by a thread of its
/// own that reads the .shp and the .dbf in step, so that a file's records are never all
/// held at once.
pub(crate) struct Rows {
    /// Column names, in .dbf order.
    pub names: Vec<String>,
    /// Encoding used for the .dbf and how it was chosen.
    pub encoding: String,
    /// The .prj text, if there is one.
    pub prj: Option<String>,
    /// Whether the .dbf is read as UTF-8 (else a two-byte Chinese encoding or a
    /// single-byte one): how many bytes a name's characters took.
    pub utf8: bool,
    /// A `.cpg`'s encoding that the .dbf's text is not in (its label), when another was
    /// read instead.
    pub overruled_cpg: Option<String>,
    /// A `.cpg` label that names no known encoding.
    pub unknown_cpg: Option<String>,
    /// How many records the .shx indexes; without one, the .dbf header's count.
    pub room: usize,
    rx: Receiver<Part>,
    /// Where the records broke off (a .shp or .dbf cut short or corrupt) and why: the
    /// records before it were handed over.
    broken: Option<(Position, String)>,
    /// Records handed over, and whether the last came.
    seen: u64,
    ended: bool,
}

/// A record: its position, geometry, and values in `names` order.
pub(crate) type Row = (Position, GeomInput, Vec<Value>);

/// What the reading thread sends: records, then the end or where they broke off (a
/// thread that stops without either has panicked).
enum Part {
    Rows(Vec<Row>),
    End,
    Broken(Position, String),
}

/// Records the reading thread hands over at a time (one such part waits in the channel).
const SHP_PART: usize = 16_384;

/// A source of the .dbf: the file itself, or its bytes when they had to be read to find
/// their encoding.
trait Source: Read + Seek + Send {}
impl<T: Read + Seek + Send> Source for T {}

impl Rows {
    /// The next records, up to a part of the reading thread's (empty at the end).
    pub(crate) fn next_part(&mut self) -> Vec<Row> {
        while !self.ended {
            match self.rx.recv() {
                Ok(Part::Rows(rows)) if rows.is_empty() => {}
                Ok(Part::Rows(rows)) => {
                    self.seen += rows.len() as u64;
                    return rows;
                }
                Ok(Part::End) => self.ended = true,
                Ok(Part::Broken(position, message)) => {
                    self.ended = true;
                    self.broken = Some((position, message));
                }
                Err(_) => {
                    self.ended = true;
                    let n = self.seen;
                    self.broken = Some((
                        Position::Feature(n),
                        format!(
                            "record {n} and those after cannot be read: the reader stopped \
                             there; the {n} record(s) before were kept"
                        ),
                    ));
                }
            }
        }
        Vec::new()
    }

    /// Where the records broke off, once they have all been taken.
    pub(crate) fn broken(&mut self) -> Option<(Position, String)> {
        self.broken.take()
    }
}

type Value = super::fields::Value<'static>;

/// A sidecar file of a .shp (`.dbf`, `.prj`, …), matching the extension in any case.
pub(crate) fn sidecar(shp: &Path, ext: &str) -> Option<PathBuf> {
    for e in [ext.to_ascii_lowercase(), ext.to_ascii_uppercase()] {
        let p = shp.with_extension(&e);
        if p.is_file() {
            return Some(p);
        }
    }
    let stem = shp.file_stem()?;
    std::fs::read_dir(shp.parent()?)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_stem() == Some(stem)
                && p.extension()
                    .and_then(|x| x.to_str())
                    .is_some_and(|x| x.eq_ignore_ascii_case(ext))
        })
}

/// The .dbf encoding declared without reading its records: forced, by the `.cpg`, or by
/// the language-driver byte of its header (`head`); with how it was chosen.
fn declared_encoding(
    head: &[u8],
    forced: Option<(&'static Encoding, &'static str)>,
    cpg: Option<&str>,
    unknown_cpg: &mut Option<String>,
) -> Option<(&'static Encoding, &'static str)> {
    if let Some(f) = forced {
        return Some(f);
    }
    if let Some(label) = cpg {
        match text::from_label(label) {
            Some(e) => return Some((e, ".cpg")),
            None => *unknown_cpg = Some(label.trim().to_string()),
        }
    }
    // Language driver ids 0x4D and 0x7A are the Chinese (GBK) code page.
    if matches!(head.get(29), Some(0x4d | 0x7a)) {
        return Some((GBK, ".dbf language driver"));
    }
    None
}

/// What the reading of a shapefile's header says: its columns whose names the .dbf cut
/// (read as the field they begin, renamed in `rows.names`, or ending inside a
/// character and matching none), a .cpg overruled or unknown, no .prj where no CRS was
/// given (`crs_given`). `warning` makes a file warning of a code and message.
pub(super) fn header_issues(
    rows: &mut Rows,
    resolver: &super::fields::Resolver,
    crs_given: bool,
    warning: impl Fn(IssueCode, String) -> Issue,
) -> Vec<Issue> {
    let mut out = Vec::new();
    // Names the .dbf cut at its 10 bytes (`design_pre`), read as the one field
    // they begin, and said so.
    for (name, key) in cut_names(&mut rows.names, resolver, rows.utf8) {
        out.push(Issue {
            field: Some(key.to_string()),
            ..warning(
                IssueCode::CutColumnName,
                format!(
                    "the column {name:?} was read as {key} (a shapefile keeps 10 \
                             bytes of a column's name); if it is another field, map it in \
                             riskmap.toml"
                ),
            )
        });
    }
    // A .dbf keeps 10 bytes of a column's name: a Chinese name longer than that
    // is cut, often inside a character, and then matches no field.
    for name in rows
        .names
        .iter()
        .filter(|n| n.contains('\u{FFFD}') && resolver.resolve(n).is_none())
    {
        out.push(Issue {
            field: Some(name.clone()),
            ..warning(
                IssueCode::DecodingErrors,
                format!(
                    "the column name {name:?} ends inside a character (a shapefile \
                             keeps 10 bytes of a name: a Chinese name of 3 characters in \
                             UTF-8, 5 in GBK): it matches no field and its values are not \
                             read; give the column a shorter name, or map it in riskmap.toml"
                ),
            )
        });
    }
    if let Some(label) = &rows.overruled_cpg {
        out.push(warning(
            IssueCode::CpgMismatch,
            format!(
                "the .cpg names encoding {label:?}, which the .dbf's text is not \
                         in: it was read as {} (fix or delete the .cpg so that other \
                         programs read it right too)",
                rows.encoding
            ),
        ));
    }
    if let Some(label) = &rows.unknown_cpg {
        out.push(warning(
                    IssueCode::UnknownEncoding,
                    format!("the .cpg names encoding {label:?}, which is not known; the .dbf encoding was detected"),
                ));
    }
    if rows.prj.is_none() && !crs_given {
        out.push(warning(
                    IssueCode::CrsAssumed,
                    "no .prj file, or an empty one: coordinates were read as WGS84 longitude/latitude (give crs in riskmap.toml if they are not)".into(),
                ));
    }
    out
}

/// Renames the columns of a .dbf whose names were cut at its 10 bytes to the fields they
/// stand for (`Resolver::resolve_cut`), when no other column has that field: a name that
/// resolves as it is, or that is shorter than a cut would leave it, is left as it is: an
/// ASCII name is cut at exactly 10 bytes; one with other characters may end a character
/// early, a character not fitting the last bytes (at 9 or more bytes in a two-byte
/// encoding, 8 or more in UTF-8, whose Chinese characters take three). Returns each
/// renamed column and its field.
pub(super) fn cut_names(
    names: &mut [String],
    resolver: &super::fields::Resolver,
    utf8: bool,
) -> Vec<(String, &'static str)> {
    let bytes = |n: &str| -> usize {
        if utf8 {
            n.len()
        } else {
            n.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum()
        }
    };
    let may_be_cut = |n: &str| {
        let b = bytes(n);
        if n.is_ascii() {
            b == 10
        } else if utf8 {
            b >= 8
        } else {
            b >= 9
        }
    };
    let mut taken: Vec<super::fields::Slot> = names
        .iter()
        .filter_map(|n| resolver.resolve(n).map(|(r, _)| r.slot))
        .collect();
    let mut out = Vec::new();
    for name in names.iter_mut() {
        if !may_be_cut(name) || resolver.resolve(name).is_some() {
            continue;
        }
        let Some(key) = resolver.resolve_cut(name) else {
            continue;
        };
        let Some((r, _)) = resolver.resolve(key) else {
            continue;
        };
        if taken.contains(&r.slot) {
            continue;
        }
        taken.push(r.slot);
        out.push((std::mem::replace(name, key.to_string()), key));
    }
    out
}

/// The records a .dbf's header counts, bounded by what the file's size can hold.
fn dbf_records(head: &[u8], len: u64) -> usize {
    let u16_at = |i: usize| {
        head.get(i..i + 2)
            .map_or(0, |b| u64::from(u16::from_le_bytes([b[0], b[1]])))
    };
    let count = head.get(4..8).map_or(0, |b| {
        u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    });
    let fit = len.saturating_sub(u16_at(8)) / u16_at(10).max(1);
    usize::try_from(count.min(fit)).unwrap_or(0)
}

/// The text of a .dbf (`dbf` being the file or its first bytes): its column names, each
/// followed by a space, and its records; not the header's binary fields (a record count
/// or a field width of 128 or more is not valid UTF-8, and would make any file look
/// like another encoding).
fn dbf_text(dbf: &[u8]) -> (Vec<&[u8]>, &[u8]) {
    let header_len = dbf
        .get(8..10)
        .map_or(0, |b| usize::from(u16::from_le_bytes([b[0], b[1]])))
        .min(dbf.len());
    let mut names = Vec::new();
    let mut at = 32;
    while at + 32 <= header_len && dbf[at] != 0x0d {
        let name = &dbf[at..at + 11];
        names.push(&name[..name.iter().position(|&b| b == 0).unwrap_or(11)]);
        at += 32;
    }
    (names, &dbf[header_len..])
}

/// Whether a .dbf's first bytes fit the encoding its .cpg declares: declared UTF-8, its
/// text is UTF-8 (a character cut at the end of the bytes read aside); declared another,
/// its text is not UTF-8 holding a character of three bytes or more (Chinese in UTF-8:
/// two-byte sequences alone are also valid GBK, and never decide).
fn cpg_fits(declared: &'static Encoding, dbf: &[u8]) -> bool {
    let (names, records) = dbf_text(dbf);
    let mut wide = false;
    for text in names.iter().copied().chain([records]) {
        match utf8_wide(text) {
            Some(w) => wide |= w,
            // Not UTF-8: a .cpg saying UTF-8 is overruled only when the bytes read as GBK
            // without an error (a value cut inside a character by its writer leaves the
            // .cpg standing, as one wrong character).
            None => return declared != UTF_8 || !reads_as_gbk(&names, records),
        }
    }
    declared == UTF_8 || !wide
}

/// Whether bytes are UTF-8 up to a character cut at their end (a name the .dbf's 10
/// bytes cut, the end of the bytes read), and if so whether they hold a character of
/// three bytes or more (Chinese).
fn utf8_wide(b: &[u8]) -> Option<bool> {
    let valid = match std::str::from_utf8(b) {
        Ok(t) => t,
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&b[..e.valid_up_to()]).ok()?,
        Err(_) => return None,
    };
    Some(valid.chars().any(|c| c.len_utf8() >= 3))
}

/// Whether a .dbf's names and records decode as GBK without an error (a character cut
/// at the end of each aside).
fn reads_as_gbk(names: &[&[u8]], records: &[u8]) -> bool {
    let clean = |b: &[u8]| {
        GBK.decode_without_bom_handling_and_without_replacement(b)
            .is_some()
            || (!b.is_empty()
                && GBK
                    .decode_without_bom_handling_and_without_replacement(&b[..b.len() - 1])
                    .is_some())
    };
    names.iter().all(|n| clean(n)) && clean(records)
}

/// The .dbf encoding its text shows when none is declared (or the declared one does
/// not fit it): its column names and its records.
fn found_encoding(dbf: &[u8]) -> (&'static Encoding, &'static str) {
    let (parts, records) = dbf_text(dbf);
    // (a name cut inside a character is still UTF-8)
    if parts.iter().all(|n| utf8_wide(n).is_some()) && std::str::from_utf8(records).is_ok() {
        return (UTF_8, "valid UTF-8");
    }
    let mut names = Vec::new();
    for name in parts {
        names.extend_from_slice(name);
        names.push(b' ');
    }
    names.extend_from_slice(&records[..records.len().min(text::DETECT_PREFIX)]);
    (text::detect(&names), "detected")
}

/// Opens a shapefile: its .dbf's columns and encoding, its .prj, and a thread that reads
/// its records for [`Rows::next_part`].
pub(crate) fn open(
    shp_path: &Path,
    forced: Option<(&'static Encoding, &'static str)>,
    file: &str,
) -> Result<Rows, LoadError> {
    let io_err = |source: std::io::Error| LoadError::Io {
        file: file.to_string(),
        source,
    };
    let shp_err = |feature: Option<u64>, source: shapefile::Error| LoadError::Shapefile {
        file: file.to_string(),
        feature,
        source: Box::new(source),
    };
    let dbf_path =
        sidecar(shp_path, "dbf").ok_or_else(|| shp_err(None, shapefile::Error::MissingDbf))?;
    let cpg = match sidecar(shp_path, "cpg") {
        Some(p) => Some(String::from_utf8_lossy(&std::fs::read(p).map_err(io_err)?).into_owned()),
        None => None,
    };
    // An empty (or blank) .prj declares nothing: read as if there were none.
    let prj = match sidecar(shp_path, "prj") {
        Some(p) => Some(String::from_utf8_lossy(&std::fs::read(p).map_err(io_err)?).into_owned())
            .filter(|t| !t.trim().is_empty()),
        None => None,
    };
    let mut unknown_cpg = None;
    let mut dbf_file = std::fs::File::open(&dbf_path).map_err(io_err)?;
    let dbf_len = dbf_file.metadata().map_err(io_err)?.len();
    let mut head = Vec::with_capacity(32);
    (&mut dbf_file)
        .take(32)
        .read_to_end(&mut head)
        .and_then(|_| dbf_file.rewind())
        .map_err(io_err)?;
    // A .cpg is often copied from another layer or written by a program that did not
    // convert the text: its encoding is taken when the .dbf's names and first records
    // fit it (`cpg_fits`), else the bytes decide, and the report says so.
    let mut declared = declared_encoding(&head, forced, cpg.as_deref(), &mut unknown_cpg);
    let mut overruled_cpg = None;
    if let Some((enc, ".cpg")) = declared {
        let header = usize::from(u16::from_le_bytes([
            head.get(8).copied().unwrap_or(0),
            head.get(9).copied().unwrap_or(0),
        ]));
        let mut probe = Vec::new();
        (&mut dbf_file)
            .take((header + text::DETECT_PREFIX) as u64)
            .read_to_end(&mut probe)
            .and_then(|_| dbf_file.rewind())
            .map_err(io_err)?;
        if !cpg_fits(enc, &probe) {
            overruled_cpg = cpg.as_deref().map(|c| (c.trim().to_string(), enc));
            declared = None;
        }
    }
    // The file itself when its encoding is declared; else its bytes, read to find it.
    let (enc, how, source): (_, _, Box<dyn Source>) = match declared {
        Some((enc, how)) => (enc, how, Box::new(BufReader::new(dbf_file))),
        None => {
            let mut dbf = Vec::new();
            dbf_file.read_to_end(&mut dbf).map_err(io_err)?;
            let (enc, mut how) = found_encoding(&dbf);
            // The bytes show the encoding the .cpg declared after all: it stands.
            if overruled_cpg.as_ref().is_some_and(|(_, d)| *d == enc) {
                how = ".cpg";
                overruled_cpg = None;
            }
            (enc, how, Box::new(Cursor::new(dbf)))
        }
    };
    let dbase_reader = dbase::ReaderBuilder::new()
        .with_encoding(dbase::encoding::EncodingRs::from(enc))
        .build(source)
        .map_err(|e| shp_err(None, shapefile::Error::DbaseError(e)))?;
    let names: Vec<String> = dbase_reader
        .fields()
        .iter()
        .map(|f| f.name().to_string())
        .collect();
    // The .shx found in any case, as the other sidecars are (`A.SHP` beside `A.SHX`).
    let shp_file = BufReader::new(std::fs::File::open(shp_path).map_err(io_err)?);
    let shape_reader = match sidecar(shp_path, "shx") {
        Some(shx) => {
            let shx = BufReader::new(std::fs::File::open(shx).map_err(io_err)?);
            shapefile::ShapeReader::with_shx(shp_file, shx)
        }
        None => shapefile::ShapeReader::new(shp_file),
    }
    .map_err(|e| shp_err(None, e))?;
    let room = shape_reader
        .shape_count()
        .unwrap_or_else(|_| dbf_records(&head, dbf_len));
    let reader = shapefile::Reader::new(shape_reader, dbase_reader);
    let (tx, rx) = sync_channel(1);
    let columns = names.clone();
    std::thread::Builder::new()
        .name("riskmap-shapefile".into())
        .spawn(move || read_records(reader, &columns, &tx))
        .map_err(io_err)?;
    Ok(Rows {
        names,
        encoding: format!("{} ({how})", enc.name()),
        utf8: enc == UTF_8,
        overruled_cpg: overruled_cpg.map(|(label, _)| label),
        prj,
        unknown_cpg,
        room,
        rx,
        broken: None,
        seen: 0,
        ended: false,
    })
}

/// The reading thread: the records in order, a part at a time, then where they broke off
/// if they did; stops when nobody takes them any more.
fn read_records<T: Read + Seek, D: Read + Seek>(
    mut reader: shapefile::Reader<T, D>,
    names: &[String],
    tx: &SyncSender<Part>,
) {
    let mut part = Vec::with_capacity(SHP_PART);
    for (i, item) in reader.iter_shapes_and_records().enumerate() {
        let (shape, record) = match item {
            Ok(r) => r,
            // Nothing after a broken record can be trusted to be where the headers
            // say: keep the records before it.
            Err(e) => {
                if tx.send(Part::Rows(std::mem::take(&mut part))).is_ok() {
                    let _ = tx.send(Part::Broken(
                        Position::Feature(i as u64),
                        format!(
                            "record {i} cannot be read ({e}): the file is cut short or corrupt \
                             here; the {i} record(s) before were kept, the rest cannot be read"
                        ),
                    ));
                }
                return;
            }
        };
        let mut map: std::collections::HashMap<String, FieldValue> = record.into_iter().collect();
        let values = names
            .iter()
            .map(|n| map.remove(n).map(field_value).unwrap_or(Value::Null))
            .collect();
        part.push((Position::Feature(i as u64), shape_geometry(&shape), values));
        if part.len() == SHP_PART
            && tx
                .send(Part::Rows(std::mem::replace(
                    &mut part,
                    Vec::with_capacity(SHP_PART),
                )))
                .is_err()
        {
            return;
        }
    }
    if tx.send(Part::Rows(part)).is_ok() {
        let _ = tx.send(Part::End);
    }
}

fn field_value(v: FieldValue) -> Value {
    match v {
        FieldValue::Character(Some(s)) | FieldValue::Memo(s) => Value::Str(Cow::Owned(s)),
        FieldValue::Numeric(Some(x)) | FieldValue::Currency(x) | FieldValue::Double(x) => {
            Value::Num(x)
        }
        FieldValue::Float(Some(x)) => Value::Num(f64::from(x)),
        FieldValue::Integer(i) => Value::Num(f64::from(i)),
        FieldValue::Logical(Some(b)) => Value::Bool(b),
        FieldValue::Date(Some(d)) => Value::Str(Cow::Owned(format!(
            "{:04}-{:02}-{:02}",
            d.year(),
            d.month(),
            d.day()
        ))),
        FieldValue::DateTime(dt) => {
            let d = dt.date();
            Value::Str(Cow::Owned(format!(
                "{:04}-{:02}-{:02}",
                d.year(),
                d.month(),
                d.day()
            )))
        }
        FieldValue::Character(None)
        | FieldValue::Numeric(None)
        | FieldValue::Float(None)
        | FieldValue::Logical(None)
        | FieldValue::Date(None) => Value::Null,
    }
}

fn pts<P: HasXY>(v: &[P]) -> Vec<Coord<f64>> {
    v.iter().map(|p| Coord { x: p.x(), y: p.y() }).collect()
}

fn lines<P: HasXY>(parts: &[Vec<P>]) -> RawGeom {
    let mut v: Vec<Vec<Coord<f64>>> = parts.iter().map(|p| pts(p)).collect();
    if v.len() == 1 {
        RawGeom::LineString(v.remove(0))
    } else {
        RawGeom::MultiLineString(v)
    }
}

/// Even–odd ray casting: whether `c` is inside the ring.
fn in_ring(c: Coord<f64>, ring: &[Coord<f64>]) -> bool {
    let mut inside = false;
    let n = ring.len();
    for i in 0..n {
        let a = ring[i];
        let b = ring[(i + n - 1) % n];
        if (a.y > c.y) != (b.y > c.y) && c.x < (b.x - a.x) * (c.y - a.y) / (b.y - a.y) + a.x {
            inside = !inside;
        }
    }
    inside
}

/// Groups shapefile rings into polygons: each outer ring starts one, each hole joins the
/// outer ring that contains it (the preceding one if none does). A file whose rings are
/// all "holes" has them wound the wrong way round; they are taken as outer rings.
fn polygons<P: HasXY>(rings: &[PolygonRing<P>]) -> RawGeom {
    let all_inner = rings.iter().all(|r| matches!(r, PolygonRing::Inner(_)));
    let mut polys: Vec<Vec<Vec<Coord<f64>>>> = Vec::new();
    let mut holes: Vec<(usize, Vec<Coord<f64>>)> = Vec::new();
    for r in rings {
        match r {
            PolygonRing::Outer(p) => polys.push(vec![pts(p)]),
            PolygonRing::Inner(p) if all_inner => polys.push(vec![pts(p)]),
            PolygonRing::Inner(p) => holes.push((polys.len().saturating_sub(1), pts(p))),
        }
    }
    for (fallback, h) in holes {
        let target = h
            .first()
            .and_then(|&c| polys.iter().position(|p| in_ring(c, &p[0])))
            .unwrap_or(fallback);
        if let Some(p) = polys.get_mut(target) {
            p.push(h);
        }
    }
    if polys.len() == 1 {
        RawGeom::Polygon(polys.remove(0))
    } else {
        RawGeom::MultiPolygon(polys)
    }
}

fn shape_geometry(s: &Shape) -> GeomInput {
    let g = match s {
        Shape::NullShape => return GeomInput::Missing,
        Shape::Point(p) => RawGeom::Point(Coord { x: p.x, y: p.y }),
        Shape::PointM(p) => RawGeom::Point(Coord { x: p.x, y: p.y }),
        Shape::PointZ(p) => RawGeom::Point(Coord { x: p.x, y: p.y }),
        Shape::Multipoint(m) => RawGeom::MultiPoint(pts(m.points())),
        Shape::MultipointM(m) => RawGeom::MultiPoint(pts(m.points())),
        Shape::MultipointZ(m) => RawGeom::MultiPoint(pts(m.points())),
        Shape::Polyline(l) => lines(l.parts()),
        Shape::PolylineM(l) => lines(l.parts()),
        Shape::PolylineZ(l) => lines(l.parts()),
        Shape::Polygon(p) => polygons(p.rings()),
        Shape::PolygonM(p) => polygons(p.rings()),
        Shape::PolygonZ(p) => polygons(p.rings()),
        Shape::Multipatch(_) => {
            return GeomInput::Invalid("a Multipatch (3-D surface) is not supported".into());
        }
    };
    GeomInput::Geom(g)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Writes a dBASE III table with character fields, names and values encoded with
    /// `enc` (the `dbase` writer encodes only values, and Chinese column names are the
    /// point of the test).
    pub(crate) fn write_dbf(
        path: &Path,
        enc: &'static Encoding,
        fields: &[(&str, u8)],
        rows: &[Vec<&str>],
    ) {
        let mut out = Vec::new();
        let header_len = 32 + 32 * fields.len() + 1;
        let record_len = 1 + fields.iter().map(|f| usize::from(f.1)).sum::<usize>();
        out.extend_from_slice(&[0x03, 124, 1, 1]);
        out.extend_from_slice(&(rows.len() as u32).to_le_bytes());
        out.extend_from_slice(&(header_len as u16).to_le_bytes());
        out.extend_from_slice(&(record_len as u16).to_le_bytes());
        out.extend_from_slice(&[0; 17]);
        out.push(0); // language driver: unspecified, so detection has to work
        out.extend_from_slice(&[0; 2]);
        for (name, len) in fields {
            let (bytes, _, _) = enc.encode(name);
            let mut n = [0u8; 11];
            n[..bytes.len().min(10)].copy_from_slice(&bytes[..bytes.len().min(10)]);
            out.extend_from_slice(&n);
            out.push(b'C');
            out.extend_from_slice(&[0; 4]);
            out.push(*len);
            out.extend_from_slice(&[0; 15]);
        }
        out.push(0x0d);
        for row in rows {
            out.push(b' ');
            for ((_, len), v) in fields.iter().zip(row) {
                let (bytes, _, _) = enc.encode(v);
                let mut cell = vec![b' '; usize::from(*len)];
                cell[..bytes.len()].copy_from_slice(&bytes);
                out.extend_from_slice(&cell);
            }
        }
        out.push(0x1a);
        std::fs::write(path, out).expect("write dbf");
    }

    #[test]
    fn sidecars_in_capitals_and_a_missing_index_still_give_the_records_count() {
        let dir = tempfile::tempdir().expect("tempdir");
        let shp = super::super::tests_shp::write_gk_houses(dir.path(), "houses");
        for ext in ["shp", "shx", "dbf", "prj"] {
            std::fs::rename(
                shp.with_extension(ext),
                dir.path().join(format!("HOUSES.{}", ext.to_uppercase())),
            )
            .expect("renamed");
        }
        let upper = dir.path().join("HOUSES.SHP");
        let ids = |rows: &mut Rows| -> Vec<String> {
            let mut out = Vec::new();
            loop {
                let part = rows.next_part();
                if part.is_empty() {
                    return out;
                }
                out.extend(part.into_iter().map(|r| format!("{:?}", r.2[0])));
            }
        };
        // The index beside it in capitals: its count.
        let mut rows = open(&upper, None, "HOUSES.SHP").expect("opens");
        assert_eq!(rows.room, 2);
        assert_eq!(ids(&mut rows).len(), 2);
        // No index: the .dbf header's count (2), within what its size holds.
        std::fs::remove_file(dir.path().join("HOUSES.SHX")).expect("removed");
        let mut rows = open(&upper, None, "HOUSES.SHP").expect("opens");
        assert_eq!(rows.room, 2);
        assert_eq!(ids(&mut rows).len(), 2);
        // A header claiming four billion records in a file of a few hundred bytes.
        let mut head = vec![0u8; 32];
        head[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        head[8..10].copy_from_slice(&65u16.to_le_bytes());
        head[10..12].copy_from_slice(&63u16.to_le_bytes());
        assert_eq!(dbf_records(&head, 65 + 2 * 63 + 1), 2);
        assert_eq!(dbf_records(&[], 1000), 0);
    }

    #[test]
    fn rings_group_into_polygons() {
        let sq = |x: f64, s: f64| {
            vec![
                shapefile::Point::new(x, x),
                shapefile::Point::new(x, x + s),
                shapefile::Point::new(x + s, x + s),
                shapefile::Point::new(x + s, x),
                shapefile::Point::new(x, x),
            ]
        };
        let rings = vec![
            PolygonRing::Outer(sq(0.0, 10.0)),
            PolygonRing::Outer(sq(20.0, 10.0)),
            PolygonRing::Inner(sq(1.0, 1.0)),
        ];
        match polygons(&rings) {
            RawGeom::MultiPolygon(p) => assert_eq!((p[0].len(), p[1].len()), (2, 1)),
            other => panic!("{other:?}"),
        }
    }
}
