//! The record format: a header (its own length as a varint, then one serial type per column) and
//! the column bodies. Also the index key comparison (SQLite's `sqlite3VdbeRecordCompare`).
//!
//! Serial types: 0 NULL; 1..6 big-endian two's-complement integers of 1, 2, 3, 4, 6, 8 bytes;
//! 7 IEEE-754 big-endian double; 8 and 9 the integers 0 and 1 (schema format 4); 10, 11 reserved;
//! N >= 12 even: blob of (N-12)/2 bytes; N >= 13 odd: text of (N-13)/2 bytes.
//!
//! Record bytes come from disk and are untrusted: every decode checks bounds and returns
//! `Error::Corrupt` instead of panicking.

use std::cmp::Ordering;
use std::sync::Arc;

use super::varint::{push_varint, read_varint, varint_len};
use crate::error::{Error, Result};
use crate::limits;
use crate::value::{compare_int_real, compare_reals, Collation, Value};

/// The database text encoding (header offset 56).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextEncoding {
    #[default]
    Utf8,
    Utf16le,
    Utf16be,
}

impl TextEncoding {
    pub fn from_header(v: u32) -> Option<TextEncoding> {
        match v {
            1 => Some(TextEncoding::Utf8),
            2 => Some(TextEncoding::Utf16le),
            3 => Some(TextEncoding::Utf16be),
            _ => None,
        }
    }

    pub fn header_value(self) -> u32 {
        match self {
            TextEncoding::Utf8 => 1,
            TextEncoding::Utf16le => 2,
            TextEncoding::Utf16be => 3,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Utf16le => "UTF-16le",
            TextEncoding::Utf16be => "UTF-16be",
        }
    }

    /// Decodes stored text bytes to a string, replacing invalid sequences as SQLite would display them.
    pub fn decode(self, bytes: &[u8]) -> Arc<str> {
        match self {
            TextEncoding::Utf8 => match std::str::from_utf8(bytes) {
                Ok(s) => Arc::from(s),
                Err(_) => Arc::from(String::from_utf8_lossy(bytes).as_ref()),
            },
            TextEncoding::Utf16le | TextEncoding::Utf16be => {
                let units = bytes.chunks_exact(2).map(|c| {
                    if self == TextEncoding::Utf16le {
                        u16::from_le_bytes([c[0], c[1]])
                    } else {
                        u16::from_be_bytes([c[0], c[1]])
                    }
                });
                let s: String = char::decode_utf16(units).map(|r| r.unwrap_or('\u{FFFD}')).collect();
                Arc::from(s.as_str())
            }
        }
    }

    /// Encodes a string into stored text bytes.
    pub fn encode(self, s: &str, out: &mut Vec<u8>) {
        match self {
            TextEncoding::Utf8 => out.extend_from_slice(s.as_bytes()),
            TextEncoding::Utf16le => s.encode_utf16().for_each(|u| out.extend_from_slice(&u.to_le_bytes())),
            TextEncoding::Utf16be => s.encode_utf16().for_each(|u| out.extend_from_slice(&u.to_be_bytes())),
        }
    }

    pub fn encoded_len(self, s: &str) -> usize {
        match self {
            TextEncoding::Utf8 => s.len(),
            _ => s.encode_utf16().count() * 2,
        }
    }
}

/// The size in bytes of the body of a column with serial type `t`, or `None` for the reserved types.
#[inline]
pub fn serial_type_len(t: u64) -> Option<usize> {
    Some(match t {
        0 | 8 | 9 => 0,
        1 => 1,
        2 => 2,
        3 => 3,
        4 => 4,
        5 => 6,
        6 | 7 => 8,
        10 | 11 => return None,
        n => ((n - 12) / 2) as usize,
    })
}

/// The serial type SQLite chooses for an integer (the smallest that holds it; 8 and 9 for 0 and 1).
#[inline]
pub fn integer_serial_type(i: i64) -> u64 {
    match i {
        0 => 8,
        1 => 9,
        -128..=127 => 1,
        -32768..=32767 => 2,
        -8388608..=8388607 => 3,
        -2147483648..=2147483647 => 4,
        -140737488355328..=140737488355327 => 5,
        _ => 6,
    }
}

fn serial_type_of(v: &Value, enc: TextEncoding) -> u64 {
    match v {
        Value::Null => 0,
        Value::Integer(i) => integer_serial_type(*i),
        Value::Real(_) => 7,
        Value::Text(s) => (enc.encoded_len(s) as u64) * 2 + 13,
        Value::Blob(b) => (b.len() as u64) * 2 + 12,
    }
}

/// Serializes values into a record, as OP_MakeRecord does.
pub fn encode_record(values: &[Value], enc: TextEncoding) -> Vec<u8> {
    let mut out = Vec::new();
    encode_record_into(values, enc, &mut out);
    out
}

/// Serializes values into `out` (cleared first).
pub fn encode_record_into(values: &[Value], enc: TextEncoding, out: &mut Vec<u8>) {
    out.clear();
    let mut types = Vec::with_capacity(values.len());
    let mut header_len = 0usize;
    let mut body_len = 0usize;
    for v in values {
        let t = serial_type_of(v, enc);
        header_len += varint_len(t);
        body_len += serial_type_len(t).unwrap_or(0);
        types.push(t);
    }
    // The header length counts itself; its varint may grow by a byte when it crosses 127.
    let mut total_header = header_len + 1;
    if varint_len(total_header as u64) > 1 {
        total_header = header_len + varint_len((header_len + 2) as u64);
    }
    out.reserve(total_header + body_len);
    push_varint(out, total_header as u64);
    for t in &types {
        push_varint(out, *t);
    }
    for (v, t) in values.iter().zip(&types) {
        match v {
            Value::Null => {}
            Value::Integer(i) => {
                let n = serial_type_len(*t).unwrap_or(0);
                out.extend_from_slice(&i.to_be_bytes()[8 - n..]);
            }
            Value::Real(r) => out.extend_from_slice(&r.to_bits().to_be_bytes()),
            Value::Text(s) => enc.encode(s, out),
            Value::Blob(b) => out.extend_from_slice(b),
        }
    }
}

/// Decodes the body of one column with serial type `t` from `body`.
pub fn decode_value(t: u64, body: &[u8], enc: TextEncoding) -> Result<Value> {
    let len = serial_type_len(t).ok_or_else(|| Error::corrupt(format!("reserved serial type {t}")))?;
    if body.len() < len {
        return Err(Error::corrupt("record body shorter than its header says"));
    }
    let b = &body[..len];
    Ok(match t {
        0 => Value::Null,
        1..=6 => {
            let mut v: i64 = if b[0] & 0x80 != 0 { -1 } else { 0 };
            for byte in b {
                v = (v << 8) | i64::from(*byte);
            }
            Value::Integer(v)
        }
        7 => {
            let r = f64::from_bits(u64::from_be_bytes(b.try_into().expect("8 bytes")));
            if r.is_nan() {
                Value::Null
            } else {
                Value::Real(r)
            }
        }
        8 => Value::Integer(0),
        9 => Value::Integer(1),
        n if n % 2 == 0 => Value::Blob(Arc::from(b)),
        _ => Value::Text(enc.decode(b)),
    })
}

/// A parsed record header: the serial type and body offset of each column. Parsing the header
/// once lets OP_Column fetch any column without rescanning.
#[derive(Debug, Clone, Default)]
pub struct RecordHeader {
    pub types: Vec<u64>,
    pub offsets: Vec<usize>,
    /// The offset where the body ends (the record's length when well formed).
    pub end: usize,
}

impl RecordHeader {
    /// Parses the header of `record`. `record_len` is the full payload size (which may exceed
    /// `record.len()` when only the local part of an overflowing payload is at hand).
    pub fn parse(record: &[u8], record_len: usize) -> Result<RecordHeader> {
        let mut h = RecordHeader::default();
        h.parse_into(record, record_len)?;
        Ok(h)
    }

    pub fn parse_into(&mut self, record: &[u8], record_len: usize) -> Result<()> {
        self.types.clear();
        self.offsets.clear();
        let (header_len, n) = read_varint(record).ok_or_else(|| Error::corrupt("truncated record header"))?;
        let header_len = header_len as usize;
        if header_len < n || header_len > record_len || header_len > record.len() {
            return Err(Error::corrupt("record header length out of range"));
        }
        let mut pos = n;
        let mut body = header_len;
        while pos < header_len {
            let (t, m) =
                read_varint(&record[pos..header_len]).ok_or_else(|| Error::corrupt("truncated serial type"))?;
            pos += m;
            let len = serial_type_len(t).ok_or_else(|| Error::corrupt(format!("reserved serial type {t}")))?;
            self.types.push(t);
            self.offsets.push(body);
            body = body.checked_add(len).ok_or_else(|| Error::corrupt("record too large"))?;
            if self.types.len() > limits::MAX_COLUMNS * 4 {
                return Err(Error::corrupt("too many columns in record"));
            }
        }
        if body > record_len {
            return Err(Error::corrupt("record body overruns the payload"));
        }
        self.end = body;
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.types.len()
    }

    /// Decodes column `i` from the full record bytes; a column past the end is NULL (a row written
    /// before ALTER TABLE ADD COLUMN), and the caller substitutes the column's default.
    pub fn column(&self, record: &[u8], i: usize, enc: TextEncoding) -> Result<Value> {
        match self.types.get(i) {
            None => Ok(Value::Null),
            Some(&t) => decode_value(t, record.get(self.offsets[i]..).unwrap_or(&[]), enc),
        }
    }
}

/// Decodes every column of a record.
pub fn decode_record(record: &[u8], enc: TextEncoding) -> Result<Vec<Value>> {
    let h = RecordHeader::parse(record, record.len())?;
    (0..h.len()).map(|i| h.column(record, i, enc)).collect()
}

/// How an index compares its keys: one collation and direction per column (SQLite's KeyInfo).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeyInfo {
    pub collations: Vec<Collation>,
    pub desc: Vec<bool>,
    pub encoding: TextEncoding,
}

impl KeyInfo {
    pub fn new(n: usize, encoding: TextEncoding) -> KeyInfo {
        KeyInfo { collations: vec![Collation::Binary; n], desc: vec![false; n], encoding }
    }
}

/// Compares the stored record `a` with the unpacked key `b` (which may have fewer columns: a
/// prefix search). Columns beyond the key info compare with BINARY ascending. When all of `b`'s
/// columns are equal the result is `Equal`, and the caller decides what a prefix match means.
pub fn compare_record(a: &[u8], b: &[Value], key: &KeyInfo) -> Result<Ordering> {
    let (header_len, mut pos) = read_varint(a).ok_or_else(|| Error::corrupt("truncated index record"))?;
    let header_len = header_len as usize;
    if header_len > a.len() || header_len < pos {
        return Err(Error::corrupt("index record header out of range"));
    }
    let mut body = header_len;
    for (i, bv) in b.iter().enumerate() {
        if pos >= header_len {
            // The stored record has fewer fields: it sorts first.
            return Ok(Ordering::Less);
        }
        let (t, m) = read_varint(&a[pos..header_len]).ok_or_else(|| Error::corrupt("truncated serial type"))?;
        pos += m;
        let len = serial_type_len(t).ok_or_else(|| Error::corrupt("reserved serial type"))?;
        let coll = key.collations.get(i).copied().unwrap_or_default();
        let ord = compare_stored(t, a.get(body..).unwrap_or(&[]), bv, coll, key.encoding)?;
        body += len;
        if ord != Ordering::Equal {
            let desc = key.desc.get(i).copied().unwrap_or(false);
            return Ok(if desc { ord.reverse() } else { ord });
        }
    }
    Ok(Ordering::Equal)
}

/// Compares one stored field with a value without allocating for the common cases.
fn compare_stored(t: u64, body: &[u8], b: &Value, coll: Collation, enc: TextEncoding) -> Result<Ordering> {
    let len = serial_type_len(t).unwrap_or(0);
    if body.len() < len {
        return Err(Error::corrupt("index record body truncated"));
    }
    match (t, b) {
        (0, Value::Null) => Ok(Ordering::Equal),
        (0, _) => Ok(Ordering::Less),
        (_, Value::Null) => Ok(Ordering::Greater),
        (1..=6 | 8 | 9, Value::Integer(y)) => {
            let Value::Integer(x) = decode_value(t, body, enc)? else { unreachable!() };
            Ok(x.cmp(y))
        }
        (1..=6 | 8 | 9, Value::Real(y)) => {
            let Value::Integer(x) = decode_value(t, body, enc)? else { unreachable!() };
            Ok(compare_int_real(x, *y))
        }
        (7, Value::Integer(y)) => match decode_value(t, body, enc)? {
            Value::Real(x) => Ok(compare_int_real(*y, x).reverse()),
            _ => Ok(Ordering::Less),
        },
        (7, Value::Real(y)) => match decode_value(t, body, enc)? {
            Value::Real(x) => Ok(compare_reals(x, *y)),
            _ => Ok(Ordering::Less),
        },
        (1..=9, _) => Ok(Ordering::Less),
        (_, Value::Integer(_) | Value::Real(_)) => Ok(Ordering::Greater),
        (n, Value::Text(y)) if n % 2 == 1 => {
            let s = &body[..len];
            if enc == TextEncoding::Utf8 && coll == Collation::Binary {
                Ok(s.cmp(y.as_bytes()))
            } else {
                Ok(coll.compare(&enc.decode(s), y))
            }
        }
        (_, Value::Text(_)) => Ok(Ordering::Greater), // stored blob > text
        (n, Value::Blob(y)) if n % 2 == 0 => Ok(body[..len].cmp(y)),
        (_, Value::Blob(_)) => Ok(Ordering::Less), // stored text < blob
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_every_serial_type() {
        let values = vec![
            Value::Null,
            Value::Integer(0),
            Value::Integer(1),
            Value::Integer(-1),
            Value::Integer(300),
            Value::Integer(-8388608),
            Value::Integer(2147483647),
            Value::Integer(140737488355327),
            Value::Integer(i64::MIN),
            Value::Real(-0.5),
            Value::text("héllo"),
            Value::blob(&[0, 1, 2]),
            Value::text(""),
        ];
        for enc in [TextEncoding::Utf8, TextEncoding::Utf16le, TextEncoding::Utf16be] {
            let rec = encode_record(&values, enc);
            assert_eq!(decode_record(&rec, enc).unwrap(), values);
        }
    }

    #[test]
    fn long_header_counts_its_own_varint() {
        let values: Vec<Value> = (0..200).map(|i| Value::Integer(i * 1000)).collect();
        let rec = encode_record(&values, TextEncoding::Utf8);
        assert_eq!(decode_record(&rec, TextEncoding::Utf8).unwrap(), values);
    }

    #[test]
    fn corrupt_records_are_errors() {
        for bad in [&[][..], &[0x05, 0x01][..], &[0x02, 0x0a][..], &[0x81][..], &[0x02, 0x1f, b'a'][..]] {
            assert!(decode_record(bad, TextEncoding::Utf8).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn index_compare_follows_sort_order() {
        let key = KeyInfo::new(2, TextEncoding::Utf8);
        let rec = encode_record(&[Value::text("b"), Value::Integer(5)], TextEncoding::Utf8);
        assert_eq!(compare_record(&rec, &[Value::text("b")], &key).unwrap(), Ordering::Equal);
        assert_eq!(compare_record(&rec, &[Value::text("c")], &key).unwrap(), Ordering::Less);
        assert_eq!(compare_record(&rec, &[Value::Integer(9)], &key).unwrap(), Ordering::Greater);
        assert_eq!(compare_record(&rec, &[Value::text("b"), Value::Real(4.5)], &key).unwrap(), Ordering::Greater);
    }
}
