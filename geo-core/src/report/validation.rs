//! The validation report as a page a data clerk reads (`GET /validation.html`, the viewer's
//! 数据校验报告): in Chinese, a summary of what was loaded, skipped, repaired and
//! questioned, the files with their encoding, coordinate system and counts, and every
//! issue with the file, the place in it (feature, line, row), the feature id, the field
//! and what to do. The JSON form (`/api/validation`) stays the machine's.

use std::fmt::Write;

use super::esc;
use crate::io::{FileStatus, Position, Severity, ValidationReport};

/// Issues listed on the page at most; the rest are counted (the JSON has them all).
pub const MAX_ISSUES: usize = 2000;

fn position_zh(p: &Position) -> String {
    match p {
        Position::Feature(n) => format!("第 {} 个要素", n + 1),
        Position::Line(n) => format!("第 {n} 行"),
        Position::Row(n) => format!("工作表第 {n} 行"),
        Position::Fid(n) => format!("fid {n}"),
        Position::Text { line, column } => format!("第 {line} 行第 {column} 列"),
    }
}

/// The page. `title` names the data (a folder or store).
pub fn validation_page(r: &ValidationReport, title: &str) -> String {
    let mut o = String::new();
    let loaded: u64 = r.files.iter().map(|f| f.features_loaded).sum();
    let _ = write!(
        o,
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,"><title>数据校验报告 · {t}</title><style>
body{{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;margin:24px;color:#1f2933;max-width:1200px}}
h1{{font-size:22px}} h2{{font-size:17px;margin-top:28px}}
table{{border-collapse:collapse;width:100%;font-size:13px}} th,td{{border:1px solid #cbd2d9;padding:4px 6px;text-align:left;vertical-align:top}}
th{{background:#f0f4f8}} td.num{{text-align:right}}
.sev-skipped{{color:#b71c1c;font-weight:600}} .sev-repaired{{color:#8a4b00;font-weight:600}} .sev-warning{{color:#6b4f00}} .sev-info{{color:#52606d}}
.summary span{{display:inline-block;margin-right:18px}} .muted{{color:#52606d}} code{{font-size:12px}}
@media print{{body{{margin:0}}}}
</style></head><body><h1>数据校验报告</h1><p class="muted">数据：{t}</p>"#,
        t = esc(title)
    );
    let _ = write!(
        o,
        r#"<p class="summary"><span>文件 <b>{}</b> 个</span><span>读入要素 <b>{loaded}</b> 个</span><span class="sev-skipped">跳过 {}</span><span class="sev-repaired">修复 {}</span><span class="sev-warning">警告 {}</span><span class="sev-info">提示 {}</span></p>"#,
        r.files.len(),
        r.skipped_count(),
        r.repaired_count(),
        r.warning_count(),
        r.info_count()
    );
    if r.issues.is_empty() {
        o.push_str("<p>没有发现问题：所有要素均已按原样读入。</p>");
    } else {
        o.push_str(r#"<h2>问题分类</h2><table><thead><tr><th>问题</th><th>代码</th><th class="num">数量</th></tr></thead><tbody>"#);
        for (c, n) in r.counts_by_code() {
            let _ = write!(
                o,
                r#"<tr><td>{}</td><td><code>{}</code></td><td class="num">{n}</td></tr>"#,
                esc(c.name_zh()),
                c.as_str()
            );
        }
        o.push_str("</tbody></table>");
    }
    o.push_str(r#"<h2>文件</h2><table><thead><tr><th>文件</th><th>图层</th><th>格式</th><th>状态</th><th>编码</th><th>坐标系</th><th class="num">读取</th><th class="num">读入</th><th>未使用的列</th></tr></thead><tbody>"#);
    for f in &r.files {
        let status = match f.status {
            FileStatus::Loaded => "已读入",
            FileStatus::Skipped => "未读入",
            FileStatus::Ignored => "不属于任何图层，未读取",
        };
        let _ = write!(
            o,
            r#"<tr><td>{}</td><td>{}</td><td>{}</td><td>{status}</td><td>{}</td><td>{}</td><td class="num">{}</td><td class="num">{}</td><td>{}</td></tr>"#,
            esc(&f.file),
            f.layer.map_or("—", |l| l.name_zh()),
            esc(f.format.as_deref().unwrap_or("—")),
            esc(f.encoding.as_deref().unwrap_or("—")),
            esc(f.crs.as_deref().unwrap_or("—")),
            f.features_read,
            f.features_loaded,
            esc(&f.unused_columns.join("、")),
        );
    }
    o.push_str("</tbody></table>");
    if !r.issues.is_empty() {
        let _ = write!(
            o,
            r#"<h2>问题明细</h2><p class="muted">按严重程度排列：已跳过的要素不在地图上，已修复的按修复后的图形显示，警告的要素已读入但某个值需要核对。说明一栏为程序给出的原文。</p><table><thead><tr><th>处理</th><th>问题</th><th>文件</th><th>位置</th><th>编号</th><th>字段</th><th>说明</th></tr></thead><tbody>"#
        );
        let mut issues: Vec<_> = r.issues.iter().collect();
        issues.sort_by_key(|i| (i.severity, i.file.clone()));
        for i in issues.iter().take(MAX_ISSUES) {
            let sev = match i.severity {
                Severity::Skipped => "skipped",
                Severity::Repaired => "repaired",
                Severity::Warning => "warning",
                Severity::Info => "info",
            };
            let _ = write!(
                o,
                r#"<tr><td class="sev-{sev}">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
                i.severity.name_zh(),
                esc(i.code.name_zh()),
                esc(&i.file),
                i.position.as_ref().map(position_zh).unwrap_or_default(),
                esc(i.feature_id.as_deref().unwrap_or("")),
                esc(i.field.as_deref().unwrap_or("")),
                esc(&i.message),
            );
        }
        o.push_str("</tbody></table>");
        if issues.len() > MAX_ISSUES {
            let _ = write!(
                o,
                r#"<p class="muted">另有 {} 条未列出；完整清单见 JSON 格式的校验报告（/api/validation）。</p>"#,
                issues.len() - MAX_ISSUES
            );
        }
    }
    o.push_str("</body></html>\n");
    o
}
