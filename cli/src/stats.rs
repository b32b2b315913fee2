//! `.stats latency`: a latency histogram per distinct statement text for the whole session, so
//! that the tail (p99, p99.9, max) is in view, not only the average.
//!
//! What is timed is the engine's work on a statement: compiling it and every step to its last
//! row. Printing rows is not counted, so a slow terminal does not pass for a slow query.

use std::collections::HashMap;
use std::time::Duration;

use hdrhistogram::Histogram;

/// Histograms keep two significant figures (values within 1%) from 1 ns to an hour, and grow
/// only as far as the largest value recorded: a few kilobytes each.
const MAX_NANOS: u64 = 3_600_000_000_000;
const SIGNIFICANT_FIGURES: u8 = 2;

/// At most this many statement texts get their own line; runs of texts first seen after that
/// are counted together under `OTHER`, so that a script of a million distinct INSERTs (a dump
/// being loaded) takes bounded memory.
const MAX_TEXTS: usize = 1000;
const OTHER: &str = "(other statements)";

/// Latencies per statement text, in the order each text was first seen.
#[derive(Default)]
pub struct LatencyStats {
    index: HashMap<String, usize>,
    entries: Vec<(String, Histogram<u64>)>,
}

impl LatencyStats {
    /// Records one run of a statement.
    pub fn record(&mut self, sql: &str, elapsed: Duration) {
        let mut key = normalize(sql);
        if !self.index.contains_key(&key) && self.index.len() >= MAX_TEXTS {
            key = OTHER.to_string();
        }
        let i = match self.index.get(&key) {
            Some(&i) => i,
            None => {
                let h = Histogram::new(SIGNIFICANT_FIGURES).expect("valid histogram precision");
                self.entries.push((key.clone(), h));
                self.index.insert(key, self.entries.len() - 1);
                self.entries.len() - 1
            }
        };
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX).clamp(1, MAX_NANOS);
        // `record` grows the histogram to the value; only a failed resize saturates.
        let h = &mut self.entries[i].1;
        if h.record(nanos).is_err() {
            h.saturating_record(nanos);
        }
    }

    pub fn clear(&mut self) {
        self.index.clear();
        self.entries.clear();
    }

    /// The report: one line per statement text with its count and percentiles.
    pub fn report(&self) -> String {
        if self.entries.is_empty() {
            return "no statements timed yet\n".to_string();
        }
        const WIDTH: usize = 48;
        let mut s = format!(
            "{:<WIDTH$}  {:>7}  {:>9}  {:>9}  {:>9}  {:>9}  {:>9}\n",
            "statement", "count", "p50", "p90", "p99", "p99.9", "max"
        );
        for (sql, h) in &self.entries {
            let q = |p: f64| duration_text(h.value_at_quantile(p));
            s.push_str(&format!(
                "{:<WIDTH$}  {:>7}  {:>9}  {:>9}  {:>9}  {:>9}  {:>9}\n",
                shorten(sql, WIDTH),
                h.len(),
                q(0.50),
                q(0.90),
                q(0.99),
                q(0.999),
                duration_text(h.max()),
            ));
        }
        s
    }
}

/// The statement text a histogram is kept under: whitespace runs as one space, no final `;`.
fn normalize(sql: &str) -> String {
    let words: Vec<&str> = sql.split_whitespace().collect();
    words.join(" ").trim_end_matches(';').trim_end().to_string()
}

/// At most `width` characters, with `...` marking a cut.
fn shorten(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_string();
    }
    let mut t: String = s.chars().take(width - 3).collect();
    t.push_str("...");
    t
}

/// A duration in nanoseconds with a unit that keeps three or four significant digits.
fn duration_text(nanos: u64) -> String {
    let n = nanos as f64;
    if nanos < 1_000 {
        format!("{nanos}ns")
    } else if nanos < 1_000_000 {
        format!("{:.2}us", n / 1e3)
    } else if nanos < 1_000_000_000 {
        format!("{:.2}ms", n / 1e6)
    } else {
        format!("{:.3}s", n / 1e9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_per_statement_text() {
        let mut stats = LatencyStats::default();
        for i in 1..=1000u64 {
            stats.record("select  1;", Duration::from_micros(i));
        }
        stats.record("select 2", Duration::from_millis(1500));
        stats.record("select 1", Duration::from_micros(5000));
        let report = stats.report();
        let lines: Vec<&str> = report.lines().collect();
        assert_eq!(lines.len(), 3, "{report}");
        let cols: Vec<&str> = lines[1].split("  ").map(str::trim).filter(|c| !c.is_empty()).collect();
        // 1001 runs of `select 1` (the text is normalized), percentiles within HDR's 1%.
        assert_eq!(&cols[..2], ["select 1", "1001"]);
        let nanos = |c: &str| {
            let (v, unit) = c.split_at(c.find(|ch: char| ch.is_ascii_alphabetic()).unwrap_or(c.len()));
            let scale = match unit {
                "ns" => 1.0,
                "us" => 1e3,
                "ms" => 1e6,
                "s" => 1e9,
                _ => f64::NAN,
            };
            v.parse::<f64>().unwrap_or(f64::NAN) * scale
        };
        for (col, want) in [(cols[2], 501e3), (cols[3], 901e3), (cols[4], 991e3), (cols[5], 1e6), (cols[6], 5e6)] {
            assert!((nanos(col) - want).abs() / want < 0.01, "{col} vs {want}ns: {report}");
        }
        assert!(lines[2].starts_with("select 2 "), "{report}");
        let cols: Vec<&str> = lines[2].split("  ").map(str::trim).filter(|c| !c.is_empty()).collect();
        for col in &cols[2..] {
            assert!((nanos(col) - 1.5e9).abs() / 1.5e9 < 0.01, "{col}: {report}");
        }
        stats.clear();
        assert_eq!(stats.report(), "no statements timed yet\n");
    }

    /// Memory is bounded: texts beyond the first MAX_TEXTS share one line.
    #[test]
    fn distinct_texts_are_capped() {
        let mut stats = LatencyStats::default();
        for i in 0..MAX_TEXTS + 500 {
            stats.record(&format!("INSERT INTO t VALUES ({i})"), Duration::from_micros(10));
        }
        stats.record("INSERT INTO t VALUES (3)", Duration::from_micros(10));
        assert_eq!(stats.entries.len(), MAX_TEXTS + 1);
        let (text, other) = stats.entries.last().unwrap();
        assert_eq!((text.as_str(), other.len()), (OTHER, 500));
        assert_eq!(stats.entries[3].1.len(), 2, "a text seen before keeps its own line");
    }

    #[test]
    fn units_and_long_texts() {
        assert_eq!(duration_text(999), "999ns");
        assert_eq!(duration_text(12_345), "12.35us");
        assert_eq!(duration_text(12_345_678), "12.35ms");
        assert_eq!(shorten(&"x".repeat(60), 10), "xxxxxxx...");
        assert_eq!(shorten("short", 10), "short");
    }
}
