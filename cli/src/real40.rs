//! REALs as sqlite3 3.40 prints them in the quote, insert and json modes: `"%!.20g"`.
//!
//! SQLite before 3.43 rendered floating point with the 1980s `et_getdigit` loop over an x87
//! `long double` (64-bit significand): the value is scaled into [1, 10) by repeated
//! multiplications and divisions, rounded by adding a `double` rounder, and its digits are peeled
//! off one at a time by `digit = (int)v; v = (v - digit) * 10`. Every step rounds, so the output
//! is not the exact decimal expansion (3.40 prints 9.3e18 as `9300000000000000000.1`), and a
//! correct-rounding formatter cannot reproduce it. [`X80`] is a software model of that
//! `long double` (64-bit significand, round-to-nearest-even, an exponent range that no double
//! operand here can exceed), so the shell matches 3.40 on every machine, not only on x86.
//!
//! Invariant: an [`X80`] is zero or has the top bit of its significand set.

/// A non-negative x87 extended-precision value: `mant * 2^exp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct X80 {
    mant: u64,
    exp: i32,
}

impl X80 {
    const ZERO: X80 = X80 { mant: 0, exp: 0 };

    /// The exact value of a finite, non-negative double.
    fn from_f64(d: f64) -> X80 {
        assert!(d.is_finite() && d >= 0.0, "X80 models non-negative finite values only: {d}");
        let bits = d.to_bits();
        let biased = ((bits >> 52) & 0x7ff) as i32;
        let frac = bits & ((1 << 52) - 1);
        let (m, e) = if biased == 0 { (frac, -1074) } else { (frac | (1 << 52), biased - 1075) };
        X80::normalized(m, e)
    }

    fn from_u64(n: u64) -> X80 {
        X80::normalized(n, 0)
    }

    fn normalized(m: u64, e: i32) -> X80 {
        if m == 0 {
            return X80::ZERO;
        }
        let shift = m.leading_zeros();
        X80 { mant: m << shift, exp: e - shift as i32 }
    }

    /// Rounds `v * 2^e` (plus something nonzero below `v`'s last bit when `sticky`) to a 64-bit
    /// significand, ties to even.
    fn round(v: u128, e: i32, sticky: bool) -> X80 {
        if v == 0 {
            return X80::ZERO;
        }
        let shift = v.leading_zeros();
        let v = v << shift;
        let e = e - shift as i32;
        let hi = (v >> 64) as u64;
        let lo = v as u64;
        let half = 1u64 << 63;
        let up = lo > half || (lo == half && (sticky || hi & 1 == 1));
        match (up, hi.checked_add(1)) {
            (false, _) => X80 { mant: hi, exp: e + 64 },
            (true, Some(m)) => X80 { mant: m, exp: e + 64 },
            (true, None) => X80 { mant: 1 << 63, exp: e + 65 },
        }
    }

    fn is_zero(self) -> bool {
        self.mant == 0
    }

    fn mul(self, other: X80) -> X80 {
        if self.is_zero() || other.is_zero() {
            return X80::ZERO;
        }
        X80::round(u128::from(self.mant) * u128::from(other.mant), self.exp + other.exp, false)
    }

    fn div(self, other: X80) -> X80 {
        assert!(!other.is_zero(), "X80 division by zero");
        if self.is_zero() {
            return X80::ZERO;
        }
        // Both significands are in [2^63, 2^64): shift the dividend so that the quotient has 64
        // bits, and round with the remainder.
        let (n, e) = if self.mant < other.mant {
            (u128::from(self.mant) << 64, self.exp - other.exp - 64)
        } else {
            (u128::from(self.mant) << 63, self.exp - other.exp - 63)
        };
        let d = u128::from(other.mant);
        let (q, r) = (n / d, n % d);
        // q has exactly 64 bits; put the remainder's verdict in the bits below it.
        let guard = match (2 * r).cmp(&d) {
            std::cmp::Ordering::Less if r == 0 => 0u128,
            std::cmp::Ordering::Less => 1,
            std::cmp::Ordering::Equal => 2,
            std::cmp::Ordering::Greater => 3,
        };
        // Two extra bits: 10 = exactly half, 01 = below half, 11 = above half.
        X80::round((q << 2) | guard, e - 2, false)
    }

    /// `self + other`, both non-negative.
    fn add(self, other: X80) -> X80 {
        let (a, b) = if self.ge(other) { (self, other) } else { (other, self) };
        if b.is_zero() {
            return a;
        }
        // Leave one bit of headroom for the carry; keep what shifts out of `b` as sticky.
        let base = a.exp - 63;
        let av = u128::from(a.mant) << 63;
        let shift = (a.exp - b.exp) as u32;
        let bv_full = u128::from(b.mant) << 63;
        let (bv, sticky) =
            if shift >= 127 { (0, true) } else { (bv_full >> shift, (bv_full & ((1u128 << shift) - 1)) != 0) };
        X80::round(av + bv, base, sticky)
    }

    /// `self - other` for `self >= other >= 0` whose exponents are within 63 bits of each other,
    /// where the difference is exact (the only use: a value minus its integer part).
    fn sub_exact(self, other: X80) -> X80 {
        if other.is_zero() {
            return self;
        }
        assert!(self.ge(other), "X80::sub_exact needs a non-negative result");
        let shift = (self.exp - other.exp) as u32;
        assert!(shift < 64, "X80::sub_exact is only exact for close operands");
        let av = u128::from(self.mant) << 64;
        let bv = (u128::from(other.mant) << 64) >> shift;
        X80::round(av - bv, self.exp - 64, false)
    }

    /// `self >= other`.
    fn ge(self, other: X80) -> bool {
        match (self.is_zero(), other.is_zero()) {
            (_, true) => true,
            (true, false) => false,
            _ => (self.exp, self.mant) >= (other.exp, other.mant),
        }
    }

    /// C's `(int)v` for `0 <= v < 2^31`.
    fn trunc(self) -> u64 {
        if self.is_zero() || self.exp <= -64 {
            0
        } else if self.exp >= 0 {
            u64::MAX
        } else {
            self.mant >> (-self.exp)
        }
    }
}

/// sqlite3 3.40's `sqlite3_snprintf(50, z, "%!.20g", r)`.
pub fn format_real(r: f64) -> String {
    if r.is_nan() {
        return "NaN".into();
    }
    let mut out = String::new();
    if r < 0.0 {
        out.push('-');
    }
    let r = r.abs();
    if r.is_infinite() {
        out.push_str("Inf");
        return out;
    }
    // "%.20g": %g counts the leading digit in the precision.
    let mut precision: i32 = 19;
    let rounder = 5.0e-10_f64 * 1.0e-10;
    let mut v = X80::from_f64(r);
    let mut exp: i32 = 0;
    if !v.is_zero() {
        let mut scale = X80::from_u64(1);
        let (e100, e10, ten) = (X80::from_f64(1e100), X80::from_f64(1e10), X80::from_f64(10.0));
        while v.ge(e100.mul(scale)) && exp <= 350 {
            scale = scale.mul(e100);
            exp += 100;
        }
        while v.ge(e10.mul(scale)) && exp <= 350 {
            scale = scale.mul(e10);
            exp += 10;
        }
        while v.ge(ten.mul(scale)) && exp <= 350 {
            scale = scale.mul(ten);
            exp += 1;
        }
        v = v.div(scale);
        let (e8, one) = (X80::from_f64(1e-8), X80::from_u64(1));
        while !v.ge(e8) {
            v = v.mul(X80::from_f64(1e8));
            exp -= 8;
        }
        while !v.ge(one) {
            v = v.mul(ten);
            exp -= 1;
        }
    }
    v = v.add(X80::from_f64(rounder));
    if v.ge(X80::from_f64(10.0)) {
        v = v.mul(X80::from_f64(0.1));
        exp += 1;
    }
    let exponential = exp < -4 || exp > precision;
    let mut e2 = if exponential { 0 } else { exp };
    if !exponential {
        precision -= exp;
    }
    // The "!" flag: 26 significant digits, then zeros.
    let mut significant = 26;
    let mut digit = |v: &mut X80| -> char {
        if significant <= 0 {
            return '0';
        }
        significant -= 1;
        let d = v.trunc();
        *v = v.sub_exact(X80::from_u64(d)).mul(X80::from_f64(10.0));
        char::from(b'0' + d as u8)
    };
    if e2 < 0 {
        out.push('0');
    } else {
        while e2 >= 0 {
            out.push(digit(&mut v));
            e2 -= 1;
        }
    }
    out.push('.');
    e2 += 1;
    while e2 < 0 {
        out.push('0');
        precision -= 1;
        e2 += 1;
    }
    while precision > 0 {
        out.push(digit(&mut v));
        precision -= 1;
    }
    // Trailing zeros go, but "!" keeps one digit after the point.
    while out.ends_with('0') {
        out.pop();
    }
    if out.ends_with('.') {
        out.push('0');
    }
    if exponential {
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let mut e = exp.abs();
        if e >= 100 {
            out.push(char::from(b'0' + (e / 100) as u8));
            e %= 100;
        }
        out.push(char::from(b'0' + (e / 10) as u8));
        out.push(char::from(b'0' + (e % 10) as u8));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected strings are what `/usr/bin/sqlite3` 3.40.1 prints for `printf('%!.20g', x)`.
    #[test]
    fn matches_sqlite3_3_40() {
        let cases: &[(f64, &str)] = &[
            (0.1, "0.10000000000000000555"),
            (1.5, "1.5"),
            (1e100, "1.0e+100"),
            (100.0, "100.0"),
            (1e15, "1000000000000000.0"),
            (1.0 / 3.0, "0.33333333333333331482"),
            (-0.0, "0.0"),
            (9.3e18, "9300000000000000000.1"),
            (123456789.123, "123456789.12299999594"),
            (2.5e-300, "2.49999999999999998e-300"),
            (9223372036854775807.0, "9223372036854775807.8"),
            (f64::INFINITY, "Inf"),
            (f64::NEG_INFINITY, "-Inf"),
        ];
        for &(r, want) in cases {
            assert_eq!(format_real(r), want, "{r:e}");
        }
    }

    #[test]
    fn x80_arithmetic_rounds_to_nearest_even() {
        let one = X80::from_u64(1);
        let three = X80::from_u64(3);
        let third = one.div(three);
        // 1/3 in 64 bits: 0xAAAA...AAAB * 2^-65 (rounded up).
        assert_eq!(third, X80 { mant: 0xAAAA_AAAA_AAAA_AAAB, exp: -65 });
        assert_eq!(X80::from_u64(7).sub_exact(X80::from_u64(7)), X80::ZERO);
        assert_eq!(X80::from_f64(2.5).add(X80::from_f64(0.5)), X80::from_u64(3));
        assert_eq!(X80::from_f64(9.75).trunc(), 9);
    }
}
