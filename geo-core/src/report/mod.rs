//! The report of a town or street, or of the district, that a bureau files each month
//! (`riskmap report`, `GET /api/report.html`, the viewer's 打印报告): one HTML page set
//! for A4 — title and day, the area's map with its legend, scale and north arrow (an SVG
//! drawn from the data, see `map`), the four-colour counts, the top risks, the
//! protection-distance and pipeline conflicts, the hidden hazards open and overdue, and
//! what changed since the previous month — with blank fields for the people who sign it.
//! The tables are the first rows of the two lists (`crate::lists`), so the report and the
//! lists never disagree.
//!
//! | file | what |
//! |---|---|
//! | this file | the page: sections, tables, the change since last month |
//! | `map` | the SVG map |
//! | `site` | the draft opinion of a site check (选址审查意见草稿) and its map |
//! | `validation` | the validation report as a Chinese page |

mod map;
mod site;
mod validation;

pub use site::{SiteFacts, site_report};
pub use validation::validation_page;

use std::fmt::Write;

use crate::analysis::hidden_hazards::{self, AreaHidden};
use crate::analysis::hidden_trend::{self, MonthTrend};
use crate::analysis::{Analysis, AreaSummary};
use crate::dataset::Dataset;
use crate::lists::{self, List, ListError};
use crate::model::{Day, LayerKind};
use crate::rules::Rules;

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// The area is not in the data, or a list failed.
    #[error(transparent)]
    List(#[from] ListError),
}

/// Rows of each table at most (the lists have them all).
const TOP: usize = 15;

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            _ => o.push(c),
        }
    }
    o
}

/// The summary of the area, or the district's (the areas' summed).
fn summary_of(a: &Analysis, area: Option<(&str, &str)>) -> AreaSummary {
    if let Some((id, _)) = area
        && let Some(s) = a.area_summaries.iter().find(|s| s.id == id)
    {
        return s.clone();
    }
    let mut out = crate::analysis::risk_grid::empty_summary("", area.map_or("全区", |(_, n)| n));
    if area.is_some() {
        return out;
    }
    for s in &a.area_summaries {
        for k in 0..4 {
            out.enterprises[k] += s.enterprises[k];
            out.houses[k] += s.houses[k];
            out.grid_cells[k] += s.grid_cells[k];
            out.hazard_sources_by_grade[k] += s.hazard_sources_by_grade[k];
        }
        out.protection_conflicts += s.protection_conflicts;
        out.pipeline_occupations += s.pipeline_occupations;
        out.pipeline_too_close += s.pipeline_too_close;
        out.population += s.population;
        out.level = out.level.max(s.level);
    }
    out
}

/// A table of some columns of a list's first rows that `keep` accepts.
fn table(out: &mut String, l: &List, cols: &[&str], keep: impl Fn(&[String]) -> bool, empty: &str) {
    let idx: Vec<usize> = cols
        .iter()
        .filter_map(|c| l.columns.iter().position(|x| x.header == *c))
        .collect();
    let rows: Vec<&Vec<String>> = l.rows.iter().filter(|r| keep(r)).collect();
    if rows.is_empty() {
        let _ = write!(out, r#"<p class="none">{empty}</p>"#);
        return;
    }
    // Short cells stay on one line; the long texts take the rest of the width.
    let class = |i: usize| {
        if l.columns[i].width <= 14.0 {
            r#" class="n""#
        } else {
            ""
        }
    };
    out.push_str("<table><thead><tr>");
    for &i in &idx {
        let _ = write!(out, "<th{}>{}</th>", class(i), esc(l.columns[i].header));
    }
    out.push_str("</tr></thead><tbody>");
    for r in rows.iter().take(TOP) {
        out.push_str("<tr>");
        for &i in &idx {
            let v = esc(r.get(i).map_or("", |s| s.as_str()));
            let _ = write!(out, "<td{}>{v}</td>", class(i));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    if rows.len() > TOP {
        let _ = write!(
            out,
            r#"<p class="more">共 {} 项，此处列前 {TOP} 项，全部见{}。</p>"#,
            rows.len(),
            l.title
        );
    }
}

fn col(l: &List, header: &str) -> Option<usize> {
    l.columns.iter().position(|c| c.header == header)
}

const LEVELS_ZH: [&str; 4] = [
    "重大风险（红）",
    "较大风险（橙）",
    "一般风险（黄）",
    "低风险（蓝）",
];

fn level_row(out: &mut String, what: &str, c: &[u32; 4]) {
    // Summaries count [low, general, significant, major].
    let _ = write!(
        out,
        "<tr><th>{what}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        c[3],
        c[2],
        c[1],
        c[0],
        c.iter().sum::<u32>()
    );
}

fn signed(v: i64) -> String {
    if v > 0 {
        format!("+{v}")
    } else {
        v.to_string()
    }
}

/// The change since last month: this month against the one before.
fn changes(out: &mut String, m: &[MonthTrend]) {
    let (Some(now), Some(before)) = (m.last(), m.len().checked_sub(2).and_then(|i| m.get(i)))
    else {
        return;
    };
    let _ = write!(
        out,
        "<table><thead><tr><th></th><th>{} 月（至 {}）</th><th>{} 月</th><th>变化</th></tr></thead><tbody>",
        esc(&now.month),
        now.end,
        esc(&before.month)
    );
    let rows: [(&str, i64, i64); 9] = [
        ("新发现隐患", now.found.into(), before.found.into()),
        ("销号隐患", now.closed.into(), before.closed.into()),
        (
            "期末未销号隐患",
            now.at_end.open.into(),
            before.at_end.open.into(),
        ),
        (
            "期末逾期未销号",
            now.at_end.overdue.into(),
            before.at_end.overdue.into(),
        ),
        (
            "期末重大隐患未销号",
            now.at_end.major_open.into(),
            before.at_end.major_open.into(),
        ),
        (
            "期末重大风险企业",
            now.enterprises_by_level[0].into(),
            before.enterprises_by_level[0].into(),
        ),
        (
            "期末较大风险企业",
            now.enterprises_by_level[1].into(),
            before.enterprises_by_level[1].into(),
        ),
        (
            "期末重大风险自建房",
            now.houses_by_level[0].into(),
            before.houses_by_level[0].into(),
        ),
        (
            "期末较大风险自建房",
            now.houses_by_level[1].into(),
            before.houses_by_level[1].into(),
        ),
    ];
    for (what, a, b) in rows {
        let _ = write!(
            out,
            "<tr><th>{what}</th><td>{a}</td><td>{b}</td><td>{}</td></tr>",
            signed(a - b)
        );
    }
    out.push_str("</tbody></table>");
    // A month not ended: its figures run to its day, the month before's to its end.
    if now.end.plus_days(1).month_start() == now.end.month_start() {
        let _ = write!(
            out,
            r#"<p class="note">本月（{}）尚未结束：新发现、销号为月初至 {} 的数量，期末为 {} 当日；上月（{}）为整月及月末。</p>"#,
            esc(&now.month),
            now.end,
            now.end,
            esc(&before.month)
        );
    }
}

const STYLE: &str = r#"
@page { size: A4; margin: 14mm 14mm 16mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif; color: #1a1a1a; font-size: 12px; margin: 0 auto; max-width: 182mm; }
h1 { font-size: 20px; text-align: center; margin: 4px 0 2px; }
.sub { text-align: center; color: #3e4c59; margin: 0 0 10px; }
h2 { font-size: 15px; border-left: 4px solid #0d47a1; padding-left: 6px; margin: 14px 0 6px; break-after: avoid; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 6px; break-inside: auto; }
tr { break-inside: avoid; }
th, td { border: 1px solid #9aa5b1; padding: 2px 4px; text-align: left; vertical-align: top; }
thead th { background: #eef2f6; }
.n { white-space: nowrap; }
.figure { break-inside: avoid; text-align: center; }
.map { border: 1px solid #9aa5b1; max-width: 100%; height: auto; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 12px; justify-content: center; font-size: 11px; margin: 4px 0; }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 3px; vertical-align: -2px; border: 1px solid #666; }
.none, .more { color: #3e4c59; margin: 2px 0 6px; }
.sign { margin-top: 18px; display: grid; grid-template-columns: 1fr 1fr 1fr; gap: 12px; break-inside: avoid; }
.sign div { border-bottom: 1px solid #1a1a1a; padding-top: 22px; }
.opinion { border: 1px solid #9aa5b1; min-height: 42mm; }
.note { color: #3e4c59; font-size: 11px; }
.left-out { border: 2px solid #c62828; color: #c62828; padding: 4px 10px; margin: 6px 0; }
.left-out ul { margin: 2px 0; }
@media screen { body { padding: 12px; background: #fff; } }
"#;

/// The report's HTML for the area named `area` (by name or id; `None`: the district) of
/// `ds` and its analysis `a` made with `rules`, on the analysis's day; `generated` is the
/// day it is made. The levels at the end of last month are those of `ds`
/// ([`hidden_trend::monthly`]); [`area_report_with_levels`] takes them from a map of that
/// day.
pub fn area_report(
    ds: &Dataset,
    a: &Analysis,
    rules: &Rules,
    area: Option<&str>,
    generated: Day,
) -> Result<String, ReportError> {
    area_report_with_levels(ds, a, rules, area, generated, None, &[])
}

/// [`area_report`] with the enterprises and houses per level at the end of last month and
/// on the report's day given (`[last month, this month]`, of the area): those of the map
/// as it stood each day, taken back over a store's history; `left_out`, what the data
/// lacks ([`crate::io::ValidationReport::left_out_zh`]), is said under the title, with
/// the hidden hazards the day leaves out (the hidden-hazard list's [`lists::List::notes`]).
pub fn area_report_with_levels(
    ds: &Dataset,
    a: &Analysis,
    rules: &Rules,
    area: Option<&str>,
    generated: Day,
    levels: Option<[hidden_trend::Levels; 2]>,
    left_out: &[String],
) -> Result<String, ReportError> {
    let risk = lists::risk_list(ds, a, area)?;
    let hidden = lists::hidden_list(ds, a, area)?;
    let pos = area.and_then(|n| ds.area_position(n));
    let named = pos
        .and_then(|k| ds.areas.get(k))
        .map(|f| (f.id.as_str(), f.props.name.as_str()));
    let name = named.map_or("全区", |(_, n)| n);
    let s = summary_of(a, named);
    let day = a.as_of.unwrap_or(generated);
    let hz: Option<AreaHidden> = hidden_hazards::by_area(ds, &a.hidden_states)
        .into_iter()
        .find(|r| match named {
            Some((id, _)) => r.id == id,
            None => r.name == "全区",
        });
    let months = match &levels {
        Some(l) => hidden_trend::monthly_with_levels(ds, pos, day, l),
        None => hidden_trend::monthly(ds, a, rules, pos, 2, day),
    };

    let mut o = String::new();
    let _ = write!(
        o,
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{t}安全风险与隐患排查治理报告（{day}）</title><style>{STYLE}</style></head><body>"#,
        t = esc(name)
    );
    let _ = write!(
        o,
        r#"<h1>{}安全风险与隐患排查治理报告</h1><p class="sub">数据截至 {day} · 生成于 {generated} · 区域风险等级：{}</p>"#,
        esc(name),
        s.level.name_zh()
    );
    // What the data lacks, then what the day leaves out of the hidden hazards.
    if !left_out.is_empty() || !hidden.notes.is_empty() {
        o.push_str(r#"<div class="left-out"><b>请注意本报告所依据的数据：</b><ul>"#);
        for n in left_out.iter().chain(&hidden.notes) {
            let _ = write!(o, "<li>{}</li>", esc(n));
        }
        o.push_str("</ul>详见数据验证报告（riskmap validate 或 validation.html）。</div>");
    }
    // 一、the map.
    o.push_str(r#"<h2>一、风险分布图</h2><div class="figure">"#);
    o.push_str(&map::svg(ds, a, pos));
    o.push_str(concat!(
        r##"<div class="legend"><span><i style="background:#e60012"></i>重大风险</span><span><i style="background:#f39800"></i>较大风险</span><span><i style="background:#ffe100"></i>一般风险</span><span><i style="background:#0068b7"></i>低风险</span>"##,
        r##"<span>网格：风险分布网格（半透明）</span><span><i style="border-radius:50%;border:2px solid #000"></i>重大危险源（按等级着色）</span><span><i style="border-radius:50%"></i>红、橙企业</span>"##,
        r##"<span><i style="background:#00838f;border-color:#fff"></i>未销号隐患</span><span><i style="background:#212121"></i>重大事故隐患</span><span><i style="background:#00838f;border:2px solid #e60012"></i>逾期</span><span><i style="border:0;border-top:2px solid #7b1fa2;height:0"></i>燃气管道</span></div></div>"##
    ));
    // 二、the counts.
    o.push_str("<h2>二、风险分级概况</h2><table><thead><tr><th></th>");
    for l in LEVELS_ZH {
        let _ = write!(o, "<th>{l}</th>");
    }
    o.push_str("<th>合计</th></tr></thead><tbody>");
    level_row(&mut o, "企业", &s.enterprises);
    level_row(&mut o, "自建房", &s.houses);
    level_row(&mut o, "风险网格", &s.grid_cells);
    let g = s.hazard_sources_by_grade;
    let _ = write!(
        o,
        "</tbody></table><p>重大危险源：一级 {} 处、二级 {} 处、三级 {} 处、四级 {} 处；外部安全防护距离不足 {} 处；燃气管道违章占压 {} 处、间距不足 {} 处；暴露人口 {} 人。</p>",
        g[0],
        g[1],
        g[2],
        g[3],
        s.protection_conflicts,
        s.pipeline_occupations,
        s.pipeline_too_close,
        s.population
    );
    // 三、the top risks.
    o.push_str("<h2>三、主要风险（风险清单前列）</h2>");
    table(
        &mut o,
        &risk,
        &[
            "序号",
            "风险类别",
            "名称",
            "风险等级",
            "所在镇街",
            "风险因素（判定依据）",
        ],
        |_| true,
        "无",
    );
    // 四、conflicts.
    let cat = col(&risk, "风险类别");
    let is = |want: &'static str| {
        move |r: &[String]| cat.and_then(|c| r.get(c)).is_some_and(|v| v == want)
    };
    o.push_str("<h2>四、外部安全防护距离不足与燃气管道占压</h2><h3>外部安全防护距离不足</h3>");
    table(
        &mut o,
        &risk,
        &["名称", "风险等级", "位置", "风险因素（判定依据）"],
        is("外部安全防护距离不足"),
        "无",
    );
    o.push_str("<h3>燃气管道占压</h3>");
    table(
        &mut o,
        &risk,
        &["名称", "风险等级", "位置", "风险因素（判定依据）"],
        is("燃气管道占压"),
        "无",
    );
    // 五、hidden hazards.
    o.push_str("<h2>五、隐患排查治理</h2>");
    // A hidden-hazard ledger not read at all: nothing here can be counted, and saying
    // "no open hazard" would be false.
    let unread = format!(
        "（{}台账）整个文件未读入",
        LayerKind::HiddenHazards.name_zh()
    );
    let ledger_unread =
        ds.hidden_hazards.is_empty() && left_out.iter().any(|n| n.contains(&unread));
    if ledger_unread {
        o.push_str(
            r#"<p class="none">隐患台账未读入（见报告开头的说明），本节与第六节的隐患数无法统计。</p>"#,
        );
    } else if let Some(h) = &hz {
        let c = &h.counts;
        let _ = write!(
            o,
            "<p>截至 {day}，累计发现隐患 {} 项，已销号 {} 项，未销号 {} 项（其中逾期未销号 {} 项，重大事故隐患 {} 项）；整改率（销号÷发现）{}；销号用时中位数 {}。</p>",
            c.found,
            c.closed,
            c.open,
            c.overdue,
            c.major_open,
            h.closure_rate
                .map_or("—".to_string(), |r| format!("{:.1}%", r * 100.0)),
            h.median_days_to_close
                .map_or("—".to_string(), |d| format!("{d} 天"))
        );
    } else {
        o.push_str(r#"<p class="none">没有隐患记录。</p>"#);
    }
    let st = col(&hidden, "隐患状态");
    table(
        &mut o,
        &hidden,
        &[
            "隐患编号",
            "隐患级别",
            "隐患状态",
            "逾期天数",
            "关联对象",
            "隐患描述",
            "整改期限",
            "整改责任单位",
        ],
        |r| st.and_then(|c| r.get(c)).is_some_and(|v| v != "已销号"),
        if ledger_unread {
            "—"
        } else {
            "没有未销号的隐患。"
        },
    );
    // 六、since last month.
    o.push_str("<h2>六、较上月变化</h2>");
    changes(&mut o, &months);
    if levels.is_none() {
        o.push_str("<p class=\"note\">上月末的企业、自建房风险等级按本期台账计（隐患按各自日期回溯，台账的其他变更未回溯）。</p>");
    }
    o.push_str(concat!(
        r#"<p class="note">说明：风险等级按四色分级（重大、较大、一般、低）；隐患状态按各条记录的发现、整改期限、整改完成与销号日期计算至数据截止日；"#,
        r#"上月数字按同一台账回溯计算。完整清单见风险清单与隐患清单。</p>"#,
        r#"<div class="sign"><div>编制：</div><div>审核：</div><div>日期：</div></div></body></html>"#
    ));
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(esc(r#"<a href="x">&"#), "&lt;a href=&quot;x&quot;&gt;&amp;");
    }
}
