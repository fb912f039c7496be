//! pimzoo model of RePAST (arXiv 2210.15255): ReRAM high-precision matrix inversion for K-FAC training.
//!
//! Part 1 (this crate today): the functional numerics of RePAST's
//! high-precision matrix inversion from 8-bit analog INV and VMM crossbars
//! ([`solver`]), the fixed-point formats ([`fixed`]), the dense linear
//! algebra they stand on ([`linalg`]), damped K-FAC factors and a K-FAC MLP
//! demonstration ([`kfac`]) and the precision study ([`study`]). Model and
//! derivations: `docs/models/repast.md`.
//!
//! Part 2 (issue 9) adds the cost model, the PipeLayer baseline and the
//! presets; it fills `preset` and `REFERENCE_FILES` below.
#![forbid(unsafe_code)]

pub mod fixed;
pub mod kfac;
pub mod linalg;
pub mod solver;
pub mod study;

pub use solver::{
    Batch, BlockInfo, Diagnostics, Form, HpSolver, LargeFactor, NonIdeal, OpCounts, Solution,
    SolveError, SolverConfig, Stop, TraceStep,
};

pub mod preset {
    use pimzoo_core::Accelerator;
    use serde::Deserialize;

    /// The body of a `fixtures/configs/repast/*.ron` preset.
    #[derive(Clone, Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Config {}

    impl Config {
        /// Build the model the preset describes.
        pub fn build(self) -> Result<Box<dyn Accelerator>, String> {
            Err("the repast model is not built yet".into())
        }
    }

    /// `(origin, RON text)` of the built-in presets.
    pub const FILES: &[(&str, &str)] = &[];
}

/// `(origin, RON text)` of this model's reference sets (`fixtures/reference/`).
pub const REFERENCE_FILES: &[(&str, &str)] = &[];
