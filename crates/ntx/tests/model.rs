//! The NTX model on whole networks: report invariants, work conservation,
//! what it refuses, the mesh, and that kernel efficiency comes out of the
//! mapping.
use pimzoo_core::units::Bytes;
use pimzoo_core::{Accelerator, EvalError, NumberFormat, Optimizer, Precision, Workload};
use pimzoo_ntx::explain::{scaling_table, MeshOptions};
use pimzoo_ntx::preset::Config;
use pimzoo_ntx::Ntx;
use std::sync::Arc;

#[derive(serde::Deserialize)]
enum File {
    Ntx(Config),
}

fn config(id: &str) -> Config {
    for (_, text) in pimzoo_ntx::preset::FILES {
        let File::Ntx(c) = pimzoo_ir::ron_options().from_str::<File>(text).unwrap();
        if c.id == id {
            return c;
        }
    }
    panic!("no preset {id}")
}

fn model(id: &str) -> Box<dyn Accelerator> {
    config(id).build().unwrap()
}

fn parse(text: &str) -> Result<Box<dyn Accelerator>, String> {
    let File::Ntx(c) = pimzoo_ir::ron_options()
        .from_str::<File>(text)
        .map_err(|e| e.to_string())?;
    c.build()
}

fn sgd() -> Optimizer {
    Optimizer::Sgd { lr: 0.1 }
}

#[test]
fn every_zoo_network_runs_and_keeps_the_invariants() {
    let cube = model("ntx/cube");
    let cluster = model("ntx/cluster");
    let peak = cube.info().peak_ops_per_s.unwrap();
    for net in pimzoo_ir::zoo::all().unwrap() {
        let net = Arc::new(net);
        for w in [
            Workload::inference(net.clone(), 4),
            Workload::training(net.clone(), 4, sgd()),
            Workload::training(net.clone(), 4, Optimizer::from_name("momentum").unwrap()),
        ] {
            for m in [&cube, &cluster] {
                let r = m
                    .evaluate(&w)
                    .unwrap_or_else(|e| panic!("{} {} {}: {e}", m.id(), net.name(), w.task));
                r.check()
                    .unwrap_or_else(|e| panic!("{} {}: {e}", m.id(), net.name()));
                assert!(r.metrics["tflops"] > 0.0);
            }
            let r = cube.evaluate(&w).unwrap();
            // No network beats the peak, and the engines execute at least
            // the multiply-accumulates the IR counts.
            assert!(r.ops_per_s() <= peak, "{}: above peak", net.name());
            assert!(
                r.metrics["executed_flops"] >= 0.999 * r.ops,
                "{} {}: executed {} < algorithmic {}",
                net.name(),
                w.task,
                r.metrics["executed_flops"],
                r.ops
            );
        }
    }
}

#[test]
fn what_ntx_cannot_run_is_unsupported_with_a_reason() {
    let cube = model("ntx/cube");
    let net = Arc::new(pimzoo_ir::zoo::get("resnet18").unwrap());
    for name in ["adam", "kfac"] {
        let w = Workload::training(net.clone(), 2, Optimizer::from_name(name).unwrap());
        match cube.evaluate(&w) {
            Err(EvalError::Unsupported { reason }) => assert!(reason.contains(name)),
            other => panic!("{name}: {other:?}"),
        }
    }
    let bf16 = Workload::inference(net.clone(), 2)
        .with_precision(Precision::mixed(NumberFormat::Bf16, NumberFormat::Fp32));
    assert!(matches!(
        cube.evaluate(&bf16),
        Err(EvalError::Unsupported { .. })
    ));
    // A batch the 8 GB cube cannot hold is a configuration error.
    let big = Workload::training(net, 4096, sgd());
    match cube.evaluate(&big) {
        Err(EvalError::Config { message }) => assert!(message.contains("DRAM"), "{message}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_mesh_reports_scaling_and_keeps_the_invariants() {
    let mesh = model("ntx/mesh-1024");
    let cube = model("ntx/cube");
    let net = Arc::new(pimzoo_ir::zoo::get("resnet50").unwrap());
    let w = Workload::training(net.clone(), 1024 * 2, sgd());
    let r = mesh.evaluate(&w).unwrap();
    r.check().unwrap();
    let one = cube
        .evaluate(&Workload::training(net.clone(), 2, sgd()))
        .unwrap();
    // Weak scaling: 1024 times the samples in no less time than one cube.
    assert!(r.latency >= one.latency);
    assert!(r.samples_per_s() <= 1024.0 * one.samples_per_s() * (1.0 + 1e-9));
    for m in ["parallel_efficiency", "energy_efficiency"] {
        let v = r.metrics[m];
        assert!(v > 0.0 && v <= 1.0, "{m} = {v}");
    }
    assert!(r.metrics["gpu_system_gpus"] >= 1.0);
    assert!(r.energy_breakdown().contains_key("interconnect"));
    // Inference on the mesh: no all-reduce, the rows still add up.
    let mut ungated = config("ntx/mesh-1024");
    if let Some(m) = ungated.mesh.as_mut() {
        m.link_power_gating = false;
    }
    let inf = ungated
        .build()
        .unwrap()
        .evaluate(&Workload::inference(net.clone(), 1024))
        .unwrap();
    inf.check().unwrap();
    // The batch must split evenly over the cubes.
    match mesh.evaluate(&Workload::training(net, 1000, sgd())) {
        Err(EvalError::Config { message }) => assert!(message.contains("1024"), "{message}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn kernel_efficiency_is_an_output_of_the_mapping() {
    let figure = |m: &dyn Accelerator| {
        m.info()
            .figures
            .iter()
            .find(|(n, _)| n == "kernel_efficiency_max")
            .map(|(_, v)| *v)
            .unwrap()
    };
    let base = config("ntx/cluster");
    let eta = figure(base.clone().build().unwrap().as_ref());
    assert!(eta > 0.5 && eta < 1.0, "{eta}");
    // More TCDM banks, fewer conflicts: a higher efficiency, from the same
    // commands.
    let mut cube = config("ntx/cube").cube.unwrap();
    cube.cluster.tcdm_banks = 128;
    cube.clusters = Some(1);
    let more = Config {
        base: None,
        cube: Some(cube),
        ..base
    };
    assert!(figure(more.build().unwrap().as_ref()) > eta);
}

#[test]
fn broadcast_lowers_the_offload_cost() {
    let net = Arc::new(pimzoo_ir::zoo::get("resnet18").unwrap());
    let w = Workload::training(net, 4, sgd());
    let r = model("ntx/cube").evaluate(&w).unwrap();
    let ntx = r.metrics["offload_core_cycles_per_command"];
    let base = r.metrics["offload_core_cycles_per_command_baseline"];
    assert!(ntx > 0.0 && base > 2.0 * ntx, "{ntx} vs {base}");
}

#[test]
fn preset_errors_name_the_problem() {
    let e = parse("Ntx(id: \"ntx/x\", name: \"x\", base: \"ntx/nothing\")")
        .err()
        .unwrap();
    assert!(e.contains("ntx/nothing") && e.contains("ntx/cube"), "{e}");
    let e = parse("Ntx(id: \"ntx/x\", name: \"x\")").err().unwrap();
    assert!(e.contains("base"), "{e}");
    let e = parse("Ntx(id: \"cube\", name: \"x\", base: \"ntx/cube\")")
        .err()
        .unwrap();
    assert!(e.contains("ntx/<name>"), "{e}");
    let e = parse("Ntx(id: \"ntx/x\", name: \"x\", base: \"ntx/mesh-1024\")")
        .err()
        .unwrap();
    assert!(e.contains("itself has a base"), "{e}");
    let e = parse("Ntx(id: \"ntx/x\", name: \"x\", base: \"ntx/cube\", clusters: 0)")
        .err()
        .unwrap();
    assert!(e.contains("clusters"), "{e}");
    let e = parse("Ntx(id: \"ntx/x\", name: \"x\", base: \"ntx/cube\", vaults: 99)")
        .err()
        .unwrap();
    assert!(e.contains("vaults"), "{e}");
    let ok = parse("Ntx(id: \"ntx/m4\", name: \"x\", base: \"ntx/cube\", mesh: (cubes: 4, topology: Ring, overlap: false, step_latency: 1e-6, link_power_gating: false))");
    assert!(ok.is_ok(), "{:?}", ok.err());
}

#[test]
fn the_scaling_table_covers_1_to_1024_cubes_and_the_torus_scales_better() {
    let m = model("ntx/cube");
    let _ = m.info();
    let c = config("ntx/cube");
    let cube = pimzoo_ntx::cube::Cube::new(c.cube.unwrap()).unwrap();
    let o = MeshOptions {
        step_latency: pimzoo_core::units::Seconds(1e-6),
        overlap: false,
        link_power_gating: false,
    };
    let rows = scaling_table(&cube, "resnet50", 1, 1024, o).unwrap();
    assert_eq!(rows.len(), 22);
    assert_eq!(rows.last().unwrap().cubes, 1024);
    let (ring, torus) = (&rows[20], &rows[21]);
    assert!(torus.parallel_efficiency > ring.parallel_efficiency);
    // Bytes moved are those of the gradient, not of the model's activations.
    let params = pimzoo_ir::zoo::get("resnet50").unwrap().work().params as f64;
    assert!(Bytes(4.0 * params).value() > 1e8);
}

#[test]
fn a_mesh_model_is_an_ntx() {
    // The registry holds boxed models; the concrete type is reachable too.
    let File::Ntx(c) = pimzoo_ir::ron_options()
        .from_str::<File>(pimzoo_ntx::preset::FILES[0].1)
        .unwrap();
    let m = c.build().unwrap();
    assert_eq!(m.id(), "ntx/cube");
    let _: Option<&Ntx> = None;
}
