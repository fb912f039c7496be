//! The solver's conditions, errors, counts, large-factor mappings and
//! non-idealities. Every case is seeded.
use ndarray::{Array1, Array2};
use pimzoo_repast::kfac::{damp, relu_covariance};
use pimzoo_repast::{Form, HpSolver, LargeFactor, NonIdeal, SolveError, SolverConfig, Stop};

fn factor(n: usize, damping: f64) -> Array2<f64> {
    damp(&relu_covariance(n, 4 * n, n as u64), damping)
}

fn rhs(n: usize) -> Array1<f64> {
    Array1::from_shape_fn(n, |i| ((i * 7 + 3) as f64).sin())
}

#[test]
fn refuses_divergent_factor_naming_rho() {
    // rho(P) > 1 at n = 256 with damping 0.03 of the mean diagonal.
    let a = factor(256, 0.03);
    let err = HpSolver::program(&a, &SolverConfig::default()).unwrap_err();
    match &err {
        SolveError::Diverges { rho, limit, block } => {
            assert!(*rho >= 1.0 && *limit == 1.0 && block.is_none(), "{err}");
        }
        e => panic!("expected Diverges, got {e}"),
    }
    assert!(err.to_string().contains("rho(P)"));
}

#[test]
fn refuses_indefinite_factor_naming_lambda_min() {
    let mut a = factor(32, 1.0);
    a[[5, 5]] = -a[[5, 5]];
    let err = HpSolver::program(&a, &SolverConfig::default()).unwrap_err();
    match &err {
        SolveError::LoopUnstable { lambda_min, .. } => assert!(*lambda_min <= 0.0, "{err}"),
        e => panic!("expected LoopUnstable, got {e}"),
    }
    assert!(err.to_string().contains("lambda_min(A_H)"));
}

#[test]
fn stricter_rho_limit_refuses_slow_factor() {
    let a = factor(128, 0.1); // rho ~ 0.4
    let ok = HpSolver::program(&a, &SolverConfig::default()).unwrap();
    let rho = ok.diagnostics().rho_p;
    assert!(rho > 0.3 && rho < 0.6, "rho {rho}");
    let cfg = SolverConfig {
        rho_limit: 0.3,
        ..SolverConfig::default()
    };
    assert!(matches!(
        HpSolver::program(&a, &cfg),
        Err(SolveError::Diverges { limit, .. }) if limit == 0.3
    ));
}

#[test]
fn not_converged_is_an_error_not_an_answer() {
    // rho ~ 0.7: 12 bits need ~ 20 terms; allow 4.
    let a = factor(256, 0.1);
    let cfg = SolverConfig {
        stop: Stop::Bits {
            bits: 12.0,
            max_terms: 4,
        },
        ..SolverConfig::default()
    };
    let s = HpSolver::program(&a, &cfg).unwrap();
    match s.solve(&rhs(256)) {
        Err(SolveError::NotConverged {
            bits,
            terms,
            target,
            ..
        }) => assert!(bits < 12.0 && terms == 4 && target == 12.0),
        other => panic!("expected NotConverged, got {other:?}"),
    }
}

#[test]
fn bad_inputs_are_errors() {
    let cfg = SolverConfig::default();
    let rect = Array2::<f64>::zeros((3, 4));
    assert!(matches!(
        HpSolver::program(&rect, &cfg),
        Err(SolveError::Input(_))
    ));
    let mut asym = factor(8, 1.0);
    asym[[0, 1]] += 0.1;
    let e = HpSolver::program(&asym, &cfg).unwrap_err();
    assert!(e.to_string().contains("not symmetric"), "{e}");
    let mut nan = factor(8, 1.0);
    nan[[2, 2]] = f64::NAN;
    assert!(matches!(
        HpSolver::program(&nan, &cfg),
        Err(SolveError::Input(_))
    ));
    let s = HpSolver::program(&factor(8, 1.0), &cfg).unwrap();
    assert!(matches!(s.solve(&rhs(7)), Err(SolveError::Input(_))));
    let bad = SolverConfig {
        adc_bits: 1,
        ..SolverConfig::default()
    };
    let e = HpSolver::program(&factor(8, 1.0), &bad).unwrap_err();
    assert!(e.to_string().contains("adc_bits"), "{e}");
}

#[test]
fn counts_follow_the_cost_formula() {
    // (K+1) c_x s_b INV; Taylor: (K+1)(c_x-1) VMM(A_H) + K VMM(A_L);
    // refine: one VMM(A_H) more per term.
    let a = factor(64, 1.0);
    let b = rhs(64);
    for (form, cx, k) in [
        (Form::Taylor, 2, 3),
        (Form::Taylor, 3, 5),
        (Form::Refine, 2, 4),
    ] {
        let cfg = SolverConfig {
            form,
            output_cycles: cx,
            stop: Stop::Terms(k),
            ..SolverConfig::default()
        };
        let s = HpSolver::program(&a, &cfg).unwrap().solve(&b).unwrap();
        let (k, cx, sb) = (k as u64, cx as u64, 2u64);
        assert_eq!(s.terms as u64, k);
        assert_eq!(s.ops.inv, (k + 1) * cx * sb, "{form:?}");
        let extra = if form == Form::Refine { k } else { 0 };
        assert_eq!(s.ops.vmm_ah, (k + 1) * (cx - 1) + extra, "{form:?}");
        assert_eq!(s.ops.vmm_al, k, "{form:?}");
        assert_eq!(s.serial_ops, s.ops);
    }
}

#[test]
fn stop_rule_reaches_its_target_and_reports_conditions() {
    let a = factor(128, 0.3);
    let b = rhs(128);
    let cfg = SolverConfig::sixteen_bit(Form::Refine);
    let s = HpSolver::program(&a, &cfg).unwrap();
    let sol = s.solve(&b).unwrap();
    assert!(sol.bits_estimated >= 16.0);
    assert!(sol.bits_reached >= 16.0, "reached {}", sol.bits_reached);
    // The estimate is conservative here (it bounds the true error).
    assert!(sol.bits_reached >= sol.bits_estimated - 0.5);
    // Against the unquantized A the 16-bit representation caps accuracy.
    let va = sol.bits_vs_unquantized.unwrap();
    assert!(va > 9.0 && va < sol.bits_reached, "vs A {va}");
    assert_eq!(sol.rho_p, s.diagnostics().rho_p);
    assert!(sol.lambda_min_ah > 0.0 && sol.rho_p > 0.0 && sol.rho_p < 0.3);
}

#[test]
fn eight_bit_a_needs_no_terms() {
    // a_bits == inv_cell_bits: A_L = 0, rho = 0, the answer is the exact
    // solve of the 8-bit A up to the output cycles.
    let a = factor(64, 1.0);
    let cfg = SolverConfig {
        a_bits: 8,
        output_cycles: 3,
        stop: Stop::Bits {
            bits: 16.0,
            max_terms: 4,
        },
        ..SolverConfig::default()
    };
    let s = HpSolver::program(&a, &cfg).unwrap();
    assert_eq!(s.diagnostics().rho_p, 0.0);
    let sol = s.solve(&rhs(64)).unwrap();
    assert_eq!(sol.terms, 0);
    assert!(sol.bits_reached > 16.0);
    assert!(sol.bits_vs_unquantized.unwrap() < 8.0);
}

#[test]
fn large_factor_joined_matches_one_big_crossbar() {
    let a = factor(96, 0.3);
    let b = rhs(96);
    let big = SolverConfig {
        crossbar_size: 256,
        ..SolverConfig::sixteen_bit(Form::Taylor)
    };
    let joined = SolverConfig {
        crossbar_size: 32,
        large_factor: LargeFactor::Joined,
        ..big.clone()
    };
    let s1 = HpSolver::program(&a, &big).unwrap();
    let s2 = HpSolver::program(&a, &joined).unwrap();
    assert_eq!(s2.diagnostics().loops, 1);
    assert_eq!(s2.diagnostics().crossbars_per_loop, 9);
    assert_eq!(s1.solve(&b).unwrap().x, s2.solve(&b).unwrap().x);
}

#[test]
fn block_diagonal_splits_and_loses_accuracy() {
    let a = factor(96, 0.3);
    let b = rhs(96);
    let cfg = SolverConfig {
        crossbar_size: 32,
        large_factor: LargeFactor::BlockDiagonal,
        ..SolverConfig::sixteen_bit(Form::Refine)
    };
    let s = HpSolver::program(&a, &cfg).unwrap();
    let d = s.diagnostics();
    assert_eq!((d.loops, d.crossbars_per_loop, d.blocks.len()), (3, 1, 3));
    let sol = s.solve(&b).unwrap();
    // Each block converged to 16 bits of its own system...
    assert!(sol.bits_estimated >= 16.0);
    // ... but the dropped off-diagonal blocks cost most of the accuracy
    // against the full factor.
    assert!(
        sol.bits_reached < 4.0,
        "block-diagonal reached {}",
        sol.bits_reached
    );
    // Blocks run in parallel: the critical path is one block's.
    assert_eq!(sol.ops.inv, 3 * sol.serial_ops.inv);
    // It solves blockdiag(A): the same answer as the joined solver given
    // the block-diagonal matrix (same full scale: the diagonal holds the
    // largest entries).
    let mut bd = Array2::zeros((96, 96));
    for k in 0..3 {
        for i in 32 * k..32 * (k + 1) {
            for j in 32 * k..32 * (k + 1) {
                bd[[i, j]] = a[[i, j]];
            }
        }
    }
    let whole = HpSolver::program(&bd, &SolverConfig::sixteen_bit(Form::Refine)).unwrap();
    let xb = whole.solve(&b).unwrap().x;
    let agree = pimzoo_repast::solver::bits_of(sol.x.view(), xb.view());
    assert!(
        agree > 16.0,
        "block-diagonal vs blockdiag(A) solve: {agree} bits"
    );
}

#[test]
fn noise_and_gain_are_corrected_by_refinement_not_by_taylor() {
    let a = factor(64, 1.0);
    let b = rhs(64);
    let noisy = NonIdeal {
        conductance_sigma: 0.25,
        opamp_gain: Some(1e4),
        seed: 3,
    };
    let run = |form: Form, cycles: u32| {
        let cfg = SolverConfig {
            form,
            output_cycles: cycles,
            stop: Stop::Terms(12),
            non_ideal: noisy.clone(),
            ..SolverConfig::default()
        };
        HpSolver::program(&a, &cfg).unwrap().solve(&b).unwrap()
    };
    let taylor1 = run(Form::Taylor, 1);
    let refine1 = run(Form::Refine, 1);
    // With one output cycle the Taylor series converges to the inverse of
    // the noisy matrix: it stalls near the noise level.
    assert!(
        taylor1.bits_reached < 14.0,
        "taylor {}",
        taylor1.bits_reached
    );
    // The refinement's residual goes through the exact VMM crossbars.
    assert!(
        refine1.bits_reached > 20.0,
        "refine {}",
        refine1.bits_reached
    );
    // Deterministic for a seed.
    assert_eq!(run(Form::Refine, 1).x, refine1.x);
}

#[test]
fn config_round_trips_through_ron() {
    let cfg = SolverConfig {
        form: Form::Refine,
        stop: Stop::Terms(5),
        large_factor: LargeFactor::BlockDiagonal,
        non_ideal: NonIdeal {
            conductance_sigma: 0.1,
            opamp_gain: Some(1e4),
            seed: 9,
        },
        ..SolverConfig::default()
    };
    let text = ron::to_string(&cfg).unwrap();
    let back: SolverConfig = ron::from_str(&text).unwrap();
    assert_eq!(back, cfg);
    // Partial configurations take the defaults; unknown fields are errors.
    let part: SolverConfig = ron::from_str("(output_cycles: 3, form: Refine)").unwrap();
    assert_eq!(part.output_cycles, 3);
    assert_eq!(part.a_bits, 16);
    assert!(ron::from_str::<SolverConfig>("(outptu_cycles: 3)").is_err());
}
