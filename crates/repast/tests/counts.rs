//! The cost model takes a solve's INV and VMM operations from the solver's
//! count rule (`SolverConfig::op_counts`) instead of running the solver on
//! every factor of a network; this test holds the rule to what the
//! functional solver actually does, across forms, output cycles, input
//! slices and term counts, and checks that the terms per solve a preset
//! reports are the solver's on its representative factor.
use ndarray::Array1;
use pimzoo_repast::preset::builtin;
use pimzoo_repast::study::case_factor;
use pimzoo_repast::{Form, HpSolver, SolverConfig, Stop};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

fn rhs(n: usize) -> Array1<f64> {
    // Every input slice non-zero: entries spread over the full range.
    Array1::from_shape_fn(n, |i| 0.3 + ((i * 37 + 11) as f64).sin())
}

#[test]
fn the_count_rule_is_the_solvers() {
    let a = case_factor(48, 1.0, 4);
    let b = rhs(48);
    for form in [Form::Taylor, Form::Refine] {
        for output_cycles in 1..=3 {
            for input_slices in 1..=2 {
                for k in [0, 1, 4, 7] {
                    let cfg = SolverConfig {
                        form,
                        output_cycles,
                        input_slices,
                        stop: Stop::Terms(k),
                        ..SolverConfig::default()
                    };
                    let s = HpSolver::program(&a, &cfg).unwrap().solve(&b).unwrap();
                    assert_eq!(s.terms, k);
                    assert_eq!(
                        cfg.op_counts(s.terms),
                        s.ops,
                        "{form:?}, c_x = {output_cycles}, s_b = {input_slices}, K = {k}"
                    );
                }
            }
        }
    }
}

#[test]
fn a_bit_target_counts_the_terms_the_solver_ran() {
    let a = case_factor(128, 0.3, 4);
    let cfg = SolverConfig::default();
    let s = HpSolver::program(&a, &cfg)
        .unwrap()
        .solve(&rhs(128))
        .unwrap();
    assert!(s.terms > 0);
    assert_eq!(cfg.op_counts(s.terms), s.ops);
}

#[test]
fn the_preset_reports_the_solvers_terms_on_its_representative_factor() {
    let c = builtin("repast/repast").unwrap();
    let so = c.second_order.clone().unwrap();
    let a = case_factor(so.representative.n, so.representative.damping, 4);
    let programmed = HpSolver::program(&a, &so.solver).unwrap();
    let model = c.build().unwrap();
    let figure = |name: &str| {
        model
            .info()
            .figures
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
            .unwrap()
    };
    // The representative right-hand side: standard normal, seeded by n.
    let n = so.representative.n;
    let mut rng = ChaCha8Rng::seed_from_u64(n as u64);
    let b = Array1::from_shape_simple_fn(n, || StandardNormal.sample(&mut rng));
    let solution = programmed.solve(&b).unwrap();
    let terms = figure("terms_per_solve") as u32;
    assert_eq!(terms, solution.terms);
    assert!((figure("representative_rho_p") - programmed.diagnostics().rho_p).abs() < 1e-12);
    let ops = so.solver.op_counts(terms);
    assert_eq!(ops, solution.ops);
    assert_eq!(figure("inv_ops_per_solve") as u64, ops.inv);
    assert_eq!(figure("vmm_ah_ops_per_solve") as u64, ops.vmm_ah);
    assert_eq!(figure("vmm_al_ops_per_solve") as u64, ops.vmm_al);
    // The precision study's range: 12 bits at rho(P) = 0.30 in 5 or 6 Taylor
    // terms, depending on the right-hand side.
    assert!((5..=6).contains(&terms), "{terms}");
    assert!(figure("representative_bits_reached") >= 12.0);
}
