//! Text encodings: detection (BOM, valid UTF-8, else a statistical guess biased to
//! Chinese), forcing, and the labels users write.

use std::borrow::Cow;

use encoding_rs::{Encoding, GBK, UTF_8};

/// Text decoded from a file, and how its encoding was chosen.
#[derive(Debug)]
pub(crate) struct Decoded<'a> {
    pub text: Cow<'a, str>,
    pub encoding: &'static Encoding,
    /// `forced`, `BOM`, `valid UTF-8`, `detected`, …
    pub how: &'static str,
    /// Some bytes were not valid in the encoding and became U+FFFD.
    pub had_errors: bool,
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
        let (text, had_errors) = enc.decode_without_bom_handling(body);
        return Decoded {
            text,
            encoding: enc,
            how,
            had_errors,
        };
    }
    if let Some(enc) = bom.filter(|&e| e != UTF_8) {
        let (text, had_errors) = enc.decode_without_bom_handling(body);
        return Decoded {
            text,
            encoding: enc,
            how: BOM,
            had_errors,
        };
    }
    if let Ok(s) = std::str::from_utf8(body) {
        return Decoded {
            text: Cow::Borrowed(s),
            encoding: UTF_8,
            how: if bom.is_some() { BOM } else { VALID_UTF8 },
            had_errors: false,
        };
    }
    let wrong_bom = bom.is_some();
    let enc = detect(body);
    let (text, had_errors) = enc.decode_without_bom_handling(body);
    if had_errors && enc != GBK && enc != encoding_rs::GB18030 {
        let (gbk, gbk_errors) = GBK.decode_without_bom_handling(body);
        if !gbk_errors {
            return Decoded {
                text: gbk,
                encoding: GBK,
                how: if wrong_bom {
                    "decodes cleanly as GBK; a UTF-8 byte-order mark in front was dropped"
                } else {
                    "decodes cleanly as GBK"
                },
                had_errors: false,
            };
        }
    }
    Decoded {
        text,
        encoding: enc,
        how: if wrong_bom {
            "detected; a UTF-8 byte-order mark in front was dropped"
        } else {
            "detected"
        },
        had_errors,
    }
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

    #[test]
    fn labels() {
        assert_eq!(from_label("GBK"), Some(GBK));
        assert_eq!(from_label(" 936\n"), Some(GBK));
        assert_eq!(from_label("GB2312"), Some(GBK));
        assert_eq!(from_label("UTF-8"), Some(UTF_8));
        assert_eq!(from_label("gb18030"), Some(encoding_rs::GB18030));
        assert_eq!(from_label("klingon"), None);
    }
}
