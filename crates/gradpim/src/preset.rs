//! The preset format (`fixtures/configs/gradpim/*.ron`, read `GradPim(...)`)
//! and the embedded presets.
use crate::isa::ScalerRange;
use crate::model::GradPim;
use crate::npu::Npu;
use crate::timing::System;
use pimzoo_core::units::Joules;
use pimzoo_core::Accelerator;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The body of a `fixtures/configs/gradpim/*.ron` preset: one system (the
/// baseline NPU, GradPIM-Direct, GradPIM-Buffered or the TensorDIMM-like
/// point), its memory, its units and its host NPU.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `gradpim/<name>`.
    pub id: String,
    pub name: String,
    /// The publication the preset follows.
    pub source: String,
    /// Who runs the update.
    pub system: System,
    pub memory: MemoryConfig,
    pub unit: UnitConfig,
    pub npu: Npu,
    pub simulation: SimulationConfig,
    /// The source of each parameter, by field path with `/` between the
    /// levels (`npu/clock_hz`); shown by `explain`.
    pub sources: BTreeMap<String, String>,
}

/// The DDR4 channel.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MemoryConfig {
    /// A DRAM preset of `pimzoo_tech::dram` (`fixtures/configs/dram/`), by id.
    pub dram: String,
    /// Ranks on the channel (the preset's rank size is kept).
    pub ranks: u32,
    /// DIMMs the ranks sit on: command buses of GradPIM-Buffered, buffer
    /// devices of the TensorDIMM-like point.
    pub dimms: u32,
}

/// The GradPIM unit.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UnitConfig {
    /// The exponents the scaler's 2^m +- 2^n factors may use.
    pub scaler: ScalerRange,
    /// Energy of an internal column access relative to a DDR4 burst of the
    /// same direction.
    pub column_energy_fraction: f64,
    /// Energy of one add (or shift-add, conversion) on one lane, by master format.
    pub lane_op_energy: LaneEnergy,
    /// Cycles a compute sub-op waits after a column read in its bank group.
    pub alu_wait_cycles: u32,
}

/// Energy of one lane operation by master format.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LaneEnergy {
    pub fp32: Joules,
    pub fp16: Joules,
}

/// How the DDR4 model is run.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SimulationConfig {
    /// Rows per unit of the smaller steady-state window (the larger is
    /// twice as long); up to two rows per unit the update is simulated in full.
    pub window_rows: u32,
}

/// The fields that must name their source in `sources`.
pub(crate) const SOURCED_FIELDS: [&str; 13] = [
    "system",
    "memory/dram",
    "memory/ranks",
    "memory/dimms",
    "unit/scaler",
    "unit/column_energy_fraction",
    "unit/lane_op_energy",
    "unit/alu_wait_cycles",
    "npu/trees",
    "npu/tree_width",
    "npu/clock_hz",
    "npu/mac_energy",
    "simulation/window_rows",
];

impl Config {
    /// Build the model the preset describes.
    pub fn build(self) -> Result<Box<dyn Accelerator>, String> {
        Ok(Box::new(GradPim::new(self)?))
    }
}

/// `(origin, RON text)` of the built-in presets.
pub const FILES: &[(&str, &str)] = &[
    (
        "fixtures/configs/gradpim/baseline.ron",
        include_str!("../../../fixtures/configs/gradpim/baseline.ron"),
    ),
    (
        "fixtures/configs/gradpim/v1.ron",
        include_str!("../../../fixtures/configs/gradpim/v1.ron"),
    ),
    (
        "fixtures/configs/gradpim/v2.ron",
        include_str!("../../../fixtures/configs/gradpim/v2.ron"),
    ),
    (
        "fixtures/configs/gradpim/tensordimm.ron",
        include_str!("../../../fixtures/configs/gradpim/tensordimm.ron"),
    ),
];
