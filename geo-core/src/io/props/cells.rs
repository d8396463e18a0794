//! Reading one cell of a record: as text, a non-negative number, a count, an entry of a
//! closed vocabulary, or a name that the id stands in for; each problem is reported.

use std::borrow::Cow;

use crate::model::{
    Appraisal, Day, FoundBy, HazardGrade, HiddenHazardStatus, HouseUse, Industry, PressureClass,
    Rectification, RiskLevel, TargetClass, TargetKind, UnitType,
};

use super::{Cell, FeatureCx, Record};
use crate::io::LoadError;
use crate::io::fields::{self, DateError, NumError, Unit, Value};
use crate::io::report::IssueCode;

pub(super) fn cell<'r>(rec: &'r Record<'r>, i: usize) -> Option<Cell<'r>> {
    rec.get(i).copied().flatten()
}

/// The column field `i` was read from, as the file names it, or `default`.
pub(super) fn column_name<'r>(rec: &'r Record<'r>, i: usize, default: &'r str) -> &'r str {
    cell(rec, i).map(|c| c.column).unwrap_or(default)
}

pub(super) fn text(rec: &Record<'_>, i: usize) -> Option<String> {
    cell(rec, i).and_then(|c| c.value.text().map(Cow::into_owned))
}

/// A text held once for the chunk of rows being read ([`crate::model::Text`]).
pub(super) fn shared_text(
    cx: &mut FeatureCx<'_>,
    rec: &Record<'_>,
    i: usize,
) -> Option<crate::model::Text> {
    let c = cell(rec, i)?;
    c.value.text().map(|t| cx.texts.text(&t))
}

/// A text that names someone or something recorded (an inspector, a responsible unit, a
/// plan): the ledgers' words for "no value" (`/`, `无`, `不详`…) and the words that say
/// it did not happen (`未验收`, `待验收`, `待定`, `未定`, `未`, `否`, `没有`, `暂缺`),
/// full-width or not, leave it empty: a closure "accepted by /" is not an acceptance,
/// a plan "暂缺" is none.
pub(super) fn filled_text(
    cx: &mut FeatureCx<'_>,
    rec: &Record<'_>,
    i: usize,
) -> Option<crate::model::Text> {
    let c = cell(rec, i)?;
    let t = c.value.text()?;
    // A full-width ／ or － (a Chinese input method's / and -) is the same word.
    let w = crate::io::fields::half_width_str(t.trim());
    let none = crate::io::fields::is_placeholder(w.trim())
        || matches!(
            w.trim(),
            "未验收" | "待验收" | "待定" | "未定" | "未" | "否" | "没有" | "暂缺"
        );
    (!none).then(|| cx.texts.text(&t))
}

/// A non-negative number; problems are warnings and leave the field empty.
pub(super) fn number(
    cx: &mut FeatureCx<'_>,
    rec: &Record<'_>,
    i: usize,
    unit: Unit,
) -> Result<Option<f64>, LoadError> {
    let Some(c) = cell(rec, i) else {
        return Ok(None);
    };
    match fields::parse_number(c.value, unit) {
        Ok(None) => Ok(None),
        Ok(Some(x)) if !x.is_finite() => {
            cx.warn(
                IssueCode::InvalidNumber,
                c.column,
                format!("{} is not a finite number; left empty", c.column),
            )?;
            Ok(None)
        }
        Ok(Some(x)) if x < 0.0 => {
            cx.warn(
                IssueCode::NegativeNumber,
                c.column,
                format!("{} is {x}, which cannot be negative; left empty", c.column),
            )?;
            Ok(None)
        }
        Ok(Some(x)) => Ok(Some(crate::io::fields::scaled(x, c.scale))),
        Err(NumError::NotANumber(t)) => {
            cx.warn(
                IssueCode::InvalidNumber,
                c.column,
                format!("{} is {t:?}, not a number; left empty", c.column),
            )?;
            Ok(None)
        }
        Err(NumError::BadUnit(t)) => {
            cx.warn(
                IssueCode::InvalidNumber,
                c.column,
                format!(
                    "{} is {t:?}, with a unit this field does not accept; left empty",
                    c.column
                ),
            )?;
            Ok(None)
        }
    }
}

/// A calendar day; what is not one is a warning and leaves the field empty.
pub(super) fn date(
    cx: &mut FeatureCx<'_>,
    rec: &Record<'_>,
    i: usize,
) -> Result<Option<Day>, LoadError> {
    let Some(c) = cell(rec, i) else {
        return Ok(None);
    };
    let read = match c.value {
        Value::Num(n) => fields::date_from_number(*n).map(Some),
        other => match other.text() {
            None => Ok(None),
            Some(t) => fields::parse_date(&t),
        },
    };
    match read {
        Ok(d) => Ok(d),
        Err(DateError(why)) => {
            cx.warn(
                IssueCode::InvalidDate,
                c.column,
                format!("{}: {why}; left empty", c.column),
            )?;
            Ok(None)
        }
    }
}

/// A whole non-negative number that fits `max`.
pub(super) fn count(
    cx: &mut FeatureCx<'_>,
    rec: &Record<'_>,
    i: usize,
    max: u32,
) -> Result<Option<u32>, LoadError> {
    let Some(x) = number(cx, rec, i, Unit::Plain)? else {
        return Ok(None);
    };
    if x.fract() != 0.0 || x > f64::from(max) {
        let column = column_name(rec, i, "");
        cx.warn(
            IssueCode::InvalidNumber,
            column,
            format!("{column} is {x}, not a whole number from 0 to {max}; left empty"),
        )?;
        return Ok(None);
    }
    Ok(Some(x as u32))
}

/// A closed vocabulary read from a cell.
pub(super) trait Vocab: Copy + 'static {
    const WHAT: &'static str;
    fn parse_one(s: &str) -> Option<Self>;
    fn allowed() -> String;
    /// The value whose Chinese name or English key is exactly `s`, found without
    /// allocating: ledgers mostly write one of those, and `parse` allocates.
    fn exact(_s: &str) -> Option<Self> {
        None
    }
}

macro_rules! vocab {
    ($t:ty, $what:literal) => {
        impl Vocab for $t {
            const WHAT: &'static str = $what;
            fn parse_one(s: &str) -> Option<Self> {
                <$t>::parse(s)
            }
            fn exact(s: &str) -> Option<Self> {
                <$t>::ALL
                    .iter()
                    .copied()
                    .find(|v| v.name_zh() == s || v.key() == s)
            }
            fn allowed() -> String {
                fields::allowed_list(<$t>::ALL, <$t>::key, <$t>::name_zh)
            }
        }
    };
}

vocab!(Industry, "industry");
vocab!(UnitType, "unit type");
vocab!(PressureClass, "pressure class");
vocab!(HouseUse, "house use");
vocab!(Appraisal, "appraisal grade");
vocab!(Rectification, "rectification status");
vocab!(TargetKind, "protection-target kind");
vocab!(TargetClass, "protection-target class");
vocab!(HiddenHazardStatus, "hidden-hazard status");
vocab!(FoundBy, "way of finding");

impl Vocab for RiskLevel {
    const WHAT: &'static str = "risk level";
    fn parse_one(s: &str) -> Option<Self> {
        RiskLevel::parse(s)
    }
    fn allowed() -> String {
        fields::allowed_list(&RiskLevel::DESCENDING, RiskLevel::name, RiskLevel::name_zh)
    }
}

impl Vocab for HazardGrade {
    const WHAT: &'static str = "hazard grade";
    fn parse_one(s: &str) -> Option<Self> {
        HazardGrade::parse(s)
    }
    fn allowed() -> String {
        "1 (一级), 2 (二级), 3 (三级), 4 (四级)".into()
    }
}

/// Tries the text as written, then with full-width forms, spaces and brackets removed,
/// ASCII letters upper-cased and a generic suffix (企业, 单位, 类) dropped: `中压（a）`
/// is 中压A, `危化品经营企业` is hazchem_trade.
pub(super) fn parse_vocab<T: Vocab>(raw: &str) -> Option<T> {
    if let Some(v) = T::exact(raw).or_else(|| T::parse_one(raw)) {
        return Some(v);
    }
    let compact: String = raw
        .chars()
        .map(fields::half_width)
        .filter(|c| !c.is_whitespace() && !matches!(c, '(' | ')' | '[' | ']' | '【' | '】'))
        .collect();
    let upper = compact.to_ascii_uppercase();
    let mut candidates = vec![compact.clone(), upper.clone()];
    for suffix in ["企业", "单位", "类", "级"] {
        if let Some(s) = upper.strip_suffix(suffix) {
            candidates.push(s.to_string());
        }
    }
    candidates.iter().find_map(|c| T::parse_one(c))
}

pub(super) fn vocab<T: Vocab>(
    cx: &mut FeatureCx<'_>,
    rec: &Record<'_>,
    i: usize,
) -> Result<Option<T>, LoadError> {
    let Some(c) = cell(rec, i) else {
        return Ok(None);
    };
    let Some(t) = c.value.text() else {
        return Ok(None);
    };
    if fields::is_placeholder(&t) {
        return Ok(None);
    }
    match parse_vocab::<T>(&t) {
        Some(v) => Ok(Some(v)),
        None => {
            cx.warn(
                IssueCode::UnknownValue,
                c.column,
                format!(
                    "unknown {} {t:?} in {}; allowed: {}; left empty",
                    T::WHAT,
                    c.column,
                    T::allowed()
                ),
            )?;
            Ok(None)
        }
    }
}

/// A name that should be there: when empty the id stands in, with a warning unless the
/// whole column is missing (then the file-level issue said so once).
pub(super) fn name_or_id(
    cx: &mut FeatureCx<'_>,
    rec: &Record<'_>,
    i: usize,
    label: &str,
) -> Result<String, LoadError> {
    if let Some(n) = text(rec, i) {
        return Ok(n);
    }
    if !cx.absent.get(i).copied().unwrap_or(false) {
        let column = column_name(rec, i, label).to_string();
        cx.warn(
            IssueCode::MissingField,
            &column,
            format!("{label} is empty; the id {:?} is used as the name", cx.id),
        )?;
    }
    Ok(cx.id.to_string())
}
