//! REAL-to-text conversion against bundled SQLite: `CAST(r AS TEXT)` (17 significant digits
//! since SQLite 3.52) and `printf('%!.15g', r)` (the 15 digits of earlier versions and of the
//! shell) for doubles of every magnitude, including the short forms SQLite tries first.

use brisk::value::format_real_digits;

/// Doubles to check: decimal-looking values, their sums and products (which pick up binary
/// noise), integers near 2^53, and random bit patterns across the exponent range.
fn samples() -> Vec<f64> {
    let mut out = vec![
        0.0,
        -0.0,
        0.1,
        0.3,
        1.0,
        -2.5,
        49.47,
        1e-5,
        1e10,
        1e15,
        1e16,
        1e17,
        1e18,
        1e100,
        1e-300,
        5e-324,
        f64::MAX,
        f64::MIN_POSITIVE,
        9007199254740993.0,
        123456789012345678.0,
        0.1 + 0.2,
        1.0 / 3.0,
        2.0 / 3.0,
        1e10 - 1e-5,
        3.0 * 1e-5,
        100.0,
        1234567890123456.0,
        0.0001,
        0.00001234,
    ];
    let mut state: u64 = 0x5eed;
    let mut next = || {
        state = state.wrapping_add(0x9e3779b97f4a7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        z ^ (z >> 31)
    };
    for _ in 0..3000 {
        let bits = next();
        let r = f64::from_bits(bits);
        if r.is_finite() {
            out.push(r);
        }
        // Short decimals and their arithmetic.
        let a = (next() % 100_000) as f64 / 10f64.powi((next() % 8) as i32);
        let b = (next() % 1000) as f64 / 100.0;
        out.extend([a, a * b, a + b, a - b, if b != 0.0 { a / b } else { a }]);
        // Integers near the 53-bit mantissa limit.
        out.push(((1u64 << 53) + next() % 1000) as f64);
    }
    out
}

#[test]
fn reals_convert_to_text_as_sqlite_does() {
    let db = rusqlite::Connection::open_in_memory().expect("open");
    let mut cast = db.prepare("SELECT CAST(?1 AS TEXT), printf('%!.15g', ?1)").expect("prepare");
    let mut bad = Vec::new();
    for r in samples() {
        let (want17, want15): (String, String) =
            cast.query_row([r], |row| Ok((row.get(0)?, row.get(1)?))).expect("query");
        let (got17, got15) = (format_real_digits(r, 17), format_real_digits(r, 15));
        if got17 != want17 || got15 != want15 {
            bad.push(format!(
                "{r:e} ({:#x}): 17 digits {got17} want {want17}; 15 digits {got15} want {want15}",
                r.to_bits()
            ));
        }
    }
    assert!(bad.is_empty(), "{} of the values differ:\n{}", bad.len(), bad[..bad.len().min(20)].join("\n"));
}

#[test]
fn the_connection_setting_decides_the_digits() {
    let conn = brisk::api::Connection::open_in_memory().expect("open");
    let text = |conn: &brisk::api::Connection| -> String {
        let rows = sqlite_tests::brisk_rows(conn, "SELECT CAST(0.1 * 3 AS TEXT)");
        match &rows[0][0] {
            brisk::Value::Text(s) => s.to_string(),
            v => panic!("not text: {v:?}"),
        }
    };
    assert_eq!(text(&conn), "0.30000000000000004");
    assert_eq!(conn.set_fp_digits(15), 15);
    assert_eq!(text(&conn), "0.3");
    // Out of range: left alone, as SQLite's sqlite3_db_config does.
    assert_eq!(conn.set_fp_digits(40), 15);
}
