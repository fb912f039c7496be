//! The update on the DDR4 command-level model (`pimzoo_tech::dram`): the
//! GradPIM command kinds and their timing rules, the data layout, the
//! command streams of the units, the request stream of the NPU (baseline)
//! and of the buffer device (TensorDIMM-like), and the scaling of a
//! simulated window to a whole network.
//!
//! Layout. Each array lives in one bank index of every bank group (theta:
//! bank 0, v: 1, g: 2, Q(theta): 3), as slide 12 draws it. The parameters
//! are split into one contiguous part per unit (bank group), as equal as
//! whole groups allow, so that every unit has the same work (an assumption
//! about the allocator: the slides show the per-rank layout Bank | Row | BG |
//! Column only). Within its bank group a part fills rows of 128 bursts (one
//! rank-wide row of 8 KB); the low-precision twins (g, Q(theta)) of `k`
//! master rows share one row of their banks, co-located in the same bank
//! group. Addresses use `AddressMapping::GRADPIM` (the rank above Bank |
//! Row | BG | Column); the timing depends only on the locations.
use crate::compiler::{Array, Program, Step};
use crate::isa::SubOp;
use pimzoo_core::units::Joules;
use pimzoo_tech::dram::{
    ActionEnergy, AddressMapping, Channel, ChannelReport, Command, CommandBus, CommandKind,
    CommandSet, DramConfig, DramError, EnergyComponent, Geometry, IssuedCommand, KindSpec,
    Location, Request, RowUse, Rule, Scope,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

/// How the update is run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum System {
    /// The NPU reads and writes every array over the channel.
    Baseline,
    /// GradPIM-Direct (v1): the units, driven over the channel's one
    /// command bus.
    Direct,
    /// GradPIM-Buffered (v2): a buffer device gives each DIMM its own
    /// command bus.
    Buffered,
    /// A TensorDIMM-like buffer device per DIMM computes the update, each
    /// over its DIMM's own DDR4 bus.
    TensorDimm,
}

impl System {
    pub fn uses_units(self) -> bool {
        matches!(self, System::Direct | System::Buffered)
    }
}

/// Energy of the unit's actions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UnitEnergy {
    /// Energy of an internal column access relative to an external burst
    /// of the same direction (IDD4R / IDD4W above active standby).
    pub column_fraction: f64,
    /// One scaled read's scaler (shift and add on every lane of the rank).
    pub scaler: Joules,
    /// One add, subtract, quantize or dequantize on every lane of the rank.
    pub alu: Joules,
}

/// The GradPIM command kinds of one command set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PimKinds {
    pub scaled_read: CommandKind,
    pub qreg_read: CommandKind,
    pub writeback: CommandKind,
    pub qreg_write: CommandKind,
    pub dequant: CommandKind,
    pub quant: CommandKind,
    pub add: CommandKind,
    pub sub: CommandKind,
}

impl PimKinds {
    pub fn of(&self, op: SubOp) -> CommandKind {
        match op {
            SubOp::ScaledRead { .. } => self.scaled_read,
            SubOp::QReg { write: false } => self.qreg_read,
            SubOp::Writeback { .. } => self.writeback,
            SubOp::QReg { write: true } => self.qreg_write,
            SubOp::DeQuant { .. } => self.dequant,
            SubOp::Quant { .. } => self.quant,
            SubOp::Add { .. } => self.add,
            SubOp::Sub { .. } => self.sub,
        }
    }
}

/// The standard DDR4 set plus the eight GradPIM kinds (the seven sub-ops,
/// the Q-register access counted once per direction) and their rules.
///
/// Column kinds use the bank array and the bank group's I/O, not the
/// channel's data bus:
/// - ACT to a column kind, same bank: tRCD; a read kind to PRE: tRTP; a
///   write kind to PRE: BL/2 + tWR (the data come from the unit, so the
///   write latency CWL does not apply: assumption).
/// - Column to column in one bank group: tCCD_L, in either direction
///   (the bank group's I/O carries one burst per tCCD_L); write to read:
///   BL/2 + tWTR_L (the internal write-to-read turnaround, again without CWL).
/// - Nothing between bank groups: each has its own I/O and unit, and the
///   shared global I/O (tCCD_S) is not used.
/// - Compute kinds take a command slot only; a read kind to a compute kind
///   in the same bank group waits `alu_wait` cycles (0: the unit pipelines
///   every sub-operation with one fixed latency, as a DDR device does its
///   reads and writes, so dependent commands may follow in the next slots).
pub fn command_set(
    cfg: &DramConfig,
    energy: &UnitEnergy,
    alu_wait: u32,
) -> Result<(CommandSet, PimKinds), DramError> {
    let mut set = CommandSet::standard(cfg);
    let e = ActionEnergy::from_config(cfg);
    let t = &cfg.timing;
    let g = cfg.geometry();
    let mut kind = |name: &str, row: RowUse, energy: Joules| {
        set.add_kind(KindSpec {
            name: name.into(),
            row,
            command_slots: 1,
            data_bus: None,
            energy,
            component: EnergyComponent::Own,
        })
    };
    let rd = e.read * energy.column_fraction;
    let wr = e.write * energy.column_fraction;
    let k = PimKinds {
        scaled_read: kind("PIM_SCALED_RD", RowUse::NeedsOpen, rd + energy.scaler)?,
        qreg_read: kind("PIM_QREG_RD", RowUse::NeedsOpen, rd)?,
        writeback: kind("PIM_WRITEBACK", RowUse::NeedsOpen, wr)?,
        qreg_write: kind("PIM_QREG_WR", RowUse::NeedsOpen, wr)?,
        dequant: kind("PIM_DEQUANT", RowUse::Free, energy.alu)?,
        quant: kind("PIM_QUANT", RowUse::Free, energy.alu)?,
        add: kind("PIM_ADD", RowUse::Free, energy.alu)?,
        sub: kind("PIM_SUB", RowUse::Free, energy.alu)?,
    };
    let burst = g.burst_cycles;
    let ccd_l = t.tCCD_L.max(burst);
    let reads = [k.scaled_read, k.qreg_read];
    let writes = [k.writeback, k.qreg_write];
    let compute = [k.dequant, k.quant, k.add, k.sub];
    let mut rules = Vec::new();
    for c in reads.iter().chain(&writes) {
        rules.push(Rule::new(CommandKind::ACT, *c, Scope::Bank, t.tRCD - t.AL));
    }
    for r in reads {
        rules.push(Rule::new(r, CommandKind::PRE, Scope::Bank, t.AL + t.tRTP));
        for r2 in reads {
            rules.push(Rule::new(r, r2, Scope::BankGroup, ccd_l));
        }
        for w in writes {
            rules.push(Rule::new(r, w, Scope::BankGroup, ccd_l));
        }
        if alu_wait > 0 {
            for c in compute {
                rules.push(Rule::new(r, c, Scope::BankGroup, alu_wait));
            }
        }
    }
    for w in writes {
        rules.push(Rule::new(w, CommandKind::PRE, Scope::Bank, burst + t.tWR));
        for w2 in writes {
            rules.push(Rule::new(w, w2, Scope::BankGroup, ccd_l));
        }
        for r in reads {
            rules.push(Rule::new(w, r, Scope::BankGroup, burst + t.tWTR_L));
        }
    }
    for r in rules.into_iter().filter(|r| r.cycles > 0) {
        set.add_rule(r)?;
    }
    Ok((set, k))
}

/// The channel, its layout, and what the simulations need.
#[derive(Clone, Debug)]
pub struct Memory {
    /// The channel of every system (all ranks, one command bus).
    pub config: DramConfig,
    pub geometry: Geometry,
    pub mapping: AddressMapping,
    /// DIMMs the ranks are on (Buffered and TensorDimm: one command bus or
    /// one buffer-device port each).
    pub dimms: u32,
    /// Everything above as text: the part of a cache key that names the memory.
    pub key: String,
}

impl Memory {
    /// A memory of `config` (its geometry and GradPIM's address mapping) on
    /// `dimms` DIMMs.
    pub fn new(config: DramConfig, dimms: u32) -> Result<Memory, DramError> {
        let geometry = config.geometry();
        let mapping = AddressMapping::parse(AddressMapping::GRADPIM, &geometry)
            .map_err(|message| DramError::Protocol { message })?;
        let key = format!("{config:?}|{dimms}");
        Ok(Memory {
            config,
            geometry,
            mapping,
            dimms,
            key,
        })
    }

    /// Units (bank groups of all ranks).
    pub fn units(&self) -> u32 {
        self.geometry.ranks * self.geometry.bankgroups
    }
    /// Bursts per chunk (one row of the rank).
    pub fn chunk_bursts(&self) -> u64 {
        self.geometry.columns as u64
    }
    pub fn ranks_per_dimm(&self) -> u32 {
        self.geometry.ranks / self.dimms
    }
    /// Rank and bank group of unit `u`.
    fn unit(&self, u: u32) -> (u32, u32) {
        let bgs = self.geometry.bankgroups;
        (u / bgs, u % bgs)
    }
    /// Groups of unit `u` when `groups` are split over the units: as equal as
    /// whole groups allow, the first units taking one more.
    fn unit_groups(&self, groups: u64, u: u32) -> u64 {
        let n = self.units() as u64;
        groups / n + u64::from((u as u64) < groups % n)
    }
}

/// Where the bursts of one group are: the unit and the group's index in it.
struct GroupPlace {
    rank: u32,
    bankgroup: u32,
    /// Row of the master arrays.
    row: u32,
    /// Column of the group's first master burst.
    column: u32,
    /// Row and column of the group's low-precision burst.
    low_row: u32,
    low_column: u32,
}

impl GroupPlace {
    fn new(mem: &Memory, program: &Program, u: u32, index: u64) -> GroupPlace {
        let (rank, bankgroup) = mem.unit(u);
        let cols = mem.chunk_bursts();
        let first = index * program.group as u64;
        GroupPlace {
            rank,
            bankgroup,
            row: (first / cols) as u32,
            column: (first % cols) as u32,
            low_row: (index / cols) as u32,
            low_column: (index % cols) as u32,
        }
    }

    /// The location a step touches (compute steps: the master row of bank 0).
    fn location(&self, program: &Program, step: &Step) -> Location {
        let (bank, row, column) = match step.array {
            None => (0, self.row, self.column),
            Some(a) if a.is_high(program) => (a.bank(), self.row, self.column + step.burst as u32),
            Some(a) => (a.bank(), self.low_row, self.low_column),
        };
        Location {
            channel: 0,
            rank: self.rank,
            bankgroup: self.bankgroup,
            bank,
            row,
            column,
        }
    }
}

/// Everything a run produced, as numbers that scale linearly with the work.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tally {
    /// Memory-clock cycles of the run (the slowest channel's).
    pub cycles: f64,
    /// Commands by kind name.
    pub commands: BTreeMap<String, f64>,
    /// Command-bus slots used, every bus.
    pub bus_slots: f64,
    /// Command buses.
    pub buses: f64,
    /// Bytes moved over DRAM data buses (channel or DIMM buses).
    pub external_bytes: f64,
    /// Bytes moved between banks and units inside the devices.
    pub internal_bytes: f64,
    /// Energy by component: `activate`, `read`, `write`, `refresh`,
    /// `background`, then the user kinds by name.
    pub energy: BTreeMap<String, f64>,
}

impl Tally {
    fn from_report(r: &ChannelReport, burst_bytes: f64, internal_kinds: &[&str]) -> Tally {
        let commands: BTreeMap<String, f64> = r
            .commands
            .iter()
            .map(|c| (c.kind.clone(), c.count as f64))
            .collect();
        let internal: f64 = internal_kinds
            .iter()
            .map(|k| commands.get(*k).copied().unwrap_or(0.0))
            .sum();
        let energy = r
            .energy
            .components()
            .into_iter()
            .map(|(name, j)| {
                let key = match name {
                    "activate/precharge" => "activate",
                    other => other,
                };
                (key.to_string(), j.value())
            })
            .collect();
        Tally {
            cycles: r.cycles as f64,
            bus_slots: r
                .command_bus_utilization
                .iter()
                .map(|u| u * r.cycles as f64)
                .sum(),
            buses: r.command_bus_utilization.len() as f64,
            external_bytes: (r.count(CommandKind::RD) + r.count(CommandKind::WR)) as f64
                * burst_bytes,
            internal_bytes: internal * burst_bytes,
            commands,
            energy,
        }
    }

    /// `a + (b - a) * t`, field by field (buses taken from `a`).
    fn lerp(a: &Tally, b: &Tally, t: f64) -> Tally {
        let map = |x: &BTreeMap<String, f64>, y: &BTreeMap<String, f64>| {
            x.keys()
                .chain(y.keys())
                .map(|k| {
                    let (u, v) = (
                        x.get(k).copied().unwrap_or(0.0),
                        y.get(k).copied().unwrap_or(0.0),
                    );
                    (k.clone(), u + (v - u) * t)
                })
                .collect()
        };
        let f = |u: f64, v: f64| u + (v - u) * t;
        Tally {
            cycles: f(a.cycles, b.cycles),
            commands: map(&a.commands, &b.commands),
            bus_slots: f(a.bus_slots, b.bus_slots),
            buses: a.buses,
            external_bytes: f(a.external_bytes, b.external_bytes),
            internal_bytes: f(a.internal_bytes, b.internal_bytes),
            energy: map(&a.energy, &b.energy),
        }
    }

    /// Every extensive quantity times `k` (cycles and buses unchanged).
    fn scale_work(mut self, k: f64) -> Tally {
        for v in self.commands.values_mut().chain(self.energy.values_mut()) {
            *v *= k;
        }
        self.bus_slots *= k;
        self.external_bytes *= k;
        self.internal_bytes *= k;
        self
    }

    pub fn count(&self, kind: &str) -> f64 {
        self.commands.get(kind).copied().unwrap_or(0.0)
    }

    /// Mean utilisation of the command buses.
    pub fn bus_utilization(&self) -> f64 {
        if self.cycles > 0.0 && self.buses > 0.0 {
            self.bus_slots / (self.cycles * self.buses)
        } else {
            0.0
        }
    }

    pub fn total_energy(&self) -> f64 {
        self.energy.values().sum()
    }
}

/// The kinds whose column accesses move data inside the devices.
const INTERNAL_KINDS: [&str; 4] = [
    "PIM_SCALED_RD",
    "PIM_QREG_RD",
    "PIM_WRITEBACK",
    "PIM_QREG_WR",
];

/// Runs of the update on one memory.
#[derive(Clone, Debug)]
pub struct UpdateSim {
    pub system: System,
    pub memory: Memory,
    pub unit_energy: UnitEnergy,
    pub alu_wait: u32,
    /// Rows per unit of the smaller simulated window, rounded up to whole
    /// periods (`group` master rows: one row of the low-precision arrays);
    /// the larger window is twice as long.
    pub window_rows: u32,
}

/// Steady-state fits already simulated, for every model of this process:
/// a fit depends only on the simulation's inputs (the key), not on the
/// network, and costs one or two tenths of a second to make.
static FITS: OnceLock<Mutex<HashMap<String, Fit>>> = OnceLock::new();

/// The runs of the two windows.
type Fit = Arc<(Tally, Tally)>;

impl UpdateSim {
    /// Master bursts of the two windows for `program`.
    pub fn window_bursts(&self, program: &Program) -> (u64, u64) {
        let k = program.group as u64;
        let rows = (self.window_rows.max(1) as u64).div_ceil(k) * k;
        let w = rows * self.memory.chunk_bursts() * self.memory.units() as u64;
        (w, 2 * w)
    }

    /// Master bursts simulated in full: up to two rows per unit (below,
    /// start-up and drain are a large part of the time and the line through
    /// the steady-state windows would miss them).
    pub fn exact_limit(&self) -> u64 {
        2 * self.memory.chunk_bursts() * self.memory.units() as u64
    }

    /// The update of `bursts` master bursts (a multiple of the program's
    /// group): simulated in full up to two rows per unit; beyond, the straight
    /// line through two simulated windows of whole periods. The update is
    /// periodic in rows and every unit has the same share, so its steady
    /// state is linear in the work (`tests/scaling.rs` checks the line
    /// against full simulations).
    pub fn run(&self, program: &Program, bursts: u64) -> Result<Tally, DramError> {
        if bursts <= self.exact_limit() {
            return self.simulate(program, bursts);
        }
        let (w1, w2) = self.window_bursts(program);
        let fit = self.fit(program)?;
        let t = (bursts as f64 - w1 as f64) / (w2 - w1) as f64;
        let mut tally = Tally::lerp(&fit.0, &fit.1, t);
        // A bus carries one command per cycle: where the line (within its
        // fraction of a per cent) would ask more of a saturated bus, the bus binds.
        if tally.buses > 0.0 {
            tally.cycles = tally.cycles.max(tally.bus_slots / tally.buses);
        }
        Ok(tally)
    }

    fn fit(&self, program: &Program) -> Result<Fit, DramError> {
        let key = format!(
            "{:?}|{}|{:?}|{}|{}|{:?}|{}|{:?}|{:?}|{}",
            self.system,
            self.memory.key,
            self.unit_energy,
            self.alu_wait,
            self.window_rows,
            program.steps,
            program.group,
            program.high,
            program.low,
            program.momentum_state
        );
        let cache = FITS.get_or_init(|| Mutex::new(HashMap::new()));
        if let Some(f) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return Ok(f);
        }
        let (w1, w2) = self.window_bursts(program);
        let fit = Arc::new((self.simulate(program, w1)?, self.simulate(program, w2)?));
        if let Ok(mut c) = cache.lock() {
            c.insert(key, fit.clone());
        }
        Ok(fit)
    }

    /// Simulate the update of `bursts` master bursts in full.
    pub fn simulate(&self, program: &Program, bursts: u64) -> Result<Tally, DramError> {
        let groups = bursts.div_ceil(program.group as u64);
        let bytes = self.memory.geometry.request_bytes as f64;
        match self.system {
            System::Direct | System::Buffered => self.simulate_units(program, groups),
            System::Baseline => {
                let mut ch = Channel::new(&self.memory.config)?;
                ch.set_address_mapping(self.memory.mapping.clone());
                let reqs = requests(&self.memory, program, groups, None);
                let r = ch.run_source(reqs.into_iter())?;
                Ok(Tally::from_report(&r, bytes, &[]))
            }
            System::TensorDimm => {
                // One DIMM with its own bus: DIMM 0, whose units have at
                // least the share of any other.
                let mem = &self.memory;
                let ranks = mem.ranks_per_dimm();
                let mut cfg = mem.config.clone();
                cfg.system.channel_size = cfg.system.channel_size / mem.geometry.ranks * ranks;
                cfg.system.command_bus = CommandBus::Shared;
                let geometry = cfg.geometry();
                let mapping = AddressMapping::parse(&cfg.system.address_mapping, &geometry)
                    .map_err(|message| DramError::Protocol { message })?;
                let mut ch = Channel::new(&cfg)?;
                ch.set_address_mapping(mapping.clone());
                let reqs = requests(mem, program, groups, Some((&mapping, ranks)));
                let units = ranks * mem.geometry.bankgroups;
                let mine: u64 = (0..units).map(|u| mem.unit_groups(groups, u)).sum();
                let r = ch.run_source(reqs.into_iter())?;
                let t = Tally::from_report(&r, bytes, &[]);
                let mut t = if mine > 0 {
                    t.scale_work(groups as f64 / mine as f64)
                } else {
                    t
                };
                t.buses = mem.dimms as f64;
                Ok(t)
            }
        }
    }

    /// Every command a GradPIM system issues for the first `bursts` master
    /// bursts, in issue order (for checking the schedule).
    pub fn command_log(
        &self,
        program: &Program,
        bursts: u64,
    ) -> Result<(Tally, Vec<IssuedCommand>, CommandSet), DramError> {
        let groups = bursts.div_ceil(program.group as u64);
        let (mut ch, set) = self.unit_channel(program, groups)?;
        ch.record_commands(true);
        let r = ch.run()?;
        let t = Tally::from_report(
            &r,
            self.memory.geometry.request_bytes as f64,
            &INTERNAL_KINDS,
        );
        Ok((t, ch.take_command_log(), set))
    }

    fn simulate_units(&self, program: &Program, groups: u64) -> Result<Tally, DramError> {
        let (mut ch, _) = self.unit_channel(program, groups)?;
        let r = ch.run()?;
        Ok(Tally::from_report(
            &r,
            self.memory.geometry.request_bytes as f64,
            &INTERNAL_KINDS,
        ))
    }

    /// A channel of the system with the command streams of `groups` groups queued.
    fn unit_channel(
        &self,
        program: &Program,
        groups: u64,
    ) -> Result<(Channel, CommandSet), DramError> {
        let mem = &self.memory;
        let mut cfg = mem.config.clone();
        if self.system == System::Buffered {
            cfg.system.command_bus = CommandBus::PerDimm(mem.ranks_per_dimm());
        }
        let (set, kinds) = command_set(&cfg, &self.unit_energy, self.alu_wait)?;
        let mut ch = Channel::with_commands(&cfg, set.clone())?;
        ch.set_address_mapping(mem.mapping.clone());
        for u in 0..mem.units() {
            for index in 0..mem.unit_groups(groups, u) {
                let place = GroupPlace::new(mem, program, u, index);
                for step in &program.steps {
                    let loc = place.location(program, step);
                    ch.push_command(u as usize, Command::new(kinds.of(step.op), &loc))?;
                }
            }
        }
        Ok((ch, set))
    }
}

/// The request stream of an update done outside the devices: per group,
/// read g, theta (and v), then write v, theta (and Q(theta)). Row by row,
/// rank by rank, the groups of a rank's bank groups are interleaved, as a
/// DMA engine that spreads its accesses over the bank groups would issue
/// them (the layout keeps an array in one bank group for a whole row, so
/// address order alone would serialise on tCCD_L). With `dimm`, only the
/// units of DIMM 0's ranks, addressed with its own mapping.
fn requests(
    mem: &Memory,
    program: &Program,
    groups: u64,
    dimm: Option<(&AddressMapping, u32)>,
) -> Vec<Request> {
    let k = program.group;
    let per_row = mem.chunk_bursts() / k as u64;
    let bgs = mem.geometry.bankgroups;
    let ranks = dimm.map_or(mem.geometry.ranks, |(_, r)| r);
    let most = mem.unit_groups(groups, 0);
    let quantized = program.quantized();
    let mut out = Vec::new();
    for row in 0..most.div_ceil(per_row) {
        for rank in 0..ranks {
            for index in row * per_row..(row + 1) * per_row {
                for bg in 0..bgs {
                    let u = rank * bgs + bg;
                    if index >= mem.unit_groups(groups, u) {
                        continue;
                    }
                    let p = GroupPlace::new(mem, program, u, index);
                    let addr = |array: Array, b: u32| -> u64 {
                        let high = array.is_high(program);
                        let loc = Location {
                            channel: 0,
                            rank: p.rank,
                            bankgroup: p.bankgroup,
                            bank: array.bank(),
                            row: if high { p.row } else { p.low_row },
                            column: if high { p.column + b } else { p.low_column },
                        };
                        match dimm {
                            Some((mapping, _)) => mapping.encode(&loc),
                            None => mem.mapping.encode(&loc),
                        }
                    };
                    if quantized {
                        out.push(Request::read(addr(Array::Gradient, 0)));
                    } else {
                        out.extend((0..k).map(|b| Request::read(addr(Array::Gradient, b))));
                    }
                    out.extend((0..k).map(|b| Request::read(addr(Array::Theta, b))));
                    if program.momentum_state {
                        out.extend((0..k).map(|b| Request::read(addr(Array::Momentum, b))));
                        out.extend((0..k).map(|b| Request::write(addr(Array::Momentum, b))));
                    }
                    out.extend((0..k).map(|b| Request::write(addr(Array::Theta, b))));
                    if quantized {
                        out.push(Request::write(addr(Array::QTheta, 0)));
                    }
                }
            }
        }
    }
    out
}

/// Steady-state streaming of the host NPU's activations and weights: reads
/// and writes (a fraction `write_fraction`, spread evenly) to two regions,
/// spread over the bank groups and ranks by the DMA engine.
pub fn stream(mem: &Memory, write_fraction: f64, n: u64) -> Result<Tally, DramError> {
    let mut ch = Channel::new(&mem.config)?;
    ch.set_address_mapping(mem.mapping.clone());
    let g = &mem.geometry;
    let (bgs, cols, ranks) = (g.bankgroups as u64, g.columns as u64, g.ranks as u64);
    // Rows far above the update's arrays.
    let base_row = g.rows / 2;
    let at = |i: u64, bank: u32| {
        mem.mapping.encode(&Location {
            channel: 0,
            rank: ((i / (bgs * cols)) % ranks) as u32,
            bankgroup: (i % bgs) as u32,
            bank,
            row: base_row + (i / (bgs * cols * ranks)) as u32 % (g.rows / 2),
            column: ((i / bgs) % cols) as u32,
        })
    };
    let (mut reads, mut writes) = (0u64, 0u64);
    let mut acc = 0.0;
    let reqs = (0..n).map(move |_| {
        acc += write_fraction;
        if acc >= 1.0 - 1e-9 {
            acc -= 1.0;
            writes += 1;
            Request::write(at(writes - 1, 1))
        } else {
            reads += 1;
            Request::read(at(reads - 1, 0))
        }
    });
    let r = ch.run_source(reqs)?;
    Ok(Tally::from_report(&r, g.request_bytes as f64, &[]))
}

/// The steady state of [`stream`]: per byte and per second, from two runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StreamRate {
    pub write_fraction: f64,
    /// Bytes per second.
    pub bandwidth: f64,
    /// Joules per byte moved: activate, read, write.
    pub activate_per_byte: f64,
    pub read_per_byte: f64,
    pub write_per_byte: f64,
    /// Watts while streaming: background and refresh.
    pub background_power: f64,
    pub refresh_power: f64,
    /// Command-bus slots per byte moved.
    pub slots_per_byte: f64,
}

impl StreamRate {
    pub fn measure(mem: &Memory, write_fraction: f64, n: u64) -> Result<StreamRate, DramError> {
        let a = stream(mem, write_fraction, n)?;
        let b = stream(mem, write_fraction, 2 * n)?;
        let tck = mem.config.timing.tCK * 1e-9;
        let dt = (b.cycles - a.cycles) * tck;
        let db = b.external_bytes - a.external_bytes;
        let de = |k: &str| {
            b.energy.get(k).copied().unwrap_or(0.0) - a.energy.get(k).copied().unwrap_or(0.0)
        };
        if dt <= 0.0 || db <= 0.0 {
            return Err(DramError::Protocol {
                message: "stream measurement moved no data".into(),
            });
        }
        Ok(StreamRate {
            write_fraction,
            bandwidth: db / dt,
            activate_per_byte: de("activate") / db,
            read_per_byte: de("read") / db,
            write_per_byte: de("write") / db,
            background_power: de("background") / dt,
            refresh_power: de("refresh") / dt,
            slots_per_byte: (b.bus_slots - a.bus_slots) / db,
        })
    }
}
