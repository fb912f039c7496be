//! `cargo xtask import`: an ONNX model to pimzoo's RON network format.
use crate::table::Table;
use crate::Format;
use anyhow::{bail, Context, Result};
use pimzoo::ir::onnx::{import_file, ImportOptions, Imported, NoteKind, OnnxError};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The ONNX file (docs/onnx.md). Initializers stored as external data need not be present.
    pub model: PathBuf,
    /// Write the network in pimzoo's RON format (docs/ir.md) to this file; without it, print a summary.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Overwrite the output file if it exists.
    #[arg(long)]
    pub force: bool,
    /// Drop nodes pimzoo cannot map (each passes its first input through) and list them.
    #[arg(long)]
    pub skip_unsupported: bool,
    /// Name of the network (default: the file name, lowercase with hyphens).
    #[arg(long)]
    pub name: Option<String>,
    /// The graph input that is the network input (default: the first one).
    #[arg(long, value_name = "NAME")]
    pub input_name: Option<String>,
    /// One sample's input shape, e.g. `3,224,224` or `128`: for files with symbolic sizes.
    #[arg(long, value_name = "DIMS", value_delimiter = ',')]
    pub input: Vec<usize>,
    /// Summary format: a table of layers, its CSV, or JSON (`name`, `layers`, `macs`, `params`, ...).
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// The JSON summary; fields are added over time, never renamed.
#[derive(Serialize)]
struct Summary {
    name: String,
    layers: usize,
    macs: u64,
    params: u64,
    weights: u64,
    input: Vec<usize>,
    output: Vec<usize>,
    onnx_nodes: usize,
    opset: Option<i64>,
    skipped: Vec<String>,
    notes: Vec<NoteEntry>,
}

#[derive(Serialize)]
struct NoteEntry {
    node: String,
    kind: &'static str,
    message: String,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let options = ImportOptions {
        name: args.name.clone(),
        input: args.input_name.clone(),
        input_shape: (!args.input.is_empty()).then(|| args.input.clone()),
        skip_unsupported: args.skip_unsupported,
    };
    let imported = import_file(&args.model, &options).map_err(|e| {
        let hint = matches!(
            e,
            OnnxError::Node {
                unsupported: true,
                ..
            }
        );
        let e = anyhow::Error::from(e);
        if hint {
            e.context(
                "the model has a node pimzoo cannot map (--skip-unsupported drops such nodes)",
            )
        } else {
            e
        }
    })?;
    if !imported.skipped.is_empty() {
        // On standard error, so that JSON on standard output stays clean.
        eprintln!("skipped {} unsupported node(s):", imported.skipped.len());
        for node in &imported.skipped {
            eprintln!("  {node}");
        }
    }
    match &args.output {
        Some(path) => {
            write_network(path, &args.model, &imported, args.force)?;
            let w = imported.network.work();
            crate::emit(&format!(
                "wrote {}: network `{}`, {} layers, {} MACs/sample, {} params\n",
                path.display(),
                imported.network.name(),
                w.layers,
                w.macs,
                w.params
            ))?;
        }
        None => print_summary(&args, &imported)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The RON text, with a header that says where it comes from and what the
/// import could not count. Never overwrites the model, nor any file without `--force`.
fn write_network(path: &Path, model: &Path, imported: &Imported, force: bool) -> Result<()> {
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same(path, model) {
        bail!(
            "`{}` is the ONNX model itself; choose another output file",
            path.display()
        );
    }
    let mut text = format!(
        "// Imported from {} by `cargo xtask import` ({} ONNX nodes).\n",
        model.file_name().map_or_else(
            || model.display().to_string(),
            |f| f.to_string_lossy().into_owned()
        ),
        imported.nodes
    );
    for node in &imported.skipped {
        text.push_str(&format!("// skipped (unsupported): {node}\n"));
    }
    for n in imported.notes.iter().filter(|n| n.kind != NoteKind::Folded) {
        text.push_str(&format!(
            "// {}: {}: {}\n",
            n.kind.name(),
            n.node,
            n.message
        ));
    }
    text.push_str(&imported.network.to_ron());
    text.push('\n');
    let file = if force {
        std::fs::File::create(path)
    } else {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
    };
    let mut file = match file {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            bail!("`{}` exists; pass --force to overwrite it", path.display())
        }
        other => other.with_context(|| format!("cannot create `{}`", path.display()))?,
    };
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write `{}`", path.display()))
}

fn print_summary(args: &Args, imported: &Imported) -> Result<()> {
    let net = &imported.network;
    let w = net.work();
    if args.format == Format::Json {
        let summary = Summary {
            name: net.name().to_string(),
            layers: w.layers,
            macs: w.macs,
            params: w.params,
            weights: w.weights,
            input: net.input().dims().to_vec(),
            output: net.output().dims().to_vec(),
            onnx_nodes: imported.nodes,
            opset: imported.opset,
            skipped: imported.skipped.iter().map(|n| n.to_string()).collect(),
            notes: imported
                .notes
                .iter()
                .map(|n| NoteEntry {
                    node: n.node.to_string(),
                    kind: n.kind.name(),
                    message: n.message.clone(),
                })
                .collect(),
        };
        crate::emit(&format!("{}\n", serde_json::to_string_pretty(&summary)?))?;
        return Ok(());
    }
    let mut t = Table::new(&["layer", "op", "output", "MACs", "params"]).right(&[3, 4]);
    for l in net.layers() {
        t.push(vec![
            l.name.clone(),
            l.op.kind().to_string(),
            l.output.to_string(),
            l.work.macs.to_string(),
            l.work.params.to_string(),
        ]);
    }
    if args.format == Format::Csv {
        crate::emit(&t.csv())?;
        return Ok(());
    }
    let mut out = format!(
        "{}: network `{}`, {} layers from {} ONNX nodes{}\ninput {} -> output {}; {} MACs/sample, {} params ({} weights)\n\n",
        args.model.display(),
        net.name(),
        w.layers,
        imported.nodes,
        imported.opset.map_or(String::new(), |v| format!(" (opset {v})")),
        net.input(),
        net.output(),
        w.macs,
        w.params,
        w.weights
    );
    out.push_str(&t.render());
    // Folded nodes lose nothing: count them by operator. The rest is listed.
    let mut folded: BTreeMap<&str, usize> = BTreeMap::new();
    for n in &imported.notes {
        if n.kind == NoteKind::Folded {
            *folded.entry(n.node.op_type.as_str()).or_default() += 1;
        }
    }
    if !folded.is_empty() {
        let parts: Vec<String> = folded.iter().map(|(op, k)| format!("{op} {k}")).collect();
        out.push_str(&format!(
            "\nfolded into other layers or views (no work lost): {}\n",
            parts.join(", ")
        ));
    }
    let listed: Vec<_> = imported
        .notes
        .iter()
        .filter(|n| n.kind != NoteKind::Folded)
        .collect();
    if !listed.is_empty() {
        out.push('\n');
        for n in listed {
            out.push_str(&format!("{}: {}: {}\n", n.kind.name(), n.node, n.message));
        }
    }
    crate::emit(&out)
}
