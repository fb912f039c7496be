//! The state of the ranks of one channel and the legality of a command at
//! a given cycle: per-bank row state, the earliest cycle each kind may go to
//! each bank, bank group and rank, the four-activate windows, the command
//! buses and the data bus.
//!
//! Rules are kept as "earliest next" bounds folded at issue time: a command
//! of kind `k` at cycle `t` raises, for every rule `k -> c` of scope `s`,
//! the bound of `c` on the bank, bank group, rank (or other ranks) or
//! channel it touches to `t + cycles`. The earliest cycle of a command is
//! then the maximum of four bounds and the resources, O(1) per query. The
//! bounds of every scope live in one table, so that a command raises them
//! in one loop over a list made for its kind and rank.
use super::command::{CommandKind, CommandSet, RowUse, Scope, MAX_KINDS};
use super::config::{CommandBus, Geometry};

pub(crate) const NO_ROW: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
pub(crate) struct KindInfo {
    pub row: RowUse,
    pub slots: u64,
    /// (delay, cycles) on the data bus.
    pub data: Option<(u64, u64)>,
}

/// One bound a command raises when it issues: entry `at` of the bound
/// table, counted from the start of the command's bank row (`from` =
/// [`FROM_BANK`]), of its bank group's row ([`FROM_GROUP`]) or of the table
/// ([`FROM_TABLE`]), to the command's cycle plus `cycles`.
#[derive(Clone, Copy, Debug)]
struct Raise {
    from: u8,
    at: usize,
    cycles: u64,
}

const FROM_BANK: u8 = 0;
const FROM_GROUP: u8 = 1;
const FROM_TABLE: u8 = 2;

/// Where the rows of the bound table start. A row holds one entry per kind
/// (`stride` of them); there is a row per bank, then per bank group, per
/// rank, one for the channel, and last a spare entry.
#[derive(Clone, Copy, Debug)]
struct Rows {
    stride: usize,
    groups: usize,
    ranks: usize,
    channel: usize,
}

impl Rows {
    fn new(geo: &Geometry, kinds: usize) -> Rows {
        let stride = kinds;
        let groups = geo.banks() as usize * stride;
        let ranks = groups + (geo.ranks * geo.bankgroups) as usize * stride;
        let channel = ranks + geo.ranks as usize * stride;
        Rows {
            stride,
            groups,
            ranks,
            channel,
        }
    }

    #[inline]
    fn bank(&self, b: usize) -> usize {
        b * self.stride
    }

    /// Bank group `g` (flat index rank * bankgroups + group).
    #[inline]
    fn group(&self, g: usize) -> usize {
        self.groups + g * self.stride
    }

    #[inline]
    fn rank(&self, r: usize) -> usize {
        self.ranks + r * self.stride
    }

    #[inline]
    fn channel(&self) -> usize {
        self.channel
    }

    fn spare(&self) -> usize {
        self.channel + self.stride
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Device {
    pub geo: Geometry,
    rank_shift: u32,
    bg_shift: u32,
    /// The data-bus delays of RD and WR.
    rw_data_delay: [u64; 2],
    pub kinds: Vec<KindInfo>,
    /// Per kind and rank (`kind * ranks + rank`), the bounds a command
    /// raises. The lists of the kinds that are not rank commands have one
    /// length, padded with raises of the spare entry at the end of the
    /// table, so that the loop of [`Device::issue`] runs the same number of
    /// times whatever the kind (its exit is then predicted; with random
    /// traffic, mispredicted loop exits were a good part of the cost of a
    /// command).
    raises: Vec<Vec<Raise>>,
    /// The earliest cycle of each kind, in the rows of `rows`.
    next: Vec<u64>,
    rows: Rows,
    t_faw: u64,
    /// The last four ACT cycles of each rank (ring buffer) and how many.
    faw: Vec<[u64; 4]>,
    faw_head: Vec<u8>,
    faw_len: Vec<u8>,
    /// Per rank, the earliest ACT under the four-activate window: the
    /// oldest of the last four ACTs plus tFAW (0 while there have been
    /// fewer, or with no window). Kept at each ACT, so that the bounds read
    /// at every command need not work it out.
    faw_bound: Vec<u64>,
    pub open_row: Vec<u32>,
    /// Column commands since the row was opened.
    pub col_count: Vec<u32>,
    pub open_in_rank: Vec<u32>,
    bus_of_rank: Vec<usize>,
    bus_free: Vec<u64>,
    pub bus_busy: Vec<u64>,
    data_free: u64,
    pub data_busy: u64,
    pub counts: Vec<u64>,
    /// Column commands that found their row already accessed since the ACT.
    pub row_hits: u64,
    /// Column commands that were the first access after an ACT.
    pub row_misses: u64,
    bg_since: Vec<u64>,
    pub active_cycles: Vec<u64>,
    pub idle_cycles: Vec<u64>,
    /// The cycle after the last effect of any command (end of its data
    /// burst or of its command slots).
    pub end: u64,
}

impl Device {
    pub fn new(geo: Geometry, set: &CommandSet, bus: CommandBus) -> Device {
        let nk = set.kinds().len();
        debug_assert!(nk <= MAX_KINDS);
        let kinds: Vec<KindInfo> = set
            .kinds()
            .iter()
            .map(|k| KindInfo {
                row: k.row,
                slots: k.command_slots as u64,
                data: k.data_bus.map(|d| (d.delay as u64, d.cycles as u64)),
            })
            .collect();
        let ranks = geo.ranks as usize;
        let banks = geo.banks() as usize;
        let (bpr, bpg) = (geo.banks_per_rank() as usize, geo.banks_per_group as usize);
        let rows = Rows::new(&geo, nk);
        // Keep the longest of duplicate rules.
        let mut longest: Vec<((usize, Scope, usize), u64)> = Vec::new();
        for r in set.rules() {
            let key = (r.from.index(), r.scope, r.to.index());
            match longest.iter_mut().find(|(k, _)| *k == key) {
                Some((_, c)) => *c = (*c).max(r.cycles as u64),
                None => longest.push((key, r.cycles as u64)),
            }
        }
        let mut raises: Vec<Vec<Raise>> = vec![Vec::new(); nk * ranks];
        for &((from, scope, to), cycles) in &longest {
            let rank_command = kinds[from].row == RowUse::NeedsAllClosed;
            for rank in 0..ranks {
                let list = &mut raises[from * ranks + rank];
                let mut raise = |from, at| list.push(Raise { from, at, cycles });
                match scope {
                    // A rank command's bank and bank-group rules apply to
                    // every bank of its rank.
                    Scope::Bank if rank_command => {
                        for b in rank * bpr..(rank + 1) * bpr {
                            raise(FROM_TABLE, rows.bank(b) + to);
                        }
                    }
                    Scope::BankGroup if rank_command => {
                        for g in rank * bpr / bpg..(rank + 1) * bpr / bpg {
                            raise(FROM_TABLE, rows.group(g) + to);
                        }
                    }
                    Scope::Bank => raise(FROM_BANK, to),
                    Scope::BankGroup => raise(FROM_GROUP, to),
                    Scope::Rank => raise(FROM_TABLE, rows.rank(rank) + to),
                    Scope::OtherRanks => {
                        for other in (0..ranks).filter(|&o| o != rank) {
                            raise(FROM_TABLE, rows.rank(other) + to);
                        }
                    }
                    Scope::Channel => raise(FROM_TABLE, rows.channel() + to),
                }
            }
        }
        let is_rank_command = |i: usize| kinds[i / ranks].row == RowUse::NeedsAllClosed;
        let padded = (0..raises.len())
            .filter(|&i| !is_rank_command(i))
            .map(|i| raises[i].len())
            .max()
            .unwrap_or(0);
        for (i, list) in raises.iter_mut().enumerate() {
            if !is_rank_command(i) {
                list.resize(
                    padded,
                    Raise {
                        from: FROM_TABLE,
                        at: rows.spare(),
                        cycles: 0,
                    },
                );
            }
        }
        let per_bus = match bus {
            CommandBus::Shared => ranks,
            CommandBus::PerDimm(n) => (n as usize).max(1),
        };
        let bus_of_rank: Vec<usize> = (0..ranks).map(|r| r / per_bus).collect();
        let nbus = bus_of_rank.last().map_or(1, |b| b + 1);
        Device {
            geo,
            rank_shift: geo.banks_per_rank().trailing_zeros(),
            bg_shift: geo.banks_per_group.trailing_zeros(),
            rw_data_delay: [CommandKind::RD, CommandKind::WR]
                .map(|k| kinds[k.index()].data.map_or(0, |(delay, _)| delay)),
            kinds,
            raises,
            next: vec![0; rows.spare() + 1],
            rows,
            t_faw: set.t_faw() as u64,
            faw: vec![[0; 4]; ranks],
            faw_head: vec![0; ranks],
            faw_len: vec![0; ranks],
            faw_bound: vec![0; ranks],
            open_row: vec![NO_ROW; banks],
            col_count: vec![0; banks],
            open_in_rank: vec![0; ranks],
            bus_of_rank,
            bus_free: vec![0; nbus],
            bus_busy: vec![0; nbus],
            data_free: 0,
            data_busy: 0,
            counts: vec![0; nk],
            row_hits: 0,
            row_misses: 0,
            bg_since: vec![0; ranks],
            active_cycles: vec![0; ranks],
            idle_cycles: vec![0; ranks],
            end: 0,
        }
    }

    #[inline]
    pub fn banks_per_rank(&self) -> usize {
        self.geo.banks_per_rank() as usize
    }

    #[inline]
    pub fn rank_of(&self, bank: usize) -> usize {
        // Every count of the geometry is a power of two.
        bank >> self.rank_shift
    }

    #[inline]
    pub fn group_of(&self, bank: usize) -> usize {
        bank >> self.bg_shift
    }

    /// Flat bank index of (rank, bank group, bank).
    #[inline]
    pub fn bank_index(&self, rank: u32, bankgroup: u32, bank: u32) -> usize {
        ((rank * self.geo.bankgroups + bankgroup) * self.geo.banks_per_group + bank) as usize
    }

    /// The earliest cycle at which a `kind` command to `bank` meets every
    /// rule and finds its buses free (row state is the caller's business).
    #[inline]
    pub fn earliest(&self, kind: CommandKind, bank: usize) -> u64 {
        self.local_bound(kind, bank)
            .max(self.shared_bound(kind, self.rank_of(bank)))
    }

    /// The part of [`Device::earliest`] set by commands to the same bank and
    /// bank group (for a rank command: to any bank of the rank). It changes
    /// only when a command goes to that bank group.
    #[inline]
    pub fn local_bound(&self, kind: CommandKind, bank: usize) -> u64 {
        let k = kind.index();
        let rows = self.rows;
        if self.kinds[k].row == RowUse::NeedsAllClosed {
            let first = self.rank_of(bank) * self.banks_per_rank();
            let bpg = self.geo.banks_per_group as usize;
            let mut m = 0;
            for b in first..first + self.banks_per_rank() {
                m = m.max(self.next[rows.bank(b) + k]);
            }
            for g in first / bpg..(first + self.banks_per_rank()) / bpg {
                m = m.max(self.next[rows.group(g) + k]);
            }
            m
        } else {
            self.next[rows.bank(bank) + k].max(self.next[rows.group(self.group_of(bank)) + k])
        }
    }

    /// The part of [`Device::earliest`] shared by every bank of `rank`: rank
    /// and channel rules, the four-activate window, the command and data buses.
    #[inline]
    pub fn shared_bound(&self, kind: CommandKind, rank: usize) -> u64 {
        let k = kind.index();
        let info = self.kinds[k];
        let mut t = self.next[self.rows.rank(rank) + k]
            .max(self.next[self.rows.channel() + k])
            .max(self.bus_free[self.bus_of_rank[rank]]);
        if info.row == RowUse::Opens {
            t = t.max(self.faw_bound[rank]);
        }
        if let Some((delay, _)) = info.data {
            t = t.max(self.data_free.saturating_sub(delay));
        }
        t
    }

    /// [`Device::shared_bound`] of ACT, PRE, RD and WR at each rank of
    /// `ranks` (a bit per rank) into `out[rank]` (the scheduler's hot path).
    #[inline]
    pub fn request_shared_bounds(&self, ranks: u64, out: &mut [[u64; 4]]) {
        // The channel's part, the same for every rank. RD and WR always
        // move data (a set extends the standard one).
        let at = self.rows.channel();
        let c = &self.next[at..at + 4];
        let [rd_delay, wr_delay] = self.rw_data_delay;
        let channel = [
            c[0],
            c[1],
            c[2].max(self.data_free.saturating_sub(rd_delay)),
            c[3].max(self.data_free.saturating_sub(wr_delay)),
        ];
        let mut left = ranks;
        while left != 0 {
            let rank = left.trailing_zeros() as usize;
            left &= left - 1;
            let bus = self.bus_free[self.bus_of_rank[rank]];
            let at = self.rows.rank(rank);
            let r = &self.next[at..at + 4];
            out[rank] = [
                r[0].max(channel[0]).max(bus).max(self.faw_bound[rank]),
                r[1].max(channel[1]).max(bus),
                r[2].max(channel[2]).max(bus),
                r[3].max(channel[3]).max(bus),
            ];
        }
    }

    /// The bound of `kind` set by rules of scope `Bank` on `bank`.
    #[inline]
    pub fn bank_bound(&self, kind: CommandKind, bank: usize) -> u64 {
        self.next[self.rows.bank(bank) + kind.index()]
    }

    /// The bank-group bounds of ACT, PRE, RD and WR at bank group `g` (flat
    /// index rank * bankgroups + group).
    #[inline]
    pub fn group_bounds(&self, g: usize) -> [u64; 4] {
        let at = self.rows.group(g);
        let b = &self.next[at..at + 4];
        [b[0], b[1], b[2], b[3]]
    }

    /// Whether `kind` is a rank command (its rules touch every bank).
    #[inline]
    pub fn is_rank_command(&self, kind: CommandKind) -> bool {
        self.kinds[kind.index()].row == RowUse::NeedsAllClosed
    }

    /// Issue `kind` to `bank` (with `row` for row-opening kinds) at cycle
    /// `t`, which must be at least [`Device::earliest`]. Returns the cycle
    /// at which the command's effect ends (its data burst, if any).
    pub fn issue(&mut self, kind: CommandKind, bank: usize, row: u32, t: u64) -> u64 {
        let k = kind.index();
        let info = self.kinds[k];
        let rank = self.rank_of(bank);
        self.counts[k] += 1;
        let bus = self.bus_of_rank[rank];
        self.bus_free[bus] = t + info.slots;
        self.bus_busy[bus] += info.slots;
        // Written without branches on the kind where that is easy: with
        // random traffic the kinds follow each other unpredictably.
        let (delay, cycles) = info.data.unwrap_or((0, 0));
        let data_end = t + delay + cycles;
        // All ones for a kind that moves data.
        let moves = (info.data.is_some() as u64).wrapping_neg();
        self.data_free = (data_end & moves) | (self.data_free & !moves);
        self.data_busy += cycles;
        let done = (data_end & moves) | ((t + info.slots) & !moves);
        self.end = self.end.max(done);

        let from = [
            self.rows.bank(bank),
            self.rows.group(self.group_of(bank)),
            0,
            0,
        ];
        for r in &self.raises[k * self.geo.ranks as usize + rank] {
            let e = &mut self.next[from[r.from as usize & 3] + r.at];
            *e = (*e).max(t + r.cycles);
        }

        match info.row {
            RowUse::Opens => {
                if self.open_row[bank] == NO_ROW {
                    self.set_open_count(rank, self.open_in_rank[rank] + 1, t);
                }
                self.open_row[bank] = row;
                self.col_count[bank] = 0;
                if self.t_faw > 0 {
                    let len = self.faw_len[rank] as usize;
                    let head = self.faw_head[rank] as usize;
                    if len < 4 {
                        self.faw[rank][(head + len) % 4] = t;
                        self.faw_len[rank] += 1;
                    } else {
                        self.faw[rank][head] = t;
                        self.faw_head[rank] = ((head + 1) % 4) as u8;
                    }
                    if self.faw_len[rank] == 4 {
                        let oldest = self.faw[rank][self.faw_head[rank] as usize];
                        self.faw_bound[rank] = oldest + self.t_faw;
                    }
                }
            }
            RowUse::Closes => {
                if self.open_row[bank] != NO_ROW {
                    self.open_row[bank] = NO_ROW;
                    self.set_open_count(rank, self.open_in_rank[rank] - 1, t);
                }
            }
            RowUse::NeedsOpen => {
                if self.col_count[bank] == 0 {
                    self.row_misses += 1;
                } else {
                    self.row_hits += 1;
                }
                self.col_count[bank] += 1;
            }
            RowUse::Free | RowUse::NeedsAllClosed => {}
        }
        done
    }

    fn set_open_count(&mut self, rank: usize, n: u32, t: u64) {
        let was = self.open_in_rank[rank];
        if (was == 0) != (n == 0) {
            let span = t.saturating_sub(self.bg_since[rank]);
            if was == 0 {
                self.idle_cycles[rank] += span;
            } else {
                self.active_cycles[rank] += span;
            }
            self.bg_since[rank] = t;
        }
        self.open_in_rank[rank] = n;
    }

    /// Active and precharged standby cycles of each rank up to `until`.
    pub fn standby_cycles(&self, until: u64) -> Vec<(u64, u64)> {
        (0..self.geo.ranks as usize)
            .map(|r| {
                let span = until.saturating_sub(self.bg_since[r]);
                if self.open_in_rank[r] > 0 {
                    (self.active_cycles[r] + span, self.idle_cycles[r])
                } else {
                    (self.active_cycles[r], self.idle_cycles[r] + span)
                }
            })
            .collect()
    }
}
