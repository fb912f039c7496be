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

/// The rows of the detail table whose first-column heading is `title`:
/// first cell -> the other cells.
fn detail_rows(out: &str, title: &str) -> Vec<(String, Vec<String>)> {
    let mut lines = out.lines().skip_while(|l| !l.starts_with(title)).skip(2);
    let mut rows = Vec::new();
    for l in lines.by_ref().take_while(|l| !l.trim().is_empty()) {
        let mut cells = l.split("  ").map(str::trim).filter(|c| !c.is_empty());
        let first = cells.next().unwrap_or_default().to_string();
        rows.push((first, cells.map(str::to_string).collect()));
    }
    rows
}

#[test]
fn gradpim_systems_show_update_and_total_times() {
    let (ok, out, err) = xtask(&[
        "compare",
        "--network",
        "resnet50",
        "--task",
        "training",
        "--optimizer",
        "momentum",
        "--arch",
        "gradpim/baseline",
        "gradpim/v1",
        "gradpim/v2",
        "gradpim/tensordimm",
    ]);
    assert!(ok, "{err}");
    let metrics = detail_rows(&out, "metric");
    for name in ["update_time_s", "total_time_s"] {
        let (_, cells) = metrics
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no {name} row in\n{out}"));
        assert_eq!(cells.len(), 4, "{name}: {cells:?}");
        assert!(
            cells.iter().all(|c| c.ends_with('s') && c != "-"),
            "{cells:?}"
        );
    }
}

#[test]
fn compact_chips_show_their_energy_components() {
    let (ok, out, err) = xtask(&[
        "compare",
        "--network",
        "vgg8",
        "--batch",
        "1024",
        "--arch",
        "compact/ppp",
        "compact/rp",
        "compact/unlimited",
    ]);
    assert!(ok, "{err}");
    let energy = detail_rows(&out, "energy by component");
    for c in [
        "dram",
        "adc",
        "accumulation",
        "interconnect",
        "cell-write",
        "leakage",
    ] {
        let (_, cells) = energy
            .iter()
            .find(|(n, _)| n == c)
            .unwrap_or_else(|| panic!("no {c} row in\n{out}"));
        assert_eq!(cells.len(), 3, "{c}: {cells:?}");
        assert!(cells.iter().all(|x| x.contains("J (")), "{cells:?}");
    }
}

#[test]
fn kfac_training_shows_epochs_and_the_inversion_share() {
    let (ok, out, err) = xtask(&[
        "compare",
        "--network",
        "resnet50",
        "--task",
        "training",
        "--optimizer",
        "kfac",
        "--arch",
        "repast/repast",
        "repast/pipelayer",
        "gpu/v100",
    ]);
    assert!(ok, "{err}");
    assert!(
        out.contains("an epoch: 1,281,167 steps over ImageNet"),
        "{out}"
    );
    let header = out.lines().find(|l| l.starts_with("model")).unwrap();
    assert!(
        header.contains("epoch") && header.contains("epoch energy"),
        "{header}"
    );
    let metrics = detail_rows(&out, "metric");
    let share = |name: &str| {
        metrics
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c.clone())
            .unwrap_or_else(|| panic!("no {name} row in\n{out}"))
    };
    // Both models that run K-FAC report it; repast/pipelayer cannot and says why.
    assert_eq!(share("inversion_share").len(), 2);
    assert!(share("epoch_s")[0].ends_with('s'));
    assert!(out.contains("repast/pipelayer") && out.contains("first-order optimizers only"));
}

#[test]
fn details_follow_the_flags() {
    let base = ["compare", "--network", "lenet5", "--arch", "gpu/v100"];
    let (ok, out, err) = xtask(&base);
    assert!(ok, "{err}");
    assert!(
        out.contains("energy by component") && out.contains("metric"),
        "{out}"
    );

    let (_, out, _) = xtask(&[&base[..], &["--details", "off"]].concat());
    assert!(!out.contains("energy by component"), "{out}");

    // Four workloads: too many for the details unless asked.
    let many = [
        "compare",
        "--network",
        "lenet5,alexnet,vgg16,resnet18",
        "--arch",
        "gpu/v100",
    ];
    let (_, out, _) = xtask(&many);
    assert!(!out.contains("energy by component"), "{out}");
    let (_, out, _) = xtask(&[&many[..], &["--details", "on"]].concat());
    assert_eq!(out.matches("energy by component").count(), 4, "{out}");

    let (ok, out, err) = xtask(&[&base[..], &["--metrics", "dram_traffic_bytes"]].concat());
    assert!(ok, "{err}");
    let names: Vec<String> = detail_rows(&out, "metric")
        .into_iter()
        .map(|r| r.0)
        .collect();
    assert_eq!(names, ["dram_traffic_bytes"]);

    let (ok, out, err) = xtask(
        &[
            &base[..],
            &["--metrics", "dram_traffic_bytes", "--format", "csv"],
        ]
        .concat(),
    );
    assert!(ok, "{err}");
    assert!(
        out.lines().next().unwrap().ends_with(",dram_traffic_bytes"),
        "{out}"
    );

    let (ok, _, err) = xtask(&[&base[..], &["--metrics", "dram_trafic"]].concat());
    assert!(!ok);
    assert!(
        err.contains("`dram_trafic` matches no metric") && err.contains("dram_traffic_bytes"),
        "{err}"
    );
}

#[test]
fn every_model_of_a_training_workload_gets_epoch_figures_in_json() {
    let (ok, out, err) = xtask(&[
        "compare",
        "--network",
        "vgg8",
        "--task",
        "training",
        "--batch",
        "128",
        "--arch",
        "gpu",
        "--format",
        "json",
    ]);
    assert!(ok, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for row in v.as_array().unwrap() {
        // CIFAR-10: 50,000 samples, 391 steps of 128.
        assert_eq!(row["steps_per_epoch"], 391, "{row}");
        let (epoch, step) = (
            row["epoch_s"].as_f64().unwrap(),
            row["latency_s"].as_f64().unwrap(),
        );
        assert!((epoch / step - 391.0).abs() < 1e-9, "{row}");
    }
}
