//! A list as CSV the way Excel opens it: UTF-8 with a byte-order mark (without one Excel
//! reads UTF-8 as the system's ANSI page and garbles Chinese), or GBK for older office
//! software (with ⇒ written →, which GBK has, and a character GBK lacks as `?`, told);
//! CRLF line ends, every cell quoted where it needs to be.

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

/// A character a GBK list could not hold, written `?` in its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replaced {
    /// The row, from 1 under the header.
    pub row: usize,
    /// The row's id (the hidden hazard's or the risk point's), empty if it has none.
    pub id: String,
    /// The character.
    pub ch: char,
}

/// Writes `list` to `path`; in GBK a character GBK lacks is written `?` and returned
/// (the workbook, which is Unicode, keeps it).
pub fn write_csv(
    list: &List,
    path: &Path,
    encoding: CsvEncoding,
) -> Result<Vec<Replaced>, ListError> {
    let (bytes, replaced) = csv_bytes_replacing(list, path, encoding)?;
    std::fs::write(path, bytes).map_err(|source| ListError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(replaced)
}

/// `list` as the bytes of a CSV file; `path` names it in errors. A character GBK lacks
/// is an error ([`ListError::NotGbk`]) naming its row.
pub fn csv_bytes(list: &List, path: &Path, encoding: CsvEncoding) -> Result<Vec<u8>, ListError> {
    let (bytes, replaced) = csv_bytes_replacing(list, path, encoding)?;
    match replaced.into_iter().next() {
        None => Ok(bytes),
        Some(r) => Err(ListError::NotGbk {
            path: path.to_path_buf(),
            row: r.row,
            text: list.rows[r.row - 1]
                .iter()
                .find(|c| c.contains(r.ch))
                .cloned()
                .unwrap_or_else(|| r.ch.to_string()),
        }),
    }
}

/// `list` as the bytes of a CSV file, and in GBK each character GBK lacks, written `?`.
/// GBK's encoder never writes GB18030's four-byte sequences: such a character is one it
/// lacks.
pub fn csv_bytes_replacing(
    list: &List,
    path: &Path,
    encoding: CsvEncoding,
) -> Result<(Vec<u8>, Vec<Replaced>), ListError> {
    let text = csv_text(list, &list.rows, path)?;
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
                // Rare: the cells again, each character GBK lacks made `?`.
                let (rows, replaced) = gbk_rows(list);
                let s = String::from_utf8_lossy(&csv_text(list, &rows, path)?).replace('⇒', "→");
                return Ok((encoding_rs::GBK.encode(&s).0.into_owned(), replaced));
            }
            out.into_owned()
        }
    };
    Ok((bytes, Vec::new()))
}

/// The CSV text of `list`'s header and `rows`.
fn csv_text(list: &List, rows: &[Vec<String>], path: &Path) -> Result<Vec<u8>, ListError> {
    let io = |source| ListError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let header: Vec<&str> = list.columns.iter().map(|c| c.header).collect();
    w.write_record(&header).map_err(|e| io(e.into()))?;
    for r in rows {
        w.write_record(r).map_err(|e| io(e.into()))?;
    }
    w.into_inner()
        .map_err(|e| io(std::io::Error::other(e.to_string())))
}

/// The rows of `list` with each character GBK lacks (after ⇒ becomes →) made `?`, and
/// those characters.
fn gbk_rows(list: &List) -> (Vec<Vec<String>>, Vec<Replaced>) {
    let id_col = list
        .columns
        .iter()
        .position(|c| matches!(c.header, "隐患编号" | "编号"));
    let lacks = |c: char| c != '⇒' && encoding_rs::GBK.encode(c.encode_utf8(&mut [0; 4])).2;
    let mut replaced = Vec::new();
    let rows = list
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            r.iter()
                .map(|cell| {
                    if !encoding_rs::GBK.encode(&cell.replace('⇒', "→")).2 {
                        return cell.clone();
                    }
                    cell.chars()
                        .map(|c| {
                            if !lacks(c) {
                                return c;
                            }
                            replaced.push(Replaced {
                                row: i + 1,
                                id: id_col.and_then(|k| r.get(k)).cloned().unwrap_or_default(),
                                ch: c,
                            });
                            '?'
                        })
                        .collect()
                })
                .collect()
        })
        .collect();
    (rows, replaced)
}
