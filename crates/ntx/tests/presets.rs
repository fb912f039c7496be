//! The presets: they build, their HMC is the DRAMsim3 configuration they cite,
//! and the cluster count. The preset derives it from the logic-die power budget
//! (59 clusters). A fit to the TC paper's 1.2 Tflop/s (mean of resnet34,
//! resnet50, resnet152 and googlenet training, SGD, 16 images per cube)
//! would need an integer the facade's fitted-entry check (within 0.1 %)
//! cannot accept; docs/models/ntx.md quotes the integer it would be (86), and
//! this test keeps that statement true.
use pimzoo_core::{Optimizer, Workload};
use pimzoo_ntx::cube::{Cube, CubeSpec};
use pimzoo_ntx::preset::Config;
use std::sync::Arc;

#[derive(serde::Deserialize)]
enum File {
    Ntx(Config),
}

fn cube_spec() -> CubeSpec {
    let text = include_str!("../../../fixtures/configs/ntx/cube.ron");
    let File::Ntx(c) = pimzoo_ir::ron_options().from_str::<File>(text).unwrap();
    c.cube.expect("ntx/cube has its own cube")
}

const NETWORKS: [&str; 4] = ["resnet34", "resnet50", "resnet152", "googlenet"];

fn mean_tflops(spec: &CubeSpec) -> f64 {
    let cube = Cube::new(spec.clone()).unwrap();
    let sum: f64 = NETWORKS
        .iter()
        .map(|n| {
            let net = Arc::new(pimzoo_ir::zoo::get(n).unwrap());
            let w = Workload::training(net, 16, Optimizer::Sgd { lr: 0.1 });
            cube.run(&w).unwrap().report.metrics["tflops"]
        })
        .sum();
    sum / NETWORKS.len() as f64
}

#[test]
fn the_power_budget_sets_59_clusters() {
    let cube = Cube::new(cube_spec()).unwrap();
    // floor(10 W / 0.168 W)
    assert_eq!(cube.clusters(), 59);
}

#[test]
fn a_fit_to_1_2_tflops_would_need_86_clusters() {
    let base = cube_spec();
    let at = |n: u32| {
        let mut s = base.clone();
        s.clusters = Some(n);
        mean_tflops(&s)
    };
    // Throughput grows with the clusters: bisect for the integer nearest 1.2.
    let (mut lo, mut hi) = (1u32, 1024u32);
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if at(mid) < 1.2 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let best = if (at(lo) - 1.2).abs() <= (at(hi) - 1.2).abs() {
        lo
    } else {
        hi
    };
    println!("fit: {best} clusters, {:.4} Tflop/s", at(best));
    assert_eq!(
        best, 86,
        "update docs/models/ntx.md and explain.rs, which quote 86"
    );
    // No integer lands within the facade's 0.1 % of a fitted value.
    assert!((at(best) - 1.2).abs() / 1.2 > 1e-3);
}

#[test]
fn the_presets_build() {
    for (origin, text) in pimzoo_ntx::preset::FILES {
        let File::Ntx(c) = pimzoo_ir::ron_options()
            .from_str::<File>(text)
            .unwrap_or_else(|e| panic!("{origin}: {e}"));
        let m = c.build().unwrap_or_else(|e| panic!("{origin}: {e}"));
        assert!(origin.contains(m.id().trim_start_matches("ntx/")));
    }
}

#[test]
fn the_cube_is_the_dramsim3_hmc2_configuration() {
    let ini = pimzoo_tech::hmc::Dramsim3Hmc::parse(include_str!(
        "../../../fixtures/dram/HMC2_8GB_4Lx16.ini"
    ))
    .unwrap();
    let h = cube_spec().hmc;
    assert_eq!(
        (h.vaults, h.vault_bus_bits, h.links, h.lanes_per_link),
        (
            ini.vaults,
            ini.vault_bus_bits,
            ini.links,
            ini.lanes_per_link
        )
    );
    assert_eq!(h.lane_rate_bps, ini.lane_rate_bps);
    let (a, b) = (h.vault_clock_period.value(), ini.vault_clock_period.value());
    assert!((a - b).abs() < 1e-9 * b, "{a} vs {b}");
    assert_eq!(h.capacity, ini.capacity);
    assert_eq!(h.vault_standby, ini.vault_standby);
}
