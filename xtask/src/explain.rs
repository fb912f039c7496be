//! `cargo xtask explain <id|family>`: a model in words.
use anyhow::Result;
use pimzoo::Accelerator;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// An accelerator id (`gpu/h200`) or a family (`gpu`).
    pub id: String,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let registry = crate::registry();
    let models = registry.select(std::slice::from_ref(&args.id))?;
    let first = models[0].info();
    let title = if models.len() == 1 {
        format!("{}: {} ({})", models[0].id(), first.name, first.technology)
    } else {
        format!("{} ({} presets)", first.family, models.len())
    };
    crate::emit(&format!("{title}\n\n"))?;
    for paragraph in first.explanation.trim().split("\n\n") {
        crate::emit(&format!("{}\n\n", wrap(paragraph, 100)))?;
    }
    for m in &models {
        print_parameters(*m)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn print_parameters(m: &dyn Accelerator) -> Result<()> {
    let info = m.info();
    crate::emit(&format!("{} — {}\n", m.id(), info.name))?;
    crate::emit(&format!("  source: {}\n", info.source))?;
    crate::emit(&format!("  runs: {}\n", info.supports))?;
    let mut t = crate::table::Table::new(&["parameter", "value", "source"]);
    for (name, value, source) in &info.parameters {
        t.push(vec![name.clone(), value.clone(), source.clone()]);
    }
    for line in t.render().lines() {
        crate::emit(&format!("  {line}\n"))?;
    }
    crate::emit("\n")
}

/// Re-flow a paragraph to lines of at most `width` characters.
fn wrap(paragraph: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line_len = 0;
    for word in paragraph.split_whitespace() {
        if line_len > 0 && line_len + 1 + word.chars().count() > width {
            out.push('\n');
            line_len = 0;
        } else if line_len > 0 {
            out.push(' ');
            line_len += 1;
        }
        out.push_str(word);
        line_len += word.chars().count();
    }
    out
}
