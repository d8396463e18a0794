//! Hazard-source inventories: lines read from a cell, a JSON array or a JSON object,
//! checked against the substance table; unusable lines are reported and left out.

use crate::model::InventoryItem;

use super::{Cell, FeatureCx};
use crate::io::LoadError;
use crate::io::fields::{self, ItemDraft, NumError, Unit, Value};
use crate::io::report::{IssueCode, Severity};

/// Reads an inventory: a cell in the documented syntax, a JSON array of lines (objects or
/// strings), or a JSON object `{substance: tonnes}`. Lines that cannot be used are
/// excluded and reported; the feature is kept.
pub(super) fn inventory(
    cx: &mut FeatureCx<'_>,
    c: Cell<'_>,
) -> Result<Vec<InventoryItem>, LoadError> {
    // (field to report, one-based line or item number, the line read)
    type Draft = (String, usize, Result<ItemDraft, String>);
    let cell_lines = |text: &str| -> Vec<Draft> {
        fields::parse_inventory_cell(text)
            .into_iter()
            .enumerate()
            .map(|(i, r)| (c.column.to_string(), i + 1, r))
            .collect()
    };
    let drafts: Vec<Draft> = match c.value {
        Value::Null | Value::Json(serde_json::Value::Null) => Vec::new(),
        Value::Str(s) => cell_lines(s),
        Value::Json(serde_json::Value::String(s)) => cell_lines(s),
        Value::Json(serde_json::Value::Array(items)) => items
            .iter()
            .enumerate()
            .flat_map(|(i, item)| -> Vec<Draft> {
                let field = format!("{}[{i}]", c.column);
                match item {
                    serde_json::Value::Object(o) => {
                        vec![(field, i + 1, fields::inventory_item_from_json(o))]
                    }
                    serde_json::Value::String(s) => fields::parse_inventory_cell(s)
                        .into_iter()
                        .map(|r| (field.clone(), i + 1, r))
                        .collect(),
                    other => vec![(
                        field,
                        i + 1,
                        Err(format!("{other} is not an inventory line")),
                    )],
                }
            })
            .collect(),
        Value::Json(serde_json::Value::Object(o)) => o
            .iter()
            .enumerate()
            .map(|(i, (k, v))| {
                let mut d = fields::parse_substance(k);
                d.tonnes = fields::parse_number(&Value::Json(v.clone()), Unit::Tonnes);
                (format!("{}.{k}", c.column), i + 1, Ok(d))
            })
            .collect(),
        other => vec![(
            c.column.to_string(),
            1,
            Err(format!(
                "{:?} is not an inventory (expected e.g. 氯(7782-50-5)=20;液氨=35)",
                other.text().unwrap_or_default()
            )),
        )],
    };
    let given = drafts.len();
    let mut items = Vec::with_capacity(given);
    for (field, n, draft) in drafts {
        let d = match draft {
            Ok(d) => d,
            Err(msg) => {
                cx.issue(
                    Severity::Skipped,
                    IssueCode::InvalidInventory,
                    Some(&field),
                    format!("inventory line {n}: {msg}; the line was excluded"),
                )?;
                continue;
            }
        };
        let what = format!("inventory line {n} ({})", describe(&d));
        let tonnes = match &d.tonnes {
            Ok(Some(t)) if t.is_finite() && *t >= 0.0 => *t,
            Ok(Some(t)) => {
                cx.issue(
                    Severity::Skipped,
                    IssueCode::NegativeNumber,
                    Some(&field),
                    format!(
                        "{what}: quantity {t} t is not a non-negative number; the line was excluded"
                    ),
                )?;
                continue;
            }
            Ok(None) => {
                cx.issue(
                    Severity::Skipped,
                    IssueCode::MissingRequiredField,
                    Some(&field),
                    format!("{what} has no quantity (tonnes, 数量(吨)); the line was excluded"),
                )?;
                continue;
            }
            Err(NumError::NotANumber(t)) | Err(NumError::BadUnit(t)) => {
                cx.issue(
                    Severity::Skipped,
                    IssueCode::InvalidNumber,
                    Some(&field),
                    format!(
                        "{what}: quantity {t:?} is not a number of tonnes; the line was excluded"
                    ),
                )?;
                continue;
            }
        };
        if let Some(cas) = &d.cas
            && !fields::cas_checksum_ok(cas)
        {
            cx.warn(
                IssueCode::InvalidCas,
                &field,
                format!("{what}: CAS number {cas} fails its check digit; looked up by name too"),
            )?;
        }
        let mut d = d;
        let mut known = cx
            .substances
            .lookup(d.cas.as_deref(), d.name.as_deref())
            .is_some();
        if !known && d.cas.is_none() {
            // Known by the other name in brackets (`储罐物料（甲烷）=500`): the line keeps
            // the CAS number it was found by, so that the grading, which looks a line
            // up by its CAS number and name, finds the same substance. Two names (a
            // mixture, `混合物（甲苯/乙醇）`) say no one substance: the line is not known
            // by them.
            if let [one] = d.alt_names.as_slice()
                && let Some(found) = cx.substances.lookup(None, Some(one))
            {
                known = true;
                d.cas = Some(found.cas.clone());
            }
        }
        let valid_category = d
            .category
            .as_deref()
            .is_some_and(|c| cx.substances.category(c).is_some());
        let outside = (!known && !valid_category)
            .then(|| {
                cx.substances
                    .outside(d.cas.as_deref(), d.name.as_deref())
                    .map(|o| (o.name_zh.clone(), o.cas.clone(), o.why.clone()))
            })
            .flatten();
        if let Some((name, cas, why)) = outside {
            cx.issue(
                Severity::Info,
                IssueCode::OutsideStandard,
                Some(&field),
                format!(
                    "{what}: {name} (CAS {cas}) is outside GB 18218-2018 ({why}); the line is \
                     kept and does not count towards S or R"
                ),
            )?;
        } else if !known {
            match &d.category {
                Some(cat) if cx.substances.category(cat).is_some() => {}
                Some(cat) => {
                    cx.issue(
                        Severity::Skipped,
                        IssueCode::UnknownCategory,
                        Some(&field),
                        format!(
                            "{what}: the substance is not in the substance table and category \
                             {cat:?} is not a GB 18218-2018 category (W1.1–W11, J1–J5); the line \
                             was excluded"
                        ),
                    )?;
                    continue;
                }
                None => {
                    cx.issue(
                        Severity::Skipped,
                        IssueCode::UnknownSubstance,
                        Some(&field),
                        format!(
                            "{what}: neither the CAS number nor the name is in the substance \
                             table, and no category is given (write e.g. 名称(CAS,W3)=10); the \
                             line was excluded"
                        ),
                    )?;
                    continue;
                }
            }
        }
        items.push(InventoryItem {
            cas: d.cas,
            name: d.name,
            category: d.category,
            tonnes,
        });
    }
    // Every line refused: the source reads as holding nothing and is graded as not
    // major, which the line-level issues alone do not say.
    if given > 0 && items.is_empty() {
        cx.warn(
            IssueCode::InvalidInventory,
            c.column,
            format!(
                "none of the {given} inventory line(s) could be used: the source is kept \
                 with an empty inventory and cannot be graded as a major hazard source \
                 until they are corrected"
            ),
        )?;
    }
    Ok(items)
}

fn describe(d: &ItemDraft) -> String {
    let mut parts = Vec::new();
    if let Some(n) = &d.name {
        parts.push(n.clone());
    }
    if let Some(c) = &d.cas {
        parts.push(format!("CAS {c}"));
    }
    if let Some(c) = &d.category {
        parts.push(format!("category {c}"));
    }
    format!("{:?}", parts.join(", "))
}
