//! RON input and output of networks.
use crate::{IrError, Network, NetworkSpec, SyntaxError};
use serde::de::DeserializeOwned;

/// RON options shared by every pimzoo file: `Some(x)` may be written `x`.
pub fn ron_options() -> ron::Options {
    ron::Options::default().with_default_extension(
        ron::extensions::Extensions::IMPLICIT_SOME
            | ron::extensions::Extensions::UNWRAP_VARIANT_NEWTYPES,
    )
}

/// Parse any pimzoo RON file (network, preset, reference set) with the
/// shared extensions; errors carry `origin`, line and column.
pub fn parse_ron<T: DeserializeOwned>(text: &str, origin: &str) -> Result<T, SyntaxError> {
    ron_options().from_str(text).map_err(|e| SyntaxError {
        origin: origin.to_string(),
        line: e.span.start.line,
        column: e.span.start.col,
        message: e.code.to_string(),
    })
}

/// Parse and validate a network written in RON. `origin` (a file path or a
/// zoo name) prefixes every error message, which also carries the line and
/// column of a syntax error or the line of the offending layer.
pub fn parse_network(text: &str, origin: &str) -> Result<Network, IrError> {
    let spec: NetworkSpec = parse_ron(text, origin)?;
    Network::new(spec).map_err(|e| e.located(origin, Some(text)))
}

/// The form in which names are compared: lowercase, with `-` and `_` removed,
/// so `ResNet_18`, `resnet-18` and `resnet18` are one name.
pub fn normalize_name(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// Read, parse and validate a network file; errors name the path.
pub fn load_network_file(path: &std::path::Path) -> Result<Network, IrError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| IrError::Io {
        path: shown.clone(),
        message: e.to_string(),
    })?;
    parse_network(&text, &shown)
}
