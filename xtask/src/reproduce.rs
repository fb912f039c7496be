//! `cargo xtask reproduce`: the models against the published numbers.
use crate::table::Table;
use crate::Format;
use anyhow::Result;
use pimzoo::reference::{builtin_references, Outcome, Reproducer, Tolerance};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only this reference set (a file stem of fixtures/reference/, e.g. gpu-h200).
    #[arg(long)]
    pub paper: Option<String>,
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Draw paper value against model value, with each entry's tolerance band, as SVG.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
}

/// Every entry of the reference sets (all, or the one named), evaluated,
/// with its tolerance.
pub(crate) fn evaluate(paper: Option<&str>) -> Result<Vec<(Outcome, Tolerance)>> {
    let sets = builtin_references(paper)?;
    let registry = crate::registry();
    let reproducer = Reproducer::new(&registry);
    Ok(sets
        .iter()
        .flat_map(|s| {
            // `run` gives one outcome per entry, in order.
            let tolerances = s.entries.iter().map(|e| e.tolerance);
            reproducer.run(s).into_iter().zip(tolerances)
        })
        .collect())
}

pub fn run(args: Args) -> Result<ExitCode> {
    if let Some(p) = &args.plot {
        crate::plot::check_writable(p, false)?;
    }
    let entries = evaluate(args.paper.as_deref())?;
    if let Some(p) = &args.plot {
        crate::plot::write_svg(p, &crate::plot::reproduce_svg(&entries)?, false)?;
        eprintln!("plot in {}", p.display());
    }
    let outcomes: Vec<Outcome> = entries.into_iter().map(|(o, _)| o).collect();
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

/// The columns of the reproduction table.
pub(crate) const COLUMNS: [&str; 7] = [
    "paper",
    "entry",
    "paper value",
    "model",
    "error",
    "tolerance",
    "verdict",
];

fn table(outcomes: &[Outcome]) -> Table {
    let mut t = Table::new(&COLUMNS).right(&[2, 3, 4]);
    for o in outcomes {
        t.push(cells(o));
    }
    t
}

/// One entry's cells in the reproduction table.
pub(crate) fn cells(o: &Outcome) -> Vec<String> {
    let verdict = match (o.status, o.pass) {
        ("check", Some(true)) => "ok".to_string(),
        ("check", _) => "FAIL".to_string(),
        ("expected-miss", _) => "expected miss".to_string(),
        (status, _) => status.to_string(),
    };
    vec![
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
    ]
}

fn value(v: f64, unit: &str) -> String {
    pimzoo::units::engineering(v, unit)
}

pub(crate) fn summary(outcomes: &[Outcome]) -> String {
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
