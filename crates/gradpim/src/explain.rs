//! What a GradPIM preset is, in words and numbers (`cargo xtask explain`).
use crate::model::{bandwidth, GradPim};
use crate::timing::System;
use pimzoo_core::units::engineering;
use pimzoo_core::ArchInfo;

/// The model in words, shared by every preset.
pub const EXPLANATION: &str = "\
GradPIM (Kim et al., HPCA 2021) offloads the weight update of training to DDR4 DRAM. One unit per bank group \
(4 per x8 chip, in lockstep over the 8 chips of a rank) sits at the bank group's I/O gating with two \
high-precision registers T0, T1 and a quantization register Q; a scaler on the read path multiplies by one of \
4 factors of the form 2^m +- 2^n. The memory controller drives it with the 7 sub-operations of the DDR4 RFU \
command (scaled read, dequantize, quantize, write-back, Q-register load/store, add, subtract), one command \
slot each. theta, v, g and Q(theta) sit in banks 0-3 of every bank group. The update compiler derives the \
command sequence of SGD or momentum SGD with weight decay from the truth table, in PyTorch's order of \
rounding (d = g + lambda theta; v' = mu v + d; theta' = theta - eta v'; Q(theta') = quantize(theta')): \
11.5 slots per 16 fp32 parameters for momentum with weight decay in 8/32, no command merging. The \
sequence, one in-order stream per unit, runs on the command-level DDR4-2133 model (pimzoo_tech::dram: \
tRCD, tCCD_L, internal write-to-read BL/2 + tWTR_L, tRTP, tWR, tFAW, refresh, one command per clock on the \
bus). Systems: baseline (the host NPU streams theta, v, g in and theta, v, Q(theta) out through the \
FR-FCFS controller), GradPIM-Direct v1 (all units on the channel's one command bus), GradPIM-Buffered v2 \
(a buffer device gives each DIMM its own command bus), TensorDIMM-like (a buffer device per DIMM does the \
update over its DIMM's own DDR4 bus). Forward and backward run on the host NPU (256 x 256 \
multiplier-adder trees at 1 GHz) as a per-layer roofline against the same DRAM model's streaming \
bandwidth; element-wise layers are fused into their weight layer. The update of a whole network is \
simulated in full up to two rows per unit and otherwise scaled from two simulated steady-state windows \
(checked against full simulations). Energy: DRAMsim3 IDD energy per command and background, PIM logic per \
lane operation, NPU MACs. Equations, assumptions, the reproduction table: docs/models/gradpim.md.";

pub(crate) fn info(g: &GradPim) -> ArchInfo {
    let c = g.config();
    let m = g.memory();
    let t = &m.config.timing;
    let src = |k: &str| c.sources.get(k).cloned().unwrap_or_default();
    let dram_src = format!(
        "DRAM preset `{}` ({}), fixtures/configs/dram/",
        c.memory.dram, m.config.source
    );
    let system = match c.system {
        System::Baseline => "baseline: the NPU runs the update over the channel".to_string(),
        System::Direct => "GradPIM-Direct (v1): one command bus for all ranks".to_string(),
        System::Buffered => format!(
            "GradPIM-Buffered (v2): one command bus per DIMM, {} DIMMs",
            c.memory.dimms
        ),
        System::TensorDimm => format!(
            "TensorDIMM-like: a buffer device per DIMM, {} DIMMs",
            c.memory.dimms
        ),
    };
    let u = &c.unit;
    let n = &c.npu;
    let parameters = vec![
        ("system".to_string(), system, src("system")),
        (
            "memory".to_string(),
            format!(
                "{} x {} ranks ({} bank groups x {} banks, {} rows x {} bursts of {} B)",
                c.memory.dram,
                m.geometry.ranks,
                m.geometry.bankgroups,
                m.geometry.banks_per_group,
                m.geometry.rows,
                m.geometry.columns,
                m.geometry.request_bytes
            ),
            format!("{}; ranks: {}", src("memory/dram"), src("memory/ranks")),
        ),
        (
            "dimms".to_string(),
            c.memory.dimms.to_string(),
            src("memory/dimms"),
        ),
        (
            "DDR4 timing".to_string(),
            format!(
                "tCK {} ns, CL {}, tRCD {}, tCCD_S/L {}/{}, tWTR_S/L {}/{}, tWR {}, tRTP {}, tFAW {}, tRFC {}, tREFI {}",
                t.tCK, t.CL, t.tRCD, t.tCCD_S, t.tCCD_L, t.tWTR_S, t.tWTR_L, t.tWR, t.tRTP, t.tFAW, t.tRFC, t.tREFI
            ),
            dram_src.clone(),
        ),
        (
            "scaler".to_string(),
            format!(
                "2^m +- 2^n, m, n in {}..={}, |m - n| <= {}, 4 factors",
                u.scaler.min_exp, u.scaler.max_exp, u.scaler.max_span
            ),
            src("unit/scaler"),
        ),
        (
            "internal column energy".to_string(),
            format!("{} x a DDR4 burst", u.column_energy_fraction),
            src("unit/column_energy_fraction"),
        ),
        (
            "lane operation energy".to_string(),
            format!("fp32 {}, fp16 {}", u.lane_op_energy.fp32, u.lane_op_energy.fp16),
            src("unit/lane_op_energy"),
        ),
        (
            "ALU wait after a column read".to_string(),
            format!("{} cycles", u.alu_wait_cycles),
            src("unit/alu_wait_cycles"),
        ),
        (
            "NPU".to_string(),
            format!(
                "{} trees x {} multipliers at {} ({} MAC/s)",
                n.trees,
                n.tree_width,
                engineering(n.clock_hz, "Hz"),
                engineering(n.peak_macs(), "")
            ),
            format!(
                "{}; {}; {}",
                src("npu/trees"),
                src("npu/tree_width"),
                src("npu/clock_hz")
            ),
        ),
        (
            "NPU MAC energy".to_string(),
            format!(
                "int8 {}, fp16 {}, fp32 {}",
                n.mac_energy.int8, n.mac_energy.fp16, n.mac_energy.fp32
            ),
            src("npu/mac_energy"),
        ),
        (
            "simulation window".to_string(),
            format!("{} rows per unit", c.simulation.window_rows),
            src("simulation/window_rows"),
        ),
        (
            "internal peak bandwidth".to_string(),
            bandwidth(g.internal_peak()),
            "derived: units x 64 B / (tCCD_L x tCK)".to_string(),
        ),
        (
            "external peak bandwidth".to_string(),
            bandwidth(g.external_peak()),
            "derived: 64 B / (BL/2 x tCK)".to_string(),
        ),
    ];
    let units = if c.system.uses_units() {
        m.units() as f64
    } else {
        0.0
    };
    let buses = match c.system {
        System::Buffered | System::TensorDimm => c.memory.dimms as f64,
        _ => 1.0,
    };
    ArchInfo {
        family: "gradpim".into(),
        name: c.name.clone(),
        technology: format!(
            "DDR4 ({}), {} ranks, host NPU {}",
            c.memory.dram,
            m.geometry.ranks,
            engineering(2.0 * n.peak_macs(), "OP/s")
        ),
        source: c.source.clone(),
        area: None,
        peak_ops_per_s: Some(2.0 * n.peak_macs()),
        supports: "training only: SGD and momentum SGD with weight decay; precision 8/32, 16/32, \
                   8/16, 32/32 (and 16/16)"
            .into(),
        explanation: EXPLANATION.into(),
        parameters,
        figures: vec![
            (
                "internal_peak_bandwidth_bytes_per_s".into(),
                g.internal_peak(),
            ),
            (
                "external_peak_bandwidth_bytes_per_s".into(),
                g.external_peak(),
            ),
            ("pim_units".into(), units),
            ("command_buses".into(), buses),
            ("npu_peak_macs_per_s".into(), n.peak_macs()),
        ],
    }
}
