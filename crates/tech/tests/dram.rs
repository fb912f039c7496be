//! The DDR4 model: configuration files, timing rules read off the command
//! log, energy by hand, user command kinds, controller behaviour, idle
//! skipping. The comparison with DRAMsim3 is in `dram_dramsim3.rs`.
mod common;

use pimzoo_tech::dram::*;
use proptest::prelude::*;
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/dram")
        .join(name)
}

fn ddr4_2133() -> DramConfig {
    preset("ddr4-2133-x8-8gb").unwrap()
}

/// A 2133 configuration with refresh pushed out of the way of short tests.
fn no_refresh() -> DramConfig {
    let mut c = ddr4_2133();
    c.timing.tREFI = 4_000_000_000;
    c
}

fn log_of(cfg: &DramConfig, commands: &[(usize, Command)]) -> Vec<IssuedCommand> {
    let mut ch = Channel::new(cfg).unwrap();
    ch.record_commands(true);
    for (s, c) in commands {
        ch.push_command(*s, *c).unwrap();
    }
    ch.run().unwrap();
    ch.take_command_log()
}

fn cmd(kind: CommandKind, rank: u32, bankgroup: u32, bank: u32, row: u32) -> Command {
    Command {
        kind,
        rank,
        bankgroup,
        bank,
        row,
        column: 0,
    }
}

fn cycle_of(log: &[IssuedCommand], n: usize, kind: CommandKind) -> u64 {
    log.iter()
        .filter(|c| c.kind == kind)
        .nth(n)
        .unwrap_or_else(|| panic!("no {kind:?} number {n} in {log:?}"))
        .cycle
}

// ---------------------------------------------------------------- configurations

#[test]
fn every_dramsim3_file_parses_unchanged() {
    for name in [
        "DDR4_8Gb_x8_2133.ini",
        "DDR4_8Gb_x8_3200.ini",
        "LPDDR4_8Gb_x16_2400.ini",
        "HMC_2GB_4Lx16.ini",
        "HMC2_8GB_4Lx16.ini",
    ] {
        let text = std::fs::read_to_string(fixture(name)).unwrap();
        let ini = ini::IniFile::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(ini.get("dram_structure", "protocol").is_some(), "{name}");
        let loaded = DramConfig::load(&fixture(name));
        if name.starts_with("HMC") {
            // A Hybrid Memory Cube is not a DDR channel: said so by name.
            let e = loaded.unwrap_err().to_string();
            assert!(
                e.contains("dram_structure.protocol") && e.contains("HMC"),
                "{e}"
            );
        } else {
            let cfg = loaded.unwrap_or_else(|e| panic!("{e}"));
            // It runs.
            let mut ch = Channel::new(&cfg).unwrap();
            ch.enqueue(Request::read(0));
            assert_eq!(ch.run().unwrap().reads, 1);
        }
    }
}

#[test]
fn presets_are_the_dramsim3_files() {
    for (preset_name, ini) in [
        ("ddr4-2133-x8-8gb", "DDR4_8Gb_x8_2133.ini"),
        ("ddr4-3200-x8-8gb", "DDR4_8Gb_x8_3200.ini"),
    ] {
        let p = preset(preset_name).unwrap();
        let i = DramConfig::load(&fixture(ini)).unwrap();
        assert_eq!(p.dram_structure, i.dram_structure, "{preset_name}");
        assert_eq!(p.timing, i.timing, "{preset_name}");
        assert_eq!(p.power, i.power, "{preset_name}");
        assert_eq!(p.system, i.system, "{preset_name}");
        let g = p.geometry();
        assert_eq!((g.ranks, g.columns, g.request_bytes), (2, 128, 64));
    }
}

fn ini_2133() -> String {
    std::fs::read_to_string(fixture("DDR4_8Gb_x8_2133.ini")).unwrap()
}

fn ini_error(text: &str) -> String {
    DramConfig::from_ini(text, "test", "test")
        .unwrap_err()
        .to_string()
}

#[test]
fn a_missing_ini_field_is_named() {
    let text = ini_2133().replace("tRCD = 16\n", "");
    let e = ini_error(&text);
    assert!(e.contains("timing.tRCD") && e.contains("missing"), "{e}");
    let text = ini_2133().replace("IDD4R = 125\n", "");
    assert!(ini_error(&text).contains("power.IDD4R"));
}

#[test]
fn a_bad_ini_value_is_named_with_its_line() {
    let text = ini_2133().replace("tRCD = 16", "tRCD = sixteen");
    let line = text.lines().position(|l| l.contains("sixteen")).unwrap() + 1;
    let e = ini_error(&text);
    assert!(
        e.contains(&format!("line {line}")) && e.contains("timing.tRCD"),
        "{e}"
    );
    let text = ini_2133().replace("rows = 65536", "rows = 65000");
    let e = ini_error(&text);
    assert!(
        e.contains("dram_structure.rows") && e.contains("power of two"),
        "{e}"
    );
    let text = ini_2133().replace(
        "address_mapping = rochrababgco",
        "address_mapping = rochrababgxx",
    );
    assert!(ini_error(&text).contains("system.address_mapping"));
    let text = ini_2133().replace("tCCD_L = 6", "tCCD_L = 2");
    assert!(ini_error(&text).contains("timing.tCCD_L"));
    let text = ini_2133().replace("cmd_queue_size = 8", "cmd_queue_size = 65");
    let e = ini_error(&text);
    assert!(
        e.contains("system.cmd_queue_size") && e.contains("1 to 64"),
        "{e}"
    );
}

#[test]
fn unknown_and_unsupported_ini_fields_are_named() {
    let text = ini_2133().replace("tRCD = 16", "tRCD = 16\ntRCDD = 16");
    let e = ini_error(&text);
    assert!(e.contains("timing.tRCDD") && e.contains("unknown"), "{e}");
    let text = ini_2133().replace("OPEN_PAGE", "CLOSE_PAGE");
    assert!(ini_error(&text).contains("system.row_buf_policy"));
    let text = ini_2133().replace("PER_BANK", "PER_RANK");
    assert!(ini_error(&text).contains("system.queue_structure"));
}

#[test]
fn ron_errors_name_the_field() {
    let text = PRESETS[0].1;
    let e = DramConfig::from_ron(&text.replace("        tRCD: 16,\n", ""))
        .unwrap_err()
        .to_string();
    assert!(e.contains("tRCD"), "{e}");
    let e = DramConfig::from_ron(&text.replace("rows: 65536", "rows: 1000"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("dram_structure.rows"), "{e}");
    let e = DramConfig::from_ron(&text.replace("tRCD: 16", "tRCD: -1"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("line"), "{e}");
    let e = DramConfig::from_ron(
        &text
            .replace("PerDimm", "Shared")
            .replace("command_bus: Shared", "command_bus: PerDimm(3)"),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("system.command_bus"), "{e}");
}

#[test]
fn a_preset_survives_a_round_trip_through_ron() {
    let c = ddr4_2133();
    assert_eq!(DramConfig::from_ron(&c.to_ron()).unwrap(), c);
}

// ---------------------------------------------------------------- address mapping

proptest! {
    #[test]
    fn mappings_round_trip(line in 0u64..(16u64 << 30) / 64, gradpim in any::<bool>()) {
        let cfg = ddr4_2133();
        let spec = if gradpim { AddressMapping::GRADPIM } else { AddressMapping::DRAMSIM3_DDR4 };
        let m = AddressMapping::parse(spec, &cfg.geometry()).unwrap();
        let addr = line * 64;
        prop_assert_eq!(m.encode(&m.decode(addr)), addr);
        let loc = m.decode(addr + 17);
        prop_assert_eq!(loc, m.decode(addr));
    }
}

#[test]
fn gradpim_mapping_puts_each_array_in_one_bank_index() {
    let mut cfg = ddr4_2133();
    cfg.system.channel_size = 32768; // GradPIM's 4 ranks
    let m = AddressMapping::parse(AddressMapping::GRADPIM, &cfg.geometry()).unwrap();
    // Bank | Row | BG | Column | byte: 8 KB rows rotate over the 4 bank
    // groups, and a bank index spans 2 GB of a rank.
    for (addr, bg, bank, row) in [
        (0u64, 0, 0, 0),
        (8 << 10, 1, 0, 0),
        (32 << 10, 0, 0, 1),
        (2 << 30, 0, 1, 0),
    ] {
        let l = m.decode(addr);
        assert_eq!(
            (l.bankgroup, l.bank, l.row, l.rank),
            (bg, bank, row, 0),
            "{addr}"
        );
    }
    assert_eq!(m.decode(8 << 30).rank, 1);
}

// ---------------------------------------------------------------- timing rules

#[test]
fn act_to_column_waits_trcd_and_columns_wait_tccd() {
    let c = no_refresh();
    let t = &c.timing;
    use CommandKind as K;
    // Two reads in bank group 0, then two in groups 0 and 1 of another row.
    let log = log_of(
        &c,
        &[
            (0, cmd(K::RD, 0, 0, 0, 5)),
            (0, cmd(K::RD, 0, 0, 0, 5)),
            (0, cmd(K::RD, 0, 1, 0, 7)),
        ],
    );
    let act = cycle_of(&log, 0, K::ACT);
    let rd0 = cycle_of(&log, 0, K::RD);
    let rd1 = cycle_of(&log, 1, K::RD);
    let rd2 = cycle_of(&log, 2, K::RD);
    assert_eq!(rd0 - act, t.tRCD as u64);
    assert_eq!(rd1 - rd0, t.tCCD_L as u64, "same bank group: tCCD_L");
    // The second ACT (bank group 1) waits tRRD_S after the first, its RD
    // tRCD after it, and tCCD_S after the previous RD.
    let act1 = cycle_of(&log, 1, K::ACT);
    assert!(act1 - act >= t.tRRD_S as u64);
    assert_eq!(rd2, (act1 + t.tRCD as u64).max(rd1 + t.tCCD_S as u64));
}

#[test]
fn bank_groups_interleave_at_tccd_s() {
    let c = no_refresh();
    use CommandKind as K;
    let mut cmds = Vec::new();
    for i in 0..8 {
        cmds.push((i % 4, cmd(K::RD, 0, (i % 4) as u32, 0, 1)));
    }
    let log = log_of(&c, &cmds);
    let rds: Vec<u64> = log
        .iter()
        .filter(|x| x.kind == K::RD)
        .map(|x| x.cycle)
        .collect();
    for w in rds.windows(2) {
        assert!(w[1] - w[0] >= c.timing.tCCD_S as u64);
    }
    // After the activations, reads to four groups go every tCCD_S, and each
    // group keeps tCCD_L.
    assert_eq!(rds[7] - rds[4], 3 * c.timing.tCCD_S as u64, "{rds:?}");
}

#[test]
fn four_activate_window() {
    let c = no_refresh();
    let t = &c.timing;
    use CommandKind as K;
    let cmds: Vec<(usize, Command)> = (0..5)
        .map(|i| (i, cmd(K::ACT, 0, (i % 4) as u32, (i / 4) as u32, 3)))
        .collect();
    let log = log_of(&c, &cmds);
    let acts: Vec<u64> = log.iter().map(|x| x.cycle).collect();
    assert_eq!(acts.len(), 5);
    assert!(acts[4] - acts[0] >= t.tFAW as u64, "{acts:?}");
    assert_eq!(acts[4], acts[0] + t.tFAW as u64, "{acts:?}");
    for w in acts.windows(2) {
        assert!(w[1] - w[0] >= t.tRRD_S as u64);
    }
}

#[test]
fn write_to_read_and_read_to_write_turnarounds() {
    let c = no_refresh();
    let t = &c.timing;
    let burst = c.geometry().burst_cycles as u64;
    use CommandKind as K;
    let log = log_of(
        &c,
        &[
            (0, cmd(K::WR, 0, 0, 0, 1)),
            (0, cmd(K::RD, 0, 0, 0, 1)),
            (0, cmd(K::WR, 0, 1, 0, 1)),
        ],
    );
    let wr = cycle_of(&log, 0, K::WR);
    let rd = cycle_of(&log, 0, K::RD);
    let wr2 = cycle_of(&log, 1, K::WR);
    assert_eq!(rd - wr, (t.CWL + t.AL) as u64 + burst + t.tWTR_L as u64);
    assert!(wr2 - rd >= (t.CL + t.AL) as u64 + burst + t.tRTRS as u64 - t.CWL as u64);
}

#[test]
fn precharge_waits_for_tras_trtp_and_twr() {
    let c = no_refresh();
    let t = &c.timing;
    use CommandKind as K;
    // Row 1 then row 2 of one bank: ACT, RD, PRE, ACT, RD.
    let log = log_of(
        &c,
        &[(0, cmd(K::RD, 0, 0, 0, 1)), (0, cmd(K::RD, 0, 0, 0, 2))],
    );
    let act = cycle_of(&log, 0, K::ACT);
    let rd = cycle_of(&log, 0, K::RD);
    let pre = cycle_of(&log, 0, K::PRE);
    let act2 = cycle_of(&log, 1, K::ACT);
    assert_eq!(pre, (act + t.tRAS as u64).max(rd + t.tRTP as u64));
    assert_eq!(
        act2,
        (pre + t.tRP as u64).max(act + (t.tRAS + t.tRP) as u64)
    );
    // After a write, tWR from the end of the data.
    let log = log_of(
        &c,
        &[(0, cmd(K::WR, 0, 0, 0, 1)), (0, cmd(K::WR, 0, 0, 0, 2))],
    );
    let wr = cycle_of(&log, 0, K::WR);
    let pre = cycle_of(&log, 0, K::PRE);
    let burst = c.geometry().burst_cycles as u64;
    assert_eq!(pre, wr + t.CWL as u64 + burst + t.tWR as u64);
}

#[test]
fn one_command_per_cycle_per_bus_and_bursts_never_overlap() {
    let c = no_refresh();
    let mut ch = Channel::new(&c).unwrap();
    ch.record_commands(true);
    let r = ch
        .run_source(
            Pattern::Random {
                n: 5000,
                write_fraction: 0.3,
                seed: 3,
            }
            .requests(16 << 30, 64),
        )
        .unwrap();
    let log = ch.take_command_log();
    for w in log.windows(2) {
        assert!(w[1].cycle > w[0].cycle, "shared command bus: {w:?}");
    }
    let burst = c.geometry().burst_cycles as u64;
    let mut data: Vec<(u64, u64)> = log
        .iter()
        .filter_map(|x| match x.kind {
            CommandKind::RD => Some(x.cycle + c.timing.CL as u64),
            CommandKind::WR => Some(x.cycle + c.timing.CWL as u64),
            _ => None,
        })
        .map(|s| (s, s + burst))
        .collect();
    data.sort();
    for w in data.windows(2) {
        assert!(w[1].0 >= w[0].1, "data bursts overlap: {w:?}");
    }
    assert!(r.data_bus_utilization <= 1.0 && r.command_bus_utilization[0] <= 1.0);
    assert_eq!(
        r.count(CommandKind::RD)
            + r.count(CommandKind::WR)
            + r.count(CommandKind::ACT)
            + r.count(CommandKind::PRE),
        log.len() as u64
    );
}

#[test]
fn refresh_every_trefi_per_rank() {
    let c = ddr4_2133();
    let mut ch = Channel::new(&c).unwrap();
    ch.record_commands(true);
    let until = 1_000_000u64;
    let r = ch.run_until(until).unwrap();
    let interval = (c.timing.tREFI / c.geometry().ranks) as u64;
    assert_eq!(r.count(CommandKind::REF), until / interval);
    assert_eq!(r.cycles, until);
    // Idle cycles are skipped: a handful of steps per refresh, not one per cycle.
    assert!(
        r.events < 4 * r.count(CommandKind::REF) + 10,
        "{} steps",
        r.events
    );
    // REF to ACT waits tRFC.
    let mut ch = Channel::new(&c).unwrap();
    ch.record_commands(true);
    ch.enqueue(Request::read(0).at(interval));
    ch.run().unwrap();
    let log = ch.take_command_log();
    let rf = cycle_of(&log, 0, CommandKind::REF);
    let act = cycle_of(&log, 0, CommandKind::ACT);
    assert_eq!((log[0].kind, rf), (CommandKind::REF, interval));
    assert_eq!(act, rf + c.timing.tRFC as u64);
}

#[test]
fn idle_time_costs_no_steps() {
    let c = no_refresh();
    let mut ch = Channel::new(&c).unwrap();
    ch.enqueue(Request::read(0));
    ch.enqueue(Request::read(64).at(10_000_000_000));
    let r = ch.run().unwrap();
    assert!(r.cycles > 10_000_000_000);
    assert!(r.events < 50, "{} steps", r.events);
}

// ---------------------------------------------------------------- energy

#[test]
fn energy_by_hand() {
    let c = no_refresh();
    let e = ActionEnergy::from_config(&c);
    let (t, p) = (&c.timing, &c.power);
    let tck = t.tCK * 1e-9;
    let n = 8.0; // x8 devices on a 64-bit bus
    let act = p.VDD * 1e-3 * (p.IDD0 * 52.0 - (p.IDD3N * 36.0 + p.IDD2N * 16.0)) * tck * n;
    let rd = p.VDD * 1e-3 * (p.IDD4R - p.IDD3N) * 4.0 * tck * n;
    assert!((e.activate.value() - act).abs() < 1e-18);
    assert!((e.read.value() - rd).abs() < 1e-18);
    // One read: admitted at cycle 0, in its command queue from cycle 1,
    // ACT at 1, RD tRCD later, data CL later for 4 cycles; the row stays open.
    let mut ch = Channel::new(&c).unwrap();
    ch.enqueue(Request::read(0));
    let r = ch.run().unwrap();
    assert_eq!(r.cycles, 1 + (t.tRCD + t.CL + 4) as u64);
    assert!((r.energy.activate_precharge.value() - act).abs() < 1e-18);
    assert!((r.energy.read.value() - rd).abs() < 1e-18);
    // Rank 0 active from the ACT at cycle 1, rank 1 precharged throughout.
    let cycles = r.cycles as f64;
    let bg = (e.active_standby.value() * (cycles - 1.0)
        + e.precharge_standby.value() * (cycles + 1.0))
        * tck;
    assert!((r.energy.background.value() - bg).abs() < 1e-15);
    let sum: f64 = r.energy.components().iter().map(|(_, j)| j.value()).sum();
    assert!((sum - r.energy.total().value()).abs() < 1e-18);
}

// ---------------------------------------------------------------- user command kinds

fn pim_set(cfg: &DramConfig) -> (CommandSet, CommandKind, CommandKind) {
    common::pim_set(cfg, 1)
}

#[test]
fn pim_commands_take_command_slots_not_the_data_bus() {
    let mut cfg = no_refresh();
    cfg.system.channel_size = 32768; // 4 ranks, as GradPIM
    let (set, pim_rd, add) = pim_set(&cfg);
    let mut ch = Channel::with_commands(&cfg, set).unwrap();
    ch.record_commands(true);
    // One stream per bank group of every rank: 16 column reads each.
    let per_stream = 64;
    for rank in 0..4 {
        for bg in 0..4 {
            let s = (rank * 4 + bg) as usize;
            for i in 0..per_stream {
                let c = Command {
                    kind: if i % 2 == 0 { pim_rd } else { add },
                    rank,
                    bankgroup: bg,
                    bank: 0,
                    row: 9,
                    column: i,
                };
                ch.push_command(s, c).unwrap();
            }
        }
    }
    let r = ch.run().unwrap();
    let log = ch.take_command_log();
    assert_eq!(r.count(pim_rd), 16 * per_stream as u64 / 2);
    assert_eq!(r.count(add), 16 * per_stream as u64 / 2);
    assert_eq!(r.count(CommandKind::ACT), 16);
    assert_eq!(r.data_bus_utilization, 0.0);
    // Sixteen bank groups each able to take a column command every tCCD_L:
    // the one command bus is the bottleneck, busy nearly every cycle.
    assert!(
        r.command_bus_utilization[0] > 0.9,
        "{:?}",
        r.command_bus_utilization
    );
    // Within a bank group, PIM reads keep tCCD_L.
    let same: Vec<u64> = log
        .iter()
        .filter(|x| x.kind == pim_rd && x.rank == 0 && x.bankgroup == 0)
        .map(|x| x.cycle)
        .collect();
    for w in same.windows(2) {
        assert!(w[1] - w[0] >= cfg.timing.tCCD_L as u64);
    }
    // Their energy is booked under their own names.
    let names: Vec<&str> = r.energy.user.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, vec!["PIM_RD", "PIM_ADD"]);
    assert_eq!(r.energy.read.value(), 0.0);
}

#[test]
fn a_command_bus_per_dimm_doubles_the_command_rate() {
    let mut cfg = no_refresh();
    cfg.system.channel_size = 32768;
    let run = |bus: CommandBus| {
        let mut cfg = cfg.clone();
        cfg.system.command_bus = bus;
        let (set, _, add) = pim_set(&cfg);
        let mut ch = Channel::with_commands(&cfg, set).unwrap();
        for rank in 0..4u32 {
            for i in 0..1000 {
                ch.push_command(
                    rank as usize,
                    Command {
                        kind: add,
                        rank,
                        bankgroup: 0,
                        bank: 0,
                        row: 0,
                        column: i,
                    },
                )
                .unwrap();
            }
        }
        ch.run().unwrap()
    };
    let shared = run(CommandBus::Shared);
    let per_dimm = run(CommandBus::PerDimm(2));
    assert_eq!(shared.cycles, 4000);
    assert_eq!(per_dimm.cycles, 2000);
    assert_eq!(per_dimm.command_bus_utilization, vec![1.0, 1.0]);
}

#[test]
fn user_kinds_with_several_slots_and_own_rules() {
    let cfg = no_refresh();
    let mut set = CommandSet::standard(&cfg);
    let wide = set
        .add_kind(KindSpec {
            name: "WIDE".into(),
            row: RowUse::Free,
            command_slots: 2,
            data_bus: None,
            energy: pimzoo_core::units::Joules::ZERO,
            component: EnergyComponent::Own,
        })
        .unwrap();
    set.add_rule(Rule::new(wide, wide, Scope::Rank, 10))
        .unwrap();
    assert!(set
        .add_kind(KindSpec {
            name: "WIDE".into(),
            ..set.spec(wide).clone()
        })
        .is_err());
    let mut ch = Channel::with_commands(&cfg, set).unwrap();
    ch.record_commands(true);
    for _ in 0..3 {
        ch.push_command(0, cmd(wide, 0, 0, 0, 0)).unwrap();
    }
    let r = ch.run().unwrap();
    let cycles: Vec<u64> = ch.take_command_log().iter().map(|x| x.cycle).collect();
    assert_eq!(cycles, vec![0, 10, 20]);
    assert_eq!(r.cycles, 22);
}

#[test]
fn explicit_protocol_errors_are_reported() {
    let cfg = no_refresh();
    let mut ch = Channel::new(&cfg).unwrap();
    assert!(ch
        .push_command(0, cmd(CommandKind::RD, 9, 0, 0, 0))
        .is_err());
    ch.push_command(0, cmd(CommandKind::ACT, 0, 0, 0, 1))
        .unwrap();
    ch.push_command(0, cmd(CommandKind::ACT, 0, 0, 0, 1))
        .unwrap();
    let e = ch.run().unwrap_err().to_string();
    assert!(e.contains("already open"), "{e}");
}

// ---------------------------------------------------------------- controller

#[test]
fn reads_of_pending_writes_are_forwarded_and_writes_merge() {
    let cfg = no_refresh();
    let mut ch = Channel::new(&cfg).unwrap();
    ch.enqueue(Request::write(4096));
    ch.enqueue(Request::write(4096 + 8));
    ch.enqueue(Request::read(4096));
    let r = ch.run().unwrap();
    assert_eq!((r.reads, r.forwarded_reads), (1, 1));
    assert_eq!((r.writes, r.merged_writes), (2, 1));
    assert_eq!(r.count(CommandKind::WR), 1);
    assert_eq!(r.count(CommandKind::RD), 0);
}

#[test]
fn a_write_never_passes_a_read_of_the_same_burst() {
    let cfg = no_refresh();
    let mut ch = Channel::new(&cfg).unwrap();
    ch.record_commands(true);
    // Fill the write buffer so that it drains while the read waits.
    ch.enqueue(Request::read(0));
    for i in 0..40 {
        ch.enqueue(Request::write(i * 64));
    }
    ch.run().unwrap();
    let log = ch.take_command_log();
    let rd = log.iter().position(|x| x.kind == CommandKind::RD).unwrap();
    let first_wr_same_row = log.iter().position(|x| x.kind == CommandKind::WR).unwrap();
    assert!(rd < first_wr_same_row, "{log:?}");
}

#[test]
fn streaming_reads_are_limited_by_tccd_l() {
    let cfg = no_refresh();
    let n = 20_000u64;
    let mut ch = Channel::new(&cfg).unwrap();
    let r = ch
        .run_source(
            Pattern::Stream {
                n,
                write_fraction: 0.0,
            }
            .requests(16 << 30, 64),
        )
        .unwrap();
    // 128 bursts per row and bank group; mostly one bank group at a time,
    // overlapping the next near the row's end: between tCCD_S and tCCD_L
    // cycles a burst.
    let per = r.cycles as f64 / n as f64;
    assert!(per > 4.0 && per < 6.0, "{per}");
    assert_eq!(r.reads, n);
    assert!(r.row_hits as f64 / n as f64 > 0.99);
}

#[test]
fn a_memory_system_splits_requests_by_channel() {
    let mut cfg = no_refresh();
    cfg.system.channels = 2;
    let mut sys = MemorySystem::new(&cfg).unwrap();
    let r = sys
        .run(|| {
            Pattern::Stream {
                n: 4096,
                write_fraction: 0.0,
            }
            .requests(32 << 30, 64)
        })
        .unwrap();
    assert_eq!(r.channels.len(), 2);
    assert_eq!(r.reads, 4096);
    assert_eq!(r.channels[0].reads + r.channels[1].reads, 4096);
}

#[test]
fn lpddr4_runs_with_tppd() {
    let cfg = DramConfig::load(&fixture("LPDDR4_8Gb_x16_2400.ini")).unwrap();
    let set = CommandSet::standard(&cfg);
    assert!(set
        .rules()
        .iter()
        .any(|r| r.from == CommandKind::PRE && r.to == CommandKind::PRE && r.cycles == 2));
    let mut ch = Channel::new(&cfg).unwrap();
    let r = ch
        .run_source(
            Pattern::Random {
                n: 2000,
                write_fraction: 0.5,
                seed: 9,
            }
            .requests(16 << 30, 128),
        )
        .unwrap();
    assert_eq!(r.reads + r.writes, 2000);
}

#[test]
fn both_arbitration_policies_serve_everything() {
    let mut cfg = no_refresh();
    let requests = || {
        Pattern::Random {
            n: 5000,
            write_fraction: 0.33,
            seed: 5,
        }
        .requests(16 << 30, 64)
    };
    let rr = Channel::new(&cfg).unwrap().run_source(requests()).unwrap();
    cfg.system.arbitration = Arbitration::OldestFirst;
    let oldest = Channel::new(&cfg).unwrap().run_source(requests()).unwrap();
    for r in [&rr, &oldest] {
        assert_eq!(r.count(CommandKind::RD), 3350);
        assert_eq!(r.count(CommandKind::WR), 1650);
    }
    // Row hits first keeps the data bus busier than plain turns.
    assert!(
        oldest.cycles <= rr.cycles,
        "{} vs {}",
        oldest.cycles,
        rr.cycles
    );
}
