//! Parameter presets: the RON files of `fixtures/configs/<family>/`, embedded.
//!
//! A preset file holds one externally tagged variant of [`Preset`], for
//! example `Gpu(id: "gpu/v100", ...)`; every value carries its source in a
//! comment. Each architecture crate owns its preset type (`preset::Config`)
//! and its embedded files (`preset::FILES`); this module only joins them.
use pimzoo_core::Accelerator;
use pimzoo_tech::gpu::{Gpu, GpuSpec};
use serde::Deserialize;

/// `(origin, RON text)` of the GPU presets (the GPU model lives in `pimzoo-tech`).
const GPU_FILES: &[(&str, &str)] = &[
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

/// Every family's embedded presets, in the order the registry lists them.
const FILES: &[&[(&str, &str)]] = &[
    GPU_FILES,
    pimzoo_gradpim::preset::FILES,
    pimzoo_compact::preset::FILES,
    pimzoo_neuralpim::preset::FILES,
    pimzoo_repast::preset::FILES,
    pimzoo_ntx::preset::FILES,
];

/// The configuration of one built-in or user-written accelerator: the
/// variant names the family. (Boxed: the configurations differ widely in size.)
#[derive(Clone, Debug, Deserialize)]
pub enum Preset {
    Gpu(Box<GpuSpec>),
    GradPim(Box<pimzoo_gradpim::preset::Config>),
    Compact(Box<pimzoo_compact::preset::Config>),
    NeuralPim(Box<pimzoo_neuralpim::preset::Config>),
    Repast(Box<pimzoo_repast::preset::Config>),
    Ntx(Box<pimzoo_ntx::preset::Config>),
}

impl Preset {
    /// Build the model the preset describes.
    pub fn build(self) -> Result<Box<dyn Accelerator>, String> {
        match self {
            Preset::Gpu(spec) => Ok(Box::new(Gpu::new(*spec)?)),
            Preset::GradPim(c) => c.build(),
            Preset::Compact(c) => c.build(),
            Preset::NeuralPim(c) => c.build(),
            Preset::Repast(c) => c.build(),
            Preset::Ntx(c) => c.build(),
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
pub fn builtin_presets() -> impl Iterator<Item = &'static (&'static str, &'static str)> {
    FILES.iter().flat_map(|files| files.iter())
}

/// The built-in GPU preset with this id, as its concrete type (for the GPU
/// kernels of the reference data that are not network layers).
pub(crate) fn gpu(id: &str) -> Result<Gpu, String> {
    for (origin, text) in GPU_FILES {
        if let Ok(Preset::Gpu(spec)) = pimzoo_ir::ron_options().from_str::<Preset>(text) {
            if pimzoo_ir::normalize_name(&spec.id) == pimzoo_ir::normalize_name(id) {
                return Gpu::new(*spec).map_err(|m| format!("{origin}: {m}"));
            }
        }
    }
    Err(format!("`{id}` is not a built-in GPU preset"))
}
