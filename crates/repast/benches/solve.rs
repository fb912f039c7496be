//! How fast the functional model is: one high-precision solve (published
//! Taylor form, 3 output cycles, 16-bit target) at n = 256 and n = 1024 on a
//! programmed factor, and programming the factor (split, factorization and
//! the two conditions) at the same sizes.
//!
//! `cargo bench -p pimzoo-repast --bench solve`
use criterion::{criterion_group, criterion_main, Criterion};
use ndarray::Array1;
use pimzoo_repast::study::case_factor;
use pimzoo_repast::{Form, HpSolver, SolverConfig, Stop};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("repast");
    group.sample_size(10);
    for n in [256usize, 1024] {
        let a = case_factor(n, 1.0, 4);
        let b = Array1::from_shape_fn(n, |i| ((i * 7 + 3) as f64).sin());
        let cfg = SolverConfig {
            stop: Stop::Bits {
                bits: 16.0,
                max_terms: 40,
            },
            ..SolverConfig::sixteen_bit(Form::Taylor)
        };
        let solver = HpSolver::program(&a, &cfg).expect("damping 1.0 converges");
        group.bench_function(format!("high-precision solve, n = {n}"), |bench| {
            bench.iter(|| black_box(solver.solve(black_box(&b)).expect("converges")))
        });
        group.bench_function(format!("program factor, n = {n}"), |bench| {
            bench.iter(|| black_box(HpSolver::program(black_box(&a), &cfg).expect("converges")))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
