//! A GeoParquet file's property columns as ledger values, by their Parquet logical (or
//! legacy converted) types.

use std::borrow::Cow;

use parquet::basic::{ConvertedType, LogicalType, TimeUnit, Type as Physical};
use parquet::column::reader::{ColumnReader, ColumnReaderImpl};
use parquet::data_type::DataType;
use parquet::schema::types::ColumnDescriptor;

use crate::model::Day;

type Value = crate::io::fields::Value<'static>;

/// How a column's values read, from its logical (or legacy converted) type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Kind {
    Plain,
    Text,
    Json,
    Binary,
    Date,
    /// Fixed-point with this many decimal digits after the point.
    Decimal(i32),
    /// Units per second (1e3, 1e6, 1e9) and whether the instant is UTC.
    Timestamp(i64, bool),
    Uuid,
}

pub(super) fn kind_of(c: &ColumnDescriptor) -> Kind {
    let unit = |u: &TimeUnit| match u {
        TimeUnit::MILLIS => 1_000,
        TimeUnit::MICROS => 1_000_000,
        TimeUnit::NANOS => 1_000_000_000,
    };
    match c.logical_type_ref() {
        Some(LogicalType::String | LogicalType::Enum) => return Kind::Text,
        Some(LogicalType::Json) => return Kind::Json,
        Some(LogicalType::Date) => return Kind::Date,
        Some(LogicalType::Decimal(d)) => return Kind::Decimal(d.scale),
        Some(LogicalType::Timestamp(t)) => {
            return Kind::Timestamp(unit(&t.unit), t.is_adjusted_to_u_t_c);
        }
        Some(LogicalType::Uuid) => return Kind::Uuid,
        _ => {}
    }
    match c.converted_type() {
        ConvertedType::UTF8 | ConvertedType::ENUM => Kind::Text,
        ConvertedType::JSON => Kind::Json,
        ConvertedType::DATE => Kind::Date,
        ConvertedType::DECIMAL => Kind::Decimal(c.type_scale()),
        ConvertedType::TIMESTAMP_MILLIS => Kind::Timestamp(1_000, true),
        ConvertedType::TIMESTAMP_MICROS => Kind::Timestamp(1_000_000, true),
        _ if matches!(
            c.physical_type(),
            Physical::BYTE_ARRAY | Physical::FIXED_LEN_BYTE_ARRAY
        ) =>
        {
            Kind::Binary
        }
        _ => Kind::Plain,
    }
}

/// The next `n` records of a flat column: the non-null values, and for each row whether
/// it has one.
pub(super) fn read_all<T: DataType>(
    r: &mut ColumnReaderImpl<T>,
    n: usize,
    max_def: i16,
) -> Result<(Vec<T::T>, Vec<bool>), String> {
    let mut vals = Vec::with_capacity(n);
    let mut defs = Vec::with_capacity(if max_def > 0 { n } else { 0 });
    let mut got = 0;
    while got < n {
        let (records, _, _) = r
            .read_records(n - got, (max_def > 0).then_some(&mut defs), None, &mut vals)
            .map_err(|e| e.to_string())?;
        if records == 0 {
            return Err(format!("the column ends after {got} of {n} rows"));
        }
        got += records;
    }
    let present = if max_def > 0 {
        defs.iter().map(|&d| d == max_def).collect()
    } else {
        vec![true; n]
    };
    if present.len() != n || present.iter().filter(|&&p| p).count() != vals.len() {
        return Err("the column's levels and values disagree".into());
    }
    Ok((vals, present))
}

/// A column's next `n` values as properties, `Null` where the row has none.
pub(super) fn values(
    r: &mut ColumnReader,
    n: usize,
    max_def: i16,
    kind: Kind,
) -> Result<Vec<Value>, String> {
    fn spread<T, F: FnMut(T) -> Result<Value, String>>(
        (vals, present): (Vec<T>, Vec<bool>),
        mut f: F,
    ) -> Result<Vec<Value>, String> {
        let mut vals = vals.into_iter();
        present
            .into_iter()
            .map(|p| match p.then(|| vals.next()).flatten() {
                Some(v) => f(v),
                None => Ok(Value::Null),
            })
            .collect()
    }
    match r {
        ColumnReader::BoolColumnReader(r) => {
            spread(read_all(r, n, max_def)?, |v| Ok(Value::Bool(v)))
        }
        ColumnReader::Int32ColumnReader(r) => spread(read_all(r, n, max_def)?, |v| {
            Ok(integer(i128::from(v), kind))
        }),
        ColumnReader::Int64ColumnReader(r) => spread(read_all(r, n, max_def)?, |v| {
            Ok(integer(i128::from(v), kind))
        }),
        ColumnReader::Int96ColumnReader(r) => spread(read_all(r, n, max_def)?, |v| {
            Ok(Value::Str(Cow::Owned(timestamp(
                i128::from(v.to_nanos()),
                1_000_000_000,
                false,
            ))))
        }),
        ColumnReader::FloatColumnReader(r) => {
            spread(read_all(r, n, max_def)?, |v| Ok(Value::Num(f64::from(v))))
        }
        ColumnReader::DoubleColumnReader(r) => {
            spread(read_all(r, n, max_def)?, |v| Ok(Value::Num(v)))
        }
        ColumnReader::ByteArrayColumnReader(r) => {
            spread(read_all(r, n, max_def)?, |v| bytes(v.data(), kind))
        }
        ColumnReader::FixedLenByteArrayColumnReader(r) => {
            spread(read_all(r, n, max_def)?, |v| bytes(v.data(), kind))
        }
    }
}

/// An integer cell: a date, a timestamp, a decimal or a plain number.
fn integer(v: i128, kind: Kind) -> Value {
    match kind {
        Kind::Date => Value::Str(Cow::Owned(epoch().plus_days(v as i64).to_string())),
        Kind::Timestamp(per_second, utc) => Value::Str(Cow::Owned(timestamp(v, per_second, utc))),
        Kind::Decimal(scale) if scale > 0 => Value::Num(v as f64 / 10f64.powi(scale)),
        _ => Value::wide(v),
    }
}

/// A binary cell: text, JSON, a big-endian decimal, a UUID; other binary holds nothing a
/// ledger reads.
fn bytes(b: &[u8], kind: Kind) -> Result<Value, String> {
    Ok(match kind {
        Kind::Text | Kind::Json | Kind::Plain => {
            let text = std::str::from_utf8(b).map_err(|_| "text that is not UTF-8".to_string())?;
            if kind == Kind::Json
                && let Ok(j) = serde_json::from_str(text)
            {
                Value::Json(j)
            } else {
                Value::Str(Cow::Owned(text.to_string()))
            }
        }
        Kind::Decimal(scale) if !b.is_empty() && b.len() <= 16 => {
            // Big-endian two's complement, sign-extended to 128 bits.
            let fill = if b[0] & 0x80 != 0 { 0xff } else { 0 };
            let mut a = [fill; 16];
            a[16 - b.len()..].copy_from_slice(b);
            let v = i128::from_be_bytes(a);
            if scale > 0 {
                Value::Num(v as f64 / 10f64.powi(scale))
            } else {
                Value::wide(v)
            }
        }
        Kind::Uuid if b.len() == 16 => {
            let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
            Value::Str(Cow::Owned(format!(
                "{}-{}-{}-{}-{}",
                &h[..8],
                &h[8..12],
                &h[12..16],
                &h[16..20],
                &h[20..]
            )))
        }
        _ => Value::Null,
    })
}

pub(super) fn epoch() -> Day {
    Day::new(1970, 1, 1).unwrap_or_else(|| unreachable!("1970-01-01 is a day"))
}

/// `2024-03-05T08:30:00` (with `.fff…` when not whole seconds, `Z` when UTC) of `v` units
/// since 1970, `per_second` units a second.
fn timestamp(v: i128, per_second: i64, utc: bool) -> String {
    let per_second = i128::from(per_second.max(1));
    let secs = v.div_euclid(per_second);
    let frac = v.rem_euclid(per_second);
    let days = secs.div_euclid(86_400);
    let s = secs.rem_euclid(86_400);
    let day = epoch().plus_days(days.clamp(-1_000_000, 1_000_000) as i64);
    let mut out = format!("{day}T{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
    if frac != 0 {
        let digits = per_second.ilog10() as usize;
        let f = format!("{frac:0digits$}");
        out.push('.');
        out.push_str(f.trim_end_matches('0'));
    }
    if utc {
        out.push('Z');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_and_dates_read_as_the_calendar_has_them() {
        // 2024-03-05 is day 19787 since 1970-01-01 (54 years, 13 leap days, 64 days).
        assert!(matches!(integer(19_787, Kind::Date), Value::Str(s) if s == "2024-03-05"));
        assert!(matches!(integer(-1, Kind::Date), Value::Str(s) if s == "1969-12-31"));
        // 19787 days and 08:30:15.25 in milliseconds.
        let ms = (19_787i128 * 86_400 + 8 * 3600 + 30 * 60 + 15) * 1000 + 250;
        assert_eq!(timestamp(ms, 1_000, true), "2024-03-05T08:30:15.25Z");
        assert_eq!(
            timestamp(ms * 1000, 1_000_000, false),
            "2024-03-05T08:30:15.25"
        );
        // Before 1970: one second before midnight.
        assert_eq!(timestamp(-1, 1, false), "1969-12-31T23:59:59");
    }

    #[test]
    fn decimals_and_wide_integers_keep_their_value() {
        // 12345 with scale 2 is 123.45; as big-endian bytes 0x3039.
        assert!(
            matches!(integer(12_345, Kind::Decimal(2)), Value::Num(v) if (v - 123.45).abs() < 1e-12)
        );
        assert!(
            matches!(bytes(&[0x30, 0x39], Kind::Decimal(2)), Ok(Value::Num(v)) if (v - 123.45).abs() < 1e-12)
        );
        // -2 as one byte 0xfe, scale 0.
        assert!(matches!(bytes(&[0xfe], Kind::Decimal(0)), Ok(Value::Num(v)) if v == -2.0));
        // 2^60 does not fit a double's integers: its digits.
        assert!(
            matches!(integer(1 << 60, Kind::Plain), Value::Str(s) if s == "1152921504606846976")
        );
        assert!(matches!(bytes(b"\xff\xfe", Kind::Text), Err(e) if e.contains("UTF-8")));
        assert!(matches!(bytes(b"\x00\x01", Kind::Binary), Ok(Value::Null)));
    }
}
