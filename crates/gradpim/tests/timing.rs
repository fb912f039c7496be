//! The schedule the DDR4 model makes of the GradPIM command streams keeps
//! the timing rules, and the accounting of commands, bytes and energy adds up.
mod common;
use common::model;
use pimzoo_core::{Optimizer, Precision};
use pimzoo_gradpim::timing::System;
use std::collections::HashMap;

fn setup(
    name: &str,
    precision: &str,
) -> (pimzoo_gradpim::GradPim, pimzoo_gradpim::compiler::Program) {
    let m = model(name);
    let p: Precision = precision.parse().unwrap();
    let program = m
        .program(&Optimizer::from_name("momentum").unwrap(), &p)
        .unwrap();
    (m, program)
}

#[test]
fn the_units_schedule_keeps_the_bank_group_and_bus_rules() {
    for name in ["v1", "v2"] {
        let (m, program) = setup(name, "8/32");
        let sim = m.update_sim(&program);
        let bursts = 2048;
        let (tally, log, set) = sim.command_log(&program, bursts).unwrap();
        let t = &m.memory().config.timing;
        let burst = m.memory().geometry.burst_cycles as u64;
        let name_of = |k| set.spec(k).name.as_str();
        let is_read = |n: &str| n == "PIM_SCALED_RD" || n == "PIM_QREG_RD";
        let is_write = |n: &str| n == "PIM_WRITEBACK" || n == "PIM_QREG_WR";
        // The last column command of each bank group, and whether it wrote.
        let mut last: HashMap<(u32, u32), (u64, bool)> = HashMap::new();
        // Commands per cycle on each command bus.
        let mut per_cycle: HashMap<(u64, u32), u32> = HashMap::new();
        let dimm_of = |rank: u32| {
            if sim.system == System::Buffered {
                rank / m.memory().ranks_per_dimm()
            } else {
                0
            }
        };
        for c in &log {
            *per_cycle.entry((c.cycle, dimm_of(c.rank))).or_default() += 1;
            let n = name_of(c.kind);
            if !(is_read(n) || is_write(n)) {
                continue;
            }
            if let Some(&(at, wrote)) = last.get(&(c.rank, c.bankgroup)) {
                let gap = c.cycle - at;
                assert!(
                    gap >= t.tCCD_L as u64,
                    "{name}: {n} {gap} cycles after the last column command"
                );
                if wrote && is_read(n) {
                    assert!(
                        gap >= burst + t.tWTR_L as u64,
                        "{name}: write-to-read {gap}"
                    );
                }
            }
            last.insert((c.rank, c.bankgroup), (c.cycle, is_write(n)));
        }
        assert!(
            per_cycle.values().all(|&n| n == 1),
            "{name}: two commands in one slot"
        );
        // One command per step of every group, none lost.
        let pim: f64 = tally
            .commands
            .iter()
            .filter(|(k, _)| k.starts_with("PIM_"))
            .map(|(_, n)| n)
            .sum();
        assert_eq!(
            pim,
            (bursts / program.group as u64 * program.steps.len() as u64) as f64
        );
        // No data on the channel; every column command moves a burst inside.
        assert_eq!(tally.external_bytes, 0.0);
        let (reads, writes, _) = program.class_counts();
        let per_group = (reads + writes) as f64 * 64.0;
        assert_eq!(
            tally.internal_bytes,
            per_group * (bursts / program.group as u64) as f64
        );
    }
}

#[test]
fn direct_is_command_bus_bound_and_buffered_is_not() {
    let (m, program) = setup("v1", "8/32");
    let t = m.update_sim(&program).run(&program, 40_000).unwrap();
    assert!(t.bus_utilization() > 0.97, "{}", t.bus_utilization());
    // 11.5 slots per burst plus row and refresh commands.
    let cycles_per_burst = t.cycles / 40_000.0;
    assert!(
        (11.5..12.0).contains(&cycles_per_burst),
        "{cycles_per_burst}"
    );
    let (m2, program) = setup("v2", "8/32");
    let t2 = m2.update_sim(&program).run(&program, 40_000).unwrap();
    assert_eq!(t2.buses, 4.0);
    // Four buses, but the bank groups' column timing binds before they fill.
    assert!(t2.bus_utilization() < 0.9, "{}", t2.bus_utilization());
    let gain = t.cycles / t2.cycles;
    assert!(gain > 2.0 && gain < 4.0, "{gain}");
}

#[test]
fn the_baseline_stream_is_within_the_channels_limits() {
    let (m, program) = setup("baseline", "8/32");
    let t = m.update_sim(&program).run(&program, 40_000).unwrap();
    let seconds = t.cycles * m.memory().config.timing.tCK * 1e-9;
    let bw = t.external_bytes / seconds;
    assert!(
        bw < m.external_peak() && bw > 0.8 * m.external_peak(),
        "{bw}"
    );
    // Reads and writes of theta, v (4 bursts each per group), g and Q(theta).
    let groups = 40_000.0 / 4.0;
    assert!((t.count("RD") - groups * 9.0).abs() < 1.0);
    assert!((t.count("WR") - groups * 9.0).abs() < 1.0);
    // A column command at most every tCCD_S = 4 cycles: at most a quarter of
    // the slots, plus row commands.
    assert!(t.bus_utilization() < 0.26, "{}", t.bus_utilization());
}

#[test]
fn unit_energy_is_booked_once() {
    let (m, program) = setup("v1", "8/32");
    let sim = m.update_sim(&program);
    let t = sim.simulate(&program, 4096).unwrap();
    // The channel booked every PIM kind at its spec energy.
    let e = sim.unit_energy;
    let rd = pimzoo_tech::dram::ActionEnergy::from_config(&m.memory().config);
    let expect = (t.count("PIM_SCALED_RD"))
        * (rd.read.value() * e.column_fraction + e.scaler.value())
        + t.count("PIM_QREG_RD") * rd.read.value() * e.column_fraction
        + (t.count("PIM_WRITEBACK") + t.count("PIM_QREG_WR"))
            * rd.write.value()
            * e.column_fraction
        + (t.count("PIM_DEQUANT") + t.count("PIM_QUANT") + t.count("PIM_ADD") + t.count("PIM_SUB"))
            * e.alu.value();
    let booked: f64 = t
        .energy
        .iter()
        .filter(|(k, _)| k.starts_with("PIM_"))
        .map(|(_, j)| j)
        .sum();
    assert!(
        (booked - expect).abs() <= 1e-9 * expect,
        "{booked} vs {expect}"
    );
}
