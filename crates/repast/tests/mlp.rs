//! The end-to-end demonstration as a test (issue 8, item 4): K-FAC training
//! of a small MLP with the functional solver in every preconditioning step.
//! Deterministic (seeded); the same runs as
//! `cargo run --release -p pimzoo-repast --example mlp`.
use pimzoo_repast::kfac::{demo_inverters, demo_regimes, max_gap, train, Outcome, TrainLog};
use pimzoo_repast::SolveError;

fn runs(regime: usize) -> Vec<(&'static str, TrainLog)> {
    let cfg = &demo_regimes()[regime];
    demo_inverters()
        .into_iter()
        .map(|(name, inv)| (name, train(cfg, &inv).unwrap()))
        .collect()
}

#[test]
fn bad_demo_configuration_is_an_error() {
    use pimzoo_repast::kfac::{Inverter, KfacConfig};
    let cfg = KfacConfig {
        widths: vec![16],
        ..KfacConfig::default()
    };
    let e = train(&cfg, &Inverter::Exact).unwrap_err();
    assert!(e.to_string().contains("widths"), "{e}");
}

fn get<'a>(runs: &'a [(&'static str, TrainLog)], prefix: &str) -> &'a TrainLog {
    &runs.iter().find(|(n, _)| n.starts_with(prefix)).unwrap().1
}

#[test]
fn repast_tracks_exact_kfac_where_it_converges() {
    let r = runs(0);
    let exact = get(&r, "exact");
    assert_eq!(exact.outcome, Outcome::Completed);
    assert!(
        exact.final_loss() < 0.2 * exact.loss[0],
        "exact K-FAC trains"
    );
    let taylor = get(&r, "RePAST Taylor");
    let refine = get(&r, "RePAST refine");
    for (log, bits) in [(taylor, 11.5), (refine, 15.5)] {
        assert_eq!(log.outcome, Outcome::Completed);
        assert!(log.ops.inv > 0 && log.solves == exact.solves);
        assert!(log.max_rho < 1.0 && log.min_lambda_rel > 0.0);
        assert!(
            log.min_bits_reached >= bits,
            "bits {}",
            log.min_bits_reached
        );
        assert!(max_gap(&log.loss, &exact.loss) < 1e-3);
    }
    // Here (rho(P) < 1 on every factor) the 8-bit A_H alone is already a
    // positive-definite preconditioner within rho(P) of A: 8-bit factors
    // train too, measurably but mildly further from exact K-FAC.
    let q8 = get(&r, "A, G held at 8");
    assert_eq!(q8.outcome, Outcome::Completed);
    let gap8 = max_gap(&q8.loss, &exact.loss);
    assert!(
        gap8 > max_gap(&refine.loss, &exact.loss) && gap8 < 1e-2,
        "gap {gap8}"
    );
}

#[test]
fn low_precision_factors_diverge_and_repast_refuses_where_damping_is_small() {
    let r = runs(1);
    let exact = get(&r, "exact");
    assert_eq!(exact.outcome, Outcome::Completed);
    assert!(exact.final_loss() < 0.01 * exact.loss[0]);
    // 16-bit factors train like exact K-FAC...
    let q16 = get(&r, "A, G held at 16");
    assert_eq!(q16.outcome, Outcome::Completed);
    assert!(q16.final_loss() < 0.01 * q16.loss[0]);
    // ... 12- and 8-bit factors break down (the damping falls below one LSB
    // and a factor becomes singular), 8 bits first: the paper's slide-8
    // precision study.
    let step = |log: &TrainLog| match &log.outcome {
        Outcome::Diverged { step, .. } => *step,
        o => panic!("expected divergence, got {o:?}"),
    };
    let (s12, s8) = (
        step(get(&r, "A, G held at 12")),
        step(get(&r, "A, G held at 8")),
    );
    assert!(s8 < s12, "8-bit breaks at {s8}, 12-bit at {s12}");
    // The RePAST solver refuses the factor and names the condition rather
    // than return a wrong answer.
    for name in ["RePAST Taylor", "RePAST refine"] {
        match &get(&r, name).outcome {
            Outcome::Refused {
                step: 0,
                error: SolveError::Diverges { rho, .. },
            } => assert!(*rho >= 1.0),
            o => panic!("{name}: expected a refusal at step 0, got {o:?}"),
        }
    }
}
