//! A feature collection read a part at a time.
//!
//! [`super::parse`] gives the whole `features` array at once: for a million houses that
//! is half a gigabyte of raw features beside the file's text and the typed features they
//! become. Here the one-pass reader hands every [`PART`] features to the caller as it
//! reads them, so only one part of raw features is held at a time. The text is read
//! once, in file order, by the same deserialisers; only the holding differs.
//!
//! The coordinates of a part are read in the coordinate system named so far: a legacy
//! `crs` member *before* the array (where GDAL and most writers put it), or none. When
//! the file names a different one after its features, the caller reads the file again
//! whole ([`Streamed::Parts`] says both). A file the one pass cannot read (broken
//! features, not a collection) comes back as [`Streamed::Whole`], read by
//! [`super::parse`] as before; the caller drops the parts it was given.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{CowStr, JsonFeature, JsonGeometry, JsonId, Parsed, Props, Top, legacy_crs_name};
use crate::io::LoadError;
use crate::io::features::{PART, RawFeature};

/// What the caller does with each part: given the legacy `crs` member's name as read
/// before the features (if any) and the part's raw features, in file order.
pub(crate) type OnPart<'f, 'a> =
    dyn FnMut(Option<&str>, Vec<RawFeature<'a>>) -> Result<(), LoadError> + 'f;

/// How a streamed read ended.
pub(crate) enum Streamed<'a> {
    /// Every feature was handed out in parts (none, for an empty array).
    Parts {
        /// The legacy `crs` member's name when the file ended.
        crs: Option<String>,
        /// Its name when the features began: the one the parts were given.
        crs_before: Option<String>,
    },
    /// Read whole by [`super::parse`]: a single feature, or a file the one pass could not
    /// read. Parts handed out before are void.
    Whole(Parsed<'a>),
}

/// Reads `text`, handing its features to `on_part` a part at a time. An error from
/// `on_part` ends the read and is returned as it is.
pub(crate) fn parse_in_parts<'a>(
    text: &'a str,
    file: &str,
    on_part: &mut OnPart<'_, 'a>,
) -> Result<Streamed<'a>, LoadError> {
    let mut stopped = None;
    let mut de = serde_json::Deserializer::from_str(text);
    let read = TopSeed {
        on_part,
        stopped: &mut stopped,
    }
    .deserialize(&mut de)
    .and_then(|top| de.end().map(|()| top));
    if let Some(e) = stopped {
        return Err(e);
    }
    match read {
        Ok(r) if !r.had_features => Parsed::from_top(r.top, file).map(Streamed::Whole),
        Ok(r) if matches!(r.top.kind.as_deref(), None | Some("FeatureCollection")) => {
            Ok(Streamed::Parts {
                crs: r.top.crs.as_ref().and_then(legacy_crs_name),
                crs_before: r.crs_before,
            })
        }
        // A `features` array in an object of another type, or a text the one pass
        // cannot read: read whole, as before, so that what is kept and what is told is
        // the whole-file reader's, to the word (a broken file pays its one pass twice).
        Ok(_) | Err(_) => super::parse(text, file).map(Streamed::Whole),
    }
}

/// The top-level object, its `features` array handed out rather than kept.
struct TopRead<'a> {
    top: Top<'a>,
    had_features: bool,
    crs_before: Option<String>,
}

struct TopSeed<'f, 'p, 'a> {
    on_part: &'f mut OnPart<'p, 'a>,
    stopped: &'f mut Option<LoadError>,
}

impl<'a> DeserializeSeed<'a> for TopSeed<'_, '_, 'a> {
    type Value = TopRead<'a>;

    fn deserialize<D: Deserializer<'a>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'a> Visitor<'a> for TopSeed<'_, '_, 'a> {
    type Value = TopRead<'a>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a GeoJSON object")
    }

    fn visit_map<A: MapAccess<'a>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut top = Top::default();
        let mut had_features = false;
        let mut crs_before = None;
        while let Some(CowStr(k)) = map.next_key::<CowStr<'a>>()? {
            match k.as_ref() {
                "type" => top.kind = map.next_value()?,
                "crs" => top.crs = map.next_value()?,
                "id" => top.id = map.next_value::<Option<JsonId<'a>>>()?,
                "geometry" => top.geometry = map.next_value::<Option<JsonGeometry>>()?,
                "properties" => top.properties = map.next_value::<Option<Props<'a>>>()?,
                "features" => {
                    // A second array: the one pass of `super::parse` refuses it too.
                    if had_features {
                        return Err(de::Error::duplicate_field("features"));
                    }
                    had_features = true;
                    crs_before = top.crs.as_ref().and_then(legacy_crs_name);
                    map.next_value_seed(PartsSeed {
                        crs: crs_before.as_deref(),
                        on_part: &mut *self.on_part,
                        stopped: &mut *self.stopped,
                    })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(TopRead {
            top,
            had_features,
            crs_before,
        })
    }
}

/// The `features` array, handed out a part at a time.
struct PartsSeed<'f, 'p, 'a> {
    crs: Option<&'f str>,
    on_part: &'f mut OnPart<'p, 'a>,
    stopped: &'f mut Option<LoadError>,
}

impl<'a> DeserializeSeed<'a> for PartsSeed<'_, '_, 'a> {
    type Value = ();

    fn deserialize<D: Deserializer<'a>>(self, d: D) -> Result<(), D::Error> {
        // `"features": null` is no features, as the one pass of `super::parse` reads it.
        d.deserialize_option(self)
    }
}

impl<'a> Visitor<'a> for PartsSeed<'_, '_, 'a> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of features")
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_some<D: Deserializer<'a>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'a>>(mut self, mut seq: A) -> Result<(), A::Error> {
        let mut part = Vec::with_capacity(PART);
        let mut index = 0usize;
        while let Some(f) = seq.next_element::<JsonFeature<'a>>()? {
            part.push(f.into_raw(index));
            index += 1;
            if part.len() == PART {
                self.hand(std::mem::replace(&mut part, Vec::with_capacity(PART)))?;
            }
        }
        if !part.is_empty() {
            self.hand(part)?;
        }
        Ok(())
    }
}

impl<'a> PartsSeed<'_, '_, 'a> {
    /// Hands a part on; an error of its reader is kept for the caller and ends the read.
    fn hand<E: de::Error>(&mut self, part: Vec<RawFeature<'a>>) -> Result<(), E> {
        (self.on_part)(self.crs, part).map_err(|e| {
            *self.stopped = Some(e);
            de::Error::custom("stopped by the reader of its parts")
        })
    }
}

/// About how many features the whole text holds, from the first part: its count scaled
/// by the share of the text it took, which the last property name it borrows from the
/// text shows. For a capacity only; `None` when the part borrows no name.
pub(crate) fn features_in(text: &str, first: &[RawFeature<'_>]) -> Option<usize> {
    let start = text.as_ptr() as usize;
    let read = first.iter().rev().find_map(|f| {
        f.props.iter().rev().find_map(|(k, _)| match k {
            std::borrow::Cow::Borrowed(k) => {
                let at = (k.as_ptr() as usize).checked_sub(start)?;
                (at > 0 && at < text.len()).then_some(at)
            }
            std::borrow::Cow::Owned(_) => None,
        })
    })?;
    let n = first.len() as u128 * text.len() as u128 / read as u128;
    usize::try_from(n).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::report::{IssueCode, Position};

    /// A collection of `n` points, feature k at (k, −k) with id "f{k}", and `crs` (a
    /// member's text) before or after the array.
    fn points(n: usize, crs: Option<&str>, crs_after: bool) -> String {
        let mut s = String::from("{\"type\":\"FeatureCollection\",");
        if let (Some(c), false) = (crs, crs_after) {
            s += &format!("\"crs\":{c},");
        }
        s += "\"features\":[";
        for k in 0..n {
            if k > 0 {
                s.push_str(",\n");
            }
            s += &format!(
                "{{\"type\":\"Feature\",\"id\":\"f{k}\",\"geometry\":{{\"type\":\"Point\",\"coordinates\":[{k},-{k}]}},\"properties\":{{\"名称\":\"n{k}\"}}}}"
            );
        }
        s.push(']');
        if let (Some(c), true) = (crs, crs_after) {
            s += &format!(",\"crs\":{c}");
        }
        s.push('}');
        s
    }

    const GK: &str = r#"{"type":"name","properties":{"name":"EPSG:4549"}}"#;

    /// The parts' sizes and their features, read with `crs` as the parts saw it.
    fn read(
        text: &str,
    ) -> (
        Streamed<'_>,
        Vec<usize>,
        Vec<RawFeature<'_>>,
        Vec<Option<String>>,
    ) {
        let (mut sizes, mut all, mut seen) = (Vec::new(), Vec::new(), Vec::new());
        let s = parse_in_parts(text, "t.geojson", &mut |crs, part| {
            sizes.push(part.len());
            seen.push(crs.map(str::to_string));
            all.extend(part);
            Ok(())
        })
        .expect("reads");
        (s, sizes, all, seen)
    }

    #[test]
    fn parts_hold_every_feature_once_in_file_order() {
        let n = 2 * PART + 7;
        let text = points(n, Some(GK), false);
        let (s, sizes, all, seen) = read(&text);
        assert_eq!(sizes, vec![PART, PART, 7]);
        assert!(seen.iter().all(|c| c.as_deref() == Some("EPSG:4549")));
        assert!(matches!(
            s,
            Streamed::Parts { crs: Some(ref a), crs_before: Some(ref b) } if a == "EPSG:4549" && b == a
        ));
        // The same features, field for field, as the whole file read at once.
        let whole = super::super::parse(&text, "t.geojson").expect("parses");
        assert_eq!(all.len(), whole.features.len());
        for (a, b) in all.iter().zip(&whole.features) {
            assert_eq!(
                (&a.position, &a.id, &a.geom, &a.props),
                (&b.position, &b.id, &b.geom, &b.props)
            );
        }
        assert_eq!(all[n - 1].position, Position::Feature(n as u64 - 1));
        assert_eq!(
            all[n - 1].id.as_deref(),
            Some(format!("f{}", n - 1).as_str())
        );
        // The first part's share of the text tells the whole count within a few per cent.
        let est = features_in(&text, &all[..PART]).expect("estimate");
        assert!(est.abs_diff(n) * 50 < n, "{est} for {n}");
    }

    #[test]
    fn a_crs_after_the_features_is_told_apart_from_the_one_before() {
        let text = points(3, Some(GK), true);
        let (s, sizes, _, seen) = read(&text);
        assert_eq!(sizes, vec![3]);
        assert_eq!(seen, vec![None]);
        assert!(matches!(
            s,
            Streamed::Parts { crs: Some(ref a), crs_before: None } if a == "EPSG:4549"
        ));
        // No features at all (an empty array, or null as the one pass reads it): no
        // part, and still a collection.
        for empty in [
            r#"{"type":"FeatureCollection","features":[]}"#,
            r#"{"type":"FeatureCollection","features":null}"#,
        ] {
            let (s, sizes, _, _) = read(empty);
            assert!(sizes.is_empty());
            assert!(matches!(
                s,
                Streamed::Parts {
                    crs: None,
                    crs_before: None
                }
            ));
            assert!(super::super::parse(empty, "t.geojson").is_ok_and(|p| p.features.is_empty()));
        }
    }

    #[test]
    fn what_one_pass_cannot_read_comes_back_whole() {
        // Feature 1 has coordinates that are a string: the recovering reader keeps 0 and 2.
        let text = r#"{"type":"FeatureCollection","features":[
{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]}},
{"type":"Feature","geometry":{"type":"Point","coordinates":"1,2"}},
{"type":"Feature","geometry":{"type":"Point","coordinates":[3,4]}}]}"#;
        let (s, _, _, _) = read(text);
        let Streamed::Whole(p) = s else {
            panic!("not whole")
        };
        let kept: Vec<Position> = p.features.iter().map(|f| f.position).collect();
        assert_eq!(kept, vec![Position::Feature(0), Position::Feature(2)]);
        assert_eq!(p.broken.len(), 1);
        assert_eq!(p.broken[0].code, IssueCode::BrokenFeature);
        // A single feature is read whole, as before.
        let (s, sizes, _, _) =
            read(r#"{"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[1,2]}}"#);
        assert!(sizes.is_empty());
        assert!(matches!(s, Streamed::Whole(p) if p.features.len() == 1));
    }

    #[test]
    fn what_is_not_a_collection_is_told_as_the_whole_file_reader_tells_it() {
        for text in [
            "[]",
            "[1,2",
            r#"{"type":"Polygon","coordinates":[]}"#,
            "{\"features\":[{]}",
        ] {
            let whole = super::super::parse(text, "t.geojson")
                .err()
                .map(|e| e.to_string());
            let parts = parse_in_parts(text, "t.geojson", &mut |_, _| Ok(()))
                .err()
                .map(|e| e.to_string());
            assert!(whole.is_some(), "{text}");
            assert_eq!(parts, whole, "{text}");
        }
    }

    #[test]
    fn an_error_of_the_parts_reader_ends_the_read() {
        let text = points(PART + 1, None, false);
        let mut calls = 0;
        let r = parse_in_parts(&text, "t.geojson", &mut |_, _| {
            calls += 1;
            Err(LoadError::NotGeoJson {
                file: "t.geojson".into(),
                message: "stop".into(),
            })
        });
        assert!(matches!(r, Err(LoadError::NotGeoJson { message, .. }) if message == "stop"));
        assert_eq!(calls, 1);
    }
}
