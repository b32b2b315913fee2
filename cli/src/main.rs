//! `brisk`: the command-line shell for Brisk, a drop-in for the `sqlite3` shell.
//!
//! `brisk [OPTIONS] [FILENAME [SQL...]]` runs each SQL argument in turn, or else reads SQL from
//! standard input (with prompts on a terminal), and prints results and errors exactly as sqlite3
//! does. Code map:
//! - `args.rs` — the command line (hand-written: sqlite3's single-dash long options);
//! - `input.rs` — input lines into SQL chunks and dot-commands, as sqlite3's `process_input`;
//! - `shell.rs` — the run loops, error messages and exit codes, over an [`shell::Executor`] and
//!   a [`shell::LineSource`];
//! - `interactive.rs` — on a terminal: the line editor, history and Ctrl-C;
//! - `engine.rs` — the executor over a Brisk connection;
//! - `output.rs` — output modes and value formatting; `columnar.rs` — the column-family
//!   layouts; `real40.rs` — REALs as sqlite3 3.40 prints them in quote, insert and json modes;
//! - `dot.rs` — the dot-command table and the settings commands; `files.rs` — `.output`,
//!   `.once`, `.read`, `.open`, `.backup`; `schema.rs` — `.tables`, `.indexes`, `.schema`,
//!   `.databases`, `.dump`; `import.rs` — `.import` and its CSV reader;
//! - `stats.rs` — the per-statement latency histograms of `.stats latency`.

mod args;
mod columnar;
mod dot;
mod engine;
mod files;
mod import;
mod input;
mod interactive;
mod output;
mod real40;
mod schema;
mod shell;
mod stats;

use std::io::{self, BufWriter, IsTerminal, LineWriter, Write};

use args::Command;
use output::Printer;
use shell::{InputKind, Shell};

/// The SQLite version whose behaviour Brisk follows.
const SQLITE_VERSION: &str = brisk::functions::scalar::SQLITE_VERSION;

fn version_line() -> String {
    format!("brisk {} (SQLite {SQLITE_VERSION} compatible)\n", env!("CARGO_PKG_VERSION"))
}

fn main() {
    restore_sigpipe();
    let argv: Vec<String> = std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect();
    let code = run(&argv);
    std::process::exit(code);
}

/// Rust ignores SIGPIPE; sqlite3 does not, so `brisk ... | head` ends quietly the same way.
fn restore_sigpipe() {
    // SAFETY: setting a signal's disposition to the default at start-up, before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn run(argv: &[String]) -> i32 {
    let argv0 = argv.first().map(String::as_str).unwrap_or("brisk");
    let opts = match args::parse(argv.get(1..).unwrap_or(&[])) {
        Ok(Command::Run(opts)) => opts,
        Ok(Command::Version) => {
            print!("{}", version_line());
            return 0;
        }
        Ok(Command::Help) => {
            eprint!("{}", args::usage(argv0));
            return 0;
        }
        Err(e) => {
            eprint!("{}", e.message(argv0));
            return 1;
        }
    };

    // Values printed outside a statement's step convert with the shell's digits too.
    let _fp_digits = brisk::value::FpDigitsGuard::set(engine::SHELL_FP_DIGITS);
    let path = opts.filename.clone().unwrap_or_else(|| ":memory:".to_string());
    let mut executor = engine::BriskExecutor::new(&path, opts.io, opts.read_only);
    let interactive = opts.commands.is_empty() && opts.interactive.unwrap_or_else(|| io::stdin().is_terminal());
    // The line editor and Ctrl-C need a terminal: `-interactive` over a pipe reads plain lines.
    let mut editor = if interactive && io::stdin().is_terminal() { interactive::Editor::new() } else { None };
    if editor.is_some() {
        executor.on_open(interactive::interrupt_on_sigint);
        interactive::install_sigint_handler();
    }
    let stdout_is_terminal = io::stdout().is_terminal();
    let out: Box<dyn Write> = if stdout_is_terminal {
        Box::new(LineWriter::new(io::stdout()))
    } else {
        Box::new(BufWriter::new(io::stdout()))
    };
    let mut shell = Shell::new(executor, Printer::new(out, opts.settings.clone()), Box::new(io::stderr()));
    shell.db_name = path;
    shell.bail = opts.bail;
    shell.echo = opts.echo;

    let early_exit = shell
        .run_startup_file(opts.init_file.as_deref(), interactive)
        .or_else(|| opts.init_commands.iter().find_map(|cmd| shell.run_cmd_option(cmd)));
    if let Some(code) = early_exit {
        shell.out.flush();
        return code;
    }
    let code = if !opts.commands.is_empty() {
        shell.run_commands(&opts.commands)
    } else {
        if interactive {
            let mut banner = version_line().replacen("brisk ", "brisk version ", 1);
            banner.push_str("Enter \".help\" for usage hints.\n");
            if argv.len() == 1 {
                banner.push_str("Connected to a transient in-memory database.\n");
            }
            shell.out.write_str(&banner);
        }
        let kind = if interactive { InputKind::Interactive } else { InputKind::Batch };
        match &mut editor {
            Some(editor) => {
                let code = shell.process_lines(editor, kind);
                editor.save_history();
                code
            }
            None => shell.process_input(&mut io::stdin().lock(), kind),
        }
    };
    shell.out.flush();
    code
}

#[cfg(test)]
mod testutil {
    use std::cell::RefCell;
    use std::io::Write;
    use std::rc::Rc;

    /// An output sink the test keeps a handle to.
    #[derive(Clone, Default)]
    pub struct SharedBuf(Rc<RefCell<Vec<u8>>>);

    impl SharedBuf {
        pub fn text(&self) -> String {
            String::from_utf8_lossy(&self.0.borrow()).into_owned()
        }
    }

    impl Write for SharedBuf {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
}
