//! `cargo xtask dram`: replay requests through the DDR4 model
//! (`pimzoo_tech::dram`) and print cycles, time, bandwidth, commands, bus
//! use and energy by component.
use crate::{emit, Format};
use anyhow::{anyhow, bail, Context, Result};
use pimzoo::tech::dram::{
    parse_trace_within, preset, DramConfig, MemorySystem, Pattern, SystemReport,
};
use pimzoo::units::engineering;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The memory: a DRAMsim3 `.ini` file, a RON preset file (`.ron`), or a
    /// built-in preset (`ddr4-2133-x8-8gb`, `ddr4-3200-x8-8gb`).
    #[arg(long)]
    pub config: String,
    /// Requests from a file: one per line, `<address> <R|W>`, the address in
    /// decimal or 0x-hex.
    #[arg(long, conflicts_with = "pattern", required_unless_present = "pattern")]
    pub trace: Option<PathBuf>,
    /// Synthetic requests: `stream:N[:WFRAC]` (N consecutive 64-byte bursts,
    /// a fraction WFRAC of them writes), `random:N[:WFRAC]` (uniform
    /// addresses), or `update:PARAMS` (an optimizer update of PARAMS fp32
    /// parameters: read theta, v, g and write theta, v).
    #[arg(long)]
    pub pattern: Option<String>,
    /// Seed of `random` patterns.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// The JSON output: the configuration and the report.
#[derive(Serialize)]
struct Output<'a> {
    config: ConfigSummary<'a>,
    requests: u64,
    report: &'a SystemReport,
}

#[derive(Serialize)]
struct ConfigSummary<'a> {
    id: &'a str,
    source: &'a str,
    channels: u32,
    ranks: u32,
    bankgroups: u32,
    banks_per_group: u32,
    tck_ns: f64,
    address_mapping: &'a str,
    /// Peak data bandwidth of all channels, B/s.
    peak_bandwidth: f64,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let cfg = load_config(&args.config)?;
    let mapping = cfg.address_mapping()?;
    let capacity = mapping.capacity();
    let burst = mapping.burst_bytes();
    let mut sys = MemorySystem::new(&cfg)?;
    let (requests, report) = if let Some(path) = &args.trace {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the trace {}", path.display()))?;
        let trace = parse_trace_within(&text, capacity)
            .map_err(|e| anyhow!(e.with_origin(&path.display().to_string())))?;
        let report = sys.run(|| trace.iter().copied())?;
        (trace.len() as u64, report)
    } else {
        let text = args.pattern.as_deref().unwrap_or_default();
        let mut pattern = Pattern::parse(text).map_err(|e| anyhow!("--pattern: {e}"))?;
        if let Pattern::Random { seed, .. } = &mut pattern {
            *seed = args.seed;
        }
        if pattern.is_empty() {
            bail!("--pattern {text}: no requests");
        }
        let report = sys.run(|| pattern.requests(capacity, burst))?;
        (pattern.len(burst), report)
    };
    let text = match args.format {
        Format::Json => render_json(&cfg, requests, &report)?,
        Format::Csv => render_csv(&cfg, requests, &report),
        Format::Table => render_table(&cfg, requests, &report),
    };
    emit(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn load_config(arg: &str) -> Result<DramConfig> {
    let path = Path::new(arg);
    if path.exists() {
        return Ok(DramConfig::load(path)?);
    }
    let looks_like_file = arg.ends_with(".ini") || arg.ends_with(".ron") || arg.contains('/');
    match preset(arg) {
        Ok(cfg) if !looks_like_file => Ok(cfg),
        _ => bail!("--config {arg}: no such file (or built-in preset)"),
    }
}

fn summary(cfg: &DramConfig) -> ConfigSummary<'_> {
    let g = cfg.geometry();
    ConfigSummary {
        id: &cfg.id,
        source: &cfg.source,
        channels: g.channels,
        ranks: g.ranks,
        bankgroups: g.bankgroups,
        banks_per_group: g.banks_per_group,
        tck_ns: cfg.timing.tCK,
        address_mapping: &cfg.system.address_mapping,
        peak_bandwidth: peak_bandwidth(cfg),
    }
}

/// One burst every burst time on every channel.
fn peak_bandwidth(cfg: &DramConfig) -> f64 {
    let g = cfg.geometry();
    g.channels as f64 * g.request_bytes as f64 / (g.burst_cycles as f64 * cfg.timing.tCK * 1e-9)
}

fn render_json(cfg: &DramConfig, requests: u64, r: &SystemReport) -> Result<String> {
    let out = Output {
        config: summary(cfg),
        requests,
        report: r,
    };
    Ok(serde_json::to_string_pretty(&out)? + "\n")
}

fn render_csv(cfg: &DramConfig, requests: u64, r: &SystemReport) -> String {
    let mut s = String::from("quantity,value,unit\n");
    for (name, value, unit) in rows(cfg, requests, r) {
        let _ = writeln!(s, "{name},{value},{unit}");
    }
    s
}

/// Every figure the command prints, with its unit.
fn rows(cfg: &DramConfig, requests: u64, r: &SystemReport) -> Vec<(String, f64, &'static str)> {
    let mut v = vec![
        ("requests".to_string(), requests as f64, ""),
        ("reads".to_string(), r.reads as f64, ""),
        ("writes".to_string(), r.writes as f64, ""),
        ("cycles".to_string(), r.cycles as f64, "tCK"),
        ("time".to_string(), r.time.value(), "s"),
        ("bandwidth".to_string(), r.bandwidth.value(), "B/s"),
        ("peak bandwidth".to_string(), peak_bandwidth(cfg), "B/s"),
    ];
    for c in &r.commands {
        v.push((format!("{} commands", c.kind), c.count as f64, ""));
    }
    for (i, ch) in r.channels.iter().enumerate() {
        for (b, u) in ch.command_bus_utilization.iter().enumerate() {
            v.push((format!("channel {i} command bus {b} busy"), *u, "fraction"));
        }
        v.push((
            format!("channel {i} data bus busy"),
            ch.data_bus_utilization,
            "fraction",
        ));
    }
    for (name, e) in r.energy.components() {
        v.push((format!("energy {name}"), e.value(), "J"));
    }
    v.push(("energy total".to_string(), r.energy.total().value(), "J"));
    v
}

fn render_table(cfg: &DramConfig, requests: u64, r: &SystemReport) -> String {
    let g = cfg.geometry();
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: {} channel(s) x {} rank(s) x {} bank groups x {} banks, tCK {} ns, mapping {}",
        cfg.id,
        g.channels,
        g.ranks,
        g.bankgroups,
        g.banks_per_group,
        cfg.timing.tCK,
        cfg.system.address_mapping
    );
    let peak = peak_bandwidth(cfg);
    let line = |s: &mut String, k: &str, v: String| {
        let _ = writeln!(s, "  {k:<22}{v}");
    };
    line(
        &mut s,
        "requests",
        format!("{requests} ({} reads, {} writes)", r.reads, r.writes),
    );
    line(&mut s, "cycles", r.cycles.to_string());
    line(&mut s, "simulated time", r.time.to_string());
    line(
        &mut s,
        "bandwidth",
        format!(
            "{} ({:.1} % of the {} peak)",
            r.bandwidth,
            100.0 * r.bandwidth.value() / peak,
            engineering(peak, "B/s")
        ),
    );
    let commands: Vec<String> = r
        .commands
        .iter()
        .map(|c| format!("{} {}", c.kind, c.count))
        .collect();
    line(&mut s, "commands", commands.join(", "));
    for (i, ch) in r.channels.iter().enumerate() {
        let buses: Vec<String> = ch
            .command_bus_utilization
            .iter()
            .map(|u| format!("{:.1} %", 100.0 * u))
            .collect();
        let hits = ch.row_hits as f64 / (ch.row_hits + ch.row_misses).max(1) as f64;
        line(
            &mut s,
            &format!("channel {i}"),
            format!(
                "command bus {} busy, data bus {:.1} % busy, row hits {:.1} %",
                buses.join(" / "),
                100.0 * ch.data_bus_utilization,
                100.0 * hits
            ),
        );
    }
    line(
        &mut s,
        "energy",
        format!("{} ({} mean power)", r.energy.total(), {
            let p = if r.time.value() > 0.0 {
                r.energy.total().value() / r.time.value()
            } else {
                0.0
            };
            engineering(p, "W")
        }),
    );
    for (name, e) in r.energy.components() {
        line(&mut s, &format!("  {name}"), e.to_string());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(config: &str, trace: Option<PathBuf>, pattern: Option<&str>) -> Args {
        Args {
            config: config.to_string(),
            trace,
            pattern: pattern.map(str::to_string),
            seed: 1,
            format: Format::Json,
        }
    }

    fn temp(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("pimzoo-xtask-dram-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn fixture(name: &str) -> String {
        format!("{}/../fixtures/dram/{name}", env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn patterns_and_traces_run() {
        let cfg = load_config("ddr4-2133-x8-8gb").unwrap();
        let ini = load_config(&fixture("DDR4_8Gb_x8_2133.ini")).unwrap();
        assert_eq!(cfg.timing, ini.timing);
        assert!(run(args("ddr4-2133-x8-8gb", None, Some("stream:1000:0.4"))).is_ok());
        let t = temp("ok.trace", "0x40 R\n128 W\n\n# done\n");
        assert!(run(args(&fixture("DDR4_8Gb_x8_2133.ini"), Some(t), None)).is_ok());
    }

    #[test]
    fn errors_name_what_and_where() {
        let t = temp("bad.trace", "0x40 R\n0x80 Q\n");
        let e = run(args("ddr4-2133-x8-8gb", Some(t), None))
            .unwrap_err()
            .to_string();
        assert!(e.contains("bad.trace: line 2: `Q` is not R or W"), "{e}");
        let t = temp("far.trace", "0x40 R\n0x400000000000 W\n");
        let e = run(args("ddr4-2133-x8-8gb", Some(t), None))
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2: address") && e.contains("beyond"), "{e}");
        let e = run(args("nope.ini", None, Some("stream:10")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("no such file"), "{e}");
        let e = run(args("ddr4-2133-x8-8gb", None, Some("walk:10")))
            .unwrap_err()
            .to_string();
        assert!(e.contains("--pattern"), "{e}");
        let bad = std::fs::read_to_string(fixture("DDR4_8Gb_x8_2133.ini"))
            .unwrap()
            .replace("tFAW = 23\n", "");
        let p = temp("missing.ini", &bad);
        let e = run(args(p.to_str().unwrap(), None, Some("stream:10")))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("missing.ini") && e.contains("timing.tFAW"),
            "{e}"
        );
    }

    #[test]
    fn every_format_prints_the_figures() {
        let cfg = load_config("ddr4-2133-x8-8gb").unwrap();
        let mut sys = MemorySystem::new(&cfg).unwrap();
        let pattern = Pattern::parse("random:500:0.33").unwrap();
        let r = sys.run(|| pattern.requests(16 << 30, 64)).unwrap();
        let json: serde_json::Value =
            serde_json::from_str(&render_json(&cfg, 500, &r).unwrap()).unwrap();
        assert_eq!(
            json["report"]["reads"].as_u64().unwrap() + json["report"]["writes"].as_u64().unwrap(),
            500
        );
        assert!(json["report"]["energy"]["background"].as_f64().unwrap() > 0.0);
        let table = render_table(&cfg, 500, &r);
        for word in [
            "cycles",
            "simulated time",
            "bandwidth",
            "activate/precharge",
            "background",
        ] {
            assert!(table.contains(word), "{table}");
        }
        let csv = render_csv(&cfg, 500, &r);
        assert!(
            csv.starts_with("quantity,value,unit\ncycles") || csv.contains("\ncycles,"),
            "{csv}"
        );
    }
}
