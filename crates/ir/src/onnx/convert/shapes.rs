//! Element-wise layers (activations, norms, sums) and layout changes
//! (reshapes, transposes, padding) that map to views or to no layer.
use super::layers::global_pool_op;
use super::*;

impl<'a> Converter<'a> {
    pub(super) fn prelu(&mut self, ctx: &Ctx, ins: &[Option<Value>]) -> Res<Vec<Value>> {
        let x = self.act_in(ctx, ins, 0)?;
        Self::exact(ctx, &x, 0)?;
        let slopes = elements(&self.weights_in(ctx, ins, 1, "the slopes")?);
        // The IR's PReLU has one slope per channel: a feature map's first
        // dimension, a vector's or sequence's last.
        let channels = if x.logical.len() == 3 {
            x.logical[0]
        } else {
            x.ir.last().copied().unwrap_or(0)
        };
        if slopes != channels {
            return unsupported(format!(
                "{slopes} slope(s) for {channels} channels: the IR's PReLU has one slope per channel"
            ));
        }
        self.unary(ctx, ins, Op::Activation(ActivationKind::Prelu))
    }

    pub(super) fn clip(&mut self, ctx: &Ctx, ins: &[Option<Value>]) -> Res<Vec<Value>> {
        // Bounds are attributes before opset 11 and inputs from then on.
        let lo = match ctx.float("min")? {
            Some(v) => Some(v),
            None => self.scalar_in(ctx, ins, 1, "the lower bound")?,
        };
        let hi = match ctx.float("max")? {
            Some(v) => Some(v),
            None => self.scalar_in(ctx, ins, 2, "the upper bound")?,
        };
        let from_zero = lo == Some(0.0);
        let kind = if from_zero && hi == Some(6.0) {
            ActivationKind::Relu6
        } else if from_zero && hi.is_none_or(|h| h == f64::INFINITY) {
            ActivationKind::Relu
        } else {
            let b = |v: Option<f64>, inf: &str| v.map_or(inf.to_string(), |v| v.to_string());
            return unsupported(format!(
                "Clip to [{}, {}] has no IR equivalent; [0, 6] maps to ReLU6 and [0, inf) to ReLU",
                b(lo, "-inf"),
                b(hi, "inf")
            ));
        };
        self.unary(ctx, ins, Op::Activation(kind))
    }

    pub(super) fn softmax(&mut self, ctx: &Ctx, ins: &[Option<Value>]) -> Res<Vec<Value>> {
        let x = self.act_in(ctx, ins, 0)?;
        let default = if ctx.opset >= 13 { -1 } else { 1 };
        if norm_axis(ctx.int("axis", default)?, x.logical.len() + 1)? == 0 {
            return unsupported("softmax over the batch dimension");
        }
        // Softmax costs the same per element whichever axis it normalises.
        self.unary(ctx, ins, Op::Softmax)
    }

    pub(super) fn batch_norm(&mut self, ctx: &Ctx, ins: &[Option<Value>]) -> Res<Vec<Value>> {
        let x = self.act_in(ctx, ins, 0)?;
        Self::exact(ctx, &x, 0)?;
        let channels = match x.logical.len() {
            1 | 3 => x.logical[0],
            _ => {
                return unsupported(format!(
                    "batch norm of {} per sample normalises its first dimension; the IR's batch norm maps on [C, H, W] and [D]",
                    show(&x.logical)
                ))
            }
        };
        let scale = elements(&self.weights_in(ctx, ins, 1, "the scale")?);
        if scale != channels {
            return invalid(format!("{scale} scale values for {channels} channels"));
        }
        self.unary(ctx, ins, Op::Norm(NormKind::Batch))
    }

    pub(super) fn layer_norm(&mut self, ctx: &Ctx, ins: &[Option<Value>]) -> Res<Vec<Value>> {
        let x = self.act_in(ctx, ins, 0)?;
        Self::exact(ctx, &x, 0)?;
        let rank = x.logical.len() + 1;
        let axis = norm_axis(ctx.int("axis", -1)?, rank)?;
        if axis != rank - 1 {
            return unsupported(format!(
                "layer norm over the last {} axes; the IR's layer norm normalises the last one",
                rank - axis
            ));
        }
        let scale = elements(&self.weights_in(ctx, ins, 1, "the scale")?);
        if Some(&scale) != x.logical.last() {
            return invalid(format!(
                "{scale} scale values for {} features",
                x.logical.last().copied().unwrap_or(0)
            ));
        }
        self.unary(ctx, ins, Op::Norm(NormKind::Layer))
    }

    pub(super) fn add(&mut self, ctx: &Ctx, ins: &[Option<Value>]) -> Res<Vec<Value>> {
        let mut acts = Vec::new();
        let mut consts = Vec::new();
        for (i, v) in ins.iter().enumerate() {
            match v {
                Some(Value::Const(c)) => consts.push((i, c.clone())),
                Some(_) => acts.push((i, self.act_in(ctx, ins, i)?)),
                None => {}
            }
        }
        match (acts.len(), consts.len()) {
            (1, 0) => Ok(vec![Value::Act(acts.remove(0).1)]),
            (1, 1) => self.bias_or_constant(ctx, acts.remove(0), consts.remove(0).1),
            (_, 0) => {
                let (_, first) = &acts[0];
                for (i, a) in &acts[1..] {
                    if a.logical != first.logical {
                        return unsupported(format!(
                            "adds {} ({}) and {} ({}): broadcasting between activations has no IR equivalent",
                            Self::input_label(ctx, 0),
                            show(&first.logical),
                            Self::input_label(ctx, *i),
                            show(&a.logical)
                        ));
                    }
                    if a.ir != first.ir || a.view != first.view {
                        return unsupported(format!(
                            "{} and {} have one ONNX shape but different layouts in the IR",
                            Self::input_label(ctx, 0),
                            Self::input_label(ctx, *i)
                        ));
                    }
                }
                let refs: Vec<&Act> = acts.iter().map(|(_, a)| a).collect();
                let first = acts[0].1.clone();
                let name = self.emit(ctx, "", Op::Add, &refs, first.ir.clone());
                Ok(vec![Value::Act(Act { src: name, ..first })])
            }
            _ => unsupported("a sum of several activations and constants has no IR equivalent"),
        }
    }

    /// `activation + constant`: the bias of the layer before when it has none
    /// and nothing else reads its output; otherwise uncounted element-wise work.
    fn bias_or_constant(&mut self, ctx: &Ctx, (i, a): (usize, Act), k: Const) -> Res<Vec<Value>> {
        let full = [&[1][..], &a.logical].concat();
        let dims = k.dims.clone().unwrap_or_default();
        if k.dims.is_some() && !broadcasts_onto(&dims, &full) {
            return unsupported(format!(
                "adds a constant of shape {} that widens {} ({}); the IR has no broadcast",
                show(&dims),
                Self::input_label(ctx, i),
                show(&a.logical)
            ));
        }
        let name = ctx.input_name(i).unwrap_or_default();
        if let Some(&(layer, channel_from_end)) = self.biasable.get(&a.src) {
            let sole_reader = self.readers.get(name) == Some(&1);
            // Per output channel: the constant varies only along the layer's channel axis.
            let per_channel = k.dims.is_some()
                && a.is_exact()
                && full.len() >= channel_from_end
                && dims
                    .iter()
                    .rev()
                    .enumerate()
                    .all(|(j, &d)| d == 1 || j + 1 == channel_from_end)
                && elements(&dims) == full[full.len() - channel_from_end];
            if sole_reader && per_channel {
                match &mut self.layers[layer].op {
                    Op::Conv2d(c) => c.bias = true,
                    Op::Linear { bias, .. } => *bias = true,
                    _ => {}
                }
                self.biasable.remove(&a.src);
                self.note(
                    ctx,
                    NoteKind::Folded,
                    format!("the bias of layer `{}`", a.src),
                );
                return Ok(vec![Value::Act(a)]);
            }
        }
        self.note(
            ctx,
            NoteKind::Approximate,
            format!(
                "adds a constant{} to `{name}`: element-wise work with a constant is not counted, nor the constant as parameters",
                k.dims.as_ref().map_or(String::new(), |d| format!(" of shape {}", show(d)))
            ),
        );
        Ok(vec![Value::Act(a)])
    }

    /// Sub, Mul, Div with a constant: a scale or shift the IR does not count.
    pub(super) fn scale(&mut self, ctx: &Ctx, ins: &[Option<Value>]) -> Res<Vec<Value>> {
        let op = ctx.node.op_type.as_str();
        let (a, i, k) = match (ins.first(), ins.get(1)) {
            (Some(Some(Value::Const(k))), Some(Some(_))) => (self.act_in(ctx, ins, 1)?, 1, k.clone()),
            (Some(Some(_)), Some(Some(Value::Const(k)))) => (self.act_in(ctx, ins, 0)?, 0, k.clone()),
            _ => {
                return unsupported(format!(
                    "`{op}` of two activations has no IR equivalent (only a constant scale or shift is folded)"
                ))
            }
        };
        let full = [&[1][..], &a.logical].concat();
        if let Some(d) = &k.dims {
            if !broadcasts_onto(d, &full) {
                return unsupported(format!(
                    "`{op}` by a constant of shape {} widens {} ({}); the IR has no broadcast",
                    show(d),
                    Self::input_label(ctx, i),
                    show(&a.logical)
                ));
            }
        }
        self.note(
            ctx,
            NoteKind::Approximate,
            format!("`{op}` by a constant: element-wise work with a constant is not counted"),
        );
        Ok(vec![Value::Act(a)])
    }

    pub(super) fn concat(&mut self, ctx: &Ctx, ins: &[Option<Value>]) -> Res<Vec<Value>> {
        let mut acts = Vec::new();
        for i in 0..ins.len() {
            if let Some(Some(Value::Const(_))) = ins.get(i) {
                return unsupported("concatenates a constant with activations");
            }
            let a = self.act_in(ctx, ins, i)?;
            Self::exact(ctx, &a, i)?;
            acts.push(a);
        }
        let Some(first) = acts.first().cloned() else {
            return invalid("has no inputs");
        };
        // Opsets before 4 default the axis to 1.
        let axis = match ctx.attr("axis") {
            Some(_) => ctx.int("axis", 1)?,
            None if ctx.opset < 4 => 1,
            None => return invalid("`axis` is required"),
        };
        let axis = norm_axis(axis, first.logical.len() + 1)?;
        if axis == 0 {
            return unsupported("concatenation along the batch dimension");
        }
        let a = axis - 1;
        let mut out = first.logical.clone();
        out[a] = 0;
        for (i, x) in acts.iter().enumerate() {
            let fits = x.logical.len() == first.logical.len()
                && (0..out.len()).all(|d| d == a || x.logical[d] == first.logical[d]);
            if !fits {
                return invalid(format!(
                    "{} ({}) does not fit {} ({}) except along axis {axis}",
                    Self::input_label(ctx, i),
                    show(&x.logical),
                    Self::input_label(ctx, 0),
                    show(&first.logical)
                ));
            }
            out[a] += x.logical[a];
        }
        if acts.len() == 1 {
            return Ok(vec![Value::Act(first)]);
        }
        let refs: Vec<&Act> = acts.iter().collect();
        let name = self.emit(ctx, "", Op::Concat { axis: a }, &refs, out.clone());
        Ok(vec![Value::Act(Act::plain(name, out))])
    }

    /// Give `x` the per-sample ONNX shape `target`: a relabelling when the IR
    /// needs nothing, a Flatten layer to a vector, or an attention head split.
    fn reshape_to(&mut self, ctx: &Ctx, x: Act, target: Vec<usize>, suffix: &str) -> Res<Value> {
        if elements(&target) != elements(&x.logical) {
            return invalid(format!(
                "cannot reshape {} to {}",
                show(&x.logical),
                show(&target)
            ));
        }
        match x.view {
            View::Plain => {
                if target == x.ir {
                    return Ok(Value::Act(x.relabel(target, View::Plain)));
                }
                if target.len() == 1 {
                    let name = self.emit(ctx, suffix, Op::Flatten, &[&x], target.clone());
                    return Ok(Value::Act(Act::plain(name, target)));
                }
                if drop_units(&target) == drop_units(&x.ir) {
                    return Ok(Value::Act(x.relabel(target, View::Plain)));
                }
                if let (&[rows, d], &[r, heads, _]) = (x.ir.as_slice(), target.as_slice()) {
                    if x.is_exact() && r == rows && heads > 1 && d % heads == 0 {
                        return Ok(Value::Act(x.relabel(target, View::Split { heads })));
                    }
                }
            }
            View::Split { .. } if target == x.ir => {
                return Ok(Value::Act(x.relabel(target, View::Plain)));
            }
            _ => {}
        }
        unsupported(format!(
            "reshaping {} to {} has no equivalent in pimzoo's IR, which reshapes only by flattening to a vector (and understands the head split of attention)",
            show(&x.logical),
            show(&target)
        ))
    }

    /// The shape the file declares for output 0, per sample, if complete.
    fn declared_sample_shape(&self, ctx: &Ctx) -> Option<Vec<usize>> {
        let dims = self.declared.get(ctx.node.outputs.first()?.as_str())?;
        dims.iter()
            .skip(1)
            .map(|d| match d {
                Dim::Value(v) => size(*v),
                _ => None,
            })
            .collect()
    }

    pub(super) fn reshape(&mut self, ctx: &Ctx, ins: &[Option<Value>]) -> Res<Vec<Value>> {
        let x = self.act_in(ctx, ins, 0)?;
        let full_in = [&[1][..], &x.logical].concat();
        let target = match self.const_in(ctx, ins, 1, "the target shape")?.as_ref().and_then(values_of) {
            Some(t) => {
                let out = resolve_shape(&t, &full_in, ctx.int("allowzero", 0)? != 0)?;
                if out.first() != Some(&1) || out.len() < 2 {
                    return unsupported(format!(
                        "the target shape {t:?} ({}) does not keep the batch as its own first dimension; pimzoo imports per-sample shapes",
                        show(&out)
                    ));
                }
                out[1..].to_vec()
            }
            // Computed by a shape subgraph pimzoo does not evaluate: the file may say.
            None => self.declared_sample_shape(ctx).map_or_else(
                || invalid("the target shape is not in the file (computed by nodes pimzoo does not evaluate) and the file declares no shape for the output"),
                Ok,
            )?,
        };
        Ok(vec![self.reshape_to(ctx, x, target, "")?])
    }

    pub(super) fn flatten(&mut self, ctx: &Ctx, ins: &[Option<Value>]) -> Res<Vec<Value>> {
        let x = self.act_in(ctx, ins, 0)?;
        let rank = x.logical.len() + 1;
        let axis = ctx.int("axis", 1)?;
        let a = if axis < 0 { axis + rank as i64 } else { axis };
        if !(0..=rank as i64).contains(&a) {
            return invalid(format!("axis {axis} is out of range for rank {rank}"));
        }
        let a = a as usize;
        let lead = if a == 0 {
            0
        } else {
            elements(&x.logical[..a - 1])
        };
        if lead != 1 {
            return unsupported(format!(
                "Flatten at axis {axis} merges the batch with other dimensions of {}",
                show(&x.logical)
            ));
        }
        let target = vec![elements(&x.logical[a - 1..])];
        Ok(vec![self.reshape_to(ctx, x, target, "")?])
    }

    /// Axes given as an attribute (older opsets) or as input 1.
    fn axes(&self, ctx: &Ctx, ins: &[Option<Value>], input: usize) -> Res<Option<Vec<i64>>> {
        match ctx.ints("axes")? {
            Some(a) => Ok(Some(a)),
            None => self.ints_in(ctx, ins, input, "the axes"),
        }
    }

    pub(super) fn squeeze(&mut self, ctx: &Ctx, ins: &[Option<Value>]) -> Res<Vec<Value>> {
        let x = self.act_in(ctx, ins, 0)?;
        let full = [&[1][..], &x.logical].concat();
        let drop: Vec<usize> = match self.axes(ctx, ins, 1)? {
            // Every unit axis but the batch.
            None => (1..full.len()).filter(|&i| full[i] == 1).collect(),
            Some(axes) => {
                let mut v = Vec::new();
                for a in axes {
                    let a = norm_axis(a, full.len())?;
                    if a == 0 {
                        return unsupported("squeezes the batch dimension");
                    }
                    if full[a] != 1 {
                        return invalid(format!(
                            "axis {a} of {} is not of size 1",
                            show(&x.logical)
                        ));
                    }
                    v.push(a);
                }
                v
            }
        };
        let target: Vec<usize> = (1..full.len())
            .filter(|i| !drop.contains(i))
            .map(|i| full[i])
            .collect();
        if target.is_empty() {
            return unsupported("squeezes a sample to a scalar");
        }
        Ok(vec![self.reshape_to(ctx, x, target, "")?])
    }

    pub(super) fn unsqueeze(&mut self, ctx: &Ctx, ins: &[Option<Value>]) -> Res<Vec<Value>> {
        let x = self.act_in(ctx, ins, 0)?;
        let Some(axes) = self.axes(ctx, ins, 1)? else {
            return invalid("the axes are missing");
        };
        let out_rank = x.logical.len() + 1 + axes.len();
        let mut at = Vec::new();
        for a in axes {
            let a = norm_axis(a, out_rank)?;
            if a == 0 {
                return unsupported("inserts an axis before the batch dimension");
            }
            if at.contains(&a) {
                return invalid(format!("axis {a} is given twice"));
            }
            at.push(a);
        }
        let mut rest = x.logical.iter();
        let target: Vec<usize> = (1..out_rank)
            .map(|j| {
                if at.contains(&j) {
                    1
                } else {
                    rest.next().copied().unwrap_or(1)
                }
            })
            .collect();
        Ok(vec![self.reshape_to(ctx, x, target, "")?])
    }

    pub(super) fn transpose(&mut self, ctx: &Ctx, ins: &[Option<Value>]) -> Res<Vec<Value>> {
        let x = self.act_in(ctx, ins, 0)?;
        let rank = x.logical.len() + 1;
        let perm: Vec<i64> = ctx
            .ints("perm")?
            .unwrap_or_else(|| (0..rank as i64).rev().collect());
        let mut seen = vec![false; rank];
        for &p in &perm {
            match usize::try_from(p).ok().filter(|&p| p < rank) {
                Some(p) if !seen[p] => seen[p] = true,
                _ => {
                    return invalid(format!(
                        "`perm` {perm:?} is not a permutation of rank {rank}"
                    ))
                }
            }
        }
        if perm.len() != rank {
            return invalid(format!(
                "`perm` {perm:?} is not a permutation of rank {rank}"
            ));
        }
        if perm[0] != 0 {
            return unsupported(format!("`perm` {perm:?} moves the batch dimension"));
        }
        let p: Vec<usize> = perm[1..].iter().map(|&i| i as usize - 1).collect();
        let logical: Vec<usize> = p.iter().map(|&i| x.logical[i]).collect();
        // Only unit axes move: the data keep their order.
        let moved: Vec<usize> = p.iter().copied().filter(|&i| x.logical[i] != 1).collect();
        if x.view == View::Plain && moved.windows(2).all(|w| w[0] < w[1]) {
            return Ok(vec![Value::Act(x.relabel(logical, View::Plain))]);
        }
        let view = match (x.view, p.as_slice()) {
            (View::Plain, [1, 0]) if x.is_exact() => Some(View::Heads { heads: 1, kt: true }),
            (View::Heads { heads: 1, kt: true }, [1, 0]) => Some(View::Plain),
            (View::Split { heads }, [1, 0, 2]) => Some(View::Heads { heads, kt: false }),
            (View::Split { heads }, [1, 2, 0]) => Some(View::Heads { heads, kt: true }),
            (View::Heads { heads, kt: false }, [1, 0, 2]) => Some(View::Split { heads }),
            (View::Heads { heads, kt }, [0, 2, 1]) if heads > 1 => {
                Some(View::Heads { heads, kt: !kt })
            }
            (View::Heads { heads, kt: true }, [2, 0, 1]) if heads > 1 => {
                Some(View::Split { heads })
            }
            _ => None,
        };
        match view {
            Some(view) => Ok(vec![Value::Act(x.relabel(logical, view))]),
            None => unsupported(format!(
                "`perm` {perm:?} reorders the data of {} ({}); pimzoo's IR has no transpose, and only the head split of attention is understood",
                Self::input_label(ctx, 0),
                show(&x.logical)
            )),
        }
    }

    pub(super) fn pad(&mut self, ctx: &Ctx, ins: &[Option<Value>]) -> Res<Vec<Value>> {
        let x = self.act_in(ctx, ins, 0)?;
        let rank = x.logical.len() + 1;
        let pads = match ctx.ints("pads")? {
            Some(p) => p,
            None => self
                .ints_in(ctx, ins, 1, "the pads")?
                .map_or_else(|| invalid("the pads are missing"), Ok)?,
        };
        let axes: Vec<usize> = match self.ints_in(ctx, ins, 3, "the axes")? {
            Some(a) => a
                .into_iter()
                .map(|a| norm_axis(a, rank))
                .collect::<Res<_>>()?,
            None => (0..rank).collect(),
        };
        if pads.len() != 2 * axes.len() {
            return invalid(format!("{} pads for {} axes", pads.len(), axes.len()));
        }
        let (mut begin, mut end) = (vec![0usize; rank], vec![0usize; rank]);
        for (j, &a) in axes.iter().enumerate() {
            let (b, e) = (pads[j], pads[axes.len() + j]);
            if b < 0 || e < 0 {
                return unsupported(format!("negative pads {pads:?} (cropping)"));
            }
            let (Some(b), Some(e)) = (size(b), size(e)) else {
                return invalid(format!("pads {pads:?} beyond {MAX_SIZE}"));
            };
            begin[a] = b;
            end[a] = e;
        }
        if begin.iter().chain(&end).all(|&p| p == 0) {
            return Ok(vec![Value::Act(x)]);
        }
        if rank != 4 || begin[..2].iter().chain(&end[..2]).any(|&p| p != 0) {
            return unsupported(
                "pads other axes than a feature map's height and width; only such padding maps, into the conv or pool that reads it",
            );
        }
        Self::chw(ctx, &x, 0)?;
        Ok(vec![Value::Padded {
            act: x,
            pads: [begin[2], begin[3], end[2], end[3]],
            node: ctx.node_ref().to_string(),
        }])
    }

    pub(super) fn reduce_mean(&mut self, ctx: &Ctx, ins: &[Option<Value>]) -> Res<Vec<Value>> {
        let x = self.act_in(ctx, ins, 0)?;
        let keep = ctx.int("keepdims", 1)? != 0;
        let axes = self.axes(ctx, ins, 1)?;
        let spatial = match (&axes, x.logical.len()) {
            (Some(axes), 3) => {
                let mut a: Vec<usize> =
                    axes.iter().map(|&a| norm_axis(a, 4)).collect::<Res<_>>()?;
                a.sort_unstable();
                a == [2, 3]
            }
            _ => false,
        };
        if !spatial {
            return unsupported(
                "ReduceMean maps only as global average pooling (over the height and width of a feature map)",
            );
        }
        let (c, _, _) = Self::chw(ctx, &x, 0)?;
        let name = self.emit(ctx, "", global_pool_op(PoolKind::Avg), &[&x], vec![c, 1, 1]);
        let pooled = Act::plain(name, vec![c, 1, 1]);
        if keep {
            Ok(vec![Value::Act(pooled)])
        } else {
            Ok(vec![self.reshape_to(ctx, pooled, vec![c], "/flatten")?])
        }
    }

    /// The shape of an activation, as a constant (the batch taken as 1).
    pub(super) fn shape(&mut self, ctx: &Ctx, ins: &[Option<Value>]) -> Res<Vec<Value>> {
        let full: Vec<i64> = match ins.first() {
            Some(Some(Value::Padded { act, pads, .. })) => {
                let l = &act.logical;
                [1, l[0], l[1] + pads[0] + pads[2], l[2] + pads[1] + pads[3]]
                    .iter()
                    .map(|&d| d as i64)
                    .collect()
            }
            _ => {
                let x = self.act_in(ctx, ins, 0)?;
                std::iter::once(1)
                    .chain(x.logical.iter().map(|&d| d as i64))
                    .collect()
            }
        };
        let values = slice_range(
            &full,
            ctx.int("start", 0)?,
            ctx.attr("end").map(|_| ctx.int("end", 0)).transpose()?,
        );
        self.note(
            ctx,
            NoteKind::Folded,
            "the shape of an activation, with the batch taken as 1",
        );
        Ok(vec![Value::Const(Const {
            dims: Some(vec![values.len()]),
            values: Some(Values::Int(values)),
        })])
    }
}

/// `v[start..end]` with ONNX's clamping of negative and out-of-range bounds.
pub(super) fn slice_range(v: &[i64], start: i64, end: Option<i64>) -> Vec<i64> {
    let n = v.len() as i64;
    let clamp = |i: i64| (if i < 0 { i + n } else { i }).clamp(0, n) as usize;
    let (s, e) = (clamp(start), clamp(end.unwrap_or(n)));
    if s < e {
        v[s..e].to_vec()
    } else {
        Vec::new()
    }
}
