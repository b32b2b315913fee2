//! The column-family modes (`column`, `box`, `table`, `markdown`), laid out as sqlite3 3.40's
//! `exec_prepared_stmt_columnar` lays them out.
//!
//! A statement's rows are buffered until it ends, since every column is as wide as its widest
//! value. Each value is first cut into display lines (`translate_for_display`): a newline or any
//! other control character but TAB ends a line, a TAB becomes spaces up to the next multiple of 8,
//! and a line longer than the column's width (`.width`, else `--wrap`) is wrapped, at a word
//! boundary with `--wordwrap on`. A row whose values span several lines becomes several physical
//! rows, and once any row does, rows are separated by a divider (a blank line in column mode).
//!
//! Widths are counted in characters (UTF-8 lead bytes) as 3.40 counts them: a wide CJK character
//! counts as one.

use std::io::Write;

use brisk::Value;

use crate::output::{cell, Mode, Settings};

/// One value cut into display lines: the first line, and where the rest starts in `z` (`None`
/// when nothing is left). sqlite3's `translateForDisplayAndDup`; `z` is a C string, so it ends at
/// its first NUL.
fn translate_for_display(z: &[u8], max_width: i64, word_wrap: bool) -> (Vec<u8>, Option<usize>) {
    let at = |i: usize| z.get(i).copied().unwrap_or(0);
    let mx = if max_width == 0 { 1_000_000 } else { max_width.abs() };
    let (mut i, mut n) = (0usize, 0i64);
    while n < mx {
        let c = at(i);
        if c >= b' ' {
            n += 1;
            i += 1;
            while at(i) & 0xc0 == 0x80 {
                i += 1;
            }
        } else if c == b'\t' {
            n += 1;
            while n & 7 != 0 && n < mx {
                n += 1;
            }
            i += 1;
        } else {
            break;
        }
    }
    let mut k = i;
    if n >= mx && word_wrap {
        // Back up to a space, else to an alphanumeric/other boundary, if one is in the second half.
        let half = i / 2;
        let mut kk = i;
        // Only printable characters and TABs are before `i`, so C's isspace() is Rust's here.
        while kk > half && !at(kk - 1).is_ascii_whitespace() {
            kk -= 1;
        }
        if kk <= half {
            kk = i;
            while kk > half
                && !(at(kk - 1).is_ascii_alphanumeric() != at(kk).is_ascii_alphanumeric() && at(kk) & 0xc0 != 0x80)
            {
                kk -= 1;
            }
        }
        if kk > half {
            k = kk;
            i = kk;
            while at(i) == b' ' {
                i += 1;
            }
        }
    }
    let tail = if n >= mx && at(i) >= b' ' {
        Some(i)
    } else if at(i) == b'\r' && at(i + 1) == b'\n' {
        (at(i + 2) != 0).then_some(i + 2)
    } else if at(i) == 0 || at(i + 1) == 0 {
        None
    } else {
        Some(i + 1)
    };
    let mut out = Vec::with_capacity(k + 8);
    let (mut i, mut n) = (0usize, 0i64);
    while i < k {
        let c = at(i);
        if c >= b' ' {
            n += 1;
            out.push(c);
            i += 1;
            while at(i) & 0xc0 == 0x80 {
                out.push(at(i));
                i += 1;
            }
        } else if c == b'\t' {
            loop {
                n += 1;
                out.push(b' ');
                if n & 7 == 0 || n >= mx {
                    break;
                }
            }
            i += 1;
        } else {
            break;
        }
    }
    (out, tail)
}

/// Characters in a UTF-8 string: bytes that are not continuation bytes (sqlite3's `strlenChar`).
pub fn char_count(z: &[u8]) -> usize {
    z.iter().filter(|&&c| c & 0xc0 != 0x80).count()
}

/// sqlite3's `utf8_width_print`: `z` padded (or cut) to `|w|` characters, right-aligned when `w`
/// is negative.
pub fn width_print(out: &mut Vec<u8>, w: i64, z: &[u8]) {
    let aw = w.unsigned_abs() as usize;
    let (mut i, mut n) = (0, 0);
    while i < z.len() {
        if z[i] & 0xc0 != 0x80 {
            n += 1;
            if n == aw {
                i += 1;
                while i < z.len() && z[i] & 0xc0 == 0x80 {
                    i += 1;
                }
                break;
            }
        }
        i += 1;
    }
    if n >= aw {
        out.extend_from_slice(&z[..i]);
    } else if w < 0 {
        pad(out, aw - n);
        out.extend_from_slice(z);
    } else {
        out.extend_from_slice(z);
        pad(out, aw - n);
    }
}

fn pad(out: &mut Vec<u8>, n: usize) {
    out.resize(out.len() + n, b' ');
}

/// A value as `--quote` shows it (sqlite3's `quoted_column`).
fn quoted(v: &Value) -> Vec<u8> {
    match v {
        Value::Null => b"NULL".to_vec(),
        Value::Integer(_) | Value::Real(_) => v.to_string().into_bytes(),
        Value::Text(s) => {
            let s = s.split('\0').next().unwrap_or("");
            format!("'{}'", s.replace('\'', "''")).into_bytes()
        }
        Value::Blob(b) => {
            let mut s = String::with_capacity(b.len() * 2 + 3);
            s.push_str("x'");
            for byte in b.iter() {
                s.push_str(&format!("{byte:02x}"));
            }
            s.push('\'');
            s.into_bytes()
        }
    }
}

/// The box-drawing characters, named by the sides they join (1 = up, 2 = right, 3 = down,
/// 4 = left), as in sqlite3's `BOX_*` macros.
const BOX_24: &str = "\u{2500}";
const BOX_13: &str = "\u{2502}";
const BOX_23: &str = "\u{250c}";
const BOX_34: &str = "\u{2510}";
const BOX_12: &str = "\u{2514}";
const BOX_14: &str = "\u{2518}";
const BOX_123: &str = "\u{251c}";
const BOX_134: &str = "\u{2524}";
const BOX_234: &str = "\u{252c}";
const BOX_124: &str = "\u{2534}";
const BOX_1234: &str = "\u{253c}";

/// A horizontal rule: `sep` between (and around) runs of `fill`, one per column, each two wider
/// than the column.
fn rule(out: &mut Vec<u8>, widths: &[usize], fill: &str, left: &str, mid: &str, right: &str) {
    for (i, w) in widths.iter().enumerate() {
        out.extend_from_slice(if i == 0 { left } else { mid }.as_bytes());
        out.extend_from_slice(fill.repeat(w + 2).as_bytes());
    }
    out.extend_from_slice(right.as_bytes());
    out.push(b'\n');
}

/// Prints a statement's buffered rows in a column-family mode. Prints nothing for no rows.
pub fn render(out: &mut dyn Write, settings: &Settings, names: &[String], rows: &[Vec<Value>]) {
    let n_col = names.len();
    if rows.is_empty() || n_col == 0 {
        return;
    }
    let mode = settings.mode;
    let opts = settings.columns;
    let col_width = |i: usize| i64::from(settings.widths.get(i).copied().unwrap_or(0));
    let wrap_width = |i: usize| match col_width(i) {
        0 => i64::from(opts.wrap),
        w => w,
    };

    let header: Vec<Vec<u8>> = names
        .iter()
        .enumerate()
        .map(|(i, name)| translate_for_display(name.as_bytes(), wrap_width(i), opts.word_wrap).0)
        .collect();
    // Physical rows, each with whether it ends its logical row.
    let mut lines: Vec<(Vec<Vec<u8>>, bool)> = Vec::new();
    let mut multi_line = false;
    for row in rows {
        let mut texts: Vec<Vec<u8>> =
            row.iter().map(|v| if opts.quote { quoted(v) } else { cell(v, settings).into_owned() }).collect();
        texts.resize(n_col, Vec::new());
        loop {
            let mut line = Vec::with_capacity(n_col);
            let mut rest = Vec::with_capacity(n_col);
            let mut more = false;
            for (i, text) in texts.iter().enumerate() {
                let (shown, tail) = translate_for_display(text, wrap_width(i), opts.word_wrap);
                line.push(shown);
                match tail {
                    Some(t) => {
                        more = true;
                        rest.push(text[t..].to_vec());
                    }
                    None => rest.push(Vec::new()),
                }
            }
            lines.push((line, !more));
            if !more {
                break;
            }
            multi_line = true;
            texts = rest;
        }
    }

    let mut widths: Vec<usize> = (0..n_col).map(|i| col_width(i).unsigned_abs() as usize).collect();
    for cells in std::iter::once(&header).chain(lines.iter().map(|(cells, _)| cells)) {
        for (w, c) in widths.iter_mut().zip(cells) {
            *w = (*w).max(char_count(c));
        }
    }
    // The signed width a cell is printed with: negative `.width` right-aligns.
    let signed = |i: usize| if col_width(i) < 0 { -(widths[i] as i64) } else { widths[i] as i64 };

    let mut o: Vec<u8> = Vec::new();
    let centered = |o: &mut Vec<u8>, i: usize| {
        let room = widths[i] - char_count(&header[i]);
        pad(o, room / 2);
        o.extend_from_slice(&header[i]);
        pad(o, room.div_ceil(2));
    };
    let (col_sep, row_sep, row_start) = match mode {
        Mode::Column => {
            if settings.header {
                for (i, name) in header.iter().enumerate() {
                    width_print(&mut o, signed(i), name);
                    o.extend_from_slice(if i + 1 == n_col { b"\n" } else { b"  " });
                }
                for (i, w) in widths.iter().enumerate() {
                    o.resize(o.len() + *w, b'-');
                    o.extend_from_slice(if i + 1 == n_col { b"\n" } else { b"  " });
                }
            }
            ("  ".to_string(), "\n".to_string(), "")
        }
        Mode::Table | Mode::Markdown => {
            if mode == Mode::Table {
                rule(&mut o, &widths, "-", "+", "+", "+");
            }
            o.extend_from_slice(b"| ");
            for i in 0..n_col {
                centered(&mut o, i);
                o.extend_from_slice(if i + 1 == n_col { b" |\n" } else { b" | " });
            }
            if mode == Mode::Table {
                rule(&mut o, &widths, "-", "+", "+", "+");
            } else {
                rule(&mut o, &widths, "-", "|", "|", "|");
            }
            (" | ".to_string(), " |\n".to_string(), "| ")
        }
        _ => {
            rule(&mut o, &widths, BOX_24, BOX_23, BOX_234, BOX_34);
            o.extend_from_slice(format!("{BOX_13} ").as_bytes());
            for i in 0..n_col {
                centered(&mut o, i);
                let end = if i + 1 == n_col { format!(" {BOX_13}\n") } else { format!(" {BOX_13} ") };
                o.extend_from_slice(end.as_bytes());
            }
            rule(&mut o, &widths, BOX_24, BOX_123, BOX_1234, BOX_134);
            (format!(" {BOX_13} "), format!(" {BOX_13}\n"), "\u{2502} ")
        }
    };
    for (r, (cells, ends_row)) in lines.iter().enumerate() {
        o.extend_from_slice(row_start.as_bytes());
        for (i, c) in cells.iter().enumerate() {
            width_print(&mut o, signed(i), c);
            o.extend_from_slice(if i + 1 == n_col { row_sep.as_bytes() } else { col_sep.as_bytes() });
        }
        if multi_line && *ends_row && r + 1 < lines.len() {
            match mode {
                Mode::Table => rule(&mut o, &widths, "-", "+", "+", "+"),
                Mode::Box => rule(&mut o, &widths, BOX_24, BOX_123, BOX_1234, BOX_134),
                Mode::Column => o.push(b'\n'),
                _ => {}
            }
        }
    }
    match mode {
        Mode::Table => rule(&mut o, &widths, "-", "+", "+", "+"),
        Mode::Box => rule(&mut o, &widths, BOX_24, BOX_12, BOX_124, BOX_14),
        _ => {}
    }
    let _ = out.write_all(&o);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(z: &str, w: i64, ww: bool) -> (String, Option<String>) {
        let (line, tail) = translate_for_display(z.as_bytes(), w, ww);
        (String::from_utf8(line).unwrap(), tail.map(|t| z[t..].to_string()))
    }

    #[test]
    fn lines_end_at_controls_and_wrap_at_the_width() {
        assert_eq!(t("ab\ncd", 0, false), ("ab".into(), Some("cd".into())));
        assert_eq!(t("ab\r\ncd", 0, false), ("ab".into(), Some("cd".into())));
        assert_eq!(t("ab\n", 0, false), ("ab".into(), None));
        assert_eq!(t("a\x01b", 0, false), ("a".into(), Some("b".into())));
        assert_eq!(t("x\ty", 0, false), ("x       y".into(), None));
        assert_eq!(t("abcdef", 4, false), ("abcd".into(), Some("ef".into())));
        assert_eq!(t("héllo wörld", -5, false), ("héllo".into(), Some(" wörld".into())));
        assert_eq!(t("jumps over the", 10, true), ("jumps ".into(), Some("over the".into())));
        assert_eq!(t("foo-bar-baz", 8, true), ("foo-bar-".into(), Some("baz".into())));
    }

    #[test]
    fn padding_counts_characters() {
        let mut o = Vec::new();
        width_print(&mut o, 4, "日本".as_bytes());
        width_print(&mut o, -3, b"x");
        width_print(&mut o, 2, b"abc");
        assert_eq!(String::from_utf8(o).unwrap(), "日本    xab");
    }
}
