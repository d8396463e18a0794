//! A hidden hazard's record: its link, its closed-loop fields, and the checks of its
//! lifecycle (销号 needs a rectification and an acceptance; dates in order; a major one
//! with the "five in place").

use crate::model::{Day, HiddenHazard, HiddenHazardStatus, LayerKind, Text};

use super::cells::{cell, column_name, count, date, filled_text, number, shared_text, text, vocab};
use super::{Build, FeatureCx, Record};
use crate::io::LoadError;
use crate::io::fields::{self, Unit, Value, hid};
use crate::io::report::{IssueCode, Severity};

/// The layers a hidden hazard may belong to.
pub const LINKABLE: [LayerKind; 5] = [
    LayerKind::Enterprises,
    LayerKind::HazardSources,
    LayerKind::GasPipelines,
    LayerKind::Houses,
    LayerKind::ProtectionTargets,
];

/// Reads a yes or no as ledgers write it (是/否, true/false, 1/0, y/n).
fn parse_yes_no(t: &str) -> Option<bool> {
    match fields::half_width_str(t.trim()).to_lowercase().as_str() {
        "是" | "true" | "1" | "y" | "yes" => Some(true),
        "否" | "false" | "0" | "n" | "no" => Some(false),
        _ => None,
    }
}

/// Reads 重大/一般 in the words ledgers use (or a yes or no to 是否重大隐患):
/// `Some(true)` for a major accident hidden hazard, `Some(false)` for a general one.
pub(crate) fn parse_major(t: &str) -> Option<bool> {
    match t.trim() {
        "重大" | "重大事故隐患" | "重大隐患" => Some(true),
        "一般" | "一般事故隐患" | "一般隐患" => Some(false),
        other => match other.to_ascii_lowercase().as_str() {
            "major" => Some(true),
            "general" => Some(false),
            _ => parse_yes_no(other),
        },
    }
}

impl Build for HiddenHazard {
    fn build(rec: &Record<'_>, cx: &mut FeatureCx<'_>) -> Result<Option<Self>, LoadError> {
        let feature_layer = match text(rec, hid::FEATURE_LAYER) {
            Some(t) if !fields::is_placeholder(&t) => {
                match LayerKind::parse(&t).filter(|k| LINKABLE.contains(k)) {
                    Some(k) => Some(k),
                    None => {
                        let column = column_name(rec, hid::FEATURE_LAYER, "feature_layer");
                        let column = column.to_string();
                        cx.warn(
                            IssueCode::UnknownValue,
                            &column,
                            format!(
                                "unknown layer {t:?} in {column}; allowed: enterprises (企业), \
                                 hazard_sources (重大危险源), gas_pipelines (燃气管道), houses \
                                 (自建房), protection_targets (防护目标); the feature is \
                                 looked up in all of them"
                            ),
                        )?;
                        None
                    }
                }
            }
            _ => None,
        };
        let major = match cell(rec, hid::MAJOR) {
            None => false,
            Some(c) => match c.value {
                Value::Bool(b) => *b,
                v => match v.text() {
                    None => false,
                    Some(t) if fields::is_placeholder(&t) => false,
                    Some(t) => match parse_major(&t) {
                        Some(m) => m,
                        None => {
                            cx.warn(
                                IssueCode::UnknownValue,
                                c.column,
                                format!(
                                    "unknown hidden-hazard class {t:?} in {}; allowed: 重大 \
                                     (重大事故隐患), 一般 (一般事故隐患); read as 一般",
                                    c.column
                                ),
                            )?;
                            false
                        }
                    },
                },
            },
        };
        let description = match shared_text(cx, rec, hid::DESCRIPTION) {
            Some(d) => d,
            None => {
                if !cx.absent.get(hid::DESCRIPTION).copied().unwrap_or(false) {
                    let column = column_name(rec, hid::DESCRIPTION, "description").to_string();
                    cx.warn(
                        IssueCode::MissingField,
                        &column,
                        "a hidden hazard without a description (隐患描述)",
                    )?;
                }
                Text::from("")
            }
        };
        // `false` when a store or an export wrote the place of the feature it belongs to:
        // it is then placed at that feature again, wherever the feature is now.
        let own_location = match cell(rec, hid::OWN_LOCATION).map(|c| c.value) {
            Some(Value::Bool(b)) => *b,
            Some(v) => v.text().and_then(|t| parse_yes_no(&t)).unwrap_or(true),
            None => true,
        };
        let mut h = HiddenHazard {
            feature_layer,
            feature_id: shared_text(cx, rec, hid::FEATURE_ID),
            own_location,
            industry: shared_text(cx, rec, hid::INDUSTRY),
            category: shared_text(cx, rec, hid::CATEGORY),
            major,
            description,
            found_by: vocab(cx, rec, hid::FOUND_BY)?,
            discovered: date(cx, rec, hid::DISCOVERED)?,
            responsible_unit: filled_text(cx, rec, hid::RESPONSIBLE_UNIT),
            responsible_person: filled_text(cx, rec, hid::RESPONSIBLE_PERSON),
            measures: filled_text(cx, rec, hid::MEASURES),
            funds_wan_yuan: number(cx, rec, hid::FUNDS, Unit::WanYuan)?,
            deadline: date(cx, rec, hid::DEADLINE)?,
            contingency_plan: filled_text(cx, rec, hid::CONTINGENCY_PLAN),
            status: HiddenHazardStatus::Pending,
            rectified: date(cx, rec, hid::RECTIFIED)?,
            verified_by: filled_text(cx, rec, hid::VERIFIED_BY),
            closed: date(cx, rec, hid::CLOSED)?,
            reopened: count(cx, rec, hid::REOPENED, u32::MAX)?.unwrap_or(0),
            reopen_reason: shared_text(cx, rec, hid::REOPEN_REASON),
        };
        let status_column = column_name(rec, hid::STATUS, "status").to_string();
        // The data's own words for the stages (a manifest's [statuses]) first.
        let own = text(rec, hid::STATUS).and_then(|t| {
            let t = t.trim();
            cx.statuses.iter().find(|(w, _)| w == t).map(|(_, s)| *s)
        });
        let read = match own {
            Some(s) => Some(s),
            None => vocab::<HiddenHazardStatus>(cx, rec, hid::STATUS)?,
        };
        h.status = match read {
            Some(s) => s,
            None => {
                // No status: the furthest step the record's dates show.
                let s = if h.closed.is_some() {
                    HiddenHazardStatus::Closed
                } else if h.rectified.is_some() {
                    HiddenHazardStatus::Rectified
                } else {
                    HiddenHazardStatus::Pending
                };
                if !cx.absent.get(hid::STATUS).copied().unwrap_or(false) {
                    cx.warn(
                        IssueCode::MissingField,
                        &status_column,
                        format!(
                            "no status (隐患状态); taken from the dates as {}",
                            s.name_zh()
                        ),
                    )?;
                }
                s
            }
        };
        check_lifecycle(&mut h, cx, &status_column)?;
        Ok(Some(h))
    }
}

/// The checks of a record's lifecycle, each a warning; a status its record does not
/// support is taken back to the step it does.
fn check_lifecycle(
    h: &mut HiddenHazard,
    cx: &mut FeatureCx<'_>,
    status_column: &str,
) -> Result<(), LoadError> {
    if h.status == HiddenHazardStatus::Closed {
        let mut missing = Vec::new();
        if h.rectified.is_none() {
            missing.push("整改完成日期 (rectified)");
        }
        if h.verified_by.is_none() {
            missing.push("验收人 (verified_by)");
        }
        if h.closed.is_none() {
            missing.push("销号日期 (closed)");
        }
        if !missing.is_empty() {
            let back = if h.rectified.is_some() {
                HiddenHazardStatus::Rectified
            } else {
                HiddenHazardStatus::InProgress
            };
            cx.warn(
                IssueCode::LifecycleInconsistent,
                status_column,
                format!(
                    "已销号 needs a rectification and an acceptance, and this record has no {}; \
                     it is kept open as {} until they are recorded",
                    missing.join(", no "),
                    back.name_zh()
                ),
            )?;
            h.status = back;
            h.closed = None;
        }
    } else if let Some(c) = h.closed {
        cx.warn(
            IssueCode::LifecycleInconsistent,
            status_column,
            format!(
                "销号日期 {c} is given but the status is {}: the status is kept and the date \
                 left out",
                h.status.name_zh()
            ),
        )?;
        h.closed = None;
    }
    if h.status == HiddenHazardStatus::Supervised && !h.major {
        cx.warn(
            IssueCode::LifecycleInconsistent,
            status_column,
            "挂牌督办 is for a major accident hidden hazard (重大事故隐患), and this one is \
             recorded as general: kept as 挂牌督办; check its class",
        )?;
    }
    let order: [(Option<Day>, &str, Option<Day>, &str); 4] = [
        (h.discovered, "发现日期", h.rectified, "整改完成日期"),
        (h.discovered, "发现日期", h.deadline, "整改期限"),
        (h.discovered, "发现日期", h.closed, "销号日期"),
        (h.rectified, "整改完成日期", h.closed, "销号日期"),
    ];
    for (a, an, b, bn) in order {
        if let (Some(a), Some(b)) = (a, b)
            && b < a
        {
            cx.issue(
                Severity::Warning,
                IssueCode::DatesOutOfOrder,
                None,
                format!("{bn} {b} is before {an} {a}; both kept as written"),
            )?;
        }
    }
    if h.status.is_open() {
        let missing = h.five_in_place_missing();
        if !missing.is_empty() {
            cx.issue(
                Severity::Warning,
                IssueCode::FiveInPlaceIncomplete,
                None,
                format!(
                    "a major accident hidden hazard still open without the \"five in place\" \
                     (五落实): no {}",
                    missing.join("、")
                ),
            )?;
        }
    }
    Ok(())
}
