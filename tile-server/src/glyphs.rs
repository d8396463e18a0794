//! Map label glyphs: MapLibre's signed-distance-field glyph ranges (`{range}.pbf`, 256
//! code points each) rendered from a CJK font the machine already has, so that labels
//! need nothing from the internet.
//!
//! The font is an open one a package installs (Noto Sans CJK, Debian's `fonts-noto-cjk`),
//! found at the usual places or named by `font` in the server's configuration. Its
//! outlines are rasterized with `ab_glyph` (pure Rust, TrueType and CFF outlines, font
//! collections) at 24 px, the size MapLibre lays glyphs out at, and turned into a distance
//! field with `sdf_glyph_renderer` (an exact Euclidean distance transform), with the
//! border (3 px), radius (8 px) and cutoff (0.25) of the glyph servers MapLibre is used
//! with, so that text has the same weight and halo. A glyph's `top` is its ink's top
//! above the baseline less the font's ascender, as those servers write it.
//!
//! A range is rendered on first request and kept; `riskmap bundle` writes only the code
//! points its labels use.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ab_glyph::{Font, FontVec, PxScale, ScaleFont, point};
use axum::body::Bytes;

/// The font stack the styles name in `text-font` (any name is drawn in the label font).
pub const STYLE_FONTSTACK: &str = "Noto Sans CJK SC Regular";

/// Pixel size of the glyphs (MapLibre lays text out in units of 24 px glyphs).
pub const GLYPH_PX: f32 = 24.0;
/// Border around each glyph's bitmap, px (MapLibre expects 3).
const BORDER: usize = 3;
/// How far the distance field reaches, px.
const RADIUS: usize = 8;
/// Share of the byte range that encodes the inside of a glyph.
const CUTOFF: f64 = 0.25;

/// Where a CJK font is looked for when none is configured: the Debian and Fedora paths of
/// Noto Sans CJK, then other common CJK fonts.
pub const FONT_PATHS: &[&str] = &[
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
];

/// Why glyphs cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum GlyphError {
    /// No font given and none at the usual places.
    #[error(
        "no CJK font for map labels: none at {}; install one (Debian: apt-get install fonts-noto-cjk) or name a font file with `font = \"…\"` in the server configuration",
        FONT_PATHS.join(", ")
    )]
    NoFont,
    /// The font file cannot be read.
    #[error("cannot read the font {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a font the rasterizer reads.
    #[error("{path} is not a TrueType/OpenType font or collection: {why}")]
    NotAFont {
        /// The file.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// The font has no Chinese characters.
    #[error("{path} has no Chinese characters (no glyph for 镇), so it cannot label the map")]
    NotCjk {
        /// The file.
        path: PathBuf,
    },
    /// A range that is not one of MapLibre's.
    #[error(
        "'{0}' is not a glyph range: ranges are 256 code points, like 0-255 or 19968-20223.pbf"
    )]
    BadRange(String),
    /// The distance field could not be made.
    #[error("glyph U+{code:04X}: {why}")]
    Render {
        /// The code point.
        code: u32,
        /// Why.
        why: String,
    },
}

/// The label font of `path` (None: the first of [`FONT_PATHS`]), loaded once per process
/// and shared by every server and command that asks for it. The error, if any, is kept
/// too: a machine without the font is not searched again at every request.
pub fn shared(path: Option<&Path>) -> Result<Arc<LabelFont>, Arc<GlyphError>> {
    type Loaded = HashMap<Option<PathBuf>, Result<Arc<LabelFont>, Arc<GlyphError>>>;
    static FONTS: std::sync::OnceLock<Mutex<Loaded>> = std::sync::OnceLock::new();
    let fonts = FONTS.get_or_init(Default::default);
    let key = path.map(Path::to_path_buf);
    let mut loaded = fonts
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    loaded
        .entry(key)
        .or_insert_with(|| LabelFont::find(path).map(Arc::new).map_err(Arc::new))
        .clone()
}

/// A font loaded for labels, with the ranges rendered so far.
pub struct LabelFont {
    font: FontVec,
    path: PathBuf,
    family: String,
    ranges: Mutex<HashMap<u32, Bytes>>,
}

impl std::fmt::Debug for LabelFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabelFont")
            .field("path", &self.path)
            .field("family", &self.family)
            .finish_non_exhaustive()
    }
}

impl LabelFont {
    /// The font at `path`, or the first of [`FONT_PATHS`] that exists.
    pub fn find(path: Option<&Path>) -> Result<LabelFont, GlyphError> {
        match path {
            Some(p) => LabelFont::open(p),
            None => FONT_PATHS
                .iter()
                .map(Path::new)
                .find(|p| p.is_file())
                .ok_or(GlyphError::NoFont)
                .and_then(LabelFont::open),
        }
    }

    /// Opens a font file; in a collection, the face for Simplified Chinese (a family
    /// name ending in `SC`) when there is one, else the first.
    pub fn open(path: &Path) -> Result<LabelFont, GlyphError> {
        let data = std::fs::read(path).map_err(|source| GlyphError::Read {
            path: path.into(),
            source,
        })?;
        let not_font = |why: String| GlyphError::NotAFont {
            path: path.into(),
            why,
        };
        let faces = ttf_parser::fonts_in_collection(&data).unwrap_or(1);
        let mut pick = (0, String::new());
        for i in 0..faces {
            let face = ttf_parser::Face::parse(&data, i).map_err(|e| not_font(e.to_string()))?;
            let family = face_family(&face).unwrap_or_default();
            if i == 0 {
                pick = (i, family.clone());
            }
            if family.ends_with(" SC") {
                pick = (i, family);
                break;
            }
        }
        let font =
            FontVec::try_from_vec_and_index(data, pick.0).map_err(|e| not_font(e.to_string()))?;
        if font.glyph_id('镇').0 == 0 {
            return Err(GlyphError::NotCjk { path: path.into() });
        }
        Ok(LabelFont {
            font,
            path: path.into(),
            family: pick.1,
            ranges: Mutex::new(HashMap::new()),
        })
    }

    /// The font's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The face's family name, like `Noto Sans CJK SC`.
    pub fn family(&self) -> &str {
        &self.family
    }

    /// The glyph range starting at `start` (a multiple of 256) as a `glyphs.proto`
    /// message, every code point of it the font has; rendered once, then kept.
    pub fn range(&self, fontstack: &str, start: u32) -> Result<Bytes, GlyphError> {
        if let Some(r) = self.ranges.lock().ok().and_then(|m| m.get(&start).cloned()) {
            return Ok(r);
        }
        let bytes = Bytes::from(self.encode(fontstack, start, start..start + 256)?);
        if let Ok(mut m) = self.ranges.lock() {
            m.insert(start, bytes.clone());
        }
        Ok(bytes)
    }

    /// The ranges that hold `text`'s characters, each with only those characters:
    /// (range start, `glyphs.proto` bytes), for a map whose labels are known in advance.
    pub fn subset(
        &self,
        fontstack: &str,
        text: impl IntoIterator<Item = char>,
    ) -> Result<Vec<(u32, Vec<u8>)>, GlyphError> {
        let mut by_range: std::collections::BTreeMap<u32, BTreeSet<u32>> = Default::default();
        for c in text {
            let c = u32::from(c);
            if c <= 0xFFFF {
                by_range.entry(c & !255).or_default().insert(c);
            }
        }
        by_range
            .into_iter()
            .map(|(start, codes)| Ok((start, self.encode(fontstack, start, codes)?)))
            .collect()
    }

    /// One `glyphs.proto` message: a font stack named `fontstack` holding the glyphs of
    /// `codes` (within the range starting at `start`) that the font has.
    fn encode(
        &self,
        fontstack: &str,
        start: u32,
        codes: impl IntoIterator<Item = u32>,
    ) -> Result<Vec<u8>, GlyphError> {
        let mut stack = Vec::new();
        put_bytes(&mut stack, 1, fontstack.as_bytes());
        put_bytes(&mut stack, 2, format!("{start}-{}", start + 255).as_bytes());
        for code in codes {
            if let Some(g) = self.glyph(code)? {
                put_bytes(&mut stack, 3, &g);
            }
        }
        let mut out = Vec::with_capacity(stack.len() + 8);
        put_bytes(&mut out, 1, &stack);
        Ok(out)
    }

    /// The `glyph` message of one code point; `None` where the font has no glyph.
    fn glyph(&self, code: u32) -> Result<Option<Vec<u8>>, GlyphError> {
        let Some(c) = char::from_u32(code) else {
            return Ok(None);
        };
        let id = self.font.glyph_id(c);
        if id.0 == 0 {
            return Ok(None);
        }
        let m = self.metrics(c);
        let mut g = Vec::with_capacity(64 + m.sdf.len());
        put_varint_field(&mut g, 1, u64::from(code));
        if !m.sdf.is_empty() {
            put_bytes(&mut g, 2, &m.sdf);
        }
        put_varint_field(&mut g, 3, m.width as u64);
        put_varint_field(&mut g, 4, m.height as u64);
        put_varint_field(&mut g, 5, zigzag(m.left));
        put_varint_field(&mut g, 6, zigzag(m.top));
        put_varint_field(&mut g, 7, u64::from(m.advance));
        if m.width > 0 && m.sdf.len() != (m.width + 2 * BORDER) * (m.height + 2 * BORDER) {
            return Err(GlyphError::Render {
                code,
                why: "the distance field is not the size of the bitmap".into(),
            });
        }
        Ok(Some(g))
    }

    /// One character's glyph at [`GLYPH_PX`]: its distance field and metrics.
    pub fn metrics(&self, c: char) -> GlyphMetrics {
        let font = &self.font;
        // ab_glyph scales so that ascent − descent is the pixel size; MapLibre's 24 px
        // is the em.
        let em = font.units_per_em().unwrap_or(1000.0);
        let scale = PxScale::from(GLYPH_PX * font.height_unscaled() / em);
        let scaled = font.as_scaled(scale);
        let id = font.glyph_id(c);
        let advance = scaled.h_advance(id).round().max(0.0) as u32;
        let ascender = scaled.ascent().round() as i32;
        let outlined = font.outline_glyph(id.with_scale_and_position(scale, point(0.0, 0.0)));
        let Some(o) = outlined else {
            return GlyphMetrics {
                width: 0,
                height: 0,
                left: 0,
                top: -ascender,
                advance,
                sdf: Vec::new(),
            };
        };
        let b = o.px_bounds();
        let (w, h) = (b.width() as usize, b.height() as usize);
        let mut alpha = vec![0u8; w * h];
        o.draw(|x, y, v| {
            if let Some(a) = alpha.get_mut(y as usize * w + x as usize) {
                *a = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
            }
        });
        let sdf = sdf_glyph_renderer::BitmapGlyph::from_unbuffered(&alpha, w, h, BORDER)
            .ok()
            .and_then(|g| sdf_glyph_renderer::clamp_to_u8(&g.render_sdf(RADIUS), CUTOFF).ok())
            .unwrap_or_default();
        GlyphMetrics {
            width: w,
            height: h,
            left: b.min.x as i32,
            // px_bounds' y grows downwards from the baseline.
            top: -(b.min.y as i32) - ascender,
            advance,
            sdf,
        }
    }
}

/// A glyph as MapLibre takes it.
#[derive(Debug, Clone)]
pub struct GlyphMetrics {
    /// Width of the ink, px (the bitmap is `BORDER` wider on each side).
    pub width: usize,
    /// Height of the ink, px.
    pub height: usize,
    /// From the pen position to the ink's left edge, px.
    pub left: i32,
    /// The ink's top above the baseline, less the font's ascender, px.
    pub top: i32,
    /// Horizontal advance, px.
    pub advance: u32,
    /// The distance field, (width + 6) × (height + 6) bytes; empty for a blank glyph.
    pub sdf: Vec<u8>,
}

/// Every character the map's labels can show, once each and in order: the names of
/// towns, enterprises, hazard sources, protection targets and pipes, the digits of
/// cluster counts, a space, and the level characters of red and orange points.
pub fn label_chars(ds: &riskmap_core::dataset::Dataset) -> String {
    let mut chars: Vec<char> = "0123456789 重较".chars().collect();
    let names = ds.areas.features().iter().map(|f| f.props.name.as_str());
    let names = names
        .chain(
            ds.enterprises
                .features()
                .iter()
                .map(|f| f.props.name.as_str()),
        )
        .chain(
            ds.hazard_sources
                .features()
                .iter()
                .map(|f| f.props.name.as_str()),
        )
        .chain(
            ds.protection_targets
                .features()
                .iter()
                .map(|f| f.props.name.as_str()),
        )
        .chain(
            ds.gas_pipelines
                .features()
                .iter()
                .map(|f| f.props.name.as_str()),
        );
    for n in names {
        chars.extend(n.chars());
    }
    chars.sort_unstable();
    chars.dedup();
    chars.into_iter().collect()
}

/// The first code point of a range named like `19968-20223` or `19968-20223.pbf`.
pub fn parse_range(name: &str) -> Result<u32, GlyphError> {
    let bad = || GlyphError::BadRange(name.to_string());
    let core = name.strip_suffix(".pbf").unwrap_or(name);
    let (a, b) = core.split_once('-').ok_or_else(bad)?;
    let (a, b): (u32, u32) = (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?);
    if a % 256 != 0 || b != a + 255 || b > 0xFFFF {
        return Err(bad());
    }
    Ok(a)
}

/// The name of a range starting at `start`, like `19968-20223`.
pub fn range_name(start: u32) -> String {
    format!("{start}-{}", start + 255)
}

fn face_family(face: &ttf_parser::Face<'_>) -> Option<String> {
    // Typographic family (16) first, then the family (1), in English where given.
    for id in [16, 1] {
        let mut names = face.names().into_iter().filter(|n| n.name_id == id);
        let english = names
            .clone()
            .find(|n| n.language() == ttf_parser::Language::English_UnitedStates);
        if let Some(s) = english.or_else(|| names.next()).and_then(|n| n.to_string()) {
            return Some(s);
        }
    }
    None
}

fn zigzag(v: i32) -> u64 {
    u64::from(((v << 1) ^ (v >> 31)) as u32)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_varint_field(out: &mut Vec<u8>, field: u32, v: u64) {
    put_varint(out, u64::from(field << 3));
    put_varint(out, v);
}

fn put_bytes(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    put_varint(out, u64::from(field << 3 | 2));
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_maplibres() {
        assert_eq!(parse_range("0-255").ok(), Some(0));
        assert_eq!(parse_range("19968-20223.pbf").ok(), Some(19968));
        for bad in [
            "0-256",
            "1-256",
            "65536-65791",
            "a-b",
            "0",
            "-255",
            "256-511.png",
        ] {
            assert!(parse_range(bad).is_err(), "{bad}");
        }
        assert_eq!(range_name(19968), "19968-20223");
    }

    #[test]
    fn zigzag_is_protobufs() {
        // From the protobuf encoding guide: 0→0, −1→1, 1→2, −2→3, 2147483647→4294967294.
        assert_eq!(zigzag(0), 0);
        assert_eq!(zigzag(-1), 1);
        assert_eq!(zigzag(1), 2);
        assert_eq!(zigzag(-2), 3);
        assert_eq!(zigzag(i32::MAX), 4_294_967_294);
        assert_eq!(zigzag(i32::MIN), 4_294_967_295);
    }

    #[test]
    fn a_file_that_is_not_a_font_is_refused_with_its_path() {
        let dir = tempfile::tempdir().expect("temp dir");
        let p = dir.path().join("not-a-font.ttf");
        std::fs::write(&p, b"hello").expect("write");
        let e = LabelFont::open(&p).map(|_| ()).expect_err("refused");
        assert!(e.to_string().contains("not-a-font.ttf"), "{e}");
        let e = LabelFont::open(&dir.path().join("missing.ttc"))
            .map(|_| ())
            .expect_err("refused");
        assert!(e.to_string().contains("missing.ttc"), "{e}");
    }
}
