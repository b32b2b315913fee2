//! The `brisk` binary on a terminal: each test starts it in a pseudo-terminal of its own (opened
//! here with libc, the child made its session leader with the pty as controlling terminal, so
//! Ctrl-C is a real SIGINT), types keys into the master side and waits, with a deadline, for
//! text to appear on it.
//!
//! What is checked against sqlite3 3.40 (with readline, driven the same way by hand): history
//! holds every line read, statements span lines under the `   ...> ` prompt, Ctrl-C at the prompt
//! abandons the line being typed, Ctrl-C during a statement prints
//! `Runtime error: interrupted (9)` and the next prompt works, Ctrl-D ends the shell.
//!
//! The terminal output holds the editor's escape sequences, so tests look for text that only the
//! step they wait for can produce (a query's result, not its echo).

use std::ffi::CStr;
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const BRISK: &str = env!("CARGO_BIN_EXE_brisk");

/// How long any one expected output may take: generous, for a loaded machine; a passing test
/// waits only as long as the shell takes.
const WAIT: Duration = Duration::from_secs(10);

const ENDLESS: &str = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c;";

const UP: &str = "\x1b[A";
const CTRL_C: &str = "\x03";
const CTRL_D: &str = "\x04";

fn fresh_dir(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("brisk-pty-test-{}-{n}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a temporary directory");
    dir
}

fn check(ret: libc::c_int, what: &str) {
    assert!(ret != -1, "{what}: {}", std::io::Error::last_os_error());
}

/// A `brisk` running in a pseudo-terminal.
struct Session {
    master: File,
    child: Child,
    /// Everything read from the terminal so far.
    seen: Vec<u8>,
    /// Where the next wait starts looking.
    mark: usize,
}

impl Session {
    /// Starts `brisk` with `$HOME` set to `home` and the given extra environment.
    fn start(home: &Path, env: &[(&str, &str)]) -> Session {
        // SAFETY: plain libc calls on descriptors this function owns; each result is checked.
        let (master, slave) = unsafe {
            let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
            check(master, "posix_openpt");
            check(libc::grantpt(master), "grantpt");
            check(libc::unlockpt(master), "unlockpt");
            let mut name = [0 as libc::c_char; 128];
            check(libc::ptsname_r(master, name.as_mut_ptr(), name.len()), "ptsname_r");
            let slave = libc::open(name.as_ptr(), libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
            check(slave, &format!("open {:?}", CStr::from_ptr(name.as_ptr())));
            // Wide enough that no line typed here wraps (the editor redraws wrapped lines).
            let size = libc::winsize { ws_row: 40, ws_col: 250, ws_xpixel: 0, ws_ypixel: 0 };
            check(libc::ioctl(master, libc::TIOCSWINSZ, &size), "TIOCSWINSZ");
            (File::from_raw_fd(master), File::from_raw_fd(slave))
        };
        let mut cmd = Command::new(BRISK);
        cmd.env("HOME", home).env("TERM", "xterm").env_remove("BRISK_HISTORY").current_dir(home);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.stdin(slave.try_clone().unwrap()).stdout(slave.try_clone().unwrap()).stderr(slave);
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                // A session of its own, with the pty (already on fd 0) as its controlling
                // terminal, so that Ctrl-C typed there is a SIGINT to the shell.
                if libc::setsid() == -1 || libc::ioctl(0, libc::TIOCSCTTY, 0) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().expect("start brisk");
        // The parent's copies of the slave are gone with `cmd`'s stdio: reads see EOF (EIO)
        // once the child exits.
        drop(cmd);
        Session { master, child, seen: Vec::new(), mark: 0 }
    }

    fn send(&mut self, keys: &str) {
        self.master.write_all(keys.as_bytes()).expect("write to the pty");
    }

    /// Reads what is there, waiting at most `timeout`; false at end of output.
    fn read_some(&mut self, timeout: Duration) -> bool {
        let mut fds = libc::pollfd { fd: self.master.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        let ms = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
        // SAFETY: one valid pollfd.
        let ready = unsafe { libc::poll(&mut fds, 1, ms) };
        if ready <= 0 {
            return true;
        }
        let mut buf = [0u8; 4096];
        match self.master.read(&mut buf) {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.seen.extend_from_slice(&buf[..n]);
                true
            }
        }
    }

    /// Waits until `text` appears after the previous match; panics with the output at the
    /// deadline.
    fn expect(&mut self, text: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(at) = find(&self.seen[self.mark..], text.as_bytes()) {
                self.mark += at + text.len();
                return;
            }
            let now = Instant::now();
            if now >= deadline || !self.read_some(deadline - now) {
                panic!("waited for {text:?}; the terminal showed:\n{:?}", String::from_utf8_lossy(&self.seen));
            }
        }
    }

    /// Like [`Session::expect`] but gives up (returning false) after `timeout`.
    fn sees_within(&mut self, text: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(at) = find(&self.seen[self.mark..], text.as_bytes()) {
                self.mark += at + text.len();
                return true;
            }
            let now = Instant::now();
            if now >= deadline || !self.read_some(deadline - now) {
                return false;
            }
        }
    }

    /// Waits until the shell runs what was typed: it has left the line editor's raw mode (the
    /// terminal's SIGINT key is live again; the pty's settings, read from the master side, are
    /// the slave's), and then used CPU time (an endless query spins).
    fn wait_until_running(&mut self) {
        let deadline = Instant::now() + WAIT;
        loop {
            // SAFETY: a zeroed termios is a valid buffer for tcgetattr.
            let mut t: libc::termios = unsafe { std::mem::zeroed() };
            // SAFETY: a valid descriptor and buffer.
            check(unsafe { libc::tcgetattr(self.master.as_raw_fd(), &mut t) }, "tcgetattr");
            if t.c_lflag & libc::ISIG != 0 {
                break;
            }
            assert!(Instant::now() < deadline, "the shell never left raw mode");
            self.read_some(Duration::from_millis(10));
        }
        let start = self.cpu_ticks();
        while self.cpu_ticks() < start + 3 {
            assert!(Instant::now() < deadline, "the shell is not running anything");
            self.read_some(Duration::from_millis(10));
        }
    }

    /// The shell's CPU time so far, in clock ticks (user and system, from /proc/PID/stat).
    fn cpu_ticks(&self) -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).expect("read /proc/PID/stat");
        // After the command name in parentheses: state, then 10 more fields, then utime, stime.
        let fields: Vec<&str> = stat[stat.rfind(')').expect("a stat line") + 1..].split_whitespace().collect();
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime")
    }

    /// Ctrl-D at the prompt, and the exit status.
    fn finish(mut self) -> ExitStatus {
        self.send(CTRL_D);
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for brisk") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "brisk did not exit; it showed:\n{:?}",
                String::from_utf8_lossy(&self.seen)
            );
            // Keep the pty drained so the shell never blocks writing.
            self.read_some(Duration::from_millis(20));
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // A failed test must not leave a shell behind (an endless query would spin forever).
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn history_persists_across_sessions() {
    let home = fresh_dir("history");
    let mut s = Session::start(&home, &[]);
    s.expect("Connected to a transient in-memory database.");
    s.expect("brisk> ");
    s.send("select 6*7;\r");
    s.expect("\r\n42\r\n");
    s.expect("brisk> ");
    let status = s.finish();
    assert!(status.success(), "{status:?}");
    let history = std::fs::read_to_string(home.join(".brisk_history")).expect("the history file");
    assert!(history.lines().any(|l| l == "select 6*7;"), "{history:?}");

    // A new session: Up brings the statement back, Enter runs it again.
    let mut s = Session::start(&home, &[]);
    s.expect("brisk> ");
    s.send(UP);
    s.expect("select 6*7;");
    s.send("\r");
    s.expect("\r\n42\r\n");
    s.expect("brisk> ");
    assert!(s.finish().success());
}

#[test]
fn statements_span_lines_and_each_line_is_history() {
    let home = fresh_dir("multiline");
    let history = home.join("custom_history");
    let mut s = Session::start(&home, &[("BRISK_HISTORY", history.to_str().unwrap())]);
    s.expect("brisk> ");
    s.send("select 1 +\r");
    s.expect("   ...> ");
    s.send("2;\r");
    s.expect("\r\n3\r\n");
    s.expect("brisk> ");
    // A `;` inside a string does not end the statement.
    s.send("select 'x;\r");
    s.expect("   ...> ");
    s.send("y' || 'z';\r");
    s.expect("\r\nx;\r\nyz\r\n");
    s.expect("brisk> ");
    assert!(s.finish().success());
    // Each line read is an entry, as sqlite3 keeps them; $BRISK_HISTORY names the file.
    let text = std::fs::read_to_string(&history).expect("the history file");
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(lines, ["select 1 +", "2;", "select 'x;", "y' || 'z';"], "{text:?}");
    assert!(!home.join(".brisk_history").exists());
}

#[test]
fn ctrl_c_interrupts_a_statement_and_abandons_a_line() {
    let home = fresh_dir("interrupt");
    let mut s = Session::start(&home, &[]);
    s.expect("brisk> ");
    s.send(ENDLESS);
    s.send("\r");
    s.wait_until_running();
    // Should Ctrl-C still land before the statement began (a statement clears an interrupt that
    // came before it, as in SQLite), one more is still short of the third, which ends the shell.
    s.send(CTRL_C);
    if !s.sees_within("Runtime error: interrupted (9)\r\n", Duration::from_secs(2)) {
        s.send(CTRL_C);
        s.expect("Runtime error: interrupted (9)\r\n");
    }
    s.expect("brisk> ");
    // The next statement runs, loops included (the interrupt does not linger).
    s.send("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 10) SELECT sum(x) FROM c;\r");
    s.expect("\r\n55\r\n");
    s.expect("brisk> ");

    // At the prompt Ctrl-C drops the line being typed, but not the lines before it.
    s.send("select 5\r");
    s.expect("   ...> ");
    s.send("+ 1000");
    s.send(CTRL_C);
    s.expect("   ...> ");
    s.send("+ 1;\r");
    s.expect("\r\n6\r\n");
    s.expect("brisk> ");
    // An error during the session makes the exit status 1, as in sqlite3.
    assert_eq!(s.finish().code(), Some(1));
}
