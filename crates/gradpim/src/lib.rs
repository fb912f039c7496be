//! pimzoo model of GradPIM (Kim et al., "GradPIM: A Practical
//! Processing-in-DRAM Architecture for Gradient Descent", HPCA 2021): DDR4
//! with one processing unit per bank group that runs the optimizer's
//! weight update, next to a host NPU that runs forward and backward.
//!
//! * [`isa`]: the unit's seven RFU sub-operations, registers and scaler.
//! * [`compiler`]: optimizer and precision to the command sequence of one
//!   group of parameter bursts.
//! * [`functional`]: that sequence executed on real arrays, and the
//!   reference optimizer it must match.
//! * [`timing`]: the sequence (or the NPU's requests) on the command-level
//!   DDR4 model, with the steady-state scaling to whole networks.
//! * [`npu`]: the host NPU's forward and backward roofline.
//! * [`preset`]: the preset format and the embedded presets; `model`: the
//!   `Accelerator`.
//!
//! Equations, sources, assumptions and the reproduction table:
//! `docs/models/gradpim.md`.
#![forbid(unsafe_code)]

pub mod compiler;
mod explain;
pub mod formats;
pub mod functional;
pub mod isa;
mod model;
pub mod npu;
pub mod preset;
pub mod timing;

pub use explain::EXPLANATION;
pub use model::GradPim;

/// `(origin, RON text)` of this model's reference sets (`fixtures/reference/`).
pub const REFERENCE_FILES: &[(&str, &str)] = &[(
    "fixtures/reference/gradpim.ron",
    include_str!("../../../fixtures/reference/gradpim.ron"),
)];
