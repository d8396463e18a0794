//! Text encodings: detection (BOM, valid UTF-8, else a statistical guess biased to
//! Chinese), forcing, and the labels users write.

use std::borrow::Cow;

use encoding_rs::{Encoding, GB18030, GBK, UTF_8};

/// Text decoded from a file, and how its encoding was chosen.
#[derive(Debug)]
pub(crate) struct Decoded<'a> {
    pub text: Cow<'a, str>,
    pub encoding: &'static Encoding,
    /// `forced`, `BOM`, `valid UTF-8`, `detected`, …
    pub how: &'static str,
    /// Some bytes were not valid in the encoding and became U+FFFD.
    pub had_errors: bool,
    /// The lines where that happened, and those of a GBK text read as UTF-8.
    pub lines: LineNotes,
}

/// Lines of a file, by their one-based number: the first [`Lines::KEPT`], and how many.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Lines {
    pub first: Vec<u64>,
    pub count: u64,
}

impl Lines {
    /// Lines named one by one in a report; the rest are counted.
    pub(crate) const KEPT: usize = 10;

    fn add(&mut self, line: u64) {
        if self.first.len() < Self::KEPT {
            self.first.push(line);
        }
        self.count += 1;
    }
}

/// What decoding a text line by line found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LineNotes {
    /// Lines with bytes not valid in the encoding (replaced by U+FFFD).
    pub errors: Lines,
    /// Lines of a GBK or GB18030 text that are UTF-8, and were read as such.
    pub utf8: Lines,
}

impl Decoded<'_> {
    /// For the file summary: `GBK (detected)`.
    pub(crate) fn describe(&self) -> String {
        format!("{} ({})", self.encoding.name(), self.how)
    }
}

/// How a text without a byte-order mark is found to be UTF-8.
const VALID_UTF8: &str = "valid UTF-8";

/// How a text's encoding is found from its byte-order mark.
const BOM: &str = "BOM";

/// A file's encoding as [`Decoded::describe`] gives it for UTF-8 text without a
/// byte-order mark.
pub(crate) fn valid_utf8() -> String {
    format!("{} ({VALID_UTF8})", UTF_8.name())
}

/// The same for UTF-8 text after a byte-order mark.
pub(crate) fn utf8_after_bom() -> String {
    format!("{} ({BOM})", UTF_8.name())
}

/// How much of a file the detector reads: enough text to tell GBK from Big5 or a
/// Western code page many times over, without scanning a 250 MB file.
pub(crate) const DETECT_PREFIX: usize = 1 << 17;

/// Guesses the encoding of bytes that are not valid UTF-8. The `.cn` hint makes the
/// detector prefer GBK over Big5 and Shift-JIS on short texts.
pub(crate) fn detect(bytes: &[u8]) -> &'static Encoding {
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    let n = bytes.len().min(DETECT_PREFIX);
    det.feed(&bytes[..n], n == bytes.len());
    det.guess(Some(b"cn"), chardetng::Utf8Detection::Allow)
}

/// Decodes a file's bytes. A byte-order mark is always dropped (a UTF-8 one in front of
/// GBK text is a common export slip, and left in it would glue itself to the first
/// column name). Then: the forced encoding if given; else a UTF-16 BOM's encoding; else
/// UTF-8 when the bytes after any BOM are strictly valid UTF-8; else the detector's
/// guess, unless that guess has invalid bytes and GBK/GB18030 has none, in which case
/// GBK. `how` says which of these decided, and whether a BOM was dropped that did not
/// fit the text.
pub(crate) fn decode<'a>(
    bytes: &'a [u8],
    forced: Option<(&'static Encoding, &'static str)>,
) -> Decoded<'a> {
    let (bom, body) = match Encoding::for_bom(bytes) {
        Some((enc, n)) => (Some(enc), &bytes[n..]),
        None => (None, bytes),
    };
    if let Some((enc, how)) = forced {
        return decode_as(body, enc, how);
    }
    if let Some(enc) = bom.filter(|&e| e != UTF_8) {
        return decode_as(body, enc, BOM);
    }
    if let Ok(s) = std::str::from_utf8(body) {
        return Decoded {
            text: Cow::Borrowed(s),
            encoding: UTF_8,
            how: if bom.is_some() { BOM } else { VALID_UTF8 },
            had_errors: false,
            lines: LineNotes::default(),
        };
    }
    let wrong_bom = bom.is_some();
    let enc = detect(body);
    let decoded = decode_as(
        body,
        enc,
        if wrong_bom {
            "detected; a UTF-8 byte-order mark in front was dropped"
        } else {
            "detected"
        },
    );
    if decoded.had_errors && enc != GBK && enc != GB18030 {
        let gbk = decode_as(
            body,
            GBK,
            if wrong_bom {
                "decodes cleanly as GBK; a UTF-8 byte-order mark in front was dropped"
            } else {
                "decodes cleanly as GBK"
            },
        );
        if !gbk.had_errors {
            return gbk;
        }
    }
    decoded
}

/// Decodes `body` in `enc`, a line at a time where the encoding keeps the line breaks of
/// ASCII (all but UTF-16), so that each line whose bytes are not valid is known. In a
/// GBK or GB18030 text, a line that is UTF-8 ([`reads_as_utf8`]) is read as UTF-8: a
/// line pasted from another file into a GBK ledger would otherwise become mojibake
/// (`除尘系统` as `闄ゅ皹绯荤粺`), and GBK text is practically never valid UTF-8. A
/// line break is ASCII in all these encodings and never inside a character (GBK's and
/// GB18030's bytes after the first are not 0x0A), so a quoted value over several lines
/// is decoded line by line like any other text.
fn decode_as<'a>(body: &'a [u8], enc: &'static Encoding, how: &'static str) -> Decoded<'a> {
    if enc == UTF_8
        && let Ok(s) = std::str::from_utf8(body)
    {
        return Decoded {
            text: Cow::Borrowed(s),
            encoding: enc,
            how,
            had_errors: false,
            lines: LineNotes::default(),
        };
    }
    if !enc.is_ascii_compatible() {
        let (text, had_errors) = enc.decode_without_bom_handling(body);
        let mut lines = LineNotes::default();
        if had_errors {
            // (a U+FFFD the file itself holds is counted too)
            for (i, line) in text.split('\n').enumerate() {
                if line.contains('\u{FFFD}') {
                    lines.errors.add(i as u64 + 1);
                }
            }
        }
        return Decoded {
            text,
            encoding: enc,
            how,
            had_errors,
            lines,
        };
    }
    let switch = enc == GBK || enc == GB18030;
    let mut out = String::with_capacity(body.len() + body.len() / 2);
    let mut dec = enc.new_decoder_without_bom_handling();
    let mut lines = LineNotes::default();
    let mut start = 0;
    let mut n = 0u64;
    while start < body.len() {
        n += 1;
        let end = memchr::memchr(b'\n', &body[start..]).map_or(body.len(), |k| start + k + 1);
        let line = &body[start..end];
        start = end;
        if let Ok(s) = std::str::from_utf8(line) {
            let utf8 = !s.is_ascii() && switch && reads_as_utf8(s);
            if s.is_ascii() || utf8 {
                out.push_str(s);
                if utf8 {
                    lines.utf8.add(n);
                }
                continue;
            }
        }
        if decode_into(&mut dec, line, &mut out, false) {
            lines.errors.add(n);
        }
    }
    if decode_into(&mut dec, &[], &mut out, true) {
        lines.errors.add(n.max(1));
    }
    Decoded {
        text: Cow::Owned(out),
        encoding: enc,
        how,
        had_errors: lines.errors.count > 0,
        lines,
    }
}

/// Decodes `bytes` onto the end of `out`; whether any were not valid.
fn decode_into(dec: &mut encoding_rs::Decoder, bytes: &[u8], out: &mut String, last: bool) -> bool {
    let room = dec
        .max_utf8_buffer_length(bytes.len())
        .unwrap_or(bytes.len().saturating_mul(3) + 16);
    out.reserve(room);
    let (_, _, replaced) = dec.decode_to_string(bytes, out, last);
    replaced
}

/// Whether a line of a GBK text that is valid UTF-8 and not ASCII is UTF-8: it holds a
/// character of three or four bytes (Chinese, full-width punctuation, ✓, 𠮷). About 930
/// common GBK characters are valid UTF-8 of two bytes by chance (`说` is U+02F5, `路`
/// reads as `·`, `鲁` as `³`), so a line of two-byte characters alone stays GBK; a whole
/// line of GBK as valid UTF-8 of three bytes practically never happens.
fn reads_as_utf8(s: &str) -> bool {
    s.chars().any(|c| c >= '\u{800}')
}

/// The encoding a label names: WHATWG labels (`utf-8`, `gbk`, `gb2312`, `gb18030`,
/// `big5`, …) and the Windows code-page numbers found in `.cpg` files (`936`, `cp936`,
/// `65001`).
pub(crate) fn from_label(label: &str) -> Option<&'static Encoding> {
    let l = label
        .trim()
        .trim_start_matches('\u{feff}')
        .trim()
        .to_ascii_lowercase();
    // ESRI's way of writing a Windows code page in a .cpg: `ANSI 936`.
    let l = match l.strip_prefix("ansi") {
        Some(page)
            if page
                .trim_start_matches([' ', '_', '-'])
                .parse::<u16>()
                .is_ok() =>
        {
            page.trim_start_matches([' ', '_', '-']).to_string()
        }
        _ => l,
    };
    match l.as_str() {
        "936" | "cp936" | "ms936" | "windows-936" | "gb_18030" => Some(GBK),
        "65001" | "cp65001" | "utf8" => Some(UTF_8),
        "950" | "cp950" => Some(encoding_rs::BIG5),
        "1252" | "cp1252" | "latin1" => Some(encoding_rs::WINDOWS_1252),
        _ => Encoding::for_label(l.as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_gbk_bom_and_utf8() {
        let (gbk, _, _) =
            GBK.encode("名称,经度,纬度\n某某化工有限公司,121.1,31.9\n海门区三厂街道\n");
        let d = decode(&gbk, None);
        assert_eq!((d.encoding, d.how, d.had_errors), (GBK, "detected", false));
        assert!(d.text.contains("某某化工有限公司"));
        let mut bom = vec![0xef, 0xbb, 0xbf];
        bom.extend_from_slice("名称".as_bytes());
        let d = decode(&bom, None);
        assert_eq!((d.encoding, d.how, d.text.as_ref()), (UTF_8, "BOM", "名称"));
        let d = decode("名称".as_bytes(), None);
        assert_eq!(d.how, "valid UTF-8");
        let d = decode("名称".as_bytes(), Some((GBK, "forced")));
        assert_eq!(d.encoding, GBK);
    }

    #[test]
    fn a_bom_is_dropped_and_does_not_decide_the_encoding() {
        let (gbk, _, _) = GBK.encode("名称,经度,纬度\n某某化工有限公司,121.1,31.9\n");
        let mut with_bom = vec![0xef, 0xbb, 0xbf];
        with_bom.extend_from_slice(&gbk);
        // GBK after a UTF-8 BOM: not valid UTF-8, so the text decides.
        let d = decode(&with_bom, None);
        assert_eq!((d.encoding, d.had_errors), (GBK, false));
        assert!(d.text.starts_with("名称,"), "{:?}", &d.text[..6]);
        assert!(d.how.contains("byte-order mark"), "{}", d.how);
        // Forced GBK: the BOM bytes do not end up in the first column name.
        let d = decode(&with_bom, Some((GBK, "forced")));
        assert!(d.text.starts_with("名称,"), "{:?}", &d.text[..6]);
        assert!(!d.had_errors);
        // Forced UTF-8 on UTF-8 with a BOM: no U+FEFF either.
        let mut utf8 = vec![0xef, 0xbb, 0xbf];
        utf8.extend_from_slice("名称".as_bytes());
        assert_eq!(decode(&utf8, Some((UTF_8, "forced"))).text, "名称");
    }

    /// GBK bytes of `text`, as a GBK ledger holds them.
    fn gbk(text: &str) -> Vec<u8> {
        let (b, _, unmappable) = GBK.encode(text);
        assert!(!unmappable, "{text}");
        b.into_owned()
    }

    #[test]
    fn a_utf8_line_in_a_gbk_text_is_read_as_utf8() {
        // Line 3 pasted from a UTF-8 file; a quoted value over lines 4 and 5 in GBK, its
        // second line UTF-8 (line 5); line 6 is `说`, whose GBK bytes CB B5 are valid
        // UTF-8 (U+02F5) by chance, and stays GBK.
        let mut bytes = gbk("编号,地址\r\nY1,某村1号\r\n");
        bytes.extend_from_slice("Y2,除尘系统旁\r\n".as_bytes());
        bytes.extend_from_slice(&gbk("Y3,\"东侧\r\n"));
        bytes.extend_from_slice("西侧✓\",1\r\n".as_bytes());
        // `学院路` in GBK is D1 A7 D4 BA C2 B7: valid UTF-8 too (`ѧԺ·`), all of two
        // bytes, so it stays GBK.
        bytes.extend_from_slice(&gbk("Y5,学院路\r\n"));
        assert!(std::str::from_utf8(&gbk("学院路")).is_ok());
        bytes.extend_from_slice(&gbk("Y4,说"));
        assert_eq!(&bytes[bytes.len() - 2..], [0xCB, 0xB5]);
        let want = "编号,地址\r\nY1,某村1号\r\nY2,除尘系统旁\r\nY3,\"东侧\r\n西侧✓\",1\r\nY5,学院路\r\nY4,说";
        for forced in [None, Some((GBK, "forced")), Some((GB18030, "forced"))] {
            let d = decode(&bytes, forced);
            assert_eq!(d.text, want, "{forced:?}");
            assert!(!d.had_errors);
            assert_eq!(
                d.lines.utf8,
                Lines {
                    first: vec![3, 5],
                    count: 2
                }
            );
            assert_eq!(d.lines.errors, Lines::default());
        }
        assert_eq!(decode(&bytes, None).encoding, GBK);
        // Read as Big5, no line is UTF-8: the encoding decides every line.
        let d = decode(&bytes, Some((encoding_rs::BIG5, "forced")));
        assert_eq!(d.lines.utf8, Lines::default());
        assert!(!d.text.contains("除尘"));
    }

    #[test]
    fn the_lines_of_bytes_not_valid_are_known() {
        // 0xFF is no GBK byte (line 2); a lead byte before a line break (line 4); one
        // at the very end (line 5, without a line break).
        let mut bytes = gbk("编号,地址\n");
        bytes.extend_from_slice(b"Y1,\xff\nY2,ok\nY3,\x81\nY4,\x81");
        let d = decode(&bytes, Some((GBK, "forced")));
        assert!(d.had_errors);
        assert_eq!(
            d.lines.errors,
            Lines {
                first: vec![2, 4, 5],
                count: 3
            }
        );
        assert_eq!(
            d.text,
            "编号,地址\nY1,\u{FFFD}\nY2,ok\nY3,\u{FFFD}\nY4,\u{FFFD}"
        );
        // Past ten lines, the rest are counted.
        let mut many = gbk("编号\n");
        for _ in 0..12 {
            many.extend_from_slice("除尘\n".as_bytes());
        }
        let d = decode(&many, Some((GBK, "forced")));
        assert_eq!(d.lines.utf8.first, (2..12).collect::<Vec<u64>>());
        assert_eq!(d.lines.utf8.count, 12);
        // UTF-16 is decoded whole; its lines with U+FFFD are found after.
        let mut utf16 = vec![0xff, 0xfe];
        utf16.extend_from_slice(&[b'a', 0, b'\n', 0, 0x00, 0xd8, b'\n', 0]);
        let d = decode(&utf16, None);
        assert_eq!(
            (d.encoding, d.lines.errors.first.clone()),
            (encoding_rs::UTF_16LE, vec![2])
        );
    }

    #[test]
    fn labels() {
        assert_eq!(from_label("GBK"), Some(GBK));
        assert_eq!(from_label(" 936\n"), Some(GBK));
        assert_eq!(from_label("GB2312"), Some(GBK));
        assert_eq!(from_label("UTF-8"), Some(UTF_8));
        assert_eq!(from_label("gb18030"), Some(encoding_rs::GB18030));
        assert_eq!(from_label("klingon"), None);
        // ESRI's form of a Windows code page.
        assert_eq!(from_label("ANSI 936"), Some(GBK));
        assert_eq!(from_label("ansi_1252"), Some(encoding_rs::WINDOWS_1252));
        assert_eq!(from_label("ANSI"), None);
    }
}
