//! How long one network takes to evaluate on each dataflow.
use criterion::{criterion_group, criterion_main, Criterion};
use pimzoo_core::{Accelerator, Precision, Workload};
use pimzoo_neuralpim::preset;
use std::hint::black_box;
use std::sync::Arc;

fn bench(c: &mut Criterion) {
    for id in [
        "neuralpim/isaac",
        "neuralpim/cascade",
        "neuralpim/neuralpim",
    ] {
        let Ok(config) = preset::builtin(id) else {
            continue;
        };
        let Ok(model) = pimzoo_neuralpim::NeuralPim::new(config) else {
            continue;
        };
        for net in ["resnet50", "vgg16"] {
            let Ok(network) = pimzoo_ir::zoo::get(net) else {
                continue;
            };
            let w = Workload::inference(Arc::new(network), 1)
                .with_precision(Precision::uniform(pimzoo_core::NumberFormat::Fixed(8)));
            c.bench_function(&format!("{id} {net}"), |b| {
                b.iter(|| model.evaluate(black_box(&w)))
            });
        }
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
