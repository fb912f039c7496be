//! Layers onto loop nests: which commands each layer kind runs in each
//! training phase, how its tensors are tiled into the TCDM, and what moves
//! between the vaults and the clusters. `docs/models/ntx.md` lists every
//! mapping with its cycle formula.
pub mod conv;
pub mod gemm;
pub mod stream;

use crate::engine::{CommandError, Opcode};
use crate::schedule::{Machine, Plan};
use conv::ConvShape;
use gemm::Gemm;
use pimzoo_core::Optimizer;
use pimzoo_ir::{ActivationKind, Layer, NormKind, Op, Phase, PoolKind, PoolWindow};
use stream::Pass;

/// A layer the mapping cannot place on the engines.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MapError {
    #[error(transparent)]
    Command(#[from] CommandError),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    Unsupported(String),
}

/// `n, ceil(n/2), ceil(n/4), ...` down to 1, at most `max` values.
pub fn halvings(n: u64, max: usize) -> Vec<u64> {
    let mut v = Vec::with_capacity(max);
    let mut d = 1;
    while v.len() < max {
        let x = n.div_ceil(d).max(1);
        if v.last() != Some(&x) {
            v.push(x);
        }
        if x == 1 {
            break;
        }
        d *= 2;
    }
    v
}

/// What a layer's mapping depends on besides the layer.
pub struct Context<'a> {
    pub machine: Machine<'a>,
    /// Samples of the step on this cube.
    pub batch: f64,
    /// Training (batch statistics, saved argmax...) rather than inference.
    pub training: bool,
    pub optimizer: Option<&'a Optimizer>,
}

fn dims3(layer: &Layer) -> Option<(u64, u64, u64)> {
    match *layer.input_shapes.first()?.dims() {
        [c, h, w] => Some((c as u64, h as u64, w as u64)),
        _ => None,
    }
}

/// `(rows, features)` of a `[D]` or `[S, D]` tensor.
fn rows_features(dims: &[usize]) -> (u64, u64) {
    match *dims {
        [d] => (1, d as u64),
        [s, d] => (s as u64, d as u64),
        _ => (1, dims.iter().map(|&d| d as u64).product()),
    }
}

/// The plans of `layer` in `phase`; empty when nothing runs.
pub fn plans(ctx: &Context, layer: &Layer, phase: Phase) -> Result<Vec<Plan>, MapError> {
    let m = &ctx.machine;
    let b = ctx.batch;
    let w = &layer.work;
    let out = layer.output.elements() as f64 * b;
    let inp: f64 = layer
        .input_shapes
        .iter()
        .map(|s| s.elements() as f64)
        .sum::<f64>()
        * b;
    let has_data_grad = w.backward_data_macs > 0 || w.backward_data_vector_ops > 0;
    if phase == Phase::BackwardData && !has_data_grad {
        return Ok(Vec::new());
    }
    if phase == Phase::BackwardWeight && w.backward_weight_macs == 0 {
        return Ok(Vec::new());
    }
    if phase == Phase::Update {
        return update(ctx, layer);
    }
    let one = |p: Result<Plan, MapError>| p.map(|p| vec![p]);
    // Every IR layer has an input; say so rather than index blindly.
    let input = layer
        .input_shapes
        .first()
        .ok_or_else(|| MapError::Unsupported(format!("layer `{}` has no input", layer.name)))?;
    let unsupported = || {
        Err(MapError::Unsupported(format!(
            "layer `{}` ({}) has no NTX mapping",
            layer.name,
            layer.op.kind()
        )))
    };
    match &layer.op {
        Op::Conv2d(_) => {
            let Some(s) = ConvShape::of(layer) else {
                return unsupported();
            };
            match phase {
                Phase::Forward => one(conv::forward(m, "conv-fwd", &s, b)),
                Phase::BackwardData => {
                    let (_, h, w_in) = dims3(layer).unwrap_or((0, 0, 0));
                    let (phases, zero) = s.backward_data(h, w_in);
                    let mut v = Vec::new();
                    for (p, n) in phases {
                        v.push(conv::forward(m, "conv-bwd-data", &p, b * n as f64)?);
                    }
                    if zero > 0 {
                        v.push(stream::stream(
                            m,
                            "zero-fill",
                            zero as f64 * b,
                            &[Pass::Map(Opcode::Copy)],
                            1.0,
                            4.0,
                        )?);
                    }
                    Ok(v)
                }
                _ => one(conv::weight_gradient(m, "conv-wgrad", &s, b)),
            }
        }
        Op::Linear { out: o, .. } => {
            let (rows, d) = rows_features(input.dims());
            let n = (rows as f64 * b).round() as u64;
            let o = *o as u64;
            let g = match phase {
                Phase::Forward => Gemm {
                    m: o,
                    n,
                    k: d,
                    count: 1,
                },
                Phase::BackwardData => Gemm {
                    m: d,
                    n,
                    k: o,
                    count: 1,
                },
                _ => Gemm {
                    m: o,
                    n: d,
                    k: n,
                    count: 1,
                },
            };
            one(gemm::gemm(m, "gemm", g))
        }
        Op::MatMul(mm) => {
            let (rows, a_cols) = rows_features(input.dims());
            let (_, out_cols) = rows_features(layer.output.dims());
            let heads = mm.heads as u64;
            let (k, n) = (a_cols / heads, out_cols / heads);
            let count = heads * b.round() as u64;
            match phase {
                Phase::Forward => one(gemm::gemm(
                    m,
                    "gemm",
                    Gemm {
                        m: rows,
                        n,
                        k,
                        count,
                    },
                )),
                _ => Ok(vec![
                    gemm::gemm(
                        m,
                        "gemm",
                        Gemm {
                            m: rows,
                            n: k,
                            k: n,
                            count,
                        },
                    )?,
                    gemm::gemm(
                        m,
                        "gemm",
                        Gemm {
                            m: k,
                            n,
                            k: rows,
                            count,
                        },
                    )?,
                ]),
            }
        }
        Op::Lstm(l) => {
            let (steps, d) = rows_features(input.dims());
            let h = l.hidden as u64;
            let rows = d + h + u64::from(l.bias_folded);
            let nb = b.round() as u64;
            let gates = (4 * h) as f64 * b;
            let step = |g: Gemm, passes: &[Pass], core: f64| -> Result<Plan, MapError> {
                let mut p = gemm::gemm(m, "lstm-step", g)?;
                let e = stream::stream(m, "lstm-gates", gates, passes, 3.0, 12.0)?;
                p.groups.extend(e.groups);
                p.serial = steps as f64;
                p.core_elements = core;
                Ok(p)
            };
            match phase {
                // Gates: 3 sigmoids and 2 tanh on the core, 3 products and a
                // sum on the engines.
                Phase::Forward => one(step(
                    Gemm {
                        m: 4 * h,
                        n: nb,
                        k: rows,
                        count: 1,
                    },
                    &[Pass::Terms(Opcode::Mac, 2, true)],
                    5.0 * h as f64 * b,
                )),
                Phase::BackwardData => one(step(
                    Gemm {
                        m: rows,
                        n: nb,
                        k: 4 * h,
                        count: 1,
                    },
                    &[Pass::Terms(Opcode::Mac, 2, true), Pass::Map(Opcode::VMult)],
                    0.0,
                )),
                _ => one(gemm::gemm(
                    m,
                    "gemm",
                    Gemm {
                        m: 4 * h,
                        n: rows,
                        k: nb * steps,
                        count: 1,
                    },
                )),
            }
        }
        Op::Pool(p) => {
            let Some((c, hh, ww)) = dims3(layer) else {
                return unsupported();
            };
            let window = p.window().map_err(MapError::Unsupported)?;
            let taps = match window {
                PoolWindow::Sliding { kernel, .. } => kernel.area(),
                PoolWindow::Adaptive(o) => (hh.div_ceil(o.h as u64)) * (ww.div_ceil(o.w as u64)),
                PoolWindow::Global => hh * ww,
            };
            let ratio = (c * hh * ww) as f64 * b / out.max(1.0);
            match (p.kind, phase) {
                (PoolKind::Max, Phase::Forward) => {
                    // The max and, in training, its index for the backward pass.
                    let mut passes = vec![Pass::Terms(Opcode::MaxMin, taps, false)];
                    if ctx.training {
                        passes.push(Pass::Terms(Opcode::MaxMin, taps, false));
                    }
                    let idx = if ctx.training { 1.0 } else { 0.0 };
                    one(stream::stream(
                        m,
                        "pool",
                        out,
                        &passes,
                        ratio + 1.0 + idx,
                        4.0 * (ratio + 1.0 + idx),
                    ))
                }
                (PoolKind::Avg, Phase::Forward) => one(stream::stream(
                    m,
                    "pool",
                    out,
                    &[Pass::Terms(Opcode::Mac, taps, false)],
                    ratio + 1.0,
                    4.0 * (ratio + 1.0),
                )),
                (PoolKind::Max, _) => Ok(vec![
                    // Zero the input gradient, then route each output
                    // gradient to its argmax.
                    stream::stream(m, "zero-fill", inp, &[Pass::Map(Opcode::Copy)], 1.0, 4.0)?,
                    stream::stream(
                        m,
                        "pool-bwd",
                        out,
                        &[Pass::Terms(Opcode::MaskMac, taps, true)],
                        2.0 + ratio,
                        4.0 * (2.0 + 2.0 * ratio),
                    )?,
                ]),
                (PoolKind::Avg, _) => one(stream::stream(
                    m,
                    "pool-bwd",
                    inp,
                    &[Pass::Map(Opcode::OuterP)],
                    2.0,
                    4.0 * (1.0 + 1.0 / ratio.max(1.0)),
                )),
            }
        }
        Op::Activation(kind) => {
            let fwd = phase == Phase::Forward;
            match kind {
                ActivationKind::Relu | ActivationKind::Relu6 => {
                    let k = if *kind == ActivationKind::Relu { 1 } else { 2 };
                    let (op, words) = if fwd {
                        (Opcode::ThTst, 2.0)
                    } else {
                        (Opcode::Mask, 3.0)
                    };
                    let passes = vec![Pass::Map(op); k];
                    one(stream::stream(m, "relu", out, &passes, words, 4.0 * words))
                }
                ActivationKind::Prelu => {
                    let passes = if fwd {
                        [Pass::Map(Opcode::Mask), Pass::Terms(Opcode::Mac, 1, true)]
                    } else {
                        [Pass::Map(Opcode::Mask), Pass::Reduce(Opcode::Mac)]
                    };
                    let words = if fwd { 2.0 } else { 3.0 };
                    one(stream::stream(m, "prelu", out, &passes, words, 4.0 * words))
                }
                ActivationKind::Sigmoid | ActivationKind::Tanh | ActivationKind::Gelu => {
                    if fwd || *kind == ActivationKind::Gelu {
                        // The exponential runs on the cores; the DMA still
                        // streams the tensors.
                        let mut p = Plan::new("core-function");
                        p.core_elements = out;
                        p.extra_bytes = if fwd { 8.0 * out } else { 12.0 * out };
                        Ok(vec![p])
                    } else {
                        // From the saved output: y (1 - y) or 1 - y^2, times dY.
                        one(stream::stream(
                            m,
                            "act-bwd",
                            out,
                            &[Pass::Terms(Opcode::Mac, 2, true), Pass::Map(Opcode::VMult)],
                            3.0,
                            12.0,
                        ))
                    }
                }
            }
        }
        Op::Norm(kind) => {
            let plane = match kind {
                NormKind::Batch | NormKind::LocalResponse => {
                    dims3(layer).map(|(_, h, w)| (h * w) as f64).unwrap_or(1.0)
                }
                NormKind::Layer => input.last() as f64,
            };
            let fwd = phase == Phase::Forward;
            match kind {
                NormKind::LocalResponse => {
                    let mut p = stream::stream(
                        m,
                        "lrn",
                        out,
                        &if fwd {
                            vec![Pass::Terms(Opcode::Mac, 5, false)]
                        } else {
                            vec![Pass::Terms(Opcode::Mac, 5, true); 2]
                        },
                        if fwd { 2.0 } else { 3.0 },
                        if fwd { 8.0 } else { 12.0 },
                    )?;
                    p.core_elements = out;
                    Ok(vec![p])
                }
                _ if !ctx.training => one(stream::stream(
                    m,
                    "norm",
                    out,
                    &[Pass::Terms(Opcode::Mac, 1, true)],
                    2.0,
                    8.0,
                )),
                _ => {
                    // Statistics, then the element-wise pass. When a channel
                    // (or row) does not fit one tile its data are read twice.
                    let words = if fwd { 2.0 } else { 3.0 };
                    let fits = plane * words <= m.cluster.tile_words();
                    let reread = if fits {
                        0.0
                    } else if fwd {
                        4.0
                    } else {
                        8.0
                    };
                    let passes = if fwd {
                        [
                            Pass::Reduce(Opcode::VAddSub),
                            Pass::Reduce(Opcode::Mac),
                            Pass::Terms(Opcode::Mac, 1, true),
                        ]
                    } else {
                        [
                            Pass::Reduce(Opcode::VAddSub),
                            Pass::Reduce(Opcode::Mac),
                            Pass::Terms(Opcode::Mac, 2, true),
                        ]
                    };
                    one(stream::stream(
                        m,
                        "norm",
                        out,
                        &passes,
                        words,
                        4.0 * words + reread,
                    ))
                }
            }
        }
        Op::Add => {
            let k = layer.input_shapes.len() as u64;
            if phase == Phase::Forward {
                let words = (k + 1) as f64;
                one(stream::stream(
                    m,
                    "add",
                    out,
                    &[Pass::Terms(Opcode::VAddSub, k - 1, true)],
                    words,
                    4.0 * words,
                ))
            } else {
                // The gradient reaches every input unchanged; where a tensor
                // feeds two layers its two gradients are summed.
                one(stream::stream(
                    m,
                    "add-bwd",
                    out,
                    &[Pass::Terms(Opcode::VAddSub, 1, true)],
                    3.0,
                    12.0,
                ))
            }
        }
        // Producers write into their slice of the concatenation, and a
        // flatten is a view: nothing runs.
        Op::Concat { .. } | Op::Flatten => Ok(Vec::new()),
        Op::Softmax => {
            if phase == Phase::Forward {
                let mut p = stream::stream(
                    m,
                    "softmax",
                    out,
                    &[Pass::Reduce(Opcode::VAddSub), Pass::Map(Opcode::OuterP)],
                    2.0,
                    8.0,
                )?;
                p.core_elements = out;
                Ok(vec![p])
            } else {
                one(stream::stream(
                    m,
                    "softmax-bwd",
                    out,
                    &[Pass::Reduce(Opcode::Mac), Pass::Terms(Opcode::Mac, 1, true)],
                    3.0,
                    12.0,
                ))
            }
        }
        Op::Embedding { .. } => {
            if phase == Phase::Forward {
                one(stream::stream(
                    m,
                    "gather",
                    out,
                    &[Pass::CopyVector],
                    1.0,
                    8.0,
                ))
            } else {
                one(stream::stream(
                    m,
                    "scatter-add",
                    out,
                    &[Pass::Terms(Opcode::VAddSub, 1, true)],
                    2.0,
                    12.0,
                ))
            }
        }
    }
}

/// The optimizer step over one layer's parameters.
fn update(ctx: &Context, layer: &Layer) -> Result<Vec<Plan>, MapError> {
    let params = layer.work.params as f64;
    let Some(opt) = ctx.optimizer else {
        return Ok(Vec::new());
    };
    if params <= 0.0 {
        return Ok(Vec::new());
    }
    let m = &ctx.machine;
    match opt {
        // w -= lr g: a MAC that loads w at init and accumulates -lr x g
        // (lr a stride-0 operand): 2 cycles and 12 bytes per parameter.
        Optimizer::Sgd { .. } => Ok(vec![stream::stream(
            m,
            "sgd",
            params,
            &[Pass::Terms(Opcode::Mac, 1, true)],
            2.0,
            12.0,
        )?]),
        // v = g + mu v + wd w (init loads g; loop 0 alternates the v/w and
        // mu/wd operands), then w -= lr v: 5 cycles and 20 bytes per parameter.
        Optimizer::Momentum { .. } => Ok(vec![stream::stream(
            m,
            "momentum",
            params,
            &[
                Pass::Terms(Opcode::Mac, 2, true),
                Pass::Terms(Opcode::Mac, 1, true),
            ],
            3.0,
            20.0,
        )?]),
        other => Err(MapError::Unsupported(format!(
            "the {} update needs division and square roots, which NTX lacks",
            other.name()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halvings_stop_at_one_and_skip_repeats() {
        assert_eq!(halvings(7, 10), vec![7, 4, 2, 1]);
        assert_eq!(halvings(56, 3), vec![56, 28, 14]);
        assert_eq!(halvings(1, 5), vec![1]);
    }
}
