//! The preset format (`fixtures/configs/repast/*.ron`, read as `Repast(...)`)
//! and the embedded presets.
//!
//! One format serves both designs of this crate: a ReRAM training chip with
//! PipeLayer's pipelined first-order dataflow, described by its arrays, how
//! they are read and how cells are written, plus, for RePAST, the
//! second-order engine (`second_order`: INV crossbars and the high-precision
//! solver of part 1). `repast/pipelayer` has no second-order engine.
use crate::model::Trainer;
use crate::solver::SolverConfig;
use pimzoo_core::units::{Joules, Seconds, Watts};
use pimzoo_core::Accelerator;
use pimzoo_tech::crossbar::ArrayGeometry;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The body of a `fixtures/configs/repast/*.ron` preset.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `repast/<name>`.
    pub id: String,
    pub name: String,
    /// The publication the preset follows.
    pub source: String,
    /// Bits of the fixed-point weights, activations and errors.
    pub data_bits: u32,
    /// PipeLayer's balancing rule: a layer with `P` input vectors per sample
    /// gets `G = ceil(P / steps_per_cycle)` copies of its weights, so that
    /// every stage takes at most `steps_per_cycle` array evaluations per
    /// logical cycle (49 in PipeLayer's Table 5 for VGG).
    pub steps_per_cycle: u64,
    /// The arrays that hold weights, stored inputs and errors.
    pub array: ArrayGeometry,
    /// How an array is read: input encoding and output conversion.
    pub reading: Reading,
    /// How cells are written, and how many at once.
    pub writes: Writes,
    /// Energy of one element-wise digital operation (activation, pooling,
    /// normalisation, the optimizer's update arithmetic).
    pub digital_op_energy: Joules,
    /// The second-order engine; `None` for a first-order design.
    #[serde(default)]
    pub second_order: Option<SecondOrder>,
    /// Epochs to accuracy and the baselines of the paper's comparison.
    #[serde(default)]
    pub training: Training,
    /// The source of each parameter above, by field name; shown by `explain`.
    pub sources: BTreeMap<String, String>,
}

/// How an array evaluation turns inputs into outputs.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub enum Reading {
    /// PipeLayer §4.2: an N-bit input is N weighted spikes in N time slots
    /// (no DAC); integrate-and-fire circuits with counters turn each bitline
    /// current into a number (no ADC).
    Spikes {
        /// One time slot: one ReRAM read.
        slot: Seconds,
        /// Energy of one spike on one row of one array.
        row_spike_energy: Joules,
        /// Fraction of input bits that are 1 (spikes fired).
        ones_fraction: f64,
        /// Energy of one integrate-and-fire conversion of one bitline over
        /// one evaluation.
        conversion_energy: Joules,
    },
    /// ISAAC: a DAC of `array.dac_bits` per row, one read cycle per input
    /// slice, every bitline converted by an ADC in every cycle, digital
    /// shift-and-add; ISAAC's component table scaled to `node_nm`.
    Converters {
        /// One read cycle (one input slice).
        cycle: Seconds,
        /// Technology node of the components, nm.
        node_nm: f64,
    },
}

/// Cell writes: PipeLayer's ReRAM write cost (its §6.2), and how many cells
/// the chip programs at once.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Writes {
    /// Latency of one write pulse (a row of cells is programmed at once).
    pub pulse: Seconds,
    /// Energy of one write pulse on one row.
    pub row_energy: Joules,
    /// Cells of the row one write pulse programs.
    pub row_cells: u32,
    /// Power the chip gives to cell writes; the cells written at once are
    /// `power x pulse / (row_energy / row_cells)`.
    pub power: Watts,
    /// Energy of reading one row of a memory subarray (an activation or
    /// error read back by the next stage).
    pub read_row_energy: Joules,
}

/// RePAST's second-order engine: INV crossbars next to the VMM crossbars,
/// the high-precision solver of part 1, and how K-FAC uses them.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SecondOrder {
    /// The solver: bits, converters, form, stop rule, crossbar size,
    /// large-factor mapping. Its operation counts are the cost model's.
    pub solver: SolverConfig,
    /// VMM arrays per INV array.
    pub vmm_per_inv: u32,
    /// One INV operation: the loop settles and its outputs are sampled.
    pub inv_settle: Seconds,
    /// Arrays per `crossbar_size` tile of an INV loop (2: a positive and a
    /// negative array for signed entries).
    pub inv_arrays_per_tile: u32,
    /// Amplifiers per row of an INV loop (op-amp and voltage follower).
    pub amplifiers_per_row: u32,
    /// The damped factor the solver runs on, once, to find its terms per
    /// solve when its stop rule is a bit target.
    pub representative: Representative,
    /// How K-FAC's preconditioning uses the solver.
    pub preconditioning: Preconditioning,
    /// How the second-order work spreads over the arrays.
    pub parallelism: Parallelism,
}

/// A factor of the precision study (`study::case_factor`): the second
/// moment of ReLU activations in `n` dimensions, damped by `damping` times
/// its mean diagonal.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Representative {
    pub n: usize,
    pub damping: f64,
}

/// How the preconditioned gradient `G^-1 grad(W) A^-1` is formed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub enum Preconditioning {
    /// Every `inversion_interval` steps each factor is inverted, one
    /// high-precision solve per column of the identity, and the inverse is
    /// written into VMM arrays (16-bit); every step the gradient is
    /// multiplied by both inverses on them. The K-FAC algorithm as the GPU
    /// baseline runs it.
    Inverse,
    /// No inverse is formed: every step, one solve with A per row of the
    /// gradient and one with G per column (the brief's reading, section 4);
    /// the factors are re-programmed every `inversion_interval` steps.
    Solve,
}

/// How the second-order work spreads over the arrays between two batches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub enum Parallelism {
    /// One copy of every factor loop, inverse and stored operand; the
    /// layers run in parallel, each layer's solves or products one after
    /// another.
    OneCopy,
    /// Every idle array takes part: loops, inverses and stored operands are
    /// copied (the copies' writes counted) until the work is spread evenly
    /// over the INV arrays and the VMM arrays that hold no weights.
    Balanced,
}

/// Training to accuracy: inputs of the paper's whole-training comparison.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Training {
    /// Epochs of first-order training over epochs of K-FAC training to the
    /// same accuracy, per network.
    #[serde(default)]
    pub epoch_reduction: Vec<EpochReduction>,
    /// The baselines to compare a K-FAC step with.
    #[serde(default)]
    pub compare: Option<Compare>,
}

/// One family's epoch-reduction factor.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EpochReduction {
    /// Zoo names of the networks it applies to.
    pub networks: Vec<String>,
    pub factor: f64,
    pub source: String,
}

/// The paper's baselines: a first-order ReRAM chip and a GPU.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Compare {
    /// Id of a built-in preset of this family without a second-order engine.
    pub reram_first_order: String,
    /// Id of a built-in GPU preset.
    pub gpu: String,
    /// The first-order optimizer the baselines train with (`sgd`, `momentum`, `adam`).
    pub first_order: String,
}

/// The fields that must name their source in `sources`.
pub(crate) const SOURCED_FIELDS: [&str; 7] = [
    "data_bits",
    "steps_per_cycle",
    "array",
    "reading",
    "writes",
    "digital_op_energy",
    "training",
];

/// The extra fields a design with a second-order engine must source.
pub(crate) const SOURCED_SECOND_ORDER: [&str; 1] = ["second_order"];

impl Config {
    /// Build the model the preset describes.
    pub fn build(self) -> Result<Box<dyn Accelerator>, String> {
        Ok(Box::new(Trainer::new(self)?))
    }
}

/// `(origin, RON text)` of the built-in presets.
pub const FILES: &[(&str, &str)] = &[
    (
        "fixtures/configs/repast/repast.ron",
        include_str!("../../../fixtures/configs/repast/repast.ron"),
    ),
    (
        "fixtures/configs/repast/pipelayer.ron",
        include_str!("../../../fixtures/configs/repast/pipelayer.ron"),
    ),
];

/// Parse one preset file's text (`Repast(...)`), for tests and tools.
pub fn parse(text: &str, origin: &str) -> Result<Config, String> {
    #[derive(Deserialize)]
    enum File {
        Repast(Box<Config>),
    }
    let File::Repast(c) = pimzoo_ir::parse_ron::<File>(text, origin).map_err(|e| e.to_string())?;
    Ok(*c)
}

/// The embedded preset with this id (case, `-` and `_` ignored).
pub fn builtin(id: &str) -> Result<Config, String> {
    let key = pimzoo_ir::normalize_name(id);
    let mut known = Vec::new();
    for (origin, text) in FILES {
        let c = parse(text, origin)?;
        if pimzoo_ir::normalize_name(&c.id) == key {
            return Ok(c);
        }
        known.push(c.id);
    }
    Err(format!(
        "`{id}` is not a built-in repast preset; known: {}",
        known.join(", ")
    ))
}
