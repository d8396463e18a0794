//! Numbers and coordinates from cells: placeholders for "no value", units after a
//! number, thousands separators and degrees–minutes–seconds.

use std::borrow::Cow;

use super::Value;
use super::resolve::half_width_str;
use super::specs::Unit;

/// Words used in ledgers for "no value".
pub(crate) fn is_placeholder(t: &str) -> bool {
    matches!(
        t,
        "" | "/"
            | "\\"
            | "-"
            | "--"
            | "—"
            | "——"
            | "无"
            | "暂无"
            | "不详"
            | "未知"
            | "null"
            | "NULL"
            | "None"
            | "none"
            | "N/A"
            | "n/a"
            | "NA"
            | "NaN"
            | "nan"
    )
}

/// Why a value is not a usable number.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NumError {
    /// Not a number at all (the text as written).
    NotANumber(String),
    /// A unit after the number that the field does not accept.
    BadUnit(String),
}

/// Parses a number, accepting full-width digits, thousands separators and a unit the
/// field knows after it (`35.5吨`, `0.4MPa`, `DN200`, `3层`). `Ok(None)` for an empty
/// cell or a placeholder such as `/` or `无` (a NaN of a numeric column too, as the text
/// `NaN` is); an infinite number is not a number.
pub(crate) fn parse_number(v: &Value<'_>, unit: Unit) -> Result<Option<f64>, NumError> {
    match parse_any_number(v, unit)? {
        Some(n) if n.is_nan() => Ok(None),
        Some(n) if n.is_infinite() => Err(NumError::NotANumber(
            v.text()
                .map_or_else(|| n.to_string(), |t| t.trim().to_string()),
        )),
        n => Ok(n),
    }
}

/// [`parse_number`] before NaN and infinities are told apart.
fn parse_any_number(v: &Value<'_>, unit: Unit) -> Result<Option<f64>, NumError> {
    match v {
        Value::Num(n) => Ok(Some(*n)),
        Value::Null => Ok(None),
        Value::Bool(b) => Err(NumError::NotANumber(b.to_string())),
        Value::Json(serde_json::Value::Number(n)) => Ok(n.as_f64()),
        Value::Json(serde_json::Value::String(s)) => parse_number_str(s, unit),
        Value::Json(serde_json::Value::Null) => Ok(None),
        Value::Json(j) => Err(NumError::NotANumber(j.to_string())),
        Value::Str(s) => parse_number_str(s, unit),
    }
}

/// [`parse_number`] for text.
pub(crate) fn parse_number_str(s: &str, unit: Unit) -> Result<Option<f64>, NumError> {
    let t = s.trim();
    if is_placeholder(t) {
        return Ok(None);
    }
    let h = half_width_str(t);
    let mut t = h.trim();
    if unit == Unit::Mm {
        // Gas ledgers give pipe sizes as DN200 (nominal), De110 (PE outer diameter) or
        // Φ219×6 (steel, outer diameter × wall): the first number is the size in mm.
        for p in ["dn", "de", "φ", "Φ", "ф", "ø", "Ø", "d"] {
            if t.len() > p.len() && t.get(..p.len()).is_some_and(|x| x.eq_ignore_ascii_case(p)) {
                t = t[p.len()..].trim_start();
                break;
            }
        }
        if let Some(x) = t.find(['×', '*', 'x', 'X']) {
            t = t[..x].trim_end();
        }
    }
    if unit == Unit::Year {
        // 2005, 2005年, 2005-06-01, 2005.6, 2005/6/1: the year is the first four digits.
        let digits: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
        if digits.len() == 4 {
            return digits
                .parse::<f64>()
                .map(Some)
                .map_err(|_| NumError::NotANumber(s.trim().to_string()));
        }
    }
    let end = t
        .char_indices()
        .find(|&(i, c)| {
            !(c.is_ascii_digit()
                || c == '.'
                || c == ','
                || ((c == '-' || c == '+') && i == 0)
                || ((c == 'e' || c == 'E') && i > 0))
        })
        .map(|(i, _)| i)
        .unwrap_or(t.len());
    let (num, rest) = t.split_at(end);
    // An `e` ends the number if what follows is not an exponent (`3e` is not 3·10⁰).
    let (num, rest) = match num.find(['e', 'E']) {
        Some(i)
            if !num[i + 1..]
                .trim_start_matches(['+', '-'])
                .starts_with(|c: char| c.is_ascii_digit()) =>
        {
            (&num[..i], &t[i..])
        }
        _ => (num, rest),
    };
    let num = strip_thousands(num).ok_or_else(|| NumError::NotANumber(s.trim().to_string()))?;
    let value: f64 = num
        .parse()
        .map_err(|_| NumError::NotANumber(s.trim().to_string()))?;
    let rest = rest.trim();
    let value = if rest.is_empty() {
        value
    } else {
        match unit.scale(rest) {
            Some(scale) => super::specs::scaled(value, scale),
            None => return Err(NumError::BadUnit(s.trim().to_string())),
        }
    };
    // `1e999` overflows to infinity: not a number of any ledger.
    if !value.is_finite() {
        return Err(NumError::NotANumber(s.trim().to_string()));
    }
    Ok(Some(value))
}

/// Removes thousands separators when they are used as such (`1,234,567`); a comma
/// anywhere else makes the text not a number.
fn strip_thousands(num: &str) -> Option<Cow<'_, str>> {
    if !num.contains(',') {
        return Some(Cow::Borrowed(num));
    }
    let int_part = num.split('.').next().unwrap_or("");
    let groups: Vec<&str> = int_part.trim_start_matches(['-', '+']).split(',').collect();
    let ok = groups.first().is_some_and(|g| (1..=3).contains(&g.len()))
        && groups[1..].iter().all(|g| g.len() == 3);
    ok.then(|| Cow::Owned(num.replace(',', "")))
}

/// Parses a longitude or latitude, as a number or in degrees–minutes–seconds
/// (`121°20'30.5"`, `121度20分30.5秒`, `E121°20.5'`, `北纬31°53′`).
pub(crate) fn parse_coordinate(v: &Value<'_>) -> Result<Option<f64>, NumError> {
    match parse_number(v, Unit::Plain) {
        Ok(x) => Ok(x),
        Err(e) => match v.text() {
            Some(t) => parse_dms(&t).map(Some).ok_or(e),
            None => Err(e),
        },
    }
}

fn parse_dms(s: &str) -> Option<f64> {
    let h = half_width_str(s);
    let mut t = h.trim();
    let mut sign = 1.0;
    for (p, sg) in [
        ("东经", 1.0),
        ("北纬", 1.0),
        ("西经", -1.0),
        ("南纬", -1.0),
        ("E", 1.0),
        ("N", 1.0),
        ("W", -1.0),
        ("S", -1.0),
    ] {
        if let Some(r) = t.strip_prefix(p) {
            t = r.trim_start();
            sign = sg;
            break;
        }
        if let Some(r) = t.strip_suffix(p) {
            t = r.trim_end();
            sign = sg;
            break;
        }
    }
    let parts: Vec<&str> = t
        .split(|c: char| {
            matches!(
                c,
                '°' | '\'' | '"' | '′' | '″' | '’' | '”' | '度' | '分' | '秒' | ':' | ' '
            )
        })
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    let mut value = 0.0;
    for (i, p) in parts.iter().enumerate() {
        let x: f64 = p.parse().ok()?;
        if i > 0 && !(0.0..60.0).contains(&x) {
            return None;
        }
        value += x / [1.0, 60.0, 3600.0][i];
    }
    Some(sign * value)
}
