//! The built-in GPU presets (`fixtures/configs/gpu/`): the one list that the
//! facade, other models' baselines and the tests all read.
use super::{Gpu, GpuSpec};
use pimzoo_ir::SyntaxError;
use serde::Deserialize;

/// `(origin, RON text)` of every built-in GPU preset.
pub const PRESET_FILES: &[(&str, &str)] = &[
    (
        "fixtures/configs/gpu/v100.ron",
        include_str!("../../../../fixtures/configs/gpu/v100.ron"),
    ),
    (
        "fixtures/configs/gpu/titanx-pascal.ron",
        include_str!("../../../../fixtures/configs/gpu/titanx-pascal.ron"),
    ),
    (
        "fixtures/configs/gpu/h200.ron",
        include_str!("../../../../fixtures/configs/gpu/h200.ron"),
    ),
];

/// A GPU preset file as written: `Gpu(...)`.
#[derive(Deserialize)]
enum PresetFile {
    Gpu(GpuSpec),
}

/// Parse the text of a GPU preset file; errors carry `origin`, line and column.
pub fn parse_preset(text: &str, origin: &str) -> Result<GpuSpec, SyntaxError> {
    let PresetFile::Gpu(spec) = pimzoo_ir::parse_ron(text, origin)?;
    Ok(spec)
}

/// The built-in GPU model with this id (`gpu/v100`; case, `-` and `_` ignored).
pub fn builtin(id: &str) -> Result<Gpu, String> {
    let key = pimzoo_ir::normalize_name(id);
    let mut known = Vec::new();
    for (origin, text) in PRESET_FILES {
        let spec = parse_preset(text, origin).map_err(|e| e.to_string())?;
        if pimzoo_ir::normalize_name(&spec.id) == key {
            return Gpu::new(spec).map_err(|m| format!("{origin}: {m}"));
        }
        known.push(spec.id);
    }
    Err(format!(
        "`{id}` is not a built-in GPU preset; known: {}",
        known.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_builtin_preset_builds_and_unknown_ids_list_the_known() {
        for (origin, text) in super::PRESET_FILES {
            let spec = super::parse_preset(text, origin).unwrap();
            assert!(super::builtin(&spec.id).is_ok(), "{origin}");
        }
        let e = super::builtin("gpu/a100").err().unwrap();
        assert!(e.contains("gpu/h200"), "{e}");
    }
}
