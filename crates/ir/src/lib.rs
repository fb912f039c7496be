//! The neural-network layer IR of pimzoo.
//!
//! A [`Network`] is a list of layers in topological order. Each layer names its
//! inputs (by default the previous layer), so residual additions and
//! concatenations are expressible. Loading a network infers every tensor shape
//! and fails with an [`IrError`] that names the layer, and for RON text the line
//! and column, when anything is inconsistent. Work counts per layer and per
//! training phase ([`LayerWork`]) are computed once, at load time.
//!
//! The format and the counting rules are documented in `docs/ir.md`.
#![forbid(unsafe_code)]

pub mod dataset;
mod error;
mod infer;
mod network;
pub mod onnx;
mod op;
mod shape;
mod text;
mod work;
pub mod zoo;

pub use error::{IrError, SyntaxError};
pub use network::{Layer, LayerSpec, Network, NetworkSpec, INPUT};
pub use op::{ActivationKind, Conv2d, Hw, Lstm, MatMul, NormKind, Op, Pool, PoolKind, PoolWindow};
pub use shape::TensorShape;
pub use text::{load_network_file, normalize_name, parse_network, parse_ron, ron_options};
pub use work::{LayerWork, NetworkWork, Phase};
