//! The report's map: an SVG drawn from the data itself (no tiles, no browser), so that
//! it prints and exports as vectors — the area and its neighbours, the risk grid in the
//! four colours, the gas pipes, the major hazard sources, the red and orange enterprises
//! and the open hidden hazards, with a legend, a scale bar and a north arrow.

use std::fmt::Write;

use geo::{BoundingRect, Coord, Geometry, Rect};

use crate::analysis::Analysis;
use crate::analysis::risk_grid::{anchor, grade_level, house_slot};
use crate::dataset::Dataset;
use crate::geodesy;
use crate::model::RiskLevel;
use crate::tiles::mercator::{world_x, world_y};

/// Width and height of the map's drawing area, CSS pixels (A4 less its margins).
pub(super) const WIDTH: f64 = 680.0;
const MAX_HEIGHT: f64 = 560.0;

pub(super) fn colour(l: RiskLevel) -> &'static str {
    match l {
        RiskLevel::Major => "#e60012",
        RiskLevel::Significant => "#f39800",
        RiskLevel::General => "#ffe100",
        RiskLevel::Low => "#0068b7",
    }
}

/// Web Mercator from lon/lat to the drawing's pixels, fitted to a box.
pub(super) struct Frame {
    x0: f64,
    y0: f64,
    scale: f64,
    /// Height of the drawing, pixels.
    pub(super) height: f64,
}

impl Frame {
    pub(super) fn fit(b: Rect<f64>) -> Frame {
        let (x0, x1) = (world_x(b.min().x), world_x(b.max().x));
        let (y0, y1) = (world_y(b.max().y), world_y(b.min().y));
        let (w, h) = ((x1 - x0).max(1e-12), (y1 - y0).max(1e-12));
        let scale = (WIDTH / w).min(MAX_HEIGHT / h);
        Frame {
            x0: x0 - (WIDTH / scale - w) / 2.0,
            y0,
            scale,
            height: h * scale,
        }
    }

    pub(super) fn px(&self, c: Coord<f64>) -> (f64, f64) {
        (
            (world_x(c.x) - self.x0) * self.scale,
            (world_y(c.y) - self.y0) * self.scale,
        )
    }
}

pub(super) fn path(out: &mut String, f: &Frame, g: &Geometry<f64>) {
    let mut ring = |cs: &mut dyn Iterator<Item = Coord<f64>>, close: bool| {
        for (i, c) in cs.enumerate() {
            let (x, y) = f.px(c);
            let _ = write!(out, "{}{x:.1},{y:.1}", if i == 0 { "M" } else { "L" });
        }
        if close {
            out.push('Z');
        }
    };
    match g {
        Geometry::Polygon(p) => {
            for r in std::iter::once(p.exterior()).chain(p.interiors()) {
                ring(&mut r.coords().copied(), true);
            }
        }
        Geometry::MultiPolygon(mp) => {
            for p in mp {
                for r in std::iter::once(p.exterior()).chain(p.interiors()) {
                    ring(&mut r.coords().copied(), true);
                }
            }
        }
        Geometry::LineString(l) => ring(&mut l.coords().copied(), false),
        Geometry::MultiLineString(ml) => {
            for l in ml {
                ring(&mut l.coords().copied(), false);
            }
        }
        _ => {}
    }
}

pub(super) fn meets(b: &Rect<f64>, g: &Geometry<f64>) -> bool {
    g.bounding_rect()
        .is_some_and(|r| crate::layer::rects_meet(&r, b))
}

/// A round length near a fifth of the map's width: 1, 2 or 5 × 10ⁿ metres.
fn scale_bar_m(metres_across: f64) -> f64 {
    let target = metres_across / 5.0;
    let p = 10f64.powf(target.log10().floor());
    [5.0, 2.0, 1.0]
        .into_iter()
        .map(|k| k * p)
        .find(|v| *v <= target)
        .unwrap_or(p)
}

/// The SVG of the area at `area` (its position in the areas layer; `None`: the whole
/// district) and what it holds; the number of features drawn per kind goes into the
/// `data-` attributes of its groups.
pub(super) fn svg(ds: &Dataset, a: &Analysis, area: Option<usize>) -> String {
    let shape = area.and_then(|k| ds.areas.get(k)).map(|f| &f.geometry);
    let Some(b) = shape
        .and_then(|g| g.bounding_rect())
        .or_else(|| ds.bounds())
    else {
        return String::from("<p>没有可绘制的数据</p>");
    };
    // A margin of 4 % around the area.
    let (dx, dy) = (b.width() * 0.04, b.height() * 0.04);
    let view = Rect::new(
        (b.min().x - dx, b.min().y - dy),
        (b.max().x + dx, b.max().y + dy),
    );
    let f = Frame::fit(view);
    let h = f.height.ceil();
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="map" viewBox="0 0 {WIDTH} {h}" width="{WIDTH}" height="{h}" role="img" aria-label="风险分布图"><rect width="100%" height="100%" fill="#f8fafc"/>"##
    );
    // The grid in the four colours.
    let mut n = 0;
    s.push_str(r##"<g class="grid" fill-opacity="0.55" stroke="#ffffff" stroke-width="0.4">"##);
    for c in &a.grid.cells {
        let g = Geometry::Polygon(c.geometry.clone());
        if !meets(&view, &g) {
            continue;
        }
        let mut d = String::new();
        path(&mut d, &f, &g);
        let _ = write!(s, r#"<path fill="{}" d="{d}"/>"#, colour(c.level));
        n += 1;
    }
    let _ = write!(s, r#"</g><g class="counts" data-cells="{n}"/>"#);
    // Areas: the neighbours thin, the area itself thick.
    s.push_str(r##"<g class="areas" fill="none" stroke="#55606e" stroke-width="0.8" stroke-dasharray="4 2">"##);
    for (k, af) in ds.areas.features().iter().enumerate() {
        if Some(k) == area || !meets(&view, &af.geometry) {
            continue;
        }
        let mut d = String::new();
        path(&mut d, &f, &af.geometry);
        let _ = write!(s, r#"<path d="{d}"/>"#);
    }
    s.push_str("</g>");
    if let Some(g) = shape {
        let mut d = String::new();
        path(&mut d, &f, g);
        let _ = write!(
            s,
            r##"<path class="area" fill="none" stroke="#0d47a1" stroke-width="2.5" d="{d}"/>"##
        );
    }
    // Gas pipes.
    s.push_str(r##"<g class="pipes" fill="none" stroke="#7b1fa2" stroke-width="1.2">"##);
    for p in ds.gas_pipelines.features() {
        if !meets(&view, &p.geometry) {
            continue;
        }
        let mut d = String::new();
        path(&mut d, &f, &p.geometry);
        let _ = write!(s, r#"<path d="{d}"/>"#);
    }
    s.push_str("</g>");
    // Points of the area itself (a neighbour's are outside its counts and tables).
    let inside = |g: &Geometry<f64>| {
        anchor(g).filter(|c| {
            view.min().x <= c.x
                && c.x <= view.max().x
                && view.min().y <= c.y
                && c.y <= view.max().y
                && area.is_none_or(|k| house_slot(ds, Some(*c)) == k)
        })
    };
    // Red and orange enterprises.
    let mut ne = 0;
    s.push_str(r##"<g class="enterprises" stroke="#263238" stroke-width="1">"##);
    for (i, e) in ds.enterprises.features().iter().enumerate() {
        let Some(r) = a.enterprise_risks.get(i) else {
            continue;
        };
        if r.level < RiskLevel::Significant {
            continue;
        }
        if let Some(c) = inside(&e.geometry) {
            let (x, y) = f.px(c);
            let _ = write!(
                s,
                r#"<circle cx="{x:.1}" cy="{y:.1}" r="3.5" fill="{}"/>"#,
                colour(r.level)
            );
            ne += 1;
        }
    }
    // Major hazard sources: a thick black ring in the grade's colour.
    let mut nh = 0;
    s.push_str(r##"</g><g class="hazard-sources" stroke="#000000" stroke-width="2">"##);
    for (i, hs) in ds.hazard_sources.features().iter().enumerate() {
        let Some(g) = a.hazard_grades.get(i).and_then(|g| g.grade) else {
            continue;
        };
        if let Some(c) = inside(&hs.geometry) {
            let (x, y) = f.px(c);
            let _ = write!(
                s,
                r#"<circle cx="{x:.1}" cy="{y:.1}" r="5" fill="{}"/>"#,
                colour(grade_level(g))
            );
            nh += 1;
        }
    }
    // Open hidden hazards: major ones black, overdue ones with a red ring.
    let mut nd = 0;
    s.push_str(r#"</g><g class="hidden-hazards">"#);
    for (hz, st) in ds.hidden_hazards.features().iter().zip(&a.hidden_states) {
        if !st.open {
            continue;
        }
        if let Some(c) = inside(&hz.geometry) {
            let (x, y) = f.px(c);
            let fill = if hz.props.major { "#212121" } else { "#00838f" };
            let stroke = if st.overdue() { "#e60012" } else { "#ffffff" };
            let _ = write!(
                s,
                r#"<rect x="{:.1}" y="{:.1}" width="5" height="5" fill="{fill}" stroke="{stroke}" stroke-width="1.2"/>"#,
                x - 2.5,
                y - 2.5
            );
            nd += 1;
        }
    }
    let _ = write!(
        s,
        r#"</g><g class="counts" data-enterprises="{ne}" data-hazard-sources="{nh}" data-hidden-hazards="{nd}"/>"#
    );
    scale_and_north(&mut s, &f, view, h);
    s.push_str("</svg>");
    s
}

/// Writes the scale bar (metres along the parallel through the map's middle) and the
/// north arrow of a map of `view` drawn `h` pixels high.
pub(super) fn scale_and_north(s: &mut String, f: &Frame, view: Rect<f64>, h: f64) {
    let mid = (view.min().y + view.max().y) / 2.0;
    let across = geodesy::point_distance_m(
        geo::Point::new(view.min().x, mid),
        geo::Point::new(view.max().x, mid),
    );
    let left = f.px(Coord {
        x: view.min().x,
        y: mid,
    });
    let right = f.px(Coord {
        x: view.max().x,
        y: mid,
    });
    let px_per_m = (right.0 - left.0) / across.max(1e-9);
    let bar = scale_bar_m(across);
    let bar_px = bar * px_per_m;
    let label = if bar >= 1000.0 {
        format!("{} 公里", bar / 1000.0)
    } else {
        format!("{bar} 米")
    };
    let _ = write!(
        s,
        r##"<g class="scale" data-metres="{bar}"><rect x="12" y="{:.1}" width="{:.1}" height="22" fill="#ffffff" fill-opacity="0.85"/><path d="M20,{:.1}v6h{bar_px:.1}v-6" fill="none" stroke="#1a1a1a" stroke-width="1.5"/><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle">{label}</text></g>"##,
        h - 34.0,
        bar_px + 16.0,
        h - 18.0,
        20.0 + bar_px / 2.0,
        h - 20.0,
    );
    let _ = write!(
        s,
        r##"<g class="north" transform="translate({:.1},16)"><path d="M0,0L8,22L0,17L-8,22Z" fill="#1a1a1a"/><text x="0" y="36" font-size="12" text-anchor="middle">北</text></g>"##,
        WIDTH - 24.0
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_bars_are_round_lengths_near_a_fifth() {
        assert_eq!(scale_bar_m(12_000.0), 2000.0);
        assert_eq!(scale_bar_m(30_000.0), 5000.0);
        assert_eq!(scale_bar_m(4_000.0), 500.0);
        assert_eq!(scale_bar_m(900.0), 100.0);
    }
}
