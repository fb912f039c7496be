//! Nodes whose inputs are all constants: they compute a constant, no layer.
use super::shapes::slice_range;
use super::*;

/// Shapes and small integer values are followed where the few shape
/// operators need them (a Reshape target built from `Shape`); anything else
/// is a constant of the shape the file declares, values unknown.
impl<'a> Converter<'a> {
    pub(super) fn fold(&self, ctx: &Ctx, ins: &[Option<Value>]) -> Vec<Value> {
        let k = |i: usize| match ins.get(i) {
            Some(Some(Value::Const(c))) => Some(c),
            _ => None,
        };
        let computed = match ctx.node.op_type.as_str() {
            "Constant" => constant_attr(ctx),
            "Identity" | "Cast" | "Dropout" => k(0).cloned(),
            "Shape" => k(0).and_then(|c| c.dims.as_ref()).map(|d| {
                let full: Vec<i64> = d.iter().map(|&x| x as i64).collect();
                let start = ctx.int("start", 0).unwrap_or(0);
                let end = ctx.attr("end").and_then(|_| ctx.int("end", 0).ok());
                let v = slice_range(&full, start, end);
                Const {
                    dims: Some(vec![v.len()]),
                    values: Some(Values::Int(v)),
                }
            }),
            "Reshape" => k(0).zip(k(1)).and_then(|(x, t)| {
                let dims = resolve_shape(&values_of(t)?, x.dims.as_ref()?, false).ok()?;
                Some(Const {
                    dims: Some(dims),
                    values: x.values.clone(),
                })
            }),
            "Unsqueeze" | "Squeeze" => k(0).and_then(|x| {
                let dims = x.dims.as_ref()?;
                let axes = match ctx.ints("axes").ok().flatten() {
                    Some(a) => Some(a),
                    None => k(1).and_then(values_of),
                };
                let dims = if ctx.node.op_type == "Squeeze" {
                    let drop: Vec<usize> = match axes {
                        Some(a) => a
                            .iter()
                            .map(|&a| norm_axis(a, dims.len()).ok())
                            .collect::<Option<_>>()?,
                        None => (0..dims.len()).filter(|&i| dims[i] == 1).collect(),
                    };
                    (0..dims.len())
                        .filter(|i| !drop.contains(i))
                        .map(|i| dims[i])
                        .collect()
                } else {
                    let axes = axes?;
                    let rank = dims.len() + axes.len();
                    let at: Vec<usize> = axes
                        .iter()
                        .map(|&a| norm_axis(a, rank).ok())
                        .collect::<Option<_>>()?;
                    let mut rest = dims.iter();
                    (0..rank)
                        .map(|j| {
                            if at.contains(&j) {
                                1
                            } else {
                                rest.next().copied().unwrap_or(1)
                            }
                        })
                        .collect()
                };
                Some(Const {
                    dims: Some(dims),
                    values: x.values.clone(),
                })
            }),
            "Concat" => {
                let parts: Option<Vec<&Const>> = (0..ins.len()).map(k).collect();
                parts.and_then(|parts| {
                    let first = parts.first()?.dims.clone()?;
                    let axis = norm_axis(ctx.int("axis", 0).ok()?, first.len()).ok()?;
                    let mut dims = first.clone();
                    dims[axis] = 0;
                    for p in &parts {
                        let d = p.dims.as_ref()?;
                        if d.len() != first.len() {
                            return None;
                        }
                        dims[axis] += d[axis];
                    }
                    let values = (dims.len() == 1)
                        .then(|| {
                            parts
                                .iter()
                                .map(|p| values_of(p))
                                .collect::<Option<Vec<_>>>()
                        })
                        .flatten()
                        .map(|v| Values::Int(v.concat()));
                    Some(Const {
                        dims: Some(dims),
                        values,
                    })
                })
            }
            "Gather" => k(0).zip(k(1)).and_then(|(data, idx)| {
                let d = data.dims.as_ref()?;
                let i = idx.dims.as_ref()?;
                let axis = norm_axis(ctx.int("axis", 0).ok()?, d.len()).ok()?;
                let dims: Vec<usize> = [&d[..axis], &i[..], &d[axis + 1..]].concat();
                // Picking entries of a shape vector: the values follow.
                let values = (d.len() == 1)
                    .then(|| {
                        let src = values_of(data)?;
                        let n = src.len() as i64;
                        values_of(idx)?
                            .iter()
                            .map(|&j| src.get((if j < 0 { j + n } else { j }) as usize).copied())
                            .collect::<Option<Vec<_>>>()
                    })
                    .flatten()
                    .map(Values::Int);
                Some(Const {
                    dims: Some(dims),
                    values,
                })
            }),
            _ => None,
        };
        ctx.node
            .outputs
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let declared = || Const {
                    dims: self.declared.get(name.as_str()).and_then(|d| {
                        d.iter()
                            .map(|d| match d {
                                Dim::Value(v) => size(*v),
                                _ => None,
                            })
                            .collect()
                    }),
                    values: None,
                };
                let c = match (i, &computed) {
                    (0, Some(c)) => c.clone(),
                    _ => declared(),
                };
                Value::Const(c)
            })
            .collect()
    }
}

/// The value of a Constant node.
fn constant_attr(ctx: &Ctx) -> Option<Const> {
    let a = ctx.node.attributes.first()?;
    let c = match a.name.as_str() {
        "value" => {
            let t = a.t.as_ref()?;
            Const {
                dims: tensor_dims(t).ok(),
                values: t.values.clone(),
            }
        }
        "value_float" => Const {
            dims: Some(Vec::new()),
            values: a.f.map(|f| Values::Float(vec![f64::from(f)])),
        },
        "value_floats" => Const {
            dims: Some(vec![a.floats.len()]),
            values: Some(Values::Float(
                a.floats.iter().map(|&f| f64::from(f)).collect(),
            )),
        },
        "value_int" => Const {
            dims: Some(Vec::new()),
            values: a.i.map(|i| Values::Int(vec![i])),
        },
        "value_ints" => Const {
            dims: Some(vec![a.ints.len()]),
            values: Some(Values::Int(a.ints.clone())),
        },
        _ => return None,
    };
    Some(c)
}
