//! Evaluation speed of the compact-chip model: a whole network in microseconds.
use criterion::{criterion_group, criterion_main, Criterion};
use pimzoo_compact::calibration::fit;
use pimzoo_compact::preset::builtin;
use pimzoo_compact::CompactChip;
use pimzoo_core::{Accelerator, Workload};
use std::hint::black_box;
use std::sync::Arc;

fn bench(c: &mut Criterion) {
    let model = |id: &str| CompactChip::new(builtin(id).expect("built-in preset")).expect("builds");
    let net = |n: &str| Arc::new(pimzoo_ir::zoo::get(n).expect("zoo network"));
    let ppp = model("compact/ppp");
    for (name, batch) in [
        ("vgg8-cifar10", 1024),
        ("resnet152-cifar100", 64),
        ("vgg16", 8),
    ] {
        let w = Workload::inference(net(name), batch);
        c.bench_function(&format!("compact/ppp {name} b{batch}"), |b| {
            b.iter(|| black_box(ppp.evaluate(black_box(&w))))
        });
    }
    c.bench_function("calibration fit", |b| b.iter(|| black_box(fit())));
}

criterion_group!(benches, bench);
criterion_main!(benches);
