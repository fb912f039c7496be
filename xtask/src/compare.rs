//! `cargo xtask compare`: one or more workloads on the registered models.
use crate::details::{self, Details, MetricFilter};
use crate::table::{eng, group_digits, Table};
use crate::Format;
use anyhow::{bail, Context, Result};
use pimzoo::compare::{compare, Row};
use pimzoo::ir::{load_network_file, onnx, zoo, Network, TensorShape};
use pimzoo::reference::task_from_name;
use pimzoo::{Accelerator, Precision, Task, Workload};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Zoo network(s), or `all` for the whole zoo (see `cargo xtask list`).
    #[arg(short, long, value_delimiter = ',')]
    pub network: Vec<String>,
    /// A network file in pimzoo's RON format (docs/ir.md); may be repeated.
    #[arg(long, value_name = "PATH")]
    pub network_file: Vec<PathBuf>,
    /// An ONNX model, imported on the fly (docs/onnx.md); may be repeated.
    #[arg(long, value_name = "PATH")]
    pub onnx: Vec<PathBuf>,
    /// Override the input shape, e.g. `256` (BERT tokens) or `3,32,32`.
    #[arg(long, value_name = "DIMS", value_delimiter = ',')]
    pub input: Vec<usize>,
    #[command(flatten)]
    pub workload: WorkloadArgs,
    /// Accelerator ids or families (default: every registered model), comma- or space-separated.
    #[arg(short, long, value_delimiter = ',', num_args = 1..)]
    pub arch: Vec<String>,
    /// A preset file to evaluate as well (fixtures/configs/<family>/*.ron format).
    #[arg(long, value_name = "PATH")]
    pub config: Vec<PathBuf>,
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Draw throughput and energy efficiency relative to --baseline, and the energy breakdown, as SVG.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// The model the plot normalises to (default: the first model that ran).
    #[arg(long, value_name = "ID")]
    pub baseline: Option<String>,
    /// Print each model's energy by component and its metrics under the table
    /// (auto: for at most 6 models on at most 3 workloads).
    #[arg(long, value_enum, default_value_t = Details::Auto)]
    pub details: Details,
    /// Only these metrics: names, or one `*` for any text (`update_*`,
    /// `*_share`); shows the detail tables, and adds the metrics as CSV columns.
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub metrics: Vec<String>,
}

/// A bare `compare`: the defaults the attributes above declare, parsed from
/// no arguments, so that they are written in one place.
impl Default for Args {
    fn default() -> Self {
        use clap::FromArgMatches;
        let command = <Args as clap::Args>::augment_args(clap::Command::new("compare"));
        Args::from_arg_matches(&command.get_matches_from(["compare"]))
            .expect("no arguments parse to the defaults")
    }
}

/// The task, batch and precision of the workloads (`compare`, `report`).
#[derive(clap::Args, Clone, Debug)]
pub struct WorkloadArgs {
    #[arg(short, long, value_enum, default_value_t = TaskArg::Inference)]
    pub task: TaskArg,
    /// Optimizer of a training step: sgd, momentum, adam, kfac (implies --task training).
    #[arg(long)]
    pub optimizer: Option<String>,
    #[arg(short, long, default_value_t = 1)]
    pub batch: u64,
    /// Number formats: fp32, bf16, fp16, int8, fxN, or LOW/HIGH such as 8/32.
    #[arg(short, long, default_value = "fp32")]
    pub precision: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TaskArg {
    Inference,
    Training,
}

/// The network compared when none is named.
pub const DEFAULT_NETWORK: &str = "resnet18";

pub fn run(args: Args) -> Result<ExitCode> {
    if let Some(p) = &args.plot {
        crate::plot::check_writable(p, false)?;
    }
    let (rows, workloads) = evaluate(&args)?;
    let filter = MetricFilter::new(&args.metrics);
    let metrics = filter.select(&rows)?;
    match args.format {
        Format::Json => crate::emit(&format!("{}\n", serde_json::to_string_pretty(&rows)?))?,
        Format::Csv => {
            let extra = if filter.is_explicit() {
                &metrics[..]
            } else {
                &[]
            };
            crate::emit(&flat_table(&rows, extra).csv())?
        }
        Format::Table => {
            let show = |models: usize| match args.details {
                Details::On => true,
                Details::Off => false,
                Details::Auto => {
                    filter.is_explicit()
                        || (models <= details::AUTO_MAX_MODELS
                            && workloads.len() <= details::AUTO_MAX_WORKLOADS)
                }
            };
            crate::emit(&grouped_table(&rows, &workloads, &metrics, show))?
        }
    }
    if let Some(p) = &args.plot {
        let svg = crate::plot::compare_svg(&rows, args.baseline.as_deref())?;
        crate::plot::write_svg(p, &svg, false)?;
        eprintln!("plot in {}", p.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// The rows of every selected model on every workload the arguments name
/// (workloads outer), and the workloads.
pub(crate) fn evaluate(args: &Args) -> Result<(Vec<Row>, Vec<Workload>)> {
    if args.workload.batch == 0 {
        bail!("--batch must be at least 1");
    }
    let networks = networks(args)?;
    let task = task(&args.workload)?;
    let precision: Precision = args
        .workload
        .precision
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--precision: {e}"))?;

    let registry = crate::registry();
    let extra: Vec<Box<dyn Accelerator>> = args
        .config
        .iter()
        .map(|p| crate::catalog().load_file(p).map_err(anyhow::Error::from))
        .collect::<Result<_>>()?;
    let mut models: Vec<&dyn Accelerator> = if args.arch.is_empty() && !extra.is_empty() {
        Vec::new()
    } else if args.arch.is_empty() {
        registry.iter().collect()
    } else {
        registry.select(&args.arch)?
    };
    models.extend(extra.iter().map(|m| m.as_ref()));

    let workloads: Vec<Workload> = networks
        .into_iter()
        .map(|network| Workload {
            network,
            task: task.clone(),
            batch: args.workload.batch,
            precision,
        })
        .collect();
    let rows = compare(&models, &workloads);
    Ok((rows, workloads))
}

fn task(args: &WorkloadArgs) -> Result<Task> {
    match (&args.optimizer, args.task) {
        (Some(o), _) => task_from_name(o).map_err(|e| anyhow::anyhow!("--optimizer: {e}")),
        (None, TaskArg::Training) => Ok(task_from_name("momentum").expect("a known optimizer")),
        (None, TaskArg::Inference) => Ok(Task::Inference),
    }
}

fn networks(args: &Args) -> Result<Vec<Arc<Network>>> {
    let mut out: Vec<Network> = Vec::new();
    for name in &args.network {
        if name.eq_ignore_ascii_case("all") {
            out.extend(zoo::all()?);
        } else {
            out.push(zoo::get(name)?);
        }
    }
    for path in &args.network_file {
        out.push(load_network_file(path)?);
    }
    for path in &args.onnx {
        out.push(onnx::import_file(path, &onnx::ImportOptions::default())?.network);
    }
    if out.is_empty() {
        out.push(zoo::get(DEFAULT_NETWORK)?);
    }
    if !args.input.is_empty() {
        let shape = TensorShape::new(args.input.clone());
        out = out
            .into_iter()
            .map(|n| {
                let name = n.name().to_string();
                n.with_input(shape.clone())
                    .with_context(|| format!("--input {shape} on `{name}`"))
            })
            .collect::<Result<_>>()?;
    }
    Ok(out.into_iter().map(Arc::new).collect())
}

/// One line per row; `metrics` become extra columns at the end.
fn flat_table(rows: &[Row], metrics: &[String]) -> Table {
    let mut header = vec![
        "id",
        "network",
        "task",
        "batch",
        "precision",
        "latency_s",
        "energy_j",
        "samples_per_s",
        "ops_per_s",
        "ops_per_j",
        "power_w",
        "area_mm2",
        "unsupported",
    ];
    header.extend(metrics.iter().map(String::as_str));
    let mut t = Table::new(&header);
    let num = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    for r in rows {
        let mut cells = vec![
            r.id.clone(),
            r.network.clone(),
            r.task.clone(),
            r.batch.to_string(),
            r.precision.clone(),
            num(r.latency_s),
            num(r.energy_j),
            num(r.throughput_samples_per_s),
            num(r.ops_per_s),
            num(r.ops_per_j),
            num(r.power_w),
            num(r.area_mm2),
            r.unsupported.clone().unwrap_or_default(),
        ];
        cells.extend(metrics.iter().map(|m| num(r.metrics.get(m).copied())));
        t.push(cells);
    }
    t
}

/// Per workload: a heading, the table of models and, when `show_details(number
/// of models)`, the detail tables with the `metrics` named.
fn grouped_table(
    rows: &[Row],
    workloads: &[Workload],
    metrics: &[String],
    show_details: impl Fn(usize) -> bool,
) -> String {
    let mut out = String::new();
    let per = rows.len() / workloads.len().max(1);
    for (w, chunk) in workloads.iter().zip(rows.chunks(per.max(1))) {
        let work = w.network.work();
        out.push_str(&format!(
            "{} | {} | batch {} | {} | {} MAC/sample, {} params\n\n",
            w.network.name(),
            w.task,
            w.batch,
            w.precision,
            si(work.macs as f64),
            si(work.params as f64),
        ));
        let epoch = has_epoch(chunk);
        if let Some(r) = chunk.iter().find(|r| r.dataset.is_some()) {
            out.push_str(&format!(
                "an epoch: {} steps over {}\n\n",
                group_digits(r.steps_per_epoch.unwrap_or_default()),
                r.dataset.as_deref().unwrap_or_default(),
            ));
        }
        let columns = model_columns(epoch);
        let mut t = Table::new(&columns)
            .right(&numeric_columns(epoch))
            .wrap(columns.len() - 1, NOTE_WIDTH);
        for r in chunk {
            t.push(model_cells(r, epoch));
        }
        out.push_str(&t.render());
        out.push('\n');
        if show_details(chunk.len()) {
            let d = details::render(chunk, metrics);
            if !d.is_empty() {
                out.push_str(&d);
                out.push('\n');
            }
        }
    }
    out
}

/// Notes (why a model cannot run) wrap at this width in the table.
const NOTE_WIDTH: usize = 72;

/// The columns of the table of one workload; `epoch` adds the time and
/// energy of one epoch (training on a network whose training set is known).
pub(crate) fn model_columns(epoch: bool) -> Vec<&'static str> {
    let mut c = vec![
        "model",
        "latency",
        "energy",
        "samples/s",
        "ops/s",
        "ops/J",
        "power",
        "area",
    ];
    if epoch {
        c.extend(["epoch", "epoch energy"]);
    }
    c.push("note");
    c
}

/// The numeric (right-aligned) columns of [`model_columns`].
pub(crate) fn numeric_columns(epoch: bool) -> Vec<usize> {
    (1..model_columns(epoch).len() - 1).collect()
}

/// True when the table of these rows has epoch columns.
pub(crate) fn has_epoch(rows: &[Row]) -> bool {
    rows.iter().any(|r| r.epoch_s.is_some())
}

/// One model's cells in the table of one workload.
pub(crate) fn model_cells(r: &Row, epoch: bool) -> Vec<String> {
    let note = match &r.unsupported {
        Some(reason) => reason.clone(),
        None => r
            .report
            .as_ref()
            .map(dominant_component)
            .unwrap_or_default(),
    };
    let mut cells = vec![
        r.id.clone(),
        eng(r.latency_s, "s"),
        eng(r.energy_j, "J"),
        r.throughput_samples_per_s
            .map(si)
            .unwrap_or_else(|| "-".into()),
        eng(r.ops_per_s, "op/s"),
        eng(r.ops_per_j, "op/J"),
        eng(r.power_w, "W"),
        r.area_mm2
            .map(|a| format!("{a:.1} mm^2"))
            .unwrap_or_else(|| "-".into()),
    ];
    if epoch {
        cells.push(r.epoch_s.map(duration).unwrap_or_else(|| "-".into()));
        cells.push(eng(r.epoch_j, "J"));
    }
    cells.push(note);
    cells
}

/// A long time in the unit a reader thinks in: `3.61 h`, `2.40 d`.
fn duration(s: f64) -> String {
    let (value, unit) = match s {
        s if s >= 86_400.0 => (s / 86_400.0, "d"),
        s if s >= 3_600.0 => (s / 3_600.0, "h"),
        s if s >= 60.0 => (s / 60.0, "min"),
        s => return pimzoo::units::engineering(s, "s"),
    };
    format!("{} {unit}", pimzoo::units::three_digits(value))
}

/// "energy mostly <component> (NN %)".
fn dominant_component(r: &pimzoo::Report) -> String {
    let total = r.energy().value();
    r.energy_breakdown()
        .iter()
        .max_by(|a, b| a.1.value().total_cmp(&b.1.value()))
        .map(|(c, e)| format!("energy mostly {c} ({:.0} %)", 100.0 * e.value() / total))
        .unwrap_or_default()
}

/// A count with an SI prefix and no unit: `1.81 G`.
fn si(v: f64) -> String {
    pimzoo::units::engineering(v, "").trim_end().to_string()
}
