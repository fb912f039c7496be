//! Shape inference and work counts, one rule per operation.
use crate::op::{ActivationKind, Conv2d, Hw, Lstm, MatMul, NormKind, Op, Pool, PoolWindow};
use crate::work::LayerWork;
use crate::{IrError, TensorShape};

type Sources<'a> = [(&'a str, &'a TensorShape)];

/// Infer the output shape of one layer and count its per-sample work.
pub(crate) fn infer_layer(
    layer: &str,
    op: &Op,
    sources: &Sources<'_>,
) -> Result<(TensorShape, LayerWork), IrError> {
    let err = |m: String| IrError::layer(layer, op.kind(), m);
    let (min, max) = op.arity();
    if sources.len() < min || sources.len() > max {
        let want = if min == max {
            format!("{min}")
        } else {
            format!("at least {min}")
        };
        return Err(err(format!(
            "takes {want} input(s), found {}",
            sources.len()
        )));
    }
    for (name, shape) in sources {
        if shape.elements() > MAX_COUNT || shape.dims().iter().any(|&d| d as u64 > MAX_SIZE) {
            return Err(err(format!(
                "input `{name}` of shape {shape} is larger than pimzoo counts (at most {MAX_SIZE} per dimension, {MAX_COUNT} elements)"
            )));
        }
    }
    for (field, v) in op_sizes(op) {
        if v as u64 > MAX_SIZE {
            return Err(err(format!("`{field}` = {v} is larger than {MAX_SIZE}")));
        }
    }
    let (src, x) = sources[0];
    let mut work = match op {
        Op::Conv2d(c) => conv2d(c, src, x).map_err(err)?,
        Op::Linear {
            out,
            in_features,
            bias,
        } => linear(*out, *in_features, *bias, src, x).map_err(err)?,
        Op::MatMul(m) => matmul(m, sources).map_err(err)?,
        Op::Pool(p) => pool(p, x).map_err(err)?,
        Op::Activation(kind) => activation(*kind, x).map_err(err)?,
        Op::Norm(kind) => norm(*kind, x).map_err(err)?,
        Op::Add => add(sources).map_err(err)?,
        Op::Concat { axis } => concat(*axis, sources).map_err(err)?,
        Op::Flatten => Counted::plain(TensorShape::new(vec![x.elements() as usize])),
        Op::Embedding { vocab, dim } => embedding(*vocab, *dim, x).map_err(err)?,
        Op::Lstm(l) => lstm(l, x).map_err(err)?,
        Op::Softmax => {
            // max, subtract and exponentiate, sum, divide: about 4 per element.
            let mut c = Counted::plain(x.clone());
            c.work.vector_ops = 4 * x.elements();
            c
        }
    };
    if work.shape.elements() > MAX_COUNT {
        return Err(err(format!(
            "its output {} is larger than pimzoo counts ({MAX_COUNT} elements)",
            work.shape
        )));
    }
    work.work.input_activations = sources.iter().map(|(_, s)| s.elements()).sum();
    work.work.output_activations = work.shape.elements();
    // Until the graph says otherwise, every layer passes its gradient back.
    let w = &mut work.work;
    if w.backward_data_macs == 0 {
        w.backward_data_macs = if op.has_weights() { w.macs } else { 0 };
    }
    if w.backward_data_vector_ops == 0 {
        w.backward_data_vector_ops = w.vector_ops;
    }
    if op.has_weights() {
        w.backward_weight_macs = w.macs;
    }
    Ok((work.shape, work.work))
}

/// The largest size of one dimension or parameter, and the largest count
/// (elements, weights, MACs) of one layer. Far beyond any real network; they
/// keep every product inside 64 bits.
pub(crate) const MAX_SIZE: u64 = 1 << 32;
const MAX_COUNT: u64 = 1 << 56;

/// A product of sizes as a count, or an error when it is out of range.
fn count(factors: &[u64]) -> Result<u64, String> {
    let v = factors
        .iter()
        .fold(1u128, |acc, &f| acc.saturating_mul(f as u128));
    if v > MAX_COUNT as u128 {
        Err(format!(
            "its work ({v}) is larger than pimzoo counts ({MAX_COUNT})"
        ))
    } else {
        Ok(v as u64)
    }
}

/// The numeric fields of an operation, for the range check.
fn op_sizes(op: &Op) -> Vec<(&'static str, usize)> {
    let hw = |name: &'static str, v: Hw| [(name, v.h), (name, v.w)];
    match op {
        Op::Conv2d(c) => {
            let mut v = vec![("out", c.out), ("groups", c.groups)];
            v.extend(hw("kernel", c.kernel));
            v.extend(hw("stride", c.stride));
            v.extend(hw("padding", c.padding));
            v.extend(hw("dilation", c.dilation));
            v
        }
        Op::Linear { out, .. } => vec![("out", *out)],
        Op::MatMul(m) => vec![("heads", m.heads)],
        Op::Pool(p) => {
            let mut v: Vec<(&'static str, usize)> = hw("padding", p.padding).to_vec();
            for (name, x) in [
                ("kernel", p.kernel),
                ("stride", p.stride),
                ("output", p.output),
            ] {
                if let Some(x) = x {
                    v.extend(hw(name, x));
                }
            }
            v
        }
        Op::Concat { axis } => vec![("axis", *axis)],
        Op::Embedding { vocab, dim } => vec![("vocab", *vocab), ("dim", *dim)],
        Op::Lstm(l) => vec![("hidden", l.hidden)],
        Op::Activation(_) | Op::Norm(_) | Op::Add | Op::Flatten | Op::Softmax => Vec::new(),
    }
}

struct Counted {
    shape: TensorShape,
    work: LayerWork,
}

impl Counted {
    fn plain(shape: TensorShape) -> Self {
        Counted {
            shape,
            work: LayerWork::default(),
        }
    }
}

fn positive(what: &str, v: usize) -> Result<(), String> {
    if v == 0 {
        Err(format!("`{what}` must be positive, found 0"))
    } else {
        Ok(())
    }
}

fn positive_hw(what: &str, v: Hw) -> Result<(), String> {
    if v.h == 0 || v.w == 0 {
        Err(format!(
            "`{what}` must be positive, found ({}, {})",
            v.h, v.w
        ))
    } else {
        Ok(())
    }
}

fn feature_map(x: &TensorShape, src: &str) -> Result<(usize, usize, usize), String> {
    match *x.dims() {
        [c, h, w] => Ok((c, h, w)),
        _ => Err(format!(
            "needs a [C, H, W] feature map, but input `{src}` gives {x}"
        )),
    }
}

/// Output length of a sliding window along one axis.
fn window_out(
    len: usize,
    kernel: usize,
    stride: usize,
    pad: usize,
    dilation: usize,
    ceil: bool,
) -> Option<usize> {
    let span = dilation.saturating_mul(kernel - 1).saturating_add(1);
    let padded = len.saturating_add(pad.saturating_mul(2));
    if padded < span {
        return None;
    }
    let room = padded - span;
    let mut out = if ceil {
        room.div_ceil(stride) + 1
    } else {
        room / stride + 1
    };
    // As PyTorch and Caffe: the last window must start inside the input or left padding.
    if ceil && (out - 1).saturating_mul(stride) >= len.saturating_add(pad) {
        out -= 1;
    }
    Some(out)
}

fn conv2d(c: &Conv2d, src: &str, x: &TensorShape) -> Result<Counted, String> {
    let (cin, h, w) = feature_map(x, src)?;
    positive("out", c.out)?;
    positive("groups", c.groups)?;
    positive_hw("kernel", c.kernel)?;
    positive_hw("stride", c.stride)?;
    positive_hw("dilation", c.dilation)?;
    if let Some(declared) = c.in_channels {
        if declared != cin {
            return Err(format!(
                "expects {declared} input channels, but input `{src}` gives {cin} (shape {x})"
            ));
        }
    }
    if cin % c.groups != 0 || c.out % c.groups != 0 {
        return Err(format!(
            "groups = {} must divide the input channels ({cin}, from `{src}`) and the output channels ({})",
            c.groups, c.out
        ));
    }
    let out_len = |len, k, s, p, d, axis| {
        window_out(len, k, s, p, d, false).ok_or_else(|| {
            format!("the {axis} of input `{src}` ({len}, padded by {p} on each side) is smaller than the dilated kernel")
        })
    };
    let ho = out_len(
        h,
        c.kernel.h,
        c.stride.h,
        c.padding.h,
        c.dilation.h,
        "height",
    )?;
    let wo = out_len(
        w,
        c.kernel.w,
        c.stride.w,
        c.padding.w,
        c.dilation.w,
        "width",
    )?;
    let weights = count(&[c.out as u64, (cin / c.groups) as u64, c.kernel.area()])?;
    let macs = count(&[ho as u64, wo as u64, weights])?;
    Ok(Counted {
        shape: TensorShape::new(vec![c.out, ho, wo]),
        work: LayerWork {
            macs,
            weights,
            params: weights + if c.bias { c.out as u64 } else { 0 },
            ..Default::default()
        },
    })
}

fn linear(
    out: usize,
    declared: Option<usize>,
    bias: bool,
    src: &str,
    x: &TensorShape,
) -> Result<Counted, String> {
    positive("out", out)?;
    let (rows, features) = match *x.dims() {
        [d] => (1, d),
        [s, d] => (s, d),
        _ => {
            return Err(format!(
                "needs a [D] vector or [S, D] sequence, but input `{src}` gives {x}; add a Flatten layer before it"
            ))
        }
    };
    if let Some(declared) = declared {
        if declared != features {
            return Err(format!(
                "expects {declared} input features, but input `{src}` gives {features} (shape {x})"
            ));
        }
    }
    let weights = count(&[features as u64, out as u64])?;
    let macs = count(&[rows as u64, weights])?;
    let mut dims = x.dims().to_vec();
    *dims.last_mut().expect("rank checked above") = out;
    Ok(Counted {
        shape: TensorShape::new(dims),
        work: LayerWork {
            macs,
            weights,
            params: weights + if bias { out as u64 } else { 0 },
            ..Default::default()
        },
    })
}

fn matmul(m: &MatMul, sources: &Sources<'_>) -> Result<Counted, String> {
    positive("heads", m.heads)?;
    let ((na, a), (nb, b)) = (sources[0], sources[1]);
    let two_d = |name: &str, s: &TensorShape| match *s.dims() {
        [r, c] => Ok((r, c)),
        _ => Err(format!(
            "needs [rows, columns] operands, but `{name}` gives {s}"
        )),
    };
    let (rows, a_cols) = two_d(na, a)?;
    let (b_rows, b_cols) = two_d(nb, b)?;
    let heads = m.heads;
    if a_cols % heads != 0 {
        return Err(format!(
            "`{na}` has {a_cols} columns, not a multiple of {heads} heads"
        ));
    }
    let k = a_cols / heads;
    let n = if m.transpose_b {
        if b_cols != a_cols {
            return Err(format!(
                "with transpose_b both operands need the same columns: `{na}` gives {a}, `{nb}` gives {b}"
            ));
        }
        b_rows
    } else {
        if b_rows != k || b_cols % heads != 0 {
            return Err(format!(
                "`{nb}` ({b}) must be [{k}, {heads} x N] to multiply `{na}` ({a}) per head"
            ));
        }
        b_cols / heads
    };
    let macs = count(&[heads as u64, rows as u64, n as u64, k as u64])?;
    Ok(Counted {
        shape: TensorShape::new(vec![rows, heads * n]),
        work: LayerWork {
            macs,
            // Both operands receive a gradient.
            backward_data_macs: 2 * macs,
            ..Default::default()
        },
    })
}

fn pool(p: &Pool, x: &TensorShape) -> Result<Counted, String> {
    let (c, h, w) = feature_map(x, "input")?;
    let window = p.window()?;
    // Max and average pooling both cost one operation per window element.
    let (ho, wo, per_output) = match window {
        PoolWindow::Sliding {
            kernel,
            stride,
            padding,
            ceil_mode,
        } => {
            positive_hw("kernel", kernel)?;
            positive_hw("stride", stride)?;
            if padding.h * 2 > kernel.h || padding.w * 2 > kernel.w {
                return Err(format!(
                    "padding ({}, {}) must be at most half the kernel ({}, {})",
                    padding.h, padding.w, kernel.h, kernel.w
                ));
            }
            let ho = window_out(h, kernel.h, stride.h, padding.h, 1, ceil_mode);
            let wo = window_out(w, kernel.w, stride.w, padding.w, 1, ceil_mode);
            match (ho, wo) {
                (Some(ho), Some(wo)) => (ho, wo, kernel.area()),
                _ => {
                    return Err(format!(
                        "kernel ({}, {}) is larger than the padded input {x}",
                        kernel.h, kernel.w
                    ))
                }
            }
        }
        PoolWindow::Adaptive(out) => {
            positive_hw("output", out)?;
            // Each output reads about (H/out) x (W/out) inputs.
            let per = (h.div_ceil(out.h) * w.div_ceil(out.w)) as u64;
            (out.h, out.w, per)
        }
        PoolWindow::Global => (1, 1, (h * w) as u64),
    };
    let outputs = count(&[c as u64, ho as u64, wo as u64])?;
    Ok(Counted {
        shape: TensorShape::new(vec![c, ho, wo]),
        work: LayerWork {
            vector_ops: count(&[outputs, per_output])?,
            ..Default::default()
        },
    })
}

fn activation(kind: ActivationKind, x: &TensorShape) -> Result<Counted, String> {
    let params = match kind {
        // One slope per channel: the first dimension of a feature map, the
        // last of a vector or sequence.
        ActivationKind::Prelu if x.rank() == 3 => x.dims()[0] as u64,
        ActivationKind::Prelu => x.last() as u64,
        _ => 0,
    };
    Ok(Counted {
        shape: x.clone(),
        work: LayerWork {
            params,
            vector_ops: x.elements(),
            ..Default::default()
        },
    })
}

fn norm(kind: NormKind, x: &TensorShape) -> Result<Counted, String> {
    let (params, per_element) = match kind {
        // Inference folds batch norm into a scale and a shift.
        NormKind::Batch if x.rank() == 3 => (2 * x.dims()[0] as u64, 2),
        NormKind::Batch => (2 * x.last() as u64, 2),
        // Mean, variance, normalise, scale, shift.
        NormKind::Layer => (2 * x.last() as u64, 5),
        // Square, windowed sum over 5 channels, power, divide.
        NormKind::LocalResponse => (0, 8),
    };
    Ok(Counted {
        shape: x.clone(),
        work: LayerWork {
            params,
            vector_ops: per_element * x.elements(),
            ..Default::default()
        },
    })
}

fn add(sources: &Sources<'_>) -> Result<Counted, String> {
    let (first, shape) = sources[0];
    for (name, s) in &sources[1..] {
        if *s != shape {
            return Err(format!(
                "inputs must have the same shape, but `{first}` gives {shape} and `{name}` gives {s}"
            ));
        }
    }
    Ok(Counted {
        shape: shape.clone(),
        work: LayerWork {
            vector_ops: (sources.len() as u64 - 1) * shape.elements(),
            ..Default::default()
        },
    })
}

fn concat(axis: usize, sources: &Sources<'_>) -> Result<Counted, String> {
    let (first, shape) = sources[0];
    if axis >= shape.rank() {
        return Err(format!(
            "axis {axis} does not exist in input `{first}` of shape {shape}"
        ));
    }
    let mut dims = shape.dims().to_vec();
    dims[axis] = 0;
    for (name, s) in sources {
        let same_rest = s.rank() == shape.rank()
            && (0..shape.rank()).all(|d| d == axis || s.dims()[d] == shape.dims()[d]);
        if !same_rest {
            return Err(format!(
                "inputs must agree on every axis but {axis}: `{first}` gives {shape} and `{name}` gives {s}"
            ));
        }
        dims[axis] += s.dims()[axis];
    }
    Ok(Counted::plain(TensorShape::new(dims)))
}

fn embedding(vocab: usize, dim: usize, x: &TensorShape) -> Result<Counted, String> {
    positive("vocab", vocab)?;
    positive("dim", dim)?;
    let tokens = match *x.dims() {
        [s] => s,
        _ => return Err(format!("needs token ids [S], found {x}")),
    };
    Ok(Counted {
        shape: TensorShape::new(vec![tokens, dim]),
        work: LayerWork {
            params: count(&[vocab as u64, dim as u64])?,
            ..Default::default()
        },
    })
}

fn lstm(l: &Lstm, x: &TensorShape) -> Result<Counted, String> {
    positive("hidden", l.hidden)?;
    let (steps, features) = match *x.dims() {
        [t, d] => (t, d),
        [d] => (1, d),
        _ => return Err(format!("needs a [T, D] sequence, found {x}")),
    };
    let h = l.hidden;
    let rows = features + h + usize::from(l.bias_folded);
    let weights = count(&[rows as u64, 4, h as u64])?;
    let macs = count(&[steps as u64, weights])?;
    Ok(Counted {
        shape: TensorShape::new(vec![steps, h]),
        work: LayerWork {
            macs,
            weights,
            params: weights + if l.bias_folded { 0 } else { 4 * h as u64 },
            // Per step and hidden unit: 3 sigmoids, 2 tanh, 3 products, 1 sum.
            vector_ops: count(&[9, steps as u64, h as u64])?,
            backward_data_macs: macs,
            ..Default::default()
        },
    })
}
