//! `slt`: runs sqllogictest files against Brisk or against bundled SQLite.
//!
//! ```text
//! cargo run --release -p sqlite-tests --bin slt -- [--engine brisk|sqlite] [--max-failures N]
//!     [--timeout-secs-per-file S] [--timeout-secs-per-record S] [--categories N]
//!     [--failures-out FILE] FILES_OR_DIRS...
//! ```
//!
//! Prints `FILE: N passed, M failed, K skipped` per file as it finishes, then the details of the
//! first `--max-failures` failures (default 10), the most frequent failure categories, and last
//! the total as `N passed, M failed, K skipped`. Exits 1 when any record failed, 2 on bad usage.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use sqlite_tests::slt::{self, EngineKind, FileReport, RunOptions};

const USAGE: &str = "usage: slt [--engine brisk|sqlite] [--max-failures N] [--timeout-secs-per-file S] \
                     [--timeout-secs-per-record S] [--categories N] [--failures-out FILE] FILES_OR_DIRS...";

struct Args {
    engine: EngineKind,
    /// Failures whose details are printed (all are counted).
    max_failures: usize,
    timeout: Duration,
    timeout_per_record: Duration,
    /// Failure categories printed.
    categories: usize,
    /// Where to write the details of every failure.
    failures_out: Option<PathBuf>,
    paths: Vec<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        engine: EngineKind::Brisk,
        max_failures: 10,
        timeout: RunOptions::default().timeout_per_file,
        timeout_per_record: RunOptions::default().timeout_per_record,
        categories: 15,
        failures_out: None,
        paths: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--engine" => {
                let name = value("--engine")?;
                args.engine = EngineKind::from_name(&name).ok_or_else(|| format!("unknown engine {name:?}"))?;
            }
            "--max-failures" => args.max_failures = number(&value("--max-failures")?)?,
            "--timeout-secs-per-file" => {
                args.timeout = Duration::from_secs(number(&value("--timeout-secs-per-file")?)? as u64)
            }
            "--timeout-secs-per-record" => {
                args.timeout_per_record = Duration::from_secs(number(&value("--timeout-secs-per-record")?)? as u64)
            }
            "--categories" => args.categories = number(&value("--categories")?)?,
            "--failures-out" => args.failures_out = Some(PathBuf::from(value("--failures-out")?)),
            "-h" | "--help" => return Err(String::new()),
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            path => args.paths.push(PathBuf::from(path)),
        }
    }
    if args.paths.is_empty() {
        return Err("no files or directories given".to_string());
    }
    Ok(args)
}

fn number(s: &str) -> Result<usize, String> {
    s.parse().map_err(|_| format!("not a number: {s:?}"))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("slt: {message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    slt::install_panic_hook();
    let mut files = Vec::new();
    for path in &args.paths {
        match slt::collect_test_files(path) {
            Ok(found) => files.extend(found),
            Err(e) => {
                eprintln!("slt: {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
    }
    let start = Instant::now();
    let factory = slt::factory(args.engine);
    let options = RunOptions {
        timeout_per_file: args.timeout,
        timeout_per_record: args.timeout_per_record,
        ..RunOptions::default()
    };
    let mut reports: Vec<FileReport> = Vec::with_capacity(files.len());
    for file in &files {
        let report = slt::run_file(file, &factory, &options);
        let timed_out =
            if report.timed_out { format!(" (timed out after {} s)", args.timeout.as_secs()) } else { String::new() };
        println!("{}: {} [{:.1} s]{timed_out}", report.path, report.summary(), report.elapsed.as_secs_f64());
        let _ = std::io::stdout().flush();
        reports.push(report);
    }
    let elapsed = start.elapsed();

    let failures: Vec<(&str, &slt::RecordResult)> =
        reports.iter().flat_map(|r| r.failures.iter().map(move |f| (r.path.as_str(), f))).collect();
    if !failures.is_empty() && args.max_failures > 0 {
        println!();
        println!("first {} of {} failure details:", args.max_failures.min(failures.len()), failures.len());
        for (path, failure) in failures.iter().take(args.max_failures) {
            println!("{path}:{}: {}", failure.line, failure.category());
            print!("{}", failure.detail());
        }
    }
    if let Some(out) = &args.failures_out {
        let mut text = String::new();
        for (path, failure) in &failures {
            text.push_str(&format!("{path}:{}: {}\n{}\n", failure.line, failure.category(), failure.detail()));
        }
        if let Err(e) = std::fs::write(out, text) {
            eprintln!("slt: cannot write {}: {e}", out.display());
        }
    }
    let categories = slt::categories(&reports);
    if !categories.is_empty() && args.categories > 0 {
        println!();
        println!("top failure categories:");
        for (category, count) in categories.iter().take(args.categories) {
            println!("{count:>8}  {category}");
        }
    }

    let passed: usize = reports.iter().map(|r| r.passed).sum();
    let failed: usize = reports.iter().map(|r| r.failed).sum();
    let skipped: usize = reports.iter().map(|r| r.skipped).sum();
    let timed_out = reports.iter().filter(|r| r.timed_out).count();
    println!();
    println!(
        "engine {}: {} files ({timed_out} timed out) in {:.1} s",
        args.engine.name(),
        reports.len(),
        elapsed.as_secs_f64()
    );
    println!("{passed} passed, {failed} failed, {skipped} skipped");
    if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
