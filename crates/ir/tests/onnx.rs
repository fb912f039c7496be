//! ONNX import: the files of `fixtures/onnx/` (written by its `generate.py`)
//! must import to the same layers, shapes and counts as the zoo's RON
//! definitions and the hand-written RON equivalents beside them.
use pimzoo_ir::onnx::{import_file, import_reader, ImportOptions, Imported, NoteKind, OnnxError};
use pimzoo_ir::{parse_network, zoo, Layer, Network, Op, TensorShape};
use std::io::{BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::PathBuf;

fn fixture(file: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/onnx")).join(file)
}

fn import_with(file: &str, options: &ImportOptions) -> Result<Imported, OnnxError> {
    import_file(&fixture(file), options)
}

fn import(file: &str) -> Imported {
    import_with(file, &ImportOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn ron(file: &str) -> Network {
    let path = fixture(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse_network(&text, file).unwrap_or_else(|e| panic!("{e}"))
}

/// The zoo layers whose names start with `prefix`, in order.
fn zoo_layers(network: &str, prefix: &str) -> Vec<Layer> {
    let n = zoo::get(network).unwrap_or_else(|e| panic!("{e}"));
    n.layers()
        .iter()
        .filter(|l| l.name.starts_with(prefix))
        .cloned()
        .collect()
}

/// Same name, op, shapes and forward counts, layer by layer. Backward counts
/// are left out: they depend on what lies upstream of a block.
fn assert_same_forward(imported: &[Layer], expected: &[Layer], what: &str) {
    let names = |ls: &[Layer]| ls.iter().map(|l| l.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(imported), names(expected), "{what}: layer names");
    for (a, b) in imported.iter().zip(expected) {
        let at = format!("{what}: layer `{}`", a.name);
        assert_eq!(a.op, b.op, "{at}: op");
        assert_eq!(a.input_shapes, b.input_shapes, "{at}: input shapes");
        assert_eq!(a.output, b.output, "{at}: output shape");
        let (x, y) = (&a.work, &b.work);
        assert_eq!(
            (x.macs, x.weights, x.params, x.vector_ops),
            (y.macs, y.weights, y.params, y.vector_ops),
            "{at}: macs, weights, params, vector ops"
        );
        assert_eq!(
            (x.input_activations, x.output_activations),
            (y.input_activations, y.output_activations),
            "{at}: activations"
        );
    }
}

/// Identical as networks: layers, inputs, shapes and every count of every phase.
fn assert_same_network(imported: &Network, expected: &Network) {
    assert_eq!(imported.input(), expected.input(), "input shape");
    assert_same_forward(imported.layers(), expected.layers(), imported.name());
    for (a, b) in imported.layers().iter().zip(expected.layers()) {
        assert_eq!(a.inputs, b.inputs, "layer `{}`: inputs", a.name);
        assert_eq!(a.work, b.work, "layer `{}`: work", a.name);
    }
    assert_eq!(imported.work(), expected.work());
}

#[test]
fn lenet5_imports_to_the_zoo_network() {
    let imported = import("lenet5.onnx");
    let zoo = zoo::get("lenet5").unwrap();
    assert_same_network(&imported.network, &zoo);
    assert_eq!(imported.network.work().macs, 416_520);
    assert_eq!(imported.network.work().params, 61_706);
    assert_eq!(imported.network.name(), "lenet5");
    assert!(imported.skipped.is_empty());
}

#[test]
fn absent_external_data_still_imports() {
    // The fixture's precondition: the weights file is not there.
    assert!(!fixture("lenet5-external.weights").exists());
    let external = import("lenet5-external.onnx");
    let inline = import("lenet5.onnx");
    assert_same_network(&external.network, &inline.network);
}

#[test]
fn resnet_basic_block_matches_its_ron_and_resnet18() {
    let imported = import("resnet-basic-block.onnx");
    assert_same_network(&imported.network, &ron("resnet-basic-block.ron"));
    assert_same_forward(
        imported.network.layers(),
        &zoo_layers("resnet18", "layer2.0."),
        "resnet18 layer2.0",
    );
    assert_eq!(
        imported.network.output(),
        &TensorShape::new(vec![128, 28, 28])
    );
}

#[test]
fn inception_block_matches_its_ron_and_googlenet() {
    let imported = import("inception-block.onnx");
    assert_same_network(&imported.network, &ron("inception-block.ron"));
    assert_same_forward(
        imported.network.layers(),
        &zoo_layers("googlenet", "inception3a"),
        "googlenet inception3a",
    );
    assert_eq!(
        imported.network.output(),
        &TensorShape::new(vec![256, 28, 28])
    );
}

#[test]
fn bert_encoder_layer_is_one_twelfth_of_bert_base() {
    let imported = import("bert-encoder-layer.onnx");
    assert_same_forward(
        imported.network.layers(),
        &zoo_layers("bert-base", "encoder.layer.0."),
        "bert-base encoder.layer.0",
    );
    // BERT-base's MACs are all in its 12 identical encoder layers.
    let bert = zoo::get("bert-base").unwrap().work();
    assert_eq!(12 * imported.network.work().macs, bert.macs);
    // The attention reshapes and transposes are views; the biases are folded.
    let folded = |op: &str| {
        imported
            .notes
            .iter()
            .filter(|n| n.node.op_type == op && n.kind == NoteKind::Folded)
            .count()
    };
    assert_eq!(
        (folded("Reshape"), folded("Transpose"), folded("Add")),
        (4, 4, 6)
    );
    // The 1/sqrt(64) scale is element-wise work with a constant: said, not counted.
    assert!(imported
        .notes
        .iter()
        .any(|n| n.node.op_type == "Div" && n.kind == NoteKind::Approximate));
}

/// `(name, op, output shape)` of every layer.
fn summary(n: &Network) -> Vec<(String, String, Vec<usize>)> {
    n.layers()
        .iter()
        .map(|l| {
            let op = format!("{:?}", l.op);
            (l.name.clone(), op, l.output.dims().to_vec())
        })
        .collect()
}

#[test]
fn operators_map_as_documented() {
    let imported = import("operators.onnx");
    let layers = summary(&imported.network);
    let shapes: Vec<(&str, &[usize])> = layers
        .iter()
        .map(|(n, _, s)| (n.as_str(), s.as_slice()))
        .collect();
    assert_eq!(
        shapes,
        [
            ("conv_padded", &[8, 16, 18][..]),
            ("relu6", &[8, 16, 18]),
            ("same", &[8, 8, 9]),
            ("prelu", &[8, 8, 9]),
            ("lrn", &[8, 8, 9]),
            ("depthwise", &[8, 8, 9]),
            ("sigmoid", &[8, 8, 9]),
            ("gap", &[8, 1, 1]),
            ("mean", &[8, 1, 1]),
            ("sum", &[8, 1, 1]),
            ("flatten", &[8]),
            ("fc", &[4]),
            ("tanh", &[4]),
            ("softmax", &[4]),
        ]
    );
    let op = |name: &str| {
        imported
            .network
            .layers()
            .iter()
            .find(|l| l.name == name)
            .map(|l| l.op.clone())
            .unwrap()
    };
    // The Pad node's (1, 2) padding went into the conv that reads it.
    match op("conv_padded") {
        Op::Conv2d(c) => assert_eq!((c.padding.h, c.padding.w), (1, 2)),
        other => panic!("{other:?}"),
    }
    // SAME_UPPER at stride 2 pads (0, 1): written as 1 on both sides, same output.
    match op("same") {
        Op::Conv2d(c) => assert_eq!((c.padding.h, c.padding.w, c.stride.h), (1, 1, 2)),
        other => panic!("{other:?}"),
    }
    match op("depthwise") {
        Op::Conv2d(c) => assert_eq!(c.groups, 8),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        op("relu6"),
        Op::Activation(pimzoo_ir::ActivationKind::Relu6)
    ));
    assert!(matches!(
        op("fc"),
        Op::Linear {
            out: 4,
            bias: true,
            ..
        }
    ));
    assert!(imported
        .notes
        .iter()
        .any(|n| n.node.name == "same" && n.kind == NoteKind::Equivalent));
}

#[test]
fn embedding_and_batch_first_lstm_map() {
    let imported = import("lstm.onnx");
    let layers = summary(&imported.network);
    let expect = [
        ("embedding", &[20, 32][..]),
        ("lstm", &[20, 64]),
        ("decoder", &[20, 100]),
        ("softmax", &[20, 100]),
    ];
    let got: Vec<(&str, &[usize])> = layers
        .iter()
        .map(|(n, _, s)| (n.as_str(), s.as_slice()))
        .collect();
    assert_eq!(got, expect);
    let w = imported.network.work();
    // Embedding 100 x 32; LSTM (32 + 64) x 4 x 64 weights + 4 x 64 bias; decoder 64 x 100 + 100.
    assert_eq!(w.params, 3_200 + 24_576 + 256 + 6_400 + 100);
    assert_eq!(w.macs, 20 * 24_576 + 20 * 6_400);
}

#[test]
fn an_unsupported_operator_names_the_node_and_can_be_skipped() {
    let e = import_with("unsupported.onnx", &ImportOptions::default()).unwrap_err();
    match &e {
        OnnxError::Node {
            node, unsupported, ..
        } => {
            assert_eq!(
                (node.position, node.name.as_str(), node.op_type.as_str()),
                (1, "erf", "Erf")
            );
            assert!(unsupported);
        }
        other => panic!("{other:?}"),
    }
    let text = e.to_string();
    assert!(
        text.contains("unsupported.onnx") && text.contains("`erf` (#1, Erf)"),
        "{text}"
    );

    let skip = ImportOptions {
        skip_unsupported: true,
        ..Default::default()
    };
    let imported = import_with("unsupported.onnx", &skip).unwrap();
    assert_eq!(imported.skipped.len(), 1);
    assert_eq!(imported.skipped[0].op_type, "Erf");
    let names: Vec<_> = imported
        .network
        .layers()
        .iter()
        .map(|l| l.name.as_str())
        .collect();
    assert_eq!(names, ["conv", "relu"]);
}

#[test]
fn asymmetric_padding_without_a_symmetric_equivalent_is_an_error() {
    let e = import_with("asymmetric-pads.onnx", &ImportOptions::default()).unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("`conv` (#0, Conv)") && text.contains("asymmetric"),
        "{text}"
    );
}

#[test]
fn a_declared_shape_that_disagrees_names_the_node_and_both_shapes() {
    let e = import_with("value-info-mismatch.onnx", &ImportOptions::default()).unwrap_err();
    let text = e.to_string();
    assert!(text.contains("`conv` (#0, Conv)"), "{text}");
    assert!(
        text.contains("[N, 4, 6, 6]") && text.contains("[batch, 4, 8, 8]"),
        "{text}"
    );
}

#[test]
fn imported_networks_round_trip_through_ron() {
    for file in [
        "lenet5.onnx",
        "resnet-basic-block.onnx",
        "inception-block.onnx",
        "bert-encoder-layer.onnx",
        "operators.onnx",
        "lstm.onnx",
    ] {
        let imported = import(file);
        let text = imported.network.to_ron();
        let back = parse_network(&text, file).unwrap_or_else(|e| panic!("{file}: {e}\n{text}"));
        assert_same_network(&back, &imported.network);
    }
}

#[test]
fn options_rename_and_reshape_the_input() {
    let options = ImportOptions {
        name: Some("tiny".into()),
        input_shape: Some(vec![64, 28, 28]),
        ..Default::default()
    };
    let imported = import_with("resnet-basic-block.onnx", &options).unwrap();
    assert_eq!(imported.network.name(), "tiny");
    assert_eq!(
        imported.network.output(),
        &TensorShape::new(vec![128, 14, 14])
    );
    let wrong = ImportOptions {
        input: Some("tokens".into()),
        ..Default::default()
    };
    let e = import_with("resnet-basic-block.onnx", &wrong)
        .unwrap_err()
        .to_string();
    assert!(e.contains("`tokens`") && e.contains("`x`"), "{e}");
}

/// A protobuf varint.
fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A length-delimited field.
fn field(number: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    varint(number << 3 | 2, &mut out);
    varint(payload.len() as u64, &mut out);
    out.extend_from_slice(payload);
    out
}

/// `model` with one more, unused, float initializer of `n` elements
/// appended: a second `graph` field merges into the first (protobuf's rule).
fn with_unused_weights(model: &[u8], n: u64) -> Vec<u8> {
    let mut tensor = Vec::new();
    varint(1 << 3, &mut tensor); // dims
    varint(n, &mut tensor);
    varint(2 << 3, &mut tensor); // data_type = FLOAT
    varint(1, &mut tensor);
    tensor.extend(field(8, b"unused.weight"));
    tensor.extend(field(9, &vec![0u8; (4 * n) as usize]));
    let mut out = model.to_vec();
    out.extend(field(7, &field(5, &tensor)));
    out
}

/// A reader that counts the bytes it hands out; seeks are free.
struct Counting<R> {
    inner: R,
    read: u64,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

impl<R: Seek> Seek for Counting<R> {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

#[test]
fn weight_payloads_are_skipped_not_read() {
    let model = std::fs::read(fixture("lenet5-external.onnx")).unwrap();
    // 16 MB of weights after the graph.
    let big = with_unused_weights(&model, 4 << 20);
    let mut reader = BufReader::new(Counting {
        inner: Cursor::new(big.as_slice()),
        read: 0,
    });
    let imported = import_reader(
        &mut reader,
        big.len() as u64,
        "big.onnx",
        &ImportOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_same_network(&imported.network, &import("lenet5.onnx").network);
    let read = reader.get_ref().read;
    assert!(
        read < 64 * 1024,
        "read {read} of {} bytes: the payload was not skipped",
        big.len()
    );
}
