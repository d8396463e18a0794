//! 两单 — the two lists a bureau keeps beside its risk map (一图两单): the risk list
//! (风险清单) of every risk point, and the hidden-hazard list (隐患清单) of every hidden
//! hazard found by the day of the analysis, each as rows of text cells under Chinese
//! headers, for a whole district or one town, written as CSV (`csv`) and, with the
//! `xlsx` feature, as a workbook (`xlsx`).
//!
//! The risk list holds, worst level first: the graded major hazard sources, the red and
//! orange enterprises, the houses appraised C or D, the pipeline occupations (违章占压)
//! and the protection-distance conflicts, each with its level, town, place, coordinates,
//! responsible unit and the reasons of its level. The hidden-hazard list holds major ones
//! first, then open before closed, the most overdue first.

mod csv;
#[cfg(feature = "xlsx")]
mod xlsx;

use std::collections::HashMap;
use std::path::PathBuf;

use geo::Coord;

pub use self::csv::{CsvEncoding, Replaced, csv_bytes, csv_bytes_replacing, write_csv};
#[cfg(feature = "xlsx")]
pub use self::xlsx::{write_xlsx, xlsx_bytes};

use crate::analysis::Analysis;
use crate::analysis::risk_grid::{anchor, grade_level, house_slot};
use crate::dataset::Dataset;
use crate::model::{Appraisal, LayerKind, RiskLevel};
use crate::tileset::conflict_level;

/// Why a list could not be made or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ListError {
    /// `--area` names no town or street of the data.
    #[error("no area named {name:?}; the areas are: {known}")]
    UnknownArea {
        /// The name asked for.
        name: String,
        /// The areas there are.
        known: String,
    },
    /// A file could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// A cell's text has a character GBK cannot hold.
    #[error("{path}: row {row}: {text:?} cannot be written in GBK; write the list as UTF-8")]
    NotGbk {
        /// The file.
        path: PathBuf,
        /// The row, from 1 under the header.
        row: usize,
        /// The cell.
        text: String,
    },
    /// The workbook writer failed.
    #[error("{path}: {message}")]
    Workbook {
        /// The file.
        path: PathBuf,
        /// What the writer said.
        message: String,
    },
}

/// One column of a list: its Chinese header and its width in characters in a workbook.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// The header.
    pub header: &'static str,
    /// Width, characters.
    pub width: f64,
    /// What its cells hold: a workbook writes numbers and dates as such, so that Excel
    /// sums, sorts and filters them (CSV writes every cell as text).
    pub kind: CellKind,
}

/// What a column's cells hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellKind {
    /// Text.
    Text,
    /// A number, written with as many decimals as its text has.
    Number,
    /// A day, `YYYY-MM-DD`.
    Date,
}

const fn col(header: &'static str, width: f64) -> Column {
    Column {
        header,
        width,
        kind: CellKind::Text,
    }
}

const fn num(header: &'static str, width: f64) -> Column {
    Column {
        header,
        width,
        kind: CellKind::Number,
    }
}

const fn day(header: &'static str, width: f64) -> Column {
    Column {
        header,
        width,
        kind: CellKind::Date,
    }
}

/// A list: its title (the sheet's and the file's name), its columns, its rows of cells,
/// and the level of each row (the four colours of its level column).
#[derive(Debug, Clone)]
pub struct List {
    /// 风险清单 or 隐患清单.
    pub title: &'static str,
    /// The columns.
    pub columns: &'static [Column],
    /// Which column carries the level (coloured in a workbook).
    pub level_column: Option<usize>,
    /// The cells, row by row, as many as the columns.
    pub rows: Vec<Vec<String>>,
    /// The level of each row, when it has one.
    pub levels: Vec<Option<RiskLevel>>,
    /// What the data it was made of lacks
    /// ([`crate::io::ValidationReport::left_out_zh`]): a workbook says it on a sheet
    /// of its own, 数据说明, so that a list made of a ledger not read whole is not taken
    /// for the whole. [`hidden_list`] says here what its own day leaves out (hidden
    /// hazards found after it) and which open ones have no deadline; the caller puts
    /// the ledgers' own gaps first ([`List::note_first`]).
    pub notes: Vec<String>,
}

/// The columns of the risk list.
pub const RISK_COLUMNS: &[Column] = &[
    num("序号", 6.0),
    col("风险类别", 14.0),
    col("名称", 32.0),
    col("风险等级", 10.0),
    col("所在镇街", 12.0),
    col("位置", 30.0),
    num("经度", 12.0),
    num("纬度", 12.0),
    col("责任单位", 30.0),
    col("风险因素（判定依据）", 60.0),
    col("管控措施", 24.0),
    col("编号", 22.0),
];

/// The columns of the hidden-hazard list.
pub const HIDDEN_COLUMNS: &[Column] = &[
    num("序号", 6.0),
    col("隐患编号", 12.0),
    col("隐患级别", 14.0),
    col("隐患状态", 14.0),
    col("是否逾期", 9.0),
    num("逾期天数", 9.0),
    col("所在镇街", 12.0),
    col("关联对象类型", 12.0),
    col("关联对象", 30.0),
    col("行业领域", 12.0),
    col("隐患类别", 12.0),
    col("隐患描述", 36.0),
    col("发现方式", 10.0),
    day("发现日期", 12.0),
    day("整改期限", 12.0),
    col("整改责任单位", 28.0),
    col("整改责任人", 10.0),
    col("整改措施", 30.0),
    num("整改资金(万元)", 12.0),
    col("应急预案", 20.0),
    day("整改完成日期", 12.0),
    col("验收人", 18.0),
    day("销号日期", 12.0),
    num("退回次数", 9.0),
    col("退回原因", 20.0),
    num("经度", 12.0),
    num("纬度", 12.0),
];

/// The towns and streets of the data, and the one a list is for.
struct Areas<'a> {
    ds: &'a Dataset,
    only: Option<usize>,
}

impl<'a> Areas<'a> {
    fn new(ds: &'a Dataset, name: Option<&str>) -> Result<Areas<'a>, ListError> {
        let only = match name {
            None => None,
            Some(n) => Some(ds.area_position(n).ok_or_else(|| ListError::UnknownArea {
                name: n.to_string(),
                known: ds.area_names(),
            })?),
        };
        Ok(Areas { ds, only })
    }

    /// The name of the area a point lies in (empty outside every area), or `None` when
    /// the list is for another area.
    fn of(&self, at: Option<Coord<f64>>) -> Option<String> {
        let slot = house_slot(self.ds, at);
        if self.only.is_some_and(|o| o != slot) {
            return None;
        }
        Some(
            self.ds
                .areas
                .get(slot)
                .map(|a| a.props.name.clone())
                .unwrap_or_default(),
        )
    }
}

fn coord_cells(at: Option<Coord<f64>>) -> (String, String) {
    match at {
        Some(c) => (format!("{:.6}", c.x), format!("{:.6}", c.y)),
        None => (String::new(), String::new()),
    }
}

fn reasons_zh(rs: &[crate::analysis::Reason]) -> String {
    rs.iter()
        .map(|r| &*r.text_zh)
        .collect::<Vec<_>>()
        .join("；")
}

/// The name of the feature at `pos` of an input layer, or nothing.
fn name_of_at(ds: &Dataset, layer: LayerKind, pos: usize) -> String {
    ds.name_at(layer, pos).unwrap_or_default().to_string()
}

/// The features of the layers a list names, by id (built once: a city has a million
/// houses and a hundred thousand hidden hazards).
struct Ids<'a> {
    by_layer: Vec<(LayerKind, HashMap<&'a str, usize>)>,
}

impl<'a> Ids<'a> {
    fn new(ds: &'a Dataset, layers: &[LayerKind]) -> Self {
        fn ids<P>(l: &crate::layer::Layer<P>) -> HashMap<&str, usize> {
            l.features()
                .iter()
                .enumerate()
                .map(|(i, f)| (f.id.as_str(), i))
                .collect()
        }
        let by_layer = layers
            .iter()
            .map(|k| {
                let m = match k {
                    LayerKind::Enterprises => ids(&ds.enterprises),
                    LayerKind::HazardSources => ids(&ds.hazard_sources),
                    LayerKind::GasPipelines => ids(&ds.gas_pipelines),
                    LayerKind::Houses => ids(&ds.houses),
                    LayerKind::ProtectionTargets => ids(&ds.protection_targets),
                    _ => HashMap::new(),
                };
                (*k, m)
            })
            .collect();
        Ids { by_layer }
    }

    fn position(&self, layer: LayerKind, id: &str) -> Option<usize> {
        self.by_layer
            .iter()
            .find(|(k, _)| *k == layer)
            .and_then(|(_, m)| m.get(id).copied())
    }
}

/// The name of the enterprise with this id.
fn enterprise_name(ds: &Dataset, ids: &Ids<'_>, id: Option<&str>) -> String {
    id.and_then(|e| ids.position(LayerKind::Enterprises, e))
        .and_then(|p| ds.enterprises.get(p))
        .map(|f| f.props.name.clone())
        .unwrap_or_default()
}

/// A number without a fraction written without one (12, not 12.0).
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// One row of the risk list before it is numbered and sorted.
struct RiskPoint {
    category: &'static str,
    name: String,
    level: RiskLevel,
    area: String,
    place: String,
    at: Option<Coord<f64>>,
    unit: String,
    why: String,
    measures: String,
    id: String,
}

/// The risk list (风险清单) of a dataset and its analysis, for one area or all.
pub fn risk_list(ds: &Dataset, a: &Analysis, area: Option<&str>) -> Result<List, ListError> {
    let areas = Areas::new(ds, area)?;
    let ids = Ids::new(ds, &[LayerKind::Enterprises]);
    let mut pts: Vec<RiskPoint> = Vec::new();
    for (f, g) in ds.hazard_sources.features().iter().zip(&a.hazard_grades) {
        let Some(grade) = g.grade else { continue };
        let at = anchor(&f.geometry);
        let Some(area) = areas.of(at) else { continue };
        pts.push(RiskPoint {
            category: "重大危险源",
            name: format!("{}（{}重大危险源）", f.props.name, grade.name_zh()),
            level: grade_level(grade),
            area,
            place: enterprise_name(ds, &ids, f.props.enterprise_id.as_deref()),
            at,
            unit: enterprise_name(ds, &ids, f.props.enterprise_id.as_deref()),
            why: reasons_zh(&g.reasons),
            measures: String::new(),
            id: f.id.clone(),
        });
    }
    for (f, e) in ds.enterprises.features().iter().zip(&a.enterprise_risks) {
        if e.level < RiskLevel::Significant {
            continue;
        }
        let at = anchor(&f.geometry);
        let Some(area) = areas.of(at) else { continue };
        pts.push(RiskPoint {
            category: "企业",
            name: f.props.name.clone(),
            level: e.level,
            area,
            place: f.props.park.clone().unwrap_or_default(),
            at,
            unit: f.props.name.clone(),
            why: reasons_zh(&e.reasons),
            measures: String::new(),
            id: f.id.clone(),
        });
    }
    for (f, h) in ds.houses.features().iter().zip(&a.house_risks) {
        if !matches!(f.props.appraisal, Some(Appraisal::C | Appraisal::D)) {
            continue;
        }
        let at = anchor(&f.geometry);
        let Some(area) = areas.of(at) else { continue };
        pts.push(RiskPoint {
            category: "自建房",
            name: f.props.address.to_string(),
            level: h.level,
            area,
            place: f.props.address.to_string(),
            at,
            unit: "房屋产权人".into(),
            why: reasons_zh(&h.reasons),
            measures: f
                .props
                .rectification
                .map(|r| format!("整治状态：{}", r.name_zh()))
                .unwrap_or_default(),
            id: f.id.clone(),
        });
    }
    for c in &a.pipeline_conflicts {
        if c.kind != crate::analysis::pipeline_clearance::PipelineConflictKind::Occupation {
            continue;
        }
        let at = anchor(&c.geometry);
        let Some(area) = areas.of(at) else { continue };
        let pipe = name_of_at(ds, LayerKind::GasPipelines, c.pipeline_pos);
        let on = name_of_at(ds, c.layer, c.feature_pos);
        pts.push(RiskPoint {
            category: "燃气管道占压",
            name: format!("{on} 占压 {pipe}"),
            level: c.kind.level(),
            area,
            place: on,
            at,
            unit: String::new(),
            why: format!(
                "{}（{}）距{}管道{:.1}米，小于保护范围{:.1}米（{}）",
                c.layer.name_zh(),
                c.feature_id,
                c.pressure_class.name_zh(),
                c.distance_m,
                c.protection_range_m,
                c.rule
            ),
            measures: String::new(),
            id: format!("{}/{}", c.pipeline_id, c.feature_id),
        });
    }
    for c in &a.protection_conflicts {
        let at = anchor(&c.geometry);
        let Some(area) = areas.of(at) else { continue };
        let source = name_of_at(ds, c.source_layer, c.source_pos);
        let target = name_of_at(ds, c.target_layer, c.target_pos);
        pts.push(RiskPoint {
            category: "外部安全防护距离不足",
            name: format!("{source} — {target}"),
            level: conflict_level(c.shortfall_m, c.required_m),
            area,
            place: target,
            at,
            unit: match c.source_layer {
                LayerKind::HazardSources => {
                    let owner = ds
                        .hazard_sources
                        .get(c.source_pos)
                        .and_then(|f| f.props.enterprise_id.as_deref());
                    enterprise_name(ds, &ids, owner)
                }
                _ => source.clone(),
            },
            why: format!(
                "{}（{}）距{}{:.1}米，小于要求的{:.1}米，差{:.1}米（{}）",
                c.target_layer.name_zh(),
                c.target_class.name_zh(),
                source,
                c.distance_m,
                c.required_m,
                c.shortfall_m,
                c.rule
            ),
            measures: String::new(),
            id: format!("{}/{}", c.source_id, c.target_id),
        });
    }
    tracing::debug!(rows = pts.len(), "risk list: points gathered");
    pts.sort_by(|x, y| {
        y.level
            .cmp(&x.level)
            .then_with(|| x.category.cmp(y.category))
            .then_with(|| x.area.cmp(&y.area))
            .then_with(|| x.id.cmp(&y.id))
    });
    let mut rows = Vec::with_capacity(pts.len());
    let mut levels = Vec::with_capacity(pts.len());
    for (i, p) in pts.into_iter().enumerate() {
        let (lon, lat) = coord_cells(p.at);
        levels.push(Some(p.level));
        rows.push(vec![
            (i + 1).to_string(),
            p.category.to_string(),
            p.name,
            p.level.name_zh().to_string(),
            p.area,
            p.place,
            lon,
            lat,
            p.unit,
            p.why,
            p.measures,
            p.id,
        ]);
    }
    Ok(List {
        notes: Vec::new(),
        title: "风险清单",
        columns: RISK_COLUMNS,
        level_column: Some(3),
        rows,
        levels,
    })
}

/// What the hidden-hazard list (and so the report) says of the hidden hazards on the
/// analysis's day: those found after it (not counted), the open ones with no deadline
/// (never overdue) and those recorded as closed on a day still to come (a typo; open on
/// the list's day), as [`List::notes`] has them.
fn notes_of(ds: &Dataset, a: &Analysis, areas: &Areas<'_>) -> Vec<String> {
    let (mut later, mut no_deadline, mut closed_later) = (0usize, 0usize, 0usize);
    let today = crate::model::Day::today();
    for (f, st) in ds.hidden_hazards.features().iter().zip(&a.hidden_states) {
        let h = &f.props;
        let not_found = st.status.is_none();
        let undated = st.open && h.deadline.is_none();
        // Recorded as closed on a day still to come: a typo (a list of a past day finds
        // hazards closed since, rightly open on it).
        let closes_later = st.open
            && h.status == crate::model::HiddenHazardStatus::Closed
            && h.closed.is_some_and(|c| c > today);
        if !(not_found || undated || closes_later) || areas.of(anchor(&f.geometry)).is_none() {
            continue;
        }
        later += usize::from(not_found);
        no_deadline += usize::from(!not_found && undated);
        closed_later += usize::from(!not_found && closes_later);
    }
    let mut notes = Vec::new();
    if later > 0 {
        let day = a
            .as_of
            .map_or_else(|| "统计日".to_string(), |d| format!("统计日 {d}"));
        notes.push(format!("{later} 项隐患的发现日期晚于{day}，未列入"));
    }
    if no_deadline > 0 {
        notes.push(format!(
            "{no_deadline} 项未销号隐患没有整改期限，无法判断是否逾期（已列入，整改期限一栏为空）"
        ));
    }
    if closed_later > 0 {
        notes.push(format!(
            "{closed_later} 项隐患的销号日期晚于今天，按未销号列入（请核对销号日期）"
        ));
    }
    notes
}

impl List {
    /// Puts what the data lacks (a ledger file or records not read) before the list's
    /// own notes.
    pub fn note_first(&mut self, left_out: &[String]) {
        self.notes.splice(0..0, left_out.iter().cloned());
    }
}

/// The hidden-hazard list (隐患清单) on the analysis's day, for one area or all: every
/// hidden hazard found by that day, major ones first, then open before closed, the most
/// overdue first, then by the day found.
pub fn hidden_list(ds: &Dataset, a: &Analysis, area: Option<&str>) -> Result<List, ListError> {
    let areas = Areas::new(ds, area)?;
    let ids = Ids::new(ds, &crate::io::LINKABLE);
    let mut picked: Vec<(usize, String)> = Vec::new();
    for (p, f) in ds.hidden_hazards.features().iter().enumerate() {
        let Some(st) = a.hidden_states.get(p) else {
            continue;
        };
        if st.status.is_none() {
            continue;
        }
        let Some(area) = areas.of(anchor(&f.geometry)) else {
            continue;
        };
        picked.push((p, area));
    }
    let notes = notes_of(ds, a, &areas);
    let key = |p: usize| {
        let f = ds.hidden_hazards.get(p);
        let st = a.hidden_states.get(p);
        (
            !f.is_some_and(|f| f.props.major),
            !st.is_some_and(|s| s.open),
            std::cmp::Reverse(st.and_then(|s| s.days_overdue).unwrap_or(0)),
            f.and_then(|f| f.props.discovered),
            f.map(|f| f.id.clone()),
        )
    };
    picked.sort_by_key(|(p, _)| key(*p));
    let opt = |v: Option<String>| v.unwrap_or_default();
    let txt = |v: &Option<crate::model::Text>| v.as_deref().unwrap_or_default().to_string();
    let mut rows = Vec::with_capacity(picked.len());
    let mut levels = Vec::with_capacity(picked.len());
    for (i, (p, area)) in picked.into_iter().enumerate() {
        let (Some(f), Some(st)) = (ds.hidden_hazards.get(p), a.hidden_states.get(p)) else {
            continue;
        };
        let h = &f.props;
        let feature = match (h.feature_layer, h.feature_id.as_deref()) {
            (Some(k), Some(id)) => {
                let name = ids
                    .position(k, id)
                    .map(|pos| name_of_at(ds, k, pos))
                    .unwrap_or_default();
                if name.is_empty() {
                    id.to_string()
                } else {
                    format!("{name}（{id}）")
                }
            }
            (_, Some(id)) => id.to_string(),
            _ => String::new(),
        };
        let (lon, lat) = coord_cells(anchor(&f.geometry));
        // Major and overdue red, major orange, overdue yellow: the order a bureau chases.
        levels.push(Some(match (h.major && st.open, st.overdue()) {
            (true, true) => RiskLevel::Major,
            (true, false) => RiskLevel::Significant,
            (false, true) => RiskLevel::General,
            (false, false) => RiskLevel::Low,
        }));
        rows.push(vec![
            (i + 1).to_string(),
            f.id.clone(),
            (if h.major {
                "重大事故隐患"
            } else {
                "一般事故隐患"
            })
            .to_string(),
            st.status
                .map(|s| s.name_zh().to_string())
                .unwrap_or_default(),
            (if st.overdue() { "是" } else { "否" }).to_string(),
            st.days_overdue.map(|d| d.to_string()).unwrap_or_default(),
            area,
            opt(h.feature_layer.map(|k| k.name_zh().to_string())),
            feature,
            txt(&h.industry),
            txt(&h.category),
            h.description.to_string(),
            opt(h.found_by.map(|b| b.name_zh().to_string())),
            opt(h.discovered.map(|d| d.to_string())),
            opt(h.deadline.map(|d| d.to_string())),
            txt(&h.responsible_unit),
            txt(&h.responsible_person),
            txt(&h.measures),
            opt(h.funds_wan_yuan.map(number)),
            txt(&h.contingency_plan),
            opt(h.rectified.map(|d| d.to_string())),
            txt(&h.verified_by),
            opt(h.closed.map(|d| d.to_string())),
            h.reopened.to_string(),
            txt(&h.reopen_reason),
            lon,
            lat,
        ]);
    }
    Ok(List {
        notes,
        title: "隐患清单",
        columns: HIDDEN_COLUMNS,
        level_column: Some(2),
        rows,
        levels,
    })
}

#[cfg(test)]
mod tests;
