//! How fast the models are: every zoo network on every registered model,
//! inference and training, and the zoo load itself.
//!
//! `cargo bench -p pimzoo --bench evaluate`; figures in docs/performance.md.
use criterion::{criterion_group, criterion_main, Criterion};
use pimzoo::ir::zoo;
use pimzoo::{builtin_registry, Optimizer, Workload};
use std::hint::black_box;
use std::sync::Arc;

fn bench(c: &mut Criterion) {
    let registry = builtin_registry();
    let networks: Vec<_> = zoo::all().unwrap().into_iter().map(Arc::new).collect();

    c.bench_function("zoo: parse and infer all networks", |b| {
        b.iter(|| black_box(zoo::all().unwrap().len()))
    });

    let inference: Vec<Workload> = networks
        .iter()
        .map(|n| Workload::inference(n.clone(), 1))
        .collect();
    c.bench_function("every model x every zoo network, inference", |b| {
        b.iter(|| {
            for m in registry.iter() {
                for w in &inference {
                    let _ = black_box(m.evaluate(w));
                }
            }
        })
    });

    let training: Vec<Workload> = networks
        .iter()
        .map(|n| Workload::training(n.clone(), 64, Optimizer::from_name("momentum").unwrap()))
        .collect();
    c.bench_function("every model x every zoo network, training", |b| {
        b.iter(|| {
            for m in registry.iter() {
                for w in &training {
                    let _ = black_box(m.evaluate(w));
                }
            }
        })
    });

    // One network, each model alone: inference where the model runs it, and
    // a training step (GradPIM models only training; its update is a DDR4
    // command-level simulation).
    let resnet50 = Arc::new(zoo::get("resnet50").unwrap());
    let momentum = Optimizer::from_name("momentum").unwrap();
    let workloads = [
        ("inference", Workload::inference(resnet50.clone(), 1)),
        ("training b64", Workload::training(resnet50, 64, momentum)),
    ];
    for m in registry.iter() {
        for (name, w) in &workloads {
            if m.evaluate(w).is_ok() {
                c.bench_function(&format!("{}: resnet50 {name}", m.id()), |b| {
                    b.iter(|| black_box(m.evaluate(w)))
                });
            }
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
