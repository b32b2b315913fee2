//! SQLite's variable-length integers: 1 to 9 bytes, big-endian, seven bits per byte with the high
//! bit as "more follows", except the ninth byte, which contributes all eight bits.

/// Decodes a varint from the start of `buf`. Returns the value and its length in bytes, or `None`
/// when `buf` ends first (a truncated varint is corruption, for the caller to report).
#[inline]
pub fn read_varint(buf: &[u8]) -> Option<(u64, usize)> {
    let mut v: u64 = 0;
    for i in 0..8 {
        let b = *buf.get(i)?;
        v = (v << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    let b = *buf.get(8)?;
    Some(((v << 8) | u64::from(b), 9))
}

/// The number of bytes `v` takes as a varint.
#[inline]
pub fn varint_len(v: u64) -> usize {
    if v <= 0x7f {
        return 1;
    }
    if v > 0x00ff_ffff_ffff_ffff {
        return 9;
    }
    let bits = 64 - v.leading_zeros() as usize;
    bits.div_ceil(7)
}

/// Encodes `v` into `out`, returning the length written (at most 9).
#[inline]
pub fn write_varint(out: &mut [u8], v: u64) -> usize {
    let n = varint_len(v);
    if n == 9 {
        out[8] = v as u8;
        let mut rest = v >> 8;
        for i in (0..8).rev() {
            out[i] = (rest as u8 & 0x7f) | 0x80;
            rest >>= 7;
        }
        return 9;
    }
    let mut rest = v;
    for i in (0..n).rev() {
        out[i] = (rest as u8 & 0x7f) | if i == n - 1 { 0 } else { 0x80 };
        rest >>= 7;
    }
    n
}

/// Appends `v` as a varint to `out`.
#[inline]
pub fn push_varint(out: &mut Vec<u8>, v: u64) {
    let mut tmp = [0u8; 9];
    let n = write_varint(&mut tmp, v);
    out.extend_from_slice(&tmp[..n]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_at_every_length_boundary() {
        let mut cases = vec![0u64, 1, u64::MAX, i64::MAX as u64, (-1i64) as u64];
        for shift in 0..64 {
            let p = 1u64 << shift;
            cases.extend([p - 1, p, p + 1]);
        }
        for v in cases {
            let mut buf = [0u8; 9];
            let n = write_varint(&mut buf, v);
            assert_eq!(n, varint_len(v), "{v}");
            assert_eq!(read_varint(&buf[..n]), Some((v, n)), "{v}");
            assert_eq!(read_varint(&buf[..n - 1]), None);
        }
    }

    #[test]
    fn known_encodings() {
        let mut buf = [0u8; 9];
        for (v, want) in [(0x7fu64, &[0x7fu8][..]), (0x80, &[0x81, 0x00]), (0x3fff, &[0xff, 0x7f])] {
            let n = write_varint(&mut buf, v);
            assert_eq!(&buf[..n], want);
        }
    }
}
