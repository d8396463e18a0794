//! A feature collection read from its file a part at a time, without the whole text.
//!
//! [`super::parse_in_parts`] reads the features a part at a time but needs the file's
//! whole text beside them: 391 MB for the million-house city, the largest thing held
//! while it loads. Here the file is read in blocks and only split: a scan of its JSON
//! structure finds each element of the top-level `features` array and copies the text
//! of [`PART`] of them into a part of its own. The caller parses a part's features
//! (on every core: each element is a JSON text of its own, see
//! [`super::part_features`]) and lets the text go before the next part.
//!
//! The scan only cuts; what a feature says is read by the same deserialisers as
//! before. Only the plain case is taken: an object whose `features` member is an array
//! of objects, in UTF-8. A UTF-8 byte-order mark in front (which Windows tools write)
//! is dropped, as the whole-file reader drops it. Anything else — another encoding, a
//! single feature, `"features": null`, a text broken anywhere — comes back as
//! [`StreamEnd::Whole`], and the caller reads the file whole as before, so that what is
//! kept and what is told are the whole-file reader's to the word. The other top-level
//! members (`type`, a legacy `crs`) are kept in a small text with the array replaced by
//! `null`, and read by [`super::parse_in_parts`] itself: once when the array begins (the
//! system named before it, which the parts are read in) and once at the end.

use std::io::Read;
use std::path::Path;

use super::{Streamed, parse_in_parts};
use crate::io::LoadError;
use crate::io::features::PART;

/// The text of some features of the array, each element a JSON text of its own.
pub(crate) struct TextPart {
    /// The legacy `crs` member's name as read before the features (if any).
    pub crs: Option<String>,
    /// The elements, with what separated them.
    pub text: String,
    /// Where each element is in `text`, in file order.
    pub spans: Vec<(usize, usize)>,
    /// The index in the array of the first.
    pub first: usize,
    /// Bytes of the file up to the part's end.
    pub read: u64,
}

/// How a streamed read ended.
pub(crate) enum StreamEnd {
    /// Every feature was handed out in parts (none, for an empty array).
    Parts {
        /// The legacy `crs` member's name when the file ended.
        crs: Option<String>,
        /// Its name when the features began: the one the parts were given.
        crs_before: Option<String>,
        /// The file began with a UTF-8 byte-order mark (dropped).
        bom: bool,
    },
    /// Not the plain case: read the file whole. Parts handed out before are void.
    Whole,
}

/// The blocks the file is read in.
const BLOCK: usize = 1 << 22;

/// Reads the file at `path` (named `file` in messages), handing its features' text to
/// `on_part` a part at a time. An error from `on_part` ends the read and is returned as
/// it is; so is a failed read of the file.
pub(crate) fn stream_parts(
    path: &Path,
    file: &str,
    on_part: &mut dyn FnMut(TextPart) -> Result<(), LoadError>,
) -> Result<StreamEnd, LoadError> {
    stream_in_blocks(path, file, BLOCK, on_part)
}

/// [`stream_parts`] with blocks of `block` bytes.
fn stream_in_blocks(
    path: &Path,
    file: &str,
    block: usize,
    on_part: &mut dyn FnMut(TextPart) -> Result<(), LoadError>,
) -> Result<StreamEnd, LoadError> {
    let io_err = |source| LoadError::Io {
        file: file.to_string(),
        source,
    };
    let mut f = std::fs::File::open(path).map_err(io_err)?;
    let mut scan = Scan::new(file);
    // A UTF-8 byte-order mark is dropped; the first bytes are scanned when they are not one.
    let mut head = [0u8; 3];
    let mut got = 0;
    while got < head.len() {
        match f.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_err(e)),
        }
    }
    scan.read = got as u64;
    scan.bom = head[..got] == *b"\xEF\xBB\xBF";
    if !scan.bom {
        match scan.block(&head[..got], on_part)? {
            Step::Go => {}
            Step::Whole => return Ok(StreamEnd::Whole),
        }
    }
    let mut block = vec![0u8; block.max(1)];
    loop {
        let n = match f.read(&mut block) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_err(e)),
        };
        scan.read += n as u64;
        match scan.block(&block[..n], on_part)? {
            Step::Go => {}
            Step::Whole => return Ok(StreamEnd::Whole),
        }
    }
    Ok(scan.finish())
}

/// What the scan does next.
enum Step {
    Go,
    Whole,
}

/// Where the scan is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// In the top-level object (or before it), outside the array.
    Outer,
    /// After the `features` key's colon.
    FeaturesValue,
    /// In the array, before an element.
    Before,
    /// In an element.
    Element,
    /// In the array, after an element.
    After,
    /// After the top-level object.
    End,
}

struct Scan<'f> {
    file: &'f str,
    mode: Mode,
    /// Bytes of the file read so far.
    read: u64,
    /// The top-level text, with `null` for the array.
    outer: Vec<u8>,
    /// Nesting in the top-level text (1 inside the object).
    depth: u32,
    in_string: bool,
    escaped: bool,
    /// At depth 1, the next string is a member's name.
    expect_key: bool,
    in_key: bool,
    key: Vec<u8>,
    /// The member whose value comes next is `features`.
    features_next: bool,
    had_features: bool,
    crs_before: Option<String>,
    /// The part being made, its elements and the index of its first.
    part: Vec<u8>,
    spans: Vec<(usize, usize)>,
    first: usize,
    /// Where the current element starts in `part`, and how many of its braces are open.
    start: usize,
    nesting: u32,
    /// In the array, after a comma: an element must come.
    after_comma: bool,
    /// The file began with a UTF-8 byte-order mark.
    bom: bool,
}

const fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

impl<'f> Scan<'f> {
    fn new(file: &'f str) -> Self {
        Scan {
            file,
            mode: Mode::Outer,
            read: 0,
            outer: Vec::new(),
            depth: 0,
            in_string: false,
            escaped: false,
            expect_key: false,
            in_key: false,
            key: Vec::new(),
            features_next: false,
            had_features: false,
            crs_before: None,
            part: Vec::new(),
            spans: Vec::new(),
            first: 0,
            start: 0,
            nesting: 0,
            after_comma: false,
            bom: false,
        }
    }

    /// Scans one block. The bytes of the array from `seg` on belong to the part and are
    /// copied to it in runs, not one at a time.
    fn block(
        &mut self,
        b: &[u8],
        on_part: &mut dyn FnMut(TextPart) -> Result<(), LoadError>,
    ) -> Result<Step, LoadError> {
        let in_array = |m: Mode| matches!(m, Mode::Before | Mode::Element | Mode::After);
        let mut seg = 0usize;
        let mut i = 0usize;
        while i < b.len() {
            let c = b[i];
            match self.mode {
                Mode::Outer => {
                    if !self.outer_byte(c) {
                        return Ok(Step::Whole);
                    }
                }
                Mode::End => {
                    if !is_space(c) {
                        return Ok(Step::Whole);
                    }
                }
                Mode::FeaturesValue => {
                    if c == b'[' {
                        if self.had_features {
                            return Ok(Step::Whole);
                        }
                        self.had_features = true;
                        // The system named before the array, read by the reader of the
                        // top-level object from its text so far.
                        self.outer.extend_from_slice(b"null");
                        let mut so_far = self.outer.clone();
                        so_far.push(b'}');
                        match self.top_level(so_far) {
                            Some((_, before)) => self.crs_before = before,
                            None => return Ok(Step::Whole),
                        }
                        self.mode = Mode::Before;
                        self.after_comma = false;
                        seg = i + 1;
                    } else if is_space(c) {
                        self.outer.push(c);
                    } else {
                        return Ok(Step::Whole);
                    }
                }
                Mode::Before => match c {
                    b'{' => {
                        self.start = self.part.len() + (i - seg);
                        self.nesting = 1;
                        self.in_string = false;
                        self.escaped = false;
                        self.after_comma = false;
                        self.mode = Mode::Element;
                    }
                    b']' if !self.after_comma => {
                        if !self.end_array(b, &mut seg, i, on_part)? {
                            return Ok(Step::Whole);
                        }
                    }
                    c if is_space(c) => {}
                    _ => return Ok(Step::Whole),
                },
                Mode::After => match c {
                    b',' => {
                        self.after_comma = true;
                        self.mode = Mode::Before;
                    }
                    b']' => {
                        if !self.end_array(b, &mut seg, i, on_part)? {
                            return Ok(Step::Whole);
                        }
                    }
                    c if is_space(c) => {}
                    _ => return Ok(Step::Whole),
                },
                Mode::Element => {
                    // The element's end, found by the fast run below.
                    if let Some(end) = self.element_run(&b[i..]) {
                        i += end;
                        let at = self.part.len() + (i - seg) + 1;
                        self.spans.push((self.start, at));
                        self.mode = Mode::After;
                        if self.spans.len() == PART {
                            self.part.extend_from_slice(&b[seg..=i]);
                            seg = i + 1;
                            if !self.hand(self.offset(b, i), on_part)? {
                                return Ok(Step::Whole);
                            }
                        }
                    } else {
                        i = b.len();
                        continue;
                    }
                }
            }
            i += 1;
        }
        if in_array(self.mode) {
            self.part.extend_from_slice(&b[seg..]);
        }
        Ok(Step::Go)
    }

    /// Scans an element's bytes; the offset of its closing brace in `b`, if it is there.
    fn element_run(&mut self, b: &[u8]) -> Option<usize> {
        let mut i = 0;
        while i < b.len() {
            if self.in_string {
                // Straight to the next quote or backslash.
                if self.escaped {
                    self.escaped = false;
                    i += 1;
                    continue;
                }
                match memchr::memchr2(b'"', b'\\', &b[i..]) {
                    None => return None,
                    Some(j) => {
                        i += j;
                        if b[i] == b'\\' {
                            self.escaped = true;
                        } else {
                            self.in_string = false;
                        }
                    }
                }
            } else {
                // Braces alone are counted: in JSON that is valid they pair as objects
                // do, and an element cut wrong from a text that is not is refused by
                // its reader (the file is then read whole).
                let j = memchr::memchr3(b'"', b'{', b'}', &b[i..])?;
                i += j;
                match b[i] {
                    b'"' => self.in_string = true,
                    b'{' => self.nesting += 1,
                    _ => {
                        self.nesting -= 1;
                        if self.nesting == 0 {
                            return Some(i);
                        }
                    }
                }
            }
            i += 1;
        }
        None
    }

    /// One byte of the top-level text; false when it is not the plain case.
    fn outer_byte(&mut self, c: u8) -> bool {
        // Before the object: white space, then its brace.
        if self.depth == 0 && c != b'{' {
            return is_space(c);
        }
        self.outer.push(c);
        if self.in_string {
            if self.escaped {
                self.escaped = false;
                if self.in_key {
                    self.key.push(c);
                }
            } else if c == b'\\' {
                self.escaped = true;
                if self.in_key {
                    self.key.push(c);
                }
            } else if c == b'"' {
                self.in_string = false;
                if self.in_key {
                    self.in_key = false;
                    self.features_next = self.key == b"features";
                }
            } else if self.in_key {
                self.key.push(c);
            }
            return true;
        }
        match c {
            b'"' => {
                self.in_string = true;
                if self.depth == 1 && self.expect_key {
                    self.in_key = true;
                    self.expect_key = false;
                    self.key.clear();
                }
            }
            b'{' | b'[' => {
                self.depth += 1;
                if self.depth == 1 {
                    self.expect_key = true;
                }
            }
            b'}' | b']' => {
                let Some(d) = self.depth.checked_sub(1) else {
                    return false;
                };
                self.depth = d;
                if d == 0 {
                    self.mode = Mode::End;
                }
            }
            b':' if self.depth == 1 && self.features_next => {
                self.features_next = false;
                self.mode = Mode::FeaturesValue;
            }
            b':' => self.features_next = false,
            b',' if self.depth == 1 => self.expect_key = true,
            _ => {}
        }
        true
    }

    /// The array's closing bracket at `b[i]`: the last part handed out, back to the
    /// top-level text. False when the part is not UTF-8.
    fn end_array(
        &mut self,
        b: &[u8],
        seg: &mut usize,
        i: usize,
        on_part: &mut dyn FnMut(TextPart) -> Result<(), LoadError>,
    ) -> Result<bool, LoadError> {
        self.part.extend_from_slice(&b[*seg..i]);
        *seg = i + 1;
        if !self.spans.is_empty() && !self.hand(self.offset(b, i), on_part)? {
            return Ok(false);
        }
        self.part = Vec::new();
        self.mode = Mode::Outer;
        self.in_string = false;
        self.escaped = false;
        Ok(true)
    }

    /// Bytes of the file up to and with `b[i]`, `b` being the last block read.
    fn offset(&self, b: &[u8], i: usize) -> u64 {
        self.read - (b.len() - i - 1) as u64
    }

    /// Hands the part made so far, which ends `read` bytes into the file, on; false when
    /// its text is not UTF-8 (the whole-file reader then detects the file's encoding).
    fn hand(
        &mut self,
        read: u64,
        on_part: &mut dyn FnMut(TextPart) -> Result<(), LoadError>,
    ) -> Result<bool, LoadError> {
        // The next part is about as long as this one.
        let next = Vec::with_capacity(self.part.len() + self.part.len() / 8);
        let bytes = std::mem::replace(&mut self.part, next);
        let spans = std::mem::replace(&mut self.spans, Vec::with_capacity(PART));
        let n = spans.len();
        let Ok(text) = String::from_utf8(bytes) else {
            return Ok(false);
        };
        on_part(TextPart {
            crs: self.crs_before.clone(),
            text,
            spans,
            first: self.first,
            read,
        })?;
        self.first += n;
        Ok(true)
    }

    /// The top-level object's `crs` names (at the end, before the array) as
    /// [`super::parse_in_parts`] reads them from `text`, if it reads it as a feature
    /// collection.
    fn top_level(&self, text: Vec<u8>) -> Option<(Option<String>, Option<String>)> {
        let text = String::from_utf8(text).ok()?;
        let mut no_parts = |_: Option<&str>, _| {
            Err(LoadError::NotGeoJson {
                file: self.file.to_string(),
                message: "features outside the array".into(),
            })
        };
        match parse_in_parts(&text, self.file, &mut no_parts) {
            Ok(Streamed::Parts { crs, crs_before }) => Some((crs, crs_before)),
            _ => None,
        }
    }

    /// How the read ended, once the file is read.
    fn finish(mut self) -> StreamEnd {
        if self.mode != Mode::End || !self.had_features {
            return StreamEnd::Whole;
        }
        let outer = std::mem::take(&mut self.outer);
        match self.top_level(outer) {
            Some((crs, before)) if before == self.crs_before => StreamEnd::Parts {
                crs,
                crs_before: before,
                bom: self.bom,
            },
            _ => StreamEnd::Whole,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// The parts of `text` read in blocks of `block` bytes, and how the read ended.
    fn read(text: &[u8], block: usize) -> (Vec<TextPart>, StreamEnd) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.geojson");
        std::fs::write(&path, text).unwrap();
        let mut parts = Vec::new();
        let end = stream_in_blocks(&path, "f.geojson", block, &mut |p| {
            parts.push(p);
            Ok(())
        })
        .unwrap();
        (parts, end)
    }

    /// Every element the parts hold, parsed by serde_json, with its index.
    fn elements(parts: &[TextPart]) -> Vec<(usize, Value)> {
        parts
            .iter()
            .flat_map(|p| {
                p.spans
                    .iter()
                    .enumerate()
                    .map(|(i, &(a, b))| (p.first + i, serde_json::from_str(&p.text[a..b]).unwrap()))
            })
            .collect()
    }

    /// Features whose strings hold quotes, backslashes, brackets and CJK text, and
    /// whose geometries nest arrays, in the layout given.
    fn tricky(n: usize, sep: &str) -> String {
        let fs: Vec<String> = (0..n)
            .map(|k| {
                format!(
                    r#"{{"type":"Feature","id":"f{k}","properties":{{"名称":"房屋{k}","note":"a \"q\" {{[}}] \\","quote":"b\"}}","x":[{k},{{"y":null}}]}},"geometry":{{"type":"Polygon","coordinates":[[[{k},0],[1,0],[1,1],[{k},0]]]}}}}"#
                )
            })
            .collect();
        format!(
            r#"{{"type":"FeatureCollection","name":"t",{sep}"features":{sep}[{sep}{}{sep}]{sep},"x":{{"features":[1]}}}}{sep}"#,
            fs.join(&format!(",{sep}"))
        )
    }

    #[test]
    fn every_element_in_file_order_whatever_the_blocks() {
        for sep in ["", " \n\t\r "] {
            let text = tricky(9, sep);
            let whole: Value = serde_json::from_str(&text).unwrap();
            let want: Vec<(usize, Value)> = whole["features"]
                .as_array()
                .unwrap()
                .iter()
                .cloned()
                .enumerate()
                .collect();
            // The same with a UTF-8 byte-order mark in front, which is dropped.
            let mut with_bom = b"\xEF\xBB\xBF".to_vec();
            with_bom.extend_from_slice(text.as_bytes());
            for (bytes, bom) in [(text.as_bytes(), false), (&with_bom[..], true)] {
                for block in [1, 2, 3, 5, 7, 64, 4096] {
                    let (parts, end) = read(bytes, block);
                    assert_eq!(elements(&parts), want, "blocks of {block}, {sep:?}, {bom}");
                    assert!(
                        matches!(
                            end,
                            StreamEnd::Parts {
                                crs: None,
                                crs_before: None,
                                bom: b
                            } if b == bom
                        ),
                        "blocks of {block}, {bom}"
                    );
                }
            }
        }
    }

    #[test]
    fn parts_of_part_features_each_and_the_file_offsets_they_end_at() {
        let n = PART + 3;
        let text = tricky(n, "\n");
        let (parts, _) = read(text.as_bytes(), 4093);
        assert_eq!(
            parts.iter().map(|p| p.spans.len()).collect::<Vec<_>>(),
            [PART, 3]
        );
        assert_eq!(parts[1].first, PART);
        // The first part ends with the closing brace of feature PART - 1.
        let end = format!("[{},0]]]}}}}", PART - 1);
        let at = usize::try_from(parts[0].read).unwrap();
        assert!(text[..at].ends_with(&end), "{}", &text[at - 40..at]);
        let whole: Value = serde_json::from_str(&text).unwrap();
        let got = elements(&parts);
        assert_eq!(got.len(), n);
        assert_eq!(got[PART].1, whole["features"][PART]);
    }

    #[test]
    fn the_crs_before_the_array_goes_with_the_parts_and_the_last_one_is_told() {
        let crs =
            |name: &str| format!(r#""crs":{{"type":"name","properties":{{"name":"{name}"}}}}"#);
        let f = r#"{"type":"Feature","properties":{},"geometry":null}"#;
        let before = format!(
            r#"{{"type":"FeatureCollection",{},"features":[{f},{f}]}}"#,
            crs("EPSG:4549")
        );
        let (parts, end) = read(before.as_bytes(), 5);
        assert_eq!(parts[0].crs.as_deref(), Some("EPSG:4549"));
        let StreamEnd::Parts {
            crs: c, crs_before, ..
        } = end
        else {
            panic!("read whole");
        };
        assert_eq!(
            (c.as_deref(), crs_before.as_deref()),
            (Some("EPSG:4549"), Some("EPSG:4549"))
        );
        let after = format!(
            r#"{{"type":"FeatureCollection","features":[{f}],{}}}"#,
            crs("EPSG:4548")
        );
        let (parts, end) = read(after.as_bytes(), 3);
        assert_eq!(parts[0].crs, None);
        let StreamEnd::Parts {
            crs: c, crs_before, ..
        } = end
        else {
            panic!("read whole");
        };
        assert_eq!((c.as_deref(), crs_before), (Some("EPSG:4548"), None));
    }

    #[test]
    fn what_is_not_the_plain_case_is_read_whole() {
        let f = r#"{"type":"Feature","properties":{"a":1},"geometry":null}"#;
        let plain = format!(r#"{{"type":"FeatureCollection","features":[{f}]}}"#);
        assert!(matches!(
            read(plain.as_bytes(), 7).1,
            StreamEnd::Parts { .. }
        ));
        let gbk = plain
            .replace(r#""a":1"#, "\"a\":\"\u{fffd}\"")
            .replace('\u{fffd}', "\u{1}");
        let mut not_utf8 = gbk.into_bytes();
        let at = not_utf8.iter().position(|&b| b == 1).unwrap();
        not_utf8[at] = 0xB7;
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("a UTF-16 byte-order mark", b"\xFF\xFE{".to_vec()),
            (
                "a UTF-8 byte-order mark before bytes that are not UTF-8",
                [&b"\xEF\xBB\xBF"[..], &not_utf8].concat(),
            ),
            ("bytes that are not UTF-8", not_utf8),
            ("a single feature", f.as_bytes().to_vec()),
            ("an array", format!("[{f}]").into_bytes()),
            ("no features", br#"{"type":"FeatureCollection"}"#.to_vec()),
            (
                "features null",
                br#"{"type":"FeatureCollection","features":null}"#.to_vec(),
            ),
            (
                "an element not an object",
                format!(r#"{{"features":[{f},1]}}"#).into_bytes(),
            ),
            (
                "a trailing comma",
                format!(r#"{{"features":[{f},]}}"#).into_bytes(),
            ),
            (
                "two arrays",
                format!(r#"{{"features":[{f}],"features":[{f}]}}"#).into_bytes(),
            ),
            (
                "an escaped name",
                format!(r#"{{"feat\u0075res":[{f}]}}"#).into_bytes(),
            ),
            (
                "another type",
                format!(r#"{{"type":"Feature","features":[{f}]}}"#).into_bytes(),
            ),
            ("text after the object", format!("{plain} x").into_bytes()),
            (
                "a text cut short",
                plain.as_bytes()[..plain.len() - 1].to_vec(),
            ),
            (
                "a broken member",
                format!(r#"{{"type":,"features":[{f}]}}"#).into_bytes(),
            ),
        ];
        for (what, text) in cases {
            for block in [1, 4, 4096] {
                assert!(
                    matches!(read(&text, block).1, StreamEnd::Whole),
                    "{what}, blocks of {block}"
                );
            }
        }
    }

    #[test]
    fn an_error_of_the_caller_ends_the_read() {
        let text = tricky(3, "");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.geojson");
        std::fs::write(&path, text).unwrap();
        let mut calls = 0;
        let r = stream_in_blocks(&path, "f.geojson", 8, &mut |_| {
            calls += 1;
            Err(LoadError::NotGeoJson {
                file: "f.geojson".into(),
                message: "stop".into(),
            })
        });
        assert!(matches!(r, Err(LoadError::NotGeoJson { message, .. }) if message == "stop"));
        assert_eq!(calls, 1);
    }
}
