//! pimzoo: models of processing-in-memory and near-memory DNN accelerators,
//! side by side.
//!
//! This facade re-exports the IR and the core contract, and builds the
//! registry of every built-in preset ([`builtin_registry`]). A program that
//! wants one architecture depends on that architecture's crate alone; a
//! program that wants them all depends on this one.
//!
//! ```
//! use pimzoo::{builtin_registry, ir::zoo, Workload};
//! use std::sync::Arc;
//!
//! let registry = builtin_registry();
//! let net = Arc::new(zoo::get("resnet18").unwrap());
//! let report = registry.get("gpu/v100").unwrap()
//!     .evaluate(&Workload::inference(net, 1)).unwrap();
//! assert!(report.latency.value() > 0.0);
//! ```
#![forbid(unsafe_code)]

pub mod compare;
mod preset;
pub mod reference;
pub mod sweep;

pub use pimzoo_core::*;
pub use pimzoo_tech as tech;
pub use preset::{Catalog, Family, PresetData, PresetError};

/// Every built-in preset, registered under its id.
pub fn builtin_registry() -> Registry {
    Catalog::builtin().registry()
}

/// Parse and build a preset of any built-in family; `origin` names it in errors.
pub fn load_preset(text: &str, origin: &str) -> Result<Box<dyn Accelerator>, PresetError> {
    Catalog::builtin().load(text, origin)
}

/// Load a preset file of any built-in family from disk.
pub fn load_preset_file(path: &std::path::Path) -> Result<Box<dyn Accelerator>, PresetError> {
    Catalog::builtin().load_file(path)
}

/// The embedded preset files of the built-in families as `(origin, text)`.
pub fn builtin_presets() -> Vec<(&'static str, &'static str)> {
    Catalog::builtin().files().copied().collect()
}

/// The README's Rust example compiles and runs as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
