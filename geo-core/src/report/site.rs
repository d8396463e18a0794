//! The draft opinion of a site check (选址审查意见草稿): one HTML page set for A4 that a
//! planning reviewer prints, completes and signs — the site's facts, the site and its
//! surroundings on a map drawn from the data (SVG, so it prints; legend, scale bar, north
//! arrow, the conflicts numbered as in the table), the table of conflicts with their
//! severity and basis, the notes on what the distances rest on, and blank fields for the
//! reviewer.

use std::fmt::Write;

use geo::{BoundingRect, Centroid, Coord, Geometry, Rect};

use super::esc;
use super::map::{Frame, colour, meets, path, scale_and_north};
use crate::analysis::Analysis;
use crate::analysis::risk_grid::grade_level;
use crate::analysis::site_check::SiteReport;
use crate::dataset::{Dataset, union_rect};
use crate::model::RiskLevel;

/// What the page says of the site and the check beside the report itself.
#[derive(Debug, Clone, Default)]
pub struct SiteFacts {
    /// The intended use, in Chinese.
    pub use_zh: String,
    /// Planned persons, if given.
    pub population: Option<u32>,
    /// The site's area, square metres.
    pub area_m2: f64,
    /// When the check ran (RFC 3339).
    pub checked_at: String,
    /// The data generation checked against.
    pub data_generation: u64,
    /// The day the data's hazards are counted on.
    pub data_as_of: Option<String>,
    /// The rules' SHA-256.
    pub rules_sha256: String,
    /// The coordinate system the site was sent in, when it was converted to lon/lat
    /// (`gcj02 (GCJ-02)`, a Gauss–Krüger zone).
    pub sent_in: Option<String>,
}

/// A conflict's severity in words: 重大, 较大, 一般, 低 (it is not a risk level).
fn grave(l: RiskLevel) -> &'static str {
    let zh = l.name_zh();
    zh.strip_suffix("风险").unwrap_or(zh)
}

/// Most houses drawn around a site (the orange and red ones are drawn whatever their
/// number).
const MAX_HOUSES: usize = 4000;

/// The view of the map: the site and every conflict, grown by a fifth of its size and at
/// least 150 m on every side.
fn view_of(site: &Geometry<f64>, r: &SiteReport) -> Option<Rect<f64>> {
    let mut b = site.bounding_rect()?;
    for c in &r.conflicts {
        if let Some(cb) = c.geometry.bounding_rect() {
            b = union_rect(&b, &cb);
        }
    }
    let lat = (b.min().y + b.max().y) / 2.0;
    let m_lon = 111_320.0 * lat.to_radians().cos().max(0.01);
    let dx = (b.width() * 0.2).max(150.0 / m_lon);
    let dy = (b.height() * 0.2).max(150.0 / 110_574.0);
    Some(Rect::new(
        (b.min().x - dx, b.min().y - dy),
        (b.max().x + dx, b.max().y + dy),
    ))
}

/// The SVG of the site, its surroundings and its conflicts.
fn site_svg(ds: &Dataset, a: &Analysis, site: &Geometry<f64>, r: &SiteReport) -> String {
    let Some(view) = view_of(site, r) else {
        return String::from("<p>没有可绘制的范围</p>");
    };
    let f = Frame::fit(view);
    let h = f.height.ceil();
    let mut s = String::new();
    let w = super::map::WIDTH;
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="map" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="拟选址及周边"><rect width="100%" height="100%" fill="#f8fafc"/>"##
    );
    let draw = |s: &mut String, g: &Geometry<f64>, attrs: &str| {
        let mut d = String::new();
        path(&mut d, &f, g);
        if !d.is_empty() {
            let _ = write!(s, r#"<path {attrs} d="{d}"/>"#);
        }
    };
    s.push_str(r##"<g class="grid" fill-opacity="0.25" stroke="#ffffff" stroke-width="0.4">"##);
    for c in &a.grid.cells {
        let g = Geometry::Polygon(c.geometry.clone());
        if meets(&view, &g) {
            draw(&mut s, &g, &format!(r#"fill="{}""#, colour(c.level)));
        }
    }
    s.push_str(r##"</g><g class="houses" stroke="#37474f" stroke-width="0.3">"##);
    let near: Vec<usize> = ds
        .houses
        .query_bbox(view)
        .into_iter()
        .filter(|&p| ds.houses.get(p).is_some_and(|f| meets(&view, &f.geometry)))
        .collect();
    let all = near.len() <= MAX_HOUSES;
    let mut n_houses = 0;
    for p in near {
        let (Some(hf), Some(hr)) = (ds.houses.get(p), a.house_risks.get(p)) else {
            continue;
        };
        if all || hr.level >= RiskLevel::Significant {
            draw(
                &mut s,
                &hf.geometry,
                &format!(r#"fill="{}""#, colour(hr.level)),
            );
            n_houses += 1;
        }
    }
    s.push_str(r##"</g><g class="pipes" fill="none" stroke="#7b1fa2" stroke-width="2">"##);
    for p in ds.gas_pipelines.features() {
        if meets(&view, &p.geometry) {
            draw(&mut s, &p.geometry, "");
        }
    }
    s.push_str(
        r##"</g><g class="enterprises" fill-opacity="0.35" stroke="#263238" stroke-width="1">"##,
    );
    for (i, e) in ds.enterprises.features().iter().enumerate() {
        if !meets(&view, &e.geometry) {
            continue;
        }
        let l = a
            .enterprise_risks
            .get(i)
            .map_or(RiskLevel::Low, |r| r.level);
        if matches!(e.geometry, Geometry::Point(_)) {
            if let Some(c) = e.geometry.centroid() {
                let (x, y) = f.px(c.0);
                let _ = write!(
                    s,
                    r#"<circle cx="{x:.1}" cy="{y:.1}" r="4" fill="{}"/>"#,
                    colour(l)
                );
            }
        } else {
            draw(&mut s, &e.geometry, &format!(r#"fill="{}""#, colour(l)));
        }
    }
    s.push_str(r##"</g><g class="hazard-sources" stroke="#000000" stroke-width="1.5">"##);
    for (i, hs) in ds.hazard_sources.features().iter().enumerate() {
        let Some(g) = a.hazard_grades.get(i).and_then(|g| g.grade) else {
            continue;
        };
        if meets(&view, &hs.geometry) {
            draw(
                &mut s,
                &hs.geometry,
                &format!(r#"fill="{}""#, colour(grade_level(g))),
            );
        }
    }
    s.push_str("</g>");
    draw(
        &mut s,
        site,
        r##"class="site" fill="#1565c0" fill-opacity="0.35" stroke="#0d47a1" stroke-width="2.5""##,
    );
    // The conflicts: a dashed line to the feature, its end in the conflict's severity,
    // numbered as in the table.
    s.push_str(r#"<g class="conflicts">"#);
    for (i, c) in r.conflicts.iter().enumerate() {
        let end: Option<Coord<f64>> = match &c.geometry {
            Geometry::LineString(l) => l.0.last().copied(),
            Geometry::Point(p) => Some(p.0),
            _ => None,
        };
        if let Geometry::LineString(_) = c.geometry {
            draw(
                &mut s,
                &c.geometry,
                r##"fill="none" stroke="#0d47a1" stroke-width="1.6" stroke-dasharray="5 3""##,
            );
        }
        if let Some(e) = end {
            let (x, y) = f.px(e);
            let _ = write!(
                s,
                r##"<circle cx="{x:.1}" cy="{y:.1}" r="6" fill="{}" stroke="#0d47a1" stroke-width="2"/><text x="{:.1}" y="{:.1}" font-size="11" font-weight="bold" fill="#0d47a1">{}</text>"##,
                colour(c.severity),
                x + 8.0,
                y - 6.0,
                i + 1
            );
        }
    }
    let _ = write!(
        s,
        r#"</g><g class="counts" data-conflicts="{}" data-houses="{n_houses}"/>"#,
        r.conflicts.len()
    );
    scale_and_north(&mut s, &f, view, h);
    s.push_str("</svg>");
    s
}

/// The draft opinion's HTML for the check `r` of `site` against `ds` and `a`.
pub fn site_report(
    ds: &Dataset,
    a: &Analysis,
    site: &Geometry<f64>,
    r: &SiteReport,
    facts: &SiteFacts,
) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>建设项目选址安全风险审查意见（草稿）</title><style>{}</style></head><body>"#,
        super::STYLE
    );
    let day = facts.checked_at.get(..10).unwrap_or("");
    let _ = write!(
        o,
        r#"<h1>建设项目选址安全风险审查意见（草稿）</h1><p class="sub">审查日期 {day} · 数据第 {} 版{} · RiskMap {} · 规则 SHA-256 {}</p>"#,
        facts.data_generation,
        facts
            .data_as_of
            .as_deref()
            .map(|d| format!("（数据日期 {d}）"))
            .unwrap_or_default(),
        env!("CARGO_PKG_VERSION"),
        esc(&facts.rules_sha256)
    );
    let centre = site
        .centroid()
        .map(|c| format!("东经 {:.6}°，北纬 {:.6}°", c.x(), c.y()))
        .unwrap_or_default();
    let sent = facts
        .sent_in
        .as_deref()
        .map(|c| format!("，由送审的 {} 坐标换算", esc(c)))
        .unwrap_or_default();
    let _ = write!(
        o,
        r#"<h2>一、拟选址概况</h2><table><tbody><tr><th>拟建用途</th><td>{}</td><th>审查类别</th><td>{}</td></tr><tr><th>用地面积</th><td>约 {:.0} 平方米</td><th>规划人数</th><td>{}</td></tr><tr><th>中心位置</th><td colspan="3">{centre}（WGS 84{sent}）</td></tr><tr><th>审查结论（自动）</th><td colspan="3">{}</td></tr></tbody></table>"#,
        esc(&facts.use_zh),
        r.class.name_zh(),
        facts.area_m2,
        facts
            .population
            .map_or("未填".to_string(), |p| format!("{p} 人")),
        if r.conflicts.is_empty() {
            "在现有数据与规则下，未发现距离冲突".to_string()
        } else {
            let worst = r
                .conflicts
                .iter()
                .map(|c| c.severity)
                .max()
                .unwrap_or(RiskLevel::Low);
            format!(
                "发现 {} 处距离冲突，其中最严重为“{}”",
                r.conflicts.len(),
                grave(worst)
            )
        }
    );
    o.push_str(r#"<h2>二、拟选址及周边图</h2><div class="figure">"#);
    o.push_str(&site_svg(ds, a, site, r));
    o.push_str(concat!(
        r##"<div class="legend"><span><i style="background:#1565c0;opacity:.6;border:2px solid #0d47a1"></i>拟选址</span><span><i style="border:0;border-top:2px dashed #0d47a1;height:0"></i>冲突（编号同下表，端点颜色为冲突严重程度）</span>"##,
        r##"<span><i style="background:#e60012"></i>重大</span><span><i style="background:#f39800"></i>较大</span><span><i style="background:#ffe100"></i>一般</span><span><i style="background:#0068b7"></i>低</span>"##,
        r##"<span><i style="border:1.5px solid #000"></i>重大危险源（按等级着色）</span><span><i style="border:0;border-top:2px solid #7b1fa2;height:0"></i>燃气管道</span><span>房屋、企业、网格按风险等级着色</span></div></div>"##
    ));
    o.push_str("<h2>三、距离冲突</h2>");
    if r.conflicts.is_empty() {
        o.push_str(r#"<p class="none">无。</p>"#);
    } else {
        o.push_str(r#"<table><thead><tr><th>序号</th><th>严重程度</th><th>冲突对象</th><th class="n">实际距离</th><th class="n">要求距离</th><th class="n">不足</th><th>说明</th></tr></thead><tbody>"#);
        for (i, c) in r.conflicts.iter().enumerate() {
            let _ = write!(
                o,
                r#"<tr><td>{}</td><td class="n">{}</td><td>{}（{}）</td><td class="n">{:.1} m</td><td class="n">{} m</td><td class="n">{:.1} m</td><td>{}</td></tr>"#,
                i + 1,
                grave(c.severity),
                esc(&c.name),
                esc(&c.id),
                c.distance_m,
                crate::analysis::Num(c.required_m),
                c.shortfall_m,
                esc(&c.reason_zh)
            );
        }
        o.push_str("</tbody></table>");
    }
    o.push_str("<h2>四、依据与说明</h2><ol>");
    let mut bases: Vec<&str> = r.conflicts.iter().map(|c| c.basis_zh.as_str()).collect();
    bases.sort_unstable();
    bases.dedup();
    for b in bases {
        let _ = write!(o, "<li>{}</li>", esc(b));
    }
    o.push_str("<li>冲突严重程度按缺少的距离占要求距离的比例确定：超过 50% 为重大，超过 25% 为较大，其余为一般；拟建为高敏感或重要防护目标（学校、医院、养老院等）时提高一级；位于燃气管道安全保护范围内为重大；危险自建房按其自身风险等级。</li>");
    o.push_str("<li>本意见为 GIS 筛查结果的草稿。标注“本项目规划筛查默认值”的距离无标准依据，正式审查应以安全评价或定量风险评价为准。</li></ol>");
    o.push_str(r#"<h2>五、审查意见</h2><div class="opinion"></div><div class="sign"><div>审查人：</div><div>复核人：</div><div>日期：</div></div></body></html>"#);
    o
}
