//! How fast a parameter sweep runs: design points per second on a crossbar
//! model (`neuralpim/isaac`) over a whole network, each point a model built
//! from a changed preset and evaluated, as `cargo xtask sweep` does it.
//!
//! `cargo bench -p pimzoo --bench sweep`; figures in docs/performance.md.
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pimzoo::ir::zoo;
use pimzoo::sweep::{Job, Sweep};
use pimzoo::{Catalog, PresetData, Workload};
use std::hint::black_box;
use std::sync::Arc;

fn preset(catalog: &Catalog, id: &str) -> PresetData {
    let (origin, text) = catalog
        .files()
        .find(|(o, t)| catalog.load(t, o).is_ok_and(|m| m.id() == id))
        .expect("a built-in preset");
    catalog.read(text, origin).expect("a sweepable preset")
}

/// 24 designs: DAC resolution x chips x crossbar rows, every one of which
/// builds and runs the network (no point is a cheap "invalid" row).
fn grid(catalog: &Catalog, network: &str) -> Sweep {
    let set = |p: &str, v: &[&str]| (p.to_string(), v.iter().map(|s| s.to_string()).collect());
    let net = Arc::new(zoo::get(network).expect("a zoo network"));
    let sweep = Sweep::new(
        catalog,
        vec![preset(catalog, "neuralpim/isaac")],
        vec![
            set("array.dac_bits", &["1", "2", "4"]),
            set("chips", &["16", "32", "64", "128"]),
            set("array.rows", &["64", "128"]),
        ],
        vec![Workload::inference(net, 1)],
    )
    .expect("a valid grid");
    let mut unsupported = 0;
    for job in sweep.jobs(0..sweep.len()) {
        let _ = sweep.run_job(catalog, &job, |r| -> Result<(), ()> {
            unsupported += r.row.unsupported.is_some() as usize;
            Ok(())
        });
    }
    assert_eq!(unsupported, 0, "every design point of the benchmark runs");
    sweep
}

fn run(sweep: &Sweep, catalog: &Catalog, jobs: &[Job]) {
    for job in jobs {
        let _ = sweep.run_job(catalog, job, |r| -> Result<(), ()> {
            black_box(r);
            Ok(())
        });
    }
}

fn bench(c: &mut Criterion) {
    let catalog = Catalog::builtin();
    let mut g = c.benchmark_group("sweep");
    for network in ["resnet18", "resnet50"] {
        let sweep = grid(&catalog, network);
        let jobs = sweep.jobs(0..sweep.len());
        g.throughput(Throughput::Elements(sweep.len() as u64));
        g.bench_function(format!("neuralpim/isaac x {network}, 1 thread"), |b| {
            b.iter(|| run(&sweep, &catalog, &jobs))
        });
        // Two threads, as on the 2-core CI machine (xtask uses rayon the same way).
        let halves: Vec<&[Job]> = jobs.chunks(jobs.len().div_ceil(2)).collect();
        g.bench_function(format!("neuralpim/isaac x {network}, 2 threads"), |b| {
            b.iter(|| {
                std::thread::scope(|s| {
                    for half in &halves {
                        let (sweep, catalog) = (&sweep, &catalog);
                        s.spawn(move || run(sweep, catalog, half));
                    }
                })
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
