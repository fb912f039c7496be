//! How fast the GradPIM presets evaluate a training step:
//!
//! ```sh
//! cargo bench -p pimzoo-gradpim --bench update
//! ```
//!
//! `evaluate/<preset>`: one ResNet-50 training step (momentum, 8/32, batch
//! 16) once the steady-state fit of the update is cached (the interactive
//! case: `compare`, `reproduce`, sweeps over networks). `fit/<preset>`: the
//! two DDR4 simulations behind a fit (the first evaluation of an optimizer
//! and precision in a process). `full/v1`: the update of CIFAR VGG-8 (13.0 M
//! parameters) simulated burst by burst, for scale.
use criterion::{criterion_group, criterion_main, Criterion};
use pimzoo_core::{Accelerator, Optimizer, Workload};
use pimzoo_gradpim::preset::{Config, FILES};
use pimzoo_gradpim::GradPim;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

#[derive(serde::Deserialize)]
enum Preset {
    GradPim(Config),
}

fn presets() -> Vec<GradPim> {
    FILES
        .iter()
        .map(|(origin, text)| {
            let Preset::GradPim(c) = pimzoo_ir::parse_ron(text, origin).expect("embedded preset");
            GradPim::new(c).expect("embedded preset builds")
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let net = Arc::new(pimzoo_ir::zoo::get("resnet50").expect("zoo network"));
    let optimizer = Optimizer::from_name("momentum").expect("optimizer");
    let w = Workload::training(net, 16, optimizer.clone())
        .with_precision("8/32".parse().expect("precision"));
    let models = presets();
    let mut g = c.benchmark_group("evaluate");
    for m in &models {
        m.evaluate(&w).expect("evaluates");
        g.bench_function(m.id(), |b| b.iter(|| black_box(m.evaluate(&w))));
    }
    g.finish();

    let mut g = c.benchmark_group("fit");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));
    for m in &models {
        let program = m.program(&optimizer, &w.precision).expect("program");
        let sim = m.update_sim(&program);
        let (w1, w2) = sim.window_bursts(&program);
        g.bench_function(m.id(), |b| {
            b.iter(|| black_box((sim.simulate(&program, w1), sim.simulate(&program, w2))))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("full");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    let v1 = &models[1];
    let small = pimzoo_ir::zoo::get("vgg8-cifar10").expect("zoo network");
    let program = v1.program(&optimizer, &w.precision).expect("program");
    let bursts: u64 = v1.update_bursts(&small, &program).iter().sum();
    let sim = v1.update_sim(&program);
    g.bench_function("v1", |b| {
        b.iter(|| black_box(sim.simulate(&program, bursts)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
