//! `.import ?OPTIONS? FILE TABLE`: loads delimited text into a table, as sqlite3 3.40 does.
//!
//! The input is read one field at a time by a byte-level reader that follows sqlite3's
//! `csv_read_one_field` and `ascii_read_one_field` exactly, quirks included: a quote ends a
//! quoted field only when a separator or the end of input follows it (so `"abc"def` runs on,
//! separators and newlines and all, to the next such quote), the line count advances on every
//! row separator even inside quotes, a UTF-8 byte-order mark is skipped only before an unquoted
//! first field, and `\r` is dropped only before the row separator. A general CSV parser (the
//! `csv` crate) splits such input differently and keeps no line numbers, and the messages quote
//! those line numbers, so the reader is written out here.
//!
//! A missing table is created from the first row (sqlite3's `zAutoColumn`: every column TEXT,
//! duplicate names given `_N` suffixes); then every row is inserted through one prepared INSERT
//! inside a transaction when none is open. A row with too few fields is padded with NULLs, one
//! with too many is cut, and a failed INSERT is reported and skipped: none of these stops the
//! import. Only when the last row's INSERT fails does the command count as failed, with that
//! row's result code: sqlite3 returns whatever its last `sqlite3_reset` said.
//!
//! Differences left: text that is not UTF-8 is stored with replacement characters (Brisk's TEXT
//! is always UTF-8), and the duplicate-column notice goes to standard error even at a terminal.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};

use brisk::Value;

use crate::dot::{integer_value, DotOutcome};
use crate::output::{c_string_text, Mode};
use crate::shell::{Executor, Shell};

/// sqlite3's help for `.import`, printed on the output after an argument error.
const IMPORT_HELP: &str = r#".import FILE TABLE       Import data from FILE into TABLE
   Options:
     --ascii               Use \037 and \036 as column and row separators
     --csv                 Use , and \n as column and row separators
     --skip N              Skip the first N rows of input
     --schema S            Target table to be S.TABLE
     -v                    "Verbose" - increase auxiliary output
   Notes:
     *  If TABLE does not exist, it is created.  The first row of input
        determines the column names.
     *  If neither --csv or --ascii are used, the input mode is derived
        from the ".mode" output mode
     *  If FILE begins with "|" then it is a command that generates the
        input text.
"#;

/// What `getc` returns at the end of the input (C's `EOF`).
const EOF: i32 = -1;

/// The ASCII unit and record separators of `--ascii`.
const UNIT_SEPARATOR: u8 = 0x1f;
const RECORD_SEPARATOR: u8 = 0x1e;

/// How fields are delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// RFC 4180 with sqlite3's extensions (`csv_read_one_field`).
    Csv,
    /// Separators only, no quoting (`ascii_read_one_field`).
    Ascii,
}

/// A separator as sqlite3 compares it with what `fgetc` returns: the C `char` widened to `int`,
/// so a byte above 0x7F (sign-extended, negative) never matches any input byte.
fn separator(byte: u8) -> i32 {
    i32::from(byte as i8)
}

/// sqlite3's `ImportCtx`: the input, the field just read, and where the reader is.
struct Reader {
    input: Box<dyn BufRead>,
    /// The name in messages: the file name, or `<pipe>` for a command.
    name: String,
    format: Format,
    col_sep: i32,
    row_sep: i32,
    /// The field just read.
    field: Vec<u8>,
    /// The current line: 1 plus the row separators read so far.
    line: usize,
    /// What ended the last field: a separator, another byte (for an unterminated quote), or EOF.
    term: i32,
    /// Whether a field has been read (a byte-order mark is looked for only before the first).
    not_first: bool,
    /// Messages about malformed quoting, for the caller to print in order.
    warnings: Vec<String>,
}

impl Reader {
    fn new(input: Box<dyn BufRead>, name: String, format: Format, col_sep: i32, row_sep: i32) -> Reader {
        Reader {
            input,
            name,
            format,
            col_sep,
            row_sep,
            field: Vec::new(),
            line: 1,
            term: EOF,
            not_first: false,
            warnings: Vec::new(),
        }
    }

    /// The next byte, or EOF at the end of the input or on a read error (as `fgetc`).
    fn getc(&mut self) -> i32 {
        loop {
            match self.input.fill_buf() {
                Ok([]) => return EOF,
                Ok(buf) => {
                    let c = buf[0];
                    self.input.consume(1);
                    return i32::from(c);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => return EOF,
            }
        }
    }

    /// Reads one field into `field`; false at the end of the input (with `term` EOF).
    fn read_field(&mut self) -> bool {
        match self.format {
            Format::Csv => self.csv_field(),
            Format::Ascii => self.ascii_field(),
        }
    }

    /// sqlite3's `csv_read_one_field`.
    fn csv_field(&mut self) -> bool {
        const QUOTE: i32 = b'"' as i32;
        const CR: i32 = b'\r' as i32;
        let (col_sep, row_sep) = (self.col_sep, self.row_sep);
        self.field.clear();
        let mut c = self.getc();
        if c == EOF {
            self.term = EOF;
            return false;
        }
        if c == QUOTE {
            let start_line = self.line;
            let (mut pc, mut ppc) = (0, 0);
            // Bounded: every pass reads a byte, and the end of the input ends the loop.
            loop {
                c = self.getc();
                if c == row_sep {
                    self.line += 1;
                }
                if c == QUOTE && pc == QUOTE {
                    // A doubled quote: one was kept already.
                    pc = 0;
                    continue;
                }
                let closes = if pc == QUOTE {
                    c == col_sep || c == row_sep || c == EOF
                } else {
                    c == row_sep && pc == CR && ppc == QUOTE
                };
                if closes {
                    // Drop the closing quote and whatever followed it (a `\r`).
                    while let Some(b) = self.field.pop() {
                        if b == b'"' {
                            break;
                        }
                    }
                    self.term = c;
                    break;
                }
                if pc == QUOTE && c != CR {
                    self.warnings.push(format!("{}:{}: unescaped \" character\n", self.name, self.line));
                }
                if c == EOF {
                    self.warnings.push(format!("{}:{}: unterminated \"-quoted field\n", self.name, start_line));
                    self.term = c;
                    break;
                }
                self.field.push(c as u8);
                ppc = pc;
                pc = c;
            }
        } else {
            // A UTF-8 byte-order mark before the first field is skipped.
            if c & 0xff == 0xef && !self.not_first {
                self.field.push(c as u8);
                c = self.getc();
                if c & 0xff == 0xbb {
                    self.field.push(c as u8);
                    c = self.getc();
                    if c & 0xff == 0xbf {
                        self.not_first = true;
                        return self.csv_field();
                    }
                }
            }
            while c != EOF && c != col_sep && c != row_sep {
                self.field.push(c as u8);
                c = self.getc();
            }
            if c == row_sep {
                self.line += 1;
                if self.field.last() == Some(&b'\r') {
                    self.field.pop();
                }
            }
            self.term = c;
        }
        self.not_first = true;
        true
    }

    /// sqlite3's `ascii_read_one_field`.
    fn ascii_field(&mut self) -> bool {
        self.field.clear();
        let mut c = self.getc();
        if c == EOF {
            self.term = EOF;
            return false;
        }
        while c != EOF && c != self.col_sep && c != self.row_sep {
            self.field.push(c as u8);
            c = self.getc();
        }
        if c == self.row_sep {
            self.line += 1;
        }
        self.term = c;
        true
    }

    /// The field as sqlite3 binds it: a C string, so it ends at a NUL byte.
    fn field_text(&self) -> String {
        let end = self.field.iter().position(|&b| b == 0).unwrap_or(self.field.len());
        String::from_utf8_lossy(&self.field[..end]).into_owned()
    }
}

/// Reads a field and prints the reader's warnings.
fn read_field<E: Executor>(shell: &mut Shell<E>, reader: &mut Reader) -> bool {
    let got = reader.read_field();
    for w in std::mem::take(&mut reader.warnings) {
        shell.eprint(&w);
    }
    got
}

/// sqlite3's `%w`: a name for inside double quotes.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The column list of the CREATE TABLE for a header row, and the renames made (sqlite3's
/// `zAutoColumn`). An empty name becomes `?`. Names that equal another ignoring ASCII case get
/// `_` and their 1-based position as a suffix, with leading zeros added only as far as needed
/// to keep clear of the other names (checked with positions zero-padded to the width of the
/// column count, as sqlite3 does).
fn column_defs(header: &[String]) -> (String, Option<String>) {
    let names: Vec<&str> = header.iter().map(|n| if n.is_empty() { "?" } else { n.as_str() }).collect();
    let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    let repeated: Vec<bool> =
        (0..names.len()).map(|t| (0..names.len()).any(|o| o != t && same(names[t], names[o]))).collect();
    let has_dupes = repeated.iter().any(|&r| r);
    let mut suffixes = vec![String::new(); names.len()];
    if has_dupes {
        let digits = names.len().to_string().len();
        let renamed = |nlz: usize, width: usize| -> Vec<String> {
            (0..names.len())
                .map(|i| {
                    if repeated[i] {
                        format!("{}_{}{:0width$}", names[i], "0".repeat(nlz), i + 1)
                    } else {
                        names[i].to_string()
                    }
                })
                .collect()
        };
        // Add leading zeros until no two names clash. Bounded: once the suffix is longer than
        // every name, a renamed column can clash with no other.
        let longest = names.iter().map(|n| n.len()).max().unwrap_or(0);
        let mut nlz = 0;
        while nlz <= longest + 1 {
            let candidate = renamed(nlz, digits);
            let clash =
                (0..names.len()).any(|t| (0..names.len()).any(|o| o != t && same(&candidate[t], &candidate[o])));
            if !clash {
                break;
            }
            nlz += 1;
        }
        for (i, suffix) in suffixes.iter_mut().enumerate() {
            if repeated[i] {
                *suffix = format!("_{}{}", "0".repeat(nlz), i + 1);
            }
        }
    }
    let mut defs = String::from("(\n");
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            defs.push_str(if i % 4 > 0 { ", " } else { ",\n " });
        }
        defs.push_str(&quoted(&format!("{name}{}", suffixes[i])));
        defs.push_str(" TEXT");
    }
    defs.push(')');
    let renames = has_dupes.then(|| {
        let lines: Vec<String> = (0..names.len())
            .filter(|&i| !suffixes[i].is_empty())
            .map(|i| format!("{} to {}", quoted(names[i]), quoted(&format!("{}{}", names[i], suffixes[i]))))
            .collect();
        lines.join(",\n")
    });
    (defs, renames)
}

fn usage<E: Executor>(shell: &mut Shell<E>, message: &str) -> DotOutcome {
    shell.out.write_str(&format!("{message}{IMPORT_HELP}"));
    DotOutcome::Error
}

/// The open input: the reader, and the command feeding it when FILE is `|COMMAND`.
struct Input {
    reader: Reader,
    child: Option<Child>,
}

impl Drop for Input {
    /// Waits for the command, as `pclose` does.
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.wait();
        }
    }
}

/// Opens FILE, or runs `COMMAND` for `|COMMAND` (with `sh -c`, as `popen`).
fn open_input(file: &str, format: Format, col_sep: i32, row_sep: i32) -> Option<Input> {
    if let Some(cmd) = file.strip_prefix('|') {
        let mut child = Command::new("sh").arg("-c").arg(cmd).stdout(Stdio::piped()).spawn().ok()?;
        let stdout = child.stdout.take().expect("piped stdout");
        let reader = Reader::new(Box::new(BufReader::new(stdout)), "<pipe>".into(), format, col_sep, row_sep);
        Some(Input { reader, child: Some(child) })
    } else {
        let f: Box<dyn Read> = Box::new(File::open(file).ok()?);
        let reader = Reader::new(Box::new(BufReader::new(f)), file.to_string(), format, col_sep, row_sep);
        Some(Input { reader, child: None })
    }
}

/// `.import ?--csv|--ascii? ?--skip N? ?--schema S? ?-v? FILE TABLE`.
pub fn import<E: Executor>(shell: &mut Shell<E>, args: &[String]) -> DotOutcome {
    let ascii_mode = shell.out.settings.mode == Mode::Ascii;
    let mut format = if ascii_mode { Format::Ascii } else { Format::Csv };
    // The separators given by --csv or --ascii; otherwise the output mode's.
    let mut separators: Option<(u8, u8)> = None;
    let (mut file, mut table, mut schema) = (None::<&str>, None::<&str>, None::<&str>);
    let (mut verbose, mut skip) = (0, 0i64);
    let mut i = 1;
    while i < args.len() {
        let arg = args[i].as_str();
        let z = if arg.starts_with("--") { &arg[1..] } else { arg };
        if !z.starts_with('-') {
            if file.is_none() {
                file = Some(z);
            } else if table.is_none() {
                table = Some(z);
            } else {
                return usage(shell, &format!("ERROR: extra argument: \"{z}\".  Usage:\n"));
            }
        } else if z == "-v" {
            verbose += 1;
        } else if z == "-schema" && i + 1 < args.len() {
            i += 1;
            schema = Some(args[i].as_str());
        } else if z == "-skip" && i + 1 < args.len() {
            i += 1;
            skip = integer_value(&args[i]);
        } else if z == "-ascii" {
            separators = Some((UNIT_SEPARATOR, RECORD_SEPARATOR));
            format = Format::Ascii;
        } else if z == "-csv" {
            separators = Some((b',', b'\n'));
            format = Format::Csv;
        } else {
            return usage(shell, &format!("ERROR: unknown option: \"{z}\".  Usage:\n"));
        }
        i += 1;
    }
    let (Some(file), Some(table)) = (file, table) else {
        let missing = if file.is_none() { "FILE" } else { "TABLE" };
        return usage(shell, &format!("ERROR: missing {missing} argument. Usage:\n"));
    };
    let use_output_mode = separators.is_none();
    let (col_sep, row_sep) = match separators {
        Some(seps) => seps,
        None => {
            let s = &mut shell.out.settings;
            let message = if s.col_sep.is_empty() {
                Some("Error: non-null column separator required for import\n")
            } else if s.col_sep.len() > 1 {
                Some("Error: multi-character column separators not allowed for import\n")
            } else if s.row_sep.is_empty() {
                Some("Error: non-null row separator required for import\n")
            } else {
                // CSV's output row separator is read as "\n", and stays "\n" for output too:
                // sqlite3 rewrites the setting itself.
                if s.mode == Mode::Csv && s.row_sep == "\r\n" {
                    s.row_sep = "\n".into();
                }
                (s.row_sep.len() > 1).then_some("Error: multi-character row separators not allowed for import\n")
            };
            if let Some(message) = message {
                shell.eprint(message);
                return DotOutcome::Error;
            }
            (s.col_sep.as_bytes()[0], s.row_sep.as_bytes()[0])
        }
    };
    let Some(mut input) = open_input(file, format, separator(col_sep), separator(row_sep)) else {
        shell.eprint(&format!("Error: cannot open \"{file}\"\n"));
        return DotOutcome::Error;
    };
    if verbose >= 2 || (verbose >= 1 && use_output_mode) {
        let text =
            format!("Column separator {}, row separator {}\n", c_string_text(&[col_sep]), c_string_text(&[row_sep]));
        shell.out.write_str(&text);
    }
    let reader = &mut input.reader;
    for _ in 0..skip.max(0) {
        while read_field(shell, reader) && reader.term == reader.col_sep {}
    }
    let full_name = match schema {
        Some(schema) => format!("{}.{}", quoted(schema), quoted(table)),
        None => quoted(table),
    };
    let select = format!("SELECT * FROM {full_name}");
    let ncol = match shell.exec.prepare(&select) {
        Ok(stmt) => stmt.column_count(),
        Err(e) if e.message().starts_with("no such table: ") => {
            let mut header = Vec::new();
            while read_field(shell, reader) {
                header.push(reader.field_text());
                if reader.term != reader.col_sep {
                    break;
                }
            }
            if header.is_empty() {
                shell.eprint(&format!("{}: empty file\n", reader.name));
                return DotOutcome::Error;
            }
            let (defs, renames) = column_defs(&header);
            if let Some(renames) = renames {
                shell
                    .eprint(&format!("Columns renamed during .import {} due to duplicates:\n{renames}\n", reader.name));
            }
            let create = format!("CREATE TABLE {full_name}{defs}\n");
            if verbose >= 1 {
                shell.out.write_str(&format!("{create}\n"));
            }
            if let Err(e) = shell.exec.query(&create, &[]) {
                shell.eprint(&format!("{create} failed:\n{}\n", e.message()));
                return DotOutcome::Error;
            }
            match shell.exec.prepare(&select) {
                Ok(stmt) => stmt.column_count(),
                Err(e) => {
                    shell.eprint(&format!("Error: {}\n", e.message()));
                    return DotOutcome::Error;
                }
            }
        }
        Err(e) => {
            shell.eprint(&format!("Error: {}\n", e.message()));
            return DotOutcome::Error;
        }
    };
    if ncol == 0 {
        return DotOutcome::Ok;
    }
    let insert = format!("INSERT INTO {full_name} VALUES(?{})", ",?".repeat(ncol - 1));
    if verbose >= 2 {
        shell.out.write_str(&format!("Insert using: {insert}\n"));
    }
    let mut stmt = match shell.exec.prepare(&insert) {
        Ok(stmt) => stmt,
        Err(e) => {
            shell.eprint(&format!("Error: {}\n", e.message()));
            return DotOutcome::Error;
        }
    };
    let need_commit = shell.exec.is_autocommit();
    if need_commit {
        let _ = shell.exec.query("BEGIN", &[]);
    }
    // As sqlite3's bindings, the parameters keep their values from row to row; every row that
    // is inserted sets all of them.
    let mut params = vec![Value::Null; ncol];
    let (mut rows, mut errors) = (0usize, 0usize);
    // The result code of the last INSERT: sqlite3's `rc` when the command ends.
    let mut rc = 0;
    // Bounded: every pass reads at least one byte or reaches the end of the input.
    loop {
        let start_line = reader.line;
        let mut i = 0;
        while i < ncol {
            let got = read_field(shell, reader);
            // The end of the input before any field, or (in ascii output mode) an empty first
            // field, ends the row without inserting it.
            if !got && i == 0 {
                break;
            }
            if ascii_mode && i == 0 && (!got || reader.field.first().is_none_or(|&b| b == 0)) {
                break;
            }
            params[i] = if got { Value::text(&reader.field_text()) } else { Value::Null };
            if i + 1 < ncol && reader.term != reader.col_sep {
                shell.eprint(&format!(
                    "{}:{start_line}: expected {ncol} columns but found {} - filling the rest with NULL\n",
                    reader.name,
                    i + 1
                ));
                for p in &mut params[i + 1..] {
                    *p = Value::Null;
                }
                // Where sqlite3's counter ends after its NULL-filling loop.
                i = ncol + 1;
            }
            i += 1;
        }
        if reader.term == reader.col_sep {
            loop {
                read_field(shell, reader);
                i += 1;
                if reader.term != reader.col_sep {
                    break;
                }
            }
            shell.eprint(&format!(
                "{}:{start_line}: expected {ncol} columns but found {i} - extras ignored\n",
                reader.name
            ));
        }
        if i >= ncol {
            match stmt.run(&params) {
                Ok(()) => {
                    rows += 1;
                    rc = 0;
                }
                Err(e) => {
                    shell.eprint(&format!("{}:{start_line}: INSERT failed: {}\n", reader.name, e.message()));
                    errors += 1;
                    rc = e.code();
                }
            }
        }
        if reader.term == EOF {
            break;
        }
    }
    let lines = reader.line - 1;
    drop(stmt);
    drop(input);
    if need_commit {
        let _ = shell.exec.query("COMMIT", &[]);
    }
    if verbose > 0 {
        shell.out.write_str(&format!("Added {rows} rows with {errors} errors using {lines} lines of input\n"));
    }
    if rc == 0 {
        DotOutcome::Ok
    } else {
        DotOutcome::Failed(rc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field of `input` with the line its row started on and what ended it.
    fn fields(input: &'static [u8], format: Format, col_sep: u8, row_sep: u8) -> (Vec<(String, i32)>, Vec<String>) {
        let mut r = Reader::new(Box::new(input), "f".into(), format, separator(col_sep), separator(row_sep));
        let mut out = Vec::new();
        // Bounded by the input's length: each read consumes a byte or ends.
        for _ in 0..=input.len() {
            if !r.read_field() {
                break;
            }
            out.push((r.field_text(), r.term));
        }
        (out, r.warnings)
    }

    fn f(s: &str, term: u8) -> (String, i32) {
        (s.to_string(), i32::from(term))
    }

    // Expected splits checked against sqlite3 3.40's `.import` of the same bytes.
    #[test]
    fn csv_fields() {
        let (got, warnings) = fields(b"a,\"b,\"\"c\"\"\"\r\n\"x\ny\",z", Format::Csv, b',', b'\n');
        assert_eq!(got, vec![f("a", b','), f("b,\"c\"", b'\n'), f("x\ny", b','), ("z".into(), EOF)]);
        assert!(warnings.is_empty());

        // A quote followed by anything but a separator does not close the field.
        let (got, warnings) = fields(b"\"abc\"def,x\n1\n", Format::Csv, b',', b'\n');
        assert_eq!(got, vec![("abc\"def,x\n1\n".into(), EOF)]);
        assert_eq!(warnings, vec!["f:1: unescaped \" character\n", "f:1: unterminated \"-quoted field\n"]);

        // The byte-order mark goes only before the first field.
        let (got, _) = fields(b"\xef\xbb\xbfa,\xef\xbb\xbfb", Format::Csv, b',', b'\n');
        assert_eq!(got, vec![f("a", b','), ("\u{feff}b".into(), EOF)]);
    }

    #[test]
    fn ascii_fields_keep_quotes_and_cr() {
        let (got, _) = fields(b"\"a\"\x1fb\r\x1e", Format::Ascii, 0x1f, 0x1e);
        assert_eq!(got, vec![f("\"a\"", 0x1f), f("b\r", 0x1e)]);
    }

    #[test]
    fn line_numbers_count_separators_inside_quotes() {
        let mut r = Reader::new(Box::new(&b"\"a\nb\nc\",d\ne"[..]), "f".into(), Format::Csv, 44, 10);
        assert!(r.read_field() && r.line == 3);
        assert!(r.read_field() && r.line == 4);
    }

    fn defs(names: &[&str]) -> (String, Option<String>) {
        column_defs(&names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
    }

    // The column lists are the ones sqlite3 3.40 creates for these header rows.
    #[test]
    fn column_lists() {
        assert_eq!(defs(&["a", "b"]), ("(\n\"a\" TEXT, \"b\" TEXT)".to_string(), None));
        assert_eq!(
            defs(&["a", "a", "", "q\"x", "A", "b c"]),
            (
                "(\n\"a_1\" TEXT, \"a_2\" TEXT, \"?\" TEXT, \"q\"\"x\" TEXT,\n \"A_5\" TEXT, \"b c\" TEXT)".to_string(),
                Some("\"a\" to \"a_1\",\n\"a\" to \"a_2\",\n\"A\" to \"A_5\"".to_string())
            )
        );
        // Zeros are added until the new names clash with none of the others.
        let (list, renames) = defs(&["a", "a", "a_1", "A_01"]);
        assert_eq!(list, "(\n\"a_001\" TEXT, \"a_002\" TEXT, \"a_1\" TEXT, \"A_01\" TEXT)");
        assert_eq!(renames.as_deref(), Some("\"a\" to \"a_001\",\n\"a\" to \"a_002\""));
    }
}
