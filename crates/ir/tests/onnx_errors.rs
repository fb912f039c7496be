//! Bad ONNX files give an error that says what and where; never a panic.
use pimzoo_ir::onnx::{import_bytes, import_file, ImportOptions, OnnxError};
use proptest::prelude::*;
use std::path::PathBuf;

fn fixture(file: &str) -> Vec<u8> {
    let path =
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/onnx")).join(file);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn import(bytes: &[u8]) -> Result<pimzoo_ir::onnx::Imported, OnnxError> {
    import_bytes(bytes, "model.onnx", &ImportOptions::default())
}

#[test]
fn an_empty_file_says_so() {
    let e = import(&[]).unwrap_err();
    assert_eq!(e.to_string(), "model.onnx: byte 0: the file is empty");
}

#[test]
fn a_missing_file_names_the_path() {
    let e = import_file(
        std::path::Path::new("no-such-model.onnx"),
        &ImportOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("no-such-model.onnx"), "{e}");
}

#[test]
fn a_text_file_is_not_taken_for_onnx() {
    let e = import(b"// a RON network\nNetwork(name: \"x\")").unwrap_err();
    match e {
        OnnxError::Decode {
            offset, message, ..
        } => {
            assert_eq!(offset, 0);
            assert!(message.contains("wire type"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_model_without_a_graph_is_named() {
    // ir_version = 8 and nothing else.
    let e = import(&[0x08, 0x08]).unwrap_err().to_string();
    assert!(e.contains("no graph"), "{e}");
}

#[test]
fn every_truncation_is_an_error_with_an_offset() {
    for file in [
        "lenet5-external.onnx",
        "operators.onnx",
        "bert-encoder-layer.onnx",
    ] {
        let bytes = fixture(file);
        for cut in 1..bytes.len() {
            // A cut between two top-level fields leaves a shorter, valid model;
            // a cut inside one is a decode error at or before the cut.
            if let Err(OnnxError::Decode { offset, .. }) = import(&bytes[..cut]) {
                assert!(offset <= cut as u64, "{file} cut at {cut}: offset {offset}");
            }
        }
        // The last byte belongs to a nested message (the graph): losing it is always a decode error.
        let e = import(&bytes[..bytes.len() - 1]).unwrap_err();
        assert!(matches!(e, OnnxError::Decode { .. }), "{file}: {e}");
    }
}

#[test]
fn a_length_beyond_the_file_gives_the_offset_of_the_field() {
    let mut bytes = fixture("lenet5-external.onnx");
    // Find the graph field (key 0x3a) and claim far more bytes than there are.
    let at = bytes.iter().position(|&b| b == 0x3a).unwrap();
    bytes.splice(at + 1..at + 3, [0xff, 0xff, 0xff, 0x7f]);
    let e = import(&bytes).unwrap_err();
    match &e {
        OnnxError::Decode {
            offset, message, ..
        } => {
            assert_eq!(*offset, at as u64 + 1, "{e}");
            assert!(
                message.contains("ModelProto.graph") && message.contains("claims"),
                "{e}"
            );
        }
        other => panic!("{other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Random bytes never panic.
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = import(&bytes);
    }

    /// Flipped, overwritten, removed and inserted bytes in real files: an error or
    /// a network, never a panic.
    #[test]
    fn mutated_fixtures_never_panic(
        file in prop::sample::select(vec!["lenet5-external.onnx", "operators.onnx", "bert-encoder-layer.onnx", "lstm.onnx"]),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..4), 1..8),
    ) {
        let mut bytes = fixture(file);
        for (at, value, kind) in edits {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match kind {
                0 => bytes[i] ^= value | 1,
                1 => bytes[i] = value,
                2 => { bytes.remove(i); }
                _ => bytes.insert(i, value),
            }
        }
        if let Err(e) = import(&bytes) {
            // Every error names the file.
            prop_assert!(e.to_string().starts_with("model.onnx: "), "{}", e);
        }
    }
}
