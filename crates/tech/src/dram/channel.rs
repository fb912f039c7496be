//! One channel: its ranks ([`Device`]), an open-page FR-FCFS controller
//! for read and write requests, and in-order streams of explicit commands,
//! simulated from event to event.
//!
//! The controller has the structure of DRAMsim3's: a read queue and a write
//! buffer (`trans_queue_size` each) take requests in order; one request per
//! cycle moves from them into its bank's command queue (`cmd_queue_size`),
//! where the scheduler may pick it from the next cycle on; the write buffer
//! is drained in a batch when it is full, or when it holds more than
//! `write_drain_threshold` writes and no command is queued, or when nothing
//! else is left. A read of a pending write is served from the write buffer;
//! a write to a pending write merges with it; a write never passes a pending
//! read of the same burst.
//!
//! Each command queue is served FR-FCFS with a cap: its candidates are the
//! oldest row hit of each direction, the head request's ACT when the bank is
//! closed, and the head's PRE when the open row has no queued hit or has had
//! `row_hit_cap` column commands. The command that is legal earliest goes.
//! Among commands legal in the same cycle: refresh first; then, under
//! [`Arbitration::RoundRobin`] (DRAMsim3's), the queues in turn from the one
//! after the last served, and in a queue the first in queue order; under
//! [`Arbitration::OldestFirst`], row hits, then ACT and PRE, then row hits
//! past the cap, the oldest request first. Streams of explicit commands are
//! further queues, served in order.
//!
//! Nothing is ticked: the simulation jumps from one event (a command, a
//! refresh falling due, a request arriving, a transfer) to the next.
use super::address::{AddressMapping, Location};
use super::command::{CommandKind, CommandSet, EnergyComponent, RowUse};
use super::config::{Arbitration, DramConfig, RefreshPolicy};
use super::device::{Device, NO_ROW};
use super::energy::ActionEnergy;
use super::error::DramError;
use super::report::{ChannelReport, CommandCount, EnergyBreakdown, NamedEnergy};
use pimzoo_core::units::{Bytes, BytesPerSecond, Joules};
use std::collections::VecDeque;

/// A read or write of one burst.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    /// Byte address; the burst containing it is accessed.
    pub addr: u64,
    pub write: bool,
    /// Cycle at which the request reaches the controller (0: available from
    /// the start; requests are admitted in order, when there is room).
    pub arrival: u64,
}

impl Request {
    pub const fn read(addr: u64) -> Request {
        Request {
            addr,
            write: false,
            arrival: 0,
        }
    }
    pub const fn write(addr: u64) -> Request {
        Request {
            addr,
            write: true,
            arrival: 0,
        }
    }
    /// The same request, arriving at `cycle`.
    pub const fn at(self, cycle: u64) -> Request {
        Request {
            arrival: cycle,
            ..self
        }
    }
}

/// An explicit command for a command stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Command {
    pub kind: CommandKind,
    pub rank: u32,
    pub bankgroup: u32,
    /// Bank within the bank group.
    pub bank: u32,
    /// The row to open (ACT) or that must be open (column kinds).
    pub row: u32,
    /// Burst index within the row (not used for timing).
    pub column: u32,
}

impl Command {
    pub fn new(kind: CommandKind, loc: &Location) -> Command {
        Command {
            kind,
            rank: loc.rank,
            bankgroup: loc.bankgroup,
            bank: loc.bank,
            row: loc.row,
            column: loc.column,
        }
    }
}

/// A command as issued, for [`Channel::take_command_log`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct IssuedCommand {
    pub cycle: u64,
    pub kind: CommandKind,
    pub rank: u32,
    pub bankgroup: u32,
    pub bank: u32,
    /// The row opened (ACT) or accessed (column kinds); 0 otherwise.
    pub row: u32,
}

/// Priority classes among commands ready in the same cycle (lower first).
const CLASS_REFRESH: u8 = 0;
const CLASS_COLUMN: u8 = 1;
const CLASS_ROW: u8 = 2;
const CLASS_CAPPED: u8 = 3;

/// A priority key: the class in the top 4 bits, then `order` (a round-robin
/// distance shifted left by 16 plus a queue position, or an age).
#[inline]
fn key(class: u8, order: u64) -> u64 {
    ((class as u64) << 60) | (order & ((1 << 60) - 1))
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    /// Address of the burst.
    addr: u64,
    seq: u64,
    admitted: u64,
    /// First cycle at which the scheduler may pick it (the cycle after it
    /// moved into its command queue).
    eligible: u64,
    bank: u32,
    row: u32,
    write: bool,
    /// Later reads of the same burst merged into this one, and the sum of
    /// their admission cycles.
    merged: u32,
    merged_admitted: u64,
}

#[derive(Clone, Copy, Debug)]
struct Cand {
    kind: CommandKind,
    pos: u16,
    class: u8,
    seq: u64,
    /// The cycle its request entered the command queue, plus one.
    eligible: u64,
    /// The bank-scope bound of the command and `eligible`: what only
    /// commands to this bank (or rank commands) change.
    local: u64,
}

const NO_CAND: Cand = Cand {
    kind: CommandKind::ACT,
    pos: 0,
    class: 0,
    seq: 0,
    eligible: 0,
    local: 0,
};

#[derive(Clone, Copy, Debug)]
struct BankCands {
    n: u8,
    c: [Cand; 3],
}

#[derive(Clone, Copy, Debug)]
enum Action {
    Queue {
        bank: usize,
        cand: Cand,
    },
    Stream {
        stream: usize,
        kind: CommandKind,
        bank: usize,
    },
    Refresh {
        kind: CommandKind,
        bank: usize,
    },
}

#[derive(Clone, Copy, Debug)]
struct Best {
    t: u64,
    /// Priority among commands ready in the same cycle (lower first): see
    /// [`key`].
    key: u64,
    action: Action,
}

impl Best {
    #[inline]
    fn beats(&self, o: &Option<Best>) -> bool {
        match o {
            None => true,
            Some(b) => (self.t, self.key) < (b.t, b.key),
        }
    }
}

/// Which transaction queue feeds the command queues.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Drain {
    /// Reads (the write buffer fills).
    Off,
    /// Writes, this many more.
    On(usize),
    /// A write met a pending read of its burst: reads only, until none can
    /// move.
    Hold,
}

#[derive(Clone, Debug)]
struct StreamCmd {
    cmd: Command,
    bank: usize,
    seq: u64,
}

/// Counting filter over burst addresses: how many pending requests of one
/// direction hash to each slot. A zero proves a burst has no pending
/// request; otherwise the queues are searched.
#[derive(Clone, Debug)]
struct LineFilter {
    count: Vec<u32>,
}

const FILTER_BITS: u32 = 12;

impl LineFilter {
    fn new() -> LineFilter {
        LineFilter {
            count: vec![0; 1 << FILTER_BITS],
        }
    }
    #[inline]
    fn slot(line: u64) -> usize {
        (line.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - FILTER_BITS)) as usize
    }
    #[inline]
    fn maybe(&self, line: u64) -> bool {
        self.count[Self::slot(line)] > 0
    }
    #[inline]
    fn add(&mut self, line: u64) {
        self.count[Self::slot(line)] += 1;
    }
    #[inline]
    fn remove(&mut self, line: u64) {
        self.count[Self::slot(line)] -= 1;
    }
}

/// Where a pending request waits.
#[derive(Clone, Copy, Debug)]
enum Slot {
    Transaction(usize),
    Bank(usize),
}

/// One simulated channel. Build it from a configuration, give it requests
/// ([`Channel::enqueue`], [`Channel::run_source`]) and/or explicit commands
/// ([`Channel::push_command`]), run it, read its [`ChannelReport`].
///
/// ```
/// use pimzoo_tech::dram::{Channel, DramConfig, Request};
/// let cfg = DramConfig::from_ron(include_str!(
///     "../../../../fixtures/configs/dram/ddr4-2133-x8-8gb.ron")).unwrap();
/// let mut ch = Channel::new(&cfg).unwrap();
/// for i in 0..1000u64 {
///     ch.enqueue(Request::read(i * 64));
/// }
/// let report = ch.run().unwrap();
/// assert_eq!(report.reads, 1000);
/// assert!(report.cycles > 1000 * 4); // a 64-byte burst takes 4 cycles
/// ```
#[derive(Clone, Debug)]
pub struct Channel {
    config: DramConfig,
    set: CommandSet,
    mapping: AddressMapping,
    action_energy: ActionEnergy,
    dev: Device,
    now: u64,
    seq: u64,
    burst_bytes: u64,
    pending: VecDeque<Request>,
    read_q: VecDeque<Entry>,
    write_q: VecDeque<Entry>,
    trans_cap: usize,
    cmd_cap: usize,
    row_hit_cap: u32,
    drain_threshold: usize,
    arbitration: Arbitration,
    /// The queue (bank, then stream) of the last command issued, for
    /// round-robin arbitration.
    rr_last: u64,
    pending_reads: LineFilter,
    pending_writes: LineFilter,
    drain: Drain,
    /// Cycle before which no further request moves to a command queue.
    next_transfer: u64,
    /// Requests of each direction (reads, writes) waiting in the
    /// transaction queues, per bank.
    waiting: [Vec<u32>; 2],
    /// Bit per bank: it has a request of that direction waiting and room in
    /// its command queue.
    movable: [Vec<u64>; 2],
    bank_q: Vec<VecDeque<Entry>>,
    queued: usize,
    /// Bit per bank: its command queue is not empty.
    active: Vec<u64>,
    cands: Vec<BankCands>,
    /// The bank's candidates must be rebuilt (its queue or row changed).
    dirty: Vec<bool>,
    /// Only the bank-scope bounds of its candidates changed (a rank command).
    stale: Vec<bool>,
    /// Banks marked dirty or stale since the last selection.
    touched: Vec<u32>,
    in_touched: Vec<bool>,
    /// Per bank and request kind (ACT, PRE, RD, WR): the bank-scope bound
    /// of its candidate of that kind (MAX: none). Changes only with commands
    /// to the bank (or rank commands).
    stat: Vec<[u64; 4]>,
    /// Scratch: per bank group, its bank-group and rank bounds of ACT, PRE,
    /// RD and WR together.
    group_t: Vec<[u64; 4]>,
    /// Writes in each bank's command queue.
    queued_writes: Vec<u32>,
    /// Scratch: rank-wide bounds of ACT, PRE, RD, WR per rank.
    shared: Vec<u64>,
    refresh_interval: u64,
    next_refresh: u64,
    next_refresh_rank: u32,
    refresh_q: VecDeque<u32>,
    streams: Vec<VecDeque<StreamCmd>>,
    stream_cmds: usize,
    reads_done: u64,
    writes_done: u64,
    forwarded_reads: u64,
    merged_writes: u64,
    read_latency_sum: f64,
    last_completion: u64,
    /// Scheduler steps taken (each jumps to the next event).
    events: u64,
    log: Option<Vec<IssuedCommand>>,
}

impl Channel {
    /// A channel with the standard command set of `config`.
    pub fn new(config: &DramConfig) -> Result<Channel, DramError> {
        Channel::with_commands(config, CommandSet::standard(config))
    }

    /// A channel with a command set extended by the caller (user kinds and
    /// rules); `set` must start from [`CommandSet::standard`].
    pub fn with_commands(config: &DramConfig, set: CommandSet) -> Result<Channel, DramError> {
        config.validate()?;
        if set.kinds().len() < super::command::BUILTIN_KINDS
            || set.by_name("ACT") != Some(CommandKind::ACT)
            || set.by_name("RD") != Some(CommandKind::RD)
        {
            return Err(DramError::protocol(
                "a channel's command set must extend CommandSet::standard",
            ));
        }
        let geo = config.geometry();
        let mapping = config.address_mapping()?;
        let dev = Device::new(geo, &set, config.system.command_bus);
        let banks = geo.banks() as usize;
        let t = &config.timing;
        let refresh_interval = match config.system.refresh_policy {
            RefreshPolicy::RankLevelStaggered => (t.tREFI / geo.ranks).max(1) as u64,
            RefreshPolicy::RankLevelSimultaneous => t.tREFI as u64,
        };
        Ok(Channel {
            action_energy: ActionEnergy::from_config(config),
            config: config.clone(),
            set,
            mapping,
            dev,
            now: 0,
            seq: 0,
            burst_bytes: geo.request_bytes as u64,
            pending: VecDeque::new(),
            read_q: VecDeque::new(),
            write_q: VecDeque::new(),
            trans_cap: config.system.trans_queue_size as usize,
            cmd_cap: config.system.cmd_queue_size as usize,
            row_hit_cap: config.system.row_hit_cap,
            arbitration: config.system.arbitration,
            rr_last: 0,
            drain_threshold: config.system.write_drain_threshold as usize,
            pending_reads: LineFilter::new(),
            pending_writes: LineFilter::new(),
            drain: Drain::Off,
            next_transfer: 0,
            waiting: [vec![0; banks], vec![0; banks]],
            movable: [vec![0; banks.div_ceil(64)], vec![0; banks.div_ceil(64)]],
            bank_q: vec![VecDeque::new(); banks],
            queued: 0,
            active: vec![0; banks.div_ceil(64)],
            cands: vec![
                BankCands {
                    n: 0,
                    c: [NO_CAND; 3]
                };
                banks
            ],
            dirty: vec![true; banks],
            stale: vec![false; banks],
            touched: Vec::new(),
            in_touched: vec![false; banks],
            stat: vec![[u64::MAX; 4]; banks],
            group_t: vec![[u64::MAX; 4]; (geo.ranks * geo.bankgroups) as usize],
            queued_writes: vec![0; banks],
            shared: vec![0; 4 * geo.ranks as usize],
            refresh_interval,
            next_refresh: refresh_interval,
            next_refresh_rank: 0,
            refresh_q: VecDeque::new(),
            streams: Vec::new(),
            stream_cmds: 0,
            reads_done: 0,
            writes_done: 0,
            forwarded_reads: 0,
            merged_writes: 0,
            read_latency_sum: 0.0,
            last_completion: 0,
            events: 0,
            log: None,
        })
    }

    /// Replace the address mapping (by default the configuration's).
    pub fn set_address_mapping(&mut self, mapping: AddressMapping) {
        self.mapping = mapping;
    }

    pub fn address_mapping(&self) -> &AddressMapping {
        &self.mapping
    }

    pub fn config(&self) -> &DramConfig {
        &self.config
    }

    pub fn commands(&self) -> &CommandSet {
        &self.set
    }

    /// The energy of each built-in action.
    pub fn action_energy(&self) -> &ActionEnergy {
        &self.action_energy
    }

    /// The current cycle.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Keep (or stop keeping) a log of every command issued from now on.
    pub fn record_commands(&mut self, on: bool) {
        self.log = if on { Some(Vec::new()) } else { None };
    }

    /// The commands issued since the log was started or last taken.
    pub fn take_command_log(&mut self) -> Vec<IssuedCommand> {
        match &mut self.log {
            Some(log) => std::mem::take(log),
            None => Vec::new(),
        }
    }

    /// Queue a request; it is served by the next `run*` call.
    pub fn enqueue(&mut self, request: Request) {
        self.pending.push_back(request);
    }

    /// Append `command` to command stream `stream` (streams are created on
    /// first use). A stream issues its commands in order, each at the
    /// earliest legal cycle; a column kind whose row is not open is preceded
    /// by the PRE and ACT it needs. Streams compete with the request queues
    /// under the same priorities.
    pub fn push_command(&mut self, stream: usize, command: Command) -> Result<(), DramError> {
        let g = self.dev.geo;
        if command.kind.index() >= self.set.kinds().len() {
            return Err(DramError::protocol(format!(
                "command kind #{} is not in this channel's set",
                command.kind.index()
            )));
        }
        if command.rank >= g.ranks
            || command.bankgroup >= g.bankgroups
            || command.bank >= g.banks_per_group
            || command.row >= g.rows
        {
            return Err(DramError::protocol(format!(
                "{} to rank {} bank group {} bank {} row {} is outside the {} ranks x {} bank groups x {} banks x {} rows",
                self.set.spec(command.kind).name,
                command.rank,
                command.bankgroup,
                command.bank,
                command.row,
                g.ranks,
                g.bankgroups,
                g.banks_per_group,
                g.rows
            )));
        }
        if stream >= self.streams.len() {
            self.streams.resize_with(stream + 1, VecDeque::new);
        }
        let bank = self
            .dev
            .bank_index(command.rank, command.bankgroup, command.bank);
        self.seq += 1;
        self.streams[stream].push_back(StreamCmd {
            cmd: command,
            bank,
            seq: self.seq,
        });
        self.stream_cmds += 1;
        Ok(())
    }

    /// Serve everything queued and return the report.
    pub fn run(&mut self) -> Result<ChannelReport, DramError> {
        self.drive(&mut std::iter::empty(), None)?;
        Ok(self.report())
    }

    /// Serve the queued requests, then the requests of `source` in order.
    pub fn run_source<I: Iterator<Item = Request>>(
        &mut self,
        source: I,
    ) -> Result<ChannelReport, DramError> {
        let mut source = source;
        self.drive(&mut source, None)?;
        Ok(self.report())
    }

    /// Run until `cycle` (idle time included: refreshes go on), serving
    /// what is queued meanwhile.
    pub fn run_until(&mut self, cycle: u64) -> Result<ChannelReport, DramError> {
        self.drive(&mut std::iter::empty(), Some(cycle))?;
        Ok(self.report())
    }

    /// The report of everything simulated so far.
    pub fn report(&self) -> ChannelReport {
        let cycles = self.now.max(self.dev.end).max(self.last_completion);
        let tck = self.config.tck();
        let time = tck * cycles as f64;
        let mut energy = EnergyBreakdown::default();
        let mut commands = Vec::with_capacity(self.set.kinds().len());
        for (i, spec) in self.set.kinds().iter().enumerate() {
            let n = self.dev.counts[i];
            commands.push(CommandCount {
                kind: spec.name.clone(),
                count: n,
            });
            let e = spec.energy * n as f64;
            match spec.component {
                EnergyComponent::ActivatePrecharge => energy.activate_precharge += e,
                EnergyComponent::Read => energy.read += e,
                EnergyComponent::Write => energy.write += e,
                EnergyComponent::Refresh => energy.refresh += e,
                EnergyComponent::Own => energy.user.push(NamedEnergy {
                    name: spec.name.clone(),
                    energy: e,
                }),
            }
        }
        let ae = &self.action_energy;
        energy.background = self
            .dev
            .standby_cycles(cycles)
            .iter()
            .map(|&(act, pre)| {
                ae.active_standby * (tck * act as f64) + ae.precharge_standby * (tck * pre as f64)
            })
            .sum::<Joules>();
        let bytes = Bytes(((self.reads_done + self.writes_done) * self.burst_bytes) as f64);
        let util = |busy: u64| {
            if cycles > 0 {
                busy as f64 / cycles as f64
            } else {
                0.0
            }
        };
        let served_reads = self.reads_done - self.forwarded_reads;
        ChannelReport {
            cycles,
            tck,
            time,
            reads: self.reads_done,
            writes: self.writes_done,
            forwarded_reads: self.forwarded_reads,
            merged_writes: self.merged_writes,
            bytes,
            bandwidth: if time.value() > 0.0 {
                bytes / time
            } else {
                BytesPerSecond::ZERO
            },
            mean_read_latency: if served_reads > 0 {
                self.read_latency_sum / served_reads as f64
            } else {
                0.0
            },
            commands,
            row_hits: self.dev.row_hits,
            row_misses: self.dev.row_misses,
            command_bus_utilization: self.dev.bus_busy.iter().map(|&b| util(b)).collect(),
            data_bus_utilization: util(self.dev.data_busy),
            energy,
            events: self.events,
        }
    }

    /// Whether nothing waits: no request, explicit command or refresh.
    pub fn is_idle(&self) -> bool {
        self.pending.is_empty()
            && self.read_q.is_empty()
            && self.write_q.is_empty()
            && self.queued == 0
            && self.stream_cmds == 0
            && self.refresh_q.is_empty()
    }

    // ------------------------------------------------------------ the loop

    fn drive<I: Iterator<Item = Request>>(
        &mut self,
        source: &mut I,
        until: Option<u64>,
    ) -> Result<(), DramError> {
        let mut front = std::mem::take(&mut self.pending);
        let mut staged = front.pop_front().or_else(|| source.next());
        let mut source_done = staged.is_none();
        let result = loop {
            self.events += 1;
            // Requests that have arrived enter while there is room.
            while let Some(r) = staged {
                if r.arrival > self.now || !self.admit(r) {
                    break;
                }
                staged = front.pop_front().or_else(|| source.next());
                source_done = staged.is_none();
            }
            // One request per cycle moves into its bank's command queue.
            let more_transfers = self.transfer(source_done);

            let best = match self.select() {
                Ok(b) => b,
                Err(e) => break Err(e),
            };
            let t_cmd = best.map_or(u64::MAX, |b| b.t);
            let t_arrival = match staged {
                Some(r) if r.arrival > self.now => r.arrival,
                _ => u64::MAX,
            };
            let t_transfer = if more_transfers {
                self.next_transfer.max(self.now + 1)
            } else {
                u64::MAX
            };
            let busy = best.is_some()
                || staged.is_some()
                || !self.read_q.is_empty()
                || !self.write_q.is_empty()
                || self.queued > 0
                || self.stream_cmds > 0
                || !self.refresh_q.is_empty();
            if !busy && until.is_none() {
                break Ok(());
            }
            if busy && best.is_none() && t_arrival == u64::MAX && t_transfer == u64::MAX {
                break Err(DramError::protocol(format!(
                    "scheduler stalled at cycle {} with work queued (a bug in the model)",
                    self.now
                )));
            }
            let t_next = t_cmd.min(t_arrival).min(t_transfer).min(self.next_refresh);
            if let Some(limit) = until {
                if t_next >= limit {
                    self.now = self.now.max(limit);
                    break Ok(());
                }
            }
            if self.next_refresh <= t_next {
                self.now = self.next_refresh;
                self.refresh_due();
                continue;
            }
            match best {
                Some(b) if b.t == t_next => {
                    self.now = b.t;
                    if let Err(e) = self.execute(b) {
                        break Err(e);
                    }
                }
                _ => self.now = t_next,
            }
        };
        // Whatever was not admitted waits for the next run.
        if let Some(r) = staged {
            front.push_front(r);
        }
        self.pending = front;
        result
    }

    /// Take `r` into the controller; false when its queue is full.
    fn admit(&mut self, r: Request) -> bool {
        let line = r.addr & !(self.burst_bytes - 1);
        let now = self.now;
        let q_len = if r.write {
            self.write_q.len()
        } else {
            self.read_q.len()
        };
        if q_len >= self.trans_cap {
            return false;
        }
        let loc = self.mapping.decode(line);
        let bank = self.dev.bank_index(loc.rank, loc.bankgroup, loc.bank);
        if r.write {
            self.writes_done += 1;
            if self.pending_writes.maybe(line) && self.find_pending(line, bank, true).is_some() {
                self.merged_writes += 1;
                self.last_completion = self.last_completion.max(now + 1);
                return true;
            }
        } else {
            if self.pending_writes.maybe(line) && self.find_pending(line, bank, true).is_some() {
                self.reads_done += 1;
                self.forwarded_reads += 1;
                self.last_completion = self.last_completion.max(now + 1);
                return true;
            }
            if self.pending_reads.maybe(line) {
                if let Some(slot) = self.find_pending(line, bank, false) {
                    let e = match slot {
                        Slot::Transaction(i) => &mut self.read_q[i],
                        Slot::Bank(i) => &mut self.bank_q[bank][i],
                    };
                    e.merged += 1;
                    e.merged_admitted += now;
                    return true;
                }
            }
        }
        self.seq += 1;
        let e = Entry {
            addr: line,
            seq: self.seq,
            admitted: now,
            eligible: u64::MAX,
            bank: bank as u32,
            row: loc.row,
            write: r.write,
            merged: 0,
            merged_admitted: 0,
        };
        let d = r.write as usize;
        if r.write {
            self.pending_writes.add(line);
            self.write_q.push_back(e);
        } else {
            self.pending_reads.add(line);
            self.read_q.push_back(e);
        }
        self.waiting[d][bank] += 1;
        self.update_movable(bank);
        true
    }

    /// The pending request of direction `write` to burst `line` (of `bank`),
    /// in its transaction queue or its bank's command queue.
    fn find_pending(&self, line: u64, bank: usize, write: bool) -> Option<Slot> {
        let q = if write { &self.write_q } else { &self.read_q };
        if let Some(i) = q.iter().position(|e| e.addr == line) {
            return Some(Slot::Transaction(i));
        }
        self.bank_q[bank]
            .iter()
            .position(|e| e.addr == line && e.write == write)
            .map(Slot::Bank)
    }

    #[inline]
    fn update_movable(&mut self, b: usize) {
        let room = self.bank_q[b].len() < self.cmd_cap;
        let bit = 1u64 << (b % 64);
        for d in 0..2 {
            if room && self.waiting[d][b] > 0 {
                self.movable[d][b / 64] |= bit;
            } else {
                self.movable[d][b / 64] &= !bit;
            }
        }
    }

    #[inline]
    fn any_movable(&self, d: usize) -> bool {
        self.movable[d].iter().any(|&w| w != 0)
    }

    /// Move one request into its command queue if one can move this cycle.
    /// Returns whether the transfer has more to do in a later cycle.
    fn transfer(&mut self, source_done: bool) -> bool {
        if self.drain == Drain::Off && !self.write_q.is_empty() {
            let n = self.write_q.len();
            if n >= self.trans_cap
                || (n > self.drain_threshold && self.queued == 0)
                || (source_done && self.read_q.is_empty() && self.queued == 0)
            {
                self.drain = Drain::On(n);
            }
        }
        let d = match self.drain {
            Drain::On(_) => 1,
            Drain::Off | Drain::Hold => 0,
        };
        if !self.any_movable(d) {
            if self.drain == Drain::Hold {
                // No read can move: the drain may start again.
                self.drain = Drain::Off;
                return true;
            }
            return false;
        }
        if self.now < self.next_transfer {
            return true;
        }
        self.next_transfer = self.now + 1;
        let q = if d == 1 { &self.write_q } else { &self.read_q };
        let movable = &self.movable[d];
        let Some(i) = q.iter().position(|e| {
            let b = e.bank as usize;
            movable[b / 64] & (1 << (b % 64)) != 0
        }) else {
            return false;
        };
        if let Drain::On(k) = self.drain {
            let e = self.write_q[i];
            if self.pending_reads.maybe(e.addr)
                && self.find_pending(e.addr, e.bank as usize, false).is_some()
            {
                // A write never passes a read of the same burst.
                self.drain = Drain::Hold;
                return true;
            }
            self.drain = if k > 1 { Drain::On(k - 1) } else { Drain::Off };
        }
        let q = if d == 1 {
            &mut self.write_q
        } else {
            &mut self.read_q
        };
        let removed = if i == 0 { q.pop_front() } else { q.remove(i) };
        let Some(mut e) = removed else {
            return false;
        };
        let b = e.bank as usize;
        self.waiting[d][b] -= 1;
        e.eligible = self.now + 1;
        self.queued_writes[b] += e.write as u32;
        self.bank_q[b].push_back(e);
        self.queued += 1;
        self.dirty[b] = true;
        self.touch(b);
        self.active[b / 64] |= 1 << (b % 64);
        self.update_movable(b);
        match self.drain {
            Drain::On(_) => self.any_movable(1),
            Drain::Hold => true,
            Drain::Off => self.any_movable(0),
        }
    }

    fn refresh_due(&mut self) {
        let ranks = self.dev.geo.ranks;
        match self.config.system.refresh_policy {
            RefreshPolicy::RankLevelStaggered => {
                self.refresh_q.push_back(self.next_refresh_rank);
                self.next_refresh_rank = (self.next_refresh_rank + 1) % ranks;
            }
            RefreshPolicy::RankLevelSimultaneous => {
                self.refresh_q.extend(0..ranks);
            }
        }
        self.next_refresh += self.refresh_interval;
    }

    fn recompute(&mut self, b: usize) {
        self.dirty[b] = false;
        self.stale[b] = false;
        let q = &self.bank_q[b];
        let mut out = BankCands {
            n: 0,
            c: [NO_CAND; 3],
        };
        let Some(head) = q.front() else {
            self.cands[b] = out;
            return;
        };
        let mut push = |c: Cand| {
            out.c[out.n as usize] = c;
            out.n += 1;
        };
        let dev = &self.dev;
        let row_cmd = |kind| Cand {
            kind,
            pos: 0,
            class: CLASS_ROW,
            seq: head.seq,
            eligible: head.eligible,
            local: dev.bank_bound(kind, b).max(head.eligible),
        };
        let open = self.dev.open_row[b];
        if open == NO_ROW {
            push(row_cmd(CommandKind::ACT));
        } else {
            let mut rd: Option<usize> = None;
            let mut wr: Option<usize> = None;
            // Stop once a hit of each direction present in the queue is found.
            let writes = self.queued_writes[b] as usize;
            let (want_rd, want_wr) = (q.len() > writes, writes > 0);
            for (i, e) in q.iter().enumerate() {
                if e.row == open {
                    if e.write {
                        wr.get_or_insert(i);
                    } else {
                        rd.get_or_insert(i);
                    }
                    if (rd.is_some() || !want_rd) && (wr.is_some() || !want_wr) {
                        break;
                    }
                }
            }
            let hits = rd.is_some() || wr.is_some();
            let hit_class = if head.row == open {
                CLASS_COLUMN
            } else if !hits {
                push(row_cmd(CommandKind::PRE));
                CLASS_COLUMN
            } else if self.dev.col_count[b] >= self.row_hit_cap {
                push(row_cmd(CommandKind::PRE));
                CLASS_CAPPED
            } else {
                CLASS_COLUMN
            };
            for (pos, kind) in [(rd, CommandKind::RD), (wr, CommandKind::WR)] {
                if let Some(i) = pos {
                    let e = &q[i];
                    push(Cand {
                        kind,
                        pos: i as u16,
                        class: hit_class,
                        seq: e.seq,
                        eligible: e.eligible,
                        local: dev.bank_bound(kind, b).max(e.eligible),
                    });
                }
            }
        }
        self.cands[b] = out;
    }

    /// The command to issue next: the earliest; among those ready in the
    /// same cycle, refresh first, then by the arbitration policy.
    fn select(&mut self) -> Result<Option<Best>, DramError> {
        let mut best: Option<Best> = None;
        let now = self.now;
        let blocked = self.refresh_q.front().map(|&r| r as usize);
        if let Some(rank) = blocked {
            let bpr = self.dev.banks_per_rank();
            let first = rank * bpr;
            if self.dev.open_in_rank[rank] > 0 {
                for b in first..first + bpr {
                    if self.dev.open_row[b] != NO_ROW {
                        let c = Best {
                            t: self.dev.earliest(CommandKind::PRE, b).max(now),
                            key: key(CLASS_REFRESH, b as u64),
                            action: Action::Refresh {
                                kind: CommandKind::PRE,
                                bank: b,
                            },
                        };
                        if c.beats(&best) {
                            best = Some(c);
                        }
                    }
                }
            } else {
                best = Some(Best {
                    t: self.dev.earliest(CommandKind::REF, first).max(now),
                    key: key(CLASS_REFRESH, 0),
                    action: Action::Refresh {
                        kind: CommandKind::REF,
                        bank: first,
                    },
                });
            }
        }
        let round_robin = self.arbitration == Arbitration::RoundRobin;
        let nb = self.bank_q.len();
        let queues = (nb + self.streams.len()) as u64;
        let after_last = ((self.rr_last + 1) % queues) as usize;
        // Round-robin distance of queue `q` from the one after the last served.
        let rr = |q: usize| {
            let d = q as u64 + queues - after_last as u64;
            if d >= queues {
                d - queues
            } else {
                d
            }
        };
        // Streams first, so that the bank scan below may stop early.
        for s in 0..self.streams.len() {
            let Some(head) = self.streams[s].front() else {
                continue;
            };
            let b = head.bank;
            if Some(self.dev.rank_of(b)) == blocked {
                continue;
            }
            let (kind, class) = self.stream_step(head)?;
            let key = if round_robin {
                key(CLASS_COLUMN, rr(nb + s) << 16)
            } else {
                key(class, head.seq)
            };
            let cand = Best {
                t: self.dev.earliest(kind, b).max(now),
                key,
                action: Action::Stream {
                    stream: s,
                    kind,
                    bank: b,
                },
            };
            if cand.beats(&best) {
                best = Some(cand);
            }
        }
        self.refresh_candidates();
        // The rank-wide bounds of the request kinds, for every rank with
        // queued requests.
        let ranks = self.dev.geo.ranks as usize;
        let bpr = self.dev.banks_per_rank();
        let mut live_ranks = 0u64;
        for r in 0..ranks {
            if Some(r) != blocked && self.rank_active(r, bpr) {
                live_ranks |= 1 << r;
                self.dev
                    .request_shared_bounds(r, now, &mut self.shared[4 * r..4 * r + 4]);
            }
        }
        let rank_shift = bpr.trailing_zeros();
        // The bank-group and rank bounds together, per bank group.
        let bgs = self.dev.geo.bankgroups as usize;
        for r in 0..ranks {
            if live_ranks & (1 << r) == 0 {
                continue;
            }
            for g in r * bgs..(r + 1) * bgs {
                let bg = self.dev.group_bounds(g);
                let sh = &self.shared[4 * r..4 * r + 4];
                self.group_t[g] = [
                    bg[0].max(sh[0]),
                    bg[1].max(sh[1]),
                    bg[2].max(sh[2]),
                    bg[3].max(sh[3]),
                ];
            }
        }
        let bg_shift = self.dev.geo.banks_per_group.trailing_zeros();
        let mut found: Option<(u64, usize)> = None;
        let mut oldest: Option<(u64, u64, usize, Cand)> = None;
        if round_robin {
            // Banks in turn from the one after the last served: the first
            // with the earliest cycle wins. Nothing goes before the first free
            // command-bus slot, so a bank ready then ends the search.
            let nb = self.bank_q.len();
            let first = if after_last < nb { after_last } else { 0 };
            let lower = self.dev.first_free_bus().max(now);
            let (stat, group_t) = (&self.stat, &self.group_t);
            let _ = first_set_from(&self.active, first, |b| {
                if live_ranks & (1 << (b >> rank_shift)) == 0 {
                    return false;
                }
                // The bank's earliest cycle: its candidates' bank bounds
                // against its group's bank-group and rank bounds.
                let (st, gt) = (&stat[b], &group_t[b >> bg_shift]);
                let tb = st[0]
                    .max(gt[0])
                    .min(st[1].max(gt[1]))
                    .min(st[2].max(gt[2]))
                    .min(st[3].max(gt[3]));
                if found.is_none_or(|(t, _)| tb < t) {
                    found = Some((tb, b));
                }
                tb <= lower
            });
        } else {
            for w in 0..self.active.len() {
                let mut word = self.active[w];
                while word != 0 {
                    let b = w * 64 + word.trailing_zeros() as usize;
                    word &= word - 1;
                    if live_ranks & (1 << (b >> rank_shift)) == 0 {
                        continue;
                    }
                    let (st, gt) = (&self.stat[b], &self.group_t[b >> bg_shift]);
                    let bc = &self.cands[b];
                    for c in &bc.c[..bc.n as usize] {
                        let k = c.kind.index();
                        let tc = st[k].max(gt[k]);
                        let key = key(c.class, c.seq);
                        if oldest.is_none_or(|(ot, ok, _, _)| (tc, key) < (ot, ok)) {
                            oldest = Some((tc, key, b, *c));
                        }
                    }
                }
            }
        }
        let cand = if round_robin {
            let Some((t_min, b)) = found else {
                return Ok(best);
            };
            if best.is_some_and(|x| x.t < t_min) {
                return Ok(best);
            }
            // The bank's first command in queue order that is ready then.
            let (st, gt) = (&self.stat[b], &self.group_t[b >> bg_shift]);
            let bc = &self.cands[b];
            let mut pick: Option<Cand> = None;
            for c in &bc.c[..bc.n as usize] {
                let k = c.kind.index();
                if st[k].max(gt[k]) <= t_min && pick.is_none_or(|p| c.pos < p.pos) {
                    pick = Some(*c);
                }
            }
            let Some(c) = pick else {
                return Ok(best);
            };
            Best {
                t: t_min,
                key: key(CLASS_COLUMN, (rr(b) << 16) | c.pos as u64),
                action: Action::Queue { bank: b, cand: c },
            }
        } else {
            let Some((t, key, b, c)) = oldest else {
                return Ok(best);
            };
            Best {
                t,
                key,
                action: Action::Queue { bank: b, cand: c },
            }
        };
        if cand.beats(&best) {
            best = Some(cand);
        }
        Ok(best)
    }

    /// Whether a bank of rank `r` (of `bpr` banks) has queued requests.
    #[inline]
    fn rank_active(&self, r: usize, bpr: usize) -> bool {
        let (lo, hi) = (r * bpr, (r + 1) * bpr);
        (lo / 64..hi.div_ceil(64)).any(|w| {
            let mut word = self.active[w];
            if w == lo / 64 {
                word &= !0u64 << (lo % 64);
            }
            if w == (hi - 1) / 64 && hi % 64 != 0 {
                word &= !(!0u64 << (hi % 64));
            }
            word != 0
        })
    }

    /// Bring the candidates of every bank touched since the last selection
    /// up to date.
    fn refresh_candidates(&mut self) {
        while let Some(b) = self.touched.pop() {
            let b = b as usize;
            self.in_touched[b] = false;
            if self.dirty[b] {
                self.recompute(b);
            } else if self.stale[b] {
                self.stale[b] = false;
                let dev = &self.dev;
                let bc = &mut self.cands[b];
                for c in &mut bc.c[..bc.n as usize] {
                    c.local = dev.bank_bound(c.kind, b).max(c.eligible);
                }
            }
            let mut st = [u64::MAX; 4];
            let bc = &self.cands[b];
            for c in &bc.c[..bc.n as usize] {
                st[c.kind.index()] = c.local;
            }
            self.stat[b] = st;
        }
    }

    #[inline]
    fn touch(&mut self, b: usize) {
        if !self.in_touched[b] {
            self.in_touched[b] = true;
            self.touched.push(b as u32);
        }
    }

    /// The command a stream head needs next: itself, or the PRE/ACT that
    /// prepares its bank.
    fn stream_step(&self, head: &StreamCmd) -> Result<(CommandKind, u8), DramError> {
        let cmd = &head.cmd;
        let spec = self.set.spec(cmd.kind);
        let b = head.bank;
        let open = self.dev.open_row[b];
        Ok(match spec.row {
            RowUse::NeedsOpen => {
                if open == cmd.row {
                    (cmd.kind, CLASS_COLUMN)
                } else if open != NO_ROW {
                    (CommandKind::PRE, CLASS_ROW)
                } else {
                    (CommandKind::ACT, CLASS_ROW)
                }
            }
            RowUse::Opens => {
                if open == NO_ROW {
                    (cmd.kind, CLASS_ROW)
                } else if open != cmd.row {
                    (CommandKind::PRE, CLASS_ROW)
                } else {
                    return Err(DramError::protocol(format!(
                        "explicit {} to rank {} bank group {} bank {}: row {} is already open",
                        spec.name, cmd.rank, cmd.bankgroup, cmd.bank, cmd.row
                    )));
                }
            }
            RowUse::Closes => (cmd.kind, CLASS_ROW),
            RowUse::NeedsAllClosed => {
                let rank = self.dev.rank_of(b);
                if self.dev.open_in_rank[rank] > 0 {
                    return Err(DramError::protocol(format!(
                        "explicit {} to rank {}: {} bank(s) still open (precharge them first)",
                        spec.name, cmd.rank, self.dev.open_in_rank[rank]
                    )));
                }
                (cmd.kind, CLASS_ROW)
            }
            RowUse::Free => (cmd.kind, CLASS_COLUMN),
        })
    }

    fn execute(&mut self, best: Best) -> Result<(), DramError> {
        let now = self.now;
        let (kind, bank, logged_row) = match best.action {
            Action::Refresh { kind, bank } => {
                self.dev.issue(kind, bank, 0, now);
                if kind == CommandKind::REF {
                    self.refresh_q.pop_front();
                }
                (kind, bank, 0)
            }
            Action::Queue { bank, cand } => {
                self.rr_last = bank as u64;
                let row = match cand.kind {
                    CommandKind::ACT => {
                        let row = self.bank_q[bank][0].row;
                        self.dev.issue(CommandKind::ACT, bank, row, now);
                        row
                    }
                    CommandKind::PRE => {
                        self.dev.issue(CommandKind::PRE, bank, 0, now);
                        0
                    }
                    kind => {
                        let q = &mut self.bank_q[bank];
                        let e = if cand.pos == 0 {
                            q.pop_front()
                        } else {
                            q.remove(cand.pos as usize)
                        }
                        .expect("candidate position is in the queue");
                        let done = self.dev.issue(kind, bank, e.row, now);
                        self.queued_writes[bank] -= e.write as u32;
                        self.complete(e, done);
                        self.queued -= 1;
                        self.update_movable(bank);
                        if self.bank_q[bank].is_empty() {
                            self.active[bank / 64] &= !(1 << (bank % 64));
                        }
                        e.row
                    }
                };
                (cand.kind, bank, row)
            }
            Action::Stream { stream, kind, bank } => {
                self.rr_last = (self.bank_q.len() + stream) as u64;
                let Some(head) = self.streams[stream].front() else {
                    return Err(DramError::protocol("stream head vanished (a bug)"));
                };
                let (row, head_kind) = (head.cmd.row, head.cmd.kind);
                self.dev.issue(kind, bank, row, now);
                if kind == head_kind {
                    self.streams[stream].pop_front();
                    self.stream_cmds -= 1;
                }
                let logged = match self.set.spec(kind).row {
                    RowUse::Opens | RowUse::NeedsOpen => row,
                    _ => 0,
                };
                (kind, bank, logged)
            }
        };
        if let Some(log) = &mut self.log {
            let g = self.dev.geo;
            let b = bank as u32;
            let bank_in_rank = b % g.banks_per_rank();
            log.push(IssuedCommand {
                cycle: now,
                kind,
                rank: b / g.banks_per_rank(),
                bankgroup: bank_in_rank / g.banks_per_group,
                bank: bank_in_rank % g.banks_per_group,
                row: logged_row,
            });
        }
        // The command changed the queue, row state and bank-scope bounds of
        // its bank (a rank command: the bounds of every bank of its rank);
        // their candidates are updated before the next selection. Bank-group
        // and rank bounds are read at selection.
        if self.dev.is_rank_command(kind) {
            let bpr = self.dev.banks_per_rank();
            let first = self.dev.rank_of(bank) * bpr;
            for b in first..first + bpr {
                self.stale[b] = true;
                self.touch(b);
            }
        }
        self.dirty[bank] = true;
        self.touch(bank);
        Ok(())
    }

    fn complete(&mut self, e: Entry, done: u64) {
        self.last_completion = self.last_completion.max(done);
        if e.write {
            self.pending_writes.remove(e.addr);
        } else {
            self.pending_reads.remove(e.addr);
            let n = 1 + e.merged as u64;
            self.reads_done += n;
            self.read_latency_sum +=
                n as f64 * done as f64 - (e.admitted + e.merged_admitted) as f64;
        }
    }
}

/// The first set bit of `bits` in cyclic order from `first` that satisfies
/// `pred`.
fn first_set_from(
    bits: &[u64],
    first: usize,
    mut pred: impl FnMut(usize) -> bool,
) -> Option<usize> {
    let words = bits.len();
    let (w0, bit0) = (first / 64, first % 64);
    // The words from `first` to the end, then from the start back to it.
    for i in 0..=words {
        let w = if w0 + i >= words {
            w0 + i - words
        } else {
            w0 + i
        };
        let mut word = bits[w];
        if i == 0 {
            word &= !0u64 << bit0;
        } else if i == words {
            word &= !(!0u64 << bit0);
        }
        while word != 0 {
            let b = w * 64 + word.trailing_zeros() as usize;
            word &= word - 1;
            if pred(b) {
                return Some(b);
            }
        }
    }
    None
}
