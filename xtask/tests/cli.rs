//! The command line as a user meets it: exit codes and messages.
mod common;

fn xtask(args: &[&str]) -> (bool, String, String) {
    common::run(args, None)
}

fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("pimzoo-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn compare_with_no_arguments_prints_a_table() {
    let (ok, out, err) = xtask(&["compare"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("resnet18") && out.contains("gpu/h200"),
        "{out}"
    );
}

#[test]
fn compare_json_parses() {
    let (ok, out, err) = xtask(&[
        "compare",
        "--format",
        "json",
        "--network",
        "lenet5,bert-base",
    ]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v.as_array().unwrap().len() >= 2);
}

#[test]
fn a_malformed_network_file_fails_with_line_and_column() {
    let path = temp_file(
        "bad.ron",
        "Network(\n  name: \"x\",\n  input: [3, 8, 8]\n  layers: [],\n)",
    );
    let (ok, _, err) = xtask(&["compare", "--network-file", path.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("bad.ron:4:"), "{err}");
}

#[test]
fn unknown_names_list_the_valid_ones() {
    let (ok, _, err) = xtask(&["compare", "--network", "resnet99"]);
    assert!(!ok && err.contains("resnet18"), "{err}");
    let (ok, _, err) = xtask(&["compare", "--arch", "tpu"]);
    assert!(!ok && err.contains("gpu/h200"), "{err}");
    let (ok, _, err) = xtask(&["explain", "tpu"]);
    assert!(!ok && err.contains("gpu"), "{err}");
}

#[test]
fn unsupported_combinations_are_rows_not_crashes() {
    let (ok, out, err) = xtask(&[
        "compare",
        "--network",
        "resnet18",
        "--precision",
        "bf16",
        "--arch",
        "gpu/titanx-pascal",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("gpu/titanx-pascal"), "{out}");
}

#[test]
fn list_json_has_the_zoo() {
    let (ok, out, _) = xtask(&["list", "--format", "json"]);
    assert!(ok);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let nets = v["networks"].as_array().unwrap();
    assert!(nets.len() >= 20);
    let resnet50 = nets.iter().find(|n| n["name"] == "resnet50").unwrap();
    assert_eq!(resnet50["macs"], 4_089_184_256u64);
    assert_eq!(resnet50["params"], 25_557_032u64);
}

#[test]
fn explain_a_family_prints_its_model() {
    let (ok, out, err) = xtask(&["explain", "gpu"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("gpu/v100") && out.contains("gpu/h200"),
        "{out}"
    );
}

#[test]
fn reproduce_gpu_h200_shows_every_row() {
    let (ok, out, err) = xtask(&["reproduce", "--paper", "gpu-h200", "--format", "json"]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v.as_array().unwrap().len() >= 40);
}

#[test]
fn a_preset_file_can_be_evaluated_and_a_bad_one_is_located() {
    let preset = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/configs/gpu/v100.ron"
    );
    let (ok, out, err) = xtask(&["compare", "--config", preset, "--format", "csv"]);
    assert!(ok, "{err}");
    assert_eq!(out.lines().count(), 2, "only the preset's row: {out}");
    assert!(out.contains("gpu/v100"), "{out}");

    let text = std::fs::read_to_string(preset)
        .unwrap()
        .replace("tdp:", "tdp_watts:");
    let bad = temp_file("bad-preset.ron", &text);
    let (ok, _, err) = xtask(&["compare", "--config", bad.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        err.contains("bad-preset.ron:") && err.contains("tdp_watts"),
        "{err}"
    );
}

#[test]
fn the_example_third_party_model_appears_in_compare() {
    let (ok, out, err) = xtask(&[
        "compare",
        "--network",
        "mlp0",
        "--batch",
        "200",
        "--precision",
        "int8",
        "--arch",
        "systolic",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("systolic/tpu-v1"), "{out}");
}
