//! Map label glyphs (`/fonts/{fontstack}/{range}.pbf`) against fontTools, a font library
//! that shares nothing with the renderer: each glyph's advance, bounds and place above the
//! baseline are the font's own metrics scaled to MapLibre's 24 px (to a pixel, the
//! rasterizer's rounding), and a range holds every code point the font maps in it. The
//! distance field is checked where it can be reasoned out by hand: 一 is one horizontal
//! stroke, inside along its middle row and outside above and below.
//!
//! Needs the CJK font the test command installs (fonts-noto-cjk) and the fontTools of
//! `RISKMAP_TEST_PYTHON` (scripts/ensure-python-tools.sh).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::{get, json, python, send, state_with};
use riskmap_server::glyphs::{LabelFont, STYLE_FONTSTACK};
use riskmap_server::server::config::ServerConfig;
use riskmap_server::server::routes::router;
use serde_json::Value;

const CHARS: &str = "镇A g1江危";

fn font() -> LabelFont {
    LabelFont::find(None)
        .unwrap_or_else(|e| panic!("{e} (scripts/ensure-browser.sh installs fonts-noto-cjk)"))
}

fn reference(py: &str, font: &Path) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/reference/font_metrics.py");
    let out = Command::new(py)
        .arg(&script)
        .arg(font)
        .arg(CHARS)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A protobuf message as (field, varint or bytes) pairs.
enum Field<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
}

fn fields(mut b: &[u8]) -> Vec<(u32, Field<'_>)> {
    fn varint(b: &mut &[u8]) -> u64 {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let byte = b[0];
            *b = &b[1..];
            v |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return v;
            }
            shift += 7;
        }
    }
    let mut out = Vec::new();
    while !b.is_empty() {
        let key = varint(&mut b);
        let (field, wire) = ((key >> 3) as u32, key & 7);
        match wire {
            0 => out.push((field, Field::Varint(varint(&mut b)))),
            2 => {
                let n = varint(&mut b) as usize;
                out.push((field, Field::Bytes(&b[..n])));
                b = &b[n..];
            }
            w => panic!("wire type {w} is not in glyphs.proto"),
        }
    }
    out
}

/// A decoded glyph: id, width, height, left, top, advance, bitmap.
#[derive(Debug, Default)]
struct Glyph {
    id: u32,
    width: u32,
    height: u32,
    left: i32,
    top: i32,
    advance: u32,
    bitmap: Vec<u8>,
}

fn unzigzag(v: u64) -> i32 {
    ((v >> 1) as i64 ^ -((v & 1) as i64)) as i32
}

/// The font stacks of a `glyphs` message: (name, range, glyphs).
fn decode(b: &[u8]) -> Vec<(String, String, Vec<Glyph>)> {
    let mut stacks = Vec::new();
    for (f, v) in fields(b) {
        let Field::Bytes(stack) = v else {
            panic!("stack")
        };
        assert_eq!(f, 1, "glyphs holds font stacks (field 1)");
        let (mut name, mut range, mut glyphs) = (String::new(), String::new(), Vec::new());
        for (f, v) in fields(stack) {
            match (f, v) {
                (1, Field::Bytes(s)) => name = String::from_utf8(s.to_vec()).unwrap(),
                (2, Field::Bytes(s)) => range = String::from_utf8(s.to_vec()).unwrap(),
                (3, Field::Bytes(g)) => {
                    let mut glyph = Glyph::default();
                    for (f, v) in fields(g) {
                        match (f, v) {
                            (1, Field::Varint(x)) => glyph.id = x as u32,
                            (2, Field::Bytes(x)) => glyph.bitmap = x.to_vec(),
                            (3, Field::Varint(x)) => glyph.width = x as u32,
                            (4, Field::Varint(x)) => glyph.height = x as u32,
                            (5, Field::Varint(x)) => glyph.left = unzigzag(x),
                            (6, Field::Varint(x)) => glyph.top = unzigzag(x),
                            (7, Field::Varint(x)) => glyph.advance = x as u32,
                            (f, _) => panic!("glyph field {f}"),
                        }
                    }
                    glyphs.push(glyph);
                }
                (f, _) => panic!("fontstack field {f}"),
            }
        }
        stacks.push((name, range, glyphs));
    }
    stacks
}

#[test]
fn glyph_metrics_are_the_fonts_own_scaled_to_24_px() {
    let Some(py) = python() else { return };
    let font = font();
    let r = reference(&py, font.path());
    assert_eq!(
        font.family(),
        r["family"].as_str().unwrap(),
        "the same face of the collection"
    );
    let s = 24.0 / r["units_per_em"].as_f64().unwrap();
    let ascender = (r["ascender"].as_f64().unwrap() * s).round() as i32;
    for ch in CHARS.chars() {
        let m = font.metrics(ch);
        let c = &r["chars"][ch.to_string()];
        let advance = (c["advance"].as_f64().unwrap() * s).round() as u32;
        assert_eq!(m.advance, advance, "advance of {ch}");
        let Some(b) = c["bounds"].as_array() else {
            assert_eq!((m.width, m.height), (0, 0), "{ch} has no ink");
            assert!(m.sdf.is_empty());
            continue;
        };
        let [x0, y0, x1, y1] = [0, 1, 2, 3].map(|i| b[i].as_f64().unwrap() * s);
        let near = |got: i64, want: f64, what: &str| {
            assert!(
                (got as f64 - want).abs() <= 1.0,
                "{what} of {ch}: {got}, fontTools {want:.2}"
            );
        };
        near(i64::from(m.left), x0.floor(), "left");
        near(m.width as i64, x1.ceil() - x0.floor(), "width");
        near(m.height as i64, y1.ceil() - y0.floor(), "height");
        near(
            i64::from(m.top + ascender),
            y1.ceil(),
            "top above the baseline",
        );
        assert_eq!(
            m.sdf.len(),
            (m.width + 6) * (m.height + 6),
            "bitmap of {ch}"
        );
    }
}

#[test]
fn the_distance_field_is_inside_on_the_stroke_of_yi() {
    let m = font().metrics('一');
    let (w, h) = (m.width + 6, m.height + 6);
    let at = |x: usize, y: usize| m.sdf[y * w + x];
    // The stroke is wider than high; its middle row, away from the ends, is inside (the
    // encoding puts the edge at 255 × 0.75 ≈ 191 and the inside above it).
    assert!(m.width > 3 * m.height, "一 is {}×{}", m.width, m.height);
    let mid = h / 2;
    for x in w / 4..3 * w / 4 {
        assert!(at(x, mid) > 191, "inside at ({x}, {mid}): {}", at(x, mid));
    }
    // The border rows are outside, and farther out is lower.
    for x in 0..w {
        assert!(
            at(x, 0) < 191 && at(x, h - 1) < 191,
            "outside at column {x}"
        );
        assert!(
            at(x, 0) <= at(x, 2),
            "falls off away from the stroke at column {x}"
        );
    }
}

#[tokio::test]
async fn the_server_serves_every_glyph_the_font_maps_and_a_style_that_uses_them() {
    let Some(py) = python() else { return };
    let font = font();
    let r = reference(&py, font.path());
    let app = router(state_with(ServerConfig::default(), None));
    let stack = STYLE_FONTSTACK.replace(' ', "%20");
    for range in ["0-255", "19968-20223"] {
        let (status, headers, body) = send(&app, get(&format!("/fonts/{stack}/{range}.pbf"))).await;
        assert_eq!(status, 200, "{range}: {}", String::from_utf8_lossy(&body));
        assert_eq!(headers["content-type"], "application/x-protobuf");
        let stacks = decode(&body);
        assert_eq!(stacks.len(), 1);
        let (name, got_range, glyphs) = &stacks[0];
        assert_eq!(name, STYLE_FONTSTACK);
        assert_eq!(got_range, range);
        let ids: Vec<u64> = glyphs.iter().map(|g| u64::from(g.id)).collect();
        let want: Vec<u64> = r["mapped"][range]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        // Control characters map to blank glyphs in some fonts; what matters is the same
        // set of code points as fontTools' cmap.
        assert_eq!(ids, want, "code points of {range}");
        let by_id: BTreeMap<u32, &Glyph> = glyphs.iter().map(|g| (g.id, g)).collect();
        for g in by_id.values() {
            let n = if g.width == 0 {
                0
            } else {
                (g.width + 6) * (g.height + 6)
            };
            assert_eq!(g.bitmap.len() as u32, n, "bitmap of U+{:04X}", g.id);
        }
        if range == "19968-20223" {
            // 一 is U+4E00, the range's first.
            let yi = by_id[&0x4E00];
            let m = font.metrics('一');
            assert_eq!(
                (yi.width, yi.height, yi.left, yi.top, yi.advance),
                (m.width as u32, m.height as u32, m.left, m.top, m.advance)
            );
        }
    }
    // Not a range of MapLibre's: refused, saying what a range is.
    let (status, _, body) = send(&app, get(&format!("/fonts/{stack}/0-300.pbf"))).await;
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&body).contains("256 code points"));
    // The style asks this server for them, in the stack they are served as.
    let style = json(&send(&app, get("/styles/risk.json")).await.2);
    assert_eq!(
        style["glyphs"],
        "http://test.local/fonts/{fontstack}/{range}.pbf"
    );
    let symbols: Vec<&Value> = style["layers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["type"] == "symbol")
        .collect();
    assert!(symbols.iter().any(|l| l["id"] == "areas-label"));
    for l in symbols {
        assert_eq!(
            l["layout"]["text-font"],
            serde_json::json!([STYLE_FONTSTACK]),
            "{}",
            l["id"]
        );
    }
}

#[tokio::test]
async fn a_server_without_the_font_serves_the_style_without_labels() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-font.ttc");
    let config = ServerConfig {
        font: Some(missing),
        ..ServerConfig::default()
    };
    let app = router(state_with(config, None));
    let style = json(&send(&app, get("/styles/risk.json")).await.2);
    assert!(style.get("glyphs").is_none());
    assert!(
        style["layers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["type"] != "symbol")
    );
    let (status, _, body) = send(&app, get("/fonts/x/0-255.pbf")).await;
    assert_eq!(status, 404);
    assert!(
        String::from_utf8_lossy(&body).contains("no-such-font.ttc"),
        "{}",
        String::from_utf8_lossy(&body)
    );
}
