//! pimzoo model of Neural-PIM (Cao et al., IEEE TC 2022) with the ISAAC
//! (Shafiee et al., ISCA 2016) and CASCADE (Chou et al., MICRO 2019)
//! dataflows: RRAM crossbar inference with digital accumulation (A), analog
//! buffering (B) or analog accumulation (C).
//!
//! * [`preset`]: the preset format and the embedded presets.
//! * `chip`: one design derived from a preset (the equations of Neural-PIM
//!   §3.2, the parts of a PE, a tile and a chip).
//! * `model`: the cost model behind the `Accelerator` trait.
//! * [`functional`]: a VMM on real numbers through each dataflow's bit
//!   slices, converters and noise, and its SINAD.
//!
//! Equations, sources, assumptions and the reproduction table:
//! `docs/models/neuralpim.md`.
#![forbid(unsafe_code)]

mod chip;
pub mod functional;
mod model;
mod periph;
pub mod preset;

pub use chip::{Design, Strategy};
pub use model::{names, NeuralPim};

/// `(origin, RON text)` of this model's reference sets (`fixtures/reference/`).
pub const REFERENCE_FILES: &[(&str, &str)] = &[(
    "fixtures/reference/neuralpim.ron",
    include_str!("../../../fixtures/reference/neuralpim.ron"),
)];

/// The model in words, shared by every preset (`cargo xtask explain`).
pub const EXPLANATION: &str = "\
RRAM crossbar inference after Neural-PIM (IEEE TC 2022) and its baselines ISAAC (ISCA 2016) and CASCADE \
(MICRO 2019). A layer's weight matrix (conv: C/groups x kh x kw rows by out/groups columns; linear: in by out; \
LSTM: D + hidden (+1 folded bias) by 4 x hidden) is bit-sliced onto arrays: T_in = ceil(P_I/P_D) input cycles, \
ceil(P_W/P_R) cells per weight and polarity, G weight vectors per array. Strategy A (ISAAC) converts every \
bitline every cycle with ADCs of P_AA bits (Eq. 2, minus one for ISAAC's encoding) and adds digitally: \
T_in x ceil(P_W/P_R) conversions per weight vector (Eq. 5). Strategy B (CASCADE) writes bitline values through \
TIAs into RRAM buffer arrays and converts the buffer bitlines once: P_AA + log2 T_in bits (Eq. 3), \
T_in + ceil(P_W/P_R) - 1 conversions (Eq. 6). Strategy C (Neural-PIM) accumulates across weight bits and input \
cycles in NNS+A circuits and converts once with a P_O-bit NNADC (Eqs. 4, 7). Every action of every VMM \
(DAC drives, cell reads, samples, conversions, shift-adds or NNS+A steps, TIA samples and buffer writes, \
register bits, eDRAM, bus and router bytes) is counted and priced from component tables (ISAAC Table I, \
NP Table 2, Accelergy's ISAAC library); the HyperTransport links draw constant power. A PE's VMM takes \
T_in input cycles of 100 ns, stretched by its shared converters or NNS+As; Neural-PIM adds a conversion cycle \
(Fig. 8). Layers form an inter-layer pipeline: copies per layer are chosen so that the slowest layer's period \
is as short as the board allows (ISAAC's replication); every network runs on the preset's board of chips \
(ISAAC §VIII-B). Inference only, at the preset's fixed-point widths (float workloads are taken as quantized \
to them). Assumptions and the Table 2 reading: docs/models/neuralpim.md.";
