//! The cost model of both presets: what they run and refuse, the pipeline's
//! cycle arithmetic, K-FAC's amortisation, the comparison's algebra, and
//! preset errors that name their field.
use pimzoo_core::{Accelerator, EvalError, NumberFormat, Optimizer, Precision, Report, Workload};
use pimzoo_ir::dataset::dataset_of;
use pimzoo_repast::preset::{builtin, parse, Config, Parallelism, Preconditioning, FILES};
use std::sync::Arc;

fn net(name: &str) -> Arc<pimzoo_ir::Network> {
    Arc::new(pimzoo_ir::zoo::get(name).unwrap())
}

fn model(id: &str) -> Box<dyn Accelerator> {
    builtin(id).unwrap().build().unwrap()
}

fn kfac(factor_interval: u32, inversion_interval: u32) -> Optimizer {
    Optimizer::Kfac {
        lr: 0.1,
        momentum: 0.9,
        damping: 1e-3,
        factor_interval,
        inversion_interval,
    }
}

fn metric(r: &Report, name: &str) -> f64 {
    *r.metrics
        .get(name)
        .unwrap_or_else(|| panic!("no metric `{name}` in {:?}", r.metrics.keys()))
}

fn figure(m: &dyn Accelerator, name: &str) -> f64 {
    m.info()
        .figures
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| *v)
        .unwrap_or_else(|| panic!("no figure `{name}`"))
}

#[test]
fn presets_build_and_state_their_evaluation_time() {
    for (origin, text) in FILES {
        let c = parse(text, origin).unwrap();
        assert!(origin.ends_with(&format!("{}.ron", c.id.trim_start_matches("repast/"))));
        let m = c.build().unwrap();
        let info = m.info();
        assert!(!info.explanation.is_empty());
        for (name, value, source) in &info.parameters {
            assert!(!value.is_empty() && !source.is_empty(), "{name}");
        }
    }
    // PipeLayer: 16 spike slots of 29.31 ns; RePAST: 16 one-bit DAC cycles of 100 ns.
    let pl = model("repast/pipelayer");
    assert!((figure(pl.as_ref(), "array_eval_s") - 16.0 * 29.31e-9).abs() < 1e-15);
    let rp = model("repast/repast");
    assert!((figure(rp.as_ref(), "array_eval_s") - 1.6e-6).abs() < 1e-15);
    assert_eq!(figure(rp.as_ref(), "vmm_per_inv"), 16.0);
}

#[test]
fn pipelayer_trains_first_order_only_and_neither_runs_recurrence() {
    let pl = model("repast/pipelayer");
    let w = Workload::training(net("resnet50"), 64, kfac(10, 100));
    assert!(matches!(
        pl.evaluate(&w),
        Err(EvalError::Unsupported { .. })
    ));
    for id in ["repast/pipelayer", "repast/repast"] {
        let w = Workload::training(net("neuraltalk"), 8, Optimizer::from_name("sgd").unwrap());
        match model(id).evaluate(&w) {
            Err(EvalError::Unsupported { reason }) => assert!(reason.contains("recurrent")),
            other => panic!("{id}: {other:?}"),
        }
        let wide = Workload::inference(net("resnet18"), 1)
            .with_precision(Precision::uniform(NumberFormat::Fixed(32)));
        assert!(matches!(
            model(id).evaluate(&wide),
            Err(EvalError::Unsupported { .. })
        ));
    }
}

#[test]
fn a_batch_takes_two_l_plus_b_cycles_and_the_update() {
    let pl = model("repast/pipelayer");
    for b in [1, 16, 64] {
        let w = Workload::training(net("vgg16"), b, Optimizer::from_name("sgd").unwrap());
        let r = pl.evaluate(&w).unwrap();
        r.check().unwrap();
        let (l, cycle) = (metric(&r, "pipeline_depth"), metric(&r, "logical_cycle_s"));
        let expect = (2.0 * l + b as f64) * cycle + metric(&r, "update_s");
        assert!(
            (r.latency.value() - expect).abs() < 1e-12 * expect,
            "batch {b}"
        );
        assert_eq!(metric(&r, "max_stage_steps"), 49.0);
        let inf = pl.evaluate(&Workload::inference(net("vgg16"), b)).unwrap();
        let c = metric(&inf, "logical_cycle_s");
        let expect = (b as f64 + l - 1.0) * c;
        assert!((inf.latency.value() - expect).abs() < 1e-12 * expect);
    }
    // VGG-E (vgg19) is balanced too; no stage of any network takes more
    // evaluations than the rule allows.
    let w = Workload::training(net("vgg19"), 64, Optimizer::from_name("sgd").unwrap());
    assert_eq!(metric(&pl.evaluate(&w).unwrap(), "max_stage_steps"), 49.0);
    let w = Workload::training(net("resnet50"), 64, Optimizer::from_name("sgd").unwrap());
    assert!(metric(&pl.evaluate(&w).unwrap(), "max_stage_steps") <= 49.0);
}

#[test]
fn a_kfac_step_reports_its_epoch_and_its_inversion_share() {
    let rp = model("repast/repast");
    let w = Workload::training(net("resnet50"), 64, kfac(10, 100));
    let r = rp.evaluate(&w).unwrap();
    r.check().unwrap();
    let steps = 1_281_167_f64 / 64.0;
    assert_eq!(metric(&r, "steps_per_epoch"), steps.ceil());
    assert!((metric(&r, "epoch_s") - steps.ceil() * r.latency.value()).abs() < 1e-9);
    assert!((metric(&r, "epoch_j") - steps.ceil() * r.energy().value()).abs() < 1e-6);
    let inv = metric(&r, "inversion_share");
    let all = metric(&r, "second_order_share");
    assert!(0.0 < inv && inv < all && all < 1.0, "{inv} {all}");
    assert_eq!(metric(&r, "explicit_inverse"), 1.0);
    // First-order training on the same chip leaves the INV crossbars idle.
    let first = rp
        .evaluate(&Workload::training(
            net("resnet50"),
            64,
            Optimizer::from_name("momentum").unwrap(),
        ))
        .unwrap();
    assert!(!first.metrics.contains_key("inversion_share"));
    assert!(first.latency.value() < r.latency.value());
    // Networks without a training set get per-step figures only.
    assert!(dataset_of("alphagozero").is_none());
    let r = rp
        .evaluate(&Workload::training(net("alphagozero"), 8, kfac(10, 100)))
        .unwrap();
    assert!(!r.metrics.contains_key("epoch_s"));
}

#[test]
fn longer_intervals_amortise_the_second_order_work() {
    let rp = model("repast/repast");
    let at = |f, i| {
        rp.evaluate(&Workload::training(net("vgg16"), 64, kfac(f, i)))
            .unwrap()
    };
    let base = at(10, 100);
    let rare_inverse = at(10, 1000);
    let rare_factors = at(100, 100);
    assert!(rare_inverse.latency.value() < base.latency.value());
    assert!(rare_factors.latency.value() < base.latency.value());
    // The un-amortised phases do not depend on the intervals.
    for m in ["kfac_factor_s", "kfac_inversion_s", "kfac_precondition_s"] {
        assert_eq!(metric(&base, m), metric(&rare_inverse, m), "{m}");
    }
    let expect = metric(&base, "kfac_factor_s") / 10.0
        + metric(&base, "kfac_inversion_s") / 100.0
        + metric(&base, "kfac_precondition_s");
    assert!((metric(&base, "second_order_s") - expect).abs() < 1e-12);
    let zero = Workload::training(net("vgg16"), 64, kfac(0, 100));
    assert!(matches!(rp.evaluate(&zero), Err(EvalError::Config { .. })));
}

#[test]
fn whole_training_ratios_are_the_epoch_ratios_times_the_epoch_reduction() {
    let rp = model("repast/repast");
    let gpu = pimzoo_tech::gpu::builtin("gpu/v100").unwrap();
    for name in ["vgg16", "resnet50", "bert-base", "autoencoder"] {
        let w = Workload::training(net(name), 64, Optimizer::from_name("kfac").unwrap());
        let r = rp.evaluate(&w).unwrap();
        let red = metric(&r, "epoch_reduction");
        for prefix in ["vs_reram_1st", "vs_own_1st"] {
            let speedup = metric(&r, &format!("{prefix}_training_speedup"));
            let epoch = metric(&r, &format!("{prefix}_epoch_time_ratio"));
            assert!(
                (speedup * epoch - red).abs() < 1e-9 * red,
                "{name} {prefix}"
            );
        }
        // Against the GPU with K-FAC the epochs are the same: the step ratio.
        let g = gpu.evaluate(&w).unwrap();
        let s = metric(&r, "vs_gpu_2nd_training_speedup");
        assert!((s - g.latency.value() / r.latency.value()).abs() < 1e-9 * s);
        let own = rp
            .evaluate(&Workload::training(
                net(name),
                64,
                Optimizer::from_name("momentum").unwrap(),
            ))
            .unwrap();
        let ratio = metric(&r, "vs_own_1st_epoch_time_ratio");
        assert!((ratio - r.latency.value() / own.latency.value()).abs() < 1e-9 * ratio);
    }
}

fn variant(f: impl Fn(&mut Config)) -> Box<dyn Accelerator> {
    let mut c = builtin("repast/repast").unwrap();
    f(&mut c);
    c.build().unwrap()
}

#[test]
fn one_copy_is_never_faster_than_balanced_and_solving_replaces_inverses() {
    let w = Workload::training(net("vgg16"), 64, kfac(10, 100));
    let balanced = model("repast/repast").evaluate(&w).unwrap();
    let one = variant(|c| {
        if let Some(so) = c.second_order.as_mut() {
            so.parallelism = Parallelism::OneCopy;
        }
    })
    .evaluate(&w)
    .unwrap();
    one.check().unwrap();
    for m in ["kfac_factor_s", "kfac_inversion_s", "kfac_precondition_s"] {
        assert!(
            metric(&one, m) >= metric(&balanced, m) * (1.0 - 1e-12),
            "{m}"
        );
    }
    let solve = variant(|c| {
        if let Some(so) = c.second_order.as_mut() {
            so.preconditioning = Preconditioning::Solve;
        }
    });
    let r = solve.evaluate(&w).unwrap();
    r.check().unwrap();
    assert_eq!(metric(&r, "explicit_inverse"), 0.0);
    // Solving every step: a + g solves per factor pair per step, against a + g
    // per inversion interval with explicit inverses.
    let ratio = metric(&r, "solves_per_step") / metric(&balanced, "solves_per_step");
    assert!((ratio - 100.0).abs() < 1e-9, "{ratio}");
}

#[test]
fn bad_presets_are_errors_that_name_the_field() {
    let err = |f: &dyn Fn(&mut Config)| {
        let mut c = builtin("repast/repast").unwrap();
        f(&mut c);
        c.build().err().unwrap_or_default()
    };
    let e = err(&|c| {
        c.sources.remove("writes");
    });
    assert!(e.contains("`writes`"), "{e}");
    let e = err(&|c| {
        if let Some(cmp) = c.training.compare.as_mut() {
            cmp.reram_first_order = "repast/nothing".into();
        }
    });
    assert!(
        e.contains("reram_first_order") && e.contains("repast/pipelayer"),
        "{e}"
    );
    let e = err(&|c| {
        if let Some(cmp) = c.training.compare.as_mut() {
            cmp.reram_first_order = "repast/repast".into();
        }
    });
    assert!(e.contains("first-order design"), "{e}");
    let e = err(&|c| {
        if let Some(cmp) = c.training.compare.as_mut() {
            cmp.first_order = "kfac".into();
        }
    });
    assert!(e.contains("first_order"), "{e}");
    let e = err(&|c| {
        if let Some(so) = c.second_order.as_mut() {
            so.solver.crossbar_size = 128;
        }
    });
    assert!(e.contains("crossbar_size"), "{e}");
    let e = err(&|c| {
        if let Some(so) = c.second_order.as_mut() {
            so.representative.damping = 0.001;
        }
    });
    assert!(e.contains("representative") && e.contains("rho(P)"), "{e}");
    let e = err(&|c| c.writes.row_cells = 0);
    assert!(e.contains("row_cells"), "{e}");
    let e = err(&|c| c.training.epoch_reduction[0].factor = -1.0);
    assert!(e.contains("epoch_reduction"), "{e}");
    // A syntax error names the file and the line.
    let text = FILES[0].1.replace("vmm_per_inv: 16", "vmm_per_inv: \"16\"");
    let e = parse(&text, "repast.ron").unwrap_err();
    assert!(e.starts_with("repast.ron:"), "{e}");
}

#[test]
fn every_zoo_network_either_runs_with_the_invariants_or_says_why_not() {
    let models = [model("repast/repast"), model("repast/pipelayer")];
    for n in pimzoo_ir::zoo::all().unwrap() {
        let n = Arc::new(n);
        for m in &models {
            let mut workloads = vec![Workload::inference(n.clone(), 4)];
            for o in Optimizer::NAMES {
                workloads.push(Workload::training(
                    n.clone(),
                    4,
                    Optimizer::from_name(o).unwrap(),
                ));
            }
            for w in workloads {
                match m.evaluate(&w) {
                    Ok(r) => r
                        .check()
                        .unwrap_or_else(|e| panic!("{} {} {}: {e}", m.id(), n.name(), w.task)),
                    Err(EvalError::Unsupported { reason }) => assert!(!reason.is_empty()),
                    Err(e) => panic!("{} {} {}: {e}", m.id(), n.name(), w.task),
                }
            }
        }
    }
}
