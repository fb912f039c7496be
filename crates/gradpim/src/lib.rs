//! pimzoo model of GradPIM (Kim et al., HPCA 2021): DDR4 bank-group processing-in-memory for the optimizer update.
//!
//! Not built yet (issue 5): the crate holds the integration points the
//! facade uses, so that the model lands without touching other crates.
#![forbid(unsafe_code)]

pub mod preset {
    use pimzoo_core::Accelerator;
    use serde::Deserialize;

    /// The body of a `fixtures/configs/gradpim/*.ron` preset.
    #[derive(Clone, Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Config {}

    impl Config {
        /// Build the model the preset describes.
        pub fn build(self) -> Result<Box<dyn Accelerator>, String> {
            Err("the gradpim model is not built yet".into())
        }
    }

    /// `(origin, RON text)` of the built-in presets.
    pub const FILES: &[(&str, &str)] = &[];
}

/// `(origin, RON text)` of this model's reference sets (`fixtures/reference/`).
pub const REFERENCE_FILES: &[(&str, &str)] = &[];
