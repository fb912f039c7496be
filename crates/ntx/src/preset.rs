//! The preset files of `fixtures/configs/ntx/` and how they become models.
//!
//! A preset describes a cube (`cube: (...)`) or refers to a built-in one
//! (`base: "ntx/cube"`) and adds a mesh (`mesh: (...)`), so the cube's
//! parameters live in one file.
use crate::cube::{Cube, CubeSpec};
use crate::mesh::MeshSpec;
use crate::model::Ntx;
use pimzoo_core::units::Bytes;
use pimzoo_core::Accelerator;
use serde::{Deserialize, Serialize};

/// The body of a `fixtures/configs/ntx/*.ron` preset.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `ntx/<name>`.
    pub id: String,
    pub name: String,
    /// A built-in preset whose cube this one uses.
    #[serde(default)]
    pub base: Option<String>,
    #[serde(default)]
    pub cube: Option<CubeSpec>,
    /// Overrides of the cube's cluster count, ...
    #[serde(default)]
    pub clusters: Option<u32>,
    /// ... vaults used ...
    #[serde(default)]
    pub vaults: Option<u32>,
    /// ... and TCDM size.
    #[serde(default)]
    pub tcdm: Option<Bytes>,
    /// Present for a mesh of cubes.
    #[serde(default)]
    pub mesh: Option<MeshSpec>,
}

/// A preset file as written: `Ntx(...)`.
#[derive(Deserialize)]
enum File {
    Ntx(Config),
}

fn builtin(id: &str) -> Result<Config, String> {
    for (origin, text) in FILES {
        let File::Ntx(c) = pimzoo_ir::ron_options()
            .from_str::<File>(text)
            .map_err(|e| format!("{origin}: {e}"))?;
        if pimzoo_ir::normalize_name(&c.id) == pimzoo_ir::normalize_name(id) {
            return Ok(c);
        }
    }
    let known: Vec<String> = FILES
        .iter()
        .filter_map(|(_, t)| pimzoo_ir::ron_options().from_str::<File>(t).ok())
        .map(|File::Ntx(c)| c.id)
        .collect();
    Err(format!(
        "`base: \"{id}\"` is not a built-in NTX preset; known: {}",
        known.join(", ")
    ))
}

impl Config {
    /// The cube this preset describes, from its own `cube` or its `base`.
    fn cube_spec(&self) -> Result<CubeSpec, String> {
        let mut spec = self.own_or_base_cube()?;
        if let Some(n) = self.clusters {
            spec.clusters = Some(n);
        }
        if let Some(v) = self.vaults {
            spec.vaults = v;
        }
        if let Some(t) = self.tcdm {
            spec.cluster.tcdm = t;
        }
        Ok(spec)
    }

    fn own_or_base_cube(&self) -> Result<CubeSpec, String> {
        match (&self.cube, &self.base) {
            (Some(c), None) => Ok(c.clone()),
            (None, Some(base)) => {
                let b = builtin(base)?;
                if b.base.is_some() {
                    return Err(format!(
                        "`base: \"{base}\"` itself has a base; name a preset with its own `cube`"
                    ));
                }
                b.cube
                    .ok_or_else(|| format!("`base: \"{base}\"` has no `cube`"))
            }
            (Some(_), Some(_)) => Err("give either `cube` or `base`, not both".into()),
            (None, None) => Err("give `cube: (...)` or `base: \"ntx/cube\"`".into()),
        }
    }

    /// Build the model the preset describes.
    pub fn build(self) -> Result<Box<dyn Accelerator>, String> {
        let at = |m: String| format!("NTX preset `{}`: {m}", self.id);
        if !self.id.starts_with("ntx/") || self.id.len() <= 4 {
            return Err(at(format!(
                "`id` must be `ntx/<name>`, found `{}`",
                self.id
            )));
        }
        let cube = Cube::new(self.cube_spec().map_err(at)?).map_err(at)?;
        let gpu = match self.mesh.as_ref().and_then(|m| m.gpu_system.as_ref()) {
            Some(g) => {
                if g.batch_per_gpu == 0 {
                    return Err(at(
                        "`mesh.gpu_system.batch_per_gpu` must be at least 1".into()
                    ));
                }
                Some(pimzoo_tech::gpu::builtin(&g.gpu).map_err(at)?)
            }
            None => None,
        };
        if let Some(m) = &self.mesh {
            crate::mesh::cube_mesh(&cube, m.cubes, m.topology, m.step_latency, false)
                .map_err(|e| at(format!("`mesh`: {e}")))?;
            if !(m.step_latency.value().is_finite() && m.step_latency.value() >= 0.0) {
                return Err(at("`mesh.step_latency` must be non-negative".into()));
            }
        }
        Ok(Box::new(Ntx::new(self.id, self.name, cube, self.mesh, gpu)))
    }
}

/// `(origin, RON text)` of the built-in presets, in listing order (the
/// first one's explanation stands for the family in `explain ntx`).
pub const FILES: &[(&str, &str)] = &[
    (
        "fixtures/configs/ntx/cube.ron",
        include_str!("../../../fixtures/configs/ntx/cube.ron"),
    ),
    (
        "fixtures/configs/ntx/cluster.ron",
        include_str!("../../../fixtures/configs/ntx/cluster.ron"),
    ),
    (
        "fixtures/configs/ntx/mesh-1024.ron",
        include_str!("../../../fixtures/configs/ntx/mesh-1024.ron"),
    ),
];
