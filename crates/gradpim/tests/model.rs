//! The four systems as `Accelerator`s: what they run and refuse, the
//! report's figures, and the relations between systems the model must keep.
mod common;
use common::{config, model, SYSTEMS};
use pimzoo_core::{component, Accelerator, EvalError, Optimizer, Precision, Report, Workload};
use pimzoo_ir::Phase;
use std::sync::Arc;

fn workload(net: &str, batch: u64, optimizer: &str, precision: &str) -> Workload {
    let n = Arc::new(pimzoo_ir::zoo::get(net).unwrap());
    Workload::training(n, batch, Optimizer::from_name(optimizer).unwrap())
        .with_precision(precision.parse().unwrap())
}

fn eval(name: &str, w: &Workload) -> Report {
    let r = model(name)
        .evaluate(w)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    r.check().unwrap_or_else(|e| panic!("{name}: {e}"));
    r
}

fn phase_time(r: &Report, p: Phase) -> f64 {
    r.phases()
        .iter()
        .find(|t| t.phase == p)
        .map_or(0.0, |t| t.latency.value())
}

#[test]
fn presets_build_and_explain_themselves() {
    for name in SYSTEMS {
        let m = model(name);
        assert_eq!(m.id(), format!("gradpim/{name}"));
        let info = m.info();
        assert!(!info.explanation.is_empty());
        for (p, v, s) in &info.parameters {
            assert!(!v.is_empty() && !s.is_empty(), "{name}: {p}");
        }
        let peak = info
            .figures
            .iter()
            .find(|(n, _)| n == "internal_peak_bandwidth_bytes_per_s")
            .unwrap()
            .1;
        // 16 bank groups x 64 B per tCCD_L (6 x 0.94 ns).
        assert!((peak - 16.0 * 64.0 / (6.0 * 0.94e-9)).abs() < 1.0);
    }
}

#[test]
fn bad_presets_are_errors_that_name_the_field() {
    let mut c = config("v1");
    c.memory.dimms = 3;
    assert!(c.clone().build().err().unwrap().contains("memory.dimms"));
    let mut c = config("v1");
    c.memory.dram = "ddr9".into();
    assert!(c.build().err().unwrap().contains("memory.dram"));
    let mut c = config("v1");
    c.sources.remove("npu/clock_hz");
    assert!(c.build().err().unwrap().contains("npu/clock_hz"));
    let mut c = config("v1");
    c.npu.clock_hz = -1.0;
    assert!(c.build().err().unwrap().contains("clock_hz"));
    let mut c = config("v1");
    c.unit.scaler.max_span = 40;
    assert!(c.build().err().unwrap().contains("unit.scaler"));
}

#[test]
fn what_cannot_run_is_unsupported_with_its_reason() {
    let net = Arc::new(pimzoo_ir::zoo::get("resnet18").unwrap());
    for name in SYSTEMS {
        let m = model(name);
        let cases = [
            Workload::inference(net.clone(), 16),
            workload("resnet18", 16, "adam", "8/32"),
            workload("resnet18", 16, "kfac", "8/32"),
            workload("resnet18", 16, "momentum", "bf16"),
            workload("resnet18", 16, "momentum", "int8"),
        ];
        for w in cases {
            match m.evaluate(&w) {
                Err(EvalError::Unsupported { reason }) => assert!(reason.len() > 20, "{reason}"),
                other => panic!("{name} on {}: {other:?}", w.task),
            }
        }
    }
}

#[test]
fn every_mode_runs_on_every_system() {
    for precision in ["8/32", "16/32", "8/16", "fp32"] {
        for optimizer in ["sgd", "momentum"] {
            let w = workload("resnet18", 16, optimizer, precision);
            for name in SYSTEMS {
                let r = eval(name, &w);
                assert!(r.metrics["update_time_s"] > 0.0);
            }
        }
    }
}

#[test]
fn forward_and_backward_are_the_same_npu_in_every_system() {
    let w = workload("resnet50", 16, "momentum", "8/32");
    let reports: Vec<Report> = SYSTEMS.iter().map(|s| eval(s, &w)).collect();
    let fb = |r: &Report| r.metrics["forward_backward_time_s"];
    for r in &reports[1..] {
        assert_eq!(fb(r), fb(&reports[0]));
    }
    // Update times order as the systems' command and data rates do.
    let up: Vec<f64> = reports.iter().map(|r| r.metrics["update_time_s"]).collect();
    assert!(up[0] > up[1] && up[1] > up[2] && up[0] > up[3], "{up:?}");
    // Rows: forward, backward-data, backward-weight, update; they sum to the total.
    for r in &reports {
        let sum: f64 = Phase::ALL.iter().map(|&p| phase_time(r, p)).sum();
        assert!((sum - r.latency.value()).abs() < 1e-12);
        assert!((phase_time(r, Phase::Update) - r.metrics["update_time_s"]).abs() < 1e-12);
    }
}

#[test]
fn the_report_carries_the_papers_figures() {
    let w = workload("resnet18", 16, "momentum", "8/32");
    let base = eval("baseline", &w);
    let v1 = eval("v1", &w);
    for r in [&base, &v1] {
        for m in [
            "update_time_s",
            "total_time_s",
            "update_fraction",
            "command_bus_utilization",
            "internal_bandwidth_bytes_per_s",
            "external_bandwidth_bytes_per_s",
            "update_data_bandwidth_bytes_per_s",
            "update_commands_act",
            "update_commands_ref",
        ] {
            assert!(r.metrics.contains_key(m), "{m}");
        }
    }
    for k in [
        "pim_scaled_rd",
        "pim_writeback",
        "pim_add",
        "pim_sub",
        "pim_quant",
        "pim_dequant",
        "pim_qreg_rd",
        "pim_qreg_wr",
    ] {
        assert!(v1.metrics[&format!("update_commands_{k}")] > 0.0, "{k}");
    }
    assert!(base.metrics["update_commands_rd"] > 0.0);
    // The baseline's update moves the optimizer's data over the channel;
    // v1's does not touch the channel's data bus.
    assert_eq!(base.metrics["internal_bandwidth_bytes_per_s"], 0.0);
    assert_eq!(v1.metrics["external_bandwidth_bytes_per_s"], 0.0);
    let data = |r: &Report| r.metrics["update_data_bandwidth_bytes_per_s"];
    assert!((data(&base) / base.metrics["external_bandwidth_bytes_per_s"] - 1.0).abs() < 0.01);
    // The template moves 6.5 bursts per 16 parameters inside (26 B), more than
    // the 18 B of data per parameter.
    let ratio = v1.metrics["internal_bandwidth_bytes_per_s"] / data(&v1);
    assert!((ratio - 26.0 / 18.0).abs() < 0.01, "{ratio}");
    // Energy: DRAM components in both, PIM logic only with units, NPU compute in both.
    let e = |r: &Report, c: &str| r.energy_breakdown().get(c).map_or(0.0, |j| j.value());
    for c in [
        component::DRAM_ACTIVATE,
        component::DRAM_READ,
        component::DRAM_WRITE,
        component::DRAM_REFRESH,
        component::COMPUTE,
    ] {
        assert!(e(&base, c) > 0.0 && e(&v1, c) > 0.0, "{c}");
    }
    assert_eq!(e(&base, component::PIM_LOGIC), 0.0);
    assert!(e(&v1, component::PIM_LOGIC) > 0.0);
}

#[test]
fn the_scaler_reports_how_it_represents_the_hyper_parameters() {
    let r = eval("v1", &workload("resnet18", 16, "momentum", "8/32"));
    // lr 0.1 -> 2^-4 + 2^-5 (or 2^-3 - 2^-5) = 0.09375.
    assert_eq!(r.metrics["scale_lr_used"], 0.09375);
    assert!((r.metrics["scale_lr_rel_error"] + 0.0625).abs() < 1e-12);
    assert!((r.metrics["scale_momentum_used"] - 0.875).abs() < 1e-12);
    assert!(r.metrics["scale_max_abs_rel_error"] > 0.06);
    let exact = Optimizer::Momentum {
        lr: 0.09375,
        momentum: 0.875,
        weight_decay: 2f64.powi(-13),
    };
    let net = Arc::new(pimzoo_ir::zoo::get("resnet18").unwrap());
    let w = Workload::training(net, 16, exact).with_precision("8/32".parse().unwrap());
    let r = eval("v1", &w);
    assert_eq!(r.metrics["scale_max_abs_rel_error"], 0.0);
}

#[test]
fn a_larger_batch_shrinks_the_update_share() {
    let mut last = 1.0;
    for batch in [1, 4, 16, 64] {
        let r = eval("baseline", &workload("resnet18", batch, "momentum", "8/32"));
        let f = r.metrics["update_fraction"];
        assert!(f < last, "batch {batch}: {f}");
        last = f;
    }
}

#[test]
fn a_wider_precision_gap_gives_a_larger_end_to_end_speedup() {
    // Slide 23: the gain grows with the gap between the low and high formats,
    // and GradPIM still helps at 32/32.
    let speedup = |p: &str| {
        let w = workload("resnet18", 16, "momentum", p);
        eval("baseline", &w).latency.value() / eval("v1", &w).latency.value()
    };
    let (s8, s16, s32) = (speedup("8/32"), speedup("16/32"), speedup("fp32"));
    assert!(s8 > s16 && s16 > s32 && s32 > 1.0, "{s8} {s16} {s32}");
}

#[test]
fn precision_of_an_unknown_pair_is_rejected() {
    let p = Precision::mixed(
        pimzoo_core::NumberFormat::Fixed(4),
        pimzoo_core::NumberFormat::Fp32,
    );
    let net = Arc::new(pimzoo_ir::zoo::get("mlp1").unwrap());
    let w =
        Workload::training(net, 16, Optimizer::from_name("momentum").unwrap()).with_precision(p);
    assert!(matches!(
        model("v1").evaluate(&w),
        Err(EvalError::Unsupported { .. })
    ));
}

#[test]
fn a_network_beyond_the_drams_rows_is_a_configuration_error() {
    let text =
        r#"Network(name: "huge", input: [40000], layers: [(name: "fc", op: Linear(out: 40000))])"#;
    let net = Arc::new(pimzoo_ir::parse_network(text, "huge.ron").unwrap());
    let mut c = config("v1");
    c.memory.ranks = 1;
    c.memory.dimms = 1;
    let m = pimzoo_gradpim::GradPim::new(c).unwrap();
    let w = Workload::training(net, 1, Optimizer::from_name("sgd").unwrap());
    match m.evaluate(&w) {
        Err(EvalError::Config { message }) => assert!(message.contains("rows"), "{message}"),
        other => panic!("{other:?}"),
    }
}
