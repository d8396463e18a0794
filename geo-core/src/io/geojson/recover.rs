//! The second pass over a GeoJSON file the fast pass could not read whole.
//!
//! serde_json stops at the first error, whether a wrong type (coordinates that are a
//! string, properties that are an array) or a literal that is not JSON (`NaN`,
//! `Infinity`, a number such as `1e400` that overflows). Here the text is split by hand:
//! the top-level object into its members and the `features` array into its elements,
//! each element found by matching brackets outside strings. Each element is then parsed
//! on its own, so an error costs that feature only. A break the splitter itself cannot
//! get past (the file cut short, a missing comma between features) keeps the features
//! before it and reports where it is.
//!
//! Valid files never come here: the fast pass reads them in one go, so this costs
//! nothing on them.

use super::{FeatureList, JsonFeature, JsonGeometry, JsonId, Parsed, Props, Top};
use crate::io::features::RawFeature;
use crate::io::report::{IssueCode, Position};

/// Something the second pass left out, for the report.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Broken {
    /// [`IssueCode::BrokenFeature`] or [`IssueCode::BrokenTail`].
    pub code: IssueCode,
    /// The feature's index in the `features` array.
    pub position: Position,
    /// What is wrong, with the line and column in the file.
    pub message: String,
}

/// Where the splitter stopped: a byte offset and what it expected there.
struct Stop(usize, &'static str);

/// Reads a feature collection feature by feature. `None` when the text is not a JSON
/// object with a `features` array the splitter can find: the caller then reports the
/// fast pass's error for the whole file.
pub(super) fn parse(text: &str) -> Option<(Parsed<'_>, Vec<Broken>)> {
    let b = text.as_bytes();
    let mut top = Top::default();
    let mut features = Vec::new();
    let mut broken = Vec::new();
    let mut seen_features = false;
    let mut i = ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    loop {
        i = ws(b, i);
        match b.get(i) {
            Some(b'}') => break,
            Some(b'"') => {}
            // A break in the top-level object after the features were split: keep them.
            _ if seen_features => {
                broken.push(tail(text, i, features.len(), "a member name or '}'"));
                break;
            }
            _ => return None,
        }
        let key_end = value_end(b, i).ok()?;
        let key: String = serde_json::from_str(&text[i..key_end]).ok()?;
        i = ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = ws(b, i + 1);
        if key == "features" {
            seen_features = true;
            match split_features(text, i, &mut features, &mut broken) {
                Ok(end) => i = end,
                Err(Stop(at, expected)) => {
                    broken.push(tail(text, at, features.len() + count(&broken), expected));
                    break;
                }
            }
        } else {
            let end = match value_end(b, i) {
                Ok(end) => end,
                Err(Stop(at, expected)) if seen_features => {
                    broken.push(tail(text, at, features.len() + count(&broken), expected));
                    break;
                }
                Err(_) => return None,
            };
            let v = &text[i..end];
            match key.as_str() {
                "type" => top.kind = serde_json::from_str(v).ok()?,
                "crs" => top.crs = serde_json::from_str(v).ok()?,
                "id" => top.id = serde_json::from_str::<Option<JsonId<'_>>>(v).ok()?,
                "geometry" => {
                    top.geometry = serde_json::from_str::<Option<JsonGeometry>>(v).ok()?
                }
                "properties" => {
                    top.properties = serde_json::from_str::<Option<Props<'_>>>(v).ok()?
                }
                _ => {}
            }
            i = end;
        }
        i = ws(b, i);
        match b.get(i) {
            Some(b',') => i += 1,
            Some(b'}') => break,
            _ if seen_features => {
                broken.push(tail(text, i, features.len() + count(&broken), "',' or '}'"));
                break;
            }
            _ => return None,
        }
    }
    if !seen_features || matches!(top.kind.as_deref(), Some(k) if k != "FeatureCollection") {
        return None;
    }
    // Nothing read before a break: the file is broken as a whole, as the fast pass said.
    if features.is_empty() && count(&broken) == 0 {
        return None;
    }
    top.features = Some(FeatureList(features));
    Some((Parsed::from_top(top, "").ok()?, broken))
}

/// How many features the list of broken ones holds (a tail is not a feature).
fn count(broken: &[Broken]) -> usize {
    broken
        .iter()
        .filter(|b| b.code == IssueCode::BrokenFeature)
        .count()
}

/// Splits the `features` array starting at `i` and parses each element; returns the
/// offset after the closing bracket.
fn split_features<'a>(
    text: &'a str,
    mut i: usize,
    features: &mut Vec<RawFeature<'a>>,
    broken: &mut Vec<Broken>,
) -> Result<usize, Stop> {
    let b = text.as_bytes();
    if b.get(i) != Some(&b'[') {
        return Err(Stop(i, "'[' opening the features array"));
    }
    i = ws(b, i + 1);
    if b.get(i) == Some(&b']') {
        return Ok(i + 1);
    }
    let mut index = 0usize;
    loop {
        let end = value_end(b, i)?;
        let slice = &text[i..end];
        match serde_json::from_str::<JsonFeature<'a>>(slice) {
            Ok(f) => features.push(f.into_raw(index)),
            Err(e) => {
                let (line, column) = locate(text, i, e.line(), e.column());
                broken.push(Broken {
                    code: IssueCode::BrokenFeature,
                    position: Position::Feature(index as u64),
                    message: format!(
                        "feature {index} cannot be read (line {line}, column {column}: {}); \
                         the feature was skipped",
                        strip_location(&e)
                    ),
                });
            }
        }
        index += 1;
        i = ws(b, end);
        match b.get(i) {
            Some(b',') => i = ws(b, i + 1),
            Some(b']') => return Ok(i + 1),
            _ => return Err(Stop(i, "',' or ']' after a feature")),
        }
    }
}

/// The issue for a break the splitter cannot get past.
fn tail(text: &str, at: usize, index: usize, expected: &str) -> Broken {
    let (line, column) = locate(text, at, 1, 1);
    let found = if at >= text.len() {
        "the end of the file (cut short?)".to_string()
    } else {
        let c: String = text[at..].chars().take(12).collect();
        format!("{c:?}")
    };
    Broken {
        code: IssueCode::BrokenTail,
        position: Position::Text {
            line: line as u64,
            column: column as u64,
        },
        message: format!(
            "expected {expected} at line {line}, column {column} but found {found}: \
             the {index} feature(s) before were kept, the rest of the file cannot be read"
        ),
    }
}

/// The error's text without serde_json's own " at line L column C" (relative to the
/// feature, not the file).
fn strip_location(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(k) => s[..k].to_string(),
        None => s,
    }
}

/// Line and column (from 1, columns in bytes as serde_json counts them) in the file of
/// line `l`, column `c` of the slice starting at byte `start`.
fn locate(text: &str, start: usize, l: usize, c: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..start.min(text.len())];
    let line0 = before.iter().filter(|&&x| x == b'\n').count() + 1;
    let col0 = before.len()
        - before
            .iter()
            .rposition(|&x| x == b'\n')
            .map_or(0, |k| k + 1)
        + 1;
    if l <= 1 {
        (line0, col0 + c.saturating_sub(1))
    } else {
        (line0 + l - 1, c)
    }
}

/// Skips JSON whitespace.
fn ws(b: &[u8], mut i: usize) -> usize {
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// The end (exclusive) of the value starting at `i`: a string, an object or array by
/// matching brackets outside strings, or a bare literal up to the next delimiter. No
/// other syntax is checked: the element's own parse does that.
fn value_end(b: &[u8], i: usize) -> Result<usize, Stop> {
    match b.get(i) {
        None => Err(Stop(i, "a value")),
        Some(b'"') => string_end(b, i),
        Some(b'{' | b'[') => {
            // The closers still owed, innermost last; a wrong closer is a break in the
            // structure, not an error inside one value.
            let mut owed: Vec<u8> = Vec::new();
            let mut k = i;
            while k < b.len() {
                match b[k] {
                    b'"' => {
                        k = string_end(b, k)?;
                        continue;
                    }
                    b'{' => owed.push(b'}'),
                    b'[' => owed.push(b']'),
                    c @ (b'}' | b']') => {
                        if owed.pop() != Some(c) {
                            return Err(Stop(k, "a bracket that closes the one opened"));
                        }
                        if owed.is_empty() {
                            return Ok(k + 1);
                        }
                    }
                    _ => {}
                }
                k += 1;
            }
            Err(Stop(b.len(), "the end of a value"))
        }
        Some(_) => {
            let mut k = i;
            while k < b.len() && !matches!(b[k], b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r')
            {
                k += 1;
            }
            Ok(k)
        }
    }
}

/// The end (exclusive) of the string whose opening quote is at `i`.
fn string_end(b: &[u8], i: usize) -> Result<usize, Stop> {
    let mut k = i + 1;
    while k < b.len() {
        match b[k] {
            b'\\' => k += 2,
            b'"' => return Ok(k + 1),
            _ => k += 1,
        }
    }
    Err(Stop(b.len(), "the end of a string"))
}

#[cfg(test)]
mod tests {
    use super::super::parse as parse_file;
    use super::*;
    use crate::io::geom::{GeomInput, RawGeom};

    #[test]
    fn each_broken_feature_costs_itself_only() {
        // One feature a line from line 2 on; feature k is on line k + 2.
        let text = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{"名称":"a"}},
{"type":"Feature","geometry":{"type":"Point","coordinates":"1,2"}},
{"type":"Feature","geometry":{"type":7,"coordinates":[1,2]}},
{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":[1]},
"feature",
{"type":"Feature","geometry":{"type":"Point","coordinates":[NaN,2]}},
{"type":"Feature","geometry":{"type":"Point","coordinates":[-Infinity,2]}},
{"type":"Feature","geometry":{"type":"Point","coordinates":[1e400,2]}},
{"type":"Feature","geometry":{"type":"Point","coordinates":[3,4]},"properties":{"s":"a]}\"{"}}
],"crs":{"type":"name","properties":{"name":"EPSG:4326"}}}"#;
        let p = parse_file(text, "t.geojson").expect("recovered");
        let kept: Vec<Position> = p.features.iter().map(|f| f.position).collect();
        assert_eq!(kept, vec![Position::Feature(0), Position::Feature(8)]);
        assert_eq!(
            p.features[1].geom,
            GeomInput::Geom(RawGeom::Point(geo::Coord { x: 3.0, y: 4.0 }))
        );
        // The members after the array are still read.
        assert_eq!(p.crs.as_deref(), Some("EPSG:4326"));
        let got: Vec<(IssueCode, Position)> =
            p.broken.iter().map(|b| (b.code, b.position)).collect();
        let want: Vec<(IssueCode, Position)> = (1..=7)
            .map(|k| (IssueCode::BrokenFeature, Position::Feature(k)))
            .collect();
        assert_eq!(got, want);
        // Feature 1 is on line 3; its coordinates string `"1,2"` takes columns 60 to
        // 64 (`{"type":"Feature","geometry":{"type":"Point","coordinates":` is 59
        // characters) and serde_json reports the string's last character, column 64.
        assert!(
            p.broken[0].message.contains("line 3, column 64"),
            "{}",
            p.broken[0].message
        );
        assert!(p.broken[0].message.contains("invalid type: string"));
        assert!(
            p.broken[4]
                .message
                .starts_with("feature 5 cannot be read (line 7,")
        );
        assert!(
            p.broken[6].message.contains("out of range"),
            "{}",
            p.broken[6].message
        );
    }

    #[test]
    fn a_file_cut_short_keeps_the_features_before() {
        // Line 3 is `{"type":"Feat` (13 characters): the end of the file is column 14.
        let text = "{\"type\":\"FeatureCollection\",\"features\":[\n{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[1,2]}},\n{\"type\":\"Feat";
        let p = parse_file(text, "t.geojson").expect("recovered");
        assert_eq!(p.features.len(), 1);
        assert_eq!(p.broken.len(), 1);
        assert_eq!(p.broken[0].code, IssueCode::BrokenTail);
        assert_eq!(
            p.broken[0].position,
            Position::Text {
                line: 3,
                column: 14
            }
        );
        assert!(p.broken[0].message.contains("cut short"));
        // Cut before the first feature ends: nothing to keep, the file is broken.
        assert!(parse_file("{\"features\":[{\"type\":", "u.geojson").is_err());
        // Not a feature collection at all.
        assert!(parse_file("[1,2", "v.geojson").is_err());
    }
}
