//! The preset format (`fixtures/configs/compact/*.ron`) and the embedded presets.
//!
//! A preset describes one chip (hierarchy sizes, converters, cell technology),
//! one execution mode, the off-chip channel and, for each code artefact of the
//! authors' simulator, whether to mimic it or to correct it. The per-layer
//! circuit constants are not written in presets: they are fitted once, in
//! code, to the authors' VGG-8 table ([`crate::calibration`]), so every preset
//! uses the same constants.
use crate::model::CompactChip;
use pimzoo_core::units::{Joules, Seconds};
use pimzoo_core::Accelerator;
use pimzoo_tech::crossbar::{ArrayGeometry, Operands};
use pimzoo_tech::offchip::OffChipChannel;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The body of a `fixtures/configs/compact/*.ron` preset.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `compact/<name>`.
    pub id: String,
    pub name: String,
    /// The publication and code the preset follows.
    pub source: String,
    pub chip: ChipConfig,
    pub cell: CellTechnology,
    pub mode: Mode,
    /// The off-chip memory (LPDDR5-8533 x128 in the paper).
    pub dram: OffChipChannel,
    /// Bits per activation element stored in DRAM (the authors store
    /// `numBitInput + synapseBit` = 16; the network input is read at the input
    /// precision).
    pub dram_activation_bits: u32,
    /// NeuroSim's silicon-validation factor: the authors divide energy
    /// efficiency by it (`zeta = 1.22`).
    pub zeta: f64,
    /// Mimic or correct each code artefact of the authors' simulator.
    pub options: Options,
    /// The source of each field above, by name; shown by `explain`.
    pub sources: BTreeMap<String, String>,
}

/// The hierarchy: sub-arrays in processing elements (PEs), PEs in tiles,
/// tiles on the chip.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ChipConfig {
    /// Tiles per chip, `(rows, columns)`.
    pub tiles: (u32, u32),
    /// PEs per tile, `(rows, columns)`.
    pub pes_per_tile: (u32, u32),
    /// Sub-arrays per PE, `(rows, columns)`.
    pub subarrays_per_pe: (u32, u32),
    /// One sub-array: rows read in parallel, columns, bits per cell, bits per
    /// input pulse (1: bit-serial inputs, no DAC).
    pub subarray: ArrayGeometry,
    pub operands: Operands,
    /// Columns sharing one sense amplifier / ADC (read one after another).
    pub columns_per_adc: u32,
    /// Resolution of the multilevel sense amplifier.
    pub adc_bits: u32,
    /// Upper bound of the chip-level bus width (NeuroSim `maxGlobalBusWidth`).
    pub max_global_bus_bits: u32,
    /// Bits of one global-buffer core (rows x columns, NeuroSim
    /// `globalBufferCoreSize*`); also the width of one buffer access.
    pub global_buffer_core: (u32, u32),
    /// Switching activity of the data sent to the tiles and of the data sent back.
    pub input_toggle: f64,
    pub output_toggle: f64,
}

/// The memory cell, which decides the cost of (re)writing weights.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub enum CellTechnology {
    /// 1-bit SRAM cells, as in the authors' released configuration. The write
    /// time and energy per sub-array are fitted with the other circuit
    /// constants ([`crate::calibration`]).
    Sram,
    /// RRAM cells programmed with write pulses (NeuroSim's RRAM parameters).
    Rram {
        pulse_width: Seconds,
        /// Pulses across the full conductance range.
        pulses_full_range: u32,
        /// Energy of one pulse in one cell.
        energy_per_pulse: Joules,
        /// Mean fraction of the range a cell moves when written from the
        /// erased state.
        mean_range_fraction: f64,
    },
}

/// How layers are executed (the authors' `Baseline` and `Scenariotype` switches).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub enum Mode {
    /// RP, the baseline: layers in groups that fit the chip, one layer after
    /// another for each image, no duplication across tiles.
    RawProcessing,
    /// LP, the low-latency scenario: every layer in turn gets the whole chip,
    /// maximally duplicated; weights and activations go through DRAM for
    /// every image.
    LayerByLayer,
    /// The pipeline method: the full pipeline (FPP) when every layer fits on
    /// the chip, otherwise the partial pipeline (PPP): groups that fit, each
    /// loaded once per batch with the batch streamed through its layers.
    Pipeline {
        /// The Dynamic Duplication Method: copies of the bottleneck layer on
        /// the tiles a group leaves free.
        dynamic_duplication: bool,
    },
}

/// One switch per code artefact of the authors' simulator (brief §8): the
/// default of each mimics the released code so that the published numbers
/// reproduce; the other setting is the corrected model.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Options {
    /// Artefact 1: on-chip weight writes charged per image (authors) or once
    /// per weight load.
    pub write_charge: WriteCharge,
    /// Artefact 2a: DRAM reads of a group's input.
    pub group_reads: GroupReads,
    /// Artefact 2b: DRAM writes of a group's output.
    pub group_writes: GroupWrites,
    /// Artefact 4: 32-bit transaction counters with truncating division
    /// (authors) or exact 64-bit counts rounded up.
    pub counters: Counters,
    /// Artefact 5: how an oversized layer is split.
    pub split: Split,
    /// Artefact 6a: the bookkeeping of the Dynamic Duplication loop.
    pub duplication_loop: DuplicationLoop,
    /// Artefact 6b: which tiles leak, and for how long.
    pub leakage: Leakage,
    /// Artefact 7a: pipeline fill and drain.
    pub pipeline_fill: PipelineFill,
    /// Artefact 7b: DRAM transfers and on-chip work one after another, or
    /// overlapped (double buffering).
    pub dram_overlap: DramOverlap,
    /// What the validation factor `zeta` scales: the whole energy, as the
    /// authors' TOPS/W does, or the on-chip energy NeuroSim was validated for.
    pub zeta_scope: ZetaScope,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub enum WriteCharge {
    /// Weight-write time and energy are added for every image (`main.cpp`
    /// summary: per-image time = read + write + DRAM/B).
    #[default]
    PerImage,
    /// Written once when the weights are loaded, shared by the batch.
    PerLoad,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub enum GroupReads {
    /// The first layer's input vectors, im2col-expanded: `H W Cin K^2` elements.
    #[default]
    Im2colFirstLayer,
    /// Every tensor that enters the group, once, at its real size.
    Tensors,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub enum GroupWrites {
    /// `H W Cin` of the group's last layer: its output positions times its
    /// *input* channels.
    #[default]
    LastLayerInputDims,
    /// Every tensor that leaves the group (the output after pooling, and
    /// residual branches that skip to a later group), once.
    Tensors,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub enum Counters {
    /// Integer division by the bus width, as coded (a partial transaction is
    /// dropped). A count beyond 2^31 - 1 would wrap the authors' `int`: it is
    /// counted exactly and reported in the metric `counter_overflows`.
    #[default]
    Int32,
    /// Exact counts, rounded up to whole transactions.
    Exact,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub enum Split {
    /// `floor(ceil(n / N) / 2)` halvings; `(P_row - 1)` extra input reads and
    /// `(P_col - 1)` output write-and-read round trips of `H W Cin` elements.
    #[default]
    Authors,
    /// As many halvings as it takes for one part to fit; a column split
    /// re-reads the input, a row split writes and reads partial sums.
    Corrected,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub enum DuplicationLoop {
    /// The released loop: the `flag`/`tag` bookkeeping stops it early once a
    /// layer could not be copied, copies spent on a fully connected layer or
    /// beyond a layer's maximum are lost.
    #[default]
    Authors,
    /// Keep giving copies to the slowest layer that can still use one until no
    /// free tile can be used.
    Corrected,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub enum Leakage {
    /// As coded: in the pipelines, a layer's tiles idle for the running
    /// maximum stage time; in RP the idle tiles are counted over the cumulative
    /// group records; tiles without a layer, weight writes and DRAM transfers
    /// leak nothing.
    #[default]
    Authors,
    /// Every tile leaks its idle power for the whole batch, and the in-use
    /// power of its arrays while it computes.
    WholeChip,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub enum PipelineFill {
    /// Steady state only: a group takes `B x S_g`.
    #[default]
    Ignored,
    /// The first image passes every stage: a group takes `B x S_g + sum T - S_g`.
    Counted,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub enum DramOverlap {
    /// DRAM transfers, weight writes and computation one after another.
    #[default]
    Serial,
    /// Ideal double buffering: the batch takes the longer of the on-chip time
    /// and the DRAM time.
    DoubleBuffered,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub enum ZetaScope {
    /// Every energy, DRAM included (the authors' TOPS/W divides the total).
    #[default]
    AllEnergy,
    /// The on-chip energy only (what NeuroSim's validation covers).
    OnChip,
}

/// The fields that must name their source in `sources`.
pub(crate) const SOURCED_FIELDS: [&str; 7] = [
    "chip",
    "cell",
    "mode",
    "dram",
    "dram_activation_bits",
    "zeta",
    "options",
];

impl Config {
    /// Build the model the preset describes.
    pub fn build(self) -> Result<Box<dyn Accelerator>, String> {
        Ok(Box::new(CompactChip::new(self)?))
    }
}

/// Parse a preset file as written (`Compact(...)`, the facade's variant) on
/// its own, for tests, examples and benchmarks of this crate.
pub fn parse(text: &str, origin: &str) -> Result<Config, pimzoo_ir::SyntaxError> {
    #[derive(Deserialize)]
    enum File {
        Compact(Box<Config>),
    }
    let File::Compact(config) = pimzoo_ir::parse_ron::<File>(text, origin)?;
    Ok(*config)
}

/// The built-in preset with this id (`compact/ppp`), parsed.
pub fn builtin(id: &str) -> Option<Config> {
    FILES
        .iter()
        .filter_map(|(origin, text)| parse(text, origin).ok())
        .find(|c| pimzoo_ir::normalize_name(&c.id) == pimzoo_ir::normalize_name(id))
}

/// `(origin, RON text)` of the built-in presets.
pub const FILES: &[(&str, &str)] = &[
    (
        "fixtures/configs/compact/ppp.ron",
        include_str!("../../../fixtures/configs/compact/ppp.ron"),
    ),
    (
        "fixtures/configs/compact/ppp-noddm.ron",
        include_str!("../../../fixtures/configs/compact/ppp-noddm.ron"),
    ),
    (
        "fixtures/configs/compact/rp.ron",
        include_str!("../../../fixtures/configs/compact/rp.ron"),
    ),
    (
        "fixtures/configs/compact/lp.ron",
        include_str!("../../../fixtures/configs/compact/lp.ron"),
    ),
    (
        "fixtures/configs/compact/unlimited.ron",
        include_str!("../../../fixtures/configs/compact/unlimited.ron"),
    ),
    (
        "fixtures/configs/compact/ppp-ht.ron",
        include_str!("../../../fixtures/configs/compact/ppp-ht.ron"),
    ),
];
