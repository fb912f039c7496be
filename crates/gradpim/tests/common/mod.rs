//! The embedded presets, read as the facade reads them.
#![allow(dead_code)]
use pimzoo_gradpim::preset::{Config, FILES};
use pimzoo_gradpim::GradPim;

#[derive(serde::Deserialize)]
enum Preset {
    GradPim(Config),
}

/// The configuration of the preset `gradpim/<name>`.
pub fn config(name: &str) -> Config {
    let (origin, text) = FILES
        .iter()
        .find(|(o, _)| o.ends_with(&format!("/{name}.ron")))
        .unwrap_or_else(|| panic!("no preset {name}"));
    let Preset::GradPim(c) = pimzoo_ir::parse_ron(text, origin).unwrap_or_else(|e| panic!("{e}"));
    c
}

pub fn model(name: &str) -> GradPim {
    GradPim::new(config(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

pub const SYSTEMS: [&str; 4] = ["baseline", "v1", "v2", "tensordimm"];

/// The five networks of the paper's averages.
pub const PAPER_NETWORKS: [&str; 5] = [
    "resnet18",
    "resnet50",
    "mobilenet-v2",
    "mlp1",
    "alphagozero",
];
