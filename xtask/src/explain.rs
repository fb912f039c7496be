//! `cargo xtask explain <id|family>`: a model in words.
use anyhow::Result;
use pimzoo::{builtin_registry, Accelerator, ArchInfo};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// An accelerator id (`gpu/h200`) or a family (`gpu`).
    pub id: String,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let registry = builtin_registry();
    let models = registry.select(std::slice::from_ref(&args.id))?;
    let first = models[0].info();
    println!("{} ({})\n", family_title(&first), first.technology);
    println!("{}\n", first.explanation.trim());
    for m in &models {
        print_parameters(*m);
    }
    Ok(ExitCode::SUCCESS)
}

fn family_title(info: &ArchInfo) -> String {
    format!("{}: {}", info.family, info.source)
}

fn print_parameters(m: &dyn Accelerator) {
    let info = m.info();
    println!("{} — {}", m.id(), info.name);
    println!("  runs: {}", info.supports);
    let mut t = crate::table::Table::new(&["parameter", "value", "source"]);
    for (name, value, source) in &info.parameters {
        t.push(vec![name.clone(), value.clone(), source.clone()]);
    }
    for line in t.render().lines() {
        println!("  {line}");
    }
    println!();
}
