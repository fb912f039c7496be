//! Parameter presets: the RON files of `fixtures/configs/<family>/`, embedded.
//!
//! A preset file holds one externally tagged variant of [`Preset`], for
//! example `Gpu(id: "gpu/v100", ...)`; every value carries its source in a
//! comment. Adding an architecture adds one variant here.
use pimzoo_core::Accelerator;
use pimzoo_tech::gpu::{Gpu, GpuSpec};
use serde::Deserialize;

/// `(origin, RON text)` of every built-in preset.
pub(crate) const FILES: &[(&str, &str)] = &[
    (
        "fixtures/configs/gpu/v100.ron",
        include_str!("../../../fixtures/configs/gpu/v100.ron"),
    ),
    (
        "fixtures/configs/gpu/titanx-pascal.ron",
        include_str!("../../../fixtures/configs/gpu/titanx-pascal.ron"),
    ),
    (
        "fixtures/configs/gpu/h200.ron",
        include_str!("../../../fixtures/configs/gpu/h200.ron"),
    ),
];

/// The configuration of one built-in or user-written accelerator.
#[derive(Clone, Debug, Deserialize)]
pub enum Preset {
    Gpu(GpuSpec),
}

impl Preset {
    /// Build the model the preset describes.
    pub fn build(self) -> Result<Box<dyn Accelerator>, String> {
        match self {
            Preset::Gpu(spec) => Ok(Box::new(Gpu::new(spec)?)),
        }
    }
}

/// A preset that cannot be read or built; the message names the file, and
/// the line and column where the text is at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PresetError {
    #[error(transparent)]
    Syntax(#[from] pimzoo_ir::SyntaxError),
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
    #[error("cannot read preset file `{path}`: {message}")]
    Io { path: String, message: String },
}

/// Parse and build a preset from RON text; `origin` names it in errors.
pub fn load_preset(text: &str, origin: &str) -> Result<Box<dyn Accelerator>, PresetError> {
    let preset: Preset = pimzoo_ir::parse_ron(text, origin)?;
    preset.build().map_err(|message| PresetError::Invalid {
        origin: origin.to_string(),
        message,
    })
}

/// Load a preset file from disk.
pub fn load_preset_file(path: &std::path::Path) -> Result<Box<dyn Accelerator>, PresetError> {
    let text = std::fs::read_to_string(path).map_err(|e| PresetError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    load_preset(&text, &path.display().to_string())
}

/// The embedded preset files as `(origin, text)`, for listings and tests.
pub fn builtin_presets() -> &'static [(&'static str, &'static str)] {
    FILES
}

/// The built-in GPU preset with this id, as its concrete type (for the GPU
/// kernels of the reference data that are not network layers).
pub(crate) fn gpu(id: &str) -> Result<Gpu, String> {
    for (origin, text) in FILES {
        if let Ok(Preset::Gpu(spec)) = pimzoo_ir::ron_options().from_str::<Preset>(text) {
            if pimzoo_ir::normalize_name(&spec.id) == pimzoo_ir::normalize_name(id) {
                return Gpu::new(spec).map_err(|m| format!("{origin}: {m}"));
            }
        }
    }
    Err(format!("`{id}` is not a built-in GPU preset"))
}
