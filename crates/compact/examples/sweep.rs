//! The batch-size sweep of `docs/models/compact.md`: throughput and DRAM
//! energy share of the compact chip on VGG-8 at both DRAM energy settings.
//!
//! `cargo run -p pimzoo-compact --example sweep [network] [preset...]`
use pimzoo_compact::preset::{parse, FILES};
use pimzoo_core::Workload;
use std::sync::Arc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let network = args.next().unwrap_or_else(|| "vgg8-cifar10".into());
    let wanted: Vec<String> = args.collect();
    let net = Arc::new(pimzoo_ir::zoo::get(&network)?);
    for (origin, text) in FILES {
        let config = parse(text, origin)?;
        if !wanted.is_empty() && !wanted.iter().any(|w| config.id.ends_with(w.as_str())) {
            continue;
        }
        let model = config.build()?;
        println!("{} on {network}", model.id());
        println!("| batch | Top/s | Top/s/W (with zeta) | DRAM share | latency |");
        println!("|---:|---:|---:|---:|---:|");
        for batch in [1, 4, 16, 64, 256, 1000, 1024] {
            match model.evaluate(&Workload::inference(net.clone(), batch)) {
                Ok(r) => println!(
                    "| {batch} | {:.3} | {:.3} | {:.1} % | {} |",
                    r.ops_per_s() / 1e12,
                    r.ops_per_j() / 1e12,
                    100.0
                        * r.metrics
                            .get("dram_energy_share")
                            .copied()
                            .unwrap_or(f64::NAN),
                    r.latency
                ),
                Err(e) => println!("| {batch} | {e} |"),
            }
        }
        println!();
    }
    Ok(())
}
