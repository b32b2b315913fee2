//! `brisk-perf`: Brisk against bundled SQLite, one run, same data, same settings, percentiles
//! from full HDR histograms, closed- and open-loop load.
//!
//! ```text
//! cargo run --release -p brisk-perf -- --quick --out target/perf-quick   # under a minute
//! cargo run --release -p brisk-perf -- --out target/perf-full             # the full run
//! ```
//!
//! Writes `results.md` (the table and notes), `results.json` (every figure and percentile
//! curve), `latency-closed.svg` and `latency-open.svg` into `--out`, and prints the table.
//! Exits non-zero when the harness itself fails (SQLite errors, I/O errors), and with `--strict`
//! also when Brisk errors or returns different results than SQLite.

mod data;
mod engine;
mod oscache;
mod plot;
mod report;
mod workload;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::json;

use data::{Settings, Sizes};
use oscache::EvictMethod;
use workload::{Ctx, Mode, Scale};

#[derive(Parser, Debug)]
#[command(about = "Latency benchmark: Brisk against bundled SQLite")]
struct Args {
    /// Small tables and few operations: finishes in well under a minute (CI smoke test).
    #[arg(long)]
    quick: bool,
    /// Where the database files and the reports go.
    #[arg(long, default_value = "target/perf")]
    out: PathBuf,
    /// Seed for the data and every operation's parameters.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Rows in the main table (default: 1,000,000, or 100,000 with --quick).
    #[arg(long)]
    rows: Option<i64>,
    /// Run only these workloads (comma-separated ids).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Multiply every workload's operation count.
    #[arg(long, default_value_t = 1.0)]
    ops_factor: f64,
    /// Open-loop arrival rate as a fraction of the slower engine's closed-loop throughput.
    #[arg(long, default_value_t = 0.5)]
    open_load: f64,
    /// How cold-cache workloads take the file out of the OS cache: "fadvise" (this file only) or
    /// "drop-caches" (the whole machine; needs root).
    #[arg(long, default_value = "fadvise")]
    evict: String,
    /// Closed loop only (for profiling under valgrind, where an open loop's pacing is meaningless).
    #[arg(long)]
    no_open_loop: bool,
    /// Exit non-zero when Brisk fails a workload or returns different results.
    #[arg(long)]
    strict: bool,
    /// Brisk's I/O backend for the workloads that do not name one: default (io_uring when the
    /// kernel allows it), uring or sync.
    #[arg(long, default_value = "default")]
    brisk_io: String,
    /// Skip rebuilding the database when `--out` already holds one for the same size and seed.
    #[arg(long)]
    reuse_data: bool,
}

fn sh(cmd: &str, args: &[&str]) -> String {
    std::process::Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

fn machine() -> serde_json::Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    json!({
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "cpu_model": cpu,
        "kernel": sh("uname", &["-sr"]),
        "memory": std::fs::read_to_string("/proc/meminfo").ok().and_then(|s| s.lines().next().map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))),
    })
}

fn copy_fresh(template: &Path, to: &Path) -> Result<(), String> {
    for suffix in ["-journal", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", to.display()));
    }
    std::fs::copy(template, to).map_err(|e| format!("copy to {}: {e}", to.display()))?;
    std::fs::File::open(to).and_then(|f| f.sync_all()).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("brisk-perf: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<ExitCode, String> {
    let args = Args::parse();
    let started = Instant::now();
    let quick = args.quick;
    let rows = args.rows.unwrap_or(if quick { 100_000 } else { 1_000_000 }).max(1_000);
    let sizes = Sizes { rows, customers: (rows / 20).max(10), products: (rows / 500).max(10), orders: rows / 2 };
    let f = |n: usize| ((n as f64 * args.ops_factor).round() as usize).max(1);
    let scale = if quick {
        Scale {
            point: f(5_000),
            range: f(1_000),
            aggregate: f(5),
            commit: f(40),
            txn: f(10),
            prepare: f(2_000),
            cold: f(20),
        }
    } else {
        Scale {
            point: f(200_000),
            range: f(20_000),
            aggregate: f(20),
            commit: f(500),
            txn: f(100),
            prepare: f(20_000),
            cold: f(500),
        }
    };
    let settings = Settings {
        page_size_bytes: 4096,
        cache_size: if quick { -65_536 } else { -262_144 },
        journal_mode: "DELETE",
        synchronous: "FULL",
    };
    let evict = match args.evict.as_str() {
        "fadvise" => EvictMethod::Fadvise,
        "drop-caches" => {
            if !oscache::drop_caches_allowed() {
                return Err("--evict drop-caches: /proc/sys/vm/drop_caches is not writable here".into());
            }
            EvictMethod::DropCaches
        }
        other => return Err(format!("--evict: unknown method {other:?} (fadvise or drop-caches)")),
    };

    let data_dir = args.out.join("data");
    std::fs::create_dir_all(&data_dir).map_err(|e| format!("{}: {e}", data_dir.display()))?;
    let template = data_dir.join(format!("template-{rows}-{}.db", args.seed));
    if !(args.reuse_data && template.exists()) {
        eprintln!("building {} ({rows} rows) with SQLite ...", template.display());
        let t = Instant::now();
        data::build(&template, sizes, &settings, args.seed)?;
        eprintln!("  built in {:.1?}", t.elapsed());
    }
    let ctx = Ctx {
        seed: args.seed,
        sizes,
        settings: settings.clone(),
        brisk_path: data_dir.join("brisk.db"),
        sqlite_path: data_dir.join("sqlite.db"),
        evict,
        rounds: if quick { 4 } else { 10 },
        warmup_ops: if quick { 200 } else { 2_000 },
        verify_ops: 20,
        open_load: args.open_load,
        mode_cap: if quick { Duration::from_secs(2) } else { Duration::from_secs(30) },
    };
    copy_fresh(&template, &ctx.brisk_path)?;
    copy_fresh(&template, &ctx.sqlite_path)?;

    let brisk_io = match args.brisk_io.as_str() {
        "default" | "uring" | "sync" => brisk::io::IoKind::from_name(&args.brisk_io).expect("a known backend name"),
        other => return Err(format!("--brisk-io: unknown backend {other:?} (default, uring or sync)")),
    };
    let workloads: Vec<_> = workload::all(scale, &sizes)
        .into_iter()
        .filter(|w| args.only.is_empty() || args.only.iter().any(|o| o == w.id))
        .map(|mut w| {
            if w.brisk_io == brisk::io::IoKind::Default {
                w.brisk_io = brisk_io;
            }
            w.open_loop &= !args.no_open_loop;
            w
        })
        .collect();
    if workloads.is_empty() {
        return Err(format!("--only {:?} matches no workload", args.only));
    }
    let mut results = Vec::new();
    for w in &workloads {
        let t = Instant::now();
        eprint!("{:<24} ", w.id);
        let r = workload::run(&ctx, w);
        let summary = r
            .modes
            .iter()
            .map(|m| {
                format!(
                    "{} p50 {} vs {}, p99 {} vs {}",
                    m.mode.name(),
                    report::fmt_ns(m.brisk.hist.value_at_quantile(0.5)),
                    report::fmt_ns(m.sqlite.hist.value_at_quantile(0.5)),
                    report::fmt_ns(m.brisk.hist.value_at_quantile(0.99)),
                    report::fmt_ns(m.sqlite.hist.value_at_quantile(0.99)),
                )
            })
            .collect::<Vec<_>>()
            .join("; ");
        let trouble =
            [&r.brisk_error, &r.harness_error, &r.mismatch].iter().filter_map(|e| e.as_deref()).collect::<Vec<_>>();
        eprintln!("{:>6.1?}  {summary} {}", t.elapsed(), trouble.join("; "));
        results.push(r);
    }

    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let meta = json!({
        "command": command,
        "quick": quick,
        "seed": args.seed,
        "git_commit": sh("git", &["rev-parse", "--short", "HEAD"]),
        "unix_time": std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
        "machine": machine(),
        "sqlite_version": rusqlite::version(),
        "sizes": { "t_rows": sizes.rows, "customers": sizes.customers, "products": sizes.products, "orders": sizes.orders },
        "settings": {
            "page_size_bytes": settings.page_size_bytes,
            "cache_size": settings.cache_size,
            "journal_mode": settings.journal_mode,
            "synchronous": settings.synchronous,
        },
        "os_cache_eviction": evict.describe(),
        "rounds": ctx.rounds,
        "open_load": ctx.open_load,
        "mode_cap_s": ctx.mode_cap.as_secs_f64(),
        "elapsed_s": started.elapsed().as_secs_f64(),
    });

    let table = report::markdown(&results);
    let notes = report::notes(&results);
    println!("{table}");
    if !notes.is_empty() {
        println!("Notes:\n{notes}");
    }
    let json_path = args.out.join("results.json");
    let text = serde_json::to_string_pretty(&report::json(meta.clone(), &results)).map_err(|e| e.to_string())?;
    std::fs::write(&json_path, text).map_err(|e| format!("{}: {e}", json_path.display()))?;
    let mut md = format!(
        "# brisk-perf results\n\n- command: `{command}`\n- machine: {}\n- SQLite {} (bundled via rusqlite); data: seed {}, `t` {} rows, \
         customers {}, products {}, orders {}\n- settings on both engines: page_size={}, cache_size={}, journal_mode={}, \
         synchronous={} (unless the workload says otherwise)\n- OS cache eviction: {}\n- elapsed: {:.0} s\n\n",
        meta["machine"],
        rusqlite::version(),
        args.seed,
        sizes.rows,
        sizes.customers,
        sizes.products,
        sizes.orders,
        settings.page_size_bytes,
        settings.cache_size,
        settings.journal_mode,
        settings.synchronous,
        evict.describe(),
        started.elapsed().as_secs_f64()
    );
    md.push_str(&table);
    if !notes.is_empty() {
        md.push_str("\nNotes:\n");
        md.push_str(&notes);
    }
    std::fs::write(args.out.join("results.md"), md).map_err(|e| e.to_string())?;
    for (mode, name) in [(Mode::Closed, "latency-closed.svg"), (Mode::Open, "latency-open.svg")] {
        let path = args.out.join(name);
        if plot::write(&path, &results, mode)? {
            eprintln!("wrote {}", path.display());
        }
    }
    eprintln!("wrote {} and results.md; {:.1?} in all", json_path.display(), started.elapsed());

    let harness_failed = results.iter().any(|r| r.harness_error.is_some());
    let brisk_failed = results.iter().any(|r| r.brisk_error.is_some() || r.mismatch.is_some());
    Ok(if harness_failed || (args.strict && brisk_failed) { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}
