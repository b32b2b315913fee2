//! printf()/format() of REALs against bundled SQLite: thousands of values (random bit patterns,
//! subnormals, powers of ten, halves) through every float conversion with flags, widths and
//! precisions. SQLite takes at most 16 significant digits (26 with `!`) from its own decimal
//! conversion and rounds half away from zero, so the text must match exactly.

mod common;
use brisk::{Connection, Value};
use common::to_value;

/// A small deterministic generator (the tests must replay).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 11
    }
}

fn values() -> Vec<f64> {
    let mut v = vec![
        0.0,
        -0.0,
        0.5,
        1.5,
        2.5,
        -2.5,
        0.05,
        0.15,
        0.25,
        1e-5,
        1e-4,
        123.456,
        1e15,
        1e16,
        1e17,
        1e20,
        1e21,
        1e22,
        1e23,
        1e100,
        1e300,
        1.7976931348623157e308,
        5e-324,
        2.2250738585072014e-308,
        1e-310,
        9007199254740993.0,
        0.1,
        0.2,
        0.3,
        1.0 / 3.0,
        2.0 / 3.0,
        99.995,
        0.000123,
        std::f64::consts::PI,
        1234567.891,
        999999.5,
        9.5,
        0.95,
    ];
    let mut rng = Lcg(0x5eed);
    for _ in 0..400 {
        let bits = rng.next() << 11 | rng.next() & 0x7ff;
        let x = f64::from_bits(bits);
        if x.is_finite() {
            v.push(x);
        }
        v.push((rng.next() % 2_000_000) as f64 / 1000.0 - 1000.0);
    }
    v
}

const FORMATS: &[&str] = &[
    "%f", "%.0f", "%.1f", "%.3f", "%.10f", "%.20f", "%e", "%.0e", "%.3e", "%.17e", "%.25e", "%E", "%g", "%.1g", "%.3g",
    "%.10g", "%.15g", "%.16g", "%.17g", "%.18g", "%.20g", "%G", "%#g", "%#.3g", "%#.0f", "%#e", "%!.15g", "%!.17g",
    "%!.20g", "%!g", "%!.3f", "%!e", "%!.30e", "%,.2f", "%,f", "%+.2e", "% .3g", "%010.3f", "%-12.4g|", "%12.5e",
    "%+012.2f",
];

#[test]
fn printf_reals_match_sqlite() {
    let b = Connection::open_in_memory().unwrap();
    let s = rusqlite::Connection::open_in_memory().unwrap();
    let mut bst = b.prepare("SELECT printf(?1, ?2)").unwrap();
    let mut sst = s.prepare("SELECT printf(?1, ?2)").unwrap();
    let mut failures = Vec::new();
    let mut checked = 0;
    for x in values() {
        for f in FORMATS {
            let ours = bst.query_all(&[Value::text(f), Value::Real(x)]).unwrap();
            let theirs: Value =
                sst.query_row(rusqlite::params![f, x], |r| Ok(to_value(r.get_ref(0).unwrap()))).unwrap();
            checked += 1;
            if ours[0][0] != theirs {
                failures.push(format!("printf('{f}', {x:e}): brisk {:?}, sqlite {theirs:?}", ours[0][0]));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures[..failures.len().min(40)].join("\n")
    );
}
