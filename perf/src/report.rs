//! The run's report: a markdown table (stdout and RESULTS.md), a JSON file, and the notes that say
//! what each figure means and where the comparison is not like for like.

use std::fmt::Write as _;

use hdrhistogram::Histogram;
use serde_json::{json, Value as Json};

use crate::workload::{Measured, ModeResult, WorkloadResult};

/// The percentiles the table prints.
pub const QUANTILES: [(f64, &str); 4] = [(0.50, "p50"), (0.90, "p90"), (0.99, "p99"), (0.999, "p99.9")];

/// A latency in nanoseconds, with a unit that keeps three or four significant digits.
pub fn fmt_ns(ns: u64) -> String {
    let ns = ns as f64;
    if ns < 1_000.0 {
        format!("{ns:.0} ns")
    } else if ns < 1_000_000.0 {
        format!("{:.1} µs", ns / 1e3)
    } else if ns < 1_000_000_000.0 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

fn fmt_rate(r: f64) -> String {
    if r >= 100.0 {
        format!("{r:.0}")
    } else if r >= 1.0 {
        format!("{r:.1}")
    } else {
        format!("{r:.3}")
    }
}

fn ratio(a: f64, b: f64) -> String {
    if b == 0.0 {
        "–".into()
    } else {
        format!("{:.2}×", a / b)
    }
}

/// The latency figures of one histogram: p50, p90, p99, p99.9, max (nanoseconds).
pub fn figures(h: &Histogram<u64>) -> [u64; 5] {
    [
        h.value_at_quantile(QUANTILES[0].0),
        h.value_at_quantile(QUANTILES[1].0),
        h.value_at_quantile(QUANTILES[2].0),
        h.value_at_quantile(QUANTILES[3].0),
        h.max(),
    ]
}

fn engine_row(out: &mut String, label: &str, m: &Measured) {
    let f = figures(&m.hist);
    let _ = writeln!(
        out,
        "| | | {label} | {} | {} | {} | {} | {} | {} | {} |",
        m.ops,
        fmt_rate(m.throughput_per_s()),
        fmt_ns(f[0]),
        fmt_ns(f[1]),
        fmt_ns(f[2]),
        fmt_ns(f[3]),
        fmt_ns(f[4])
    );
}

/// The markdown table of every workload and mode.
pub fn markdown(results: &[WorkloadResult]) -> String {
    let mut out = String::new();
    out.push_str(
        "Latency per operation. Ratio rows are Brisk / SQLite: below 1× Brisk is faster for latencies; \
         for throughput (ops/s) above 1× Brisk is faster.\n\n",
    );
    out.push_str("| workload | mode | engine | ops | ops/s | p50 | p90 | p99 | p99.9 | max |\n");
    out.push_str("|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for r in results {
        let w = &r.workload;
        let title = format!("`{}`: {}", w.id, w.title);
        if r.modes.is_empty() {
            let why = r
                .brisk_error
                .as_ref()
                .map(|e| format!("**cannot run on Brisk**: {}", escape(e)))
                .or_else(|| r.harness_error.as_ref().map(|e| format!("**harness error**: {}", escape(e))))
                .unwrap_or_else(|| "not run".into());
            let _ = writeln!(out, "| {title} | – | {why} | | | | | | | |");
            continue;
        }
        for m in &r.modes {
            let mode = match m.rate_per_s {
                Some(rate) => format!("open @ {} ops/s", fmt_rate(rate)),
                None => m.mode.name().to_string(),
            };
            let _ = writeln!(out, "| {title} | {mode}{} | | | | | | | | |", if m.capped { " (time cap)" } else { "" });
            engine_row(&mut out, &format!("brisk ({})", r.brisk_io), &m.brisk);
            engine_row(&mut out, "sqlite", &m.sqlite);
            let (b, s) = (figures(&m.brisk.hist), figures(&m.sqlite.hist));
            let _ = writeln!(
                out,
                "| | | **brisk / sqlite** | | {} | {} | {} | {} | {} | {} |",
                ratio(m.brisk.throughput_per_s(), m.sqlite.throughput_per_s()),
                ratio(b[0] as f64, s[0] as f64),
                ratio(b[1] as f64, s[1] as f64),
                ratio(b[2] as f64, s[2] as f64),
                ratio(b[3] as f64, s[3] as f64),
                ratio(b[4] as f64, s[4] as f64),
            );
        }
        if let Some(e) = &r.brisk_error {
            let _ = writeln!(out, "| | | **Brisk failed part-way**: {} | | | | | | | |", escape(e));
        }
        if let Some(e) = &r.harness_error {
            let _ = writeln!(out, "| | | **harness error**: {} | | | | | | | |", escape(e));
        }
    }
    out
}

fn escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Notes per workload: settings as each engine reported them, result checks, cache residency.
pub fn notes(results: &[WorkloadResult]) -> String {
    let mut out = String::new();
    for r in results {
        let mut lines = Vec::new();
        if !r.brisk_settings.is_empty() && r.brisk_settings != r.sqlite_settings {
            lines
                .push(format!("settings differ: Brisk reports `{}`, SQLite `{}`", r.brisk_settings, r.sqlite_settings));
        }
        if let Some(m) = &r.mismatch {
            lines.push(format!("**results differ**: {m}"));
        }
        if let Some((b, s)) = r.residency_after_evict {
            lines.push(format!(
                "after eviction, {:.1}% of Brisk's file and {:.1}% of SQLite's were in the OS cache",
                b * 100.0,
                s * 100.0
            ));
        }
        if let Some(e) = &r.brisk_error {
            lines.push(format!("Brisk error: {e}"));
        }
        if let Some(e) = &r.harness_error {
            lines.push(format!("harness error: {e}"));
        }
        if !lines.is_empty() {
            let _ = writeln!(out, "- `{}`: {}", r.workload.id, lines.join("; "));
        }
    }
    out
}

/// Points of the percentile curve: (quantile, latency ns), denser towards the tail, up to the
/// last quantile the operation count supports, then the max.
pub fn curve(h: &Histogram<u64>) -> Vec<(f64, u64)> {
    let n = h.len().max(1) as f64;
    let top = (n.log10()).max(1.0);
    let mut pts = Vec::new();
    // x = 1 / (1 - q) from 1 to n on a log scale.
    let steps = 60;
    for i in 0..=steps {
        let x = 10f64.powf(top * i as f64 / steps as f64);
        let q = 1.0 - 1.0 / x;
        if q >= 1.0 - 1.0 / n && i != 0 {
            break;
        }
        pts.push((q, h.value_at_quantile(q)));
    }
    pts.push((1.0 - 1.0 / n.max(2.0) / 10.0, h.max()));
    pts
}

fn measured_json(m: &Measured) -> Json {
    let f = figures(&m.hist);
    json!({
        "ops": m.ops,
        "throughput_per_s": m.throughput_per_s(),
        "latency_ns_p50": f[0],
        "latency_ns_p90": f[1],
        "latency_ns_p99": f[2],
        "latency_ns_p999": f[3],
        "latency_ns_max": f[4],
        "latency_ns_mean": m.hist.mean(),
        "percentile_curve": curve(&m.hist).iter().map(|(q, v)| json!([q, v])).collect::<Vec<_>>(),
    })
}

fn mode_json(m: &ModeResult) -> Json {
    let (b, s) = (figures(&m.brisk.hist), figures(&m.sqlite.hist));
    let r = |i: usize| if s[i] == 0 { Json::Null } else { json!(b[i] as f64 / s[i] as f64) };
    json!({
        "mode": m.mode.name(),
        "arrival_rate_per_s": m.rate_per_s,
        "capped_by_time": m.capped,
        "brisk": measured_json(&m.brisk),
        "sqlite": measured_json(&m.sqlite),
        "ratio_brisk_over_sqlite": {
            "throughput": m.brisk.throughput_per_s() / m.sqlite.throughput_per_s().max(f64::MIN_POSITIVE),
            "p50": r(0), "p90": r(1), "p99": r(2), "p999": r(3), "max": r(4),
        },
    })
}

/// The whole run as JSON.
pub fn json(meta: Json, results: &[WorkloadResult]) -> Json {
    json!({
        "meta": meta,
        "workloads": results.iter().map(|r| json!({
            "id": r.workload.id,
            "title": r.workload.title,
            "brisk_io": r.brisk_io,
            "brisk_settings": r.brisk_settings,
            "sqlite_settings": r.sqlite_settings,
            "results_mismatch": r.mismatch,
            "brisk_error": r.brisk_error,
            "harness_error": r.harness_error,
            "os_cache_residency_after_evict": r.residency_after_evict.map(|(b, s)| json!({"brisk": b, "sqlite": s})),
            "modes": r.modes.iter().map(mode_json).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}
