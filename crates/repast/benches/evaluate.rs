//! How fast the cost model is: one whole-network evaluation of a K-FAC step
//! on RePAST (which also evaluates its comparison baselines: PipeLayer, the
//! same chip training first order, and the V100 twice) and of a first-order
//! step on PipeLayer, on ResNet-50 and VGG-16 at batch 64.
//!
//! `cargo bench -p pimzoo-repast --bench evaluate`
use criterion::{criterion_group, criterion_main, Criterion};
use pimzoo_core::{Optimizer, Workload};
use pimzoo_repast::preset::builtin;
use std::hint::black_box;
use std::sync::Arc;

fn bench(c: &mut Criterion) {
    let repast = builtin("repast/repast")
        .and_then(|c| c.build())
        .expect("the built-in preset builds");
    let pipelayer = builtin("repast/pipelayer")
        .and_then(|c| c.build())
        .expect("the built-in preset builds");
    let mut group = c.benchmark_group("repast-cost");
    for name in ["resnet50", "vgg16"] {
        let net = Arc::new(pimzoo_ir::zoo::get(name).expect("a zoo network"));
        let kfac = Workload::training(net.clone(), 64, Optimizer::from_name("kfac").expect("kfac"));
        let sgd = Workload::training(net, 64, Optimizer::from_name("sgd").expect("sgd"));
        group.bench_function(format!("repast K-FAC step with comparisons, {name}"), |b| {
            b.iter(|| black_box(repast.evaluate(black_box(&kfac)).expect("runs")))
        });
        group.bench_function(format!("pipelayer SGD step, {name}"), |b| {
            b.iter(|| black_box(pipelayer.evaluate(black_box(&sgd)).expect("runs")))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
