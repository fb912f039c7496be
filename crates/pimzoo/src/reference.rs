//! Published numbers the models must reproduce: the `fixtures/reference/<paper>.ron`
//! format, its loader and its evaluation (`docs/reproduce.md`).
use serde::Deserialize;

/// One reference file: the published figures of one paper or data set.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename = "Reference")]
pub struct ReferenceSet {
    /// Short name, the file stem: `gpu-h200`, `gradpim`.
    pub paper: String,
    /// Full citation.
    pub title: String,
    pub entries: Vec<Entry>,
}

/// One published number and how to measure it on the models.
#[derive(Clone, Debug, Deserialize)]
pub struct Entry {
    /// What the number is, in words (unique within the file).
    pub name: String,
    pub measure: Measure,
    /// The published value, in `unit`.
    pub value: f64,
    /// Unit of `value`, for display (`samples/s`, `J`, `x`).
    pub unit: String,
    pub tolerance: Tolerance,
    #[serde(default)]
    pub status: Status,
    /// Where the number is printed: table, figure, section, data-file row.
    pub source: String,
}

/// What is measured on the models.
#[derive(Clone, Debug, Deserialize)]
pub enum Measure {
    /// A metric of one preset on one workload.
    Metric {
        arch: String,
        workload: WorkloadSpec,
        metric: Metric,
    },
    /// `metric(arch) / metric(baseline)` on the same workload (a speedup when
    /// the metric is a throughput; invert with `baseline` and `arch` swapped
    /// for a latency ratio).
    Ratio {
        arch: String,
        baseline: String,
        workload: WorkloadSpec,
        metric: Metric,
    },
    /// The mean of a measure over networks: the `network` of the inner
    /// measure's workload is replaced by each of `networks` in turn.
    Mean {
        networks: Vec<String>,
        #[serde(default)]
        geometric: bool,
        of: Box<Measure>,
    },
    /// An architecture-level figure with no workload.
    Arch { arch: String, figure: ArchFigure },
    /// The time of a GPU kernel that is not a network layer (see
    /// `pimzoo_tech::gpu::Gpu::spd_inverse_time`).
    GpuKernel { arch: String, kernel: GpuKernelSpec },
}

/// The workload of a measure, as written in a reference file.
#[derive(Clone, Debug, Deserialize)]
pub struct WorkloadSpec {
    pub network: String,
    /// `inference`, or an optimizer name for training (`sgd`, `momentum`,
    /// `adam`, `kfac`), as on the command line.
    #[serde(default = "inference")]
    pub task: String,
    #[serde(default = "one")]
    pub batch: u64,
    /// As on the command line: `fp32`, `bf16`, `8/32`...
    #[serde(default = "fp32")]
    pub precision: String,
}

fn inference() -> String {
    "inference".into()
}
fn one() -> u64 {
    1
}
fn fp32() -> String {
    "fp32".into()
}

/// A figure of a [`pimzoo_core::Report`].
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub enum Metric {
    LatencyS,
    EnergyJ,
    EnergyPerSampleJ,
    SamplesPerS,
    OpsPerS,
    OpsPerJ,
    OpsPerSPerMm2,
    PowerW,
    AreaMm2,
    /// Summed latency of the layer rows of one phase (`forward`, `update`...).
    PhaseLatencyS(String),
    /// Summed energy of the layer rows of one phase.
    PhaseEnergyJ(String),
    /// A named entry of the report's metrics.
    Named(String),
}

/// A figure of the architecture itself.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub enum ArchFigure {
    AreaMm2,
    PeakOpsPerS,
    /// Peak ops per second per mm^2.
    PeakOpsPerSPerMm2,
    /// One of the model's named figures (`ArchInfo::figures`).
    Named(String),
}

/// GPU kernels measured outside a network.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub enum GpuKernelSpec {
    /// Inverse of an n x n symmetric positive-definite matrix.
    SpdInverse { n: u64 },
}

/// How far the model may be from the published value.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
pub enum Tolerance {
    /// |model - paper| <= r * |paper|
    Relative(f64),
    /// |model - paper| <= a, in the entry's unit
    Absolute(f64),
    /// model <= paper * (1 + r): "at most"
    AtMost(f64),
    /// model >= paper * (1 - r): "at least"
    AtLeast(f64),
}

/// What a mismatch means.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub enum Status {
    /// A prediction: outside the tolerance is a failure.
    #[default]
    Check,
    /// The value was used to fit a parameter; shown, not a check.
    Fitted,
    /// A known miss, with the reason (also in the model's doc page).
    ExpectedMiss(String),
    /// Shown with its error, no verdict: measured data a coarse model is not
    /// expected to match.
    Report,
}

// ---------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------

/// `(origin, RON text)` of every built-in reference file: the GPU data here,
/// each architecture's from its crate.
const FILES: &[&[(&str, &str)]] = &[
    &[(
        "fixtures/reference/gpu-h200.ron",
        include_str!("../../../fixtures/reference/gpu-h200.ron"),
    )],
    pimzoo_gradpim::REFERENCE_FILES,
    pimzoo_compact::REFERENCE_FILES,
    pimzoo_neuralpim::REFERENCE_FILES,
    pimzoo_repast::REFERENCE_FILES,
    pimzoo_ntx::REFERENCE_FILES,
];

/// A reference file that cannot be read, or that contradicts itself.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReferenceError {
    #[error(transparent)]
    Syntax(#[from] pimzoo_ir::SyntaxError),
    #[error("{origin}: entry `{entry}`: {message}")]
    Entry {
        origin: String,
        entry: String,
        message: String,
    },
    #[error("unknown reference set `{name}`; known: {}", .known.join(", "))]
    Unknown { name: String, known: Vec<String> },
}

/// Parse and check one reference file.
pub fn load_reference(text: &str, origin: &str) -> Result<ReferenceSet, ReferenceError> {
    let set: ReferenceSet = pimzoo_ir::parse_ron(text, origin)?;
    let mut seen = std::collections::HashSet::new();
    for e in &set.entries {
        let bad = |message: String| ReferenceError::Entry {
            origin: origin.to_string(),
            entry: e.name.clone(),
            message,
        };
        if !seen.insert(e.name.as_str()) {
            return Err(bad("the name is used twice".into()));
        }
        if !e.value.is_finite() {
            return Err(bad(format!("value {} is not a number", e.value)));
        }
        let t = match e.tolerance {
            Tolerance::Relative(t)
            | Tolerance::Absolute(t)
            | Tolerance::AtMost(t)
            | Tolerance::AtLeast(t) => t,
        };
        if !(t.is_finite() && t >= 0.0) {
            return Err(bad(format!("tolerance {t} must be a non-negative number")));
        }
        if let Status::ExpectedMiss(reason) = &e.status {
            if reason.trim().is_empty() {
                return Err(bad("an expected miss needs its reason".into()));
            }
        }
    }
    Ok(set)
}

/// Every built-in reference set, or only the one named `paper`.
pub fn builtin_references(paper: Option<&str>) -> Result<Vec<ReferenceSet>, ReferenceError> {
    let sets = FILES
        .iter()
        .flat_map(|files| files.iter())
        .map(|(origin, text)| load_reference(text, origin))
        .collect::<Result<Vec<_>, _>>()?;
    match paper {
        None => Ok(sets),
        Some(p) => {
            let key = pimzoo_ir::normalize_name(p);
            let known: Vec<String> = sets.iter().map(|s| s.paper.clone()).collect();
            let picked: Vec<ReferenceSet> = sets
                .into_iter()
                .filter(|s| pimzoo_ir::normalize_name(&s.paper) == key)
                .collect();
            if picked.is_empty() {
                Err(ReferenceError::Unknown {
                    name: p.to_string(),
                    known,
                })
            } else {
                Ok(picked)
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------

use pimzoo_core::{Optimizer, Registry, Report, Task, Workload};
use pimzoo_ir::{Network, Phase};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The outcome of one entry.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Outcome {
    pub paper: String,
    pub name: String,
    pub unit: String,
    pub paper_value: f64,
    /// The model's value, or `None` when it could not be computed (see `error`).
    pub model_value: Option<f64>,
    /// Why no model value could be computed.
    pub error: Option<String>,
    /// (model - paper) / |paper|
    pub rel_error: Option<f64>,
    /// The tolerance as text: `±20 %`, `±0.5 x`, `at most +10 %`.
    pub tolerance: String,
    /// `check`, `fitted`, `expected-miss` or `report`.
    pub status: &'static str,
    /// Within tolerance; `None` unless the status is `check`.
    pub pass: Option<bool>,
    /// The reason of an expected miss.
    pub expected_miss: Option<String>,
    pub source: String,
}

/// Evaluates reference entries on a registry, loading each network once.
pub struct Reproducer<'r> {
    registry: &'r Registry,
    networks: Mutex<HashMap<String, Arc<Network>>>,
}

impl<'r> Reproducer<'r> {
    pub fn new(registry: &'r Registry) -> Self {
        Reproducer {
            registry,
            networks: Mutex::new(HashMap::new()),
        }
    }

    /// Evaluate every entry of a set.
    pub fn run(&self, set: &ReferenceSet) -> Vec<Outcome> {
        set.entries.iter().map(|e| self.outcome(set, e)).collect()
    }

    fn outcome(&self, set: &ReferenceSet, e: &Entry) -> Outcome {
        let measured = self.measure(&e.measure);
        let (model_value, error) = match measured {
            Ok(v) if v.is_finite() => (Some(v), None),
            Ok(v) => (None, Some(format!("the model gave {v}"))),
            Err(msg) => (None, Some(msg)),
        };
        let rel_error = model_value.map(|m| (m - e.value) / e.value.abs());
        let within = model_value.map(|m| within(m, e.value, e.tolerance));
        let (status, expected_miss) = match &e.status {
            Status::Check => ("check", None),
            Status::Fitted => ("fitted", None),
            Status::ExpectedMiss(r) => ("expected-miss", Some(r.clone())),
            Status::Report => ("report", None),
        };
        Outcome {
            paper: set.paper.clone(),
            name: e.name.clone(),
            unit: e.unit.clone(),
            paper_value: e.value,
            model_value,
            error,
            rel_error,
            tolerance: tolerance_text(e.tolerance, &e.unit),
            status,
            pass: (e.status == Status::Check).then(|| within.unwrap_or(false)),
            expected_miss,
            source: e.source.clone(),
        }
    }

    fn network(&self, name: &str) -> Result<Arc<Network>, String> {
        let mut cache = self.networks.lock().map_err(|e| e.to_string())?;
        if let Some(n) = cache.get(name) {
            return Ok(n.clone());
        }
        let net = Arc::new(pimzoo_ir::zoo::get(name).map_err(|e| e.to_string())?);
        cache.insert(name.to_string(), net.clone());
        Ok(net)
    }

    /// The workload a spec describes.
    pub fn workload(&self, spec: &WorkloadSpec) -> Result<Workload, String> {
        let network = self.network(&spec.network)?;
        let task = task_from_name(&spec.task)?;
        let precision = spec.precision.parse()?;
        Ok(Workload {
            network,
            task,
            batch: spec.batch.max(1),
            precision,
        })
    }

    fn report(&self, arch: &str, spec: &WorkloadSpec) -> Result<Report, String> {
        let model = self.registry.get(arch).map_err(|e| e.to_string())?;
        let w = self.workload(spec)?;
        model
            .evaluate(&w)
            .map_err(|e| format!("{arch} on {}: {e}", spec.network))
    }

    fn measure(&self, m: &Measure) -> Result<f64, String> {
        match m {
            Measure::Metric {
                arch,
                workload,
                metric,
            } => metric_of(&self.report(arch, workload)?, metric),
            Measure::Ratio {
                arch,
                baseline,
                workload,
                metric,
            } => {
                let a = metric_of(&self.report(arch, workload)?, metric)?;
                let b = metric_of(&self.report(baseline, workload)?, metric)?;
                Ok(a / b)
            }
            Measure::Mean {
                networks,
                geometric,
                of,
            } => {
                if networks.is_empty() {
                    return Err("a mean over no networks".into());
                }
                let values = networks
                    .iter()
                    .map(|n| self.measure(&with_network(of, n)?))
                    .collect::<Result<Vec<f64>, String>>()?;
                let k = values.len() as f64;
                Ok(if *geometric {
                    (values.iter().map(|v| v.ln()).sum::<f64>() / k).exp()
                } else {
                    values.iter().sum::<f64>() / k
                })
            }
            Measure::Arch { arch, figure } => {
                let info = self.registry.get(arch).map_err(|e| e.to_string())?.info();
                let area = info.area.map(|a| a.value());
                let peak = info.peak_ops_per_s;
                let missing = |what: &str| format!("{arch} does not state its {what}");
                match figure {
                    ArchFigure::AreaMm2 => area.ok_or_else(|| missing("area")),
                    ArchFigure::PeakOpsPerS => peak.ok_or_else(|| missing("peak throughput")),
                    ArchFigure::PeakOpsPerSPerMm2 => match (peak, area) {
                        (Some(p), Some(a)) => Ok(p / a),
                        _ => Err(missing("peak throughput and area")),
                    },
                    ArchFigure::Named(name) => info
                        .figures
                        .iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, v)| *v)
                        .ok_or_else(|| {
                            let names: Vec<&str> =
                                info.figures.iter().map(|(n, _)| n.as_str()).collect();
                            format!(
                                "{arch} has no figure `{name}`; it has: {}",
                                names.join(", ")
                            )
                        }),
                }
            }
            Measure::GpuKernel { arch, kernel } => {
                let gpu = pimzoo_tech::gpu::builtin(arch)?;
                match kernel {
                    GpuKernelSpec::SpdInverse { n } => Ok(gpu.spd_inverse_time(*n).value()),
                }
            }
        }
    }
}

/// The task a name on the command line or in a reference file stands for:
/// `inference`, or the optimizer of a training step.
pub fn task_from_name(name: &str) -> Result<Task, String> {
    if name.eq_ignore_ascii_case("inference") {
        return Ok(Task::Inference);
    }
    Optimizer::from_name(name)
        .map(|optimizer| Task::Training { optimizer })
        .ok_or_else(|| {
            format!(
                "unknown task `{name}`; use inference or one of {}",
                Optimizer::NAMES.join(", ")
            )
        })
}

fn with_network(m: &Measure, network: &str) -> Result<Measure, String> {
    let mut m = m.clone();
    match &mut m {
        Measure::Metric { workload, .. } | Measure::Ratio { workload, .. } => {
            workload.network = network.to_string();
            Ok(m)
        }
        _ => Err("a mean is taken over a Metric or a Ratio".into()),
    }
}

fn phase_named(name: &str) -> Result<Phase, String> {
    Phase::ALL
        .into_iter()
        .find(|p| p.name() == name)
        .ok_or_else(|| {
            let names: Vec<&str> = Phase::ALL.iter().map(|p| p.name()).collect();
            format!("unknown phase `{name}`; use one of {}", names.join(", "))
        })
}

/// One figure of a report.
pub fn metric_of(r: &Report, m: &Metric) -> Result<f64, String> {
    Ok(match m {
        Metric::LatencyS => r.latency.value(),
        Metric::EnergyJ => r.energy().value(),
        Metric::EnergyPerSampleJ => r.energy_per_sample().value(),
        Metric::SamplesPerS => r.samples_per_s(),
        Metric::OpsPerS => r.ops_per_s(),
        Metric::OpsPerJ => r.ops_per_j(),
        Metric::OpsPerSPerMm2 => r.ops_per_s_per_mm2().ok_or("the model reports no area")?,
        Metric::PowerW => r.average_power().value(),
        Metric::AreaMm2 => r.area.ok_or("the model reports no area")?.value(),
        Metric::PhaseLatencyS(p) | Metric::PhaseEnergyJ(p) => {
            let phase = phase_named(p)?;
            let totals = r
                .phases()
                .into_iter()
                .find(|t| t.phase == phase)
                .ok_or_else(|| format!("the report has no `{p}` rows"))?;
            if matches!(m, Metric::PhaseLatencyS(_)) {
                totals.latency.value()
            } else {
                totals.energy.value()
            }
        }
        Metric::Named(n) => *r.metrics.get(n).ok_or_else(|| {
            let names: Vec<&str> = r.metrics.keys().map(String::as_str).collect();
            format!(
                "the report has no metric `{n}`; it has: {}",
                names.join(", ")
            )
        })?,
    })
}

fn within(model: f64, paper: f64, t: Tolerance) -> bool {
    match t {
        Tolerance::Relative(r) => (model - paper).abs() <= r * paper.abs(),
        Tolerance::Absolute(a) => (model - paper).abs() <= a,
        Tolerance::AtMost(r) => model <= paper * (1.0 + r),
        Tolerance::AtLeast(r) => model >= paper * (1.0 - r),
    }
}

fn tolerance_text(t: Tolerance, unit: &str) -> String {
    match t {
        Tolerance::Relative(r) => format!("±{} %", pct(r)),
        Tolerance::Absolute(a) => format!("±{a} {unit}"),
        Tolerance::AtMost(r) => format!("at most +{} %", pct(r)),
        Tolerance::AtLeast(r) => format!("at least -{} %", pct(r)),
    }
}

fn pct(r: f64) -> String {
    let p = r * 100.0;
    if (p - p.round()).abs() < 1e-9 {
        format!("{}", p.round())
    } else {
        format!("{p:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerances_bound_the_right_side() {
        assert!(within(1.099, 1.0, Tolerance::Relative(0.1)));
        assert!(!within(1.11, 1.0, Tolerance::Relative(0.1)));
        assert!(within(0.5, 1.0, Tolerance::AtMost(0.0)));
        assert!(!within(1.01, 1.0, Tolerance::AtMost(0.0)));
        assert!(within(1.5, 1.0, Tolerance::AtLeast(0.0)));
        assert!(!within(0.89, 1.0, Tolerance::AtLeast(0.1)));
        assert!(within(1.04, 1.0, Tolerance::Absolute(0.05)));
        assert_eq!(tolerance_text(Tolerance::Relative(0.2), "x"), "±20 %");
    }

    #[test]
    fn reference_errors_name_file_and_place() {
        let err = load_reference("Reference(paper: \"x\",\n title: 3)", "f.ron").unwrap_err();
        assert!(err.to_string().starts_with("f.ron:2:"), "{err}");
        let dup = r#"Reference(paper: "x", title: "t", entries: [
            (name: "a", measure: Arch(arch: "gpu/h200", figure: AreaMm2), value: 1.0, unit: "mm^2", tolerance: Relative(0.1), source: "s"),
            (name: "a", measure: Arch(arch: "gpu/h200", figure: AreaMm2), value: 1.0, unit: "mm^2", tolerance: Relative(0.1), source: "s"),
        ])"#;
        let err = load_reference(dup, "f.ron").unwrap_err();
        assert!(err.to_string().contains("entry `a`"), "{err}");
    }
}
