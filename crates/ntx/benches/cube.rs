//! How long one network takes to evaluate on the NTX cube and mesh models:
//! warm (the layer plans of earlier evaluations reused) and cold (a fresh
//! model, every tiling searched).
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use pimzoo_core::{Optimizer, Workload};
use std::hint::black_box;
use std::sync::Arc;

fn models() -> Vec<Box<dyn pimzoo_core::Accelerator>> {
    pimzoo_ntx::preset::FILES
        .iter()
        .map(|(origin, text)| {
            #[derive(serde::Deserialize)]
            enum File {
                Ntx(pimzoo_ntx::preset::Config),
            }
            let File::Ntx(c) = pimzoo_ir::ron_options()
                .from_str::<File>(text)
                .unwrap_or_else(|e| panic!("{origin}: {e}"));
            c.build().unwrap_or_else(|e| panic!("{origin}: {e}"))
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let models = models();
    for net in ["resnet50", "bert-base"] {
        let n = Arc::new(pimzoo_ir::zoo::get(net).expect("zoo network"));
        for m in &models {
            let batch = if m.id().contains("mesh") {
                16 * 1024
            } else {
                16
            };
            let w = Workload::training(n.clone(), batch, Optimizer::Sgd { lr: 0.1 });
            c.bench_function(&format!("{} {net} training", m.id()), |b| {
                b.iter(|| black_box(m.evaluate(black_box(&w))))
            });
        }
    }
}

fn cold(c: &mut Criterion) {
    for net in ["resnet50", "googlenet"] {
        let n = Arc::new(pimzoo_ir::zoo::get(net).expect("zoo network"));
        let w = Workload::training(n, 16, Optimizer::Sgd { lr: 0.1 });
        c.bench_function(&format!("ntx/cube {net} training, cold"), |b| {
            b.iter_batched(
                || models().swap_remove(0),
                |m| black_box(m.evaluate(&w)),
                BatchSize::SmallInput,
            )
        });
    }
}

criterion_group!(benches, bench, cold);
criterion_main!(benches);
