//! `cargo xtask import` and `compare --onnx` as a user meets them.
mod common;

use std::path::PathBuf;

fn xtask(args: &[&str]) -> (bool, String, String) {
    common::run(args, None)
}

fn fixture(file: &str) -> String {
    format!("{}/../fixtures/onnx/{file}", env!("CARGO_MANIFEST_DIR"))
}

/// A fresh directory for one test's files.
fn temp_dir(test: &str) -> PathBuf {
    common::fresh_dir("import", test)
}

#[test]
fn import_prints_a_summary_and_json() {
    let (ok, out, err) = xtask(&["import", &fixture("lenet5.onnx")]);
    assert!(ok, "{err}");
    assert!(out.contains("network `lenet5`, 12 layers"), "{out}");
    assert!(out.contains("416520 MACs/sample, 61706 params"), "{out}");

    let (ok, out, err) = xtask(&[
        "import",
        &fixture("bert-encoder-layer.onnx"),
        "--format",
        "json",
    ]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["name"], "bert-encoder-layer");
    assert_eq!(v["layers"], 14);
    assert_eq!(v["macs"], 931_135_488u64);
    assert_eq!(v["params"], 7_087_872u64);
}

#[test]
fn import_writes_ron_and_never_overwrites_without_force() {
    let dir = temp_dir("write");
    let out = dir.join("block.ron");
    let out_s = out.to_str().unwrap();
    let model = fixture("resnet-basic-block.onnx");
    let (ok, stdout, err) = xtask(&["import", &model, "-o", out_s]);
    assert!(ok, "{err}");
    assert!(stdout.contains("wrote"), "{stdout}");
    let text = std::fs::read_to_string(&out).unwrap();
    let net = pimzoo::ir::parse_network(&text, out_s).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(net.work().macs, 179_830_784);
    assert_eq!(net.layers().len(), 9);

    // A second run must not touch what is there.
    std::fs::write(&out, "my own notes").unwrap();
    let (ok, _, err) = xtask(&["import", &model, "-o", out_s]);
    assert!(!ok);
    assert!(err.contains("exists") && err.contains("--force"), "{err}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "my own notes");

    let (ok, _, err) = xtask(&["import", &model, "-o", out_s, "--force"]);
    assert!(ok, "{err}");
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .contains("layer2.0.conv1"));

    // The evaluation of the written file works like any network file.
    let (ok, _, err) = xtask(&["compare", "--network-file", out_s, "--arch", "gpu/h200"]);
    assert!(ok, "{err}");
}

#[test]
fn import_refuses_to_write_over_the_model_itself() {
    let dir = temp_dir("self");
    let model = dir.join("m.onnx");
    std::fs::copy(fixture("lenet5.onnx"), &model).unwrap();
    let before = std::fs::read(&model).unwrap();
    let m = model.to_str().unwrap();
    let (ok, _, err) = xtask(&["import", m, "-o", m, "--force"]);
    assert!(!ok);
    assert!(err.contains("the ONNX model itself"), "{err}");
    assert_eq!(std::fs::read(&model).unwrap(), before);
}

#[test]
fn corrupted_and_unsupported_files_fail_with_a_clear_error() {
    let dir = temp_dir("bad");
    let bytes = std::fs::read(fixture("operators.onnx")).unwrap();
    let cut = dir.join("cut.onnx");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    for command in ["import", "compare"] {
        let args: Vec<&str> = match command {
            "import" => vec!["import", cut.to_str().unwrap()],
            _ => vec!["compare", "--onnx", cut.to_str().unwrap()],
        };
        let (ok, _, err) = xtask(&args);
        assert!(!ok, "{command}");
        assert!(err.contains("cut.onnx: byte "), "{command}: {err}");
    }
    let empty = dir.join("empty.onnx");
    std::fs::write(&empty, b"").unwrap();
    let (ok, _, err) = xtask(&["import", empty.to_str().unwrap()]);
    assert!(!ok && err.contains("empty"), "{err}");

    let unsupported = fixture("unsupported.onnx");
    let (ok, _, err) = xtask(&["import", &unsupported]);
    assert!(!ok);
    assert!(
        err.contains("`erf` (#1, Erf)") && err.contains("--skip-unsupported"),
        "{err}"
    );
    let (ok, out, err) = xtask(&["import", &unsupported, "--skip-unsupported"]);
    assert!(ok, "{err}");
    assert!(
        err.contains("skipped 1 unsupported node") && err.contains("Erf"),
        "{err}"
    );
    assert!(out.contains("2 layers"), "{out}");
}

#[test]
fn compare_evaluates_an_onnx_file_directly() {
    let (ok, out, err) = xtask(&[
        "compare",
        "--onnx",
        &fixture("lenet5-external.onnx"),
        "--arch",
        "gpu/h200",
        "--format",
        "json",
    ]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["network"], "lenet5-external");
    assert!(rows[0]["latency_s"].as_f64().unwrap() > 0.0);
}
