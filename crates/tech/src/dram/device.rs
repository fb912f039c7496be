//! The state of the ranks of one channel and the legality of a command at
//! a given cycle: per-bank row state, the earliest cycle each kind may go to
//! each bank, bank group and rank, the four-activate windows, the command
//! buses and the data bus.
//!
//! Rules are kept as "earliest next" bounds folded at issue time: a command
//! of kind `k` at cycle `t` raises, for every rule `k -> c` of scope `s`,
//! the bound of `c` on the bank, bank group, rank (or other ranks) or
//! channel it touches to `t + cycles`. The earliest cycle of a command is
//! then the maximum of four bounds and the resources, O(1) per query.
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

#[derive(Clone, Debug, Default)]
struct Updates {
    bank: Vec<(usize, u64)>,
    bank_group: Vec<(usize, u64)>,
    rank: Vec<(usize, u64)>,
    other_ranks: Vec<(usize, u64)>,
    channel: Vec<(usize, u64)>,
}

#[derive(Clone, Debug)]
pub(crate) struct Device {
    pub geo: Geometry,
    rank_shift: u32,
    bg_shift: u32,
    pub nk: usize,
    pub kinds: Vec<KindInfo>,
    updates: Vec<Updates>,
    bank_next: Vec<u64>,
    bg_next: Vec<u64>,
    rank_next: Vec<u64>,
    chan_next: Vec<u64>,
    t_faw: u64,
    /// The last four ACT cycles of each rank (ring buffer) and how many.
    faw: Vec<[u64; 4]>,
    faw_head: Vec<u8>,
    faw_len: Vec<u8>,
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
        let mut updates = vec![Updates::default(); nk];
        for r in set.rules() {
            let u = &mut updates[r.from.index()];
            let entry = (r.to.index(), r.cycles as u64);
            let list = match r.scope {
                Scope::Bank => &mut u.bank,
                Scope::BankGroup => &mut u.bank_group,
                Scope::Rank => &mut u.rank,
                Scope::OtherRanks => &mut u.other_ranks,
                Scope::Channel => &mut u.channel,
            };
            // Keep the longest of duplicate rules.
            if let Some(e) = list.iter_mut().find(|e| e.0 == entry.0) {
                e.1 = e.1.max(entry.1);
            } else {
                list.push(entry);
            }
        }
        let ranks = geo.ranks as usize;
        let banks = geo.banks() as usize;
        let bgs = ranks * geo.bankgroups as usize;
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
            nk,
            kinds,
            updates,
            bank_next: vec![0; banks * nk],
            bg_next: vec![0; bgs * nk],
            rank_next: vec![0; ranks * nk],
            chan_next: vec![0; nk],
            t_faw: set.t_faw() as u64,
            faw: vec![[0; 4]; ranks],
            faw_head: vec![0; ranks],
            faw_len: vec![0; ranks],
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
    fn bg_of(&self, bank: usize) -> usize {
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
        let nk = self.nk;
        if self.kinds[k].row == RowUse::NeedsAllClosed {
            let first = self.rank_of(bank) * self.banks_per_rank();
            let bpg = self.geo.banks_per_group as usize;
            let mut m = 0;
            for b in first..first + self.banks_per_rank() {
                m = m.max(self.bank_next[b * nk + k]);
            }
            for g in first / bpg..(first + self.banks_per_rank()) / bpg {
                m = m.max(self.bg_next[g * nk + k]);
            }
            m
        } else {
            self.bank_next[bank * nk + k].max(self.bg_next[self.bg_of(bank) * nk + k])
        }
    }

    /// The part of [`Device::earliest`] shared by every bank of `rank`: rank
    /// and channel rules, the four-activate window, the command and data buses.
    #[inline]
    pub fn shared_bound(&self, kind: CommandKind, rank: usize) -> u64 {
        let k = kind.index();
        let info = self.kinds[k];
        let nk = self.nk;
        let mut t = self.rank_next[rank * nk + k]
            .max(self.chan_next[k])
            .max(self.bus_free[self.bus_of_rank[rank]]);
        if info.row == RowUse::Opens && self.faw_len[rank] == 4 && self.t_faw > 0 {
            let oldest = self.faw[rank][self.faw_head[rank] as usize];
            t = t.max(oldest + self.t_faw);
        }
        if let Some((delay, _)) = info.data {
            t = t.max(self.data_free.saturating_sub(delay));
        }
        t
    }

    /// [`Device::shared_bound`] of ACT, PRE, RD and WR at `rank`, at least
    /// `now`, into `out` (the scheduler's hot path).
    #[inline]
    pub fn request_shared_bounds(&self, rank: usize, now: u64, out: &mut [u64]) {
        let nk = self.nk;
        let base = self.bus_free[self.bus_of_rank[rank]].max(now);
        let r = &self.rank_next[rank * nk..rank * nk + 4];
        let c = &self.chan_next[..4];
        let mut act = r[0].max(c[0]).max(base);
        if self.faw_len[rank] == 4 && self.t_faw > 0 {
            act = act.max(self.faw[rank][self.faw_head[rank] as usize] + self.t_faw);
        }
        let data = |k: usize| match self.kinds[k].data {
            Some((delay, _)) => self.data_free.saturating_sub(delay),
            None => 0,
        };
        out[0] = act;
        out[1] = r[1].max(c[1]).max(base);
        out[2] = r[2].max(c[2]).max(base).max(data(2));
        out[3] = r[3].max(c[3]).max(base).max(data(3));
    }

    /// The bound of `kind` set by rules of scope `Bank` on `bank`.
    #[inline]
    pub fn bank_bound(&self, kind: CommandKind, bank: usize) -> u64 {
        self.bank_next[bank * self.nk + kind.index()]
    }

    /// The bank-group bounds of ACT, PRE, RD and WR at bank group `g` (flat
    /// index rank * bankgroups + group).
    #[inline]
    pub fn group_bounds(&self, g: usize) -> &[u64] {
        let at = g * self.nk;
        &self.bg_next[at..at + 4]
    }

    /// The first cycle at which some command bus is free.
    #[inline]
    pub fn first_free_bus(&self) -> u64 {
        self.bus_free.iter().copied().min().unwrap_or(0)
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
        let nk = self.nk;
        self.counts[k] += 1;
        let bus = self.bus_of_rank[rank];
        self.bus_free[bus] = t + info.slots;
        self.bus_busy[bus] += info.slots;
        let mut done = t + info.slots;
        if let Some((delay, cycles)) = info.data {
            self.data_free = t + delay + cycles;
            self.data_busy += cycles;
            done = t + delay + cycles;
        }
        self.end = self.end.max(done);

        let rank_level = info.row == RowUse::NeedsAllClosed;
        let bpr = self.banks_per_rank();
        let bpg = self.geo.banks_per_group as usize;
        let (b_lo, b_hi) = if rank_level {
            (rank * bpr, rank * bpr + bpr)
        } else {
            (bank, bank + 1)
        };
        let u = &self.updates[k];
        for &(c, d) in &u.bank {
            for b in b_lo..b_hi {
                let e = &mut self.bank_next[b * nk + c];
                *e = (*e).max(t + d);
            }
        }
        for &(c, d) in &u.bank_group {
            for g in b_lo / bpg..(b_hi - 1) / bpg + 1 {
                let e = &mut self.bg_next[g * nk + c];
                *e = (*e).max(t + d);
            }
        }
        for &(c, d) in &u.rank {
            let e = &mut self.rank_next[rank * nk + c];
            *e = (*e).max(t + d);
        }
        if !u.other_ranks.is_empty() {
            for r in (0..self.geo.ranks as usize).filter(|&r| r != rank) {
                for &(c, d) in &u.other_ranks {
                    let e = &mut self.rank_next[r * nk + c];
                    *e = (*e).max(t + d);
                }
            }
        }
        for &(c, d) in &u.channel {
            let e = &mut self.chan_next[c];
            *e = (*e).max(t + d);
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
