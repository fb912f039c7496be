//! One workload on many models: the rows behind `cargo xtask compare`.
//!
//! [`Row`] is also the stable JSON schema of `compare --format json`
//! (`docs/cli.md`); add fields, never rename or remove them.
use pimzoo_core::{Accelerator, Report, Workload};
use pimzoo_ir::dataset::dataset_of;
use serde::Serialize;
use std::collections::BTreeMap;

/// The result of one model on one workload, or the reason it could not run.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub id: String,
    pub network: String,
    pub task: String,
    pub batch: u64,
    pub precision: String,
    pub latency_s: Option<f64>,
    pub energy_j: Option<f64>,
    /// Component -> joules; sums to `energy_j`.
    pub energy_breakdown_j: BTreeMap<String, f64>,
    pub area_mm2: Option<f64>,
    pub throughput_samples_per_s: Option<f64>,
    pub ops_per_s: Option<f64>,
    pub ops_per_j: Option<f64>,
    pub ops_per_s_per_mm2: Option<f64>,
    pub power_w: Option<f64>,
    /// In training, the network's training set (`pimzoo_ir::dataset`), when
    /// the zoo knows it; an epoch is `ceil(samples / batch)` steps.
    pub dataset: Option<String>,
    pub steps_per_epoch: Option<u64>,
    /// One pass over the training set: `steps_per_epoch x latency_s`.
    pub epoch_s: Option<f64>,
    pub epoch_j: Option<f64>,
    pub metrics: BTreeMap<String, f64>,
    pub layers: Vec<LayerJson>,
    /// Why the model cannot run this workload; `None` when it ran.
    pub unsupported: Option<String>,
    /// The full report, for programs linking the library (not serialised).
    #[serde(skip)]
    pub report: Option<Report>,
}

/// One layer row in JSON.
#[derive(Clone, Debug, Serialize)]
pub struct LayerJson {
    pub layer: String,
    pub phase: &'static str,
    pub latency_s: f64,
    pub energy_j: f64,
    pub bound: Option<String>,
}

impl Row {
    /// The row of `id` on `workload` before evaluation: the workload filled
    /// in, every figure empty.
    pub fn new(id: &str, workload: &Workload) -> Row {
        Row {
            id: id.to_string(),
            network: workload.network.name().to_string(),
            task: workload.task.to_string(),
            batch: workload.batch,
            precision: workload.precision.to_string(),
            latency_s: None,
            energy_j: None,
            energy_breakdown_j: BTreeMap::new(),
            area_mm2: None,
            throughput_samples_per_s: None,
            ops_per_s: None,
            ops_per_j: None,
            ops_per_s_per_mm2: None,
            power_w: None,
            dataset: None,
            steps_per_epoch: None,
            epoch_s: None,
            epoch_j: None,
            metrics: BTreeMap::new(),
            layers: Vec::new(),
            unsupported: None,
            report: None,
        }
    }
}

/// Evaluate `workload` on `model` and turn the outcome into a row.
pub fn row(model: &dyn Accelerator, workload: &Workload) -> Row {
    let _span = tracing_span(model.id(), workload.network.name());
    let mut row = Row::new(model.id(), workload);
    match model.evaluate(workload) {
        Ok(r) => {
            row.latency_s = Some(r.latency.value());
            row.energy_j = Some(r.energy().value());
            row.energy_breakdown_j = r
                .energy_breakdown()
                .iter()
                .map(|(k, v)| (k.clone(), v.value()))
                .collect();
            row.area_mm2 = r.area.map(|a| a.value());
            row.throughput_samples_per_s = Some(r.samples_per_s());
            row.ops_per_s = Some(r.ops_per_s());
            row.ops_per_j = Some(r.ops_per_j());
            row.ops_per_s_per_mm2 = r.ops_per_s_per_mm2();
            row.power_w = Some(r.average_power().value());
            if let (true, Some(d)) = (
                workload.task.is_training(),
                dataset_of(workload.network.name()),
            ) {
                let steps = d.steps_per_epoch(workload.batch);
                row.dataset = Some(d.name.to_string());
                row.steps_per_epoch = Some(steps);
                row.epoch_s = Some(steps as f64 * r.latency.value());
                row.epoch_j = Some(steps as f64 * r.energy().value());
            }
            row.metrics = r.metrics.clone();
            row.layers = r
                .layers
                .iter()
                .map(|l| LayerJson {
                    layer: l.layer.clone(),
                    phase: l.phase.name(),
                    latency_s: l.latency.value(),
                    energy_j: l.energy.value(),
                    bound: l.bound.clone(),
                })
                .collect();
            row.report = Some(r);
        }
        Err(e) => row.unsupported = Some(e.to_string()),
    }
    row
}

/// Every model on every workload, in order: workloads outer, models inner.
pub fn compare(models: &[&dyn Accelerator], workloads: &[Workload]) -> Vec<Row> {
    workloads
        .iter()
        .flat_map(|w| models.iter().map(move |m| row(*m, w)))
        .collect()
}

fn tracing_span(id: &str, network: &str) -> tracing::span::EnteredSpan {
    tracing::info_span!("evaluate", model = id, network).entered()
}
