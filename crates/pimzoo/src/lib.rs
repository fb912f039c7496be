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

pub use pimzoo_core::*;
pub use pimzoo_tech as tech;
pub use preset::{builtin_presets, load_preset, load_preset_file, Preset, PresetError};

/// Every built-in preset, registered under its id.
pub fn builtin_registry() -> Registry {
    let mut registry = Registry::new();
    for (origin, text) in builtin_presets() {
        // The presets are embedded and tested; a broken one is a bug in this
        // crate, caught by `tests/presets.rs`, so it is skipped here rather
        // than taking every other model down with it.
        if let Ok(model) = load_preset(text, origin) {
            let _ = registry.register(model);
        }
    }
    registry
}

/// The README's Rust example compiles and runs as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
