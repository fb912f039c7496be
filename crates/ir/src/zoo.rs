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

zoo![
    "lenet5",
    "alexnet",
    "vgg8-cifar10",
    "vgg13",
    "vgg16",
    "vgg19",
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet101",
    "resnet152",
    "googlenet",
    "bn-inception",
    "mobilenet-v2",
    "msra-1",
    "msra-2",
    "msra-3",
    "neuraltalk",
    "mlp0",
    "mlp1",
    "alphagozero",
    "alphagozero-40",
    "autoencoder",
    "bert-base",
    "lenet5-cifar10",
    "alexnet-cifar10",
    "resnet18-cifar10",
    "densenet40",
    "resnet18-cifar100",
    "resnet34-cifar100",
    "resnet50-cifar100",
    "resnet101-cifar100",
    "resnet152-cifar100",
];

/// Other names of zoo networks: `(alias, file stem)`. Both sides are compared
/// after [`normalize_name`], so spelling variants need no entry of their own.
pub const ALIASES: &[(&str, &str)] = &[("vgg8", "vgg8-cifar10"), ("inception-v2", "bn-inception")];

/// The names of all zoo networks, as their files name them.
pub fn names() -> Vec<&'static str> {
    FILES.iter().map(|(n, _)| *n).collect()
}

/// Load a zoo network by file stem or [`ALIASES`] entry. Names are compared
/// ignoring case, `-` and `_`.
pub fn get(name: &str) -> Result<Network, IrError> {
    let mut key = normalize_name(name);
    if let Some((_, target)) = ALIASES.iter().find(|(a, _)| normalize_name(a) == key) {
        key = normalize_name(target);
    }
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
