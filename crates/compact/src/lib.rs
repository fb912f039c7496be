//! pimzoo model of the compact compute-in-memory chip of Chen & Yang,
//! "Optimizing and Exploring System Performance in Compact Processing-in-Memory-based
//! Chips", IEEE AICAS 2025 (arXiv 2502.21259), following the authors' NeuroSim
//! fork (github.com/peilin-chen/Compact-PIM-based-Design, commit 6915876).
//!
//! A chip too small for a network's weights runs it in groups of layers that
//! fit, reloading weights from off-chip LPDDR5:
//!
//! * [`layers`]: the weight layers of a network as the authors' tables list them;
//! * [`chip`]: the sub-array / PE / tile / chip hierarchy and its H-tree lengths;
//! * [`mapping`]: tiles per layer copy, sub-array and PE duplication, the split
//!   of a layer larger than the chip;
//! * [`schedule`]: the mode (RP, LP, FPP, PPP), the greedy in-order grouping and
//!   the Dynamic Duplication Method (DDM);
//! * [`circuit`]: one layer's read latency and energy from counts of what the
//!   hardware does, with unit costs fitted once in [`calibration`];
//! * [`dram`]: the off-chip traffic, in the authors' accounting or corrected;
//! * [`model`]: the system equations and the [`pimzoo_core::Report`];
//! * [`preset`]: the preset format, with one option per code artefact of the
//!   authors' simulator (default: mimic it; other setting: the corrected model).
//!
//! Equations, assumptions and the reproduction table: `docs/models/compact.md`.
#![forbid(unsafe_code)]

pub mod calibration;
pub mod chip;
pub mod circuit;
pub mod dram;
pub mod layers;
pub mod mapping;
pub mod model;
pub mod preset;
pub mod schedule;

pub use model::{CompactChip, Plan};

/// `(origin, RON text)` of this model's reference sets (`fixtures/reference/`).
pub const REFERENCE_FILES: &[(&str, &str)] = &[(
    "fixtures/reference/compact.ron",
    include_str!("../../../fixtures/reference/compact.ron"),
)];

/// The model in words, shared by every preset (`cargo xtask explain compact/ppp`).
pub const EXPLANATION: &str = "\
A compact SRAM (or RRAM) compute-in-memory chip that cannot hold all of a network's weights \
(Chen & Yang, AICAS 2025), modelled after the authors' NeuroSim fork.

Hierarchy: 128x128 one-bit sub-arrays, 4x4 per processing element (PE), 4x4 PEs per tile \
(2048x2048 cells), 4x4 tiles (compact chip) or 6x6 (area-unlimited). An 8-bit weight takes 8 \
columns; inputs are applied bit-serially; 8 columns share one 5-bit sense amplifier, read in \
turn. A layer of K^2 Cin rows and 8 Cout columns needs n = ceil(rows/2048) ceil(cols/2048) \
tiles per copy; small layers are copied inside PEs and across the PEs of a tile (NeuroSim's \
SubArrayDup and PeDup, at most H x W copies, none for fully connected layers).

Modes. RP (baseline): layers grouped greedily in order while their tiles fit; within a group \
one layer after another per image. LP: each layer in turn gets the whole chip, copied as often \
as it fits; every image reloads weights and goes through DRAM. Pipeline: FPP if every layer \
fits, else PPP: per group, load its weights once, stream the whole batch through the group's \
layer pipeline (stage time = its slowest layer), spill the group's output to DRAM, next group. \
Dynamic Duplication (DDM) gives a group's free tiles, one copy at a time, to the layer with the \
most sequential rounds ceil(H W / (sa pe tile)).

Per image: RP and LP take sum T_l, the pipelines sum over groups of max T_l; weight writes add \
sum W_l per image (the authors' code; a switch charges them once per load); DRAM transfers \
(bits / 136.5 GB/s, 128-bit transactions) follow, not overlapped. Throughput = ops / time; \
energy = read + write + leakage + DRAM (bits x energy per bit), times NeuroSim's validation \
factor zeta = 1.22 as the authors' TOPS/W does (shown as the `neurosim-zeta` component).

Layer cost T_l, E_l: counts of what the hardware does (sub-array read steps, conversions, \
H-tree transfers over the chip and tile trees, buffered bits, adder-tree operations) times \
unit costs fitted once to the authors' VGG-8 per-layer table on the 4x4 chip; the chip H-tree \
length (8 tile pitches at 4x4, 18 at 6x6, as NeuroSim wires a 6x6 tree as 8x8) makes the \
interconnect, which dominates, grow with chip size. Every other network, chip and mode is a \
prediction. Each code artefact of the authors' simulator (per-image writes, im2col DRAM reads, \
spill size, 32-bit counters, split count, DDM bookkeeping, leakage, no fill/drain or overlap) \
is an option; presets mimic the authors. Details: docs/models/compact.md.";
