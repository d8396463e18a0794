//! The protobuf wire format, read by hand: a cursor over a message's bytes, wire types,
//! and the field readers the messages share.

use super::error::{Rule, Violations};

/// A fatal wire-format error.
#[derive(Debug)]
pub(super) struct WireError {
    pub(super) at: String,
    pub(super) detail: String,
}

/// Wire types of the protobuf encoding.
pub(super) const VARINT: u8 = 0;
pub(super) const I64: u8 = 1;
pub(super) const LEN: u8 = 2;
pub(super) const I32: u8 = 5;

/// A cursor over one message's bytes.
pub(super) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    pub(super) at: &'a str,
}

impl<'a> Reader<'a> {
    pub(super) fn new(buf: &'a [u8], at: &'a str) -> Self {
        Self { buf, pos: 0, at }
    }

    pub(super) fn err(&self, detail: impl Into<String>) -> WireError {
        WireError {
            at: self.at.to_owned(),
            detail: format!("{} (byte {})", detail.into(), self.pos),
        }
    }

    pub(super) fn done(&self) -> bool {
        self.pos >= self.buf.len()
    }

    pub(super) fn varint(&mut self) -> Result<u64, WireError> {
        let mut value: u64 = 0;
        for i in 0..10 {
            let Some(&b) = self.buf.get(self.pos) else {
                return Err(self.err("truncated varint"));
            };
            self.pos += 1;
            if i == 9 && b > 1 {
                return Err(self.err("varint longer than 64 bits"));
            }
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(self.err("varint longer than 10 bytes"))
    }

    /// Reads a field key: `(field number, wire type)`.
    pub(super) fn key(&mut self) -> Result<(u32, u8), WireError> {
        let k = self.varint()?;
        let field = k >> 3;
        let wire = (k & 7) as u8;
        if field == 0 || field > (1 << 29) - 1 {
            return Err(self.err(format!("invalid field number {field}")));
        }
        Ok((field as u32, wire))
    }

    pub(super) fn bytes(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or_else(|| self.err(format!("length {n} runs past the end of the message")))?;
        let out = &self.buf[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    pub(super) fn len_delimited(&mut self) -> Result<&'a [u8], WireError> {
        let n = self.varint()?;
        let n = usize::try_from(n).map_err(|_| self.err("length does not fit in memory"))?;
        self.bytes(n)
    }

    pub(super) fn fixed32(&mut self) -> Result<u32, WireError> {
        let b = self.bytes(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(super) fn fixed64(&mut self) -> Result<u64, WireError> {
        let b = self.bytes(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    /// Skips a field's value. Groups (wire types 3 and 4) are not used by the MVT schema
    /// and deprecated in protobuf: rejected, like the undefined types 6 and 7.
    pub(super) fn skip(&mut self, wire: u8) -> Result<(), WireError> {
        match wire {
            VARINT => self.varint().map(|_| ()),
            I64 => self.bytes(8).map(|_| ()),
            LEN => self.len_delimited().map(|_| ()),
            I32 => self.bytes(4).map(|_| ()),
            _ => Err(self.err(format!("unsupported wire type {wire}"))),
        }
    }
}

pub(super) fn wire_name(wire: u8) -> &'static str {
    match wire {
        VARINT => "varint",
        I64 => "64-bit",
        LEN => "length-delimited",
        I32 => "32-bit",
        _ => "invalid",
    }
}

/// Checks a known field's wire type; on mismatch records a violation and skips it.
pub(super) fn expect_wire(
    r: &mut Reader<'_>,
    v: &mut Violations,
    field: &str,
    wire: u8,
    want: u8,
) -> Result<bool, WireError> {
    if wire == want {
        return Ok(true);
    }
    v.push(
        Rule::FieldType,
        r.at,
        format!(
            "{field} is encoded as {} instead of {}",
            wire_name(wire),
            wire_name(want)
        ),
    );
    r.skip(wire)?;
    Ok(false)
}

pub(super) fn utf8(bytes: &[u8], v: &mut Violations, at: &str, what: &str) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(e) => {
            v.push(Rule::Utf8, at, format!("{what} is not valid UTF-8: {e}"));
            String::from_utf8_lossy(bytes).into_owned()
        }
    }
}

/// Reads a repeated `uint32` field, packed (one LEN chunk) or not (VARINT elements).
/// Returns whether this occurrence was a packed chunk.
pub(super) fn read_repeated_u32(
    r: &mut Reader<'_>,
    v: &mut Violations,
    field: &str,
    wire: u8,
    out: &mut Vec<u32>,
) -> Result<Option<bool>, WireError> {
    match wire {
        LEN => {
            let chunk = r.len_delimited()?;
            let mut inner = Reader::new(chunk, r.at);
            while !inner.done() {
                let x = inner.varint()?;
                match u32::try_from(x) {
                    Ok(x) => out.push(x),
                    Err(_) => {
                        v.push(
                            Rule::FieldType,
                            r.at,
                            format!("{field} element {x} exceeds uint32"),
                        );
                        out.push(u32::MAX);
                    }
                }
            }
            Ok(Some(true))
        }
        VARINT => {
            let x = r.varint()?;
            match u32::try_from(x) {
                Ok(x) => out.push(x),
                Err(_) => {
                    v.push(
                        Rule::FieldType,
                        r.at,
                        format!("{field} element {x} exceeds uint32"),
                    );
                    out.push(u32::MAX);
                }
            }
            Ok(Some(false))
        }
        _ => {
            v.push(
                Rule::FieldType,
                r.at,
                format!("{field} is encoded as {}", wire_name(wire)),
            );
            r.skip(wire)?;
            Ok(None)
        }
    }
}

pub(super) fn varint_u32(
    r: &mut Reader<'_>,
    v: &mut Violations,
    field: &str,
) -> Result<u32, WireError> {
    let x = r.varint()?;
    u32::try_from(x).or_else(|_| {
        v.push(Rule::FieldType, r.at, format!("{field} {x} exceeds uint32"));
        Ok(u32::MAX)
    })
}
