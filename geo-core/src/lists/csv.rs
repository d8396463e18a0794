//! A list as CSV the way Excel opens it: UTF-8 with a byte-order mark (without one Excel
//! reads UTF-8 as the system's ANSI page and garbles Chinese), or GBK for older office
//! software (with ⇒ written →, which GBK has); CRLF line ends, every cell quoted where
//! it needs to be.

use std::path::Path;

use super::{List, ListError};

/// The text encoding of a CSV list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CsvEncoding {
    /// UTF-8 with a byte-order mark (what Excel needs to read UTF-8).
    #[default]
    Utf8Bom,
    /// GBK (GB 2312 and its extension), as older office software writes.
    Gbk,
}

/// Writes `list` to `path`.
pub fn write_csv(list: &List, path: &Path, encoding: CsvEncoding) -> Result<(), ListError> {
    let bytes = csv_bytes(list, path, encoding)?;
    std::fs::write(path, bytes).map_err(|source| ListError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// `list` as the bytes of a CSV file; `path` names it in errors.
pub fn csv_bytes(list: &List, path: &Path, encoding: CsvEncoding) -> Result<Vec<u8>, ListError> {
    let io = |source| ListError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let header: Vec<&str> = list.columns.iter().map(|c| c.header).collect();
    w.write_record(&header).map_err(|e| io(e.into()))?;
    for r in &list.rows {
        w.write_record(r).map_err(|e| io(e.into()))?;
    }
    let text = w
        .into_inner()
        .map_err(|e| io(std::io::Error::other(e.to_string())))?;
    let bytes = match encoding {
        CsvEncoding::Utf8Bom => {
            let mut b = Vec::with_capacity(text.len() + 3);
            b.extend_from_slice(b"\xEF\xBB\xBF");
            b.extend_from_slice(&text);
            b
        }
        CsvEncoding::Gbk => {
            // The reasons' arrow is not in GBK; its plain arrow is.
            let s = String::from_utf8_lossy(&text).replace('⇒', "→");
            let (out, _, unmappable) = encoding_rs::GBK.encode(&s);
            if unmappable {
                // Name the first cell that GBK cannot hold.
                for (i, r) in list.rows.iter().enumerate() {
                    for c in r {
                        if encoding_rs::GBK.encode(&c.replace('⇒', "→")).2 {
                            return Err(ListError::NotGbk {
                                path: path.to_path_buf(),
                                row: i + 1,
                                text: c.clone(),
                            });
                        }
                    }
                }
            }
            out.into_owned()
        }
    };
    Ok(bytes)
}
