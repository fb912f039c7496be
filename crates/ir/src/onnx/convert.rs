//! The mapping of an ONNX graph onto IR layers.
//!
//! Nodes are visited in the file's (topological) order. Every tensor name
//! stands for a [`Value`]: an activation that some IR layer (or the network
//! input) holds, a constant known without the input, padding waiting for the
//! conv or pool that absorbs it, or an output with no IR equivalent. Shapes
//! are one sample's, without the batch: ONNX's leading dimension is dropped,
//! and a node that mixes the batch with other dimensions is unsupported.
//!
//! An activation carries two shapes: `ir`, the shape of the IR layer that
//! holds it, and `logical`, its ONNX shape. They differ after a reshape or a
//! transpose the IR has no operation for but whose consumers need none: the
//! attention heads of a transformer (`[S, 768]` viewed as `[12, S, 64]`) and
//! unit axes (`[T, 1, H]` for `[T, H]`).
use super::proto::{self, Attribute, Dim, Graph, Model, Node, Tensor, ValueInfo, Values};
use super::{ImportOptions, Imported, NodeRef, Note, NoteKind, OnnxError};
use crate::op::{ActivationKind, Conv2d, Hw, Lstm, MatMul, NormKind, Op, Pool, PoolKind};
use crate::{IrError, LayerSpec, Network, NetworkSpec, TensorShape, INPUT};
use std::collections::{HashMap, HashSet};

mod fold;
mod layers;
mod shapes;

/// One sample's activation, held by an IR layer or the network input.
#[derive(Clone, Debug, PartialEq)]
struct Act {
    /// The IR layer (or [`INPUT`]) whose output this is.
    src: String,
    /// Shape of that layer's output.
    ir: Vec<usize>,
    /// The ONNX shape of this tensor, per sample.
    logical: Vec<usize>,
    view: View,
}

/// How `logical` lies over `ir`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum View {
    /// The same data in the same order; the shapes differ at most by unit axes.
    Plain,
    /// `ir = [R, heads * C]` seen as `logical = [R, heads, C]`.
    Split { heads: usize },
    /// `ir = [R, heads * C]` seen as `[heads, R, C]`, or with `kt` (keys
    /// transposed, as K^T) as `[heads, C, R]`. With one head the leading axis
    /// is absent: `[R, C]` or `[C, R]`.
    Heads { heads: usize, kt: bool },
}

impl Act {
    fn plain(src: String, shape: Vec<usize>) -> Act {
        Act {
            src,
            ir: shape.clone(),
            logical: shape,
            view: View::Plain,
        }
    }
    /// The same data under another ONNX shape and view.
    fn relabel(&self, logical: Vec<usize>, view: View) -> Act {
        Act {
            logical,
            view,
            ..self.clone()
        }
    }
    fn is_exact(&self) -> bool {
        self.view == View::Plain && self.logical == self.ir
    }
}

/// A tensor known without the network input.
#[derive(Clone, Debug, Default, PartialEq)]
struct Const {
    /// ONNX dimensions (constants have no batch); `None` when not known.
    dims: Option<Vec<usize>>,
    /// Values, for small tensors whose values the file gives.
    values: Option<Values>,
}

#[derive(Clone, Debug, PartialEq)]
enum Value {
    Act(Act),
    Const(Const),
    /// The output of a Pad node: `act` padded by (top, left, bottom, right).
    Padded {
        act: Act,
        pads: [usize; 4],
        node: String,
    },
    /// An output with no IR equivalent; reading it is an error saying why.
    Unavailable(String),
}

/// Why a node did not map.
enum Fail {
    /// Well formed, but with no IR equivalent (skippable).
    Unsupported(String),
    /// Malformed or inconsistent.
    Invalid(String),
}

type Res<T> = Result<T, Fail>;

fn unsupported<T>(m: impl Into<String>) -> Res<T> {
    Err(Fail::Unsupported(m.into()))
}
fn invalid<T>(m: impl Into<String>) -> Res<T> {
    Err(Fail::Invalid(m.into()))
}

/// The largest size the importer accepts for a dimension or a size attribute:
/// the IR's own limit, which keeps every sum and product of the mapping in range.
const MAX_SIZE: i64 = crate::infer::MAX_SIZE as i64;

/// A dimension or size attribute, if it is in `0..=MAX_SIZE`.
fn size(v: i64) -> Option<usize> {
    (0..=MAX_SIZE).contains(&v).then_some(v as usize)
}

fn show(dims: &[usize]) -> String {
    TensorShape::new(dims.to_vec()).to_string()
}

fn elements(dims: &[usize]) -> usize {
    dims.iter().fold(1usize, |a, &d| a.saturating_mul(d))
}

/// The node being mapped.
struct Ctx<'n> {
    pos: usize,
    node: &'n Node,
    opset: i64,
}

impl<'n> Ctx<'n> {
    fn node_ref(&self) -> NodeRef {
        NodeRef {
            position: self.pos,
            name: self.node.name.clone(),
            op_type: self.node.op_type.clone(),
        }
    }
    fn attr(&self, name: &str) -> Option<&'n Attribute> {
        self.node.attributes.iter().find(|a| a.name == name)
    }
    fn int(&self, name: &str, default: i64) -> Res<i64> {
        match self.attr(name) {
            None => Ok(default),
            Some(a) => match (a.kind, a.i) {
                (0 | proto::ATTR_INT, Some(i)) => Ok(i),
                _ => invalid(format!("attribute `{name}` must be an integer")),
            },
        }
    }
    fn ints(&self, name: &str) -> Res<Option<Vec<i64>>> {
        match self.attr(name) {
            None => Ok(None),
            Some(a) if a.kind == proto::ATTR_INTS || (a.kind == 0 && a.i.is_none()) => {
                Ok(Some(a.ints.clone()))
            }
            Some(_) => invalid(format!("attribute `{name}` must be a list of integers")),
        }
    }
    fn float(&self, name: &str) -> Res<Option<f64>> {
        match self.attr(name) {
            None => Ok(None),
            Some(a) => match (a.kind, a.f) {
                (0 | proto::ATTR_FLOAT, Some(f)) => Ok(Some(f64::from(f))),
                _ => invalid(format!("attribute `{name}` must be a float")),
            },
        }
    }
    fn string(&self, name: &str) -> Res<Option<&'n str>> {
        match self.attr(name) {
            None => Ok(None),
            Some(a) => match (a.kind, &a.s) {
                (0 | proto::ATTR_STRING, Some(s)) => Ok(Some(s.as_str())),
                _ => invalid(format!("attribute `{name}` must be a string")),
            },
        }
    }
    /// Name of input `i`, if the node gives it (an empty name is an absent optional input).
    fn input_name(&self, i: usize) -> Option<&'n str> {
        self.node
            .inputs
            .get(i)
            .map(String::as_str)
            .filter(|n| !n.is_empty())
    }
    /// A list of non-negative sizes of a given length (strides, kernel).
    fn sizes(&self, name: &str, len: usize, default: usize) -> Res<Vec<usize>> {
        match self.ints(name)? {
            None => Ok(vec![default; len]),
            Some(v) if v.len() == len => v
                .iter()
                .map(|&x| size(x).filter(|&x| x > 0))
                .collect::<Option<Vec<_>>>()
                .map_or_else(|| invalid(format!("`{name}` = {v:?} must be positive")), Ok),
            Some(v) => invalid(format!("`{name}` = {v:?} must have {len} values")),
        }
    }
}

struct Converter<'a> {
    origin: &'a str,
    options: &'a ImportOptions,
    values: HashMap<String, Value>,
    /// Declared shapes (value_info and graph outputs), by tensor name.
    declared: HashMap<&'a str, &'a [Dim]>,
    /// How many node inputs and graph outputs read each tensor.
    readers: HashMap<&'a str, usize>,
    layers: Vec<LayerSpec>,
    /// Per layer: the node it comes from and the output shape ONNX's rules give.
    origins: Vec<(NodeRef, Vec<usize>)>,
    names: HashSet<String>,
    /// Layers without a bias that may take one from a following Add: name ->
    /// (index, position of the channel axis counted from the end).
    biasable: HashMap<String, (usize, usize)>,
    notes: Vec<Note>,
    skipped: Vec<NodeRef>,
}

pub(super) fn convert(
    model: Model,
    origin: &str,
    options: &ImportOptions,
) -> Result<Imported, OnnxError> {
    let graph_err = |message: String| OnnxError::Graph {
        origin: origin.to_string(),
        message,
    };
    let opset = model.opset();
    let Some(graph) = &model.graph else {
        return Err(graph_err(
            "the file holds no graph (is it an ONNX model?)".into(),
        ));
    };
    let mut c = Converter {
        origin,
        options,
        values: HashMap::new(),
        declared: HashMap::new(),
        readers: HashMap::new(),
        layers: Vec::new(),
        origins: Vec::new(),
        names: HashSet::new(),
        biasable: HashMap::new(),
        notes: Vec::new(),
        skipped: Vec::new(),
    };
    for vi in graph.value_info.iter().chain(&graph.outputs) {
        if let Some(shape) = &vi.shape {
            c.declared.insert(vi.name.as_str(), shape.as_slice());
        }
    }
    for name in graph
        .nodes
        .iter()
        .flat_map(|n| &n.inputs)
        .chain(graph.outputs.iter().map(|o| &o.name))
    {
        *c.readers.entry(name.as_str()).or_default() += 1;
    }
    let input_shape = c.inputs(graph).map_err(graph_err)?;
    // Opset 1 is ONNX's first; files without an opset import are older than any rule here.
    let opset_version = opset.unwrap_or(1);
    for (pos, node) in graph.nodes.iter().enumerate() {
        let ctx = Ctx {
            pos,
            node,
            opset: opset_version,
        };
        c.node(&ctx).map_err(|f| {
            let (message, unsupported) = match f {
                Fail::Unsupported(m) => (m, true),
                Fail::Invalid(m) => (m, false),
            };
            OnnxError::Node {
                origin: origin.to_string(),
                node: ctx.node_ref(),
                message,
                unsupported,
            }
        })?;
    }
    if c.layers.is_empty() {
        return Err(graph_err(
            "no node of the graph maps to a layer (every node is a constant or a no-op)".into(),
        ));
    }
    let name = options
        .name
        .clone()
        .or_else(|| (!graph.name.is_empty()).then(|| graph.name.clone()))
        .unwrap_or_else(|| "onnx-model".into());
    let spec = NetworkSpec {
        name,
        input: TensorShape::new(input_shape),
        source: Some(source_line(origin, &model)),
        layers: c.layers.clone(),
    };
    let network = Network::new(spec).map_err(|e| c.ir_error(e))?;
    // The IR re-inferred every shape by its own rules: they must agree with ONNX's.
    for (layer, (node, expect)) in network.layers().iter().zip(&c.origins) {
        if layer.output.dims() != expect.as_slice() {
            return Err(OnnxError::Node {
                origin: origin.to_string(),
                node: node.clone(),
                message: format!(
                    "pimzoo's IR infers {} for layer `{}`, but ONNX's rules give {}",
                    layer.output,
                    layer.name,
                    show(expect)
                ),
                unsupported: false,
            });
        }
    }
    Ok(Imported {
        network,
        nodes: graph.nodes.len(),
        skipped: c.skipped,
        notes: c.notes,
        opset,
        producer: model.producer.clone(),
    })
}

fn source_line(origin: &str, model: &Model) -> String {
    let file = std::path::Path::new(origin)
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| origin.to_string());
    let mut s = format!("imported from the ONNX file `{file}`");
    if !model.producer.is_empty() {
        s.push_str(&format!(", produced by {}", model.producer));
    }
    if let Some(v) = model.opset() {
        s.push_str(&format!(", opset {v}"));
    }
    s
}

/// One sample's shape of a graph input as the file declares it: every
/// dimension after the batch must be a size.
fn file_input_shape(input: &ValueInfo) -> Result<Vec<usize>, String> {
    let name = &input.name;
    let dims = input.shape.as_ref().ok_or_else(|| {
        format!("input `{name}` has no shape in the file; give one sample's shape")
    })?;
    if dims.len() < 2 {
        return Err(format!(
            "input `{name}` has rank {}; pimzoo needs a leading batch dimension and at least one more",
            dims.len()
        ));
    }
    dims[1..]
        .iter()
        .enumerate()
        .map(|(i, d)| match d {
            Dim::Value(v) if size(*v).is_some_and(|v| v > 0) => Ok(*v as usize),
            other => Err(format!(
                "dimension {} of input `{name}` is `{other}`, not a size; give one sample's input shape",
                i + 1
            )),
        })
        .collect()
}

/// Integer dimensions of a tensor, checked non-negative.
fn tensor_dims(t: &Tensor) -> Result<Vec<usize>, String> {
    t.dims
        .iter()
        .map(|&d| {
            size(d).ok_or_else(|| {
                format!(
                    "initializer `{}` has the dimension {d} (negative, or beyond {MAX_SIZE})",
                    t.name
                )
            })
        })
        .collect()
}

impl<'a> Converter<'a> {
    /// Bind the graph inputs and initializers; returns the network input's shape.
    fn inputs(&mut self, graph: &'a Graph) -> Result<Vec<usize>, String> {
        let initialized: HashSet<&str> =
            graph.initializers.iter().map(|t| t.name.as_str()).collect();
        let candidates: Vec<_> = graph
            .inputs
            .iter()
            .filter(|vi| !initialized.contains(vi.name.as_str()))
            .collect();
        let names = || {
            candidates
                .iter()
                .map(|v| format!("`{}`", v.name))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let chosen = match &self.options.input {
            Some(want) => candidates.iter().find(|v| &v.name == want).ok_or_else(|| {
                format!(
                    "the graph has no input `{want}`; its inputs are {}",
                    names()
                )
            })?,
            None => candidates
                .first()
                .ok_or("the graph has no input (every input is an initializer)")?,
        };
        let declared = file_input_shape(chosen);
        let shape = match (&self.options.input_shape, &declared) {
            (Some(s), Ok(file)) if s != file => {
                // The file's declared shapes describe its own input, not this one.
                self.declared.clear();
                s.clone()
            }
            (Some(s), _) => s.clone(),
            (None, Ok(file)) => file.clone(),
            (None, Err(e)) => return Err(e.clone()),
        };
        if shape.is_empty() || shape.contains(&0) {
            return Err(format!(
                "input shape {} must have at least one dimension and no zero sizes",
                show(&shape)
            ));
        }
        self.values.insert(
            chosen.name.clone(),
            Value::Act(Act::plain(INPUT.to_string(), shape.clone())),
        );
        for other in candidates.iter().filter(|v| v.name != chosen.name) {
            // Masks and token types: known shapes, unknown values, no layers.
            let dims = other.shape.as_ref().map(|d| {
                d.iter()
                    .map(|d| match d {
                        Dim::Value(v) => size(*v).filter(|&v| v > 0).unwrap_or(1),
                        _ => 1,
                    })
                    .collect()
            });
            self.values.insert(
                other.name.clone(),
                Value::Const(Const { dims, values: None }),
            );
            self.notes.push(Note {
                node: NodeRef {
                    position: 0,
                    name: other.name.clone(),
                    op_type: "graph input".into(),
                },
                kind: NoteKind::Approximate,
                message: format!(
                    "graph input `{}` is not the network input (`{}`): taken as a constant; what it feeds is not counted",
                    other.name, chosen.name
                ),
            });
        }
        for t in &graph.initializers {
            let dims = tensor_dims(t)?;
            self.values.insert(
                t.name.clone(),
                Value::Const(Const {
                    dims: Some(dims),
                    values: t.values.clone(),
                }),
            );
        }
        Ok(shape)
    }

    fn ir_error(&self, e: IrError) -> OnnxError {
        let node = match &e {
            IrError::Layer { layer, .. } => self.origin_of(layer),
            _ => None,
        };
        match node {
            Some(node) => OnnxError::Ir {
                origin: self.origin.to_string(),
                node,
                source: Box::new(e),
            },
            None => OnnxError::Graph {
                origin: self.origin.to_string(),
                message: e.to_string(),
            },
        }
    }

    fn origin_of(&self, layer: &str) -> Option<NodeRef> {
        self.layers
            .iter()
            .position(|l| l.name == layer)
            .map(|i| self.origins[i].0.clone())
    }
}

/// Per-sample dimensions without unit axes, to compare layouts that differ only by them.
fn drop_units(dims: &[usize]) -> Vec<usize> {
    dims.iter().copied().filter(|&d| d != 1).collect()
}

/// An axis attribute against a tensor of rank `rank` (negative counts from the end).
fn norm_axis(axis: i64, rank: usize) -> Res<usize> {
    let r = rank as i64;
    let a = if axis < 0 { axis + r } else { axis };
    if (0..r).contains(&a) {
        Ok(a as usize)
    } else {
        invalid(format!("axis {axis} is out of range for rank {rank}"))
    }
}

/// Resolve a Reshape target (`0` copies, `-1` infers) against the input's dimensions.
fn resolve_shape(target: &[i64], input: &[usize], allow_zero: bool) -> Res<Vec<usize>> {
    let mut out = Vec::with_capacity(target.len());
    let mut infer = None;
    for (i, &v) in target.iter().enumerate() {
        match v {
            0 if !allow_zero => match input.get(i) {
                Some(&d) => out.push(d),
                None => {
                    return invalid(format!(
                        "target shape {target:?} copies dimension {i}, which the input lacks"
                    ))
                }
            },
            -1 if infer.is_none() => {
                infer = Some(i);
                out.push(1);
            }
            v if size(v).is_some_and(|v| v > 0) => out.push(v as usize),
            _ => return invalid(format!("invalid target shape {target:?}")),
        }
    }
    let total = elements(input);
    if let Some(i) = infer {
        let known = elements(&out);
        if known == 0 || total % known != 0 {
            return invalid(format!(
                "target shape {target:?} does not divide the {total} elements of {}",
                show(input)
            ));
        }
        out[i] = total / known;
    }
    if elements(&out) != total {
        return invalid(format!("cannot reshape {} to {}", show(input), show(&out)));
    }
    Ok(out)
}

/// Whether a constant of `dims` broadcasts onto an activation of `full`
/// shape (batch first) without changing its shape.
fn broadcasts_onto(dims: &[usize], full: &[usize]) -> bool {
    dims.len() <= full.len()
        && dims
            .iter()
            .rev()
            .zip(full.iter().rev())
            .all(|(&d, &f)| d == 1 || d == f)
}

fn values_of(c: &Const) -> Option<Vec<i64>> {
    c.values.as_ref().and_then(Values::as_i64)
}

impl<'a> Converter<'a> {
    fn note(&mut self, ctx: &Ctx, kind: NoteKind, message: impl Into<String>) {
        self.notes.push(Note {
            node: ctx.node_ref(),
            kind,
            message: message.into(),
        });
    }

    /// Map one node and bind its outputs.
    fn node(&mut self, ctx: &Ctx) -> Res<()> {
        let n = ctx.node;
        let mut ins: Vec<Option<Value>> = Vec::with_capacity(n.inputs.len());
        for (i, name) in n.inputs.iter().enumerate() {
            if name.is_empty() {
                ins.push(None);
                continue;
            }
            match self.values.get(name) {
                Some(v) => ins.push(Some(v.clone())),
                None => {
                    return invalid(format!(
                        "input {i} `{name}` is not a graph input, an initializer or the output of an earlier node"
                    ))
                }
            }
        }
        let (layers_before, notes_before) = (self.layers.len(), self.notes.len());
        let mut skipped = false;
        let outputs = if ins.iter().flatten().all(|v| matches!(v, Value::Const(_))) {
            self.fold(ctx, &ins)
        } else {
            match self.map(ctx, &ins) {
                Ok(v) => v,
                Err(Fail::Unsupported(_)) if self.options.skip_unsupported => {
                    skipped = true;
                    self.undo(layers_before, notes_before);
                    self.skipped.push(ctx.node_ref());
                    // Dropped: its first activation input passes through.
                    let through = ins
                        .iter()
                        .flatten()
                        .find(|v| matches!(v, Value::Act(_) | Value::Padded { .. }))
                        .cloned();
                    vec![through.unwrap_or_else(|| {
                        Value::Unavailable(format!(
                            "it is an output of the skipped {}",
                            ctx.node_ref()
                        ))
                    })]
                }
                Err(f) => return Err(f),
            }
        };
        if !skipped && self.layers.len() == layers_before && self.notes.len() == notes_before {
            let what = if outputs.iter().all(|v| matches!(v, Value::Const(_))) {
                "computed from constants: no layer"
            } else if matches!(n.op_type.as_str(), "Identity" | "Dropout" | "Cast") {
                "a no-op at inference: no layer"
            } else if outputs.iter().any(|v| matches!(v, Value::Padded { .. })) {
                "padding, absorbed by the conv or pool that reads it"
            } else {
                "a view of its input (the data keep their order in the IR): no layer"
            };
            self.note(ctx, NoteKind::Folded, what);
        }
        for (i, name) in n.outputs.iter().enumerate() {
            if name.is_empty() {
                continue;
            }
            if self.values.contains_key(name) {
                return invalid(format!(
                    "output `{name}` is already defined earlier in the graph"
                ));
            }
            let value = outputs.get(i).cloned().unwrap_or_else(|| {
                Value::Unavailable(format!(
                    "it is output {i} of {}, which has no equivalent in pimzoo's IR",
                    ctx.node_ref()
                ))
            });
            if !skipped {
                self.check_declared(name, &value)?;
            }
            self.values.insert(name.clone(), value);
        }
        Ok(())
    }

    /// Forget the layers and notes a node added before it failed.
    fn undo(&mut self, layers: usize, notes: usize) {
        for layer in self.layers.drain(layers..) {
            self.names.remove(&layer.name);
            self.biasable.remove(&layer.name);
        }
        self.origins.truncate(layers);
        self.notes.truncate(notes);
    }

    /// Compare an output's shape with the one the file declares, if any.
    fn check_declared(&self, name: &str, v: &Value) -> Res<()> {
        let Some(declared) = self.declared.get(name) else {
            return Ok(());
        };
        let (ours, batch) = match v {
            Value::Act(a) => ([&[1][..], &a.logical].concat(), true),
            Value::Padded { act, pads, .. } => {
                let l = &act.logical;
                (
                    vec![1, l[0], l[1] + pads[0] + pads[2], l[2] + pads[1] + pads[3]],
                    true,
                )
            }
            Value::Const(Const { dims: Some(d), .. }) => (d.clone(), false),
            _ => return Ok(()),
        };
        let differs = declared.len() != ours.len()
            || declared.iter().zip(&ours).enumerate().any(|(i, (d, &o))| {
                !(batch && i == 0) && matches!(d, Dim::Value(v) if *v != o as i64)
            });
        if differs {
            let mut parts: Vec<String> = ours.iter().map(|d| d.to_string()).collect();
            if batch {
                parts[0] = "N".into();
            }
            let decl: Vec<String> = declared.iter().map(|d| d.to_string()).collect();
            return invalid(format!(
                "output `{name}` is [{}] by ONNX's shape rules, but the file declares [{}]",
                parts.join(", "),
                decl.join(", ")
            ));
        }
        Ok(())
    }

    /// A layer for `ctx`'s node. `expect` is its output shape by ONNX's rules,
    /// checked against the IR's inference once the network is built.
    fn emit(
        &mut self,
        ctx: &Ctx,
        suffix: &str,
        op: Op,
        inputs: &[&Act],
        expect: Vec<usize>,
    ) -> String {
        let base = if ctx.node.name.is_empty() {
            format!("{}_{}", ctx.node.op_type.to_lowercase(), ctx.pos)
        } else {
            ctx.node.name.clone()
        };
        let mut name = format!("{base}{suffix}");
        let mut n = 1;
        while name == INPUT || self.names.contains(&name) {
            n += 1;
            name = format!("{base}{suffix}_{n}");
        }
        let sources: Vec<String> = inputs.iter().map(|a| a.src.clone()).collect();
        let previous = self.layers.last().map_or(INPUT, |l| l.name.as_str());
        let inputs = if sources.len() == 1 && sources[0] == previous {
            Vec::new()
        } else {
            sources
        };
        self.names.insert(name.clone());
        self.layers.push(LayerSpec {
            name: name.clone(),
            op,
            inputs,
        });
        self.origins.push((ctx.node_ref(), expect));
        name
    }

    fn input_label(ctx: &Ctx, i: usize) -> String {
        match ctx.input_name(i) {
            Some(n) => format!("input {i} `{n}`"),
            None => format!("input {i}"),
        }
    }

    /// Input `i` as an activation.
    fn act_in(&self, ctx: &Ctx, ins: &[Option<Value>], i: usize) -> Res<Act> {
        let label = Self::input_label(ctx, i);
        match ins.get(i) {
            Some(Some(Value::Act(a))) => Ok(a.clone()),
            Some(Some(Value::Padded { node, .. })) => unsupported(format!(
                "{label} is the output of Pad {node}; only a Conv or a pooling node can absorb padding"
            )),
            Some(Some(Value::Const(_))) => unsupported(format!(
                "{label} is a constant where pimzoo expects an activation"
            )),
            Some(Some(Value::Unavailable(why))) => unsupported(format!("{label} is not available: {why}")),
            _ => invalid(format!("{label} is missing")),
        }
    }

    /// Input `i` as an activation, with the padding of a Pad node it comes from.
    fn padded_in(&self, ctx: &Ctx, ins: &[Option<Value>], i: usize) -> Res<(Act, [usize; 4])> {
        match ins.get(i) {
            Some(Some(Value::Padded { act, pads, .. })) => Ok((act.clone(), *pads)),
            _ => Ok((self.act_in(ctx, ins, i)?, [0; 4])),
        }
    }

    /// Input `i` as a constant, or `None` when the node leaves it out.
    fn const_in(
        &self,
        ctx: &Ctx,
        ins: &[Option<Value>],
        i: usize,
        what: &str,
    ) -> Res<Option<Const>> {
        match ins.get(i) {
            None | Some(None) => Ok(None),
            Some(Some(Value::Const(c))) => Ok(Some(c.clone())),
            Some(Some(_)) => unsupported(format!(
                "{} ({what}) is computed from the network input; pimzoo needs it constant",
                Self::input_label(ctx, i)
            )),
        }
    }

    /// Input `i`: a constant of known dimensions.
    fn weights_in(
        &self,
        ctx: &Ctx,
        ins: &[Option<Value>],
        i: usize,
        what: &str,
    ) -> Res<Vec<usize>> {
        match self.const_in(ctx, ins, i, what)? {
            Some(Const { dims: Some(d), .. }) => Ok(d),
            Some(_) => invalid(format!(
                "the shape of {} ({what}) is not known: it is computed by nodes pimzoo does not evaluate",
                Self::input_label(ctx, i)
            )),
            None => invalid(format!("{} ({what}) is missing", Self::input_label(ctx, i))),
        }
    }

    /// Integer values of constant input `i` (axes, pads, a target shape).
    fn ints_in(
        &self,
        ctx: &Ctx,
        ins: &[Option<Value>],
        i: usize,
        what: &str,
    ) -> Res<Option<Vec<i64>>> {
        match self.const_in(ctx, ins, i, what)? {
            None => Ok(None),
            Some(c) => match values_of(&c) {
                Some(v) => Ok(Some(v)),
                None => invalid(format!(
                    "the values of {} ({what}) are not in the file (too large, external, or computed by nodes pimzoo does not evaluate)",
                    Self::input_label(ctx, i)
                )),
            },
        }
    }

    /// A scalar bound given as constant input `i`.
    fn scalar_in(
        &self,
        ctx: &Ctx,
        ins: &[Option<Value>],
        i: usize,
        what: &str,
    ) -> Res<Option<f64>> {
        match self.const_in(ctx, ins, i, what)? {
            None => Ok(None),
            Some(Const {
                values: Some(v), ..
            }) if v.len() == 1 => Ok(v.as_f64().first().copied()),
            Some(_) => invalid(format!(
                "{} ({what}) must be a scalar whose value is in the file",
                Self::input_label(ctx, i)
            )),
        }
    }

    /// Fail unless the activation is laid out in the IR exactly as in ONNX.
    fn exact(ctx: &Ctx, a: &Act, i: usize) -> Res<()> {
        if a.is_exact() {
            Ok(())
        } else {
            unsupported(format!(
                "{} is {} in ONNX but {} in pimzoo's IR (after a reshape or transpose the IR has no operation for)",
                Self::input_label(ctx, i),
                show(&a.logical),
                show(&a.ir)
            ))
        }
    }

    /// A `[C, H, W]` feature-map input.
    fn chw(ctx: &Ctx, a: &Act, i: usize) -> Res<(usize, usize, usize)> {
        Self::exact(ctx, a, i)?;
        match a.logical[..] {
            [c, h, w] => Ok((c, h, w)),
            _ => unsupported(format!(
                "{} has shape {} per sample; this operator maps only on a [C, H, W] feature map (2-D, batch first)",
                Self::input_label(ctx, i),
                show(&a.logical)
            )),
        }
    }

    /// A layer of one input that keeps its shape and view.
    fn unary(&mut self, ctx: &Ctx, ins: &[Option<Value>], op: Op) -> Res<Vec<Value>> {
        let x = self.act_in(ctx, ins, 0)?;
        let name = self.emit(ctx, "", op, &[&x], x.ir.clone());
        Ok(vec![Value::Act(Act { src: name, ..x })])
    }

    fn map(&mut self, ctx: &Ctx, ins: &[Option<Value>]) -> Res<Vec<Value>> {
        let op = ctx.node.op_type.as_str();
        let domain = ctx.node.domain.as_str();
        let standard = domain.is_empty() || domain == "ai.onnx";
        if !(standard || (domain == "com.microsoft" && op == "Gelu")) {
            return unsupported(format!(
                "operator `{op}` of domain `{domain}` is not supported"
            ));
        }
        match op {
            "Conv" => self.conv(ctx, ins),
            "MaxPool" => self.pool(ctx, ins, PoolKind::Max),
            "AveragePool" => self.pool(ctx, ins, PoolKind::Avg),
            "GlobalAveragePool" => self.global_pool(ctx, ins, PoolKind::Avg),
            "GlobalMaxPool" => self.global_pool(ctx, ins, PoolKind::Max),
            "Gemm" => self.gemm(ctx, ins),
            "MatMul" => self.matmul(ctx, ins),
            "Relu" => self.unary(ctx, ins, Op::Activation(ActivationKind::Relu)),
            "Sigmoid" => self.unary(ctx, ins, Op::Activation(ActivationKind::Sigmoid)),
            "Tanh" => self.unary(ctx, ins, Op::Activation(ActivationKind::Tanh)),
            "Gelu" => self.unary(ctx, ins, Op::Activation(ActivationKind::Gelu)),
            "LeakyRelu" => {
                self.note(
                    ctx,
                    NoteKind::Equivalent,
                    "LeakyReLU counted as ReLU: one operation per element, no parameters",
                );
                self.unary(ctx, ins, Op::Activation(ActivationKind::Relu))
            }
            "PRelu" => self.prelu(ctx, ins),
            "Clip" => self.clip(ctx, ins),
            "Softmax" => self.softmax(ctx, ins),
            "BatchNormalization" => self.batch_norm(ctx, ins),
            "LayerNormalization" => self.layer_norm(ctx, ins),
            "LRN" => {
                let x = self.act_in(ctx, ins, 0)?;
                Self::chw(ctx, &x, 0)?;
                self.unary(ctx, ins, Op::Norm(NormKind::LocalResponse))
            }
            "Add" | "Sum" => self.add(ctx, ins),
            "Sub" | "Mul" | "Div" => self.scale(ctx, ins),
            "Concat" => self.concat(ctx, ins),
            "Flatten" => self.flatten(ctx, ins),
            "Reshape" => self.reshape(ctx, ins),
            "Squeeze" => self.squeeze(ctx, ins),
            "Unsqueeze" => self.unsqueeze(ctx, ins),
            "Transpose" => self.transpose(ctx, ins),
            "Identity" | "Dropout" | "Cast" => Ok(vec![Value::Act(self.act_in(ctx, ins, 0)?)]),
            "Pad" => self.pad(ctx, ins),
            "ReduceMean" => self.reduce_mean(ctx, ins),
            "Gather" => self.gather(ctx, ins),
            "LSTM" => self.lstm(ctx, ins),
            "Shape" => self.shape(ctx, ins),
            _ => unsupported(format!("operator `{op}` is not supported")),
        }
    }
}
