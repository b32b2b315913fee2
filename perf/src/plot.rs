//! The percentile plot: for each workload, latency (log scale) against percentile, on the axis
//! HdrHistogram plots use (x = 1 / (1 − quantile), so 90%, 99%, 99.9% are evenly spaced), Brisk
//! against SQLite. One SVG per load mode. SVG needs no fonts or system libraries to write.

use std::path::Path;

use plotters::prelude::*;

use crate::report::{curve, fmt_ns};
use crate::workload::{Mode, WorkloadResult};

const BRISK: RGBColor = RGBColor(0xd9, 0x48, 0x01);
const SQLITE: RGBColor = RGBColor(0x1f, 0x5f, 0xa8);

fn percentile_label(x: f64) -> String {
    if x < 1.5 {
        return "0%".into();
    }
    let q = 100.0 * (1.0 - 1.0 / x);
    let s = format!("{q:.4}");
    format!("{}%", s.trim_end_matches('0').trim_end_matches('.'))
}

/// Writes the plot of every workload measured in `mode` to `path`. Returns false when no
/// workload has figures for that mode.
pub fn write(path: &Path, results: &[WorkloadResult], mode: Mode) -> Result<bool, String> {
    let panels: Vec<_> = results
        .iter()
        .filter_map(|r| r.modes.iter().find(|m| m.mode == mode).map(|m| (r, m)))
        .filter(|(_, m)| m.brisk.ops > 0 && m.sqlite.ops > 0)
        .collect();
    if panels.is_empty() {
        return Ok(false);
    }
    let cols = 3usize;
    let rows = panels.len().div_ceil(cols);
    let (pw, ph) = (460u32, 300u32);
    let root = SVGBackend::new(path, (pw * cols as u32, ph * rows as u32 + 40)).into_drawing_area();
    let e = |e: DrawingAreaErrorKind<_>| e.to_string();
    root.fill(&WHITE).map_err(e)?;
    let (title, body) = root.split_vertically(40);
    let heading = match mode {
        Mode::Closed => "Latency by percentile, closed loop: Brisk (orange) vs SQLite (blue)",
        Mode::Open => "Latency by percentile, open loop (from intended start): Brisk (orange) vs SQLite (blue)",
    };
    title.titled(heading, ("sans-serif", 20)).map_err(e)?;
    for (area, (r, m)) in body.split_evenly((rows, cols)).iter().zip(&panels) {
        let b = curve(&m.brisk.hist);
        let s = curve(&m.sqlite.hist);
        let all = b.iter().chain(&s);
        // Whole decades, so that the log axis always has labels at both ends.
        let lo = all.clone().map(|p| p.1).min().unwrap_or(1).max(1) as f64;
        let hi = all.clone().map(|p| p.1).max().unwrap_or(1).max(1) as f64;
        let y_min = 10f64.powf(lo.log10().floor());
        let y_max = 10f64.powf(hi.log10().ceil().max(lo.log10().floor() + 1.0));
        let x_of = |q: f64| 1.0 / (1.0 - q).max(1e-9);
        let x_max = all.map(|p| x_of(p.0)).fold(10.0, f64::max);
        let caption = match m.rate_per_s {
            Some(rate) => format!("{} @ {rate:.0}/s", r.workload.id),
            None => r.workload.id.to_string(),
        };
        let mut chart = ChartBuilder::on(area)
            .caption(caption, ("sans-serif", 15))
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(62)
            .build_cartesian_2d((1.0..x_max).log_scale(), (y_min..y_max).log_scale())
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_labels(6)
            .y_labels(6)
            .x_label_formatter(&|x| percentile_label(*x))
            .y_label_formatter(&|y| fmt_ns(*y as u64))
            .label_style(("sans-serif", 11))
            .draw()
            .map_err(e)?;
        for (pts, color, name) in [(&b, BRISK, "brisk"), (&s, SQLITE, "sqlite")] {
            chart
                .draw_series(LineSeries::new(
                    pts.iter().map(|(q, v)| (x_of(*q), (*v).max(1) as f64)),
                    color.stroke_width(2),
                ))
                .map_err(e)?
                .label(name)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .label_font(("sans-serif", 11))
            .draw()
            .map_err(e)?;
    }
    root.present().map_err(e)?;
    Ok(true)
}
