//! `cargo xtask sweep`: a grid of design points over preset parameters,
//! networks and batch sizes, evaluated in parallel and streamed to a file
//! (`docs/sweeps.md`). The grid, its order, shards, keys and merges live in
//! `pimzoo::sweep`; this file parses arguments, writes files and reports.
use crate::plot;
use anyhow::{anyhow, bail, Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use pimzoo::ir::{load_network_file, zoo, Network};
use pimzoo::reference::task_from_name;
use pimzoo::sweep::{parse_set, Figure, Format, Shard, Sweep, SweepFile, SweepRow};
use pimzoo::{Catalog, Precision, PresetData, Task, Workload};
use rayon::prelude::*;
use std::fs::{File, OpenOptions};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Instant;

#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    #[command(subcommand)]
    pub action: Option<Action>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(clap::Subcommand, Debug)]
pub enum Action {
    /// Join sweep files (the shards of a job array) into one, in canonical order.
    Merge(MergeArgs),
}

#[derive(clap::Args, Debug, Default)]
pub struct RunArgs {
    /// Preset(s) to sweep: ids or families (see `cargo xtask list`), comma- or space-separated.
    #[arg(short, long, value_delimiter = ',', num_args = 1..)]
    pub arch: Vec<String>,
    /// A preset file to sweep (fixtures/configs/<family>/*.ron format); may be repeated.
    #[arg(long, value_name = "PATH")]
    pub config: Vec<PathBuf>,
    /// A parameter and its values, `PATH=V1,V2,...` (paths: --list-paths); may be repeated.
    #[arg(short, long, value_name = "PATH=V1,V2,...")]
    pub set: Vec<String>,
    /// Print the parameter paths of the presets with their values, and stop.
    #[arg(long)]
    pub list_paths: bool,
    /// Zoo network(s), or `all` (default: resnet18).
    #[arg(short, long, value_delimiter = ',')]
    pub network: Vec<String>,
    /// A network file in pimzoo's RON format (docs/ir.md); may be repeated.
    #[arg(long, value_name = "PATH")]
    pub network_file: Vec<PathBuf>,
    /// Batch size(s), comma-separated.
    #[arg(short, long, value_delimiter = ',', default_value = "1")]
    pub batch: Vec<u64>,
    /// `inference` or `training`.
    #[arg(short, long, default_value = "inference")]
    pub task: String,
    /// Optimizer of a training step: sgd, momentum, adam, kfac (implies --task training).
    #[arg(long)]
    pub optimizer: Option<String>,
    /// Number formats: fp32, bf16, fp16, int8, fxN, or LOW/HIGH such as 8/32.
    #[arg(short, long, default_value = "fp32")]
    pub precision: String,
    /// Write the rows to this file as they finish (`.csv`, or `.jsonl` for JSON Lines);
    /// without it, to standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Row format; by default from the output file's extension, CSV on standard output.
    #[arg(short, long, value_enum)]
    pub format: Option<FormatArg>,
    /// Continue the sweep in the output file: skip the points it already holds.
    #[arg(long, conflicts_with = "force", requires = "output")]
    pub resume: bool,
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
    /// Run part K of N of the grid (`--shard 3/8`), for a job array; merge with `sweep merge`.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Threads (default: every core).
    #[arg(short, long)]
    pub jobs: Option<usize>,
    /// Draw the metric against the first swept parameter and the energy-latency Pareto front.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// The figure plotted: latency_s, energy_j, samples_per_s, ops_per_s, ops_per_j, power_w, area_mm2.
    #[arg(long, default_value = "ops_per_j")]
    pub metric: String,
}

#[derive(clap::Args, Debug)]
pub struct MergeArgs {
    /// The sweep files to join (all CSV or all JSON Lines, of the same parameters).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The merged file; without it, standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace an existing output file.
    #[arg(long)]
    pub force: bool,
    /// Row format of the inputs; by default from their extension.
    #[arg(short, long, value_enum)]
    pub format: Option<FormatArg>,
    /// Draw the merged sweep (as `sweep --plot`).
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
    /// The figure plotted (as `sweep --metric`).
    #[arg(long, default_value = "ops_per_j")]
    pub metric: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    Csv,
    Jsonl,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Csv => Format::Csv,
            FormatArg::Jsonl => Format::JsonLines,
        }
    }
}

pub fn run(args: Args) -> Result<ExitCode> {
    match args.action {
        Some(Action::Merge(m)) => merge(m),
        None => sweep(args.run),
    }
}

/// The format of a file: the flag, else the extension, else CSV.
fn format_of(flag: Option<FormatArg>, path: Option<&Path>) -> Result<Format> {
    if let Some(f) = flag {
        return Ok(f.into());
    }
    match path {
        None => Ok(Format::Csv),
        Some(p) => Format::from_path(p).ok_or_else(|| {
            anyhow!(
                "`{}`: name the file .csv or .jsonl, or give --format csv|jsonl",
                p.display()
            )
        }),
    }
}

fn sweep(args: RunArgs) -> Result<ExitCode> {
    // Everything is checked before the first evaluation.
    let catalog = crate::catalog();
    let bases = bases(&catalog, &args.arch, &args.config)?;
    if args.list_paths {
        return list_paths(&catalog, &bases);
    }
    let metric: Figure = args.metric.parse().map_err(|e| anyhow!("--metric: {e}"))?;
    let sets = args
        .set
        .iter()
        .map(|s| parse_set(s))
        .collect::<Result<Vec<_>, _>>()?;
    let shard: Shard = match &args.shard {
        Some(s) => s.parse()?,
        None => Shard::ALL,
    };
    let workloads = workloads(&args)?;
    let sweep = Sweep::new(&catalog, bases, sets, workloads)?;
    let format = format_of(args.format, args.output.as_deref())?;
    if let Some(p) = &args.plot {
        plot::check_writable(p, args.force)?;
    }

    // The output, and the points it already holds.
    let mut done = 0usize;
    let mut todo: Vec<usize> = sweep.shard(shard).collect();
    let sink: Box<dyn Write + Send> = match &args.output {
        None => Box::new(std::io::stdout()),
        Some(path) => {
            let (file, existing) = open_output(path, &sweep, format, args.resume, args.force)?;
            if let Some(existing) = existing {
                let keys = existing.keys();
                let before = todo.len();
                todo.retain(|&i| !keys.contains(sweep.key(i).as_slice()));
                done = before - todo.len();
            }
            Box::new(file)
        }
    };
    if args.output.is_none() && format == Format::Csv {
        crate::emit(&sweep.csv_header())?;
    }

    // Evaluate in parallel, one job per model; each row is written (and
    // flushed) as soon as it is done, so an interruption keeps it.
    let jobs = sweep.jobs(todo.iter().copied());
    let bar = progress(todo.len());
    let started = Instant::now();
    let sink = Mutex::new(sink);
    // Rows kept for a plot when they go to standard output only.
    let kept: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let keep = args.output.is_none() && args.plot.is_some();
    let write = |row: SweepRow| -> Result<()> {
        let line = sweep.encode(&row, format);
        {
            let mut out = sink.lock().map_err(|_| anyhow!("a writer thread failed"))?;
            match out.write_all(line.as_bytes()).and_then(|_| out.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
                other => other.context("writing a row")?,
            }
        }
        if keep {
            kept.lock()
                .map_err(|_| anyhow!("a writer thread failed"))?
                .push(line);
        }
        bar.inc(1);
        Ok(())
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .build()
        .context("starting the worker threads")?;
    pool.install(|| {
        jobs.par_iter()
            .try_for_each(|job| sweep.run_job(&catalog, job, &write))
    })?;
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();

    // The finished file in canonical order, and the plot.
    let rows = match &args.output {
        Some(path) => Some(sort_file(path, format)?),
        None if keep => {
            let mut text = if format == Format::Csv {
                sweep.csv_header()
            } else {
                String::new()
            };
            for line in kept.into_inner().unwrap_or_default() {
                text.push_str(&line);
            }
            let mut f = SweepFile::parse(&text, "<rows>", format)?;
            f.sort();
            Some(f)
        }
        None => None,
    };
    if let (Some(p), Some(rows)) = (&args.plot, &rows) {
        let svg = plot::sweep_svg(rows, metric).with_context(|| match &args.output {
            Some(out) => format!("the rows are in {}; the plot was not drawn", out.display()),
            None => "the plot was not drawn".to_string(),
        })?;
        plot::write_svg(p, &svg, args.force)?;
    }
    let mut summary = if todo.is_empty() {
        format!("sweep: nothing to evaluate, all {done} point(s) are in the file")
    } else {
        let mut s = format!(
            "sweep{}: {} point(s) evaluated in {} ({:.0} points/s)",
            if shard == Shard::ALL {
                String::new()
            } else {
                format!(" shard {shard}")
            },
            todo.len(),
            plot::tick(elapsed, "s"),
            todo.len() as f64 / elapsed.max(1e-9),
        );
        if done > 0 {
            s.push_str(&format!("; {done} were already in the file"));
        }
        s
    };
    if let Some(p) = &args.output {
        summary.push_str(&format!("; rows in {}", p.display()));
    }
    if let Some(p) = &args.plot {
        summary.push_str(&format!("; plot in {}", p.display()));
    }
    eprintln!("{summary}");
    Ok(ExitCode::SUCCESS)
}

/// A progress bar on a terminal, nothing otherwise (a batch job's log).
fn progress(len: usize) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} points ({percent} %), eta {eta}")
    {
        bar.set_style(style);
    }
    bar
}

/// The presets to sweep, as data.
fn bases(catalog: &Catalog, arch: &[String], config: &[PathBuf]) -> Result<Vec<PresetData>> {
    let mut out = Vec::new();
    if !arch.is_empty() {
        let registry = catalog.registry();
        for model in registry.select(arch)? {
            let (origin, text) = catalog
                .files()
                .find(|(o, t)| catalog.load(t, o).is_ok_and(|m| m.id() == model.id()))
                .ok_or_else(|| anyhow!("`{}` has no preset file", model.id()))?;
            out.push(
                catalog
                    .read(text, origin)
                    .map_err(|e| anyhow!("cannot sweep `{}`: {e}", model.id()))?,
            );
        }
    }
    for path in config {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read preset file `{}`", path.display()))?;
        out.push(
            catalog
                .read(&text, &path.display().to_string())
                .map_err(|e| anyhow!("cannot sweep `{}`: {e}", path.display()))?,
        );
    }
    if out.is_empty() {
        bail!("name the preset to sweep: --arch ID (see `cargo xtask list`) or --config PATH");
    }
    Ok(out)
}

fn list_paths(catalog: &Catalog, bases: &[PresetData]) -> Result<ExitCode> {
    let mut text = String::new();
    for data in bases {
        let id = catalog
            .build(data)
            .map(|m| m.id().to_string())
            .unwrap_or_else(|_| data.origin().to_string());
        text.push_str(&format!("{id} ({})\n", data.origin()));
        for path in data.paths() {
            let value = data.get(&path).map(pimzoo::sweep::value_text);
            text.push_str(&format!("  {path} = {}\n", value.unwrap_or_default()));
        }
    }
    crate::emit(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn task(args: &RunArgs) -> Result<Task> {
    let name = match (&args.optimizer, args.task.as_str()) {
        (Some(o), _) => o.as_str(),
        (None, t) if t.eq_ignore_ascii_case("training") => "momentum",
        (None, t) => t,
    };
    task_from_name(name).map_err(|e| anyhow!("--task/--optimizer: {e}"))
}

/// Networks x batches, networks outer.
fn workloads(args: &RunArgs) -> Result<Vec<Workload>> {
    let mut networks: Vec<Network> = Vec::new();
    for name in &args.network {
        if name.eq_ignore_ascii_case("all") {
            networks.extend(zoo::all()?);
        } else {
            networks.push(zoo::get(name)?);
        }
    }
    for path in &args.network_file {
        networks.push(load_network_file(path)?);
    }
    if networks.is_empty() {
        networks.push(zoo::get(crate::compare::DEFAULT_NETWORK)?);
    }
    if args.batch.contains(&0) {
        bail!("--batch must be at least 1");
    }
    let task = task(args)?;
    let precision: Precision = args
        .precision
        .parse()
        .map_err(|e: String| anyhow!("--precision: {e}"))?;
    let mut out = Vec::new();
    for n in networks {
        let n = Arc::new(n);
        for &batch in &args.batch {
            out.push(Workload {
                network: n.clone(),
                task: task.clone(),
                batch,
                precision,
            });
        }
    }
    Ok(out)
}

/// Open the output file for appending rows. An existing, non-empty file is
/// continued with --resume (after checking it holds this sweep), replaced
/// with --force, and otherwise left alone with an error.
fn open_output(
    path: &Path,
    sweep: &Sweep,
    format: Format,
    resume: bool,
    force: bool,
) -> Result<(File, Option<SweepFile>)> {
    let shown = path.display();
    let existing = match std::fs::read(path) {
        Ok(bytes) if !bytes.is_empty() => Some(bytes),
        Ok(_) => None,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("cannot read `{shown}`")),
    };
    if let (Some(bytes), true) = (&existing, resume) {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| anyhow!("`{shown}` is not a sweep file (not UTF-8 text)"))?;
        let file = SweepFile::parse(text, &shown.to_string(), format)?;
        let expected = sweep.paths();
        let csv_header_ok = format != Format::Csv || text.starts_with(&sweep.csv_header());
        if (!file.records.is_empty() || format == Format::Csv)
            && (file.params != expected || !csv_header_ok)
        {
            bail!(
                "`{shown}` holds a sweep over [{}]; this one sets [{}]: write to another file \
                 (or --force to replace it)",
                file.params.join(", "),
                expected.join(", ")
            );
        }
        let out = OpenOptions::new()
            .write(true)
            .open(path)
            .with_context(|| format!("cannot open `{shown}`"))?;
        // A row cut off by the interruption is dropped and computed again.
        out.set_len(file.complete_len as u64)
            .with_context(|| format!("cannot open `{shown}`"))?;
        let mut out = OpenOptions::new()
            .append(true)
            .open(path)
            .with_context(|| format!("cannot open `{shown}`"))?;
        if file.complete_len == 0 && format == Format::Csv {
            out.write_all(sweep.csv_header().as_bytes())?;
        }
        return Ok((out, Some(file)));
    }
    if existing.is_some() && !force {
        bail!(
            "`{shown}` exists: --resume continues the sweep it holds, --force replaces it \
             (nothing was written)"
        );
    }
    let mut out = File::create(path).with_context(|| format!("cannot create `{shown}`"))?;
    if format == Format::Csv {
        out.write_all(sweep.csv_header().as_bytes())
            .with_context(|| format!("cannot write `{shown}`"))?;
    }
    Ok((out, None))
}

/// Put a finished sweep file in canonical order (rows arrive in the order
/// they finish), replacing it atomically, and return its rows.
fn sort_file(path: &Path, format: Format) -> Result<SweepFile> {
    let shown = path.display().to_string();
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read `{shown}` back"))?;
    let mut file = SweepFile::parse(&text, &shown, format)?;
    file.sort();
    let sorted = file.to_text();
    if sorted != text {
        replace(path, &sorted)?;
    }
    Ok(file)
}

/// Write `text` to `path` through a temporary file in the same directory
/// and a rename, so the file is never half-written.
pub fn replace(path: &Path, text: &str) -> Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| anyhow!("`{}` is not a file name", path.display()))?;
    let tmp = path.with_file_name(format!(".{}.tmp", name.to_string_lossy()));
    std::fs::write(&tmp, text).with_context(|| format!("cannot write `{}`", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace `{}`", path.display()))
}

fn merge(args: MergeArgs) -> Result<ExitCode> {
    let metric: Figure = args.metric.parse().map_err(|e| anyhow!("--metric: {e}"))?;
    let format = format_of(args.format, args.files.first().map(PathBuf::as_path))?;
    let mut files = Vec::new();
    for path in &args.files {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read sweep file `{shown}`"))?;
        let file = SweepFile::parse(&text, &shown, format)?;
        if file.complete_len < text.len() {
            bail!(
                "`{shown}` ends in a cut-off row (its sweep was interrupted): rerun that sweep \
                 with --resume first"
            );
        }
        files.push((shown, file));
    }
    let merged = SweepFile::merge(files)?;
    if let Some(p) = &args.plot {
        plot::check_writable(p, args.force)?;
    }
    match &args.output {
        None => crate::emit(&merged.to_text())?,
        Some(path) => {
            let exists = std::fs::metadata(path).is_ok_and(|m| m.len() > 0);
            if exists && !args.force {
                bail!(
                    "`{}` exists: --force replaces it (nothing was written)",
                    path.display()
                );
            }
            replace(path, &merged.to_text())?;
            eprintln!(
                "merged {} file(s): {} rows in {}",
                args.files.len(),
                merged.records.len(),
                path.display()
            );
        }
    }
    if let Some(p) = &args.plot {
        plot::write_svg(p, &plot::sweep_svg(&merged, metric)?, args.force)?;
    }
    Ok(ExitCode::SUCCESS)
}
