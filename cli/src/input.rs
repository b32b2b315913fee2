//! Turning input lines into SQL chunks and dot-commands, exactly as sqlite3's `process_input` does.
//!
//! sqlite3 does not split its input into single statements: it accumulates lines until the text
//! so far ends, outside any quote or comment, with a `;` and `sqlite3_complete()` agrees; that
//! chunk (possibly several statements on one line) then runs as one unit, and its errors are
//! reported with the line on which the chunk started. An error stops the rest of the chunk, not
//! the lines after it. A line that starts with `.` (when no SQL is pending) is a dot-command, one
//! that starts with `#` is a comment, and a line holding only `go` or `/` ends the pending SQL
//! (SQL Server and Oracle habits).

/// The per-line scanner state (sqlite3's `QuickScanState`): whether the text so far is inside a
/// quote or block comment, whether it has seen anything but spaces and comments, and whether its
/// last significant character is a `;`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ScanState {
    /// The byte that ends the open quote or comment (`'`, `"`, `` ` ``, `]`, or `*` for `/* */`);
    /// 0 when none is open.
    wait: u8,
    /// Something other than whitespace and comments has been seen.
    dark: bool,
    /// The last significant character seen was a `;`.
    ending_semi: bool,
}

impl ScanState {
    /// Not inside a quote or block comment (`QSS_INPLAIN`).
    pub fn in_plain(self) -> bool {
        self.wait == 0
    }

    /// Only whitespace and comments, possibly with `;`s (`QSS_PLAINWHITE`).
    pub fn plain_white(self) -> bool {
        self.wait == 0 && !self.dark
    }

    /// Ends with a `;` outside any quote or comment (`QSS_SEMITERM`).
    pub fn semi_terminated(self) -> bool {
        self.wait == 0 && self.ending_semi
    }
}

/// C's `isspace` in the "C" locale.
pub fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Scans one line on from `st` (sqlite3's `quickscan`).
pub fn quickscan(line: &[u8], mut st: ScanState) -> ScanState {
    let n = line.len();
    let mut i = 0;
    loop {
        if st.wait == 0 {
            while i < n {
                let c = line[i];
                i += 1;
                if is_space(c) {
                    continue;
                }
                match c {
                    b'-' if i < n && line[i] == b'-' => match line[i..].iter().position(|&b| b == b'\n') {
                        // A `--` comment runs to the end of the line.
                        Some(p) => {
                            i += p;
                            continue;
                        }
                        None => return st,
                    },
                    b';' => {
                        st.ending_semi = true;
                        continue;
                    }
                    b'/' if i < n && line[i] == b'*' => {
                        i += 1;
                        st.wait = b'*';
                        break;
                    }
                    b'[' => {
                        st = ScanState { wait: b']', dark: true, ending_semi: false };
                        break;
                    }
                    b'`' | b'\'' | b'"' => {
                        st = ScanState { wait: c, dark: true, ending_semi: false };
                        break;
                    }
                    _ => {}
                }
                st.ending_semi = false;
                st.dark = true;
            }
            if st.wait == 0 {
                return st;
            }
        } else {
            let mut closed = false;
            while i < n {
                let c = line[i];
                i += 1;
                if c != st.wait {
                    continue;
                }
                match c {
                    b'*' => {
                        if i < n && line[i] == b'/' {
                            i += 1;
                            closed = true;
                            break;
                        }
                    }
                    b']' => {
                        closed = true;
                        break;
                    }
                    _ => {
                        // A doubled quote is an escaped quote, not the end.
                        if i < n && line[i] == c {
                            i += 1;
                        } else {
                            closed = true;
                            break;
                        }
                    }
                }
            }
            if !closed {
                return st;
            }
            st.wait = 0;
        }
    }
}

/// True for a line holding only `go` or `/` (and whitespace or comments): it ends the pending SQL.
pub fn line_is_command_terminator(line: &[u8]) -> bool {
    let start = line.iter().position(|&c| !is_space(c)).unwrap_or(line.len());
    let z = &line[start..];
    let rest = if z.first() == Some(&b'/') {
        &z[1..]
    } else if z.len() >= 2 && z[0].eq_ignore_ascii_case(&b'g') && z[1].eq_ignore_ascii_case(&b'o') {
        &z[2..]
    } else {
        return false;
    };
    quickscan(rest, ScanState::default()) == ScanState::default()
}

// `sqlite3_complete`: true if the text ends with a `;` that ends a statement (outside quotes and
// comments, and not inside a CREATE TRIGGER body).
use brisk::parser::is_complete;

/// What a line of input completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// SQL to run as one unit, and the line number where it starts.
    Sql { text: String, start_line: usize },
    /// A dot-command line, as typed.
    Dot(String),
}

/// Accumulates input lines into [`Item`]s.
#[derive(Debug, Default)]
pub struct Accumulator {
    sql: String,
    start_line: usize,
    line_no: usize,
    state: ScanState,
}

impl Accumulator {
    pub fn new() -> Accumulator {
        Accumulator::default()
    }

    /// True while SQL is pending (the continuation prompt is due).
    pub fn pending(&self) -> bool {
        !self.sql.is_empty()
    }

    /// Takes one line (without its line ending) and returns what it completes, if anything.
    pub fn push_line(&mut self, line: &str) -> Option<Item> {
        self.line_no += 1;
        let mut line = line;
        if self.state.in_plain()
            && line_is_command_terminator(line.as_bytes())
            && (self.sql.is_empty() || is_complete(&format!("{};", self.sql)))
        {
            line = ";";
        }
        self.state = quickscan(line.as_bytes(), self.state);
        if self.state.plain_white() && self.sql.is_empty() {
            // A line of whitespace, comments or `;` alone: nothing to run.
            self.state = ScanState::default();
            return None;
        }
        if self.sql.is_empty() && (line.starts_with('.') || line.starts_with('#')) {
            self.state = ScanState::default();
            return line.starts_with('.').then(|| Item::Dot(line.to_string()));
        }
        if self.sql.is_empty() {
            self.sql.push_str(line.trim_start_matches(|c: char| c.is_ascii() && is_space(c as u8)));
            self.start_line = self.line_no;
        } else {
            self.sql.push('\n');
            self.sql.push_str(line);
        }
        if !self.sql.is_empty() && self.state.semi_terminated() && is_complete(&self.sql) {
            self.state = ScanState::default();
            return Some(Item::Sql { text: std::mem::take(&mut self.sql), start_line: self.start_line });
        }
        if !self.sql.is_empty() && self.state.plain_white() {
            // Several lines that turned out to hold only comments.
            self.sql.clear();
            self.state = ScanState::default();
        }
        None
    }

    /// At the end of the input: the pending SQL, complete or not (the engine reports what is wrong).
    pub fn finish(&mut self) -> Option<Item> {
        self.state = ScanState::default();
        if self.sql.is_empty() {
            return None;
        }
        Some(Item::Sql { text: std::mem::take(&mut self.sql), start_line: self.start_line })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(input: &str) -> Vec<Item> {
        let mut acc = Accumulator::new();
        let mut out: Vec<Item> = input.lines().filter_map(|l| acc.push_line(l)).collect();
        out.extend(acc.finish());
        out
    }

    fn sql(text: &str, start_line: usize) -> Item {
        Item::Sql { text: text.to_string(), start_line }
    }

    #[test]
    fn complete_matches_sqlite3_complete() {
        for (s, want) in [
            ("", false),
            ("   ", false),
            (";", true),
            ("select 1", false),
            ("select 1;", true),
            ("select 1;  ", true),
            // SQLite 3.54 (the version Brisk follows) treats a trailing `--` comment with no newline
            // as unfinished; 3.40 did not.
            ("select 1; -- c", false),
            ("select 1 -- c;", false),
            ("select 1; /* c */", true),
            ("select 1; /* c ", false),
            ("select ';'", false),
            ("select ';';", true),
            ("select 'it''s';", true),
            ("select \"a;b\" from t", false),
            ("select [a;b];", true),
            ("select `a;", false),
            ("create table t(a);", true),
            ("create trigger r after insert on t begin select 1;", false),
            ("create trigger r after insert on t begin select 1; end", false),
            ("create trigger r after insert on t begin select 1; end;", true),
            ("create temp trigger r after insert on t begin delete from u; end;", true),
            ("explain create trigger r after insert on t begin select 1;", false),
            ("create table trigger(a);", true),
            ("select end;", true),
        ] {
            assert_eq!(is_complete(s), want, "{s:?}");
        }
    }

    #[test]
    fn quickscan_states() {
        let scan = |s: &str| quickscan(s.as_bytes(), ScanState::default());
        assert!(scan("").plain_white());
        assert!(scan("  -- just a comment").plain_white());
        assert!(scan(";").plain_white() && scan(";").semi_terminated());
        assert!(scan("select 1;").semi_terminated());
        assert!(scan("select 1; -- trailing").semi_terminated());
        assert!(scan("select 1; /* c */").semi_terminated());
        assert!(!scan("select 1; x").semi_terminated());
        assert!(!scan("select 'a;").in_plain());
        assert!(scan("select 'a'';';").semi_terminated());
        assert!(!scan("select [a;").in_plain());
        assert!(!scan("/* open").in_plain());
        assert!(scan("/* c */").plain_white());
        let open = scan("select 'abc");
        assert!(quickscan(b"def';", open).semi_terminated());
        let comment = scan("select 1; /* start");
        assert!(quickscan(b"end */", comment).semi_terminated());
    }

    #[test]
    fn command_terminators() {
        assert!(line_is_command_terminator(b"go"));
        assert!(line_is_command_terminator(b"  GO  "));
        assert!(line_is_command_terminator(b"/"));
        assert!(line_is_command_terminator(b" / -- c"));
        assert!(!line_is_command_terminator(b"gone"));
        assert!(!line_is_command_terminator(b"select 1"));
        assert!(!line_is_command_terminator(b"/ x"));
    }

    #[test]
    fn lines_become_chunks() {
        assert_eq!(items("select 1;\nselect 2;\n"), vec![sql("select 1;", 1), sql("select 2;", 2)]);
        // Several statements on one line are one chunk.
        assert_eq!(items("select 1; select 2;"), vec![sql("select 1; select 2;", 1)]);
        // A chunk starts on its first non-blank line, without the leading spaces.
        assert_eq!(
            items("\n\n  select\n  *\n from t;\nselect 2;"),
            vec![sql("select\n  *\n from t;", 3), sql("select 2;", 6)]
        );
        // The last chunk need not end with `;`.
        assert_eq!(items("select 1;\nselect 2"), vec![sql("select 1;", 1), sql("select 2", 2)]);
        // A `;` inside a comment or string does not end the chunk.
        assert_eq!(items("select 2 -- hi;\n;select 3"), vec![sql("select 2 -- hi;\n;select 3", 1)]);
        assert_eq!(items("select ';\n';"), vec![sql("select ';\n';", 1)]);
        // Comment-only lines vanish.
        assert_eq!(items("-- c\n/* a\nb */\nselect 1;"), vec![sql("select 1;", 4)]);
        assert_eq!(items(";\n;;\nselect 1;"), vec![sql("select 1;", 3)]);
    }

    #[test]
    fn trigger_bodies_stay_together() {
        let text = "create trigger r after insert on t begin\n  select 1;\n  select 2;\nend;\nselect 3;";
        assert_eq!(
            items(text),
            vec![
                sql("create trigger r after insert on t begin\n  select 1;\n  select 2;\nend;", 1),
                sql("select 3;", 5)
            ]
        );
    }

    #[test]
    fn dot_commands_and_hash_comments() {
        assert_eq!(
            items(".headers on\n# note\nselect 1;\n  .not a command;"),
            vec![Item::Dot(".headers on".into()), sql("select 1;", 3), sql(".not a command;", 4)]
        );
        // Inside pending SQL a leading `.` is just SQL.
        assert_eq!(items("select\n.5;"), vec![sql("select\n.5;", 1)]);
    }

    #[test]
    fn go_and_slash_end_statements() {
        assert_eq!(items("select 1\ngo\nselect 2\n/\n"), vec![sql("select 1\n;", 1), sql("select 2\n;", 3)]);
        // Not while the pending text is incomplete (here: inside a trigger body).
        let text = "create trigger r after insert on t begin select 1;\ngo\nend;";
        assert_eq!(items(text), vec![sql("create trigger r after insert on t begin select 1;\ngo\nend;", 1)]);
    }

    #[test]
    fn pending_and_line_numbers() {
        let mut acc = Accumulator::new();
        assert!(!acc.pending());
        assert_eq!(acc.push_line("select"), None);
        assert!(acc.pending());
        assert_eq!(acc.push_line("1;"), Some(sql("select\n1;", 1)));
        assert!(!acc.pending());
        assert_eq!(acc.line_no, 2);
        assert_eq!(acc.finish(), None);
    }
}
