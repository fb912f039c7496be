//! pimzoo's command line. It parses arguments and prints; the library does
//! the work. Run as `cargo xtask <command>` (an alias in `.cargo/config.toml`).
#![forbid(unsafe_code)]

mod compare;
mod details;
mod dram;
mod explain;
mod import;
mod list;
mod plot;
mod report;
mod reproduce;
mod sweep;
mod table;

use clap::{Parser, Subcommand, ValueEnum};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "xtask",
    about = "pimzoo: PIM and near-memory DNN accelerator models, side by side",
    version
)]
struct Cli {
    /// Show the tracing spans of each model and layer (-v info, -vv debug, -vvv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Evaluate one workload on every registered model (default: resnet18, inference, batch 1).
    Compare(compare::Args),
    /// Check the models against the published numbers of `fixtures/reference/`.
    Reproduce(reproduce::Args),
    /// Evaluate a grid of preset parameters x networks x batch sizes (docs/sweeps.md).
    Sweep(sweep::Args),
    /// Write a self-contained HTML page: compare and reproduce tables with their plots.
    Report(report::Args),
    /// List the networks of the zoo, the accelerators and the presets.
    List(list::Args),
    /// Print a model's equations and assumptions in words.
    Explain(explain::Args),
    /// Import an ONNX model: print its summary, or write it as a RON network with -o.
    Import(import::Args),
    /// Replay memory requests through the DDR4 model: cycles, time, bandwidth, energy.
    Dram(dram::Args),
}

/// The preset families the command line knows: the built-in ones and the
/// example third-party model of `examples/custom-accelerator`, added the way
/// any user crate adds its own (`docs/extending.md`).
pub fn catalog() -> pimzoo::Catalog {
    let mut catalog = pimzoo::Catalog::builtin();
    catalog.add(custom_accelerator::family());
    catalog
}

/// Every model of [`catalog`], registered under its id.
pub fn registry() -> pimzoo::Registry {
    catalog().registry()
}

/// Output formats shared by the commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

/// Write to standard output. A closed pipe (`cargo xtask list | head`) ends
/// the output quietly instead of as an error.
pub fn emit(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        other => Ok(other?),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = match cli.verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(level))
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    let result = match cli.command {
        None => compare::run(compare::Args::default()),
        Some(Command::Compare(a)) => compare::run(a),
        Some(Command::Reproduce(a)) => reproduce::run(a),
        Some(Command::Sweep(a)) => sweep::run(a),
        Some(Command::Report(a)) => report::run(a),
        Some(Command::List(a)) => list::run(a),
        Some(Command::Explain(a)) => explain::run(a),
        Some(Command::Import(a)) => import::run(a),
        Some(Command::Dram(a)) => dram::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
