//! SVG plots of `compare --plot`, `sweep --plot`, `reproduce --plot` and the
//! HTML report, drawn with plotters' SVG backend.
//!
//! Text is written as SVG `<text>` elements in a generic `sans-serif`
//! family, so neither a font file nor a font library is needed to draw; the
//! viewer's font renders it. Every axis is a plain `f64` axis in plot
//! space (log10 of the value on a logarithmic axis) with tick positions
//! chosen here ([`Scale`]), so linear and logarithmic axes share one chart
//! type and ticks fall on round numbers with their unit.
use anyhow::{anyhow, bail, Result};
use pimzoo::compare::Row;
use pimzoo::reference::{Outcome, Tolerance};
use pimzoo::sweep::{Figure, Record, SweepFile};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::collections::BTreeMap;
use std::path::Path;

/// The class on the root `<svg>` element of every plot: it marks a file as
/// one this program wrote, which it may therefore replace.
const MARK: &str = "pimzoo-plot";

/// Width of a plot in pixels (the SVG scales; this fixes proportions).
const WIDTH: u32 = 1000;

/// Categorical colours (Tableau 10), distinct in print and for most
/// colour-vision deficiencies.
const PALETTE: [RGBColor; 10] = [
    RGBColor(0x4e, 0x79, 0xa7),
    RGBColor(0xf2, 0x8e, 0x2b),
    RGBColor(0xe1, 0x57, 0x59),
    RGBColor(0x76, 0xb7, 0xb2),
    RGBColor(0x59, 0xa1, 0x4f),
    RGBColor(0xed, 0xc9, 0x48),
    RGBColor(0xb0, 0x7a, 0xa1),
    RGBColor(0xff, 0x9d, 0xa7),
    RGBColor(0x9c, 0x75, 0x5f),
    RGBColor(0xba, 0xb0, 0xac),
];
const INK: RGBColor = RGBColor(0x33, 0x33, 0x33);
const GRID: RGBColor = RGBColor(0xdd, 0xdd, 0xdd);

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// A linear `f64` axis whose ticks are exactly the given points. (plotters'
/// own `with_key_points` on an `f64` range loses the label formatter.)
struct Axis {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Ranged for Axis {
    type ValueType = f64;
    type FormatOption = DefaultFormatting;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let t = (v - self.lo) / (self.hi - self.lo);
        let t = if t.is_finite() {
            t.clamp(-1.0, 2.0)
        } else {
            0.0
        };
        limit.0 + ((limit.1 - limit.0) as f64 * t).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// Text of `px` pixels. (plotters writes 1/1.24 of the size it is given
/// into the SVG, its point-to-pixel convention.)
fn font(px: u32) -> TextStyle<'static> {
    ("sans-serif", px as f64 * 1.24).into_font().color(&INK)
}

/// A plotters error, which carries the backend's error type, as text.
fn drawing<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("drawing the plot: {e:?}")
}

/// A number with an SI prefix and its unit, trailing zeros dropped:
/// `1 ms`, `2.5 mJ`, `300 Gop/J`.
pub fn tick(v: f64, unit: &str) -> String {
    let text = pimzoo::units::engineering(v, unit);
    let (mantissa, rest) = text.split_once(' ').unwrap_or((&text, ""));
    let mantissa = if mantissa.contains('.') {
        mantissa.trim_end_matches('0').trim_end_matches('.')
    } else {
        mantissa
    };
    format!("{mantissa} {rest}").trim_end().to_string()
}

/// A ratio with three significant digits and no SI prefix: `0.826×`, `145×`.
pub fn times(v: f64) -> String {
    if !v.is_finite() || v <= 0.0 {
        return format!("{v}×");
    }
    let decimals = (2 - v.log10().floor() as i32).clamp(0, 6) as usize;
    let text = format!("{v:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        &text
    };
    format!("{text}×")
}

/// One axis: its range and ticks in plot space, and how to label them.
#[derive(Clone, Debug)]
struct Scale {
    log: bool,
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
    unit: String,
}

impl Scale {
    /// An axis that shows `values` (any order, non-finite ones ignored),
    /// logarithmic when `log` says so and the values allow it.
    fn fit(values: &[f64], log: bool, unit: &str) -> Scale {
        let finite: Vec<f64> = values
            .iter()
            .copied()
            .filter(|v| v.is_finite() && (!log || *v > 0.0))
            .collect();
        let min = finite.iter().copied().fold(f64::INFINITY, f64::min);
        let max = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let (min, max) = if finite.is_empty() {
            (1.0, 10.0)
        } else {
            (min, max)
        };
        if log {
            let (a, b) = (min.log10(), max.log10());
            let pad = ((b - a) * 0.06).max(0.15);
            Scale::log_range(a - pad, b + pad, unit)
        } else {
            let span = if max > min {
                max - min
            } else {
                max.abs().max(1.0)
            };
            let lo = if min >= 0.0 && min - 0.06 * span < 0.0 {
                0.0
            } else {
                min - 0.06 * span
            };
            Scale::linear(lo, max + 0.06 * span, unit)
        }
    }

    /// A logarithmic axis from 10^lo to 10^hi: ticks at decades, and at 2
    /// and 5 times them when the range spans few decades.
    fn log_range(lo: f64, hi: f64, unit: &str) -> Scale {
        let mut ticks = Vec::new();
        let decades = hi - lo;
        let steps: &[f64] = if decades < 1.2 {
            &[1.0, 1.5, 2.0, 3.0, 5.0, 7.0]
        } else if decades < 4.0 {
            &[1.0, 2.0, 5.0]
        } else {
            &[1.0]
        };
        let stride = (decades / 8.0).ceil().max(1.0) as i32;
        for d in (lo.floor() as i32)..=(hi.ceil() as i32) {
            if d.rem_euclid(stride) != 0 {
                continue;
            }
            for s in steps {
                let p = d as f64 + s.log10();
                if p >= lo && p <= hi {
                    ticks.push(p);
                }
            }
        }
        Scale {
            log: true,
            lo,
            hi,
            ticks,
            unit: unit.to_string(),
        }
    }

    /// A linear axis with about six ticks at round steps (1, 2 or 5 x 10^k).
    fn linear(lo: f64, hi: f64, unit: &str) -> Scale {
        let raw = (hi - lo) / 6.0;
        let mag = 10f64.powf(raw.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0]
            .iter()
            .map(|m| m * mag)
            .find(|s| *s >= raw)
            .unwrap_or(10.0 * mag);
        let first = (lo / step).ceil() as i64;
        let last = (hi / step).floor() as i64;
        let ticks = (first..=last).map(|i| i as f64 * step).collect();
        Scale {
            log: false,
            lo,
            hi,
            ticks,
            unit: unit.to_string(),
        }
    }

    /// Categories 0..n, top to bottom when used as a y axis (`flip`).
    fn categories(n: usize) -> Scale {
        Scale {
            log: false,
            lo: -0.5,
            hi: n as f64 - 0.5,
            ticks: (0..n).map(|i| i as f64).collect(),
            unit: String::new(),
        }
    }

    /// The plot-space position of a value.
    fn pos(&self, v: f64) -> f64 {
        if self.log {
            v.log10()
        } else {
            v
        }
    }

    /// The value at a plot-space position.
    fn value(&self, p: f64) -> f64 {
        if self.log {
            10f64.powf(p)
        } else {
            p
        }
    }

    fn label(&self, p: f64) -> String {
        if self.unit == "×" {
            times(self.value(p))
        } else {
            tick(self.value(p), &self.unit)
        }
    }

    fn range(&self) -> Axis {
        Axis {
            lo: self.lo,
            hi: self.hi,
            ticks: self.ticks.clone(),
        }
    }

    fn clamp(&self, p: f64) -> f64 {
        p.clamp(self.lo, self.hi)
    }
}

/// Start an SVG of `height` pixels; `draw` fills it. The result carries the
/// plot mark and a `<title>` for screen readers.
fn svg(height: u32, title: &str, draw: impl FnOnce(&Area) -> Result<()>) -> Result<String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        draw(&root)?;
        root.present().map_err(drawing)?;
    }
    let Some(open_end) = out.find('>') else {
        bail!("the SVG backend wrote no root element");
    };
    let (open, rest) = out.split_at(open_end);
    Ok(format!(
        "{} class=\"{MARK}\" role=\"img\"><title>{}</title>{}",
        open,
        escape(title),
        &rest[1..]
    ))
}

/// Text for XML.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Approximate width of text in pixels (sans-serif averages ~0.6 em).
fn text_width(s: &str, size: u32) -> i32 {
    (s.chars().count() as f64 * size as f64 * 0.6).ceil() as i32
}

/// Shorten text to `n` characters with an ellipsis.
fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!(
            "{}…",
            s.chars().take(n.saturating_sub(1)).collect::<String>()
        )
    }
}

/// Left margin of a legend strip, pixels.
const LEGEND_INDENT: i32 = 40;

/// Top of a legend's first line, and the height of a line, pixels.
const LEGEND_TOP: i32 = 4;
const LEGEND_LINE: i32 = 18;

/// Where each legend entry starts (its square's top-left corner, less
/// 2 pixels down) when wrapped into `width` pixels.
fn legend_layout(entries: &[(String, RGBColor)], width: u32) -> Vec<(i32, i32)> {
    let (mut x, mut y) = (8i32, LEGEND_TOP);
    entries
        .iter()
        .map(|(label, _)| {
            let w = 18 + text_width(label, 13) + 16;
            if x > 8 && x + w > width as i32 {
                x = 8;
                y += LEGEND_LINE;
            }
            let at = (x, y);
            x += w;
            at
        })
        .collect()
}

/// Coloured squares with labels, wrapped over as many lines as needed.
fn legend(area: &Area, entries: &[(String, RGBColor)]) -> Result<()> {
    let (width, _) = area.dim_in_pixel();
    for ((label, color), (x, y)) in entries.iter().zip(legend_layout(entries, width)) {
        area.draw(&Rectangle::new(
            [(x, y + 2), (x + 11, y + 13)],
            color.filled(),
        ))
        .map_err(drawing)?;
        area.draw(&Text::new(label.clone(), (x + 16, y), font(13)))
            .map_err(drawing)?;
    }
    Ok(())
}

/// Height of the strip a legend takes in `width` pixels: its lines and a
/// 10-pixel margin.
fn legend_height(entries: &[(String, RGBColor)], width: u32) -> u32 {
    let lines = legend_layout(entries, width)
        .last()
        .map_or(1, |&(_, y)| (y - LEGEND_TOP) / LEGEND_LINE + 1);
    (10 + LEGEND_LINE * lines) as u32
}

/// What a chart's axes show: the scales, their descriptions and how their
/// ticks are labelled.
struct Axes<'a> {
    x: &'a Scale,
    y: &'a Scale,
    x_desc: &'a str,
    y_desc: &'a str,
    /// Tick labels; the scales' own by default.
    x_label: Option<&'a dyn Fn(f64) -> String>,
    y_label: Option<&'a dyn Fn(f64) -> String>,
    /// Room left of the plot for the y tick labels; by default the widest
    /// of the scale's own labels.
    y_label_width: Option<u32>,
    /// Vertical grid lines at the x ticks.
    x_mesh: bool,
}

impl<'a> Axes<'a> {
    fn new(x: &'a Scale, y: &'a Scale, x_desc: &'a str, y_desc: &'a str) -> Self {
        Axes {
            x,
            y,
            x_desc,
            y_desc,
            x_label: None,
            y_label: None,
            y_label_width: None,
            x_mesh: true,
        }
    }
}

/// A chart on `area` with these axes, its mesh, ticks and descriptions.
fn chart<'a, 'b>(
    area: &'a Area<'b>,
    axes: &Axes,
) -> Result<ChartContext<'a, SVGBackend<'b>, Cartesian2d<Axis, Axis>>> {
    let y_label_width = axes.y_label_width.unwrap_or_else(|| {
        let widest = axes
            .y
            .ticks
            .iter()
            .map(|t| text_width(&axes.y.label(*t), 13));
        widest.max().unwrap_or(40) as u32 + 30
    });
    let mut c = ChartBuilder::on(area)
        .margin(10)
        .margin_right(24)
        .x_label_area_size(44)
        .y_label_area_size(y_label_width)
        .build_cartesian_2d(axes.x.range(), axes.y.range())
        .map_err(drawing)?;
    let xf = |p: &f64| axes.x_label.map_or_else(|| axes.x.label(*p), |f| f(*p));
    let yf = |p: &f64| axes.y_label.map_or_else(|| axes.y.label(*p), |f| f(*p));
    let mut mesh = c.configure_mesh();
    mesh.x_desc(axes.x_desc)
        .y_desc(axes.y_desc)
        .x_label_formatter(&xf)
        .y_label_formatter(&yf)
        .label_style(font(13))
        .axis_desc_style(font(14))
        .bold_line_style(GRID)
        .light_line_style(WHITE)
        .axis_style(INK);
    if !axes.x_mesh {
        mesh.disable_x_mesh();
    }
    mesh.draw().map_err(drawing)?;
    Ok(c)
}

// ---------------------------------------------------------------------------
// compare --plot
// ---------------------------------------------------------------------------

/// Grouped bars of throughput and energy efficiency relative to a baseline,
/// and the energy breakdown of each model, for each workload of `rows`.
/// `baseline` is a model id; by default the first model that ran.
pub fn compare_svg(rows: &[Row], baseline: Option<&str>) -> Result<String> {
    // Workloads in order, each with its rows.
    let mut groups: Vec<(String, Vec<&Row>)> = Vec::new();
    for r in rows {
        let name = format!(
            "{} | {} | batch {} | {}",
            r.network, r.task, r.batch, r.precision
        );
        match groups.iter_mut().find(|(n, _)| *n == name) {
            Some((_, g)) => g.push(r),
            None => groups.push((name, vec![r])),
        }
    }
    if groups.is_empty() {
        bail!("nothing to plot: no model was compared");
    }
    // Components by their share summed over every model that ran, largest first.
    let mut shares: BTreeMap<&str, f64> = BTreeMap::new();
    for r in rows {
        if let Some(total) = r.energy_j.filter(|e| *e > 0.0) {
            for (c, e) in &r.energy_breakdown_j {
                *shares.entry(c).or_default() += e / total;
            }
        }
    }
    let mut components: Vec<&str> = shares.keys().copied().collect();
    components.sort_by(|a, b| shares[b].total_cmp(&shares[a]).then(a.cmp(b)));
    let shown = components.len().min(PALETTE.len() - 1);
    let other = components.len() > shown;
    let color_of = |c: &str| -> RGBColor {
        components[..shown]
            .iter()
            .position(|x| *x == c)
            .map_or(PALETTE[9], |i| PALETTE[i])
    };
    let mut component_legend: Vec<(String, RGBColor)> = components[..shown]
        .iter()
        .map(|c| (c.to_string(), color_of(c)))
        .collect();
    if other {
        component_legend.push(("other".into(), PALETTE[9]));
    }
    let half = WIDTH / 2;
    let legend_h = legend_height(&component_legend, half - LEGEND_INDENT as u32);
    let heights: Vec<u32> = groups
        .iter()
        .map(|(_, g)| 40 + 90 + 30 * g.len() as u32 + legend_h)
        .collect();

    let mut blocks = Vec::new();
    for (name, g) in &groups {
        let base = match baseline {
            Some(b) => g
                .iter()
                .find(|r| pimzoo::ir::normalize_name(&r.id) == pimzoo::ir::normalize_name(b))
                .ok_or_else(|| {
                    let ids: Vec<&str> = g.iter().map(|r| r.id.as_str()).collect();
                    anyhow!(
                        "--baseline `{b}` is not among the compared models: {}",
                        ids.join(", ")
                    )
                })?,
            None => g
                .iter()
                .find(|r| r.unsupported.is_none())
                .ok_or_else(|| anyhow!("{name}: no model ran, nothing to plot"))?,
        };
        if let Some(reason) = &base.unsupported {
            bail!(
                "the baseline `{}` did not run {name}: {reason}; choose another with --baseline",
                base.id
            );
        }
        blocks.push((name.clone(), g.clone(), *base));
    }

    let total: u32 = heights.iter().sum();
    svg(
        total,
        "throughput and energy efficiency relative to a baseline, and energy breakdown",
        |root| {
            let mut rest = root.clone();
            for ((name, g, base), h) in blocks.iter().zip(&heights) {
                let (block, below) = rest.split_vertically(*h);
                rest = below;
                compare_block(
                    &block,
                    name,
                    g,
                    base,
                    &component_legend,
                    legend_h,
                    &color_of,
                )?;
            }
            Ok(())
        },
    )
}

fn compare_block(
    block: &Area,
    name: &str,
    rows: &[&Row],
    base: &Row,
    component_legend: &[(String, RGBColor)],
    legend_h: u32,
    color_of: &dyn Fn(&str) -> RGBColor,
) -> Result<()> {
    let block = block
        .titled(&format!("{name} — relative to {}", base.id), font(16))
        .map_err(drawing)?;
    let (w, h) = block.dim_in_pixel();
    let (left, right) = block.split_horizontally(w / 2);
    let (left, left_legend) = left.split_vertically(h - legend_h);
    let (right, right_legend) = right.split_vertically(h - legend_h);
    let n = rows.len();
    // Row i of the list is drawn at y = n - 1 - i, so the list reads top-down.
    let y_of = |i: usize| (n - 1 - i) as f64;
    let ys = Scale::categories(n);
    let names: Vec<String> = rows.iter().map(|r| shorten(&r.id, 30)).collect();
    let name_width = names.iter().map(|s| text_width(s, 13)).max().unwrap_or(40) as u32 + 16;

    // Left: ratios to the baseline on a log axis, bars growing from 1x.
    let ratio = |r: &Row, f: fn(&Row) -> Option<f64>| -> Option<f64> {
        Some(f(r)? / f(base)?).filter(|v| v.is_finite() && *v > 0.0)
    };
    let speed = |r: &Row| r.throughput_samples_per_s;
    let efficiency = |r: &Row| r.ops_per_j;
    let mut values = vec![1.0];
    for r in rows {
        values.extend(ratio(r, speed));
        values.extend(ratio(r, efficiency));
    }
    // Room right of the longest bar for its label.
    let longest = values.iter().copied().fold(1.0, f64::max);
    values.push(longest * 1.8);
    let xs = Scale::fit(&values, true, "×");
    let label = |p: f64| {
        let i = p.round() as usize;
        names.get(n - 1 - i.min(n - 1)).cloned().unwrap_or_default()
    };
    let x_desc = format!("relative to {} (×, log scale)", base.id);
    let mut c = chart(
        &left,
        &Axes {
            y_label: Some(&label),
            y_label_width: Some(name_width),
            ..Axes::new(&xs, &ys, &x_desc, "")
        },
    )?;
    let one = xs.pos(1.0);
    // Characters of a "not run" note that fit the plotting area (11 px text).
    let plot_width = (w / 2).saturating_sub(name_width + 34 + 10) as f64;
    let not_run_chars = (plot_width / (11.0 * 0.6)) as usize;
    let bars = [
        (speed as fn(&Row) -> Option<f64>, PALETTE[0], 0.04, 0.40),
        (
            efficiency as fn(&Row) -> Option<f64>,
            PALETTE[1],
            -0.40,
            -0.04,
        ),
    ];
    for (i, r) in rows.iter().enumerate() {
        let y = y_of(i);
        if let Some(reason) = &r.unsupported {
            c.draw_series([Text::new(
                shorten(&format!("not run: {reason}"), not_run_chars),
                (xs.lo, y),
                font(11).pos(Pos::new(HPos::Left, VPos::Center)),
            )])
            .map_err(drawing)?;
            continue;
        }
        for (f, color, a, b) in bars {
            let Some(v) = ratio(r, f) else { continue };
            let end = xs.clamp(xs.pos(v));
            c.draw_series([Rectangle::new(
                [(one.min(end), y + a), (one.max(end), y + b)],
                color.filled(),
            )])
            .map_err(drawing)?;
            // The value right of the bar, or right of the 1x line for a
            // bar that grows left, clear of the model names.
            c.draw_series([Text::new(
                times(v),
                (end.max(one) + 0.015 * (xs.hi - xs.lo), y + (a + b) / 2.0),
                font(11).pos(Pos::new(HPos::Left, VPos::Center)),
            )])
            .map_err(drawing)?;
        }
    }
    c.draw_series([PathElement::new(
        vec![(one, ys.lo), (one, ys.hi)],
        INK.stroke_width(1),
    )])
    .map_err(drawing)?;
    legend(
        &left_legend.margin(0, 0, LEGEND_INDENT, 0),
        &[
            ("throughput (samples/s)".into(), PALETTE[0]),
            ("energy efficiency (op/J)".into(), PALETTE[1]),
        ],
    )?;

    // Right: each model's energy split by component, as shares of its total.
    let totals: Vec<String> = rows
        .iter()
        .map(|r| {
            r.energy_j
                .map(|e| tick(e / r.batch.max(1) as f64, "J"))
                .unwrap_or_else(|| "-".into())
        })
        .collect();
    let total_width = totals.iter().map(|s| text_width(s, 13)).max().unwrap_or(30) as u32 + 16;
    let label = |p: f64| {
        let i = p.round() as usize;
        totals
            .get(n - 1 - i.min(n - 1))
            .cloned()
            .unwrap_or_default()
    };
    let shares = Scale::linear(0.0, 100.0, "%");
    let mut c = chart(
        &right,
        &Axes {
            y_label: Some(&label),
            y_label_width: Some(total_width + 20),
            ..Axes::new(
                &shares,
                &ys,
                "share of the energy (%)",
                "energy per sample (J)",
            )
        },
    )?;
    for (i, r) in rows.iter().enumerate() {
        let Some(total) = r.energy_j.filter(|e| *e > 0.0) else {
            continue;
        };
        let y = y_of(i);
        let mut parts: Vec<(&String, f64)> = r
            .energy_breakdown_j
            .iter()
            .map(|(c, e)| (c, 100.0 * e / total))
            .collect();
        parts.sort_by(|a, b| b.1.total_cmp(&a.1));
        let mut x = 0.0;
        for (component, share) in parts {
            c.draw_series([Rectangle::new(
                [(x, y - 0.36), (x + share, y + 0.36)],
                color_of(component).filled(),
            )])
            .map_err(drawing)?;
            x += share;
        }
    }
    legend(
        &right_legend.margin(0, 0, LEGEND_INDENT, 0),
        component_legend,
    )
}

// ---------------------------------------------------------------------------
// sweep --plot
// ---------------------------------------------------------------------------

/// The metric against the first swept parameter (one line per combination
/// of everything else), and energy against latency with the Pareto front
/// of each workload.
pub fn sweep_svg(file: &SweepFile, metric: Figure) -> Result<String> {
    let records = &file.records;
    if records.is_empty() {
        bail!("nothing to plot: the sweep has no rows");
    }
    if !records.iter().any(|r| r.figures.get(metric).is_some()) {
        let reason = records
            .iter()
            .find_map(|r| r.unsupported.clone())
            .unwrap_or_else(|| format!("no `{}` figure", metric.name()));
        bail!(
            "nothing to plot: no point of the {} has a value of `{}` (for example: {reason})",
            records.len(),
            metric.name()
        );
    }
    let np = file.params.len();
    // Key columns: base, parameters, network, task, batch, precision. The x
    // axis is the first swept parameter, or the batch when none is swept.
    let key_names: Vec<String> = std::iter::once("base".to_string())
        .chain(file.params.iter().cloned())
        .chain(["network", "task", "batch", "precision"].map(String::from))
        .collect();
    let x_col = if np > 0 { 1 } else { np + 3 };
    let x_name = key_names[x_col].clone();
    let x_of = |r: &Record| r.key[x_col].clone();
    let mut x_values: Vec<String> = Vec::new();
    for r in records {
        let v = x_of(r);
        if !x_values.contains(&v) {
            x_values.push(v);
        }
    }
    let numeric: Option<Vec<f64>> = x_values.iter().map(|v| v.parse::<f64>().ok()).collect();

    // Series: every key column but the x one; their labels name only the
    // columns that vary between series.
    let series_key = |r: &Record| -> Vec<String> {
        r.key
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != x_col)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let mut series: Vec<(Vec<String>, Vec<&Record>)> = Vec::new();
    for r in records {
        let k = series_key(r);
        match series.iter_mut().find(|(s, _)| *s == k) {
            Some((_, v)) => v.push(r),
            None => series.push((k, vec![r])),
        }
    }
    let other_names: Vec<&String> = key_names
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != x_col)
        .map(|(_, n)| n)
        .collect();
    let varying: Vec<usize> = (0..other_names.len())
        .filter(|&j| series.iter().any(|(k, _)| k[j] != series[0].0[j]))
        .collect();
    // A key column in words: values that speak for themselves bare,
    // the batch and parameters with their name.
    let part = |j: usize, v: &str| -> String {
        match other_names[j].as_str() {
            _ if j == 0 => v.to_string(),
            "network" | "task" | "precision" => v.to_string(),
            "batch" => format!("batch {v}"),
            name => format!("{name}={v}"),
        }
    };
    let series_label = |k: &[String]| -> String {
        if varying.is_empty() {
            return k[0].clone();
        }
        varying
            .iter()
            .map(|&j| part(j, &k[j]))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let color = |i: usize| PALETTE[i % PALETTE.len()];
    let mut entries: Vec<(String, RGBColor)> = series
        .iter()
        .enumerate()
        .take(12)
        .map(|(i, (k, _))| (shorten(&series_label(k), 48), color(i)))
        .collect();
    if series.len() > 12 {
        entries.push((format!("(+{} more)", series.len() - 12), WHITE));
    }
    entries.push(("Pareto front (ringed)".into(), INK));
    let not_run = records
        .iter()
        .filter(|r| r.figures.get(metric).is_none())
        .count();
    let fixed: Vec<String> = (0..other_names.len())
        .filter(|j| !varying.contains(j))
        .map(|j| part(j, &series[0].0[j]))
        .collect();
    let title = format!(
        "{}{}",
        fixed.join(" | "),
        if not_run > 0 {
            format!(" — {not_run} point(s) not run")
        } else {
            String::new()
        }
    );
    let half = WIDTH / 2;
    let legend_h = legend_height(&entries, WIDTH - LEGEND_INDENT as u32);
    let height = 40 + 400 + legend_h;

    svg(
        height,
        &format!(
            "{} against {x_name}; energy-latency Pareto front",
            metric.name()
        ),
        |root| {
            let root = root.titled(&title, font(16)).map_err(drawing)?;
            let (_, h) = root.dim_in_pixel();
            let (charts, legend_area) = root.split_vertically(h - legend_h);
            let (left, right) = charts.split_horizontally(half);

            // Left: the metric against the parameter.
            let xs = match &numeric {
                Some(v) => {
                    let positive = v.iter().all(|x| *x > 0.0);
                    let max = v.iter().copied().fold(f64::MIN, f64::max);
                    let min = v.iter().copied().fold(f64::MAX, f64::min);
                    Scale::fit(v, positive && max / min >= 10.0, "")
                }
                None => Scale::categories(x_values.len()),
            };
            let x_pos = |r: &Record| -> f64 {
                let v = x_of(r);
                match &numeric {
                    Some(_) => xs.pos(v.parse::<f64>().unwrap_or(f64::NAN)),
                    None => x_values.iter().position(|x| *x == v).unwrap_or(0) as f64,
                }
            };
            let ys_values: Vec<f64> = records
                .iter()
                .filter_map(|r| r.figures.get(metric))
                .collect();
            let positive = ys_values.iter().all(|v| *v > 0.0);
            let max = ys_values.iter().copied().fold(f64::MIN, f64::max);
            let min = ys_values.iter().copied().fold(f64::MAX, f64::min);
            let ys = Scale::fit(&ys_values, positive && max / min >= 10.0, metric.unit());
            let x_label = |p: f64| -> String {
                match &numeric {
                    Some(_) => tick(xs.value(p), ""),
                    None => x_values
                        .get(p.round() as usize)
                        .cloned()
                        .unwrap_or_default(),
                }
            };
            let x_desc = if numeric.is_some() && xs.log {
                format!("{x_name} (log scale)")
            } else {
                x_name.clone()
            };
            let y_desc = format!("{} ({})", metric.description(), metric.unit());
            let mut c = chart(
                &left,
                &Axes {
                    x_label: Some(&x_label),
                    ..Axes::new(&xs, &ys, &x_desc, &y_desc)
                },
            )?;
            for (i, (_, rs)) in series.iter().enumerate() {
                let mut pts: Vec<(f64, f64)> = rs
                    .iter()
                    .filter_map(|r| Some((x_pos(r), ys.pos(r.figures.get(metric)?))))
                    .filter(|(x, y)| x.is_finite() && y.is_finite())
                    .collect();
                pts.sort_by(|a, b| a.0.total_cmp(&b.0));
                c.draw_series(LineSeries::new(pts.clone(), color(i).stroke_width(2)))
                    .map_err(drawing)?;
                c.draw_series(pts.iter().map(|p| Circle::new(*p, 3, color(i).filled())))
                    .map_err(drawing)?;
            }

            // Right: energy against latency; the front per workload.
            let lat: Vec<f64> = records.iter().filter_map(|r| r.figures.latency_s).collect();
            let en: Vec<f64> = records.iter().filter_map(|r| r.figures.energy_j).collect();
            let xs = Scale::fit(&lat, true, "s");
            let ys = Scale::fit(&en, true, "J");
            let mut c = chart(
                &right,
                &Axes::new(
                    &xs,
                    &ys,
                    "latency of one batch (s, log scale)",
                    "energy of one batch (J, log scale)",
                ),
            )?;
            let point = |r: &Record| -> Option<(f64, f64)> {
                let (l, e) = (r.figures.latency_s?, r.figures.energy_j?);
                (l > 0.0 && e > 0.0).then(|| (xs.pos(l), ys.pos(e)))
            };
            for (i, (_, rs)) in series.iter().enumerate() {
                c.draw_series(
                    rs.iter()
                        .copied()
                        .filter_map(&point)
                        .map(|p| Circle::new(p, 3, color(i).filled())),
                )
                .map_err(drawing)?;
            }
            let mut workloads: Vec<Vec<&str>> = Vec::new();
            for r in records {
                let w = vec![r.network(), r.task(), r.batch(), r.precision()];
                if !workloads.contains(&w) {
                    workloads.push(w);
                }
            }
            for w in &workloads {
                let pts: Vec<(f64, f64)> = records
                    .iter()
                    .filter(|r| [r.network(), r.task(), r.batch(), r.precision()] == w[..])
                    .filter_map(&point)
                    .collect();
                let front = pareto(&pts);
                c.draw_series(LineSeries::new(front.clone(), INK.stroke_width(1)))
                    .map_err(drawing)?;
                c.draw_series(
                    front
                        .iter()
                        .map(|p| Circle::new(*p, 6, INK.stroke_width(1))),
                )
                .map_err(drawing)?;
            }
            legend(&legend_area.margin(0, 0, LEGEND_INDENT, 0), &entries)
        },
    )
}

/// The points no other point beats in both coordinates (lower is better),
/// by increasing x.
pub fn pareto(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut sorted: Vec<(f64, f64)> = points.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut front: Vec<(f64, f64)> = Vec::new();
    for p in sorted {
        if front.last().is_none_or(|last| p.1 < last.1) {
            front.push(p);
        }
    }
    front
}

// ---------------------------------------------------------------------------
// reproduce --plot
// ---------------------------------------------------------------------------

/// The verdicts of reproduction, with their colours.
fn verdict(o: &Outcome) -> (&'static str, RGBColor) {
    match (o.status, o.pass) {
        ("check", Some(true)) => ("check, within tolerance", PALETTE[4]),
        ("check", _) => ("check, outside tolerance", PALETTE[2]),
        ("expected-miss", _) => ("expected miss", PALETTE[1]),
        ("fitted", _) => ("fitted", PALETTE[0]),
        _ => ("reported without verdict", PALETTE[9]),
    }
}

/// The model/paper ratios allowed by a tolerance: `(low, high)`, `None`
/// for an open side.
fn band(t: Tolerance, paper: f64) -> (Option<f64>, Option<f64>) {
    match t {
        Tolerance::Relative(r) => (Some(1.0 - r), Some(1.0 + r)),
        Tolerance::AtMost(r) => (None, Some(1.0 + r)),
        Tolerance::AtLeast(r) => (Some(1.0 - r), None),
        Tolerance::Absolute(a) => (Some(1.0 - a / paper.abs()), Some(1.0 + a / paper.abs())),
    }
}

/// Paper value against model value for every entry with a value: a parity
/// plot (log-log, the diagonal is agreement) and, per entry, model/paper
/// with the tolerance band, grouped by paper.
pub fn reproduce_svg(entries: &[(Outcome, Tolerance)]) -> Result<String> {
    let shown: Vec<&(Outcome, Tolerance)> = entries
        .iter()
        .filter(|(o, _)| o.model_value.is_some_and(|m| m > 0.0) && o.paper_value > 0.0)
        .collect();
    if shown.is_empty() {
        bail!("nothing to plot: no reference entry has a positive paper and model value");
    }
    let left_out = entries.len() - shown.len();
    let mut verdicts: Vec<(String, RGBColor)> = Vec::new();
    for (o, _) in &shown {
        let (v, c) = verdict(o);
        if !verdicts.iter().any(|(x, _)| x == v) {
            verdicts.push((v.to_string(), c));
        }
    }
    verdicts.push(("tolerance band".into(), GRID));
    let legend_h = legend_height(&verdicts, WIDTH - LEGEND_INDENT as u32);
    let height = 40 + 440 + legend_h;
    let title = format!(
        "{} published numbers{}",
        shown.len(),
        if left_out > 0 {
            format!(" ({left_out} without a positive model value not shown)")
        } else {
            String::new()
        }
    );
    svg(height, "paper value against model value", |root| {
        let root = root.titled(&title, font(16)).map_err(drawing)?;
        let (_, h) = root.dim_in_pixel();
        let (charts, legend_area) = root.split_vertically(h - legend_h);
        let (left, right) = charts.split_horizontally(WIDTH * 2 / 5);

        // Left: parity, every unit on one log-log plot.
        let mut all: Vec<f64> = Vec::new();
        for (o, _) in &shown {
            all.push(o.paper_value);
            all.extend(o.model_value);
        }
        let s = Scale::fit(&all, true, "");
        let mut c = chart(
            &left,
            &Axes::new(
                &s,
                &s,
                "paper value (entry's unit, log scale)",
                "model value (same unit)",
            ),
        )?;
        c.draw_series([PathElement::new(
            vec![(s.lo, s.lo), (s.hi, s.hi)],
            INK.stroke_width(1),
        )])
        .map_err(drawing)?;
        for (o, _) in &shown {
            let (_, color) = verdict(o);
            let m = o.model_value.unwrap_or(f64::NAN);
            c.draw_series([Circle::new(
                (s.pos(o.paper_value), s.pos(m)),
                3,
                color.filled(),
            )])
            .map_err(drawing)?;
        }

        // Right: model / paper per entry, its tolerance band behind it.
        let mut ratios: Vec<f64> = vec![1.0];
        for (o, t) in &shown {
            let r = o.model_value.unwrap_or(f64::NAN) / o.paper_value;
            ratios.push(r.clamp(1e-4, 1e4));
            let (lo, hi) = band(*t, o.paper_value);
            ratios.extend(lo.filter(|v| *v > 0.0));
            ratios.extend(hi);
        }
        // Headroom for the paper names.
        let top = ratios.iter().copied().fold(1.0, f64::max);
        ratios.push(top * 3.0);
        let ys = Scale::fit(&ratios, true, "×");
        let n = shown.len();
        let mut papers: Vec<(String, usize, usize)> = Vec::new();
        for (i, (o, _)) in shown.iter().enumerate() {
            match papers.last_mut() {
                Some((p, _, end)) if *p == o.paper => *end = i + 1,
                _ => papers.push((o.paper.clone(), i, i + 1)),
            }
        }
        // No x ticks: the paper of each group is written inside the plot.
        let xs = Scale {
            log: false,
            lo: -1.0,
            hi: n as f64,
            ticks: Vec::new(),
            unit: String::new(),
        };
        let mut c = chart(
            &right,
            &Axes {
                x_mesh: false,
                ..Axes::new(
                    &xs,
                    &ys,
                    "reference entries, grouped by paper",
                    "model / paper (×, log scale)",
                )
            },
        )?;
        let band_color = RGBColor(0xd8, 0xd8, 0xd8);
        for (i, (o, t)) in shown.iter().enumerate() {
            let x = i as f64;
            let (lo, hi) = band(*t, o.paper_value);
            let lo = lo
                .filter(|v| *v > 0.0)
                .map_or(ys.lo, |v| ys.clamp(ys.pos(v)));
            let hi = hi.map_or(ys.hi, |v| ys.clamp(ys.pos(v)));
            c.draw_series([Rectangle::new(
                [(x - 0.45, lo), (x + 0.45, hi)],
                band_color.filled(),
            )])
            .map_err(drawing)?;
        }
        for (_, start, _) in papers.iter().skip(1) {
            let x = *start as f64 - 0.5;
            c.draw_series([PathElement::new(vec![(x, ys.lo), (x, ys.hi)], GRID)])
                .map_err(drawing)?;
        }
        // Paper names at the top of their groups, on two staggered lines
        // so that narrow neighbours do not overlap.
        let line = (ys.hi - ys.lo) / 450.0 * 16.0;
        for (k, (paper, start, _)) in papers.iter().enumerate() {
            let y = ys.hi - line * (0.3 + (k % 2) as f64);
            c.draw_series([Text::new(
                paper.clone(),
                (*start as f64 - 0.3, y),
                font(12).pos(Pos::new(HPos::Left, VPos::Top)),
            )])
            .map_err(drawing)?;
        }
        c.draw_series([PathElement::new(
            vec![(xs.lo, 0.0), (xs.hi, 0.0)],
            INK.stroke_width(1),
        )])
        .map_err(drawing)?;
        for (i, (o, _)) in shown.iter().enumerate() {
            let (_, color) = verdict(o);
            let r = o.model_value.unwrap_or(f64::NAN) / o.paper_value;
            c.draw_series([Circle::new(
                (i as f64, ys.clamp(ys.pos(r))),
                3,
                color.filled(),
            )])
            .map_err(drawing)?;
        }
        legend(&legend_area.margin(0, 0, LEGEND_INDENT, 0), &verdicts)
    })
}

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

/// Whether `path` may be written: it does not exist, is empty, is a plot
/// this program wrote, or `force` is given. Checked before any work.
pub fn check_writable(path: &Path, force: bool) -> Result<()> {
    check_replaceable(path, force, MARK, "a pimzoo plot")
}

/// Whether `path` may be replaced by a file that carries `mark`.
pub fn check_replaceable(path: &Path, force: bool, mark: &str, what: &str) -> Result<()> {
    if force {
        return Ok(());
    }
    match std::fs::read(path) {
        Ok(bytes) if !bytes.is_empty() => {
            let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
            if head.contains(mark) {
                Ok(())
            } else {
                bail!(
                    "`{}` exists and is not {what}: choose another name{}",
                    path.display(),
                    " (or --force where the command has it)"
                )
            }
        }
        _ => Ok(()),
    }
}

/// Write a plot after checking that it replaces nothing the user wrote.
pub fn write_svg(path: &Path, svg: &str, force: bool) -> Result<()> {
    check_writable(path, force)?;
    crate::sweep::replace(path, svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_carry_prefix_and_unit() {
        assert_eq!(tick(1e-3, "s"), "1 ms");
        assert_eq!(tick(2.5e-3, "J"), "2.5 mJ");
        assert_eq!(tick(300e9, "op/J"), "300 Gop/J");
        assert_eq!(tick(4.0, ""), "4");
    }

    #[test]
    fn log_scales_tick_at_decades() {
        let s = Scale::fit(&[1e-6, 1e-2], true, "s");
        assert!(s.lo < -6.0 && s.hi > -2.0);
        let labels: Vec<String> = s.ticks.iter().map(|t| s.label(*t)).collect();
        assert!(labels.contains(&"1 us".to_string()), "{labels:?}");
        assert!(labels.contains(&"10 ms".to_string()), "{labels:?}");
        // Few decades: 2 and 5 times a decade too.
        let s = Scale::fit(&[1.0, 30.0], true, "");
        let labels: Vec<String> = s.ticks.iter().map(|t| s.label(*t)).collect();
        assert!(labels.contains(&"2".to_string()) && labels.contains(&"20".to_string()));
    }

    #[test]
    fn linear_scales_tick_at_round_steps() {
        let s = Scale::fit(&[1.0, 2.0, 4.0], false, "");
        let labels: Vec<String> = s.ticks.iter().map(|t| s.label(*t)).collect();
        assert_eq!(labels, ["1", "2", "3", "4"]);
        let s = Scale::linear(0.0, 100.0, "%");
        let labels: Vec<String> = s.ticks.iter().map(|t| s.label(*t)).collect();
        assert_eq!(labels, ["0 %", "20 %", "40 %", "60 %", "80 %", "100 %"]);
        // A single value still gives a range.
        let s = Scale::fit(&[5.0], false, "");
        assert!(s.lo < 5.0 && s.hi > 5.0);
    }

    #[test]
    fn the_pareto_front_keeps_the_undominated_points() {
        let pts = [(1.0, 5.0), (2.0, 3.0), (3.0, 4.0), (4.0, 1.0), (2.0, 6.0)];
        assert_eq!(pareto(&pts), [(1.0, 5.0), (2.0, 3.0), (4.0, 1.0)]);
        assert!(pareto(&[]).is_empty());
    }

    #[test]
    fn tolerance_bands_as_ratios() {
        assert_eq!(band(Tolerance::Relative(0.2), 5.0), (Some(0.8), Some(1.2)));
        assert_eq!(band(Tolerance::AtMost(0.1), 5.0), (None, Some(1.1)));
        assert_eq!(
            band(Tolerance::Absolute(1.0), 4.0),
            (Some(0.75), Some(1.25))
        );
    }

    #[test]
    fn plots_are_marked_svg() {
        let s = svg(100, "a <test>", |_| Ok(())).unwrap();
        assert!(
            s.starts_with("<svg") && s.contains("class=\"pimzoo-plot\""),
            "{s}"
        );
        assert!(s.contains("<title>a &lt;test&gt;</title>"), "{s}");
    }
}
