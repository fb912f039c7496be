//! The few ONNX messages the importer needs, decoded from the wire format with
//! the field numbers of `onnx.proto` (ONNX 1.x; the numbers never change).
//!
//! Only names, the graph structure, attributes, type shapes and tensor
//! dimensions are kept. Tensor payloads are skipped unless they are small
//! (shape vectors, axes, clip bounds: see [`SMALL_PAYLOAD`]); the weights of a
//! model are never read. Unknown fields are skipped, as protobuf requires, so
//! newer files still import.
use super::wire::{Result, Wire, WireType};
use std::io::{BufRead, Seek};

/// Tensor payloads up to this many bytes are read, so that shape constants
/// (a Reshape target, Squeeze axes, Clip bounds) are known; anything larger is
/// a weight and is skipped by seeking.
pub const SMALL_PAYLOAD: u64 = 512;

/// Tensors with at most this many elements have their values decoded.
pub const SMALL_ELEMENTS: usize = 64;

#[derive(Debug, Default)]
pub struct Model {
    pub ir_version: i64,
    pub producer: String,
    /// `(domain, version)` of each imported operator set; `""` is the default domain.
    pub opsets: Vec<(String, i64)>,
    pub graph: Option<Graph>,
}

impl Model {
    /// The version of the default (`ai.onnx`) operator set.
    pub fn opset(&self) -> Option<i64> {
        self.opsets
            .iter()
            .find(|(d, _)| d.is_empty() || d == "ai.onnx")
            .map(|(_, v)| *v)
    }
}

#[derive(Debug, Default)]
pub struct Graph {
    pub name: String,
    pub nodes: Vec<Node>,
    pub initializers: Vec<Tensor>,
    pub inputs: Vec<ValueInfo>,
    pub outputs: Vec<ValueInfo>,
    pub value_info: Vec<ValueInfo>,
}

#[derive(Debug, Default)]
pub struct Node {
    pub name: String,
    pub op_type: String,
    pub domain: String,
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    pub attributes: Vec<Attribute>,
}

/// An attribute; which fields are set depends on its type.
#[derive(Debug, Default)]
pub struct Attribute {
    pub name: String,
    /// `AttributeProto.AttributeType`: 1 float, 2 int, 3 string, 4 tensor,
    /// 6 floats, 7 ints, 8 strings; 0 when the file leaves it out.
    pub kind: i64,
    pub f: Option<f32>,
    pub i: Option<i64>,
    pub s: Option<String>,
    pub t: Option<Tensor>,
    pub floats: Vec<f32>,
    pub ints: Vec<i64>,
}

pub const ATTR_FLOAT: i64 = 1;
pub const ATTR_INT: i64 = 2;
pub const ATTR_STRING: i64 = 3;
pub const ATTR_INTS: i64 = 7;

/// A tensor's description: name, element type and dimensions; its values
/// only when it is small.
#[derive(Debug, Default, Clone)]
pub struct Tensor {
    pub name: String,
    pub dims: Vec<i64>,
    /// `TensorProto.DataType`: 1 float, 6 int32, 7 int64, 11 double, ...
    pub data_type: i64,
    /// The values of a small tensor of a numeric type, when stored in the file.
    pub values: Option<Values>,
    /// Stored outside the file (`data_location = EXTERNAL`).
    pub external: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    Int(Vec<i64>),
    Float(Vec<f64>),
}

impl Values {
    pub fn len(&self) -> usize {
        match self {
            Values::Int(v) => v.len(),
            Values::Float(v) => v.len(),
        }
    }
    pub fn as_f64(&self) -> Vec<f64> {
        match self {
            Values::Int(v) => v.iter().map(|&x| x as f64).collect(),
            Values::Float(v) => v.clone(),
        }
    }
    /// The values as integers, if they are integers (shapes, axes, pads).
    pub fn as_i64(&self) -> Option<Vec<i64>> {
        match self {
            Values::Int(v) => Some(v.clone()),
            Values::Float(v) => v
                .iter()
                .map(|&x| (x.fract() == 0.0 && x.abs() < 9e15).then_some(x as i64))
                .collect(),
        }
    }
}

/// A named value's declared type: element type and shape, when given.
#[derive(Debug, Default, Clone)]
pub struct ValueInfo {
    pub name: String,
    pub elem_type: i64,
    /// `None` when the file gives no shape (or the value is not a tensor).
    pub shape: Option<Vec<Dim>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dim {
    Value(i64),
    /// A symbolic size such as `batch` or `sequence`.
    Param(String),
    Unknown,
}

impl std::fmt::Display for Dim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dim::Value(v) => write!(f, "{v}"),
            Dim::Param(p) => write!(f, "{p}"),
            Dim::Unknown => write!(f, "?"),
        }
    }
}

/// Decode a whole `ModelProto` from `w`.
pub fn read_model<R: BufRead + Seek>(w: &mut Wire<R>) -> Result<Model> {
    let end = w.len();
    if end == 0 {
        return w.error(0, "the file is empty");
    }
    let mut m = Model::default();
    while let Some((field, wire)) = w.key(end, "ModelProto")? {
        match field {
            1 => m.ir_version = varint_i64(w, wire, end, "ModelProto.ir_version")?,
            2 => m.producer = string(w, wire, end, "ModelProto.producer_name")?,
            7 => {
                w.expect(wire, WireType::Len, "ModelProto.graph")?;
                let stop = w.len_end(end, "ModelProto.graph")?;
                // A repeated singular message merges into the first (protobuf rule).
                let g = m.graph.get_or_insert_with(Graph::default);
                read_graph(w, stop, g)?;
            }
            8 => {
                w.expect(wire, WireType::Len, "ModelProto.opset_import")?;
                let stop = w.len_end(end, "ModelProto.opset_import")?;
                m.opsets.push(read_opset(w, stop)?);
            }
            _ => w.skip(wire, end, "a field of ModelProto")?,
        }
    }
    Ok(m)
}

fn varint_i64<R: BufRead + Seek>(
    w: &mut Wire<R>,
    wire: WireType,
    end: u64,
    what: &str,
) -> Result<i64> {
    w.expect(wire, WireType::Varint, what)?;
    // int64 fields are two's complement in ten bytes when negative.
    Ok(w.varint(end, what)? as i64)
}

fn string<R: BufRead + Seek>(
    w: &mut Wire<R>,
    wire: WireType,
    end: u64,
    what: &str,
) -> Result<String> {
    w.expect(wire, WireType::Len, what)?;
    w.string(end, what)
}

/// Position the reader inside a length-delimited sub-message and return its end.
fn sub<R: BufRead + Seek>(w: &mut Wire<R>, wire: WireType, end: u64, what: &str) -> Result<u64> {
    w.expect(wire, WireType::Len, what)?;
    w.len_end(end, what)
}

fn read_opset<R: BufRead + Seek>(w: &mut Wire<R>, end: u64) -> Result<(String, i64)> {
    let (mut domain, mut version) = (String::new(), 0);
    while let Some((field, wire)) = w.key(end, "OperatorSetIdProto")? {
        match field {
            1 => domain = string(w, wire, end, "OperatorSetIdProto.domain")?,
            2 => version = varint_i64(w, wire, end, "OperatorSetIdProto.version")?,
            _ => w.skip(wire, end, "a field of OperatorSetIdProto")?,
        }
    }
    Ok((domain, version))
}

fn read_graph<R: BufRead + Seek>(w: &mut Wire<R>, end: u64, g: &mut Graph) -> Result<()> {
    while let Some((field, wire)) = w.key(end, "GraphProto")? {
        match field {
            1 => {
                let stop = sub(w, wire, end, "GraphProto.node")?;
                g.nodes.push(read_node(w, stop)?);
            }
            2 => g.name = string(w, wire, end, "GraphProto.name")?,
            5 => {
                let stop = sub(w, wire, end, "GraphProto.initializer")?;
                g.initializers.push(read_tensor(w, stop)?);
            }
            11..=13 => {
                let stop = sub(w, wire, end, "GraphProto.input/output/value_info")?;
                let vi = read_value_info(w, stop)?;
                match field {
                    11 => g.inputs.push(vi),
                    12 => g.outputs.push(vi),
                    _ => g.value_info.push(vi),
                }
            }
            // doc_string, sparse initializers, quantization annotations...
            _ => w.skip(wire, end, "a field of GraphProto")?,
        }
    }
    Ok(())
}

fn read_node<R: BufRead + Seek>(w: &mut Wire<R>, end: u64) -> Result<Node> {
    let mut n = Node::default();
    while let Some((field, wire)) = w.key(end, "NodeProto")? {
        match field {
            1 => n.inputs.push(string(w, wire, end, "NodeProto.input")?),
            2 => n.outputs.push(string(w, wire, end, "NodeProto.output")?),
            3 => n.name = string(w, wire, end, "NodeProto.name")?,
            4 => n.op_type = string(w, wire, end, "NodeProto.op_type")?,
            5 => {
                let stop = sub(w, wire, end, "NodeProto.attribute")?;
                n.attributes.push(read_attribute(w, stop)?);
            }
            7 => n.domain = string(w, wire, end, "NodeProto.domain")?,
            _ => w.skip(wire, end, "a field of NodeProto")?,
        }
    }
    Ok(n)
}

fn read_attribute<R: BufRead + Seek>(w: &mut Wire<R>, end: u64) -> Result<Attribute> {
    let mut a = Attribute::default();
    while let Some((field, wire)) = w.key(end, "AttributeProto")? {
        match field {
            1 => a.name = string(w, wire, end, "AttributeProto.name")?,
            2 => {
                w.expect(wire, WireType::Fixed32, "AttributeProto.f")?;
                a.f = Some(f32::from_bits(w.fixed32(end, "AttributeProto.f")?));
            }
            3 => a.i = Some(varint_i64(w, wire, end, "AttributeProto.i")?),
            4 => {
                // Strings an importer reads are short (`auto_pad`, `direction`);
                // a long one (a custom op's blob) is skipped, not loaded.
                w.expect(wire, WireType::Len, "AttributeProto.s")?;
                let stop = w.len_end(end, "AttributeProto.s")?;
                if stop - w.pos() <= 4096 {
                    let bytes = w.bytes_to(stop, "AttributeProto.s")?;
                    a.s = Some(String::from_utf8_lossy(&bytes).into_owned());
                } else {
                    w.skip_to(stop)?;
                }
            }
            5 => {
                let stop = sub(w, wire, end, "AttributeProto.t")?;
                a.t = Some(read_tensor(w, stop)?);
            }
            7 => {
                let mut bits = Vec::new();
                w.fixed32s(wire, end, "AttributeProto.floats", &mut bits)?;
                a.floats.extend(bits.into_iter().map(f32::from_bits));
            }
            8 => {
                let mut raw = Vec::new();
                w.varints(wire, end, "AttributeProto.ints", &mut raw)?;
                a.ints.extend(raw.into_iter().map(|v| v as i64));
            }
            20 => a.kind = varint_i64(w, wire, end, "AttributeProto.type")?,
            // Sub-graphs (If, Loop), strings, tensors lists, type protos: not needed.
            _ => w.skip(wire, end, "a field of AttributeProto")?,
        }
    }
    Ok(a)
}

/// A payload field of a tensor, kept only while small.
enum Payload {
    Raw(Vec<u8>),
    Floats(Vec<u32>),
    Doubles(Vec<u64>),
    Ints(Vec<u64>),
}

impl Payload {
    /// Bytes or values held.
    fn len(&self) -> usize {
        match self {
            Payload::Raw(v) => v.len(),
            Payload::Floats(v) => v.len(),
            Payload::Doubles(v) => v.len(),
            Payload::Ints(v) => v.len(),
        }
    }
}

fn read_tensor<R: BufRead + Seek>(w: &mut Wire<R>, end: u64) -> Result<Tensor> {
    let mut t = Tensor::default();
    let mut payload: Option<Payload> = None;
    // Set once a payload too large to keep was met: the values stay unknown.
    let mut too_large = false;
    while let Some((field, wire)) = w.key(end, "TensorProto")? {
        match field {
            1 => {
                let mut dims = Vec::new();
                w.varints(wire, end, "TensorProto.dims", &mut dims)?;
                t.dims.extend(dims.into_iter().map(|d| d as i64));
            }
            2 => t.data_type = varint_i64(w, wire, end, "TensorProto.data_type")?,
            8 => t.name = string(w, wire, end, "TensorProto.name")?,
            14 => t.external = varint_i64(w, wire, end, "TensorProto.data_location")? == 1,
            // The payload: float_data, int32_data, int64_data, raw_data, double_data.
            4 | 5 | 7 | 9 | 10 => {
                let what = "a TensorProto payload";
                let one = match (field, wire) {
                    (_, WireType::Len) => {
                        let stop = w.len_end(end, what)?;
                        if too_large || stop - w.pos() > SMALL_PAYLOAD {
                            // A weight: seek past it, never read it.
                            w.skip_to(stop)?;
                            too_large = true;
                            continue;
                        }
                        read_payload(w, field, stop)?
                    }
                    (4, WireType::Fixed32) => Payload::Floats(vec![w.fixed32(end, what)?]),
                    (10, WireType::Fixed64) => Payload::Doubles(vec![w.fixed64(end, what)?]),
                    (5 | 7, WireType::Varint) => Payload::Ints(vec![w.varint(end, what)?]),
                    _ => {
                        return w.error(
                            w.pos(),
                            format!("TensorProto field {field} has the wrong wire type {wire:?}"),
                        )
                    }
                };
                append(&mut payload, one);
                // Unpacked repeated values arrive one by one: stop keeping them
                // once there are more than a small tensor has.
                if payload
                    .as_ref()
                    .is_some_and(|p| p.len() > SMALL_PAYLOAD as usize)
                {
                    payload = None;
                    too_large = true;
                }
            }
            _ => w.skip(wire, end, "a field of TensorProto")?,
        }
    }
    if !too_large && !t.external {
        t.values = payload.and_then(|p| decode_values(&t, p));
    }
    Ok(t)
}

fn append(slot: &mut Option<Payload>, more: Payload) {
    match (slot.as_mut(), more) {
        (Some(Payload::Floats(a)), Payload::Floats(b)) => a.extend(b),
        (Some(Payload::Ints(a)), Payload::Ints(b)) => a.extend(b),
        (Some(Payload::Doubles(a)), Payload::Doubles(b)) => a.extend(b),
        (Some(Payload::Raw(a)), Payload::Raw(b)) => a.extend(b),
        (None, more) => *slot = Some(more),
        // Two kinds of payload in one tensor: malformed; keep the first.
        _ => {}
    }
}

/// A small packed payload field of a tensor whose content ends at `stop`.
fn read_payload<R: BufRead + Seek>(w: &mut Wire<R>, field: u32, stop: u64) -> Result<Payload> {
    let what = "a TensorProto payload";
    Ok(match field {
        9 => Payload::Raw(w.bytes_to(stop, what)?),
        4 => {
            let mut v = Vec::new();
            while w.pos() < stop {
                v.push(w.fixed32(stop, what)?);
            }
            Payload::Floats(v)
        }
        10 => {
            let mut v = Vec::new();
            while w.pos() < stop {
                v.push(w.fixed64(stop, what)?);
            }
            Payload::Doubles(v)
        }
        _ => {
            let mut v = Vec::new();
            while w.pos() < stop {
                v.push(w.varint(stop, what)?);
            }
            Payload::Ints(v)
        }
    })
}

/// The values of a small numeric tensor, or `None` (unknown type, too many
/// elements, or a payload that does not match the dimensions).
fn decode_values(t: &Tensor, p: Payload) -> Option<Values> {
    let n = element_count(&t.dims)?;
    if n > SMALL_ELEMENTS {
        return None;
    }
    let v = match (t.data_type, p) {
        (1, Payload::Floats(v)) => Values::Float(
            v.into_iter()
                .map(|b| f64::from(f32::from_bits(b)))
                .collect(),
        ),
        (11, Payload::Doubles(v)) => Values::Float(v.into_iter().map(f64::from_bits).collect()),
        // int32_data holds sign-extended varints, so `as i64` is exact for both.
        (6 | 7, Payload::Ints(v)) => Values::Int(v.into_iter().map(|x| x as i64).collect()),
        (dt, Payload::Raw(bytes)) => {
            let width = match dt {
                1 | 6 => 4,
                7 | 11 => 8,
                _ => return None,
            };
            if bytes.len() != n * width {
                return None;
            }
            let words = bytes.chunks_exact(width);
            match dt {
                1 => Values::Float(
                    words
                        .map(|c| f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]])))
                        .collect(),
                ),
                6 => Values::Int(
                    words
                        .map(|c| i64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]])))
                        .collect(),
                ),
                7 => Values::Int(
                    words
                        .map(|c| {
                            i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])
                        })
                        .collect(),
                ),
                _ => Values::Float(
                    words
                        .map(|c| {
                            f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])
                        })
                        .collect(),
                ),
            }
        }
        _ => return None,
    };
    (v.len() == n).then_some(v)
}

/// The number of elements of `dims`, if all are non-negative and the product fits.
pub fn element_count(dims: &[i64]) -> Option<usize> {
    dims.iter().try_fold(1usize, |acc, &d| {
        usize::try_from(d).ok().and_then(|d| acc.checked_mul(d))
    })
}

fn read_value_info<R: BufRead + Seek>(w: &mut Wire<R>, end: u64) -> Result<ValueInfo> {
    let mut vi = ValueInfo::default();
    while let Some((field, wire)) = w.key(end, "ValueInfoProto")? {
        match field {
            1 => vi.name = string(w, wire, end, "ValueInfoProto.name")?,
            2 => {
                let stop = sub(w, wire, end, "ValueInfoProto.type")?;
                read_type(w, stop, &mut vi)?;
            }
            _ => w.skip(wire, end, "a field of ValueInfoProto")?,
        }
    }
    Ok(vi)
}

fn read_type<R: BufRead + Seek>(w: &mut Wire<R>, end: u64, vi: &mut ValueInfo) -> Result<()> {
    while let Some((field, wire)) = w.key(end, "TypeProto")? {
        match field {
            // tensor_type; sequences, maps and optionals are skipped (no shape).
            1 => {
                let stop = sub(w, wire, end, "TypeProto.tensor_type")?;
                while let Some((f, wt)) = w.key(stop, "TypeProto.Tensor")? {
                    match f {
                        1 => vi.elem_type = varint_i64(w, wt, stop, "TypeProto.Tensor.elem_type")?,
                        2 => {
                            let s = sub(w, wt, stop, "TypeProto.Tensor.shape")?;
                            vi.shape = Some(read_shape(w, s)?);
                        }
                        _ => w.skip(wt, stop, "a field of TypeProto.Tensor")?,
                    }
                }
            }
            _ => w.skip(wire, end, "a field of TypeProto")?,
        }
    }
    Ok(())
}

fn read_shape<R: BufRead + Seek>(w: &mut Wire<R>, end: u64) -> Result<Vec<Dim>> {
    let mut dims = Vec::new();
    while let Some((field, wire)) = w.key(end, "TensorShapeProto")? {
        if field != 1 {
            w.skip(wire, end, "a field of TensorShapeProto")?;
            continue;
        }
        let stop = sub(w, wire, end, "TensorShapeProto.dim")?;
        let mut dim = Dim::Unknown;
        while let Some((f, wt)) = w.key(stop, "TensorShapeProto.Dimension")? {
            match f {
                1 => dim = Dim::Value(varint_i64(w, wt, stop, "Dimension.dim_value")?),
                2 => dim = Dim::Param(string(w, wt, stop, "Dimension.dim_param")?),
                _ => w.skip(wt, stop, "a field of Dimension")?,
            }
        }
        dims.push(dim);
    }
    Ok(dims)
}
