//! The update of a whole network is scaled from two simulated windows
//! (`timing::UpdateSim::run`); here the scaled figures are checked against a
//! full simulation of every burst, on a network small enough to simulate
//! whole (CIFAR VGG-8, 13.0 M parameters) and at sizes between.
mod common;
use common::{model, SYSTEMS};
use pimzoo_core::{Optimizer, Precision};
use std::sync::Arc;

fn within(scaled: f64, full: f64, tol: f64, what: &str) {
    let err = scaled / full - 1.0;
    assert!(
        err.abs() <= tol,
        "{what}: scaled {scaled} vs full {full} ({:+.3} %)",
        err * 100.0
    );
}

#[test]
fn scaled_update_matches_a_full_simulation_of_a_network() {
    let net = Arc::new(pimzoo_ir::zoo::get("vgg8-cifar10").unwrap());
    let momentum = Optimizer::from_name("momentum").unwrap();
    {
        let precision: Precision = "8/32".parse().unwrap();
        for name in SYSTEMS {
            let m = model(name);
            let program = m.program(&momentum, &precision).unwrap();
            let sim = m.update_sim(&program);
            let bursts: u64 = m.update_bursts(&net, &program).iter().sum();
            // Well beyond the larger window: the scaled figure is extrapolated.
            assert!(bursts > 2 * sim.window_bursts(&program).1, "{bursts}");
            let scaled = sim.run(&program, bursts).unwrap();
            let full = sim.simulate(&program, bursts).unwrap();
            let what = format!("{name} {precision}");
            within(scaled.cycles, full.cycles, 0.01, &format!("{what} cycles"));
            within(
                scaled.total_energy(),
                full.total_energy(),
                0.01,
                &format!("{what} energy"),
            );
            // Column commands are fixed by the work.
            for kind in ["RD", "WR", "PIM_SCALED_RD", "PIM_WRITEBACK", "PIM_ADD"] {
                let (s, f) = (scaled.count(kind), full.count(kind));
                if f > 0.0 {
                    within(s, f, 0.005, &format!("{what} {kind}"));
                }
            }
            // Activations are not: a refresh or a write drain that closes rows
            // early costs re-activations, which depend on where the refreshes
            // fall. They are a few per cent of the energy (checked above).
            within(
                scaled.count("ACT"),
                full.count("ACT"),
                0.1,
                &format!("{what} ACT"),
            );
            within(
                scaled.bus_utilization(),
                full.bus_utilization(),
                0.01,
                &format!("{what} bus"),
            );
        }
    }
}

#[test]
fn scaling_holds_between_the_windows_and_above_the_exact_limit() {
    let momentum = Optimizer::from_name("momentum").unwrap();
    // Full precision: groups of one burst, windows of 4 and 8 rows.
    let precision: Precision = "fp32".parse().unwrap();
    for name in SYSTEMS {
        let m = model(name);
        let program = m.program(&momentum, &precision).unwrap();
        let sim = m.update_sim(&program);
        let k = program.group as u64;
        let above = sim.exact_limit() + 64 * k;
        let (w1, w2) = sim.window_bursts(&program);
        for bursts in [above, (w1 + w2) / 2 + 12 * k, 3 * w2 + 20 * k] {
            let scaled = sim.run(&program, bursts).unwrap();
            let full = sim.simulate(&program, bursts).unwrap();
            within(
                scaled.cycles,
                full.cycles,
                0.03,
                &format!("{name} at {bursts} bursts"),
            );
        }
        // Up to the exact limit the run is the full simulation.
        let b = sim.exact_limit();
        assert_eq!(
            sim.run(&program, b).unwrap(),
            sim.simulate(&program, b).unwrap()
        );
    }
}
