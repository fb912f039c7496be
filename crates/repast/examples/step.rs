//! One training step (or inference batch) of a repast preset, in detail:
//! energy by component, metrics and the costliest rows.
//!
//! `cargo run --release -p pimzoo-repast --example step -- [PRESET] [NETWORK] [OPTIMIZER|inference] [BATCH]`
//! (defaults: repast/repast resnet50 kfac 64)
use pimzoo_core::{Optimizer, Workload};
use pimzoo_repast::preset::builtin;
use std::sync::Arc;

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, d: &str| args.get(i).cloned().unwrap_or_else(|| d.to_string());
    let model = builtin(&arg(0, "repast/repast"))?.build()?;
    let net = Arc::new(pimzoo_ir::zoo::get(&arg(1, "resnet50")).map_err(|e| e.to_string())?);
    let batch: u64 = arg(3, "64").parse().map_err(|e| format!("batch: {e}"))?;
    let task = arg(2, "kfac");
    let w = if task == "inference" {
        Workload::inference(net, batch)
    } else {
        let o = Optimizer::from_name(&task).ok_or(format!("unknown optimizer `{task}`"))?;
        Workload::training(net, batch, o)
    };
    let r = model.evaluate(&w).map_err(|e| e.to_string())?;
    println!(
        "{} | {} | {} | batch {}: latency {}, energy {}",
        model.id(),
        w.network.name(),
        w.task,
        batch,
        r.latency,
        r.energy()
    );
    for (c, e) in r.energy_breakdown() {
        println!(
            "  energy {c:<16} {e} ({:.1} %)",
            100.0 * e.value() / r.energy().value()
        );
    }
    for (m, v) in &r.metrics {
        println!("  metric {m:<40} {v:.6e}");
    }
    let mut rows = r.layers.clone();
    rows.sort_by(|a, b| b.latency.value().total_cmp(&a.latency.value()));
    for row in rows.iter().take(12) {
        println!(
            "  row {:<40} {:<16} {} {} {:?}",
            row.layer,
            row.phase.name(),
            row.latency,
            row.energy,
            row.bound
        );
    }
    Ok(())
}
