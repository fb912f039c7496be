//! The tables of `docs/models/compact.md` that the model computes: the DDM
//! worked example, the abstract's claims under other networks, batches and
//! options (hypotheses), and the comparison with the measured H200.
//!
//! `cargo run -p pimzoo-compact --example paper_tables`
use pimzoo_compact::preset::{
    builtin, CellTechnology, Config, Counters, DramOverlap, DuplicationLoop, GroupReads,
    GroupWrites, Leakage, Mode, Options, PipelineFill, Split, WriteCharge, ZetaScope,
};
use pimzoo_compact::CompactChip;
use pimzoo_core::{Accelerator, Report, Workload};
use std::sync::Arc;

/// A committed run: name, preset, mode override, network, batch, authors'
/// Top/s and Top/J (when their DRAM energy is not a stale constant).
struct Run(
    &'static str,
    &'static str,
    Option<Mode>,
    &'static str,
    u64,
    f64,
    Option<f64>,
);

/// An artefact switch: its name and how it changes the options.
type Switch = (&'static str, fn(&mut Options));

/// A measured H200 row: batch, fp32 and bf16 samples/s, fp32 and bf16 J per batch.
struct GpuRow(u64, f64, f64, Option<f64>, Option<f64>);

fn eval(c: &Config, network: &str, batch: u64) -> Result<Report, Box<dyn std::error::Error>> {
    let m = CompactChip::new(c.clone())?;
    let net = Arc::new(pimzoo_ir::zoo::get(network)?);
    Ok(m.evaluate(&Workload::inference(net, batch))?)
}

fn preset(id: &str) -> Result<Config, String> {
    builtin(id).ok_or_else(|| format!("no preset {id}"))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // DDM worked example: VGG-8, group 1 on the compact chip.
    let m = CompactChip::new(preset("compact/ppp")?)?;
    let vgg8 = Arc::new(pimzoo_ir::zoo::get("vgg8-cifar10")?);
    let plan = m.plan(&Workload::inference(vgg8.clone(), 1))?;
    println!("## DDM worked example (VGG-8, compact chip)");
    println!("| layer | tiles n | sub-array x PE copies | rounds ceil(HW/(sa pe)) | tile copies | T_l (us) |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (i, l) in plan.layers.iter().enumerate() {
        let map = &plan.maps[i];
        let inner = map.subarray_dup * map.pe_dup;
        println!(
            "| {} | {} | {} x {} | {} | {} | {:.1} |",
            l.name,
            map.tiles,
            map.subarray_dup,
            map.pe_dup,
            l.vectors().div_ceil(inner),
            plan.schedule.tile_dup[i],
            plan.costs[i].read.total().value() * 1e6
        );
    }
    println!("groups: {:?}\n", plan.schedule.groups);

    println!("## Abstract claims under other workloads (hypotheses)");
    let nets = [
        "vgg8-cifar10",
        "resnet18-cifar10",
        "alexnet-cifar10",
        "lenet5-cifar10",
        "densenet40",
        "resnet18-cifar100",
        "resnet50-cifar100",
    ];
    let per_load = |id: &str| -> Result<Config, String> {
        let mut c = preset(id)?;
        c.options.write_charge = WriteCharge::PerLoad;
        Ok(c)
    };
    println!("| network | batch | writes | PPP/RP throughput | PPP/RP Top/J | compact/unlimited throughput | compact/unlimited Top/J | compact/unlimited Top/s/mm^2 |");
    println!("|---|---:|---|---:|---:|---:|---:|---:|");
    for n in nets {
        for batch in [1u64, 1000] {
            for (label, ppp, rp, unl) in [
                (
                    "per image",
                    preset("compact/ppp")?,
                    preset("compact/rp")?,
                    preset("compact/unlimited")?,
                ),
                (
                    "per load",
                    per_load("compact/ppp")?,
                    per_load("compact/rp")?,
                    per_load("compact/unlimited")?,
                ),
            ] {
                let (p, r, u) = (
                    eval(&ppp, n, batch)?,
                    eval(&rp, n, batch)?,
                    eval(&unl, n, batch)?,
                );
                println!(
                    "| {n} | {batch} | {label} | {:.2}x | {:.3}x | {:.3}x | {:.3}x | {:.2}x |",
                    p.ops_per_s() / r.ops_per_s(),
                    p.ops_per_j() / r.ops_per_j(),
                    p.ops_per_s() / u.ops_per_s(),
                    p.ops_per_j() / u.ops_per_j(),
                    p.ops_per_s_per_mm2().unwrap_or(f64::NAN)
                        / u.ops_per_s_per_mm2().unwrap_or(f64::NAN),
                );
            }
        }
    }

    // Each artefact switch on its own, against the authors' setting.
    println!("\n## The artefact switches one at a time (compact/ppp)");
    println!("| switch | VGG-8 b1 Top/s | VGG-8 b1024 Top/s | VGG-8 b1024 Top/J | ResNet-50/C100 b64 Top/s | DRAM bits VGG-8 b1024 |");
    println!("|---|---:|---:|---:|---:|---:|");
    let switches: [Switch; 11] = [
        ("none (authors)", |_| {}),
        ("write_charge: PerLoad", |o| {
            o.write_charge = WriteCharge::PerLoad
        }),
        ("group_reads: Tensors", |o| {
            o.group_reads = GroupReads::Tensors
        }),
        ("group_writes: Tensors", |o| {
            o.group_writes = GroupWrites::Tensors
        }),
        ("counters: Exact", |o| o.counters = Counters::Exact),
        ("split: Corrected", |o| o.split = Split::Corrected),
        ("duplication_loop: Corrected", |o| {
            o.duplication_loop = DuplicationLoop::Corrected
        }),
        ("leakage: WholeChip", |o| o.leakage = Leakage::WholeChip),
        ("pipeline_fill: Counted", |o| {
            o.pipeline_fill = PipelineFill::Counted
        }),
        ("dram_overlap: DoubleBuffered", |o| {
            o.dram_overlap = DramOverlap::DoubleBuffered
        }),
        ("zeta_scope: OnChip", |o| o.zeta_scope = ZetaScope::OnChip),
    ];
    for (name, set) in &switches {
        let mut c = preset("compact/ppp")?;
        set(&mut c.options);
        let a = eval(&c, "vgg8-cifar10", 1)?;
        let b = eval(&c, "vgg8-cifar10", 1024)?;
        let r = eval(&c, "resnet50-cifar100", 64)?;
        println!(
            "| {name} | {:.3} | {:.3} | {:.2} | {:.3} | {:.4e} |",
            a.ops_per_s() / 1e12,
            b.ops_per_s() / 1e12,
            b.ops_per_j() / 1e12,
            r.ops_per_s() / 1e12,
            b.metrics["dram_bits"]
        );
    }

    // The cell technology: SRAM as released, RRAM with NeuroSim's write pulses.
    println!("\n## SRAM vs RRAM cells (VGG-8 on compact/ppp)");
    println!("| cell | writes | batch | reload time | reload energy | Top/s | Top/J |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    let rram = CellTechnology::Rram {
        pulse_width: pimzoo_core::units::Seconds::from_ns(50.0),
        pulses_full_range: 60,
        energy_per_pulse: pimzoo_core::units::Joules::from_pj(4.0),
        mean_range_fraction: 0.5,
    };
    for (cell_name, cell) in [("SRAM", CellTechnology::Sram), ("RRAM", rram)] {
        for (label, charge) in [
            ("per image", WriteCharge::PerImage),
            ("per load", WriteCharge::PerLoad),
        ] {
            for batch in [1u64, 1024] {
                let mut c = preset("compact/ppp")?;
                c.cell = cell.clone();
                c.options.write_charge = charge;
                let r = eval(&c, "vgg8-cifar10", batch)?;
                println!(
                    "| {cell_name} | {label} | {batch} | {} | {} | {:.3} | {:.3} |",
                    pimzoo_core::units::Seconds(r.metrics["weight_write_latency_s"]),
                    pimzoo_core::units::Joules(r.metrics["weight_write_energy_j"]),
                    r.ops_per_s() / 1e12,
                    r.ops_per_j() / 1e12
                );
            }
        }
    }

    // The authors' committed runs (simulation_result/), throughput and, where
    // their DRAM energy is not a stale constant, energy efficiency.
    println!("\n## The authors' committed runs");
    println!("| run | preset | network | batch | authors Top/s | model | error | authors Top/J | model | error |");
    println!("|---|---|---|---:|---:|---:|---:|---:|---:|---:|");
    let runs: [Run; 15] = [
        Run(
            "PPP_VGG8 4x4",
            "compact/ppp",
            None,
            "vgg8-cifar10",
            1,
            3.31997,
            Some(6.37288),
        ),
        Run(
            "RP_VGG8 4x4",
            "compact/rp",
            None,
            "vgg8-cifar10",
            1,
            1.2585,
            Some(6.3409),
        ),
        Run(
            "LP_VGG8 4x4",
            "compact/lp",
            None,
            "vgg8-cifar10",
            1,
            2.88402,
            Some(2.80241),
        ),
        Run(
            "FPP_VGG8 6x6",
            "compact/unlimited",
            None,
            "vgg8-cifar10",
            1,
            2.139,
            Some(5.980),
        ),
        Run(
            "RP_VGG8 6x6",
            "compact/unlimited",
            Some(Mode::RawProcessing),
            "vgg8-cifar10",
            1,
            0.370,
            Some(6.138),
        ),
        Run(
            "LP_VGG8 6x6",
            "compact/unlimited",
            Some(Mode::LayerByLayer),
            "vgg8-cifar10",
            1,
            1.692,
            Some(1.587),
        ),
        Run(
            "HT_VGG-8",
            "compact/ppp-ht",
            None,
            "vgg8-cifar10",
            1000,
            4.52734,
            Some(17.7222),
        ),
        Run(
            "HT_VGG-8 without DDM",
            "compact/ppp-noddm",
            None,
            "vgg8-cifar10",
            1000,
            2.523,
            None,
        ),
        Run(
            "Baseline_VGG-8",
            "compact/rp",
            None,
            "vgg8-cifar10",
            1000,
            1.397,
            None,
        ),
        Run(
            "HT_LeNet",
            "compact/ppp",
            None,
            "lenet5-cifar10",
            1000,
            0.190616,
            None,
        ),
        Run(
            "Baseline_LeNet",
            "compact/rp",
            None,
            "lenet5-cifar10",
            1000,
            0.0599473,
            None,
        ),
        Run(
            "HT_ResNet-18",
            "compact/ppp",
            None,
            "resnet18-cifar10",
            1000,
            1.30563,
            None,
        ),
        Run(
            "Baseline_ResNet-18",
            "compact/rp",
            None,
            "resnet18-cifar10",
            1000,
            0.548376,
            None,
        ),
        Run(
            "HT_AlexNet",
            "compact/ppp",
            None,
            "alexnet-cifar10",
            1000,
            2.38259,
            None,
        ),
        Run(
            "Baseline_AlexNet",
            "compact/rp",
            None,
            "alexnet-cifar10",
            1,
            0.465351,
            Some(0.545417),
        ),
    ];
    for Run(run, id, mode, network, batch, tops, tops_per_w) in runs {
        let mut c = preset(id)?;
        if let Some(m) = mode {
            c.mode = m;
        }
        let r = eval(&c, network, batch)?;
        let (t, e) = (r.ops_per_s() / 1e12, r.ops_per_j() / 1e12);
        let (ae, me, ee) = match tops_per_w {
            Some(w) => (
                format!("{w}"),
                format!("{e:.3}"),
                format!("{:+.1} %", 100.0 * (e / w - 1.0)),
            ),
            None => ("-".into(), "-".into(), "-".into()),
        };
        println!(
            "| {run} | {id}{} | {network} | {batch} | {tops} | {t:.3} | {:+.1} % | {ae} | {me} | {ee} |",
            mode.map(|m| format!(" ({m:?})")).unwrap_or_default(),
            100.0 * (t / tops - 1.0)
        );
    }

    // The H200 rows of shared/data/gpu-h200.json (VGG-8 inference).
    println!("\n## Compact chip vs measured H200 (VGG-8)");
    println!("| batch | compact/ppp Top/s | H200 fp32 Top/s | H200 bf16 Top/s | ratio fp32 | ratio bf16 | compact Top/J | H200 fp32 Top/J | H200 bf16 Top/J |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let ops = 1_231_835_136.0;
    let measured: [GpuRow; 3] = [
        GpuRow(1, 1744.3826952379175, 1540.0232404892693, None, None),
        GpuRow(64, 28428.667165915278, 96169.09652666091, None, None),
        GpuRow(
            1024,
            32732.31549150993,
            178343.5354892285,
            Some(21.0503),
            Some(2.22145),
        ),
    ];
    let ppp = preset("compact/ppp")?;
    for GpuRow(batch, fp32, bf16, j32, j16) in measured {
        let r = eval(&ppp, "vgg8-cifar10", batch)?;
        let g32 = fp32 * ops;
        let g16 = bf16 * ops;
        let e = |j: Option<f64>| {
            j.map(|j| format!("{:.3}", ops * batch as f64 / j / 1e12))
                .unwrap_or_else(|| "-".into())
        };
        println!(
            "| {batch} | {:.2} | {:.2} | {:.2} | {:.3} | {:.3} | {:.2} | {} | {} |",
            r.ops_per_s() / 1e12,
            g32 / 1e12,
            g16 / 1e12,
            r.ops_per_s() / g32,
            r.ops_per_s() / g16,
            r.ops_per_j() / 1e12,
            e(j32),
            e(j16)
        );
    }
    Ok(())
}
