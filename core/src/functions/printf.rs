//! `printf()` / `format()`: SQLite's formatting, conversions %d %i %u %f %e %E %g %G %x %X %o
//! %c %s %z %q %Q %w %%, with the flags `-`, `+`, space, `0`, `#` and `,`, width and precision
//! (either may be `*`, taken from the arguments).

use crate::value::Value;
use crate::vdbe::ops::{to_f64, to_i64, to_text};

struct Spec {
    left: bool,
    plus: bool,
    space: bool,
    zero: bool,
    alt: bool,
    comma: bool,
    /// `!`: more significant digits for floats (SQLite's flag_altform2).
    bang: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

/// Formats like SQLite's printf. Missing arguments count as NULL (0 or empty), as in SQLite.
pub fn format(fmt: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut next = 0usize;
    let mut take = || {
        let v = args.get(next).cloned().unwrap_or(Value::Null);
        next += 1;
        v
    };
    let chars: Vec<char> = fmt.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec {
            left: false,
            plus: false,
            space: false,
            zero: false,
            alt: false,
            comma: false,
            bang: false,
            width: None,
            precision: None,
        };
        while i < chars.len() {
            match chars[i] {
                '-' => spec.left = true,
                '+' => spec.plus = true,
                ' ' => spec.space = true,
                '0' => spec.zero = true,
                '#' => spec.alt = true,
                ',' => spec.comma = true,
                '!' => spec.bang = true,
                _ => break,
            }
            i += 1;
        }
        if i < chars.len() && chars[i] == '*' {
            let w = to_i64(&take());
            if w < 0 {
                spec.left = true;
            }
            spec.width = Some(w.unsigned_abs().min(100_000) as usize);
            i += 1;
        } else {
            let mut w = 0usize;
            let mut any = false;
            while i < chars.len() && chars[i].is_ascii_digit() {
                w = (w * 10 + chars[i] as usize - '0' as usize).min(100_000);
                any = true;
                i += 1;
            }
            if any {
                spec.width = Some(w);
            }
        }
        if i < chars.len() && chars[i] == '.' {
            i += 1;
            if i < chars.len() && chars[i] == '*' {
                spec.precision = Some(to_i64(&take()).clamp(0, 100_000) as usize);
                i += 1;
            } else {
                let mut p = 0usize;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    p = (p * 10 + chars[i] as usize - '0' as usize).min(100_000);
                    i += 1;
                }
                spec.precision = Some(p);
            }
        }
        // Length modifiers are accepted and ignored.
        while i < chars.len() && matches!(chars[i], 'l' | 'h') {
            i += 1;
        }
        let Some(&conv) = chars.get(i) else { break };
        i += 1;
        let body = match conv {
            '%' => {
                out.push('%');
                continue;
            }
            'd' | 'i' => signed(&spec, to_i64(&take())),
            'u' => {
                let v = to_i64(&take());
                let s = group(&(v as u64).to_string(), spec.comma);
                zero_pad(&spec, String::new(), s)
            }
            'x' | 'X' | 'o' => {
                let v = to_i64(&take()) as u64;
                let mut s = match conv {
                    'x' => format!("{v:x}"),
                    'X' => format!("{v:X}"),
                    _ => format!("{v:o}"),
                };
                if let Some(p) = spec.precision {
                    while s.len() < p {
                        s.insert(0, '0');
                    }
                }
                let prefix = match (spec.alt && v != 0, conv) {
                    (true, 'x') => "0x",
                    (true, 'X') => "0X",
                    (true, _) => "0",
                    _ => "",
                };
                zero_pad(&spec, prefix.to_string(), s)
            }
            'f' | 'e' | 'E' | 'g' | 'G' => float(&spec, conv, to_f64(&take())),
            'c' => {
                let t = to_text(&take()).unwrap_or_default();
                let ch = t.chars().next().map(String::from).unwrap_or_default();
                let n = spec.precision.unwrap_or(1).max(1);
                ch.repeat(n)
            }
            's' | 'z' => {
                let v = take();
                let t = if v.is_null() { String::new() } else { to_text(&v).unwrap_or_default().to_string() };
                truncate(t, spec.precision)
            }
            'q' | 'Q' | 'w' => {
                let v = take();
                if v.is_null() {
                    if conv == 'Q' {
                        "NULL".into()
                    } else {
                        truncate("(NULL)".into(), spec.precision)
                    }
                } else {
                    let t = to_text(&v).unwrap_or_default().to_string();
                    let t = truncate(t, spec.precision);
                    match conv {
                        'q' => t.replace('\'', "''"),
                        'Q' => format!("'{}'", t.replace('\'', "''")),
                        _ => t.replace('"', "\"\""),
                    }
                }
            }
            // An unknown conversion stops the output, as in SQLite.
            _ => break,
        };
        pad(&mut out, &spec, body);
    }
    out
}

fn truncate(s: String, precision: Option<usize>) -> String {
    match precision {
        Some(p) => s.chars().take(p).collect(),
        None => s,
    }
}

fn group(digits: &str, comma: bool) -> String {
    if !comma {
        return digits.to_string();
    }
    let mut out = String::new();
    for (k, ch) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn sign_prefix(spec: &Spec, negative: bool) -> String {
    if negative {
        "-".into()
    } else if spec.plus {
        "+".into()
    } else if spec.space {
        " ".into()
    } else {
        String::new()
    }
}

fn signed(spec: &Spec, v: i64) -> String {
    let mut digits = group(&v.unsigned_abs().to_string(), spec.comma);
    if let Some(p) = spec.precision {
        while digits.len() < p {
            digits.insert(0, '0');
        }
    }
    zero_pad(spec, sign_prefix(spec, v < 0), digits)
}

/// Puts zeros between the sign or prefix and the digits when `0` asks for them.
fn zero_pad(spec: &Spec, prefix: String, digits: String) -> String {
    if let (true, false, Some(w)) = (spec.zero, spec.left, spec.width) {
        let len = prefix.chars().count() + digits.chars().count();
        if len < w {
            return format!("{prefix}{}{digits}", "0".repeat(w - len));
        }
    }
    format!("{prefix}{digits}")
}

fn pad(out: &mut String, spec: &Spec, body: String) {
    let len = body.chars().count();
    let w = spec.width.unwrap_or(0);
    if len >= w {
        out.push_str(&body);
    } else if spec.left {
        out.push_str(&body);
        out.push_str(&" ".repeat(w - len));
    } else {
        out.push_str(&" ".repeat(w - len));
        out.push_str(&body);
    }
}

/// %f, %e, %g (and %E, %G) as SQLite's vxprintf writes them: the digits come from
/// sqlite3FpDecode (at most 16 significant digits, 26 with the `!` flag, rounded half away
/// from zero), then are laid out per conversion.
fn float(spec: &Spec, conv: char, v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return format!("{}Inf", sign_prefix(spec, v < 0.0));
    }
    let mut precision = spec.precision.unwrap_or(6).min(100_000) as i32;
    let (mut exp_form, generic) = match conv {
        'f' => (false, false),
        'e' | 'E' => (true, false),
        _ => (false, true),
    };
    let i_round = if conv == 'f' {
        -precision
    } else if generic {
        if precision == 0 {
            precision = 1;
        }
        precision
    } else {
        precision + 1
    };
    let (neg, z, dp) = crate::value::fp_decode(v, i_round, if spec.bang { 26 } else { 16 });
    let mut exp = dp - 1;
    let rtz;
    if generic {
        precision -= 1;
        rtz = !spec.alt;
        if exp < -4 || exp > precision {
            exp_form = true;
        } else {
            precision -= exp;
        }
    } else {
        rtz = spec.bang;
    }
    let mut e2 = if exp_form { 0 } else { dp - 1 };
    let flag_dp = precision > 0 || spec.alt || spec.bang;
    let mut out = String::new();
    let mut j = 0usize;
    let mut next_digit = || {
        let d = z.get(j).copied().unwrap_or(b'0') as char;
        j += 1;
        d
    };
    // Digits before the decimal point.
    if e2 < 0 {
        out.push('0');
    } else {
        while e2 >= 0 {
            out.push(next_digit());
            if spec.comma && e2 % 3 == 0 && e2 > 1 {
                out.push(',');
            }
            e2 -= 1;
        }
    }
    if flag_dp {
        out.push('.');
    }
    // Zeros after the point before the first significant digit, then the digits.
    e2 += 1;
    while e2 < 0 && precision > 0 {
        out.push('0');
        precision -= 1;
        e2 += 1;
    }
    while precision > 0 {
        out.push(next_digit());
        precision -= 1;
    }
    if rtz && flag_dp {
        while out.ends_with('0') {
            out.pop();
        }
        if out.ends_with('.') {
            if spec.bang {
                out.push('0');
            } else {
                out.pop();
            }
        }
    }
    if exp_form {
        exp = dp - 1;
        out.push(if conv == 'E' || conv == 'G' { 'E' } else { 'e' });
        out.push(if exp < 0 { '-' } else { '+' });
        let e = exp.unsigned_abs();
        if e >= 100 {
            out.push_str(&e.to_string());
        } else {
            out.push_str(&format!("{e:02}"));
        }
    }
    // With `#` and no `+` or ` ` flag, a negative value that printed as zero loses its sign
    // (checked against SQLite 3.54: printf('%#.0f', -0.3) is "0.", printf('%+#.0f', -0.3) "-0.").
    let all_zero = !out.bytes().any(|c| c.is_ascii_digit() && c != b'0') && !exp_form;
    let signless_zero = spec.alt && !spec.plus && !spec.space && all_zero;
    let neg = neg && !signless_zero;
    zero_pad(spec, sign_prefix(spec, neg), out)
}
