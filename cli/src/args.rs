//! The command line: `brisk [OPTIONS] [FILENAME [SQL...]]`.
//!
//! Hand-written rather than clap: sqlite3's options are single-dash long options (`-header`,
//! `-separator SEP`), may also be spelled with two dashes, may come before or after the filename,
//! and are processed in two passes with sqlite3's exact error messages; none of that maps well
//! onto clap. Like sqlite3, a first pass finds the filename and the SQL arguments and checks that
//! options taking a value have one; a second pass applies the options in order, so `-version` and
//! `-help` act where they stand and an unknown option is reported when reached.

use brisk::io::IoKind;

use crate::output::{Mode, Settings};

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Run(Box<Options>),
    /// `-version`: print the version line and exit.
    Version,
    /// `-help`: print the usage text and exit.
    Help,
}

/// The options for a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// The database file; `None` for an in-memory database.
    pub filename: Option<String>,
    /// SQL (or dot-commands) to run instead of reading standard input.
    pub commands: Vec<String>,
    pub io: IoKind,
    pub bail: bool,
    pub read_only: bool,
    /// `-batch` / `-interactive`: override the terminal check on standard input.
    pub interactive: Option<bool>,
    /// `-echo`: print each input before running it.
    pub echo: bool,
    /// `-cmd COMMAND`: SQL or dot-commands run before anything else.
    pub init_commands: Vec<String>,
    /// `-init FILE`: read before the commands instead of `~/.briskrc` (or `~/.sqliterc`).
    pub init_file: Option<String>,
    pub settings: Settings,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            filename: None,
            commands: Vec::new(),
            io: IoKind::Default,
            bail: false,
            read_only: false,
            interactive: None,
            echo: false,
            init_commands: Vec::new(),
            init_file: None,
            settings: Settings::default(),
        }
    }
}

/// A command-line error; its `Display` is the text sqlite3 prints after `ARGV0: Error: `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgError {
    MissingArgument(String),
    UnknownOption(String),
    UnknownIo(String),
}

impl ArgError {
    /// The full message for stderr, as sqlite3 words it.
    pub fn message(&self, argv0: &str) -> String {
        match self {
            ArgError::MissingArgument(opt) => format!("{argv0}: Error: missing argument to {opt}\n"),
            ArgError::UnknownOption(opt) => {
                format!("{argv0}: Error: unknown option: {opt}\nUse -help for a list of options.\n")
            }
            ArgError::UnknownIo(name) => {
                format!("{argv0}: Error: unknown I/O backend: {name} (choose uring, sync or memory)\n")
            }
        }
    }
}

/// Options that take a value, by their single-dash name.
const WITH_VALUE: &[&str] = &["-separator", "-nullvalue", "-newline", "-io", "-cmd", "-init"];

/// Parses the arguments after the program name.
pub fn parse(args: &[String]) -> Result<Command, ArgError> {
    let mut opts = Options::default();
    // Index of a bare `--`: later arguments are never options.
    let mut opts_end = args.len();

    // First pass: positional arguments, and a value for each option that needs one.
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        if !arg.starts_with('-') || i > opts_end {
            if opts.filename.is_none() {
                opts.filename = Some(arg.clone());
            } else {
                opts.commands.push(arg.clone());
            }
        } else {
            let z = normalize(arg);
            if z == "-" {
                opts_end = i;
            } else if WITH_VALUE.contains(&z) {
                i += 1;
                if i == args.len() {
                    return Err(ArgError::MissingArgument(arg.clone()));
                }
            }
        }
        i += 1;
    }

    // Second pass: apply the options in order.
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        if !arg.starts_with('-') || i >= opts_end {
            i += 1;
            continue;
        }
        let z = normalize(arg);
        let value = || args[i + 1].clone();
        match z {
            "-separator" => opts.settings.col_sep = value(),
            "-newline" => opts.settings.row_sep = value(),
            "-nullvalue" => opts.settings.null_value = value(),
            "-io" => opts.io = IoKind::from_name(&args[i + 1]).ok_or_else(|| ArgError::UnknownIo(value()))?,
            "-list" => opts.settings.mode = Mode::List,
            "-line" => opts.settings.mode = Mode::Line,
            // sqlite3's -csv sets the column separator only (`.mode csv` also sets CR-LF rows).
            "-csv" => {
                opts.settings.mode = Mode::Csv;
                opts.settings.col_sep = ",".into();
            }
            "-tabs" => {
                opts.settings.mode = Mode::List;
                opts.settings.col_sep = "\t".into();
                opts.settings.row_sep = "\n".into();
            }
            // These set the mode only; `.mode` also sets separators and column options.
            "-column" => opts.settings.mode = Mode::Column,
            "-box" => opts.settings.mode = Mode::Box,
            "-table" => opts.settings.mode = Mode::Table,
            "-markdown" => opts.settings.mode = Mode::Markdown,
            "-json" => opts.settings.mode = Mode::Json,
            "-html" => opts.settings.mode = Mode::Html,
            "-ascii" => {
                opts.settings.mode = Mode::Ascii;
                opts.settings.col_sep = "\x1f".into();
                opts.settings.row_sep = "\x1e".into();
            }
            "-quote" => {
                opts.settings.mode = Mode::Quote;
                opts.settings.col_sep = ",".into();
                opts.settings.row_sep = "\n".into();
            }
            "-header" | "-noheader" => {
                opts.settings.header = z == "-header";
                opts.settings.header_set = true;
            }
            "-bail" => opts.bail = true,
            "-readonly" => opts.read_only = true,
            "-batch" => opts.interactive = Some(false),
            "-interactive" => opts.interactive = Some(true),
            "-echo" => opts.echo = true,
            "-cmd" => opts.init_commands.push(value()),
            "-init" => opts.init_file = Some(value()),
            "-version" => return Ok(Command::Version),
            "-help" => return Ok(Command::Help),
            _ => return Err(ArgError::UnknownOption(z.to_string())),
        }
        i += if WITH_VALUE.contains(&z) { 2 } else { 1 };
    }
    Ok(Command::Run(Box::new(opts)))
}

/// `--opt` means `-opt`, as in sqlite3.
fn normalize(arg: &str) -> &str {
    if arg.starts_with("--") {
        &arg[1..]
    } else {
        arg
    }
}

/// The usage text for `-help` (sqlite3 prints it on stderr).
pub fn usage(argv0: &str) -> String {
    format!(
        "Usage: {argv0} [OPTIONS] [FILENAME [SQL...]]\n\
         FILENAME is the name of an SQLite database. A new database is created\n\
         if the file does not previously exist. Defaults to :memory:.\n\
         OPTIONS include:\n\
         \x20  --                   treat no subsequent arguments as options\n\
         \x20  -ascii               set output mode to 'ascii'\n\
         \x20  -bail                stop after hitting an error\n\
         \x20  -batch               force batch I/O\n\
         \x20  -box                 set output mode to 'box'\n\
         \x20  -cmd COMMAND         run \"COMMAND\" before reading stdin\n\
         \x20  -column              set output mode to 'column'\n\
         \x20  -csv                 set output mode to 'csv'\n\
         \x20  -echo                print inputs before execution\n\
         \x20  -[no]header          turn headers on or off\n\
         \x20  -help                show this message\n\
         \x20  -html                set output mode to HTML\n\
         \x20  -init FILENAME       read/process named file\n\
         \x20  -interactive         force interactive I/O\n\
         \x20  -io BACKEND          I/O backend: uring, sync or memory (default: uring,\n\
         \x20                       or sync where io_uring is unavailable)\n\
         \x20  -json                set output mode to 'json'\n\
         \x20  -line                set output mode to 'line'\n\
         \x20  -list                set output mode to 'list'\n\
         \x20  -markdown            set output mode to 'markdown'\n\
         \x20  -newline SEP         set output row separator. Default: '\\n'\n\
         \x20  -nullvalue TEXT      set text string for NULL values. Default ''\n\
         \x20  -quote               set output mode to 'quote'\n\
         \x20  -readonly            open the database read-only\n\
         \x20  -separator SEP       set output column separator. Default: '|'\n\
         \x20  -table               set output mode to 'table'\n\
         \x20  -tabs                set output mode to 'tabs'\n\
         \x20  -version             show the brisk version\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_strs(args: &[&str]) -> Result<Command, ArgError> {
        parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    fn run(args: &[&str]) -> Options {
        match parse_strs(args) {
            Ok(Command::Run(o)) => *o,
            other => panic!("{args:?}: {other:?}"),
        }
    }

    #[test]
    fn no_arguments_is_in_memory() {
        assert_eq!(run(&[]), Options::default());
    }

    #[test]
    fn filename_then_sql() {
        let o = run(&["db.sqlite", "select 1", "select 2"]);
        assert_eq!(o.filename.as_deref(), Some("db.sqlite"));
        assert_eq!(o.commands, vec!["select 1", "select 2"]);
    }

    #[test]
    fn options_anywhere_and_with_two_dashes() {
        let o = run(&["-header", "x.db", "--separator", ",", "select 1", "-nullvalue", "N", "-bail", "--readonly"]);
        assert_eq!(o.filename.as_deref(), Some("x.db"));
        assert_eq!(o.commands, vec!["select 1"]);
        assert!(o.settings.header && o.bail && o.read_only);
        assert_eq!(o.settings.col_sep, ",");
        assert_eq!(o.settings.null_value, "N");
        assert!(!run(&["-header", "-noheader"]).settings.header);
    }

    #[test]
    fn option_values_may_start_with_a_dash() {
        let o = run(&["-separator", "-", "-nullvalue", "-header"]);
        assert_eq!(o.settings.col_sep, "-");
        assert_eq!(o.settings.null_value, "-header");
        assert!(!o.settings.header);
    }

    #[test]
    fn double_dash_ends_options() {
        let o = run(&["--", "-weird.db", "-select"]);
        assert_eq!(o.filename.as_deref(), Some("-weird.db"));
        assert_eq!(o.commands, vec!["-select"]);
    }

    #[test]
    fn io_backends() {
        assert_eq!(run(&["--io", "sync"]).io, IoKind::Sync);
        assert_eq!(run(&["-io", "uring"]).io, IoKind::Uring);
        assert_eq!(run(&["--io", "memory"]).io, IoKind::Memory);
        assert_eq!(parse_strs(&["--io", "floppy"]), Err(ArgError::UnknownIo("floppy".into())));
    }

    #[test]
    fn version_and_help_act_where_they_stand() {
        assert_eq!(parse_strs(&["-version"]), Ok(Command::Version));
        assert_eq!(parse_strs(&["--help", "-bogus"]), Ok(Command::Help));
        assert_eq!(parse_strs(&["-bogus", "-version"]), Err(ArgError::UnknownOption("-bogus".into())));
    }

    #[test]
    fn errors_read_like_sqlite3() {
        // A missing value is found in the first pass, before any unknown option.
        let e = parse_strs(&["-bogus", "-separator"]).unwrap_err();
        assert_eq!(e, ArgError::MissingArgument("-separator".into()));
        assert_eq!(e.message("sqlite3"), "sqlite3: Error: missing argument to -separator\n");
        let e = parse_strs(&["--bogus"]).unwrap_err();
        assert_eq!(e.message("sqlite3"), "sqlite3: Error: unknown option: -bogus\nUse -help for a list of options.\n");
    }

    #[test]
    fn tabs_mode() {
        let o = run(&["-tabs"]);
        assert_eq!((o.settings.col_sep.as_str(), o.settings.row_sep.as_str()), ("\t", "\n"));
    }

    #[test]
    fn mode_options() {
        assert_eq!(run(&["-box"]).settings.mode, Mode::Box);
        assert_eq!(run(&["--markdown"]).settings.mode, Mode::Markdown);
        let o = run(&["-ascii"]);
        assert_eq!((o.settings.col_sep.as_str(), o.settings.row_sep.as_str()), ("\x1f", "\x1e"));
        let o = run(&["-separator", ";", "-quote"]);
        assert_eq!((o.settings.mode, o.settings.col_sep.as_str()), (Mode::Quote, ","));
        // The options leave the column options unset: no wrapping.
        assert_eq!(run(&["-column"]).settings.columns.wrap, 0);
        assert!(run(&["-noheader"]).settings.header_set);
        assert_eq!(parse_strs(&["-insert"]), Err(ArgError::UnknownOption("-insert".into())));
    }
}
