//! The shell on a terminal: line editing and history (through `rustyline`, as sqlite3 uses
//! readline), and Ctrl-C.
//!
//! Used only when standard input is a terminal and the shell is interactive; `-interactive` over
//! a pipe reads plain lines and writes prompts to standard output instead (`shell::PlainLines`).
//!
//! - History: every non-empty line read is added, as sqlite3's `one_input_line` adds each line it
//!   reads (so a statement typed over three lines is three entries), duplicates included. The
//!   last 2,000 entries are loaded at start and saved when the input ends (Ctrl-D, `.quit`,
//!   `.exit`; not `.exit N` with N other than 0, which ends the process at once, as in sqlite3),
//!   in `$BRISK_HISTORY` if set, else in `$HOME/.brisk_history` (sqlite3: `$SQLITE_HISTORY`,
//!   `~/.sqlite_history`). A history file that cannot be read or written is ignored.
//! - Ctrl-C at the prompt: the editor has the terminal in raw mode, so Ctrl-C is a key; it
//!   abandons the line being typed (SQL pending from earlier lines stays pending, as with
//!   sqlite3 and readline).
//! - Ctrl-C while a statement runs: a SIGINT, whose handler sets the connection's interrupt flag;
//!   the VM stops at its next backward jump with SQLITE_INTERRUPT, which the shell reports as
//!   `Runtime error: interrupted (9)`. The engine clears the flag when the next statement starts.
//!   As in sqlite3's `interrupt_handler`, a third Ctrl-C before the next prompt ends the shell
//!   with status 1: the way out of anything that does not look at the flag.
//! - Ctrl-D on an empty line ends the input.

use std::path::PathBuf;
use std::ptr;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};
use std::sync::Arc;

use rustyline::error::ReadlineError;
use rustyline::history::FileHistory;
use rustyline::Config;

use crate::shell::{Line, LineSource};

/// sqlite3 keeps the last 2,000 lines (`shell_stifle_history(2000)`).
const HISTORY_ENTRIES_MAX: usize = 2000;

/// The line editor, as a [`LineSource`].
pub struct Editor {
    editor: rustyline::Editor<(), FileHistory>,
    /// Where the history is kept, if anywhere.
    history_path: Option<PathBuf>,
}

impl Editor {
    /// The editor with the history file loaded; `None` if the terminal cannot be set up.
    pub fn new() -> Option<Editor> {
        let config = Config::builder()
            .max_history_size(HISTORY_ENTRIES_MAX)
            .ok()?
            .history_ignore_dups(false)
            .ok()?
            .history_ignore_space(false)
            .auto_add_history(false)
            .build();
        let mut editor = rustyline::Editor::with_config(config).ok()?;
        let history_path = history_path();
        if let Some(path) = &history_path {
            // A missing or unreadable file is an empty history, as for sqlite3.
            let _ = editor.load_history(path);
        }
        Some(Editor { editor, history_path })
    }

    /// Writes the history file.
    pub fn save_history(&mut self) {
        if let Some(path) = &self.history_path {
            let _ = self.editor.save_history(path);
        }
    }
}

/// `$BRISK_HISTORY` if set (empty: no history file), else `$HOME/.brisk_history`.
fn history_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("BRISK_HISTORY") {
        return (!path.is_empty()).then(|| PathBuf::from(path));
    }
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty())?;
    Some(PathBuf::from(home).join(".brisk_history"))
}

impl LineSource for Editor {
    fn read_line(&mut self, prompt: &str) -> Line {
        // Back at a prompt: the Ctrl-C count starts again (sqlite3's `seenInterrupt = 0`).
        INTERRUPTS_SEEN.store(0, Ordering::SeqCst);
        match self.editor.readline(prompt) {
            Ok(line) => {
                if !line.is_empty() {
                    let _ = self.editor.add_history_entry(line.as_str());
                }
                Line::Text(line)
            }
            Err(ReadlineError::Interrupted) => Line::Interrupted,
            // Ctrl-D on an empty line, or the terminal went away.
            Err(_) => Line::End,
        }
    }

    fn shows_prompt(&self) -> bool {
        true
    }
}

/// The interrupt flag of the open connection, for the signal handler; null before the first
/// connection opens.
static INTERRUPT_FLAG: AtomicPtr<AtomicBool> = AtomicPtr::new(ptr::null_mut());

/// SIGINTs since the last prompt.
static INTERRUPTS_SEEN: AtomicUsize = AtomicUsize::new(0);

/// Makes Ctrl-C interrupt statements on the connection whose flag this is (a hook for
/// `BriskExecutor::on_open`).
pub fn interrupt_on_sigint(flag: Arc<AtomicBool>) {
    // The reference is leaked on purpose: the handler may read the pointer at any moment, so
    // what it points to is never freed. That costs one flag per connection opened.
    let flag = Arc::into_raw(flag).cast_mut();
    INTERRUPT_FLAG.store(flag, Ordering::SeqCst);
}

/// Installs the SIGINT handler (for the life of the process; the editor swaps in its own while
/// it reads a line and restores this one after).
pub fn install_sigint_handler() {
    // SAFETY: a zeroed `sigaction` is a valid value to fill in; the handler only touches atomics
    // and calls `_exit`, all async-signal-safe.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigint as extern "C" fn(libc::c_int) as libc::sighandler_t;
        // Reads and writes the signal lands in carry on rather than fail with EINTR.
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGINT, &action, ptr::null_mut());
    }
}

/// sqlite3's `interrupt_handler`.
extern "C" fn on_sigint(_signal: libc::c_int) {
    let seen = INTERRUPTS_SEEN.fetch_add(1, Ordering::SeqCst) + 1;
    if seen > 2 {
        // SAFETY: `_exit` is async-signal-safe and ends the process.
        unsafe { libc::_exit(1) }
    }
    let flag = INTERRUPT_FLAG.load(Ordering::SeqCst);
    if !flag.is_null() {
        // SAFETY: a non-null pointer came from `Arc::into_raw` and is never freed.
        unsafe { (*flag).store(true, Ordering::SeqCst) }
    }
}
