//! `cargo xtask list`: the zoo, the accelerators and the presets.
use crate::table::{group_digits, Table};
use crate::Format;
use anyhow::Result;
use pimzoo::ir::zoo;
use serde::Serialize;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Serialize)]
struct Listing {
    networks: Vec<NetworkEntry>,
    architectures: Vec<ArchEntry>,
    presets: Vec<String>,
}

#[derive(Serialize)]
struct NetworkEntry {
    name: String,
    input: Vec<usize>,
    layers: usize,
    weight_layers: usize,
    macs: u64,
    params: u64,
    weights: u64,
    source: Option<String>,
}

#[derive(Serialize)]
struct ArchEntry {
    id: String,
    family: String,
    name: String,
    technology: String,
    supports: String,
    source: String,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let networks = zoo::all()?
        .into_iter()
        .map(|n| {
            let w = n.work();
            NetworkEntry {
                name: n.name().to_string(),
                input: n.input().dims().to_vec(),
                layers: w.layers,
                weight_layers: w.weight_layers,
                macs: w.macs,
                params: w.params,
                weights: w.weights,
                source: n.source().map(String::from),
            }
        })
        .collect::<Vec<_>>();
    let registry = crate::registry();
    let architectures = registry
        .iter()
        .map(|m| {
            let i = m.info();
            ArchEntry {
                id: m.id().to_string(),
                family: i.family,
                name: i.name,
                technology: i.technology,
                supports: i.supports,
                source: i.source,
            }
        })
        .collect::<Vec<_>>();
    let listing = Listing {
        networks,
        architectures,
        presets: crate::catalog()
            .files()
            .map(|(o, _)| o.to_string())
            .collect(),
    };
    if args.format == Format::Json {
        crate::emit(&format!("{}\n", serde_json::to_string_pretty(&listing)?))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut nets =
        Table::new(&["network", "input", "layers", "MACs/sample", "params"]).right(&[2, 3, 4]);
    for n in &listing.networks {
        let dims: Vec<String> = n.input.iter().map(|d| d.to_string()).collect();
        nets.push(vec![
            n.name.clone(),
            dims.join("x"),
            n.layers.to_string(),
            group_digits(n.macs),
            group_digits(n.params),
        ]);
    }
    let mut archs = Table::new(&["accelerator", "name", "technology", "runs"]);
    for a in &listing.architectures {
        archs.push(vec![
            a.id.clone(),
            a.name.clone(),
            a.technology.clone(),
            a.supports.clone(),
        ]);
    }
    if args.format == Format::Csv {
        crate::emit(&nets.csv())?;
        crate::emit("\n")?;
        crate::emit(&archs.csv())?;
        return Ok(ExitCode::SUCCESS);
    }
    crate::emit(&format!(
        "Networks ({})\n\n{}\n",
        listing.networks.len(),
        nets.render()
    ))?;
    crate::emit(&format!(
        "Accelerators ({})\n\n{}\n",
        listing.architectures.len(),
        archs.render()
    ))?;
    crate::emit("Presets\n\n")?;
    for p in &listing.presets {
        crate::emit(&format!("  {p}\n"))?;
    }
    Ok(ExitCode::SUCCESS)
}
