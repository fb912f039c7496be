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
use super::lanes::{self, Lanes};
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

/// Requests taken from a source at a time (see [`Channel::run_source`]).
const SOURCE_CHUNK: usize = 256;

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

/// A bank's candidate as the scheduler passes it on: what to issue, and
/// which request of the queue, in one word. (The choice is built, returned
/// and copied at every step; as two narrow fields it was written with
/// narrow stores and copied at once with a wide load, which cannot take its
/// data from them: a store-forwarding stall at every step, seen in the
/// profile.)
#[derive(Clone, Copy, Debug)]
struct Choice(u64);

impl Choice {
    /// A command that takes no request from a queue.
    #[inline]
    fn of(kind: CommandKind) -> Choice {
        Choice(kind.index() as u64)
    }

    #[inline]
    fn kind(self) -> CommandKind {
        CommandKind(self.0 as u8)
    }

    /// Position in the bank's command queue.
    #[inline]
    fn pos(self) -> usize {
        (self.0 >> 8) as usize
    }
}

impl From<Cand> for Choice {
    #[inline]
    fn from(c: Cand) -> Choice {
        Choice(c.kind.index() as u64 | (c.pos as u64) << 8)
    }
}

/// What the chosen command does. Word-sized tag and fields, for the same
/// reason as [`Choice`]: the choice is copied at every step.
#[derive(Clone, Copy, Debug)]
#[repr(u64)]
enum Action {
    Queue {
        bank: usize,
        cand: Choice,
    },
    Stream {
        stream: usize,
        cand: Choice,
        bank: usize,
    },
    Refresh {
        cand: Choice,
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

/// The command the bank scan chose: its cycle, its order among commands of
/// that cycle (round-robin: distance of its bank in turn, shifted left by 16,
/// plus its queue position; oldest-first: [`key`]), its bank and candidate.
#[derive(Clone, Copy, Debug)]
struct Pick {
    t: u64,
    key: u64,
    bank: usize,
    cand: Choice,
}

impl Pick {
    /// Make this the `best` pick if it comes first: the earlier cycle, then
    /// the smaller key.
    fn offer(self, best: &mut Option<Pick>) {
        if best.is_none_or(|p| (self.t, self.key) < (p.t, p.key)) {
            *best = Some(self);
        }
    }
}

/// The result of the last bank scan. While no command goes (and no refresh
/// falls due) no bound changes and the round-robin turn stays, so only the
/// banks whose queues changed since (a request moved in) can displace the
/// pick: the others' earliest cycles are the same (time moved on, but never
/// past the pick's cycle, and every earliest cycle is at least that). Most
/// steps that issue nothing are such transfers.
#[derive(Clone, Copy, Debug, Default)]
struct Scan {
    valid: bool,
    pick: Option<Pick>,
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

/// The requests of one direction waiting for room in their command queues,
/// in order of admission, kept per bank: the next to move is the oldest
/// head of a bank with room, found without walking the queue.
#[derive(Clone, Debug)]
struct TransQueue {
    len: usize,
    per_bank: Vec<VecDeque<Entry>>,
    /// `seq` of each bank's oldest waiting request (MAX: none).
    head_seq: Vec<u64>,
    /// Bit per bank: it has a request waiting.
    waiting: Vec<u64>,
}

impl TransQueue {
    fn new(banks: usize) -> TransQueue {
        TransQueue {
            len: 0,
            per_bank: vec![VecDeque::new(); banks],
            head_seq: vec![u64::MAX; banks],
            waiting: vec![0; banks.div_ceil(64)],
        }
    }

    fn push(&mut self, e: Entry) {
        let b = e.bank as usize;
        let q = &mut self.per_bank[b];
        if q.is_empty() {
            self.head_seq[b] = e.seq;
            self.waiting[b / 64] |= 1 << (b % 64);
        }
        q.push_back(e);
        self.len += 1;
    }

    /// Move bank `b`'s oldest request to the back of `to`, eligible from
    /// cycle `eligible`; false when none waits. (Copied from queue to queue
    /// in place: returned by value, the request went through the stack and
    /// was read back before its stores had landed.)
    fn move_front(&mut self, b: usize, to: &mut BankQueue, eligible: u64) -> bool {
        let q = &mut self.per_bank[b];
        let Some(e) = q.front() else {
            return false;
        };
        to.push_back(Entry { eligible, ..*e });
        q.pop_front();
        self.head_seq[b] = q.front().map_or(u64::MAX, |h| h.seq);
        if q.is_empty() {
            self.waiting[b / 64] &= !(1 << (b % 64));
        }
        self.len -= 1;
        true
    }
}

/// A bank's command queue, with bit masks by queue position of its writes
/// and of its requests to row `hit_row`, kept as requests come and go: the
/// oldest row hit of each direction is then found without a walk over the
/// queue (the walk was a tenth of the time of a replay). Read through
/// `Deref`; changed only through its methods, which keep the masks.
#[derive(Clone, Debug)]
struct BankQueue {
    q: VecDeque<Entry>,
    writes: u64,
    hits: u64,
    hit_row: u32,
}

impl BankQueue {
    fn new() -> BankQueue {
        BankQueue {
            q: VecDeque::new(),
            writes: 0,
            hits: 0,
            hit_row: NO_ROW,
        }
    }

    fn push_back(&mut self, e: Entry) {
        let i = self.q.len();
        self.writes |= (e.write as u64) << i;
        self.hits |= ((e.row == self.hit_row) as u64) << i;
        self.q.push_back(e);
    }

    fn remove(&mut self, pos: usize) -> Option<Entry> {
        let e = if pos == 0 {
            self.q.pop_front()
        } else {
            self.q.remove(pos)
        }?;
        // The bits above `pos` move down one.
        let below = (1u64 << pos) - 1;
        let drop = |m: u64| (m & below) | ((m >> 1) & !below);
        self.writes = drop(self.writes);
        self.hits = drop(self.hits);
        Some(e)
    }

    /// A request, to merge another into it (its row and direction stay).
    fn merge_into(&mut self, i: usize) -> &mut Entry {
        &mut self.q[i]
    }

    /// The positions of the oldest read and the oldest write to `row`.
    #[inline]
    fn oldest_hits(&mut self, row: u32) -> (Option<usize>, Option<usize>) {
        if row != self.hit_row {
            // A row opened (once per ACT): the only walk.
            self.hit_row = row;
            self.hits = 0;
            for (i, e) in self.q.iter().enumerate() {
                self.hits |= ((e.row == row) as u64) << i;
            }
        }
        let first = |m: u64| (m != 0).then(|| m.trailing_zeros() as usize);
        (
            first(self.hits & !self.writes),
            first(self.hits & self.writes),
        )
    }
}

impl std::ops::Deref for BankQueue {
    type Target = VecDeque<Entry>;
    fn deref(&self) -> &VecDeque<Entry> {
        &self.q
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
    /// The read queue and the write buffer.
    trans: [TransQueue; 2],
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
    /// Bit per bank: its command queue has room.
    room: Vec<u64>,
    bank_q: Vec<BankQueue>,
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
    /// `stat` and the bank-group bounds as 16-bit offsets for the
    /// vectorized search (`None`: the geometry does not fit it).
    lanes: Option<Lanes>,
    /// Banks with requests in their command queues (bits of `active`), in
    /// all and per rank, and the ranks that have any (a bit per rank): kept
    /// as a bank's queue turns empty or not, not at every request.
    queued_banks: u32,
    rank_banks: Vec<u32>,
    queued_ranks: u64,
    /// Banks whose candidates were brought up to date since the last
    /// selection.
    changed: Vec<u32>,
    /// The last bank scan, reused while no command has gone.
    scan: Scan,
    /// Rank-wide bounds of ACT, PRE, RD, WR per rank (without `now`:
    /// every earliest cycle is taken at least `now` where it is used),
    /// worked out for the ranks with queued requests when they are picked
    /// from: they change only when a command goes.
    sh: Vec<[u64; 4]>,
    /// Bit per rank: its `sh` is current.
    sh_fresh: u64,
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
    read_latency_sum: u64,
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
            trans: [TransQueue::new(banks), TransQueue::new(banks)],
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
            room: vec![!0; banks.div_ceil(64)],
            bank_q: vec![BankQueue::new(); banks],
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
            lanes: Lanes::new(banks, geo.banks_per_rank() as usize),
            queued_banks: 0,
            rank_banks: vec![0; geo.ranks as usize],
            queued_ranks: 0,
            sh_fresh: 0,
            changed: Vec::new(),
            scan: Scan::default(),
            sh: vec![[0; 4]; geo.ranks as usize],
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
            read_latency_sum: 0,
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
        self.drive(&mut |_| {}, None)?;
        Ok(self.report())
    }

    /// Serve the queued requests, then the requests of `source` in order.
    pub fn run_source<I: Iterator<Item = Request>>(
        &mut self,
        source: I,
    ) -> Result<ChannelReport, DramError> {
        let mut source = source;
        // The source is read a chunk at a time into the queue of requests
        // not yet admitted, so that the scheduler's loop is not generic:
        // compiled once here, it runs the same whatever the caller (compiled
        // into each caller, its speed moved by a fifth from one build to
        // the next).
        self.drive(
            &mut |queue| queue.extend(source.by_ref().take(SOURCE_CHUNK)),
            None,
        )?;
        Ok(self.report())
    }

    /// Run until `cycle` (idle time included: refreshes go on), serving
    /// what is queued meanwhile.
    pub fn run_until(&mut self, cycle: u64) -> Result<ChannelReport, DramError> {
        self.drive(&mut |_| {}, Some(cycle))?;
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
                self.read_latency_sum as f64 / served_reads as f64
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
            && self.trans[0].len == 0
            && self.trans[1].len == 0
            && self.queued_banks == 0
            && self.stream_cmds == 0
            && self.refresh_q.is_empty()
    }

    // ------------------------------------------------------------ the loop

    /// Serve the queued requests, then those `refill` adds to an empty
    /// buffer (none: the source is done), until everything is served or
    /// `until`.
    fn drive(
        &mut self,
        refill: &mut dyn FnMut(&mut Vec<Request>),
        until: Option<u64>,
    ) -> Result<(), DramError> {
        // Streams may have been added since the last run.
        self.scan.valid = false;
        // The requests not yet admitted: `buf` from `at` on.
        let mut buf: Vec<Request> = std::mem::take(&mut self.pending).into();
        let mut at = 0;
        let mut next = |buf: &mut Vec<Request>, at: &mut usize| {
            if *at == buf.len() {
                buf.clear();
                *at = 0;
                refill(buf);
            }
            let r = buf.get(*at).copied();
            *at += r.is_some() as usize;
            r
        };
        let mut staged = next(&mut buf, &mut at);
        let mut source_done = staged.is_none();
        let result = loop {
            self.events += 1;
            // Requests that have arrived enter while there is room.
            while let Some(r) = staged {
                if r.arrival > self.now || !self.admit(r) {
                    break;
                }
                staged = next(&mut buf, &mut at);
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
                || self.trans[0].len > 0
                || self.trans[1].len > 0
                || self.queued_banks > 0
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
        self.pending = staged.into_iter().chain(buf.drain(at..)).collect();
        result
    }

    /// Take `r` into the controller; false when its queue is full.
    fn admit(&mut self, r: Request) -> bool {
        let line = r.addr & !(self.burst_bytes - 1);
        let now = self.now;
        if self.trans[r.write as usize].len >= self.trans_cap {
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
                        Slot::Transaction(i) => &mut self.trans[0].per_bank[bank][i],
                        Slot::Bank(i) => self.bank_q[bank].merge_into(i),
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
        if r.write {
            self.pending_writes.add(line);
        } else {
            self.pending_reads.add(line);
        }
        self.trans[r.write as usize].push(e);
        true
    }

    /// The pending request of direction `write` to burst `line` (of `bank`),
    /// in its transaction queue or its bank's command queue.
    fn find_pending(&self, line: u64, bank: usize, write: bool) -> Option<Slot> {
        let q = &self.trans[write as usize].per_bank[bank];
        if let Some(i) = q.iter().position(|e| e.addr == line) {
            return Some(Slot::Transaction(i));
        }
        self.bank_q[bank]
            .iter()
            .position(|e| e.addr == line && e.write == write)
            .map(Slot::Bank)
    }

    /// Bit per bank of word `w`: a request of direction `d` waits for it
    /// and its command queue has room.
    #[inline]
    fn movable(&self, d: usize, w: usize) -> u64 {
        self.trans[d].waiting[w] & self.room[w]
    }

    #[inline]
    fn any_movable(&self, d: usize) -> bool {
        (0..self.room.len()).any(|w| self.movable(d, w) != 0)
    }

    /// Move one request into its command queue if one can move this cycle.
    /// Returns whether the transfer has more to do in a later cycle.
    fn transfer(&mut self, source_done: bool) -> bool {
        if self.drain == Drain::Off && self.trans[1].len > 0 {
            let n = self.trans[1].len;
            if n >= self.trans_cap
                || (n > self.drain_threshold && self.queued_banks == 0)
                || (source_done && self.trans[0].len == 0 && self.queued_banks == 0)
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
        // The oldest request of the direction whose bank has room.
        let q = &self.trans[d];
        let (mut oldest, mut b) = (u64::MAX, usize::MAX);
        for w in 0..self.room.len() {
            let mut word = self.movable(d, w);
            while word != 0 {
                let i = w * 64 + word.trailing_zeros() as usize;
                word &= word - 1;
                let seq = q.head_seq[i];
                let older = seq < oldest;
                oldest = if older { seq } else { oldest };
                b = if older { i } else { b };
            }
        }
        if b == usize::MAX {
            return false;
        }
        if let Drain::On(k) = self.drain {
            let Some(&e) = self.trans[1].per_bank[b].front() else {
                return false;
            };
            if self.pending_reads.maybe(e.addr)
                && self.find_pending(e.addr, e.bank as usize, false).is_some()
            {
                // A write never passes a read of the same burst.
                self.drain = Drain::Hold;
                return true;
            }
            self.drain = if k > 1 { Drain::On(k - 1) } else { Drain::Off };
        }
        if !self.trans[d].move_front(b, &mut self.bank_q[b], self.now + 1) {
            return false;
        }
        let (row, write) = self.bank_q[b]
            .back()
            .map_or((NO_ROW, false), |e| (e.row, e.write));
        let first = self.bank_q[b].len() == 1;
        // A request queued behind others changes its bank's candidates only
        // if it is the first hit of its direction on the open row (the head,
        // and with it ACT or PRE, stays); otherwise the candidates, and the
        // last scan with them, stay valid.
        let hit_kind = if write {
            CommandKind::WR
        } else {
            CommandKind::RD
        };
        let bc = &self.cands[b];
        if first
            || (row == self.dev.open_row[b]
                && !bc.c[..bc.n as usize].iter().any(|c| c.kind == hit_kind))
        {
            self.dirty[b] = true;
            self.touch(b);
        }
        if first {
            self.active[b / 64] |= 1 << (b % 64);
            self.queued_banks += 1;
            let rank = self.dev.rank_of(b);
            self.rank_banks[rank] += 1;
            self.queued_ranks |= 1 << rank;
        }
        if self.bank_q[b].len() >= self.cmd_cap {
            self.room[b / 64] &= !(1 << (b % 64));
        }
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
        // A rank is now blocked for requests.
        self.scan.valid = false;
        self.next_refresh += self.refresh_interval;
    }

    fn recompute(&mut self, b: usize) {
        self.dirty[b] = false;
        self.stale[b] = false;
        let open = self.dev.open_row[b];
        let (rd, wr) = if open == NO_ROW {
            (None, None)
        } else {
            self.bank_q[b].oldest_hits(open)
        };
        let q = &self.bank_q[b];
        // Written in place, with each candidate's bank bound into `stat`: a
        // copy built on the stack and stored as a whole is read back with
        // wide loads that cannot take the data from the narrow stores still
        // in flight (a store-forwarding stall on every command, seen in the
        // profile).
        let (out, stat) = (&mut self.cands[b], &mut self.stat[b]);
        out.n = 0;
        *stat = [u64::MAX; 4];
        let Some(head) = q.front() else {
            return;
        };
        let mut push = |c: Cand| {
            // Candidates are ACT, PRE, RD or WR: kinds 0 to 3.
            stat[c.kind.index() & 3] = c.local;
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
        if open == NO_ROW {
            push(row_cmd(CommandKind::ACT));
        } else {
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
    }

    /// The command to issue next: the earliest; among those ready in the
    /// same cycle, refresh first, then by the arbitration policy. (Inlined
    /// into the loop, as are the bank pick and the lane search: returned
    /// through memory, the choice was read back before its stores had
    /// landed, a store-forwarding stall at every step.)
    #[inline(always)]
    fn select(&mut self) -> Result<Option<Best>, DramError> {
        let mut best = None;
        if !self.refresh_q.is_empty() || !self.streams.is_empty() {
            best = self.select_refresh_and_streams()?;
        }
        self.refresh_candidates();
        if let Some(p) = self.pick_bank() {
            let cand = Best {
                t: p.t,
                key: match self.arbitration {
                    Arbitration::RoundRobin => key(CLASS_COLUMN, p.key),
                    Arbitration::OldestFirst => p.key,
                },
                action: Action::Queue {
                    bank: p.bank,
                    cand: p.cand,
                },
            };
            if cand.beats(&best) {
                best = Some(cand);
            }
        }
        Ok(best)
    }

    /// The round-robin turn: the queue after the last served, and the
    /// number of queues (banks, then streams).
    #[inline]
    fn turn(&self) -> (u64, u64) {
        let queues = (self.bank_q.len() + self.streams.len()) as u64;
        // `rr_last < queues`, so no division is needed.
        let next = self.rr_last + 1;
        (if next >= queues { next - queues } else { next }, queues)
    }

    /// The refresh commands and the heads of the command streams: the best
    /// of them (requests are the common case; this is kept out of its way).
    #[cold]
    #[inline(never)]
    fn select_refresh_and_streams(&mut self) -> Result<Option<Best>, DramError> {
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
                                cand: Choice::of(CommandKind::PRE),
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
                        cand: Choice::of(CommandKind::REF),
                        bank: first,
                    },
                });
            }
        }
        let round_robin = self.arbitration == Arbitration::RoundRobin;
        let nb = self.bank_q.len();
        let (after_last, queues) = self.turn();
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
                key(CLASS_COLUMN, rr_distance(nb + s, after_last, queues) << 16)
            } else {
                key(class, head.seq)
            };
            let cand = Best {
                t: self.dev.earliest(kind, b).max(now),
                key,
                action: Action::Stream {
                    stream: s,
                    cand: Choice::of(kind),
                    bank: b,
                },
            };
            if cand.beats(&best) {
                best = Some(cand);
            }
        }
        Ok(best)
    }

    /// The banks' best command: from the whole scan, or, when no command has
    /// gone since the last scan, from the banks whose queues changed (see
    /// [`Scan`]).
    #[inline(always)]
    fn pick_bank(&mut self) -> Option<Pick> {
        if self.scan.valid && self.changed.is_empty() {
            // Nothing has changed since the last scan (a request joined a
            // queue behind others, or none moved): its pick stands.
            return self.scan.pick;
        }
        // The ranks with queued requests and no refresh due, and their
        // rank-wide bounds (rank and channel rules, command and data buses,
        // four-activate window) of the request kinds, unless they are
        // current (no command has gone since they were worked out).
        let blocked = self.refresh_q.front().map_or(0, |&r| 1 << r);
        let live = self.queued_ranks & !blocked;
        if !self.scan.valid {
            self.sh_fresh = 0;
        }
        let stale = live & !self.sh_fresh;
        if stale != 0 {
            self.dev.request_shared_bounds(stale, &mut self.sh);
            self.sh_fresh |= stale;
        }
        let reuse = self.scan.valid
            && self
                .scan
                .pick
                .is_none_or(|p| !self.changed.contains(&(p.bank as u32)));
        let pick = if reuse {
            self.merge_changed(live)
        } else {
            match self.arbitration {
                Arbitration::RoundRobin => self
                    .search_lanes(live)
                    .or_else(|| self.scan_round_robin(live)),
                Arbitration::OldestFirst => self.scan_oldest_first(live),
            }
        };
        self.changed.clear();
        self.scan = Scan { valid: true, pick };
        pick
    }

    /// The last scan's pick against the banks that changed since.
    fn merge_changed(&self, live: u64) -> Option<Pick> {
        let mut pick = self.scan.pick;
        let (after_last, queues) = self.turn();
        for &b in &self.changed {
            let b = b as usize;
            if !self.is_active(b) || live & (1 << self.dev.rank_of(b)) == 0 {
                continue;
            }
            let candidate = match self.arbitration {
                Arbitration::RoundRobin => {
                    let t = self.bank_time(b);
                    let rr_key = rr_distance(b, after_last, queues) << 16;
                    if pick.is_some_and(|p| (t, rr_key) >= (p.t, p.key)) {
                        continue;
                    }
                    self.round_robin_pick(b, t, after_last, queues)
                }
                Arbitration::OldestFirst => {
                    let Some(p) = self.oldest_in(b) else {
                        continue;
                    };
                    p
                }
            };
            candidate.offer(&mut pick);
        }
        pick
    }

    /// Round-robin: the bank with the earliest cycle, the first in turn
    /// from the one after the last served among equals. Every queued bank is
    /// looked at, in index order, with the distance in turn as the second
    /// key; the loop body has no branch on the banks' cycles (with random
    /// traffic such branches are mispredicted often enough to cost more than
    /// the work they would save).
    fn scan_round_robin(&self, live: u64) -> Option<Pick> {
        let (after_last, queues) = self.turn();
        let (mut t_min, mut d_min, mut found) = (u64::MAX, u64::MAX, usize::MAX);
        for (w, &word) in self.active.iter().enumerate() {
            let mut word = word;
            while word != 0 {
                let b = w * 64 + word.trailing_zeros() as usize;
                word &= word - 1;
                if live & (1 << self.dev.rank_of(b)) == 0 {
                    continue;
                }
                let (t, d) = (self.bank_time(b), rr_distance(b, after_last, queues));
                let better = (t < t_min) | ((t == t_min) & (d < d_min));
                t_min = if better { t } else { t_min };
                d_min = if better { d } else { d_min };
                found = if better { b } else { found };
            }
        }
        (found != usize::MAX).then(|| self.round_robin_pick(found, t_min, after_last, queues))
    }

    /// Round-robin through [`Lanes`]: the same pick as
    /// [`Channel::scan_round_robin`], found without a branch per bank;
    /// `None` when the lanes cannot tell it (the exact scan then runs).
    #[inline(always)]
    fn search_lanes(&mut self, live: u64) -> Option<Pick> {
        let (after_last, queues) = self.turn();
        let queued_banks = self.queued_banks;
        let lanes = self
            .lanes
            .as_mut()
            .filter(|_| queues as usize <= lanes::MAX_QUEUES)?;
        let (stat, dev) = (&self.stat, &self.dev);
        let bounds = |b| (stat[b], dev.group_bounds(dev.group_of(b)));
        if !lanes.in_use(queued_banks, self.now, bounds) {
            return None;
        }
        let (bank, t) = lanes.search(&self.sh, live, self.now, after_last, queues)?;
        let pick = self.round_robin_pick(bank, t, after_last, queues);
        debug_assert_eq!(
            self.scan_round_robin(live).map(|p| (p.t, p.key, p.bank)),
            Some((pick.t, pick.key, pick.bank)),
            "the lanes and the exact scan disagree at cycle {}",
            self.now
        );
        Some(pick)
    }

    /// Oldest-first: every candidate of every bank, the earliest, then by
    /// class and age.
    fn scan_oldest_first(&self, live: u64) -> Option<Pick> {
        let mut pick: Option<Pick> = None;
        for w in 0..self.active.len() {
            let mut word = self.active[w];
            while word != 0 {
                let b = w * 64 + word.trailing_zeros() as usize;
                word &= word - 1;
                if live & (1 << self.dev.rank_of(b)) == 0 {
                    continue;
                }
                if let Some(p) = self.oldest_in(b) {
                    p.offer(&mut pick);
                }
            }
        }
        pick
    }

    #[inline]
    fn is_active(&self, b: usize) -> bool {
        self.active[b / 64] & (1 << (b % 64)) != 0
    }

    /// The earliest cycle of any candidate of bank `b` (the rank-wide
    /// bounds `sh` of its rank must be current).
    #[inline]
    fn bank_time(&self, b: usize) -> u64 {
        // Kind by kind: folded as arrays of four, the bounds became slow
        // vector code (64-bit maximum is not a vector instruction on
        // baseline x86-64).
        let (stat, s) = (&self.stat[b], &self.sh[self.dev.rank_of(b)]);
        let group = self.dev.group_bounds(self.dev.group_of(b));
        let at = |k: usize| stat[k].max(group[k]).max(s[k]);
        at(0).min(at(1)).min(at(2)).min(at(3)).max(self.now)
    }

    /// Bank `b`'s pick under round-robin at `t`, its earliest cycle: its
    /// first candidate legal then, ordered by the bank's distance in turn
    /// and then the candidate's queue position.
    #[inline]
    fn round_robin_pick(&self, b: usize, t: u64, after_last: u64, queues: u64) -> Pick {
        let cand = self.first_ready(b, t);
        Pick {
            t,
            key: (rr_distance(b, after_last, queues) << 16) | cand.pos() as u64,
            bank: b,
            cand,
        }
    }

    /// The first candidate of bank `b` in queue order that is legal at `t`
    /// (one is: `t` is the bank's earliest cycle). Without a branch per
    /// candidate: which of them is legal is as good as random.
    #[inline]
    fn first_ready(&self, b: usize, t: u64) -> Choice {
        // Each candidate's own bound against its kind's bank-group and
        // rank-wide bounds (only the candidates' kinds are needed).
        let group = self.dev.group_bounds(self.dev.group_of(b));
        let s = &self.sh[self.dev.rank_of(b)];
        let bc = &self.cands[b];
        let mut first = u64::MAX;
        for (i, c) in bc.c.iter().enumerate() {
            // Candidates are ACT, PRE, RD or WR: kinds 0 to 3.
            let k = c.kind.index() & 3;
            let legal = (i < bc.n as usize) & (c.local.max(group[k]).max(s[k]) <= t);
            // A choice orders by queue position first (the candidates'
            // positions differ).
            let choice = Choice::from(*c).0;
            first = first.min(if legal { choice } else { u64::MAX });
        }
        debug_assert!(
            first != u64::MAX,
            "bank {b} has no candidate legal at its earliest cycle"
        );
        Choice(first)
    }

    /// Bank `b`'s pick under oldest-first arbitration: its earliest
    /// candidate, then by class and age.
    #[inline]
    fn oldest_in(&self, b: usize) -> Option<Pick> {
        let group = self.dev.group_bounds(self.dev.group_of(b));
        let (stat, s) = (&self.stat[b], &self.sh[self.dev.rank_of(b)]);
        let bc = &self.cands[b];
        let mut best: Option<(u64, u64, Cand)> = None;
        for c in &bc.c[..bc.n as usize] {
            let k = c.kind.index();
            let tc = stat[k].max(group[k]).max(s[k]).max(self.now);
            let key = key(c.class, c.seq);
            if best.is_none_or(|(bt, bk, _)| (tc, key) < (bt, bk)) {
                best = Some((tc, key, *c));
            }
        }
        best.map(|(t, key, c)| Pick {
            t,
            key,
            bank: b,
            cand: c.into(),
        })
    }

    /// Bring the candidates of every bank touched since the last selection
    /// up to date, with their bank bounds (`stat`).
    fn refresh_candidates(&mut self) {
        while let Some(b) = self.touched.pop() {
            let b = b as usize;
            self.in_touched[b] = false;
            self.changed.push(b as u32);
            if self.dirty[b] {
                self.recompute(b);
            } else if self.stale[b] {
                self.stale[b] = false;
                let dev = &self.dev;
                let (bc, stat) = (&mut self.cands[b], &mut self.stat[b]);
                for c in &mut bc.c[..bc.n as usize] {
                    c.local = dev.bank_bound(c.kind, b).max(c.eligible);
                    stat[c.kind.index() & 3] = c.local;
                }
            }
            if let Some(lanes) = &mut self.lanes {
                lanes.set_bank(b, &self.stat[b]);
            }
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
            Action::Refresh { cand, bank } => {
                let kind = cand.kind();
                self.dev.issue(kind, bank, 0, now);
                if kind == CommandKind::REF {
                    self.refresh_q.pop_front();
                }
                (kind, bank, 0)
            }
            Action::Queue { bank, cand } => {
                self.rr_last = bank as u64;
                let row = match cand.kind() {
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
                        let e = self.bank_q[bank]
                            .remove(cand.pos())
                            .expect("candidate position is in the queue");
                        let done = self.dev.issue(kind, bank, e.row, now);
                        self.complete(e, done);
                        self.room[bank / 64] |= 1 << (bank % 64);
                        if self.bank_q[bank].is_empty() {
                            self.active[bank / 64] &= !(1 << (bank % 64));
                            self.queued_banks -= 1;
                            let rank = self.dev.rank_of(bank);
                            self.rank_banks[rank] -= 1;
                            if self.rank_banks[rank] == 0 {
                                self.queued_ranks &= !(1 << rank);
                            }
                        }
                        e.row
                    }
                };
                (cand.kind(), bank, row)
            }
            Action::Stream { stream, cand, bank } => {
                let kind = cand.kind();
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
        // its bank (a rank command: the bounds of every bank of its rank),
        // and the bank-group bounds of its bank group; their candidates and
        // `stat` are updated before the next selection, the lanes now.
        // Rank-wide bounds are read at selection.
        self.scan.valid = false;
        let rank_command = self.dev.is_rank_command(kind);
        // (Only when in use: the bounds passed would be read for nothing.)
        if let Some(lanes) = self.lanes.as_mut().filter(|l| l.is_on()) {
            // The bank-group bounds that changed: the command's bank group,
            // or every bank group of the rank.
            let bpg = self.dev.geo.banks_per_group as usize;
            let g = self.dev.group_of(bank);
            let groups = if rank_command {
                let per_rank = self.dev.banks_per_rank() / bpg;
                g / per_rank * per_rank..(g / per_rank + 1) * per_rank
            } else {
                g..g + 1
            };
            for g in groups {
                lanes.set_banks(g * bpg..(g + 1) * bpg, &self.dev.group_bounds(g));
            }
        }
        if rank_command {
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
            // In integers: exact (a float sum rounds once past 2^53).
            self.read_latency_sum += n * done - (e.admitted + e.merged_admitted);
        }
    }
}

/// Round-robin distance of queue `q` from `after_last`, of `queues`.
#[inline]
fn rr_distance(q: usize, after_last: u64, queues: u64) -> u64 {
    let d = q as u64 + queues - after_last;
    if d >= queues {
        d - queues
    } else {
        d
    }
}
