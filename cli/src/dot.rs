//! Dot-commands (`.headers on`, `.quit`, ...): the line is split into arguments as sqlite3's
//! `do_meta_command` does, and the command name is looked up in [`COMMANDS`]. A name may be
//! abbreviated down to the command's minimum prefix, chosen so that an abbreviation never means a
//! different command here than in sqlite3. New commands are new table rows.

use brisk::Value;

use crate::output::{c_string_text, quote_identifier, ColumnOptions, Mode};
use crate::shell::{Eqp, Executor, Shell};
use crate::{files, import, schema};

/// What a dot-command asks of the input loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DotOutcome {
    Ok,
    /// The command failed (its message is printed); counts as an error for `-bail` and the exit code.
    Error,
    /// Like `Error`, with the result code that ends a run of SQL arguments (sqlite3 returns
    /// `do_meta_command`'s code as the exit status there).
    Failed(i32),
    /// Stop reading input and exit with this code.
    Exit(i32),
}

type Handler<E> = fn(&mut Shell<E>, &[String]) -> DotOutcome;

/// One dot-command: its name, the shortest abbreviation accepted, usage, help text and handler.
struct Command<E: Executor> {
    name: &'static str,
    min_prefix: usize,
    usage: &'static str,
    help: &'static str,
    run: Handler<E>,
}

/// A table row: the name, the shortest abbreviation sqlite3 gives the same meaning, the
/// arguments and the help line.
fn cmd<E: Executor>(
    name: &'static str,
    min_prefix: usize,
    usage: &'static str,
    help: &'static str,
    run: Handler<E>,
) -> Command<E> {
    Command { name, min_prefix, usage, help, run }
}

/// The commands, searched in order: an abbreviation means the first whose minimum it reaches.
fn commands<E: Executor>() -> Vec<Command<E>> {
    vec![
        cmd("backup", 3, "?DB? FILE", "Backup DB (default \"main\") to FILE", files::backup),
        cmd("bail", 3, "on|off", "Stop after hitting an error.  Default OFF", bail),
        cmd("changes", 3, "on|off", "Show number of rows changed by SQL", changes),
        cmd("databases", 2, "", "List names and files of attached databases", schema::databases),
        cmd("dump", 1, "?OBJECTS?", "Render database content as SQL", schema::dump),
        cmd("echo", 1, "on|off", "Turn command echo on or off", echo),
        cmd("eqp", 2, "on|off|full", "Enable or disable automatic EXPLAIN QUERY PLAN", eqp),
        cmd("exit", 4, "?CODE?", "Exit this program with return-code CODE", exit),
        cmd("explain", 4, "?on|off|auto?", "Change the EXPLAIN formatting mode.  Default: auto", explain),
        cmd("headers", 1, "on|off", "Turn display of headers on or off", headers),
        cmd("help", 3, "?PATTERN?", "Show help text for PATTERN", help),
        cmd("import", 1, "FILE TABLE", "Import data from FILE into TABLE", import::import),
        cmd("indexes", 2, "?TABLE?", "Show names of indexes", schema::tables),
        cmd("indices", 3, "?TABLE?", "Show names of indexes", schema::tables),
        cmd("mode", 1, "MODE ?OPTIONS?", "Set output mode", mode),
        cmd("nullvalue", 2, "STRING", "Use STRING in place of NULL values", nullvalue),
        cmd("output", 1, "?FILE?", "Send output to FILE or stdout if FILE is omitted", files::output),
        cmd("once", 2, "?FILE?", "Output for the next SQL command only to FILE", files::output),
        cmd("open", 2, "?OPTIONS? ?FILE?", "Close existing database and reopen FILE", files::open),
        cmd("parameter", 4, "CMD ...", "Manage SQL parameter bindings", parameter),
        cmd("print", 3, "STRING...", "Print literal STRING", print),
        cmd("quit", 1, "", "Exit this program", quit),
        cmd("read", 3, "FILE", "Read input from FILE or command output", files::read),
        cmd("save", 3, "FILE", "Write database to FILE (an alias for .backup ...)", files::backup),
        cmd("schema", 1, "?PATTERN?", "Show the CREATE statements matching PATTERN", schema::schema),
        cmd("separator", 3, "COL ?ROW?", "Change the column and row separators", separator),
        cmd("show", 3, "", "Show the current values for various settings", show),
        cmd("stats", 2, "latency ?clear?", "Per-statement latency: count, p50, p90, p99, p99.9, max", stats),
        cmd("tables", 2, "?TABLE?", "List names of tables matching LIKE pattern TABLE", schema::tables),
        cmd("timer", 2, "on|off", "Turn SQL timer on or off", timer),
        cmd("width", 2, "NUM1 NUM2 ...", "Set minimum column widths for columnar output", width),
    ]
}

/// Runs one dot-command line (starting with `.`).
pub fn run<E: Executor>(shell: &mut Shell<E>, line: &str) -> DotOutcome {
    let args = split_args(&line[1..]);
    let Some(name) = args.first() else { return DotOutcome::Ok };
    let found = commands::<E>()
        .into_iter()
        .find(|c| name.len() >= c.min_prefix.min(c.name.len()) && c.name.starts_with(name.as_str()));
    match found {
        Some(cmd) => (cmd.run)(shell, &args),
        None => {
            shell.eprint(&format!(
                "Error: unknown command or invalid arguments:  \"{name}\". Enter \".help\" for help\n"
            ));
            DotOutcome::Error
        }
    }
}

/// Splits a dot-command line into arguments: whitespace-separated words, `'...'` taken
/// literally, `"..."` with C-style backslash escapes.
pub fn split_args(line: &str) -> Vec<String> {
    let z = line.as_bytes();
    let mut args = Vec::new();
    let mut h = 0;
    while h < z.len() {
        while h < z.len() && z[h].is_ascii_whitespace() {
            h += 1;
        }
        if h >= z.len() {
            break;
        }
        if z[h] == b'\'' || z[h] == b'"' {
            let delim = z[h];
            h += 1;
            let start = h;
            while h < z.len() && z[h] != delim {
                if z[h] == b'\\' && delim == b'"' && h + 1 < z.len() {
                    h += 1;
                }
                h += 1;
            }
            let word = &z[start..h];
            if h < z.len() {
                h += 1;
            }
            let word = if delim == b'"' { resolve_backslashes(word) } else { word.to_vec() };
            args.push(String::from_utf8_lossy(&word).into_owned());
        } else {
            let start = h;
            while h < z.len() && !z[h].is_ascii_whitespace() {
                h += 1;
            }
            args.push(String::from_utf8_lossy(&z[start..h]).into_owned());
        }
    }
    args
}

/// sqlite3's `resolve_backslashes`: `\a \b \t \n \v \f \r \" \' \\` and octal `\NNN`.
fn resolve_backslashes(z: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(z.len());
    let mut i = 0;
    while i < z.len() {
        let c = z[i];
        if c != b'\\' || i + 1 >= z.len() {
            out.push(c);
            i += 1;
            continue;
        }
        i += 1;
        let e = z[i];
        i += 1;
        let resolved = match e {
            b'a' => 7,
            b'b' => 8,
            b't' => b'\t',
            b'n' => b'\n',
            b'v' => 0x0b,
            b'f' => 0x0c,
            b'r' => b'\r',
            b'0'..=b'7' => {
                let mut v = u32::from(e - b'0');
                for _ in 0..2 {
                    match z.get(i) {
                        Some(&d @ b'0'..=b'7') => {
                            v = v * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                v as u8
            }
            other => other,
        };
        out.push(resolved);
    }
    out
}

/// sqlite3's `booleanValue`: on/yes/true, off/no/false, or an integer.
fn boolean_value<E: Executor>(shell: &mut Shell<E>, arg: &str) -> bool {
    let digits = arg.strip_prefix('-').unwrap_or(arg);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return digits.bytes().any(|b| b != b'0');
    }
    if ["on", "yes", "true"].iter().any(|w| arg.eq_ignore_ascii_case(w)) {
        return true;
    }
    if !["off", "no", "false"].iter().any(|w| arg.eq_ignore_ascii_case(w)) {
        shell.eprint(&format!("ERROR: Not a boolean value: \"{arg}\". Assuming \"no\".\n"));
    }
    false
}

fn usage_error<E: Executor>(shell: &mut Shell<E>, text: &str) -> DotOutcome {
    shell.eprint(&format!("Usage: {text}\n"));
    DotOutcome::Error
}

fn bail<E: Executor>(shell: &mut Shell<E>, args: &[String]) -> DotOutcome {
    on_off(shell, args, |sh, v| sh.bail = v)
}

fn exit<E: Executor>(_shell: &mut Shell<E>, args: &[String]) -> DotOutcome {
    let code = args.get(1).map(|a| integer_value(a)).unwrap_or(0);
    DotOutcome::Exit(code as i32)
}

fn quit<E: Executor>(_shell: &mut Shell<E>, _args: &[String]) -> DotOutcome {
    DotOutcome::Exit(0)
}

fn headers<E: Executor>(shell: &mut Shell<E>, args: &[String]) -> DotOutcome {
    on_off(shell, args, |sh, v| {
        sh.out.settings.header = v;
        sh.out.settings.header_set = true;
    })
}

fn nullvalue<E: Executor>(shell: &mut Shell<E>, args: &[String]) -> DotOutcome {
    if args.len() != 2 {
        return usage_error(shell, ".nullvalue STRING");
    }
    shell.out.settings.null_value = args[1].clone();
    DotOutcome::Ok
}

fn separator<E: Executor>(shell: &mut Shell<E>, args: &[String]) -> DotOutcome {
    if args.len() < 2 || args.len() > 3 {
        return usage_error(shell, ".separator COL ?ROW?");
    }
    shell.out.settings.col_sep = args[1].clone();
    if let Some(row) = args.get(2) {
        shell.out.settings.row_sep = row.clone();
    }
    DotOutcome::Ok
}

/// sqlite3's `optionMatch`: `-NAME` or `--NAME`.
fn option_match(arg: &str, name: &str) -> bool {
    let Some(rest) = arg.strip_prefix('-') else { return false };
    rest.strip_prefix('-').unwrap_or(rest) == name
}

/// `.mode ?MODE? ?TABLE? ?OPTIONS?`, as sqlite3 3.40 parses it: the first word that is not an
/// option is the mode, which may be abbreviated (the first mode, in sqlite3's order, that starts
/// with it wins); the second is insert mode's table. Without a mode it prints the current one and
/// then sets it again, which resets its separators and options as naming it would.
fn mode<E: Executor>(shell: &mut Shell<E>, args: &[String]) -> DotOutcome {
    let mut opts = ColumnOptions::DOT_MODE;
    let mut name: Option<String> = None;
    let mut table: Option<String> = None;
    let mut i = 1;
    while i < args.len() {
        let z = &args[i];
        if option_match(z, "wrap") && i + 1 < args.len() {
            i += 1;
            opts.wrap = integer_value(&args[i]) as i32;
        } else if option_match(z, "ww") {
            opts.word_wrap = true;
        } else if option_match(z, "wordwrap") && i + 1 < args.len() {
            i += 1;
            opts.word_wrap = boolean_value(shell, &args[i]);
        } else if option_match(z, "quote") {
            opts.quote = true;
        } else if option_match(z, "noquote") {
            opts.quote = false;
        } else if name.is_none() {
            if z == "qbox" {
                opts = ColumnOptions::QBOX;
                name = Some("box".into());
            } else {
                name = Some(z.clone());
            }
        } else if table.is_none() {
            table = Some(z.clone());
        } else if z.starts_with('-') {
            shell.eprint(&format!(
                "unknown option: {z}\noptions:\n  --noquote\n  --quote\n  --wordwrap on/off\n  --wrap N\n  --ww\n"
            ));
            return DotOutcome::Error;
        } else {
            shell.eprint(&format!("extra argument: \"{z}\"\n"));
            return DotOutcome::Error;
        }
        i += 1;
    }
    let name = match name {
        Some(name) => name,
        None => {
            let s = &shell.out.settings;
            let current = s.mode.name();
            let text = if s.mode.is_columnar() {
                let c = s.columns;
                let ww = if c.word_wrap { "on" } else { "off" };
                let quote = if c.quote { "" } else { "no" };
                format!("current output mode: {current} --wrap {} --wordwrap {ww} --{quote}quote\n", c.wrap)
            } else {
                format!("current output mode: {current}\n")
            };
            shell.out.write_str(&text);
            current.to_string()
        }
    };
    // sqlite3's order, which decides what an abbreviation means.
    const MODES: &[&str] = &[
        "lines", "columns", "list", "html", "tcl", "csv", "tabs", "insert", "quote", "ascii", "markdown", "table",
        "box", "count", "off", "json",
    ];
    let Some(&full) = MODES.iter().find(|m| m.starts_with(name.as_str())) else {
        shell.eprint(
            "Error: mode should be one of: ascii box column csv html insert json line list markdown qbox quote \
             table tabs tcl\n",
        );
        return DotOutcome::Error;
    };
    // Each mode sets what sqlite3 3.40's `.mode` sets for it, and nothing else.
    let s = &mut shell.out.settings;
    match full {
        "lines" => {
            s.mode = Mode::Line;
            s.row_sep = "\n".into();
        }
        "columns" => {
            s.mode = Mode::Column;
            if !s.header_set {
                s.header = true;
            }
            s.row_sep = "\n".into();
            s.columns = opts;
        }
        "list" => {
            s.mode = Mode::List;
            s.col_sep = "|".into();
            s.row_sep = "\n".into();
        }
        "html" => s.mode = Mode::Html,
        "tcl" => {
            s.mode = Mode::Tcl;
            s.col_sep = " ".into();
            s.row_sep = "\n".into();
        }
        "csv" => {
            s.mode = Mode::Csv;
            s.col_sep = ",".into();
            s.row_sep = "\r\n".into();
        }
        "tabs" => {
            s.mode = Mode::List;
            s.col_sep = "\t".into();
        }
        "insert" => {
            s.mode = Mode::Insert;
            s.table_name = quote_identifier(table.as_deref().unwrap_or("table"));
        }
        "quote" => {
            s.mode = Mode::Quote;
            s.col_sep = ",".into();
            s.row_sep = "\n".into();
        }
        "ascii" => {
            s.mode = Mode::Ascii;
            s.col_sep = "\x1f".into();
            s.row_sep = "\x1e".into();
        }
        "markdown" | "table" | "box" => {
            s.mode = match full {
                "markdown" => Mode::Markdown,
                "table" => Mode::Table,
                _ => Mode::Box,
            };
            s.columns = opts;
        }
        "count" => s.mode = Mode::Count,
        "off" => s.mode = Mode::Off,
        _ => s.mode = Mode::Json,
    }
    DotOutcome::Ok
}

/// `.width N1 N2 ...`: the widths of the first columns in the column family; none resets them.
fn width<E: Executor>(shell: &mut Shell<E>, args: &[String]) -> DotOutcome {
    shell.out.settings.widths = args[1..].iter().map(|a| integer_value(a) as i32).collect();
    DotOutcome::Ok
}

fn help<E: Executor>(shell: &mut Shell<E>, args: &[String]) -> DotOutcome {
    let pattern = args.get(1).map(|p| p.trim_start_matches('.'));
    let mut text = String::new();
    for c in commands::<E>() {
        if pattern.is_some_and(|p| !c.name.starts_with(p)) {
            continue;
        }
        let head = if c.usage.is_empty() { format!(".{}", c.name) } else { format!(".{} {}", c.name, c.usage) };
        text.push_str(&format!("{head:<24} {}\n", c.help));
    }
    if text.is_empty() {
        text = format!("Nothing matches '{}'\n", args[1]);
    }
    shell.out.write_str(&text);
    DotOutcome::Ok
}

/// Sets a boolean from `on|off` (sqlite3's `booleanValue`), or prints the usage.
fn on_off<E: Executor>(shell: &mut Shell<E>, args: &[String], set: fn(&mut Shell<E>, bool)) -> DotOutcome {
    if args.len() != 2 {
        let name = commands::<E>().into_iter().find(|c| c.name.starts_with(args[0].as_str())).map(|c| c.name);
        return usage_error(shell, &format!(".{} on|off", name.unwrap_or("")));
    }
    let value = boolean_value(shell, &args[1]);
    set(shell, value);
    DotOutcome::Ok
}

fn changes<E: Executor>(shell: &mut Shell<E>, args: &[String]) -> DotOutcome {
    on_off(shell, args, |sh, v| sh.count_changes = v)
}

fn echo<E: Executor>(shell: &mut Shell<E>, args: &[String]) -> DotOutcome {
    on_off(shell, args, |sh, v| sh.echo = v)
}

fn timer<E: Executor>(shell: &mut Shell<E>, args: &[String]) -> DotOutcome {
    on_off(shell, args, |sh, v| sh.timer = v)
}

fn eqp<E: Executor>(shell: &mut Shell<E>, args: &[String]) -> DotOutcome {
    if args.len() != 2 {
        return usage_error(shell, ".eqp off|on|trace|trigger|full");
    }
    shell.ctx.eqp = match args[1].as_str() {
        "full" => Eqp::Full,
        "trigger" => Eqp::Trigger,
        other => {
            if boolean_value(shell, other) {
                Eqp::On
            } else {
                Eqp::Off
            }
        }
    };
    DotOutcome::Ok
}

/// `.explain ?on|off|auto?` (sqlite3's logic): `on` switches to the explain layout for every
/// statement, `auto` uses it for EXPLAIN statements only, `off` for none.
fn explain<E: Executor>(shell: &mut Shell<E>, args: &[String]) -> DotOutcome {
    let value = match args.get(1).map(String::as_str) {
        None => Some(true),
        Some("auto") => None,
        Some(a) => Some(boolean_value(shell, a)),
    };
    let s = &mut shell.out.settings;
    if s.mode == Mode::Explain && value != Some(true) {
        s.mode = s.normal_mode;
    }
    match value {
        Some(true) if s.mode != Mode::Explain => {
            s.normal_mode = s.mode;
            s.mode = Mode::Explain;
            s.auto_explain = false;
        }
        Some(true) => {}
        Some(false) => s.auto_explain = false,
        None => s.auto_explain = true,
    }
    DotOutcome::Ok
}

/// `.show`: the settings, as sqlite3 lists them.
fn show<E: Executor>(shell: &mut Shell<E>, args: &[String]) -> DotOutcome {
    if args.len() != 1 {
        return usage_error(shell, ".show");
    }
    let on_off = |b: bool| if b { "on" } else { "off" };
    let s = &shell.out.settings;
    let explain = if s.mode == Mode::Explain {
        "on"
    } else if s.auto_explain {
        "auto"
    } else {
        "off"
    };
    let mode = if s.mode.is_columnar() {
        let c = &s.columns;
        format!(
            "{} --wrap {} --wordwrap {} --{}quote",
            s.mode.name(),
            c.wrap,
            on_off(c.word_wrap),
            if c.quote { "" } else { "no" }
        )
    } else {
        s.mode.name().to_string()
    };
    let output = shell.redirect.as_ref().map_or("stdout", |r| r.name.as_str());
    let widths: String = s.widths.iter().map(|w| format!("{w} ")).collect();
    let lines = [
        ("echo", on_off(shell.echo).to_string()),
        ("eqp", shell.ctx.eqp.name().to_string()),
        ("explain", explain.to_string()),
        ("headers", on_off(s.header).to_string()),
        ("mode", mode),
        ("nullvalue", c_string_text(s.null_value.as_bytes())),
        ("output", output.to_string()),
        ("colseparator", c_string_text(s.col_sep.as_bytes())),
        ("rowseparator", c_string_text(s.row_sep.as_bytes())),
        ("stats", "off".to_string()),
        ("width", widths),
        ("filename", shell.db_name.clone()),
    ];
    let text: String = lines.iter().map(|(name, value)| format!("{name:>12}: {value}\n")).collect();
    shell.out.write_str(&text);
    DotOutcome::Ok
}

fn print<E: Executor>(shell: &mut Shell<E>, args: &[String]) -> DotOutcome {
    let mut text = args[1..].join(" ");
    text.push('\n');
    shell.out.write_str(&text);
    DotOutcome::Ok
}

/// `.stats latency ?clear?`: the session's per-statement latency report.
fn stats<E: Executor>(shell: &mut Shell<E>, args: &[String]) -> DotOutcome {
    match (args.get(1).map(String::as_str), args.get(2).map(String::as_str), args.len()) {
        (Some("latency"), None, 2) => {
            let report = shell.ctx.latency.report();
            shell.out.write_str(&report);
            DotOutcome::Ok
        }
        (Some("latency"), Some("clear"), 3) => {
            shell.ctx.latency.clear();
            DotOutcome::Ok
        }
        _ => usage_error(shell, ".stats latency ?clear?"),
    }
}

/// sqlite3's help for `.parameter`, printed on standard output for any other use.
const PARAMETER_HELP: &str = "\
.parameter CMD ...       Manage SQL parameter bindings
   clear                   Erase all bindings
   init                    Initialize the TEMP table that holds bindings
   list                    List the current parameter bindings
   set PARAMETER VALUE     Given SQL parameter PARAMETER a value of VALUE
                           PARAMETER should start with one of: $ : @ ?
   unset PARAMETER         Remove PARAMETER from the binding table
";

/// `.parameter init|clear|list|set NAME VALUE|unset NAME`: values bound by name to every
/// statement's parameters while the bindings exist.
fn parameter<E: Executor>(shell: &mut Shell<E>, args: &[String]) -> DotOutcome {
    let sub = args.get(1).map(String::as_str);
    match (sub, args.len()) {
        (Some("clear"), 2) => shell.ctx.params = None,
        (Some("init"), 2) => {
            shell.ctx.params.get_or_insert_with(Default::default);
        }
        (Some("list"), 2) => {
            let Some(params) = shell.ctx.params.clone() else { return DotOutcome::Ok };
            let width = params.keys().map(|k| k.chars().count()).max().unwrap_or(0);
            let mut text = String::new();
            for (key, value) in &params {
                let quoted = match shell.exec.query("SELECT quote(?1)", std::slice::from_ref(value)) {
                    Ok(rows) => rows.first().and_then(|r| r.first()).map(|v| v.to_string()).unwrap_or_default(),
                    Err(e) => e.message().to_string(),
                };
                let pad = width.saturating_sub(key.len());
                text.push_str(&format!("{key}{} {quoted}\n", " ".repeat(pad)));
            }
            shell.out.write_str(&text);
        }
        (Some("set"), 4) => {
            // The value is an SQL expression when it compiles as one, and text otherwise.
            let value = match shell.exec.query(&format!("SELECT {}", args[3]), &[]) {
                Ok(rows) => rows.into_iter().next().and_then(|r| r.into_iter().next()),
                Err(crate::shell::ExecError::Sql { phase: crate::shell::Phase::Prepare, .. }) => {
                    Some(Value::text(&args[3]))
                }
                Err(_) => None,
            };
            let params = shell.ctx.params.get_or_insert_with(Default::default);
            if let Some(value) = value {
                params.insert(args[2].clone(), value);
            }
        }
        (Some("unset"), 3) => {
            if let Some(params) = &mut shell.ctx.params {
                params.remove(&args[2]);
            }
        }
        _ => shell.out.write_str(PARAMETER_HELP),
    }
    DotOutcome::Ok
}

/// sqlite3's `integerValue` for the common cases: an optional sign, decimal or `0x` hex digits.
pub fn integer_value(arg: &str) -> i64 {
    let (neg, digits) = match arg.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, arg.strip_prefix('+').unwrap_or(arg)),
    };
    let v = if let Some(hex) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        let end = hex.find(|c: char| !c.is_ascii_hexdigit()).unwrap_or(hex.len());
        i64::from_str_radix(&hex[..end], 16).unwrap_or(0)
    } else {
        let end = digits.find(|c: char| !c.is_ascii_digit()).unwrap_or(digits.len());
        digits[..end].parse::<i64>().unwrap_or(0)
    };
    if neg {
        -v
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::Settings;
    use crate::shell::tests::shell;
    use crate::shell::InputKind;

    #[test]
    fn splitting_arguments() {
        assert_eq!(split_args("headers on"), vec!["headers", "on"]);
        assert_eq!(split_args("  separator ',' \"\\t\" "), vec!["separator", ",", "\t"]);
        assert_eq!(split_args("nullvalue 'a b' \"c\\\"d\""), vec!["nullvalue", "a b", "c\"d"]);
        assert_eq!(split_args("separator \"\\101\\n\""), vec!["separator", "A\n"]);
        assert_eq!(split_args(""), Vec::<String>::new());
    }

    #[test]
    fn settings_commands() {
        let (mut sh, out, err) = shell(Settings::default());
        let input = ".headers on\n.nullvalue NIL\n.separator , \"\\r\\n\"\nselect 1;\n.head off\n.bail ON\n";
        assert_eq!(sh.process_input(&mut input.as_bytes(), InputKind::Batch), 0);
        assert_eq!(out.text(), "n\r\n1\r\n");
        assert_eq!(err.text(), "");
        assert!(!sh.out.settings.header && sh.bail);
        assert_eq!(sh.out.settings.null_value, "NIL");
    }

    #[test]
    fn unknown_commands_and_usage_errors_count_as_errors() {
        let (mut sh, out, err) = shell(Settings::default());
        let input = ".foo\nselect 1;\n.headers\n.bail maybe\n.\n";
        assert_eq!(sh.process_input(&mut input.as_bytes(), InputKind::Batch), 1);
        assert_eq!(out.text(), "1\n");
        assert_eq!(
            err.text(),
            "Error: unknown command or invalid arguments:  \"foo\". Enter \".help\" for help\n\
             Usage: .headers on|off\n\
             ERROR: Not a boolean value: \"maybe\". Assuming \"no\".\n"
        );
    }

    #[test]
    fn quit_and_exit_stop_the_input() {
        let (mut sh, out, _) = shell(Settings::default());
        assert_eq!(sh.process_input(&mut "select 1;\n.quit\nselect 2;\n".as_bytes(), InputKind::Batch), 0);
        assert_eq!(out.text(), "1\n");
        let (mut sh, out, _) = shell(Settings::default());
        assert_eq!(sh.process_input(&mut ".exit\nselect 2;\n".as_bytes(), InputKind::Batch), 0);
        assert_eq!(out.text(), "");
        let (mut sh, _, _) = shell(Settings::default());
        assert_eq!(sh.run_commands(&[".exit 3".to_string(), "select 1".to_string()]), 3);
    }

    #[test]
    fn abbreviations() {
        let (mut sh, _, err) = shell(Settings::default());
        for line in [".h on", ".he off", ".nu x", ".sep ;", ".q"] {
            run(&mut sh, line);
        }
        assert_eq!(err.text(), "");
        assert_eq!(run(&mut sh, ".e"), DotOutcome::Error);
        assert_eq!(run(&mut sh, ".exi"), DotOutcome::Error);
        assert_eq!(run(&mut sh, ".exit"), DotOutcome::Exit(0));
    }

    #[test]
    fn integers() {
        assert_eq!(integer_value("12"), 12);
        assert_eq!(integer_value("-3"), -3);
        assert_eq!(integer_value("0x1F"), 31);
        assert_eq!(integer_value("7abc"), 7);
        assert_eq!(integer_value("x"), 0);
    }

    #[test]
    fn mode_names_options_and_width() {
        let (mut sh, out, err) = shell(Settings::default());
        let input = ".mode box --wrap 10 --ww\n.mode\n.mode qbox\n.mode\n.mode ta\n.mode\n.mode insert select\n\
                     .width 3 -2 x\n.mode nosuch\n";
        assert_eq!(sh.process_input(&mut input.as_bytes(), InputKind::Batch), 1);
        assert_eq!(
            out.text(),
            "current output mode: box --wrap 10 --wordwrap on --noquote\n\
             current output mode: box --wrap 60 --wordwrap off --quote\n\
             current output mode: list\n"
        );
        assert_eq!(
            err.text(),
            "Error: mode should be one of: ascii box column csv html insert json line list markdown qbox quote table \
             tabs tcl\n"
        );
        // `.mode` alone re-applied "list" after tabs, so the separator is "|" again.
        let s = &sh.out.settings;
        assert_eq!((s.mode, s.table_name.as_str(), s.col_sep.as_str()), (Mode::Insert, "\"select\"", "|"));
        assert_eq!(s.widths, vec![3, -2, 0]);
        // Column mode turns headers on unless they were set explicitly.
        assert!(!s.header);
        run(&mut sh, ".mode column");
        assert!(sh.out.settings.header);
        run(&mut sh, ".headers off");
        run(&mut sh, ".mode column");
        assert!(!sh.out.settings.header);
    }
}
