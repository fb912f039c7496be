//! Layer operations and their parameters, as written in RON.
use serde::{Deserialize, Serialize};

/// A height/width pair. In RON either one number for both (`3`) or a pair
/// `(3, 1)` in the order (height, width).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "HwText", into = "HwText")]
pub struct Hw {
    pub h: usize,
    pub w: usize,
}

impl Hw {
    pub const fn square(n: usize) -> Self {
        Hw { h: n, w: n }
    }
    pub const fn new(h: usize, w: usize) -> Self {
        Hw { h, w }
    }
    pub fn area(self) -> u64 {
        self.h as u64 * self.w as u64
    }
}

#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(untagged)]
enum HwText {
    Same(usize),
    Pair(usize, usize),
}

impl From<HwText> for Hw {
    fn from(t: HwText) -> Self {
        match t {
            HwText::Same(n) => Hw::square(n),
            HwText::Pair(h, w) => Hw::new(h, w),
        }
    }
}

impl From<Hw> for HwText {
    fn from(hw: Hw) -> Self {
        if hw.h == hw.w {
            HwText::Same(hw.h)
        } else {
            HwText::Pair(hw.h, hw.w)
        }
    }
}

fn one() -> Hw {
    Hw::square(1)
}
fn zero() -> Hw {
    Hw::square(0)
}
fn one_usize() -> usize {
    1
}
fn yes() -> bool {
    true
}
fn is_one(hw: &Hw) -> bool {
    *hw == Hw::square(1)
}
fn is_zero(hw: &Hw) -> bool {
    *hw == Hw::square(0)
}
fn is_one_usize(n: &usize) -> bool {
    *n == 1
}
fn is_true(b: &bool) -> bool {
    *b
}
fn is_false(b: &bool) -> bool {
    !*b
}

/// One layer's operation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Op {
    /// 2-D convolution on a `[C, H, W]` input.
    Conv2d(Conv2d),
    /// Fully connected layer on the last dimension of a `[D]` or `[S, D]` input.
    Linear {
        out: usize,
        /// Input features; optional, checked against the input when given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        in_features: Option<usize>,
        #[serde(default = "yes", skip_serializing_if = "is_true")]
        bias: bool,
    },
    /// Product of two activations (attention); no stationary weights.
    MatMul(MatMul),
    /// Max or average pooling on a `[C, H, W]` input.
    Pool(Pool),
    /// Element-wise nonlinearity.
    Activation(ActivationKind),
    /// Batch norm (per channel of `[C, H, W]`) or layer norm (over the last dimension).
    Norm(NormKind),
    /// Element-wise sum of two or more inputs of the same shape.
    Add,
    /// Concatenation along `axis` (0 = channels of a feature map).
    Concat {
        #[serde(default)]
        axis: usize,
    },
    /// Reshape to a vector `[C * H * W]`.
    Flatten,
    /// Table lookup: token ids `[S]` to vectors `[S, dim]`.
    Embedding { vocab: usize, dim: usize },
    /// LSTM over a `[T, D]` sequence, producing `[T, hidden]`.
    Lstm(Lstm),
    /// Softmax over the last dimension.
    Softmax,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conv2d {
    /// Output channels.
    pub out: usize,
    /// Input channels. Optional: shape inference knows them; when given, a
    /// mismatch with the input is an error that names both layers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_channels: Option<usize>,
    pub kernel: Hw,
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub stride: Hw,
    #[serde(default = "zero", skip_serializing_if = "is_zero")]
    pub padding: Hw,
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub dilation: Hw,
    #[serde(default = "one_usize", skip_serializing_if = "is_one_usize")]
    pub groups: usize,
    #[serde(default, skip_serializing_if = "is_false")]
    pub bias: bool,
}

/// `a x b` per head. `a` is `[M, heads * K]`. With `transpose_b` (as in Q K^T)
/// `b` is `[N, heads * K]`; otherwise (as in P V) `b` is `[K, heads * N]`.
/// The output is `[M, heads * N]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatMul {
    #[serde(default = "one_usize", skip_serializing_if = "is_one_usize")]
    pub heads: usize,
    #[serde(default, skip_serializing_if = "is_false")]
    pub transpose_b: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PoolKind {
    Max,
    Avg,
}

/// Pooling on a `[C, H, W]` input. Exactly one of `kernel` (a sliding window),
/// `output` (adaptive pooling to a fixed size, as PyTorch's `AdaptiveAvgPool2d`)
/// and `global: true` is given.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pool {
    pub kind: PoolKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel: Option<Hw>,
    /// Defaults to the kernel size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stride: Option<Hw>,
    #[serde(default = "zero", skip_serializing_if = "is_zero")]
    pub padding: Hw,
    /// Round the output size up (Caffe) instead of down (PyTorch default).
    #[serde(default, skip_serializing_if = "is_false")]
    pub ceil_mode: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Hw>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub global: bool,
}

/// Where a pooling layer's windows lie, resolved from [`Pool`]'s fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolWindow {
    Sliding {
        kernel: Hw,
        stride: Hw,
        padding: Hw,
        ceil_mode: bool,
    },
    Adaptive(Hw),
    Global,
}

impl Pool {
    /// The window, or a message saying which fields conflict.
    pub fn window(&self) -> Result<PoolWindow, String> {
        match (self.kernel, self.output, self.global) {
            (Some(kernel), None, false) => Ok(PoolWindow::Sliding {
                kernel,
                stride: self.stride.unwrap_or(kernel),
                padding: self.padding,
                ceil_mode: self.ceil_mode,
            }),
            (None, Some(out), false) => Ok(PoolWindow::Adaptive(out)),
            (None, None, true) => Ok(PoolWindow::Global),
            _ => Err("give exactly one of `kernel`, `output` (adaptive) or `global: true`".into()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActivationKind {
    Relu,
    Relu6,
    /// Channel-wise parametric ReLU: one trainable slope per channel.
    Prelu,
    Sigmoid,
    Tanh,
    Gelu,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NormKind {
    /// Batch norm with a trainable scale and shift per channel.
    Batch,
    /// Layer norm with a trainable scale and shift per feature.
    Layer,
    /// Local response normalisation (AlexNet, GoogLeNet); no parameters.
    LocalResponse,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lstm {
    pub hidden: usize,
    /// `true` when the bias is a constant-1 row of the gate matrix (NeuralTalk,
    /// EIE), so it is counted in weights and MACs; `false` for a separate bias
    /// vector of `4 * hidden` parameters.
    #[serde(default, skip_serializing_if = "is_false")]
    pub bias_folded: bool,
}

impl Op {
    /// The RON name of the operation, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Op::Conv2d(_) => "Conv2d",
            Op::Linear { .. } => "Linear",
            Op::MatMul(_) => "MatMul",
            Op::Pool(_) => "Pool",
            Op::Activation(_) => "Activation",
            Op::Norm(_) => "Norm",
            Op::Add => "Add",
            Op::Concat { .. } => "Concat",
            Op::Flatten => "Flatten",
            Op::Embedding { .. } => "Embedding",
            Op::Lstm(_) => "Lstm",
            Op::Softmax => "Softmax",
        }
    }

    /// Whether the layer holds weights that take part in multiply-accumulates
    /// (and so has a weight gradient).
    pub fn has_weights(&self) -> bool {
        matches!(self, Op::Conv2d(_) | Op::Linear { .. } | Op::Lstm(_))
    }

    /// How many inputs the operation takes: `(min, max)`.
    pub(crate) fn arity(&self) -> (usize, usize) {
        match self {
            Op::MatMul(_) => (2, 2),
            Op::Add | Op::Concat { .. } => (2, usize::MAX),
            _ => (1, 1),
        }
    }
}
