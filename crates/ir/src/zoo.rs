//! The built-in model zoo: the RON files of `fixtures/networks/`, embedded
//! in the binary so that every command works without the source tree.
use crate::{normalize_name, parse_network, IrError, Network};

macro_rules! zoo {
    ($($file:literal),* $(,)?) => {
        /// `(file stem, RON text)` of every zoo network.
        pub const FILES: &[(&str, &str)] = &[
            $(($file, include_str!(concat!("../../../fixtures/networks/", $file, ".ron")))),*
        ];
    };
}

zoo!["lenet5"];

/// The names of all zoo networks, as their files name them.
pub fn names() -> Vec<&'static str> {
    FILES.iter().map(|(n, _)| *n).collect()
}

/// Load a zoo network. Names are compared ignoring case, `-` and `_`.
pub fn get(name: &str) -> Result<Network, IrError> {
    let key = normalize_name(name);
    match FILES.iter().find(|(n, _)| normalize_name(n) == key) {
        Some((file, text)) => parse_network(text, &format!("fixtures/networks/{file}.ron")),
        None => Err(IrError::UnknownNetwork {
            name: name.to_string(),
            known: names().into_iter().map(String::from).collect(),
        }),
    }
}

/// Every zoo network, loaded.
pub fn all() -> Result<Vec<Network>, IrError> {
    names().into_iter().map(get).collect()
}
