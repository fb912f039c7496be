//! Properties of the GPU roofline model, its presets, its fit and its
//! accuracy against the measured H200 reference file.
use pimzoo_core::units::Seconds;
use pimzoo_core::{Accelerator, EvalError, NumberFormat, Optimizer, Precision, Report, Workload};
use pimzoo_ir::{parse_network, zoo, Network, Phase};
use pimzoo_tech::gpu::{parse_preset, Gpu, GpuSpec, PRESET_FILES};
use serde::Deserialize;
use std::sync::Arc;

// ---------------------------------------------------------------- presets

/// The built-in presets by file stem (`v100`, `titanx-pascal`, `h200`).
fn preset_text(name: &str) -> &'static str {
    PRESET_FILES
        .iter()
        .find(|(origin, _)| origin.ends_with(&format!("/{name}.ron")))
        .map(|(_, t)| *t)
        .unwrap_or_else(|| panic!("no preset {name}"))
}

const PRESETS: [&str; 3] = ["v100", "titanx-pascal", "h200"];

fn spec(name: &str) -> GpuSpec {
    parse_preset(preset_text(name), name).unwrap_or_else(|e| panic!("preset {name}: {e}"))
}

fn gpu(name: &str) -> Gpu {
    Gpu::new(spec(name)).unwrap_or_else(|e| panic!("{e}"))
}

fn all_gpus() -> Vec<Gpu> {
    PRESETS.iter().map(|n| gpu(n)).collect()
}

#[test]
fn every_preset_loads_and_names_its_file() {
    for name in PRESETS {
        let g = gpu(name);
        assert_eq!(g.id(), format!("gpu/{name}"));
        let info = g.info();
        assert_eq!(info.family, "gpu");
        assert!(info.peak_ops_per_s.unwrap() > 1e12);
        assert!(info.area.is_some());
        assert!(info.explanation.contains("roofline"));
        // One parameter row per numeric field of the spec.
        assert_eq!(info.parameters.len(), 16, "{name}");
        for (field, value, source) in &info.parameters {
            assert!(!value.is_empty() && !source.is_empty(), "{name}.{field}");
        }
    }
}

#[test]
fn a_bad_field_is_named() {
    let mut s = spec("h200");
    s.memory_efficiency = 1.5;
    let e = Gpu::new(s).unwrap_err();
    assert!(e.contains("memory_efficiency"), "{e}");
    let mut s = spec("h200");
    s.tensor_efficiency = None;
    let e = Gpu::new(s).unwrap_err();
    assert!(e.contains("tensor_efficiency"), "{e}");
    let mut s = spec("h200");
    s.static_power = pimzoo_core::units::Watts(690.0);
    let e = Gpu::new(s).unwrap_err();
    assert!(e.contains("tdp") && e.contains("static_power"), "{e}");
    let mut s = spec("v100");
    s.id = "v100".into();
    assert!(Gpu::new(s).unwrap_err().contains("`id`"));
    let text = preset_text("h200").replace("die_area:", "die_size:");
    let e = parse_preset(&text, "h200.ron").unwrap_err().to_string();
    assert!(e.starts_with("h200.ron:") && e.contains("die_size"), "{e}");
}

// ---------------------------------------------------------------- workloads

fn net(text: &str) -> Arc<Network> {
    Arc::new(parse_network(text, "test").unwrap_or_else(|e| panic!("{e}")))
}

fn zoo_net(name: &str) -> Arc<Network> {
    Arc::new(zoo::get(name).unwrap_or_else(|e| panic!("{e}")))
}

fn momentum() -> Optimizer {
    Optimizer::from_name("momentum").unwrap()
}

fn bf16() -> Precision {
    "bf16".parse().unwrap()
}

#[test]
fn roofline_regimes_at_batch_one() {
    let g = gpu("h200");
    // A 3x3 conv with 512 channels on a 28x28 map: 1.85 GMAC on 9.4 MB of
    // weights and activations, far above the ridge point.
    let conv = net(
        "Network(name: \"conv\", input: [512, 28, 28], layers: [(name: \"c\", op: Conv2d(out: 512, kernel: 3, padding: 1))])",
    );
    // A ReLU and a matrix-vector product: about 1 operation per element moved.
    let vec = net(
        "Network(name: \"mv\", input: [4096], layers: [(name: \"fc\", op: Linear(out: 4096)), (name: \"act\", op: Activation(Relu))])",
    );
    let rc = g.evaluate(&Workload::inference(conv, 1)).unwrap();
    let rv = g.evaluate(&Workload::inference(vec, 1)).unwrap();
    rc.check().unwrap();
    rv.check().unwrap();
    assert_eq!(rc.layers[0].bound.as_deref(), Some("compute"));
    assert!(rv
        .layers
        .iter()
        .all(|r| r.bound.as_deref() == Some("memory")));
    // The compute-bound layer's time is its FLOPs (Winograd: fewer
    // multiplies) at the achieved fp32 rate plus one launch.
    let s = g.spec();
    let flops = 2.0 * 512.0 * 512.0 * 9.0 * 28.0 * 28.0 / s.fp32_winograd_reduction;
    let expect = flops / (s.fp32_peak_flops * s.fp32_efficiency) + s.launch_overhead.value();
    assert!((rc.latency.value() - expect).abs() < 1e-12 * expect);
    // The matrix-vector product's time is its bytes at the achieved bandwidth.
    let bytes = (4096.0 * 4096.0 + 4096.0) * 4.0 + 2.0 * 4096.0 * 4.0;
    let t_fc = rv.layers[0].latency.value() - s.launch_overhead.value();
    let bw = s.memory_bandwidth.value() * s.memory_efficiency;
    assert!((t_fc - bytes / bw).abs() < 1e-9 * t_fc);
}

#[test]
fn more_batch_takes_longer_but_runs_faster() {
    let g = gpu("h200");
    for name in ["resnet18", "vgg8-cifar10", "mobilenet-v2", "bert-base"] {
        let n = zoo_net(name);
        let mut last: Option<Report> = None;
        for batch in [1, 2, 8, 32, 128] {
            for task in [None, Some(momentum())] {
                let w = match &task {
                    None => Workload::inference(n.clone(), batch),
                    Some(o) => Workload::training(n.clone(), batch, o.clone()),
                };
                let r = g.evaluate(&w).unwrap();
                if task.is_none() {
                    if let Some(prev) = &last {
                        assert!(r.latency > prev.latency, "{name} b{batch}");
                        assert!(
                            r.samples_per_s() >= prev.samples_per_s() * (1.0 - 1e-12),
                            "{name} b{batch}"
                        );
                    }
                    last = Some(r);
                }
            }
        }
    }
}

#[test]
fn every_zoo_network_checks_on_every_preset_and_task() {
    let nets = zoo::all().expect("zoo loads");
    let mut tasks: Vec<Option<Optimizer>> = vec![None];
    tasks.extend(Optimizer::NAMES.iter().map(|n| Optimizer::from_name(n)));
    let mut evaluated = 0;
    for g in all_gpus() {
        for n in &nets {
            let n = Arc::new(n.clone());
            for task in &tasks {
                for precision in [Precision::default(), bf16()] {
                    let w = match task {
                        None => Workload::inference(n.clone(), 4),
                        Some(o) => Workload::training(n.clone(), 4, o.clone()),
                    }
                    .with_precision(precision);
                    match g.evaluate(&w) {
                        Ok(r) => {
                            r.check().unwrap_or_else(|e| {
                                panic!("{} {} {}: {e}", g.id(), n.name(), w.task)
                            });
                            assert!(!r.layers.is_empty());
                            assert!(r.layers.iter().all(|l| l.bound.is_some()));
                            assert!(r.metrics["dram_traffic_bytes"] > 0.0);
                            evaluated += 1;
                        }
                        // Only bf16 on a GPU without bf16 tensor cores.
                        Err(EvalError::Unsupported { reason }) => {
                            assert!(precision != Precision::default(), "{reason}");
                            assert!(g.spec().bf16_tensor_peak_flops.is_none(), "{reason}");
                        }
                        // Only K-FAC factors of very wide layers that outgrow
                        // the smaller cards.
                        Err(EvalError::Config { message })
                            if g.id() != "gpu/h200" && message.contains("needs about") => {}
                        Err(e) => panic!("{} {} {}: {e}", g.id(), n.name(), w.task),
                    }
                }
            }
        }
    }
    assert!(evaluated > 100);
}

#[test]
fn average_power_stays_within_the_tdp() {
    for g in all_gpus() {
        let tdp = g.spec().tdp;
        for n in zoo::all().expect("zoo loads") {
            let n = Arc::new(n);
            for precision in [Precision::default(), bf16()] {
                let w = Workload::training(n.clone(), 64, momentum()).with_precision(precision);
                match g.evaluate(&w) {
                    Ok(r) => {
                        let p = r.average_power();
                        assert!(
                            p.value() <= tdp.value() * (1.0 + 1e-9),
                            "{} {} {precision}: {p} > {tdp}",
                            g.id(),
                            n.name()
                        );
                        assert!(p.value() >= g.spec().static_power.value() * (1.0 - 1e-9));
                    }
                    // Networks too large for a 12 GB card at batch 64, bf16
                    // without tensor cores.
                    Err(EvalError::Config { message }) => {
                        assert_ne!(g.id(), "gpu/h200", "{message}");
                        assert!(message.contains("needs about"), "{message}");
                    }
                    Err(EvalError::Unsupported { .. }) => assert!(precision == bf16()),
                }
            }
        }
    }
}

#[test]
fn formats_a_preset_cannot_run_are_unsupported() {
    let n = zoo_net("resnet18");
    let inf = |p: &str| Workload::inference(n.clone(), 8).with_precision(p.parse().unwrap());
    let unsupported =
        |g: &Gpu, w: &Workload| matches!(g.evaluate(w), Err(EvalError::Unsupported { .. }));
    let titan = gpu("titanx-pascal");
    let v100 = gpu("v100");
    let h200 = gpu("h200");
    for p in ["bf16", "fp16", "int8", "int4"] {
        assert!(unsupported(&titan, &inf(p)), "titan {p}");
    }
    assert!(unsupported(&v100, &inf("bf16")));
    assert!(unsupported(&v100, &inf("int8")));
    assert!(v100.evaluate(&inf("fp16")).is_ok());
    for p in ["fp32", "bf16", "fp16", "int8"] {
        h200.evaluate(&inf(p)).unwrap().check().unwrap();
    }
    assert!(unsupported(&h200, &inf("int4")));
    let int8_training = Workload::training(n.clone(), 8, momentum())
        .with_precision(Precision::uniform(NumberFormat::Fixed(8)));
    assert!(unsupported(&h200, &int8_training));
    // Tensor cores make bf16 faster than fp32 on a large compute-bound network.
    let vgg = zoo_net("vgg16");
    let t32 = h200
        .evaluate(&Workload::inference(vgg.clone(), 64))
        .unwrap();
    let t16 = h200
        .evaluate(&Workload::inference(vgg, 64).with_precision(bf16()))
        .unwrap();
    assert!(t16.latency < t32.latency);
}

#[test]
fn a_network_larger_than_the_memory_is_a_config_error() {
    let titan = gpu("titanx-pascal");
    let w = Workload::training(zoo_net("vgg19"), 512, momentum());
    match titan.evaluate(&w) {
        Err(EvalError::Config { message }) => assert!(message.contains("12.0 GB"), "{message}"),
        other => panic!("expected a config error, got {other:?}"),
    }
}

#[test]
fn kfac_adds_amortised_rows_and_reports_one_off_costs() {
    let g = gpu("h200");
    let n = zoo_net("resnet50");
    let kfac = Optimizer::from_name("kfac").unwrap();
    let r = g
        .evaluate(&Workload::training(n.clone(), 32, kfac))
        .unwrap();
    let m = g
        .evaluate(&Workload::training(n.clone(), 32, momentum()))
        .unwrap();
    r.check().unwrap();
    assert!(r.latency > m.latency);
    for key in [
        "kfac_factor_s",
        "kfac_inversion_s",
        "kfac_factor_j",
        "kfac_inversion_j",
    ] {
        assert!(r.metrics[key] > 0.0, "{key}");
    }
    let rows = |suffix: &str| {
        r.layers
            .iter()
            .filter(|l| l.layer.ends_with(suffix))
            .count()
    };
    assert_eq!(rows(".kfac-factors"), 54);
    assert_eq!(rows(".kfac-inverse"), 54);
    assert_eq!(rows(".kfac-precondition"), 54);
    assert!(r
        .layers
        .iter()
        .filter(|l| l.layer.contains(".kfac-"))
        .all(|l| l.phase == Phase::Update));
    // Amortisation: the inverse rows add up to the one-off cost / interval.
    let inv: f64 = r
        .layers
        .iter()
        .filter(|l| l.layer.ends_with(".kfac-inverse"))
        .map(|l| l.latency.value())
        .sum();
    assert!((inv - r.metrics["kfac_inversion_s"] / 100.0).abs() < 1e-9 * inv);
    // The one-off inversion is the sum of spd_inverse_time over all factors.
    let dims = pimzoo_tech::gpu::kfac_factors(&n);
    let sum: Seconds = dims
        .iter()
        .map(|f| g.spd_inverse_time(f.a_dim) + g.spd_inverse_time(f.g_dim))
        .sum();
    assert!((sum.value() - r.metrics["kfac_inversion_s"]).abs() < 1e-9 * sum.value());
    // Every interval must be at least 1.
    let bad = Optimizer::Kfac {
        lr: 0.1,
        momentum: 0.9,
        damping: 1e-3,
        factor_interval: 0,
        inversion_interval: 100,
    };
    assert!(matches!(
        g.evaluate(&Workload::training(n, 32, bad)),
        Err(EvalError::Config { .. })
    ));
}

#[test]
fn spd_inverse_time_grows_with_n() {
    let g = gpu("h200");
    let mut last = Seconds::ZERO;
    for n in [1, 64, 256, 1024, 8192] {
        let t = g.spd_inverse_time(n);
        assert!(t > last);
        last = t;
    }
}

#[test]
fn a_whole_network_evaluates_quickly() {
    let g = gpu("h200");
    let w = Workload::training(zoo_net("resnet152"), 64, momentum());
    let start = std::time::Instant::now();
    for _ in 0..20 {
        g.evaluate(&w).unwrap();
    }
    // Generous for debug builds on a loaded machine; about 0.1 ms in release.
    assert!(start.elapsed().as_secs_f64() / 20.0 < 0.05);
}

// ---------------------------------------------------------------- reference file

const REFERENCE: &str = include_str!("../../../fixtures/reference/gpu-h200.ron");

/// Mirrors `pimzoo::reference` (the facade's loader) for what this file uses.
#[derive(Deserialize)]
#[serde(rename = "Reference")]
struct ReferenceSet {
    paper: String,
    #[allow(dead_code)]
    title: String,
    entries: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    name: String,
    measure: Measure,
    value: f64,
    #[allow(dead_code)]
    unit: String,
    tolerance: Tolerance,
    #[serde(default)]
    status: Status,
    source: String,
}

#[derive(Deserialize)]
enum Measure {
    Metric {
        arch: String,
        workload: WorkloadSpec,
        metric: Metric,
    },
    GpuKernel {
        arch: String,
        kernel: Kernel,
    },
}

#[derive(Deserialize)]
struct WorkloadSpec {
    network: String,
    task: String,
    batch: u64,
    precision: String,
}

#[derive(Deserialize, Debug)]
enum Metric {
    SamplesPerS,
    EnergyJ,
    PhaseLatencyS(String),
    PhaseEnergyJ(String),
    Named(String),
}

#[derive(Deserialize)]
enum Kernel {
    SpdInverse { n: u64 },
}

#[derive(Deserialize, PartialEq, Debug)]
enum Tolerance {
    Relative(f64),
}

#[derive(Deserialize, Default, PartialEq, Debug)]
enum Status {
    #[default]
    Check,
    Fitted,
    Report,
}

fn reference() -> ReferenceSet {
    pimzoo_ir::ron_options()
        .from_str(REFERENCE)
        .unwrap_or_else(|e| panic!("gpu-h200.ron: {e}"))
}

fn workload(s: &WorkloadSpec) -> Workload {
    let n = zoo_net(&s.network);
    let w = if s.task == "inference" {
        Workload::inference(n, s.batch)
    } else {
        Workload::training(
            n,
            s.batch,
            Optimizer::from_name(&s.task).expect("optimizer"),
        )
    };
    w.with_precision(s.precision.parse().expect("precision"))
}

/// The model's value of one entry's measure on `g`.
fn measure(g: &Gpu, m: &Measure) -> f64 {
    match m {
        Measure::Metric {
            arch,
            workload: ws,
            metric,
        } => {
            assert_eq!(arch, g.id());
            let r = g.evaluate(&workload(ws)).unwrap();
            let phase = |name: &str| {
                r.phases()
                    .into_iter()
                    .find(|p| p.phase.name() == name)
                    .unwrap_or_else(|| panic!("no phase {name}"))
            };
            match metric {
                Metric::SamplesPerS => r.samples_per_s(),
                Metric::EnergyJ => r.energy().value(),
                Metric::PhaseLatencyS(p) => phase(p).latency.value(),
                Metric::PhaseEnergyJ(p) => phase(p).energy.value(),
                Metric::Named(k) => r.metrics[k],
            }
        }
        Measure::GpuKernel {
            arch,
            kernel: Kernel::SpdInverse { n },
        } => {
            assert_eq!(arch, g.id());
            g.spd_inverse_time(*n).value()
        }
    }
}

#[test]
fn the_reference_file_covers_the_data_and_evaluates() {
    let r = reference();
    assert_eq!(r.paper, "gpu-h200");
    // 30 network rows with 25 energies, 4 updates with 1 energy, 12 x 2
    // inverses, 4 K-FAC figures.
    assert_eq!(r.entries.len(), 30 + 25 + 4 + 1 + 24 + 4);
    let g = gpu("h200");
    let mut names = std::collections::HashSet::new();
    for e in &r.entries {
        assert!(names.insert(e.name.as_str()), "duplicate {}", e.name);
        assert!(e.source.starts_with("gpu-h200.json: "));
        assert_eq!(e.tolerance, Tolerance::Relative(0.5));
        assert_ne!(e.status, Status::Check, "{}", e.name);
        let v = measure(&g, &e.measure);
        assert!(v.is_finite() && v > 0.0, "{}: {v}", e.name);
    }
    let fitted: Vec<&str> = r
        .entries
        .iter()
        .filter(|e| e.status == Status::Fitted)
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(fitted.len(), 3, "{fitted:?}");
}

/// The fits are what the H200 preset holds: each fitted row is reproduced.
#[test]
fn fitted_rows_are_reproduced() {
    let g = gpu("h200");
    for e in reference().entries {
        if e.status == Status::Fitted {
            let v = measure(&g, &e.measure);
            let err = (v - e.value).abs() / e.value;
            assert!(err < 1e-6, "{}: model {v}, measured {}", e.name, e.value);
        }
    }
}

// ---------------------------------------------------------------- fit and accuracy

/// The largest `x` in `[lo, hi]` where `f(x) <= target`, `f` increasing.
fn bisect(mut lo: f64, mut hi: f64, target: f64, f: impl Fn(f64) -> f64) -> f64 {
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if f(mid) < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

fn fitted_entry(name_prefix: &str) -> Entry {
    reference()
        .entries
        .into_iter()
        .find(|e| e.status == Status::Fitted && e.name.starts_with(name_prefix))
        .unwrap_or_else(|| panic!("no fitted entry {name_prefix}"))
}

/// Fit the H200's three free parameters, each once to its one row, in
/// order: fp32_efficiency, tensor_efficiency (its row also runs fp32
/// element-wise work), inverse_step_latency (closed form). Run with
/// `cargo test -p pimzoo-tech --test gpu fit_h200 -- --ignored --nocapture`
/// and copy the values into fixtures/configs/gpu/h200.ron.
#[test]
#[ignore = "prints the fit; run by hand"]
fn fit_h200() {
    let base = spec("h200");
    let throughput = |s: &GpuSpec, e: &Entry| measure(&Gpu::new(s.clone()).unwrap(), &e.measure);

    let row = fitted_entry("vgg16 training fp32");
    let mut s = base.clone();
    let eta32 = bisect(0.01, 1.0, row.value, |x| {
        let mut t = s.clone();
        t.fp32_efficiency = x;
        throughput(&t, &row)
    });
    s.fp32_efficiency = eta32;
    println!(
        "fp32_efficiency: {eta32:.12}, fitted to `{}` ({})",
        row.name, row.value
    );

    let row = fitted_entry("vgg16 training bf16");
    let eta_t = bisect(0.01, 1.0, row.value, |x| {
        let mut t = s.clone();
        t.tensor_efficiency = Some(x);
        throughput(&t, &row)
    });
    s.tensor_efficiency = Some(eta_t);
    println!(
        "tensor_efficiency: {eta_t:.12}, fitted to `{}` ({})",
        row.name, row.value
    );

    let row = fitted_entry("SPD inverse n=256 float32");
    let n = 256.0_f64;
    let step = (row.value - n.powi(3) / (s.fp32_peak_flops * eta32)) / n;
    println!(
        "inverse_step_latency: {step:.12e}, fitted to `{}` ({})",
        row.name, row.value
    );
}

/// Relative error of the model against every reference entry, by kind.
/// Run with `cargo test -p pimzoo-tech --test gpu accuracy_table -- --ignored --nocapture`;
/// the output is pasted into docs/models/gpu.md.
#[test]
#[ignore = "prints the accuracy table; run by hand"]
fn accuracy_table() {
    let g = gpu("h200");
    // (kind, [(row, model, relative error)])
    type Rows = Vec<(String, f64, f64)>;
    let mut kinds: Vec<(String, Rows)> = Vec::new();
    for e in reference().entries {
        if e.status == Status::Fitted {
            continue;
        }
        let kind = match &e.measure {
            Measure::GpuKernel { .. } => {
                if e.name.contains("cholesky") {
                    "SPD inverse (cholesky_inverse)".to_string()
                } else {
                    "SPD inverse (linalg.inv)".to_string()
                }
            }
            Measure::Metric {
                workload, metric, ..
            } => match metric {
                Metric::SamplesPerS => format!(
                    "{} throughput {}",
                    if workload.task == "inference" {
                        "inference"
                    } else {
                        "training"
                    },
                    workload.precision
                ),
                Metric::EnergyJ => format!(
                    "{} energy {}",
                    if workload.task == "inference" {
                        "inference"
                    } else {
                        "training"
                    },
                    workload.precision
                ),
                Metric::PhaseLatencyS(_) | Metric::PhaseEnergyJ(_) => format!(
                    "SGD-momentum update {}({})",
                    if matches!(metric, Metric::PhaseEnergyJ(_)) {
                        "energy "
                    } else {
                        ""
                    },
                    if e.name.contains("unfused") {
                        "unfused"
                    } else {
                        "fused"
                    }
                ),
                Metric::Named(k) => format!("K-FAC {k}"),
            },
        };
        let model = measure(&g, &e.measure);
        let err = (model - e.value) / e.value;
        match kinds.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, v)) => v.push((e.name.clone(), model, err)),
            None => kinds.push((kind, vec![(e.name.clone(), model, err)])),
        }
    }
    println!("| kind of row | rows | mean error | mean abs error | worst error (row) |");
    println!("|---|---|---|---|---|");
    for (kind, rows) in &kinds {
        let n = rows.len() as f64;
        let mean = rows.iter().map(|r| r.2).sum::<f64>() / n;
        let mean_abs = rows.iter().map(|r| r.2.abs()).sum::<f64>() / n;
        let worst = rows
            .iter()
            .max_by(|a, b| a.2.abs().total_cmp(&b.2.abs()))
            .unwrap();
        println!(
            "| {kind} | {} | {:+.0} % | {:.0} % | {:+.0} % ({}) |",
            rows.len(),
            100.0 * mean,
            100.0 * mean_abs,
            100.0 * worst.2,
            worst.0
        );
    }
    println!();
    println!("| row | measured | model | error |");
    println!("|---|---|---|---|");
    for e in reference().entries {
        let model = measure(&g, &e.measure);
        println!(
            "| {}{} | {:.4e} | {:.4e} | {:+.1} % |",
            e.name,
            if e.status == Status::Fitted {
                " (fitted)"
            } else {
                ""
            },
            e.value,
            model,
            100.0 * (model - e.value) / e.value
        );
    }
    // An independent cross-check on another GPU and software stack: Titan X
    // (Pascal) forward + backward times at batch 16 from the README of
    // github.com/jcjohnson/cnn-benchmarks (Torch, cuDNN 5.1), as quoted in
    // the NTX brief. The model runs a training step with plain SGD (its
    // update is a few percent of these times).
    let titan = gpu("titanx-pascal");
    let sgd = Optimizer::from_name("sgd").unwrap();
    println!();
    println!("| Titan X (Pascal), batch 16 | measured ms | model ms | error |");
    println!("|---|---|---|---|");
    let mut errs = Vec::new();
    for (name, ms) in [
        ("alexnet", 14.56),
        ("googlenet", 39.14),
        ("vgg16", 128.62),
        ("resnet18", 31.54),
        ("resnet34", 51.59),
        ("resnet50", 103.58),
        ("resnet101", 156.44),
        ("resnet152", 217.91),
    ] {
        let r = titan
            .evaluate(&Workload::training(zoo_net(name), 16, sgd.clone()))
            .unwrap();
        let model = r.latency.value() * 1e3;
        let err = (model - ms) / ms;
        errs.push(err);
        println!("| {name} | {ms:.2} | {model:.2} | {:+.0} % |", 100.0 * err);
    }
    let n = errs.len() as f64;
    println!(
        "| mean / mean abs | | | {:+.0} % / {:.0} % |",
        100.0 * errs.iter().sum::<f64>() / n,
        100.0 * errs.iter().map(|e| e.abs()).sum::<f64>() / n
    );
    // What the K-FAC factor time would be with the measurement's row cap.
    let capped = g.kfac_costs(&zoo_net("resnet50"), 32, Some(65536));
    let full = g.kfac_costs(&zoo_net("resnet50"), 32, None);
    println!();
    println!(
        "K-FAC resnet50 b32 factors: {} ({}) uncapped, {} ({}) with rows capped at 65536",
        full.factors.time, full.factors.energy, capped.factors.time, capped.factors.energy
    );
}
