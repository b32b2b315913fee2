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
                '!' => {}
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

fn float(spec: &Spec, conv: char, v: f64) -> String {
    let p = spec.precision.unwrap_or(6).min(350);
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return format!("{}Inf", sign_prefix(spec, v < 0.0));
    }
    let neg = v.is_sign_negative() && v != 0.0;
    let a = v.abs();
    let body = match conv {
        'f' => {
            let s = fixed(a, p);
            let (int, frac) =
                s.split_once('.').map(|(i, f)| (i.to_string(), Some(f.to_string()))).unwrap_or((s.clone(), None));
            let int = group(&int, spec.comma);
            match frac {
                Some(f) => format!("{int}.{f}"),
                None if spec.alt => format!("{int}."),
                None => int,
            }
        }
        'e' | 'E' => exp_form(a, p, conv == 'E', spec.alt),
        _ => {
            // %g: the shorter of %e and %f with precision significant digits, trailing zeros cut.
            let p = if p == 0 { 1 } else { p };
            let exp = if a == 0.0 { 0 } else { a.log10().floor() as i32 };
            let e_repr = format!("{:.*e}", p - 1, a);
            let exp = e_repr.split_once('e').and_then(|(_, x)| x.parse::<i32>().ok()).unwrap_or(exp);
            let mut s = if exp < -4 || exp >= p as i32 {
                exp_form(a, p - 1, conv == 'G', spec.alt)
            } else {
                format!("{:.*}", (p as i32 - 1 - exp).max(0) as usize, a)
            };
            if !spec.alt {
                if let Some(epos) = s.find(['e', 'E']) {
                    let (m, e) = s.split_at(epos);
                    let m = if m.contains('.') {
                        m.trim_end_matches('0').trim_end_matches('.').to_string()
                    } else {
                        m.to_string()
                    };
                    s = format!("{m}{e}");
                } else if s.contains('.') {
                    s = s.trim_end_matches('0').trim_end_matches('.').to_string();
                }
            }
            s
        }
    };
    zero_pad(spec, sign_prefix(spec, neg), body)
}

/// `a` with `p` decimals, rounding half away from zero as SQLite does (it adds half a unit in
/// the last place before it extracts digits; Rust would round ties to even).
fn fixed(a: f64, p: usize) -> String {
    let rounded = a + 0.5 * 10f64.powi(-(p as i32));
    let s = format!("{:.*}", p + 12, rounded);
    match s.find('.') {
        Some(dot) if p == 0 => s[..dot].to_string(),
        Some(dot) => s[..dot + 1 + p].to_string(),
        None => s,
    }
}

fn exp_form(a: f64, p: usize, upper: bool, alt: bool) -> String {
    let (mut m, mut e) = if a == 0.0 {
        (0.0, 0)
    } else {
        let e = a.log10().floor() as i32;
        (a / 10f64.powi(e), e)
    };
    if m >= 10.0 {
        m /= 10.0;
        e += 1;
    }
    if m != 0.0 && m < 1.0 {
        m *= 10.0;
        e -= 1;
    }
    m += 0.5 * 10f64.powi(-(p as i32));
    if m >= 10.0 {
        m /= 10.0;
        e += 1;
    }
    let digits = format!("{:.*}", p + 12, m);
    let m = match digits.find('.') {
        Some(dot) if p == 0 => digits[..dot].to_string(),
        Some(dot) => digits[..dot + 1 + p].to_string(),
        None => digits,
    };
    let m = if alt && !m.contains('.') { format!("{m}.") } else { m.to_string() };
    format!("{m}{}{}{:02}", if upper { 'E' } else { 'e' }, if e < 0 { '-' } else { '+' }, e.abs())
}
