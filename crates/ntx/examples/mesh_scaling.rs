//! The mesh-scaling table of NTX cubes: weak scaling of a network's training
//! from 1 to 1024 cubes, ring and 2-D torus, with the options of the
//! `ntx/mesh-1024` preset.
//!
//! ```text
//! cargo run --release -p pimzoo-ntx --example mesh_scaling [network] [images per cube]
//! ```
use pimzoo_ntx::cube::Cube;
use pimzoo_ntx::explain::{scaling_table, MeshOptions};
use pimzoo_ntx::preset::{Config, FILES};

#[derive(serde::Deserialize)]
enum File {
    Ntx(Config),
}

fn preset(id: &str) -> Result<Config, String> {
    for (origin, text) in FILES {
        let File::Ntx(c) = pimzoo_ir::ron_options()
            .from_str::<File>(text)
            .map_err(|e| format!("{origin}: {e}"))?;
        if c.id == id {
            return Ok(c);
        }
    }
    Err(format!("no built-in preset {id}"))
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let network = args.get(1).map_or("resnet50", String::as_str);
    let per_cube: u64 = match args.get(2) {
        Some(a) => a
            .parse()
            .map_err(|e| format!("images per cube `{a}`: {e}"))?,
        None => 16,
    };
    let cube = Cube::new(preset("ntx/cube")?.cube.ok_or("ntx/cube has no cube")?)?;
    let mesh = preset("ntx/mesh-1024")?
        .mesh
        .ok_or("ntx/mesh-1024 has no mesh")?;
    let options = MeshOptions::of(&mesh);
    let rows = scaling_table(&cube, network, per_cube, 1024, options)?;
    println!(
        "{network} training (SGD), {per_cube} images per cube, step latency {}, overlap {}, link power gating {}",
        options.step_latency, options.overlap, options.link_power_gating
    );
    println!(
        "{:>6} | {:>9} | {:>15} | {:>13} | {:>11} | {:>12}",
        "cubes", "topology", "parallel eff.", "energy eff.", "step", "Tflop/s"
    );
    for r in rows {
        println!(
            "{:>6} | {:>9} | {:>13.1} % | {:>11.1} % | {:>11} | {:>12.2}",
            r.cubes,
            r.topology.name(),
            100.0 * r.parallel_efficiency,
            100.0 * r.energy_efficiency,
            r.step.to_string(),
            r.flops / 1e12
        );
    }
    Ok(())
}
