//! `cargo xtask reproduce`: the models against the published numbers.
use crate::table::Table;
use crate::Format;
use anyhow::Result;
use pimzoo::reference::{builtin_references, Outcome, Reproducer};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only this reference set (a file stem of fixtures/reference/, e.g. gpu-h200).
    #[arg(long)]
    pub paper: Option<String>,
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let sets = builtin_references(args.paper.as_deref())?;
    let registry = crate::registry();
    let reproducer = Reproducer::new(&registry);
    let outcomes: Vec<Outcome> = sets.iter().flat_map(|s| reproducer.run(s)).collect();
    let failed = outcomes.iter().filter(|o| o.pass == Some(false)).count();
    match args.format {
        Format::Json => crate::emit(&format!("{}\n", serde_json::to_string_pretty(&outcomes)?))?,
        Format::Csv | Format::Table => {
            let t = table(&outcomes);
            if args.format == Format::Csv {
                crate::emit(&t.csv())?;
            } else {
                crate::emit(&t.render())?;
                crate::emit(&format!("\n{}\n", summary(&outcomes)))?;
            }
        }
    }
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn table(outcomes: &[Outcome]) -> Table {
    let mut t = Table::new(&[
        "paper",
        "entry",
        "paper value",
        "model",
        "error",
        "tolerance",
        "verdict",
    ])
    .right(&[2, 3, 4]);
    for o in outcomes {
        let verdict = match (o.status, o.pass) {
            ("check", Some(true)) => "ok".to_string(),
            ("check", _) => "FAIL".to_string(),
            ("expected-miss", _) => "expected miss".to_string(),
            (status, _) => status.to_string(),
        };
        t.push(vec![
            o.paper.clone(),
            o.name.clone(),
            value(o.paper_value, &o.unit),
            o.model_value
                .map(|v| value(v, &o.unit))
                .unwrap_or_else(|| format!("({})", o.error.clone().unwrap_or_default())),
            o.rel_error
                .map(|e| format!("{:+.1} %", 100.0 * e))
                .unwrap_or_else(|| "-".into()),
            o.tolerance.clone(),
            verdict,
        ]);
    }
    t
}

fn value(v: f64, unit: &str) -> String {
    pimzoo::units::engineering(v, unit)
}

fn summary(outcomes: &[Outcome]) -> String {
    let count = |f: &dyn Fn(&Outcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
    format!(
        "checks: {} within tolerance, {} outside; {} fitted, {} expected misses, {} reported without verdict",
        count(&|o| o.pass == Some(true)),
        count(&|o| o.pass == Some(false)),
        count(&|o| o.status == "fitted"),
        count(&|o| o.status == "expected-miss"),
        count(&|o| o.status == "report"),
    )
}
