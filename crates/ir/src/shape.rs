use serde::{Deserialize, Serialize};
use std::fmt;

/// The shape of one sample's tensor (the batch dimension is never part of it).
///
/// Conventions: `[C, H, W]` for feature maps, `[S, D]` for token sequences and
/// time series, `[D]` for vectors, `[S]` for token ids.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TensorShape(pub Vec<usize>);

impl TensorShape {
    pub fn new(dims: impl Into<Vec<usize>>) -> Self {
        TensorShape(dims.into())
    }
    pub fn dims(&self) -> &[usize] {
        &self.0
    }
    pub fn rank(&self) -> usize {
        self.0.len()
    }
    /// Number of elements per sample (saturating; shape inference rejects
    /// tensors anywhere near that size).
    pub fn elements(&self) -> u64 {
        self.0
            .iter()
            .fold(1u64, |acc, &d| acc.saturating_mul(d as u64))
    }
    /// The last dimension (features of a vector or sequence); 0 for a scalar.
    pub fn last(&self) -> usize {
        self.0.last().copied().unwrap_or(0)
    }
}

impl fmt::Display for TensorShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|d| d.to_string()).collect();
        write!(f, "[{}]", parts.join(", "))
    }
}
