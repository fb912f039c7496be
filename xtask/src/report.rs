//! `cargo xtask report`: one self-contained HTML page with the compare table
//! of a workload, the reproduction table of every paper, optional sweeps,
//! and their plots inline as SVG. The page loads nothing: no stylesheet,
//! script or font from elsewhere, so it opens offline and can be mailed.
use crate::compare::{self, WorkloadArgs};
use crate::plot::{self, escape};
use crate::reproduce;
use anyhow::{anyhow, Context, Result};
use pimzoo::sweep::{Figure, Format, SweepFile};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

/// Marks a page this program wrote, which it may therefore replace.
const MARK: &str = "<meta name=\"generator\" content=\"pimzoo report\">";

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The page to write.
    #[arg(short, long, value_name = "FILE.html")]
    pub output: PathBuf,
    /// Replace an existing file that is not a pimzoo report.
    #[arg(long)]
    pub force: bool,
    /// The zoo network of the compare table (see `cargo xtask list`).
    #[arg(short, long, default_value = compare::DEFAULT_NETWORK)]
    pub network: String,
    #[command(flatten)]
    pub workload: WorkloadArgs,
    /// Accelerator ids or families of the compare table (default: every registered model).
    #[arg(short, long, value_delimiter = ',', num_args = 1..)]
    pub arch: Vec<String>,
    /// The model the compare plot normalises to (default: the first model that ran).
    #[arg(long, value_name = "ID")]
    pub baseline: Option<String>,
    /// A sweep file (`cargo xtask sweep -o`) to plot on the page as well; may be repeated.
    #[arg(long, value_name = "FILE")]
    pub sweep: Vec<PathBuf>,
    /// The figure the sweep plots show (as `sweep --metric`).
    #[arg(long, default_value = "ops_per_j")]
    pub metric: String,
}

pub fn run(args: Args) -> Result<ExitCode> {
    plot::check_replaceable(&args.output, args.force, MARK, "a pimzoo report")?;
    let metric: Figure = args.metric.parse().map_err(|e| anyhow!("--metric: {e}"))?;
    let sweeps = args
        .sweep
        .iter()
        .map(|path| {
            let shown = path.display().to_string();
            let format = Format::from_path(path)
                .ok_or_else(|| anyhow!("`{shown}`: a sweep file ends in .csv or .jsonl"))?;
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read sweep file `{shown}`"))?;
            Ok((shown.clone(), SweepFile::parse(&text, &shown, format)?))
        })
        .collect::<Result<Vec<_>>>()?;

    let compare_args = compare::Args {
        network: vec![args.network.clone()],
        workload: args.workload.clone(),
        arch: args.arch.clone(),
        ..compare::Args::default()
    };
    let (rows, workloads) = compare::evaluate(&compare_args)?;
    let compare_svg = plot::compare_svg(&rows, args.baseline.as_deref())?;
    let entries = reproduce::evaluate(None)?;
    let reproduce_svg = plot::reproduce_svg(&entries)?;

    let mut page = String::new();
    page.push_str(&head());
    let _ = writeln!(page, "<h1>pimzoo report</h1>");
    let _ = writeln!(
        page,
        "<p class=\"meta\">Written by <code>cargo xtask report</code> (pimzoo {}). \
         Figures are model outputs; the reproduction section shows how each model \
         meets its papers' published numbers.</p>",
        env!("CARGO_PKG_VERSION")
    );

    // Compare.
    let w = &workloads[0];
    let work = w.network.work();
    let _ = writeln!(
        page,
        "<h2>Compare: {} | {} | batch {} | {}</h2>\n<p class=\"meta\">{} MAC per sample, {} \
         parameters. Ops are 2 × MACs of the phases run, the same for every model.</p>",
        escape(w.network.name()),
        escape(&w.task.to_string()),
        w.batch,
        escape(&w.precision.to_string()),
        pimzoo::units::engineering(work.macs as f64, ""),
        pimzoo::units::engineering(work.params as f64, ""),
    );
    let epoch = compare::has_epoch(&rows);
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| compare::model_cells(r, epoch))
        .collect();
    page.push_str(&table(
        &compare::model_columns(epoch),
        &cells,
        &compare::numeric_columns(epoch),
        &[],
    ));
    page.push_str(&figure(
        &compare_svg,
        "Left: throughput and energy efficiency relative to the baseline (log scale, bars grow \
         from 1×). Right: each model's energy by component, as shares of its total; the axis \
         labels give the energy per sample.",
    ));

    // Sweeps.
    if !sweeps.is_empty() {
        page.push_str("<h2>Sweeps</h2>\n");
        for (name, file) in &sweeps {
            let svg = plot::sweep_svg(file, metric)?;
            page.push_str(&figure(
                &svg,
                &format!(
                    "{name}: {} rows over [{}]. Left: {} against the first swept parameter. \
                     Right: energy against latency; ringed points form the Pareto front of each \
                     workload.",
                    file.records.len(),
                    file.params.join(", "),
                    metric.name()
                ),
            ));
        }
    }

    // Reproduction.
    let outcomes: Vec<pimzoo::reference::Outcome> =
        entries.iter().map(|(o, _)| o.clone()).collect();
    let _ = writeln!(
        page,
        "<h2>Reproduction of the published numbers</h2>\n<p>{}</p>",
        escape(&reproduce::summary(&outcomes))
    );
    page.push_str(&figure(
        &reproduce_svg,
        "Left: model value against paper value (log-log; the diagonal is agreement). Right: \
         model / paper per entry, grouped by paper, with the entry's tolerance band in grey.",
    ));
    let cells: Vec<Vec<String>> = outcomes.iter().map(reproduce::cells).collect();
    let notes: Vec<Option<String>> = outcomes.iter().map(|o| o.expected_miss.clone()).collect();
    page.push_str(&table(&reproduce::COLUMNS, &cells, &[2, 3, 4], &notes));

    page.push_str(&tail());
    crate::sweep::replace(&args.output, &page)?;
    eprintln!(
        "report in {} ({} compare rows, {} reference entries, {} plot(s))",
        args.output.display(),
        rows.len(),
        outcomes.len(),
        2 + sweeps.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn head() -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n{MARK}\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>pimzoo report</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n"
    )
}

fn tail() -> String {
    format!("<script>\n{CHECK}</script>\n</body>\n</html>\n")
}

/// An HTML table; `right` columns are numbers; `notes[i]`, when present,
/// becomes the tooltip of row i's last cell (an expected miss's reason).
fn table(
    header: &[&str],
    rows: &[Vec<String>],
    right: &[usize],
    notes: &[Option<String>],
) -> String {
    let mut t = String::from("<div class=\"scroll\"><table>\n<thead><tr>");
    for h in header {
        let _ = write!(t, "<th>{}</th>", escape(h));
    }
    t.push_str("</tr></thead>\n<tbody>\n");
    for (i, row) in rows.iter().enumerate() {
        t.push_str("<tr>");
        for (j, c) in row.iter().enumerate() {
            let class = if right.contains(&j) {
                " class=\"num\""
            } else {
                ""
            };
            let note = match notes.get(i) {
                Some(Some(n)) if j + 1 == row.len() => format!(" title=\"{}\"", escape(n)),
                _ => String::new(),
            };
            let _ = write!(t, "<td{class}{note}>{}</td>", escape(c));
        }
        t.push_str("</tr>\n");
    }
    t.push_str("</tbody></table></div>\n");
    t
}

fn figure(svg: &str, caption: &str) -> String {
    format!(
        "<figure class=\"plot\">\n{svg}\n<figcaption>{}</figcaption>\n</figure>\n",
        escape(caption)
    )
}

const STYLE: &str = "body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; \
margin: 2rem auto; max-width: 1100px; padding: 0 1rem; color: #222; line-height: 1.4; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2.2rem; }
.meta { color: #555; }
code { font-family: ui-monospace, monospace; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.85rem; margin: 0.8rem 0; }
th, td { padding: 0.2rem 0.6rem; border-bottom: 1px solid #e4e4e4; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td[title] { text-decoration: underline dotted; cursor: help; }
figure { margin: 1rem 0; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { color: #555; font-size: 0.85rem; }
figure.failed::before { content: 'This plot did not render.'; color: #b00; }
";

/// Marks each plot rendered (laid out with a size) on the page, for the
/// reader and for the headless-browser test (`xtask/tests/report.rs`).
const CHECK: &str = "(function () {
  var plots = document.querySelectorAll('figure.plot svg');
  var rendered = 0;
  for (var i = 0; i < plots.length; i++) {
    var box = plots[i].getBBox();
    var r = plots[i].getBoundingClientRect();
    if (box.width > 0 && box.height > 0 && r.width > 0 && plots[i].querySelector('text')) {
      rendered++;
    } else {
      plots[i].parentNode.className += ' failed';
    }
  }
  document.body.setAttribute('data-plots', String(plots.length));
  document.body.setAttribute('data-rendered', String(rendered));
})();
";
