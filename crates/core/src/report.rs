//! The result of evaluating one workload on one accelerator.
use crate::units::{Joules, Seconds, SquareMm, Watts};
use crate::Workload;
use pimzoo_ir::Phase;
use serde::Serialize;
use std::collections::BTreeMap;

/// Names of energy components shared by the models, so that a breakdown
/// reads the same across architectures. A model may add its own names.
pub mod component {
    pub const ADC: &str = "adc";
    pub const DAC: &str = "dac";
    pub const CROSSBAR: &str = "crossbar";
    pub const SAMPLE_HOLD: &str = "sample-hold";
    pub const SHIFT_ADD: &str = "shift-add";
    pub const DRAM_ACTIVATE: &str = "dram-activate";
    pub const DRAM_READ: &str = "dram-read";
    pub const DRAM_WRITE: &str = "dram-write";
    pub const DRAM_REFRESH: &str = "dram-refresh";
    pub const DRAM_BACKGROUND: &str = "dram-background";
    /// Off-chip memory as one figure, where a model does not split it.
    pub const DRAM: &str = "dram";
    pub const PIM_LOGIC: &str = "pim-logic";
    /// Digital arithmetic of a processor (GPU cores, NPU, RISC-V, FPUs).
    pub const COMPUTE: &str = "compute";
    pub const BUFFER: &str = "buffer";
    pub const INTERCONNECT: &str = "interconnect";
    pub const LEAKAGE: &str = "leakage";
    /// Power drawn whatever the work: idle, clocks, board.
    pub const STATIC: &str = "static";
    pub const WRITE: &str = "cell-write";
}

/// How the per-layer latencies combine into the total.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "rule", content = "reason")]
pub enum LatencyRule {
    /// Layers run one after another: the total is the sum of the rows.
    Sum,
    /// Layers overlap (a pipeline, concurrent engines): the total is at most
    /// the sum of the rows and at least the longest row. The reason says how.
    Overlapped(String),
}

/// The cost of one layer in one phase.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerRow {
    pub layer: String,
    pub phase: Phase,
    pub latency: Seconds,
    pub energy: Joules,
    /// What limits the layer (`compute`, `memory`, `adc`...), when the model knows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bound: Option<String>,
}

/// Latency and energy of one phase, summed over layers.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PhaseTotals {
    pub phase: Phase,
    pub latency: Seconds,
    pub energy: Joules,
}

/// Latency, energy by component, area and named metrics of one batch.
///
/// The energy total is the sum of the breakdown by construction. Layer rows,
/// where a model gives them, sum to the total energy, and their latencies
/// combine into the total by [`Report::latency_rule`]; [`Report::check`]
/// verifies both.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    /// Time for one batch (one training step in training).
    pub latency: Seconds,
    energy: BTreeMap<String, Joules>,
    pub area: Option<SquareMm>,
    /// Operations of the batch (2 x MACs of the phases run), from
    /// [`Workload::ops`]; the base of every derived throughput.
    pub ops: f64,
    pub batch: u64,
    pub layers: Vec<LayerRow>,
    pub latency_rule: LatencyRule,
    /// Named extra figures: A/D conversions, bus utilisation, traffic, bits...
    /// The name carries the unit (`dram_traffic_bytes`).
    pub metrics: BTreeMap<String, f64>,
}

impl Report {
    /// An empty report for `workload`: no latency, no energy, rows added next.
    pub fn new(workload: &Workload) -> Self {
        Report {
            latency: Seconds::ZERO,
            energy: BTreeMap::new(),
            area: None,
            ops: workload.ops(),
            batch: workload.batch,
            layers: Vec::new(),
            latency_rule: LatencyRule::Sum,
            metrics: BTreeMap::new(),
        }
    }

    /// Add energy to a component.
    pub fn add_energy(&mut self, component: &str, e: Joules) {
        *self.energy.entry(component.to_string()).or_default() += e;
    }

    /// Add a layer row; under [`LatencyRule::Sum`] the total latency grows with it.
    pub fn push_layer(&mut self, row: LayerRow) {
        if self.latency_rule == LatencyRule::Sum {
            self.latency += row.latency;
        }
        self.layers.push(row);
    }

    pub fn set_metric(&mut self, name: &str, value: f64) {
        self.metrics.insert(name.to_string(), value);
    }

    /// Energy by component.
    pub fn energy_breakdown(&self) -> &BTreeMap<String, Joules> {
        &self.energy
    }

    /// Total energy of the batch: the sum of the breakdown.
    pub fn energy(&self) -> Joules {
        self.energy.values().sum()
    }

    pub fn samples_per_s(&self) -> f64 {
        self.batch as f64 / self.latency.value()
    }
    pub fn ops_per_s(&self) -> f64 {
        self.ops / self.latency.value()
    }
    pub fn ops_per_j(&self) -> f64 {
        self.ops / self.energy().value()
    }
    pub fn ops_per_s_per_mm2(&self) -> Option<f64> {
        self.area.map(|a| self.ops_per_s() / a.value())
    }
    pub fn average_power(&self) -> Watts {
        self.energy() / self.latency
    }
    pub fn energy_per_sample(&self) -> Joules {
        self.energy() / self.batch as f64
    }

    /// Latency and energy per phase, in phase order, from the layer rows.
    pub fn phases(&self) -> Vec<PhaseTotals> {
        Phase::ALL
            .iter()
            .filter_map(|&phase| {
                let rows: Vec<&LayerRow> =
                    self.layers.iter().filter(|r| r.phase == phase).collect();
                (!rows.is_empty()).then(|| PhaseTotals {
                    phase,
                    latency: rows.iter().map(|r| r.latency).sum(),
                    energy: rows.iter().map(|r| r.energy).sum(),
                })
            })
            .collect()
    }

    /// Check the report's invariants: finite, non-negative figures; layer
    /// energies summing to the total; layer latencies combining into the
    /// total by the latency rule. Relative tolerance 1e-9 for rounding.
    pub fn check(&self) -> Result<(), String> {
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-30);
        if !(self.latency.value().is_finite() && self.latency.value() > 0.0) {
            return Err(format!("latency {} is not positive", self.latency));
        }
        for (c, e) in &self.energy {
            if !(e.value().is_finite() && e.value() >= 0.0) {
                return Err(format!("energy of `{c}` is {e}"));
            }
        }
        if self.layers.is_empty() {
            return Ok(());
        }
        let row_energy: Joules = self.layers.iter().map(|r| r.energy).sum();
        if !close(row_energy.value(), self.energy().value()) {
            return Err(format!(
                "layer energies sum to {row_energy}, the breakdown to {}",
                self.energy()
            ));
        }
        let row_latency: Seconds = self.layers.iter().map(|r| r.latency).sum();
        match &self.latency_rule {
            LatencyRule::Sum if !close(row_latency.value(), self.latency.value()) => Err(format!(
                "layer latencies sum to {row_latency}, the total is {}",
                self.latency
            )),
            LatencyRule::Overlapped(_) => {
                let longest = self
                    .layers
                    .iter()
                    .map(|r| r.latency)
                    .fold(Seconds::ZERO, Seconds::max);
                if self.latency.value() > row_latency.value() * (1.0 + 1e-9)
                    || self.latency.value() < longest.value() * (1.0 - 1e-9)
                {
                    Err(format!(
                        "overlapped total {} lies outside [longest row {longest}, sum of rows {row_latency}]",
                        self.latency
                    ))
                } else {
                    Ok(())
                }
            }
            LatencyRule::Sum => Ok(()),
        }
    }
}
