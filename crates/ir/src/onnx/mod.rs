//! Import of ONNX model files into pimzoo's IR.
//!
//! [`import_file`] reads an `.onnx` file, maps its graph onto [`crate::Op`]s and
//! validates the result with [`Network::new`], so the IR's own shape inference
//! checks the mapping. The file is decoded by a small reader of the protobuf
//! wire format (`wire.rs`, `proto.rs`) that keeps the graph, the attributes,
//! the declared shapes and each initializer's dimensions, and seeks past weight
//! payloads: weight values are never read, and initializers stored as external
//! data import whether or not the data file exists.
//!
//! Shapes are inferred node by node with ONNX's rules, cross-checked against
//! the file's `value_info` where it gives them, and then re-inferred by the IR;
//! any disagreement is an error naming the node. Supported operators, the
//! layout rules and what is not counted: `docs/onnx.md`.
use crate::{IrError, Network};
use std::fmt;
use std::io::{BufRead, BufReader, Cursor, Seek};
use std::path::Path;

mod convert;
mod proto;
mod wire;

/// Choices of an import; the defaults suit most files.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// Name of the network (default: the file name, lowercase with hyphens).
    pub name: Option<String>,
    /// The graph input that is the network input (default: the first graph
    /// input that is not an initializer). Other inputs are taken as constants.
    pub input: Option<String>,
    /// One sample's input shape, without the batch: needed when the file
    /// leaves a dimension symbolic (`sequence`), and overrides the file.
    pub input_shape: Option<Vec<usize>>,
    /// Drop unsupported nodes (each passes its first input through) instead of
    /// failing; they are listed in [`Imported::skipped`].
    pub skip_unsupported: bool,
}

/// A node of the ONNX graph, as messages name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeRef {
    /// Index in the graph's node list, counting from 0.
    pub position: usize,
    /// The node's name; may be empty in the file.
    pub name: String,
    pub op_type: String,
}

impl fmt::Display for NodeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.name.is_empty() {
            write!(f, "node #{} ({})", self.position, self.op_type)
        } else {
            write!(
                f,
                "node `{}` (#{}, {})",
                self.name, self.position, self.op_type
            )
        }
    }
}

/// What became of a node that is not a layer of its own, or of a choice the
/// mapping made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub node: NodeRef,
    pub kind: NoteKind,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NoteKind {
    /// No layer and no work lost: a no-op, a view (reshape, transpose), a
    /// constant, a bias or padding absorbed by the layer that uses it.
    Folded,
    /// Mapped to an IR form that is written differently but counts the same
    /// (asymmetric padding, LeakyReLU counted as ReLU).
    Equivalent,
    /// The IR's counts differ from the file's computation: work with a
    /// constant operand is not counted, a side input is taken as a constant,
    /// the IR's LSTM counts its bias its own way.
    Approximate,
}

impl NoteKind {
    pub fn name(self) -> &'static str {
        match self {
            NoteKind::Folded => "folded",
            NoteKind::Equivalent => "equivalent",
            NoteKind::Approximate => "approximate",
        }
    }
}

/// The result of an import.
#[derive(Clone, Debug)]
pub struct Imported {
    pub network: Network,
    /// Nodes in the graph.
    pub nodes: usize,
    /// Unsupported nodes dropped because of [`ImportOptions::skip_unsupported`].
    pub skipped: Vec<NodeRef>,
    pub notes: Vec<Note>,
    /// Version of the default operator set.
    pub opset: Option<i64>,
    pub producer: String,
}

/// Why a file did not import.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OnnxError {
    #[error("cannot read ONNX file `{path}`: {message}")]
    Io { path: String, message: String },
    /// The bytes are not a well-formed ONNX model (truncated, corrupted, not ONNX).
    #[error("{origin}: byte {offset}: {message}")]
    Decode {
        origin: String,
        offset: u64,
        message: String,
    },
    /// The graph as a whole cannot be imported (no input, no layer, ...).
    #[error("{origin}: {message}")]
    Graph { origin: String, message: String },
    /// One node is malformed, or (`unsupported`) has no IR equivalent.
    #[error("{origin}: {node}: {message}")]
    Node {
        origin: String,
        node: NodeRef,
        message: String,
        /// True when the node is well formed but has no IR equivalent, so
        /// [`ImportOptions::skip_unsupported`] would drop it.
        unsupported: bool,
    },
    /// The IR rejects the layer a node maps to.
    #[error("{origin}: {node}: {source}")]
    Ir {
        origin: String,
        node: NodeRef,
        source: Box<IrError>,
    },
}

/// Import an ONNX file. Errors name the path, and the byte offset or the node.
pub fn import_file(path: &Path, options: &ImportOptions) -> Result<Imported, OnnxError> {
    let shown = path.display().to_string();
    let io = |e: std::io::Error| OnnxError::Io {
        path: shown.clone(),
        message: e.to_string(),
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let mut options = options.clone();
    if options.name.is_none() {
        options.name = path.file_stem().map(|s| network_name(&s.to_string_lossy()));
    }
    import_reader(BufReader::new(file), len, &shown, &options)
}

/// Import an ONNX model held in memory; `origin` names it in errors.
pub fn import_bytes(
    bytes: &[u8],
    origin: &str,
    options: &ImportOptions,
) -> Result<Imported, OnnxError> {
    import_reader(Cursor::new(bytes), bytes.len() as u64, origin, options)
}

/// Import from any seekable reader of `len` bytes (skipped payloads are
/// seeked over, not read).
pub fn import_reader<R: BufRead + Seek>(
    reader: R,
    len: u64,
    origin: &str,
    options: &ImportOptions,
) -> Result<Imported, OnnxError> {
    let mut w = wire::Wire::new(reader, len);
    let model = proto::read_model(&mut w).map_err(|e| OnnxError::Decode {
        origin: origin.to_string(),
        offset: e.offset,
        message: e.message,
    })?;
    convert::convert(model, origin, options)
}

/// A file stem as a pimzoo network name: lowercase, `_` and spaces as `-`.
fn network_name(stem: &str) -> String {
    stem.chars()
        .map(|c| match c {
            '_' | ' ' => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}
