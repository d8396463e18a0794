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

/// How much of a file the detector reads: enough text to tell GBK from Big5 or a
/// Western code page many times over, without scanning a 250 MB file.
const DETECT_PREFIX: usize = 1 << 20;

/// Guesses the encoding of bytes that are not valid UTF-8. The `.cn` hint makes the
/// detector prefer GBK over Big5 and Shift-JIS on short texts.
pub(crate) fn detect(bytes: &[u8]) -> &'static Encoding {
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    let n = bytes.len().min(DETECT_PREFIX);
    det.feed(&bytes[..n], n == bytes.len());
    det.guess(Some(b"cn"), chardetng::Utf8Detection::Allow)
}

/// Decodes a file's bytes: the forced encoding if given, else by BOM, else as UTF-8 when
/// valid, else by detection.
pub(crate) fn decode<'a>(
    bytes: &'a [u8],
    forced: Option<(&'static Encoding, &'static str)>,
) -> Decoded<'a> {
    if let Some((enc, how)) = forced {
        let (text, had_errors) = enc.decode_with_bom_removal(bytes);
        return Decoded {
            text,
            encoding: enc,
            how,
            had_errors,
        };
    }
    if let Some((enc, bom)) = Encoding::for_bom(bytes) {
        let (text, had_errors) = enc.decode_without_bom_handling(&bytes[bom..]);
        return Decoded {
            text,
            encoding: enc,
            how: "BOM",
            had_errors,
        };
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Decoded {
            text: Cow::Borrowed(s),
            encoding: UTF_8,
            how: "valid UTF-8",
            had_errors: false,
        };
    }
    let enc = detect(bytes);
    let (text, had_errors) = enc.decode_without_bom_handling(bytes);
    Decoded {
        text,
        encoding: enc,
        how: "detected",
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
    fn labels() {
        assert_eq!(from_label("GBK"), Some(GBK));
        assert_eq!(from_label(" 936\n"), Some(GBK));
        assert_eq!(from_label("GB2312"), Some(GBK));
        assert_eq!(from_label("UTF-8"), Some(UTF_8));
        assert_eq!(from_label("gb18030"), Some(encoding_rs::GB18030));
        assert_eq!(from_label("klingon"), None);
    }
}
