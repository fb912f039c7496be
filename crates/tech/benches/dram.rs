//! Requests per second of the DDR4 model, and of DRAMsim3 on the same
//! requests (with `--features dramsim3`), on DRAMsim3's DDR4_8Gb_x8_2133
//! configuration:
//!
//! ```sh
//! cargo bench -p pimzoo-tech --bench dram --features dramsim3
//! ```
//!
//! Each group replays one trace of 300,000 requests (streaming and random
//! reads, each also with writes, and the optimizer-update read-modify-write
//! stream); criterion reports the time per replay and the throughput in
//! requests ("elements") per second. `resnet50-update` replays the update of
//! ResNet-50's 25.6 M fp32 parameters (read theta, v, g; write theta, v: 8 M
//! requests) through the model alone.
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use pimzoo_tech::dram::{Channel, DramConfig, Pattern, Request};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

const N: u64 = 300_000;

fn ini() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/dram/DDR4_8Gb_x8_2133.ini")
}

fn traces(cfg: &DramConfig) -> Vec<(&'static str, Vec<Request>)> {
    let m = cfg.address_mapping().unwrap();
    let (cap, burst) = (m.capacity(), m.burst_bytes());
    let seed = 2021;
    let make = |p: Pattern| p.requests(cap, burst).collect::<Vec<_>>();
    vec![
        (
            "stream-read",
            make(Pattern::Stream {
                n: N,
                write_fraction: 0.0,
            }),
        ),
        (
            "stream-40w",
            make(Pattern::Stream {
                n: N,
                write_fraction: 0.4,
            }),
        ),
        (
            "random-read",
            make(Pattern::Random {
                n: N,
                write_fraction: 0.0,
                seed,
            }),
        ),
        (
            "random-33w",
            make(Pattern::Random {
                n: N,
                write_fraction: 0.33,
                seed,
            }),
        ),
        (
            "optimizer-update",
            make(Pattern::OptimizerUpdate {
                params: N / 5 * burst / 4,
                bytes_per_param: 4,
                bases: [0; 3],
            }),
        ),
    ]
}

fn replay(c: &mut Criterion) {
    let cfg = DramConfig::load(&ini()).unwrap();
    for (name, requests) in traces(&cfg) {
        let mut g = c.benchmark_group(format!("dram/{name}"));
        g.throughput(Throughput::Elements(requests.len() as u64));
        g.sample_size(10);
        g.measurement_time(Duration::from_secs(5));
        g.bench_function(BenchmarkId::from_parameter("model"), |b| {
            b.iter(|| {
                let mut ch = Channel::new(&cfg).unwrap();
                black_box(ch.run_source(requests.iter().copied()).unwrap().cycles)
            })
        });
        #[cfg(feature = "dramsim3")]
        g.bench_function(BenchmarkId::from_parameter("dramsim3"), |b| {
            b.iter(|| {
                black_box(
                    pimzoo_tech::dram::dramsim3::run(&ini(), requests.iter().copied())
                        .unwrap()
                        .cycles,
                )
            })
        });
        g.finish();
    }
}

fn resnet50_update(c: &mut Criterion) {
    let cfg = DramConfig::load(&ini()).unwrap();
    let m = cfg.address_mapping().unwrap();
    let net = pimzoo_ir::zoo::get("resnet50").unwrap();
    let params = net.work().params;
    let pattern = Pattern::OptimizerUpdate {
        params,
        bytes_per_param: 4,
        bases: [0; 3],
    };
    let mut g = c.benchmark_group("dram/resnet50-update");
    g.throughput(Throughput::Elements(pattern.len(m.burst_bytes())));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.bench_function(BenchmarkId::from_parameter("model"), |b| {
        b.iter(|| {
            let mut ch = Channel::new(&cfg).unwrap();
            let r = ch
                .run_source(pattern.requests(m.capacity(), m.burst_bytes()))
                .unwrap();
            black_box(r.cycles)
        })
    });
    g.finish();
}

criterion_group!(benches, replay, resnet50_update);
criterion_main!(benches);
