//! The contract between pimzoo's architecture models and everything that uses them.
//!
//! * [`Accelerator`]: one model of one hardware configuration.
//! * [`Workload`]: what to run (network, task, batch, number formats).
//! * [`Report`]: what it cost (latency, energy by component, area, per-layer
//!   rows, named metrics); derived figures are methods, computed one way.
//! * [`Registry`]: the models a program knows, built-in or third-party.
//! * [`units`]: typed SI quantities; no bare `f64` carries a unit in its name.
#![forbid(unsafe_code)]

mod accelerator;
mod error;
mod registry;
mod report;
pub mod units;
mod workload;

pub use accelerator::{Accelerator, ArchInfo};
pub use error::EvalError;
pub use registry::{Registry, RegistryError};
pub use report::{component, LatencyRule, LayerRow, PhaseTotals, Report};
pub use workload::{NumberFormat, Optimizer, Precision, Task, Workload};

/// The IR, re-exported so a model crate needs one dependency for both.
pub use pimzoo_ir as ir;
