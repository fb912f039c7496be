//! Layers with weights and windows: Conv, pooling, Gemm, MatMul, LSTM, embeddings.
use super::*;

/// A sliding window along one spatial axis: input length, kernel, stride, dilation.
#[derive(Clone, Copy)]
struct Slide {
    len: usize,
    k: usize,
    s: usize,
    d: usize,
}

impl Slide {
    /// The two axes (height, width) of a window on an `h x w` input.
    fn axes(h: usize, w: usize, k: &[usize], s: &[usize], d: &[usize]) -> [Slide; 2] {
        [
            Slide {
                len: h,
                k: k[0],
                s: s[0],
                d: d[0],
            },
            Slide {
                len: w,
                k: k[1],
                s: s[1],
                d: d[1],
            },
        ]
    }

    /// ONNX's output length with `b` padding before and `e` after.
    fn out(self, b: usize, e: usize, ceil: bool) -> Option<usize> {
        let span = self.d.checked_mul(self.k.checked_sub(1)?)?.checked_add(1)?;
        let padded = self.len.checked_add(b)?.checked_add(e)?;
        let room = padded.checked_sub(span)?;
        let mut out = if ceil {
            room.div_ceil(self.s) + 1
        } else {
            room / self.s + 1
        };
        // ONNX (and PyTorch): in ceil mode a window may not start in the right padding.
        if ceil && (out - 1).saturating_mul(self.s) >= self.len + b {
            out -= 1;
        }
        Some(out)
    }
}

/// Padding and window of one spatial axis: the output length, and the
/// symmetric padding that gives it.
struct Axis {
    out: usize,
    pad: usize,
}

/// Choose a symmetric padding for pads `(b, e)` with the same output length.
/// Every count of a conv or pool depends on the output size alone, so the
/// replacement is exact for pimzoo; when no symmetric padding fits, the node
/// is unsupported.
fn symmetric(what: &str, a: Slide, (b, e): (usize, usize), ceil: bool) -> Res<Axis> {
    let Some(out) = a.out(b, e, ceil) else {
        return invalid(format!(
            "the {what} ({}, padded by {b} and {e}) is smaller than the kernel ({}, dilation {})",
            a.len, a.k, a.d
        ));
    };
    if b == e {
        return Ok(Axis { out, pad: b });
    }
    for pad in [(b + e) / 2, (b + e).div_ceil(2)] {
        if a.out(pad, pad, ceil) == Some(out) {
            return Ok(Axis { out, pad });
        }
    }
    unsupported(format!(
        "asymmetric padding ({b} before, {e} after) of the {what}: no symmetric padding gives the same output length {out}, and pimzoo's IR pads both sides alike"
    ))
}

impl<'a> Converter<'a> {
    /// The (before, after) padding of height and width: `pads` or `auto_pad`,
    /// plus the padding of a Pad node absorbed (top, left, bottom, right).
    fn pads(&self, ctx: &Ctx, axes: [Slide; 2], extra: [usize; 4]) -> Res<[(usize, usize); 2]> {
        let auto = ctx.string("auto_pad")?.unwrap_or("NOTSET");
        let mut out = [(extra[0], extra[2]), (extra[1], extra[3])];
        match auto {
            "NOTSET" => {
                if let Some(p) = ctx.ints("pads")? {
                    if p.iter().any(|&x| x < 0) {
                        return unsupported(format!("negative `pads` {p:?} (cropping)"));
                    }
                    let Some(p) = p.iter().map(|&x| size(x)).collect::<Option<Vec<_>>>() else {
                        return invalid(format!("`pads` {p:?} beyond {MAX_SIZE}"));
                    };
                    let [t, l, b, r] = p[..] else {
                        return invalid(format!("`pads` = {p:?} must have 4 values"));
                    };
                    out = [(out[0].0 + t, out[0].1 + b), (out[1].0 + l, out[1].1 + r)];
                }
            }
            "VALID" => {}
            "SAME_UPPER" | "SAME_LOWER" => {
                for (o, a) in out.iter_mut().zip(axes) {
                    // SAME keeps ceil(len / stride) outputs; the odd pixel goes after
                    // (UPPER) or before (LOWER).
                    let padded = a.len + o.0 + o.1;
                    let n = padded.div_ceil(a.s);
                    let span = a.d.saturating_mul(a.k.saturating_sub(1)) + 1;
                    let total = (n.saturating_sub(1).saturating_mul(a.s))
                        .saturating_add(span)
                        .saturating_sub(padded);
                    let (small, big) = (total / 2, total - total / 2);
                    let (b, e) = if auto == "SAME_UPPER" {
                        (small, big)
                    } else {
                        (big, small)
                    };
                    *o = (o.0 + b, o.1 + e);
                }
            }
            other => return invalid(format!("unknown `auto_pad` value `{other}`")),
        }
        Ok(out)
    }

    /// The IR window of both axes, with a note where asymmetric padding was made symmetric.
    fn window(
        &mut self,
        ctx: &Ctx,
        axes: [Slide; 2],
        pads: [(usize, usize); 2],
        ceil: bool,
    ) -> Res<(Axis, Axis)> {
        let h = symmetric("height", axes[0], pads[0], ceil)?;
        let w = symmetric("width", axes[1], pads[1], ceil)?;
        if pads[0].0 != pads[0].1 || pads[1].0 != pads[1].1 {
            self.note(
                ctx,
                NoteKind::Equivalent,
                format!(
                    "asymmetric padding (top {}, bottom {}, left {}, right {}) written as ({}, {}) on both sides: the same output size, so the same counts",
                    pads[0].0, pads[0].1, pads[1].0, pads[1].1, h.pad, w.pad
                ),
            );
        }
        Ok((h, w))
    }

    pub(super) fn conv(&mut self, ctx: &Ctx, ins: &[Option<Value>]) -> Res<Vec<Value>> {
        let (x, extra) = self.padded_in(ctx, ins, 0)?;
        let (c, h, w) = Self::chw(ctx, &x, 0)?;
        let wd = self.weights_in(ctx, ins, 1, "the weights")?;
        let [m, per_group, kh, kw] = wd[..] else {
            return unsupported(format!(
                "weights of shape {}: only 2-D convolutions (4-D weights) map to the IR",
                show(&wd)
            ));
        };
        if wd.contains(&0) {
            return invalid(format!(
                "weights of shape {} have a zero dimension",
                show(&wd)
            ));
        }
        let groups = size(ctx.int("group", 1)?)
            .filter(|&g| g > 0)
            .map_or_else(|| invalid("`group` must be positive"), Ok)?;
        if per_group.checked_mul(groups) != Some(c) {
            return invalid(format!(
                "weights of shape {} in {groups} group(s) read {} channels, but {} has {c}",
                show(&wd),
                per_group.saturating_mul(groups),
                Self::input_label(ctx, 0)
            ));
        }
        if let Some(ks) = ctx.ints("kernel_shape")? {
            if ks != [kh as i64, kw as i64] {
                return invalid(format!(
                    "`kernel_shape` {ks:?} disagrees with the weights {}",
                    show(&wd)
                ));
            }
        }
        let s = ctx.sizes("strides", 2, 1)?;
        let d = ctx.sizes("dilations", 2, 1)?;
        let axes = Slide::axes(h, w, &[kh, kw], &s, &d);
        let pads = self.pads(ctx, axes, extra)?;
        let (ah, aw) = self.window(ctx, axes, pads, false)?;
        let bias = ctx.input_name(2).is_some();
        let op = Op::Conv2d(Conv2d {
            out: m,
            in_channels: None,
            kernel: Hw::new(kh, kw),
            stride: Hw::new(s[0], s[1]),
            padding: Hw::new(ah.pad, aw.pad),
            dilation: Hw::new(d[0], d[1]),
            groups,
            bias,
        });
        let out = vec![m, ah.out, aw.out];
        let name = self.emit(ctx, "", op, &[&x], out.clone());
        if !bias {
            // A following Add of a per-channel constant is this conv's bias.
            self.biasable
                .insert(name.clone(), (self.layers.len() - 1, 3));
        }
        Ok(vec![Value::Act(Act::plain(name, out))])
    }

    pub(super) fn pool(
        &mut self,
        ctx: &Ctx,
        ins: &[Option<Value>],
        kind: PoolKind,
    ) -> Res<Vec<Value>> {
        let (x, extra) = self.padded_in(ctx, ins, 0)?;
        let (c, h, w) = Self::chw(ctx, &x, 0)?;
        match ctx.ints("kernel_shape")? {
            None => return invalid("`kernel_shape` is required"),
            Some(k) if k.len() != 2 => {
                return unsupported(format!(
                    "{}-D pooling: only 2-D pooling maps to the IR",
                    k.len()
                ))
            }
            Some(_) => {}
        }
        let k = ctx.sizes("kernel_shape", 2, 1)?;
        let s = ctx.sizes("strides", 2, 1)?;
        let d = ctx.sizes("dilations", 2, 1)?;
        if d != [1, 1] {
            return unsupported(format!("dilated pooling ({d:?}) has no IR equivalent"));
        }
        let ceil = ctx.int("ceil_mode", 0)? != 0;
        let axes = Slide::axes(h, w, &k, &s, &d);
        let pads = self.pads(ctx, axes, extra)?;
        let (ah, aw) = self.window(ctx, axes, pads, ceil)?;
        let kernel = Hw::new(k[0], k[1]);
        let stride = Hw::new(s[0], s[1]);
        let op = Op::Pool(Pool {
            kind,
            kernel: Some(kernel),
            // The IR's default stride is the kernel.
            stride: (stride != kernel).then_some(stride),
            padding: Hw::new(ah.pad, aw.pad),
            ceil_mode: ceil,
            output: None,
            global: false,
        });
        let out = vec![c, ah.out, aw.out];
        let name = self.emit(ctx, "", op, &[&x], out.clone());
        Ok(vec![Value::Act(Act::plain(name, out))])
    }

    pub(super) fn global_pool(
        &mut self,
        ctx: &Ctx,
        ins: &[Option<Value>],
        kind: PoolKind,
    ) -> Res<Vec<Value>> {
        let x = self.act_in(ctx, ins, 0)?;
        let (c, _, _) = Self::chw(ctx, &x, 0)?;
        let name = self.emit(ctx, "", global_pool_op(kind), &[&x], vec![c, 1, 1]);
        Ok(vec![Value::Act(Act::plain(name, vec![c, 1, 1]))])
    }

    pub(super) fn gemm(&mut self, ctx: &Ctx, ins: &[Option<Value>]) -> Res<Vec<Value>> {
        let a = self.act_in(ctx, ins, 0)?;
        Self::exact(ctx, &a, 0)?;
        let [features] = a.logical[..] else {
            return unsupported(format!(
                "{} is {} per sample; Gemm maps on a vector",
                Self::input_label(ctx, 0),
                show(&a.logical)
            ));
        };
        if ctx.int("transA", 0)? != 0 {
            return unsupported("`transA` = 1 (the batch along columns) has no IR equivalent");
        }
        let wd = self.weights_in(ctx, ins, 1, "the weights")?;
        let [r, cols] = wd[..] else {
            return invalid(format!("weights of shape {} must be a matrix", show(&wd)));
        };
        let (out, k) = if ctx.int("transB", 0)? != 0 {
            (r, cols)
        } else {
            (cols, r)
        };
        if k != features {
            return invalid(format!(
                "weights of shape {} read {k} features, but {} has {features}",
                show(&wd),
                Self::input_label(ctx, 0)
            ));
        }
        let bias = ctx.input_name(2).is_some();
        let op = Op::Linear {
            out,
            in_features: None,
            bias,
        };
        let name = self.emit(ctx, "", op, &[&a], vec![out]);
        if !bias {
            self.biasable
                .insert(name.clone(), (self.layers.len() - 1, 1));
        }
        Ok(vec![Value::Act(Act::plain(name, vec![out]))])
    }

    pub(super) fn matmul(&mut self, ctx: &Ctx, ins: &[Option<Value>]) -> Res<Vec<Value>> {
        if let Some(Some(Value::Const(_))) = ins.get(1) {
            return self.matmul_weights(ctx, ins);
        }
        let a = self.act_in(ctx, ins, 0)?;
        let b = self.act_in(ctx, ins, 1)?;
        let operand = |i: usize, x: &Act| -> Res<(usize, bool, usize, usize)> {
            heads_of(x).map_or_else(
                || {
                    unsupported(format!(
                        "{} is {} in ONNX ({} in the IR): pimzoo maps a product of two activations only on matrices [rows, columns] and on attention heads",
                        Self::input_label(ctx, i),
                        show(&x.logical),
                        show(&x.ir)
                    ))
                },
                Ok,
            )
        };
        let (heads, a_kt, m, k) = operand(0, &a)?;
        let (b_heads, b_kt, k2, n) = operand(1, &b)?;
        if a_kt {
            return unsupported(
                "the left operand is transposed; the IR's MatMul transposes only the right one",
            );
        }
        if heads != b_heads || k != k2 {
            return invalid(format!(
                "operands {} and {} do not multiply",
                show(&a.logical),
                show(&b.logical)
            ));
        }
        let op = Op::MatMul(MatMul {
            heads,
            transpose_b: b_kt,
        });
        let ir = vec![m, heads.saturating_mul(n)];
        let name = self.emit(ctx, "", op, &[&a, &b], ir.clone());
        let (logical, view) = if heads == 1 {
            (vec![m, n], View::Plain)
        } else {
            (vec![heads, m, n], View::Heads { heads, kt: false })
        };
        Ok(vec![Value::Act(Act {
            src: name,
            ir,
            logical,
            view,
        })])
    }

    /// MatMul by a constant matrix: a linear layer (its bias, if any, is the following Add).
    fn matmul_weights(&mut self, ctx: &Ctx, ins: &[Option<Value>]) -> Res<Vec<Value>> {
        let a = self.act_in(ctx, ins, 0)?;
        Self::exact(ctx, &a, 0)?;
        if !matches!(a.logical.len(), 1 | 2) {
            return unsupported(format!(
                "{} is {} per sample; a linear layer maps on [D] or [S, D]",
                Self::input_label(ctx, 0),
                show(&a.logical)
            ));
        }
        let wd = self.weights_in(ctx, ins, 1, "the weights")?;
        let [k, out] = wd[..] else {
            return unsupported(format!(
                "weights of shape {}: only a matrix maps to a linear layer",
                show(&wd)
            ));
        };
        if Some(&k) != a.logical.last() {
            return invalid(format!(
                "weights of shape {} read {k} features, but {} is {}",
                show(&wd),
                Self::input_label(ctx, 0),
                show(&a.logical)
            ));
        }
        let op = Op::Linear {
            out,
            in_features: None,
            bias: false,
        };
        let mut shape = a.logical.clone();
        if let Some(last) = shape.last_mut() {
            *last = out;
        }
        let name = self.emit(ctx, "", op, &[&a], shape.clone());
        self.biasable
            .insert(name.clone(), (self.layers.len() - 1, 1));
        Ok(vec![Value::Act(Act::plain(name, shape))])
    }

    pub(super) fn lstm(&mut self, ctx: &Ctx, ins: &[Option<Value>]) -> Res<Vec<Value>> {
        let x = self.act_in(ctx, ins, 0)?;
        Self::exact(ctx, &x, 0)?;
        if ctx.int("layout", 0)? != 1 {
            return unsupported(
                "layout 0 (sequence first, batch second): pimzoo takes the first dimension as the batch, so it imports batch-first LSTMs (layout = 1)",
            );
        }
        let direction = ctx.string("direction")?.unwrap_or("forward");
        if direction == "bidirectional" {
            return unsupported("a bidirectional LSTM: the IR's LSTM runs one direction");
        }
        let [steps, features] = x.logical[..] else {
            return unsupported(format!(
                "{} is {} per sample; an LSTM reads [T, D]",
                Self::input_label(ctx, 0),
                show(&x.logical)
            ));
        };
        let wd = self.weights_in(ctx, ins, 1, "the input weights W")?;
        let [1, gates, w_in] = wd[..] else {
            return invalid(format!(
                "W of shape {} must be [1, 4 x hidden, input]",
                show(&wd)
            ));
        };
        let hidden = match ctx.int("hidden_size", 0)? {
            0 => gates / 4,
            h => size(h).filter(|&h| h > 0).map_or_else(
                || invalid(format!("`hidden_size` = {h} is out of range")),
                Ok,
            )?,
        };
        if gates != 4 * hidden || w_in != features {
            return invalid(format!(
                "W of shape {} does not fit hidden size {hidden} and {features} input features",
                show(&wd)
            ));
        }
        if ctx.input_name(7).is_some() {
            self.note(
                ctx,
                NoteKind::Approximate,
                format!("the peephole weights P (3 x {hidden}) are not counted"),
            );
        }
        let bias_note = if ctx.input_name(3).is_some() {
            format!("ONNX's bias B holds two vectors (8 x {hidden}); the IR's LSTM counts one (4 x {hidden})")
        } else {
            format!(
                "the file has no bias B, but the IR's LSTM counts one (4 x {hidden} parameters)"
            )
        };
        self.note(ctx, NoteKind::Approximate, bias_note);
        let op = Op::Lstm(Lstm {
            hidden,
            bias_folded: false,
        });
        let ir = vec![steps, hidden];
        let name = self.emit(ctx, "", op, &[&x], ir.clone());
        // Y is [N, T, directions, hidden] for layout 1.
        let y = Act {
            src: name,
            ir,
            logical: vec![steps, 1, hidden],
            view: View::Plain,
        };
        let last_state = |what: &str| {
            Value::Unavailable(format!(
                "{what} (the state after the last step) has no equivalent in pimzoo's IR"
            ))
        };
        Ok(vec![Value::Act(y), last_state("Y_h"), last_state("Y_c")])
    }

    pub(super) fn gather(&mut self, ctx: &Ctx, ins: &[Option<Value>]) -> Res<Vec<Value>> {
        let Some(Some(Value::Const(_))) = ins.first() else {
            return unsupported(
                "Gather from an activation (indexing or slicing) has no IR equivalent; only embedding lookups (a constant table indexed by the input) map",
            );
        };
        let dims = self.weights_in(ctx, ins, 0, "the table")?;
        let idx = self.act_in(ctx, ins, 1)?;
        Self::exact(ctx, &idx, 1)?;
        let axis = norm_axis(ctx.int("axis", 0)?, dims.len().max(1))?;
        let (&[vocab, dim], 0, &[tokens]) = (dims.as_slice(), axis, idx.logical.as_slice()) else {
            return unsupported(format!(
                "Gather of a {} table along axis {axis} by indices {}: only embedding lookups (a [vocab, dim] table along axis 0, indices [S] per sample) map",
                show(&dims),
                show(&idx.logical)
            ));
        };
        let out = vec![tokens, dim];
        let name = self.emit(ctx, "", Op::Embedding { vocab, dim }, &[&idx], out.clone());
        Ok(vec![Value::Act(Act::plain(name, out))])
    }
}

pub(super) fn global_pool_op(kind: PoolKind) -> Op {
    Op::Pool(Pool {
        kind,
        kernel: None,
        stride: None,
        padding: Hw::square(0),
        ceil_mode: false,
        output: None,
        global: true,
    })
}

/// An activation as the operand of a matrix product: `(heads, keys
/// transposed, rows, columns)` of its ONNX shape, if the IR's MatMul can read it.
fn heads_of(x: &Act) -> Option<(usize, bool, usize, usize)> {
    let l = &x.logical;
    match x.view {
        View::Plain if x.is_exact() && l.len() == 2 => Some((1, false, l[0], l[1])),
        View::Heads { heads, kt } if l.len() >= 2 => {
            Some((heads, kt, l[l.len() - 2], l[l.len() - 1]))
        }
        _ => None,
    }
}
