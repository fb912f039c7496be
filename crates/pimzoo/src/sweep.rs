//! Parameter sweeps: a grid of design points over preset parameters,
//! networks and batch sizes; its deterministic order, shards and the rows
//! written to CSV or JSON Lines (`docs/sweeps.md`).
//!
//! A [`Sweep`] crosses one or more base presets (read as [`PresetData`])
//! with the values of each swept parameter path (`array.dac_bits=1,2,4`)
//! and a list of workloads. Point `i` of the grid is fixed by the arguments
//! alone, whatever the machine or the number of threads: the base varies
//! slowest, then each parameter in the order given, then the workload. A
//! [`Shard`] `k/n` takes the points `i` with `i % n == k - 1`, so the shards
//! of a cluster job array together cover the grid exactly once.
//!
//! Rows are identified by their key — the base id, the parameter values, the
//! network, task, batch and precision — never by their position, so a sweep
//! resumed after an interruption skips the points its file already holds,
//! and shard files merge into the same rows, in the same canonical order
//! ([`SweepFile::sort`]), as one unsharded run.
//!
//! The evaluation of a design point is `compare::row` on the model built
//! from the changed preset: the same figures as `compare`, computed once.
//!
//! ```
//! use pimzoo::sweep::{Format, Shard, Sweep};
//! use pimzoo::{Catalog, Workload};
//!
//! let catalog = Catalog::builtin();
//! let (origin, text) = catalog
//!     .files()
//!     .find(|(o, _)| o.ends_with("neuralpim/isaac.ron"))
//!     .unwrap();
//! let base = catalog.read(text, origin)?;
//! let net = std::sync::Arc::new(pimzoo::ir::zoo::get("resnet18")?);
//! let sweep = Sweep::new(
//!     &catalog,
//!     vec![base],
//!     vec![("array.dac_bits".into(), vec!["1".into(), "2".into(), "4".into()])],
//!     vec![Workload::inference(net, 1)],
//! )?;
//! let mut csv = sweep.csv_header();
//! for job in sweep.jobs(sweep.shard(Shard::ALL)) {
//!     sweep.run_job(&catalog, &job, |row| {
//!         csv.push_str(&sweep.encode(&row, Format::Csv));
//!         Ok::<(), std::io::Error>(())
//!     })?;
//! }
//! assert_eq!(csv.lines().count(), 4);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
use crate::compare::{row, Row};
use crate::preset::{Catalog, PresetData, PresetError};
use pimzoo_core::{Accelerator, Workload};
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

/// A sweep that cannot be set up, or a sweep file that cannot be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SweepError {
    /// A malformed argument: `--set` without `=`, an empty value list, a
    /// path or value given twice, a bad `--shard`.
    #[error("{0}")]
    Spec(String),
    /// A base preset that cannot be swept (its family is not readable as
    /// data) or that does not build.
    #[error("cannot sweep `{base}`: {message}")]
    Base { base: String, message: String },
    /// A path the base preset does not have.
    #[error("`{path}` is not a parameter of `{base}`; valid paths (current value):\n{}", list(.valid))]
    Path {
        base: String,
        path: String,
        valid: Vec<(String, String)>,
    },
    /// A value the model does not accept at that path.
    #[error("`{path}={value}` on `{base}`: {message}; valid paths (current value):\n{}", list(.valid))]
    Value {
        base: String,
        path: String,
        value: String,
        message: String,
        valid: Vec<(String, String)>,
    },
    /// A sweep file that cannot be read; `line` counts from 1.
    #[error("{origin}:{line}: {message}")]
    File {
        origin: String,
        line: usize,
        message: String,
    },
    /// Files or a grid that do not belong together.
    #[error("{0}")]
    Mismatch(String),
}

fn list(valid: &[(String, String)]) -> String {
    valid
        .iter()
        .map(|(p, v)| format!("  {p} ({v})"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The text of a preset value in a sweep file and a listing: a string bare,
/// an optional field left out `unset`, anything else as JSON (`4`,
/// `2.5e-12`, `true`).
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "unset".to_string(),
        other => other.to_string(),
    }
}

/// Every path of a preset with its current value, for error messages.
fn paths_with_values(data: &PresetData) -> Vec<(String, String)> {
    data.paths()
        .into_iter()
        .map(|p| {
            let v = data.get(&p).map(value_text).unwrap_or_default();
            (p, v)
        })
        .collect()
}

/// Parse `PATH=V1,V2,...` into the path and its values (trimmed, non-empty).
pub fn parse_set(text: &str) -> Result<(String, Vec<String>), SweepError> {
    let (path, values) = text.split_once('=').ok_or_else(|| {
        SweepError::Spec(format!(
            "--set `{text}`: write PATH=V1,V2,... (for example array.dac_bits=1,2,4)"
        ))
    })?;
    let path = path.trim();
    if path.is_empty() {
        return Err(SweepError::Spec(format!(
            "--set `{text}`: the path is empty"
        )));
    }
    let values: Vec<String> = values.split(',').map(|v| v.trim().to_string()).collect();
    if values.iter().any(String::is_empty) {
        return Err(SweepError::Spec(format!(
            "--set `{text}`: an empty value (values are separated by commas)"
        )));
    }
    Ok((path.to_string(), values))
}

/// The part `k` of `n` of a grid (`--shard k/n`, 1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub k: usize,
    pub n: usize,
}

impl Shard {
    /// The whole grid.
    pub const ALL: Shard = Shard { k: 1, n: 1 };

    /// Whether point `index` belongs to this shard. Points are dealt out
    /// round-robin, so shards get neighbouring (similarly costly) points in
    /// equal numbers.
    pub fn contains(&self, index: usize) -> bool {
        index % self.n == self.k - 1
    }
}

impl FromStr for Shard {
    type Err = SweepError;
    fn from_str(s: &str) -> Result<Shard, SweepError> {
        let bad = || {
            SweepError::Spec(format!(
                "--shard `{s}`: write K/N with 1 <= K <= N, for example 2/8"
            ))
        };
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let k: usize = k.trim().parse().map_err(|_| bad())?;
        let n: usize = n.trim().parse().map_err(|_| bad())?;
        if k == 0 || n == 0 || k > n {
            return Err(bad());
        }
        Ok(Shard { k, n })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

/// One value of a swept parameter.
#[derive(Clone, Debug)]
struct AxisValue {
    /// As given, for [`PresetData::set`].
    text: String,
    /// As stored in the preset after setting it.
    json: Value,
    /// As written in a sweep file (the key).
    cell: String,
}

/// A swept parameter: a path and its values, in the order given.
#[derive(Clone, Debug)]
struct Axis {
    path: String,
    values: Vec<AxisValue>,
}

/// A base preset of the grid.
#[derive(Clone, Debug)]
struct Base {
    id: String,
    data: PresetData,
}

/// A grid of design points: base presets x parameter values x workloads.
#[derive(Debug)]
pub struct Sweep {
    bases: Vec<Base>,
    axes: Vec<Axis>,
    workloads: Vec<Workload>,
    /// The key cells of each workload: network, task, batch, precision.
    workload_cells: Vec<[String; 4]>,
    len: usize,
}

/// The points of one built model (one base and one value per parameter):
/// the unit of parallel work, so each model is built once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    pub config: usize,
    pub points: Vec<usize>,
}

/// One evaluated design point.
#[derive(Clone, Debug)]
pub struct SweepRow {
    /// The point's index in the grid.
    pub index: usize,
    /// Base id, parameter values, network, task, batch, precision.
    pub key: Vec<String>,
    /// The evaluation, as `compare` gives it (without layer rows).
    pub row: Row,
}

impl Sweep {
    /// Set up a grid, checking everything before any work starts: every
    /// base can be swept and builds, every path exists on every base, every
    /// value builds a model on every base, no path or value is repeated.
    pub fn new(
        catalog: &Catalog,
        bases: Vec<PresetData>,
        sets: Vec<(String, Vec<String>)>,
        workloads: Vec<Workload>,
    ) -> Result<Sweep, SweepError> {
        if bases.is_empty() {
            return Err(SweepError::Spec("a sweep needs a base preset".into()));
        }
        if workloads.is_empty() {
            return Err(SweepError::Spec("a sweep needs a workload".into()));
        }
        let mut built: Vec<Base> = Vec::new();
        for data in bases {
            let model = catalog.build(&data).map_err(|e| SweepError::Base {
                base: data.origin().to_string(),
                message: e.to_string(),
            })?;
            let id = model.id().to_string();
            if built.iter().any(|b| b.id == id) {
                return Err(SweepError::Spec(format!("the base `{id}` is given twice")));
            }
            built.push(Base { id, data });
        }

        let mut axes: Vec<Axis> = Vec::new();
        for (path, texts) in sets {
            if axes.iter().any(|a| a.path == path) {
                return Err(SweepError::Spec(format!(
                    "--set `{path}` is given twice; list all its values in one --set"
                )));
            }
            if texts.is_empty() {
                return Err(SweepError::Spec(format!("--set `{path}` has no values")));
            }
            let mut values: Vec<AxisValue> = Vec::new();
            for text in texts {
                let mut value = None;
                for base in &built {
                    let valid = || paths_with_values(&base.data);
                    if !base.data.paths().contains(&path) {
                        return Err(SweepError::Path {
                            base: base.id.clone(),
                            path: path.clone(),
                            valid: valid(),
                        });
                    }
                    let mut data = base.data.clone();
                    let wrong = |e: PresetError| SweepError::Value {
                        base: base.id.clone(),
                        path: path.clone(),
                        value: text.clone(),
                        message: e.to_string(),
                        valid: valid(),
                    };
                    data.set(&path, &text).map_err(wrong)?;
                    catalog.build(&data).map_err(wrong)?;
                    value = data.get(&path).cloned();
                }
                let json = value.unwrap_or(Value::Null);
                let v = AxisValue {
                    cell: value_text(&json),
                    json,
                    text,
                };
                if values.iter().any(|o| o.cell == v.cell) {
                    return Err(SweepError::Spec(format!(
                        "--set `{path}`: the value `{}` is given twice",
                        v.cell
                    )));
                }
                values.push(v);
            }
            axes.push(Axis { path, values });
        }

        let len = axes
            .iter()
            .map(|a| a.values.len())
            .chain([built.len(), workloads.len()])
            .try_fold(1usize, |acc, n| acc.checked_mul(n))
            .filter(|&n| n <= u32::MAX as usize)
            .ok_or_else(|| SweepError::Spec("the grid has more than 2^32 points".into()))?;
        let workload_cells = workloads
            .iter()
            .map(|w| {
                [
                    w.network.name().to_string(),
                    w.task.to_string(),
                    w.batch.to_string(),
                    w.precision.to_string(),
                ]
            })
            .collect();
        Ok(Sweep {
            bases: built,
            axes,
            workloads,
            workload_cells,
            len,
        })
    }

    /// Points in the grid.
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The swept paths, in the order given.
    pub fn paths(&self) -> Vec<String> {
        self.axes.iter().map(|a| a.path.clone()).collect()
    }

    /// The ids of the base presets.
    pub fn base_ids(&self) -> Vec<String> {
        self.bases.iter().map(|b| b.id.clone()).collect()
    }

    /// Models in the grid (bases x parameter values).
    pub fn configs(&self) -> usize {
        self.len / self.workloads.len()
    }

    /// `(base, value index per axis, workload)` of point `index`.
    fn decompose(&self, index: usize) -> (usize, Vec<usize>, usize) {
        let workload = index % self.workloads.len();
        let mut rest = index / self.workloads.len();
        let mut values = vec![0; self.axes.len()];
        for (i, axis) in self.axes.iter().enumerate().rev() {
            values[i] = rest % axis.values.len();
            rest /= axis.values.len();
        }
        (rest, values, workload)
    }

    /// The key of point `index`: base id, parameter values, network, task,
    /// batch, precision, as written in a sweep file.
    pub fn key(&self, index: usize) -> Vec<String> {
        let (base, values, workload) = self.decompose(index);
        let mut key = Vec::with_capacity(self.axes.len() + 5);
        key.push(self.bases[base].id.clone());
        for (axis, &v) in self.axes.iter().zip(&values) {
            key.push(axis.values[v].cell.clone());
        }
        key.extend(self.workload_cells[workload].iter().cloned());
        key
    }

    /// The points of a shard, in grid order.
    pub fn shard(&self, shard: Shard) -> impl Iterator<Item = usize> + '_ {
        (0..self.len).filter(move |&i| shard.contains(i))
    }

    /// Group points (in any order) by the model they need.
    pub fn jobs(&self, points: impl IntoIterator<Item = usize>) -> Vec<Job> {
        let per = self.workloads.len();
        let mut jobs: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for p in points {
            jobs.entry(p / per).or_default().push(p);
        }
        jobs.into_iter()
            .map(|(config, points)| Job { config, points })
            .collect()
    }

    /// The preset of model `config` (a base with one value per parameter).
    pub fn preset(&self, config: usize) -> Result<PresetData, PresetError> {
        let (base, values, _) = self.decompose(config * self.workloads.len());
        let mut data = self.bases[base].data.clone();
        for (axis, &v) in self.axes.iter().zip(&values) {
            data.set(&axis.path, &axis.values[v].text)?;
        }
        Ok(data)
    }

    /// Build model `config` and evaluate the job's points on it, handing
    /// each row to `sink` as it is done. A combination of values that does
    /// not build gives rows with the reason in `unsupported`, as a workload
    /// a model cannot run does. Stops at the first error of `sink`.
    pub fn run_job<E>(
        &self,
        catalog: &Catalog,
        job: &Job,
        mut sink: impl FnMut(SweepRow) -> Result<(), E>,
    ) -> Result<(), E> {
        let model: Result<Box<dyn Accelerator>, String> = self
            .preset(job.config)
            .and_then(|data| catalog.build(&data))
            .map_err(|e| format!("invalid configuration: {e}"));
        for &index in &job.points {
            let (base, _, w) = self.decompose(index);
            let workload = &self.workloads[w];
            let mut r = match &model {
                Ok(m) => row(m.as_ref(), workload),
                Err(reason) => unsupported_row(&self.bases[base].id, workload, reason),
            };
            r.layers = Vec::new();
            r.report = None;
            sink(SweepRow {
                index,
                key: self.key(index),
                row: r,
            })?;
        }
        Ok(())
    }

    /// The first line of a CSV sweep file.
    pub fn csv_header(&self) -> String {
        csv_line(&header_cells(&self.paths()))
    }

    /// A row as one line of `format` (with its newline).
    pub fn encode(&self, r: &SweepRow, format: Format) -> String {
        let figures = Figures::of(&r.row);
        match format {
            Format::Csv => {
                let mut cells = r.key.clone();
                cells.extend(
                    figures
                        .values()
                        .map(|v| v.map(csv_number).unwrap_or_default()),
                );
                cells.push(r.row.unsupported.clone().unwrap_or_default());
                csv_line(&cells)
            }
            Format::JsonLines => {
                let (_, values, _) = self.decompose(r.index);
                let n = self.axes.len();
                let params: Vec<(&str, &Value)> = self
                    .axes
                    .iter()
                    .zip(&values)
                    .map(|(a, &v)| (a.path.as_str(), &a.values[v].json))
                    .collect();
                let json = JsonRowOut {
                    base: &r.key[0],
                    params: OrderedOut(params),
                    network: &r.key[n + 1],
                    task: &r.key[n + 2],
                    batch: r.row.batch,
                    precision: &r.key[n + 4],
                    figures,
                    energy_breakdown_j: &r.row.energy_breakdown_j,
                    metrics: &r.row.metrics,
                    unsupported: r.row.unsupported.as_deref(),
                };
                // Serialising plain data into a string cannot fail.
                let mut line = serde_json::to_string(&json).unwrap_or_default();
                line.push('\n');
                line
            }
        }
    }
}

/// A row for a model that could not be built.
fn unsupported_row(id: &str, w: &Workload, reason: &str) -> Row {
    Row {
        unsupported: Some(reason.to_string()),
        ..Row::new(id, w)
    }
}

// ---------------------------------------------------------------------------
// Figures of a row
// ---------------------------------------------------------------------------

/// A figure of a sweep row, by its column name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Figure {
    LatencyS,
    EnergyJ,
    SamplesPerS,
    OpsPerS,
    OpsPerJ,
    PowerW,
    AreaMm2,
}

impl Figure {
    /// Every figure, in column order.
    pub const ALL: [Figure; 7] = [
        Figure::LatencyS,
        Figure::EnergyJ,
        Figure::SamplesPerS,
        Figure::OpsPerS,
        Figure::OpsPerJ,
        Figure::PowerW,
        Figure::AreaMm2,
    ];

    /// The column name, the unit in it.
    pub fn name(self) -> &'static str {
        match self {
            Figure::LatencyS => "latency_s",
            Figure::EnergyJ => "energy_j",
            Figure::SamplesPerS => "samples_per_s",
            Figure::OpsPerS => "ops_per_s",
            Figure::OpsPerJ => "ops_per_j",
            Figure::PowerW => "power_w",
            Figure::AreaMm2 => "area_mm2",
        }
    }

    /// What the figure is, in words.
    pub fn description(self) -> &'static str {
        match self {
            Figure::LatencyS => "latency of one batch",
            Figure::EnergyJ => "energy of one batch",
            Figure::SamplesPerS => "throughput",
            Figure::OpsPerS => "throughput",
            Figure::OpsPerJ => "energy efficiency",
            Figure::PowerW => "average power",
            Figure::AreaMm2 => "chip area",
        }
    }

    /// Its unit, as printed on an axis.
    pub fn unit(self) -> &'static str {
        match self {
            Figure::LatencyS => "s",
            Figure::EnergyJ => "J",
            Figure::SamplesPerS => "samples/s",
            Figure::OpsPerS => "op/s",
            Figure::OpsPerJ => "op/J",
            Figure::PowerW => "W",
            Figure::AreaMm2 => "mm²",
        }
    }
}

impl FromStr for Figure {
    type Err = String;
    fn from_str(s: &str) -> Result<Figure, String> {
        Figure::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Figure::ALL.iter().map(|f| f.name()).collect();
                format!("unknown figure `{s}`; use one of {}", names.join(", "))
            })
    }
}

/// The scalar figures of a row, `None` where the model did not run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub latency_s: Option<f64>,
    pub energy_j: Option<f64>,
    pub samples_per_s: Option<f64>,
    pub ops_per_s: Option<f64>,
    pub ops_per_j: Option<f64>,
    pub power_w: Option<f64>,
    pub area_mm2: Option<f64>,
}

impl Figures {
    fn of(r: &Row) -> Figures {
        Figures {
            latency_s: r.latency_s,
            energy_j: r.energy_j,
            samples_per_s: r.throughput_samples_per_s,
            ops_per_s: r.ops_per_s,
            ops_per_j: r.ops_per_j,
            power_w: r.power_w,
            area_mm2: r.area_mm2,
        }
    }

    pub fn get(&self, f: Figure) -> Option<f64> {
        match f {
            Figure::LatencyS => self.latency_s,
            Figure::EnergyJ => self.energy_j,
            Figure::SamplesPerS => self.samples_per_s,
            Figure::OpsPerS => self.ops_per_s,
            Figure::OpsPerJ => self.ops_per_j,
            Figure::PowerW => self.power_w,
            Figure::AreaMm2 => self.area_mm2,
        }
    }

    fn values(&self) -> impl Iterator<Item = Option<f64>> + '_ {
        Figure::ALL.into_iter().map(|f| self.get(f))
    }

    fn set(&mut self, f: Figure, v: Option<f64>) {
        let slot = match f {
            Figure::LatencyS => &mut self.latency_s,
            Figure::EnergyJ => &mut self.energy_j,
            Figure::SamplesPerS => &mut self.samples_per_s,
            Figure::OpsPerS => &mut self.ops_per_s,
            Figure::OpsPerJ => &mut self.ops_per_j,
            Figure::PowerW => &mut self.power_w,
            Figure::AreaMm2 => &mut self.area_mm2,
        };
        *slot = v;
    }
}

// ---------------------------------------------------------------------------
// Sweep files
// ---------------------------------------------------------------------------

/// The two formats of a sweep file: one row per line either way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A header, then `base, <parameters...>, network, task, batch,
    /// precision, <figures...>, unsupported`.
    Csv,
    /// One JSON object per line: `{base, params: {path: value}, network,
    /// task, batch, precision, <figures...>, energy_breakdown_j, metrics,
    /// unsupported}`.
    JsonLines,
}

impl Format {
    /// The format a file name implies: `.csv`, or `.jsonl` / `.ndjson`.
    pub fn from_path(path: &std::path::Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "jsonl" | "ndjson" => Some(Format::JsonLines),
            _ => None,
        }
    }
}

/// Columns before the figures that name the workload.
const WORKLOAD_COLUMNS: [&str; 4] = ["network", "task", "batch", "precision"];

fn header_cells(paths: &[String]) -> Vec<String> {
    let mut h = vec!["base".to_string()];
    h.extend(paths.iter().cloned());
    h.extend(WORKLOAD_COLUMNS.iter().map(|s| s.to_string()));
    h.extend(Figure::ALL.iter().map(|f| f.name().to_string()));
    h.push("unsupported".into());
    h
}

/// Round-trip text of a number (`1e-12`, `0.25`, `NaN`).
fn csv_number(v: f64) -> String {
    format!("{v:?}")
}

fn csv_line(cells: &[String]) -> String {
    let quoted: Vec<String> = cells
        .iter()
        .map(|c| {
            // One row per line: line breaks inside a message become spaces.
            let c = c.replace(['\n', '\r'], " ");
            if c.contains([',', '"']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c
            }
        })
        .collect();
    format!("{}\n", quoted.join(","))
}

/// The cells of one CSV line (without its newline).
fn csv_cells(line: &str) -> Result<Vec<String>, String> {
    let mut cells = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    cur.push('"');
                    chars.next();
                }
                '"' => {
                    quoted = false;
                    if !matches!(chars.peek(), None | Some(',')) {
                        return Err("text after a closing quote".into());
                    }
                }
                _ => cur.push(c),
            }
        } else {
            match c {
                ',' => {
                    cells.push(std::mem::take(&mut cur));
                    at_start = true;
                    continue;
                }
                '"' if at_start => quoted = true,
                _ => cur.push(c),
            }
        }
        at_start = false;
    }
    if quoted {
        return Err("an unclosed quote".into());
    }
    cells.push(cur);
    Ok(cells)
}

/// A JSON Lines row as written; the field order is the documented one.
#[derive(Serialize)]
struct JsonRowOut<'a> {
    base: &'a str,
    params: OrderedOut<'a>,
    network: &'a str,
    task: &'a str,
    batch: u64,
    precision: &'a str,
    #[serde(flatten)]
    figures: Figures,
    energy_breakdown_j: &'a BTreeMap<String, f64>,
    metrics: &'a BTreeMap<String, f64>,
    unsupported: Option<&'a str>,
}

/// The parameters in the order swept (a JSON object keeps the order written).
struct OrderedOut<'a>(Vec<(&'a str, &'a Value)>);

impl Serialize for OrderedOut<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// A JSON Lines row as read.
#[derive(Deserialize)]
struct JsonRowIn {
    base: String,
    params: OrderedIn,
    network: String,
    task: String,
    batch: u64,
    precision: String,
    #[serde(flatten)]
    figures: Figures,
    unsupported: Option<String>,
}

/// A JSON object read with its keys in file order.
struct OrderedIn(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for OrderedIn {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<OrderedIn, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OrderedIn;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of parameter values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OrderedIn, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    out.push(entry);
                }
                Ok(OrderedIn(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// One row of a sweep file.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// Base id, parameter values, network, task, batch, precision.
    pub key: Vec<String>,
    pub figures: Figures,
    pub unsupported: Option<String>,
    /// The line as written (without its newline), copied verbatim by merges.
    line: String,
}

impl Record {
    pub fn base(&self) -> &str {
        &self.key[0]
    }
    /// The value of parameter `i` (in the file's parameter order).
    pub fn param(&self, i: usize) -> &str {
        &self.key[1 + i]
    }
    pub fn network(&self) -> &str {
        &self.key[self.key.len() - 4]
    }
    pub fn task(&self) -> &str {
        &self.key[self.key.len() - 3]
    }
    pub fn batch(&self) -> &str {
        &self.key[self.key.len() - 2]
    }
    pub fn precision(&self) -> &str {
        &self.key[self.key.len() - 1]
    }
}

/// A sweep file in memory: its parameters and rows.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepFile {
    pub format: Format,
    /// The swept paths, in the order of the sweep.
    pub params: Vec<String>,
    pub records: Vec<Record>,
    /// Bytes of complete lines; anything after is a row cut off by an
    /// interruption, which a resumed sweep drops and computes again.
    pub complete_len: usize,
}

impl SweepFile {
    /// An empty file of a sweep over `params`.
    pub fn new(format: Format, params: Vec<String>) -> SweepFile {
        SweepFile {
            format,
            params,
            records: Vec::new(),
            complete_len: 0,
        }
    }

    /// Read a sweep file; `origin` names it in errors. A last line without
    /// its newline is not read (see [`SweepFile::complete_len`]).
    pub fn parse(text: &str, origin: &str, format: Format) -> Result<SweepFile, SweepError> {
        let complete_len = text.rfind('\n').map_or(0, |i| i + 1);
        let bad = |line: usize, message: String| SweepError::File {
            origin: origin.to_string(),
            line,
            message,
        };
        let mut lines = text[..complete_len]
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l));
        let mut file = SweepFile::new(format, Vec::new());
        file.complete_len = complete_len;
        match format {
            Format::Csv => {
                let Some((_, header)) = lines.next() else {
                    return Ok(file);
                };
                let header = csv_cells(header).map_err(|m| bad(1, m))?;
                let fixed = header_cells(&[]);
                let tail = fixed.len() - 1;
                let ok = header.len() >= fixed.len()
                    && header[0] == fixed[0]
                    && header[header.len() - tail..] == fixed[1..];
                if !ok {
                    return Err(bad(
                        1,
                        format!(
                            "not a sweep file: the header must read {}",
                            csv_line(&header_cells(&["<parameters...>".into()])).trim_end()
                        ),
                    ));
                }
                file.params = header[1..header.len() - tail].to_vec();
                let n = file.params.len();
                for (no, line) in lines {
                    if line.is_empty() {
                        continue;
                    }
                    let cells = csv_cells(line).map_err(|m| bad(no, m))?;
                    if cells.len() != header.len() {
                        return Err(bad(
                            no,
                            format!("{} cells, the header has {}", cells.len(), header.len()),
                        ));
                    }
                    let mut figures = Figures::default();
                    for (i, f) in Figure::ALL.into_iter().enumerate() {
                        let c = &cells[n + 5 + i];
                        let v = if c.is_empty() {
                            None
                        } else {
                            Some(c.parse::<f64>().map_err(|_| {
                                bad(no, format!("`{}` is not a number: `{c}`", f.name()))
                            })?)
                        };
                        figures.set(f, v);
                    }
                    let unsupported = cells[cells.len() - 1].clone();
                    file.records.push(Record {
                        key: cells[..n + 5].to_vec(),
                        figures,
                        unsupported: (!unsupported.is_empty()).then_some(unsupported),
                        line: line.to_string(),
                    });
                }
            }
            Format::JsonLines => {
                for (no, line) in lines {
                    if line.trim().is_empty() {
                        continue;
                    }
                    let r: JsonRowIn = serde_json::from_str(line)
                        .map_err(|e| bad(no, format!("not a sweep row: {e}")))?;
                    let names: Vec<String> = r.params.0.iter().map(|(k, _)| k.clone()).collect();
                    if file.records.is_empty() {
                        file.params = names;
                    } else if names != file.params {
                        return Err(bad(
                            no,
                            format!(
                                "parameters [{}], the first row has [{}]",
                                names.join(", "),
                                file.params.join(", ")
                            ),
                        ));
                    }
                    let mut key = vec![r.base];
                    key.extend(r.params.0.iter().map(|(_, v)| value_text(v)));
                    key.extend([r.network, r.task, r.batch.to_string(), r.precision]);
                    file.records.push(Record {
                        key,
                        figures: r.figures,
                        unsupported: r.unsupported,
                        line: line.to_string(),
                    });
                }
            }
        }
        Ok(file)
    }

    /// The keys of the rows, for skipping points already computed.
    pub fn keys(&self) -> HashSet<&[String]> {
        self.records.iter().map(|r| r.key.as_slice()).collect()
    }

    /// Put the rows in canonical order: by key, column by column, numbers
    /// by value and text alphabetically. The order depends on the rows
    /// alone, so shards merge into exactly the file of one unsharded run.
    pub fn sort(&mut self) {
        self.records.sort_by(|a, b| compare_keys(&a.key, &b.key));
    }

    /// The file's text: the header (CSV) and one line per row.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if self.format == Format::Csv {
            out.push_str(&csv_line(&header_cells(&self.params)));
        }
        for r in &self.records {
            out.push_str(&r.line);
            out.push('\n');
        }
        out
    }

    /// Join shard files (or any files of the same sweep) into one, sorted.
    /// A row present in several files is kept once when the copies agree; two
    /// different results for the same point are an error.
    pub fn merge(files: Vec<(String, SweepFile)>) -> Result<SweepFile, SweepError> {
        let Some((_, first)) = files.first() else {
            return Err(SweepError::Spec("nothing to merge".into()));
        };
        let mut out = SweepFile::new(first.format, first.params.clone());
        // The first file that names its parameters (a CSV header, or a JSON
        // row) fixes them for the rest.
        let mut named = false;
        let mut seen: HashMap<Vec<String>, (String, usize)> = HashMap::new();
        for (origin, file) in files {
            if file.format != out.format {
                return Err(SweepError::Mismatch(format!(
                    "{origin}: a {:?} file cannot merge with a {:?} file",
                    file.format, out.format
                )));
            }
            if file.format == Format::Csv || !file.records.is_empty() {
                if !named {
                    out.params = file.params.clone();
                    named = true;
                } else if file.params != out.params {
                    return Err(SweepError::Mismatch(format!(
                        "{origin} sweeps [{}], the files before it [{}]",
                        file.params.join(", "),
                        out.params.join(", ")
                    )));
                }
            }
            for r in file.records {
                match seen.get(&r.key) {
                    Some((other, i)) => {
                        if out.records[*i].line != r.line {
                            return Err(SweepError::Mismatch(format!(
                                "{origin} and {other} give different rows for the point {}",
                                r.key.join(", ")
                            )));
                        }
                    }
                    None => {
                        seen.insert(r.key.clone(), (origin.clone(), out.records.len()));
                        out.records.push(r);
                    }
                }
            }
        }
        out.sort();
        Ok(out)
    }
}

/// Key order: cell by cell, numbers by value (before text), text by bytes.
fn compare_keys(a: &[String], b: &[String]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = match (x.parse::<f64>(), y.parse::<f64>()) {
            (Ok(p), Ok(q)) => p.total_cmp(&q).then_with(|| x.cmp(y)),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            (Err(_), Err(_)) => x.cmp(y),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_arguments_parse_and_fail_clearly() {
        assert_eq!(
            parse_set("array.dac_bits = 1, 2,4").unwrap(),
            (
                "array.dac_bits".into(),
                vec!["1".into(), "2".into(), "4".into()]
            )
        );
        assert!(parse_set("dac_bits")
            .unwrap_err()
            .to_string()
            .contains("PATH=V1"));
        assert!(parse_set("dac_bits=1,,2").is_err());
        assert!(parse_set("=1").is_err());
    }

    #[test]
    fn shards_parse_and_deal_round_robin() {
        let s: Shard = "2/3".parse().unwrap();
        assert_eq!(s, Shard { k: 2, n: 3 });
        let mine: Vec<usize> = (0..7).filter(|&i| s.contains(i)).collect();
        assert_eq!(mine, [1, 4]);
        for bad in ["0/2", "3/2", "1/0", "1", "a/b", "1/2/3"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn csv_cells_round_trip() {
        let cells: Vec<String> = ["a", "b,c", "say \"hi\"", "", "x"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let line = csv_line(&cells);
        assert_eq!(csv_cells(line.trim_end()).unwrap(), cells);
        assert!(csv_cells("\"open").is_err());
        assert!(csv_cells("\"a\"b").is_err());
        assert_eq!(csv_cells("a\nb").unwrap(), ["a\nb"]);
        assert_eq!(csv_line(&["a\nb".into()]), "a b\n");
    }

    #[test]
    fn keys_sort_numbers_by_value() {
        let k = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let mut keys = [
            k(&["b", "10"]),
            k(&["a", "2"]),
            k(&["b", "9"]),
            k(&["b", "x"]),
        ];
        keys.sort_by(|a, b| compare_keys(a, b));
        assert_eq!(
            keys,
            [
                k(&["a", "2"]),
                k(&["b", "9"]),
                k(&["b", "10"]),
                k(&["b", "x"])
            ]
        );
    }

    #[test]
    fn numbers_keep_every_digit() {
        for v in [1e-12, 0.1, 3.0, 123456789.123, f64::MAX] {
            assert_eq!(csv_number(v).parse::<f64>().unwrap(), v);
        }
    }
}
