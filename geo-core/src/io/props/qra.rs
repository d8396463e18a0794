//! QRA distances of a hazard source: per protection-target class, from a JSON object, a
//! cell `class=metres;…` or one number for every class.

use std::borrow::Cow;

use crate::model::{QraDistances, TargetClass};

use super::cells::{Vocab, parse_vocab};
use super::{Cell, FeatureCx};
use crate::io::LoadError;
use crate::io::fields::{self, Unit, Value};
use crate::io::report::IssueCode;

/// Reads QRA distances: a JSON object `{class: metres}`, a cell `class=metres;…`
/// (classes in English or Chinese), or a single number for every class.
pub(super) fn qra(cx: &mut FeatureCx<'_>, c: Cell<'_>) -> Result<Option<QraDistances>, LoadError> {
    let pairs: Vec<(String, Value<'_>)> = match c.value {
        Value::Null => return Ok(None),
        Value::Num(_) => all_classes(c.value.clone()),
        Value::Json(serde_json::Value::Number(_)) => all_classes(c.value.clone()),
        Value::Json(serde_json::Value::Object(o)) => o
            .iter()
            .map(|(k, v)| (k.clone(), Value::Json(v.clone())))
            .collect(),
        Value::Str(_) | Value::Json(serde_json::Value::String(_)) => {
            let t = c.value.text().unwrap_or_default();
            let t = fields::half_width_str(&t).into_owned();
            if fields::is_placeholder(t.trim()) {
                return Ok(None);
            }
            if fields::parse_number_str(&t, Unit::Metres).is_ok() {
                all_classes(Value::Str(Cow::Owned(t)))
            } else {
                let mut v = Vec::new();
                for piece in t
                    .split([';', '、', '|', '\n'])
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                {
                    match piece.rfind(['=', ':']) {
                        Some(i) => v.push((
                            piece[..i].trim().to_string(),
                            Value::Str(Cow::Owned(piece[i + 1..].trim().to_string())),
                        )),
                        None => {
                            cx.warn(
                                IssueCode::InvalidValue,
                                c.column,
                                format!("QRA distance {piece:?} is not class=metres; ignored"),
                            )?;
                        }
                    }
                }
                v
            }
        }
        other => {
            cx.warn(
                IssueCode::InvalidValue,
                c.column,
                format!(
                    "{} is not a table of QRA distances (expected e.g. high_sensitivity=500;important=300); ignored",
                    other.text().unwrap_or_default()
                ),
            )?;
            return Ok(None);
        }
    };
    let mut q = QraDistances::default();
    for (k, v) in pairs {
        let key = fields::norm_key(&k);
        let key = key
            .trim_end_matches("(m)")
            .trim_end_matches("_m")
            .trim_end_matches('m');
        let class = parse_vocab::<TargetClass>(&k).or_else(|| parse_vocab::<TargetClass>(key));
        let Some(class) = class else {
            cx.warn(
                IssueCode::UnknownValue,
                c.column,
                format!(
                    "unknown protection-target class {k:?} in {}; allowed: {}; ignored",
                    c.column,
                    <TargetClass as Vocab>::allowed()
                ),
            )?;
            continue;
        };
        let metres = match fields::parse_number(&v, Unit::Metres) {
            Ok(Some(m)) if m.is_finite() && m >= 0.0 => m,
            Ok(None) => continue,
            _ => {
                cx.warn(
                    IssueCode::InvalidNumber,
                    c.column,
                    format!(
                        "QRA distance for {} is {:?}, not metres; ignored",
                        class.key(),
                        v.text().unwrap_or_default()
                    ),
                )?;
                continue;
            }
        };
        let slot = match class {
            TargetClass::HighSensitivity => &mut q.high_sensitivity,
            TargetClass::Important => &mut q.important,
            TargetClass::General1 => &mut q.general_1,
            TargetClass::General2 => &mut q.general_2,
            TargetClass::General3 => &mut q.general_3,
        };
        *slot = Some(metres);
    }
    Ok((!q.is_empty()).then_some(q))
}

fn all_classes(v: Value<'_>) -> Vec<(String, Value<'_>)> {
    TargetClass::ALL
        .iter()
        .map(|c| (c.key().to_string(), v.clone()))
        .collect()
}
