//! pimzoo model of NTX (Schuiki et al., IEEE TC 2019): streaming floating-point
//! co-processors in the logic die of a Hybrid Memory Cube.
//!
//! Layout, bottom up:
//! * [`engine`]: one NTX: opcodes, the five-level loop nest, cycles per command.
//! * [`cluster`]: eight engines, the RISC-V core's offload, TCDM banks, one tile's cost.
//! * [`mapping`]: each layer kind and training phase as tiles of commands.
//! * [`schedule`]: tiles over the clusters against the vault bandwidth.
//! * [`cube`]: a cube (clusters + HMC from `pimzoo_tech::hmc`), a workload, a report.
//! * [`mesh`]: data-parallel training on a mesh of cubes (`pimzoo_tech::mesh`)
//!   and the GPU system it is compared with.
//! * [`accumulator`]: the functional model, the exact 284-bit accumulator.
//! * [`kernels`], [`explain`]: the kernel suite and the model in words.
//!
//! Equations, assumptions and the reproduction table: `docs/models/ntx.md`.
#![forbid(unsafe_code)]

pub mod accumulator;
pub mod cluster;
pub mod cube;
pub mod engine;
pub mod explain;
pub mod kernels;
pub mod mapping;
pub mod mesh;
pub mod model;
pub mod preset;
pub mod schedule;

pub use model::Ntx;

/// `(origin, RON text)` of this model's reference sets (`fixtures/reference/`).
pub const REFERENCE_FILES: &[(&str, &str)] = &[(
    "fixtures/reference/ntx.ron",
    include_str!("../../../fixtures/reference/ntx.ron"),
)];
