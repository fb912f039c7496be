//! The solver is bit-exact to the reference numerics of the modelling brief
//! (Appendix A of the RePAST brief). The expected vectors are the output of
//! `tests/data/appendix.py`: the appendix's numpy code with one aliasing
//! bug fixed (see that file), on a fixed 12x12 case.
use ndarray::{Array1, Array2};
use pimzoo_repast::{Form, HpSolver, SolverConfig, Stop};

fn case() -> (Array2<f64>, Array1<f64>) {
    let n = 12;
    let a0 = Array2::from_shape_fn((n, n), |(i, j)| {
        0.3 / (1.0 + (i as f64 - j as f64).abs()) + 0.01 * ((i * j) as f64).cos()
    });
    let mut a = (&a0 + &a0.t()) / 2.0;
    a.diag_mut().mapv_inplace(|v| v + 0.35);
    let b = Array1::from_shape_fn(n, |i| (i as f64 + 1.0).sin());
    (a, b)
}

fn check(terms: u32, cycles: u32, slices: u32, expected: &[f64]) {
    let (a, b) = case();
    let cfg = SolverConfig {
        input_slices: slices,
        output_cycles: cycles,
        form: Form::Taylor,
        stop: Stop::Terms(terms),
        ..SolverConfig::default()
    };
    let s = HpSolver::program(&a, &cfg).unwrap().solve(&b).unwrap();
    for (i, (x, e)) in s.x.iter().zip(expected).enumerate() {
        assert!(
            (x - e).abs() <= 1e-12 * e.abs().max(1.0),
            "K={terms} c_x={cycles} s_b={slices}: x[{i}] = {x}, appendix {e}"
        );
    }
}

#[test]
fn one_inv8_solve() {
    check(
        0,
        1,
        1,
        &[
            1.234375, 1.28125, 0.21875, -1.296875, -1.59375, -0.40625, 1.015625, 1.59375, 0.75,
            -0.84375, -1.5, -0.59375,
        ],
    );
}

#[test]
fn taylor_three_terms_two_cycles_two_slices() {
    check(
        3,
        2,
        2,
        &[
            1.2228914113657083,
            1.2694011695639347,
            0.2123429530111025,
            -1.2768454162214766,
            -1.6072687780797423,
            -0.40502049739370705,
            1.0616329889198823,
            1.6044061209249776,
            0.7288733697132557,
            -0.8298998546160874,
            -1.519665548887133,
            -0.5946564212317753,
        ],
    );
}

#[test]
fn taylor_four_terms_three_cycles_one_slice() {
    check(
        4,
        3,
        1,
        &[
            1.2228823803741307,
            1.2694080676021713,
            0.21236217486648457,
            -1.2768566110942174,
            -1.6072912307818115,
            -0.40499358168699473,
            1.0616338569225263,
            1.6043816030619382,
            0.7288493538612784,
            -0.8298960921786147,
            -1.519669737196864,
            -0.5946282711163349,
        ],
    );
}
