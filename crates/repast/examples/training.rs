//! The paper's comparison, per network: RePAST's K-FAC step against
//! PipeLayer (first order) and the V100 GPU (first and second order), per
//! epoch and for the whole training (epoch-reduction factors as inputs).
//!
//! `cargo run --release -p pimzoo-repast --example training -- [--batch N] [--solve]
//! [--one-copy] [--damping D]`: the last three change the `repast/repast` preset
//! (no explicit inverses; one copy of every loop; the representative
//! factor's damping) for the sensitivity table of `docs/models/repast.md`.
use pimzoo_core::{Accelerator, Optimizer, Workload};
use pimzoo_repast::preset::{builtin, Parallelism, Preconditioning};
use std::sync::Arc;

const NETWORKS: [&str; 9] = [
    "vgg13",
    "vgg16",
    "vgg19",
    "msra-1",
    "msra-2",
    "resnet50",
    "resnet101",
    "bert-base",
    "autoencoder",
];

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .map(|v| v.parse::<f64>().map_err(|e| format!("{flag}: {e}")))
            .transpose()
    };
    let batch = value("--batch")?.unwrap_or(64.0) as u64;
    let mut config = builtin("repast/repast")?;
    if let Some(so) = config.second_order.as_mut() {
        if args.iter().any(|a| a == "--solve") {
            so.preconditioning = Preconditioning::Solve;
        }
        if args.iter().any(|a| a == "--one-copy") {
            so.parallelism = Parallelism::OneCopy;
        }
        if let Some(d) = value("--damping")? {
            so.representative.damping = d;
        }
    }
    let repast: Box<dyn Accelerator> = config.build()?;
    let kfac = Optimizer::from_name("kfac").ok_or("kfac")?;
    let cols = [
        "epoch_s",
        "second_order_share",
        "inversion_share",
        "vs_reram_1st_epoch_time_ratio",
        "vs_reram_1st_epoch_energy_ratio",
        "vs_reram_1st_training_speedup",
        "vs_gpu_1st_epoch_speedup",
        "vs_gpu_1st_training_speedup",
        "vs_gpu_2nd_training_speedup",
        "vs_gpu_2nd_training_energy_saving",
        "vs_reram_1st_training_energy_saving",
        "vs_reram_1st_training_write_change",
        "vs_own_1st_epoch_time_ratio",
        "vs_own_1st_training_speedup",
        "vs_own_1st_training_energy_saving",
        "vs_own_1st_training_write_change",
    ];
    println!("| network | {} |", cols.join(" | "));
    println!("|---|{}", "---|".repeat(cols.len()));
    let mut sums = vec![0.0; cols.len()];
    for n in NETWORKS {
        let net = Arc::new(pimzoo_ir::zoo::get(n).map_err(|e| e.to_string())?);
        let w = Workload::training(net, batch, kfac.clone());
        let r = repast.evaluate(&w).map_err(|e| format!("{n}: {e}"))?;
        let vals: Vec<String> = cols
            .iter()
            .zip(sums.iter_mut())
            .map(|(c, s)| {
                let v = r.metrics.get(*c).copied().unwrap_or(f64::NAN);
                *s += v;
                format!("{v:.3}")
            })
            .collect();
        println!("| {n} | {} |", vals.join(" | "));
    }
    let means: Vec<String> = sums
        .iter()
        .map(|s| format!("{:.3}", s / NETWORKS.len() as f64))
        .collect();
    println!("| mean | {} |", means.join(" | "));
    Ok(())
}
