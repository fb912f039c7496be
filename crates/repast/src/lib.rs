//! pimzoo model of RePAST (arXiv 2210.15255; STAMP, APPT 2025): a ReRAM
//! accelerator for second-order (K-FAC) DNN training with high-precision
//! analog matrix inversion, and its first-order baseline, PipeLayer (HPCA
//! 2017).
//!
//! Two faces that share one configuration (`docs/models/repast.md`):
//!
//! * **numerics** (part 1): the high-precision solver built from 8-bit
//!   analog INV and VMM crossbars ([`solver`]), its fixed-point formats
//!   ([`fixed`]), the dense linear algebra under it ([`linalg`]), damped
//!   K-FAC factors and a K-FAC MLP demonstration ([`kfac`]), the precision
//!   study ([`study`]);
//! * **cost model** (part 2): PipeLayer's pipelined training dataflow on a
//!   design's arrays (`pipeline`), one VMM's actions and energies
//!   (`arrays`), RePAST's second-order engine with the solver's operation
//!   counts (`second_order`), training to accuracy and the paper's
//!   comparison with its baselines ([`training`]), the accelerator
//!   ([`model`]) and its presets ([`preset`]).
#![forbid(unsafe_code)]

mod arrays;
pub mod fixed;
pub mod kfac;
mod ledger;
pub mod linalg;
pub mod model;
mod pipeline;
pub mod preset;
mod second_order;
pub mod solver;
pub mod study;
pub mod training;

pub use ledger::names;
pub use model::Trainer;
pub use solver::{
    Batch, BlockInfo, Diagnostics, Form, HpSolver, LargeFactor, NonIdeal, OpCounts, Solution,
    SolveError, SolverConfig, Stop, TraceStep,
};

/// `(origin, RON text)` of this model's reference sets (`fixtures/reference/`).
pub const REFERENCE_FILES: &[(&str, &str)] = &[(
    "fixtures/reference/repast.ron",
    include_str!("../../../fixtures/reference/repast.ron"),
)];

/// The model in words, shared by every preset of the family (`ArchInfo::explanation`).
pub(crate) const EXPLANATION: &str = "\
A ReRAM training chip in PipeLayer's dataflow (Song et al., HPCA 2017), with or without RePAST's \
second-order engine (Zhao et al., arXiv 2210.15255). \
First order: every convolution, fully connected layer and product of activations is a pipeline \
stage; a layer with P input vectors per sample gets G = ceil(P / steps_per_cycle) copies of its \
weights, so a stage takes steps = ceil(P / G) array evaluations per logical cycle (PipeLayer Table 5: \
49 for VGG). An evaluation passes a 16-bit input through the arrays: 16 spike slots of 29.31 ns with \
integrate-and-fire outputs (PipeLayer) or 16 one-bit DAC cycles of 100 ns with an ADC per bitline \
(RePAST, ISAAC's parts). In training each stage also runs its error arrays (the transposed weights, G \
copies) and its gradient arrays (the stored input, streamed with the output error), every phase \
taking `steps` evaluations. Cells written per sample: the output into a memory subarray, the input \
into the gradient arrays and the input error into a memory subarray; the chip writes \
power x pulse / (energy per cell) cells at once. Logical cycle T_cyc = the longest stage's \
evaluations + all cells written in the cycle at that rate; a batch takes (2L + B) T_cyc plus the \
update, which rewrites every copy of every weight (and the optimizer state) once (PipeLayer §3.3: \
(N/B)(2L + B + 1) cycles per epoch); inference (B + L - 1) T_cyc. Energy: crossbar reads, converters \
(DAC/ADC/S+H/shift-add/registers, or integrate-and-fire), memory-subarray reads, cell writes, and \
element-wise digital operations. Recurrent layers are unsupported. \
Second order (RePAST, K-FAC): per weight layer the factors A (C_in k^2, +1 with a bias) and G (C_out) \
from the IR, as the GPU model's. Between batches, on the INV arrays and the VMM arrays that hold no \
weights: factor statistics every factor_interval steps (A = X^T X and G = D^T D on crossbars: the \
stationary patch and error matrices written, a and g VMMs); every inversion_interval steps every \
factor programmed (A_H in INV crossbars, 2 arrays per 256x256 tile joined by switches; A_H and A_L in \
VMM crossbars) and, with explicit inverses, one high-precision solve per column of the identity, the \
inverse written into VMM arrays at 16 bits; every step the preconditioning G^-1 grad A^-1 (g VMMs over \
A^-1 and a over G^-1; or, without explicit inverses, one solve with A per gradient row and one with G \
per column). A solve costs (K+1) c_x s_b INV operations, (K+1)(c_x - 1) VMM(A_H) and K VMM(A_L), the \
functional solver's own count rule for the preset's solver configuration; K is the terms that solver \
needs on a representative damped factor (run once). An INV operation settles in one 100 ns cycle: \
DAC drives, op-amps and voltage followers, the array's cells, ADC conversions; a VMM is a 16-bit \
input on the VMM arrays. The chip has vmm_per_inv (16) VMM arrays per INV array, as few as hold the \
weights and one copy of every factor. A phase lasts max(INV work / INV arrays, VMM work / free VMM \
arrays, longest solve) with balanced parallelism (copies of loops and operands, their writes \
counted), or its longest job with one copy each. Metrics: epoch_s and epoch_j (ceil(N / B) steps \
over the network's training set), inversion_share and second_order_share of the step, and, for \
RePAST's preset, the paper's comparison with PipeLayer and the GPU (vs_* metrics; whole-training \
ratios use the preset's epoch-reduction factors, inputs). Not modelled: batch-norm statistics in \
the pipeline, chip area, leakage, the host link, INV settling beyond one cycle, device noise (the \
functional solver has it).";
