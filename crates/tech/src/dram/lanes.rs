//! The round-robin bank search in 16-bit lanes.
//!
//! With random traffic some twenty banks have requests queued, and each
//! command used to need a walk over the banks in turn until one had a
//! command legal at the first free command-bus slot: a dozen banks, with a
//! loop exit that no branch predictor can guess. Here every bank is looked
//! at, in straight-line code over arrays of `i16` that the compiler turns
//! into SIMD instructions (seen in the machine code for baseline x86-64:
//! 64-bit compares do not vectorize there, 16-bit minimum and maximum do,
//! eight banks per instruction).
//!
//! Each bank's bounds are kept as offsets from a `base` cycle, saturated to
//! `0..=i16::MAX`. The mapping is monotone, so it commutes with the `max`
//! and `min` of the search, and a bank's key (its wait past `now`, capped,
//! then its distance in turn) orders banks exactly as the cycles do as long
//! as the winner's wait is below the cap. When it is not (no bank can issue
//! within [`WAIT_CAP`] cycles, or no bank is queued), [`Lanes::search`]
//! says so and the caller runs the exact scan; the result is the same
//! either way.

/// Banks per SIMD chunk.
const LANE: usize = 8;
/// Largest number of queues (banks and command streams) the key's distance
/// field holds.
pub(super) const MAX_QUEUES: usize = 64;
const DIST_BITS: u32 = 6;
/// Queued banks from which the lanes are used, and below which they are
/// left again. Measured: streaming keeps one or two banks queued and the
/// optimizer update three to five, and both are faster with the exact scan
/// (the ResNet-50 update 8 %); random traffic keeps some twenty, and is
/// twice as fast with the lanes. Thresholds from 6 to 12 measure the same.
const ON_AT: u32 = 8;
const OFF_BELOW: u32 = 6;
/// Most chunks: `MAX_QUEUES` banks.
const MAX_CHUNKS: usize = MAX_QUEUES / LANE;
/// Waits of this many cycles or more are left to the exact scan.
const WAIT_CAP: i16 = i16::MAX >> DIST_BITS;
/// Offsets are rebased once `now` is this far past `base`, so that bounds a
/// few thousand cycles ahead of `now` still fit below `i16::MAX`.
const REBASE_AFTER: u64 = 1 << 14;

/// Bank-local bounds as 16-bit offsets, per request kind (ACT, PRE, RD, WR):
/// the bank's own (its candidates' bank bounds) and its bank group's, kept
/// apart so that a command updates its bank group's four values once, not
/// those of every bank in it.
#[derive(Clone, Debug)]
pub(super) struct Lanes {
    base: u64,
    banks_per_rank: usize,
    /// Whether the lanes are kept up to date and searched (see
    /// [`Lanes::in_use`]).
    on: bool,
    /// Per chunk of [`LANE`] banks, per kind, per bank: the bank's bound as
    /// an offset from `base`.
    bank: Vec<[Chunk; 4]>,
    /// The same for the bank's bank group.
    group: Vec<[Chunk; 4]>,
}

impl Lanes {
    /// Lanes for `banks` banks, `banks_per_rank` to a rank; `None` when the
    /// geometry does not fit them (ranks not a whole number of chunks, or
    /// more banks than the key can tell apart): the exact scan is then the
    /// only search.
    pub(super) fn new(banks: usize, banks_per_rank: usize) -> Option<Lanes> {
        (banks <= MAX_QUEUES
            && (banks / LANE).is_power_of_two()
            && banks_per_rank > 0
            && banks_per_rank % LANE == 0
            && banks % banks_per_rank == 0)
            .then(|| Lanes {
                base: 0,
                banks_per_rank,
                on: false,
                bank: vec![[splat(i16::MAX); 4]; banks / LANE],
                group: vec![[splat(0); 4]; banks / LANE],
            })
    }

    fn banks(&self) -> usize {
        self.bank.len() * LANE
    }

    #[inline]
    fn offset(&self, cycle: u64) -> i16 {
        cycle.saturating_sub(self.base).min(i16::MAX as u64) as i16
    }

    /// Whether to search with the lanes, with `queued` banks holding
    /// requests: from [`ON_AT`] queued banks until fewer than [`OFF_BELOW`].
    /// With a few banks queued (streaming, the optimizer update) the exact
    /// scan looks at them for less than the lanes' upkeep costs. `bounds`
    /// gives a bank's own and its bank group's bounds: they are read again
    /// for every bank when the lanes are turned on, and when `base` is moved
    /// up to `now` (once it has fallen far behind).
    #[inline]
    pub(super) fn in_use(
        &mut self,
        queued: u32,
        now: u64,
        bounds: impl Fn(usize) -> ([u64; 4], [u64; 4]),
    ) -> bool {
        let was = self.on;
        self.on = if was {
            queued >= OFF_BELOW
        } else {
            queued >= ON_AT
        };
        if self.on && (!was || now - self.base >= REBASE_AFTER) {
            self.base = now;
            for b in 0..self.banks() {
                let (own, group) = bounds(b);
                self.set_bank(b, &own);
                self.set_banks(b..b + 1, &group);
            }
        }
        self.on
    }

    /// Whether the lanes are in use (kept up to date).
    #[inline]
    pub(super) fn is_on(&self) -> bool {
        self.on
    }

    /// Bank `b`'s own bounds changed to `bounds`.
    #[inline]
    pub(super) fn set_bank(&mut self, b: usize, bounds: &[u64; 4]) {
        if self.on {
            let offsets = bounds.map(|t| self.offset(t));
            let chunk = &mut self.bank[b / LANE];
            for (k, t) in offsets.into_iter().enumerate() {
                chunk[k][b % LANE] = t;
            }
        }
    }

    /// The bank-group bounds of `banks` (one bank group) changed to
    /// `bounds`.
    #[inline]
    pub(super) fn set_banks(&mut self, banks: std::ops::Range<usize>, bounds: &[u64; 4]) {
        if self.on {
            let offsets = bounds.map(|t| self.offset(t));
            for b in banks {
                let chunk = &mut self.group[b / LANE];
                for (k, &t) in offsets.iter().enumerate() {
                    chunk[k][b % LANE] = t;
                }
            }
        }
    }

    /// The round-robin winner among the banks of the ranks in `live`: the
    /// bank with the earliest cycle (its bounds against its rank's `sh`, and
    /// `now`), the first in turn from `after_last` among equals, with that
    /// cycle. `None` when the winner cannot be told here (see the module
    /// comment). Only after [`Lanes::in_use`] said yes; `queues` is at most
    /// [`MAX_QUEUES`].
    pub(super) fn search(
        &self,
        sh: &[[u64; 4]],
        live: u64,
        now: u64,
        after_last: u64,
        queues: u64,
    ) -> Option<(usize, u64)> {
        debug_assert!(self.on && queues as usize <= MAX_QUEUES);
        // Each rank's bounds as offsets; all `i16::MAX` for a rank not in
        // `live`, so that its banks never win.
        let mut ranks = [[i16::MAX; 4]; MAX_CHUNKS];
        for (r, bounds) in sh.iter().enumerate() {
            if live & (1 << r) != 0 {
                ranks[r] = bounds.map(|t| self.offset(t));
            }
        }
        let turn = Turn {
            now: (now - self.base) as i16,
            queues: queues as i16,
            // Bank `b`'s distance in turn is `b + queues - after_last`, less
            // `queues` when that reaches it.
            first: (queues - after_last) as i16,
            rank_shift: (self.banks_per_rank / LANE).trailing_zeros(),
        };
        // A constant number of chunks, so that the loop over them is unrolled
        // and each chunk's lanes become SIMD instructions.
        let best = match self.bank.len() {
            1 => keys::<1>(&self.bank, &self.group, &ranks, &turn),
            2 => keys::<2>(&self.bank, &self.group, &ranks, &turn),
            4 => keys::<4>(&self.bank, &self.group, &ranks, &turn),
            _ => keys::<8>(&self.bank, &self.group, &ranks, &turn),
        };
        let key = best.into_iter().min().unwrap_or(i16::MAX);
        let wait = key >> DIST_BITS;
        if wait >= WAIT_CAP {
            return None;
        }
        let d = (key & ((1 << DIST_BITS) - 1)) as u64;
        let bank = d + after_last;
        let bank = if bank >= queues { bank - queues } else { bank };
        debug_assert!(bank < self.banks() as u64);
        Some((bank as usize, now + wait as u64))
    }
}

/// What the keys of a search need besides the bounds.
struct Turn {
    /// `now` as an offset.
    now: i16,
    queues: i16,
    /// Distance in turn of bank 0, before wrapping.
    first: i16,
    /// log2 of the chunks per rank.
    rank_shift: u32,
}

/// The least key (wait, then distance in turn) of each lane over `N`
/// chunks of banks (`N` is the number of chunks, 1, 2, 4 or 8).
#[inline(always)]
fn keys<const N: usize>(
    bank: &[[Chunk; 4]],
    group: &[[Chunk; 4]],
    ranks: &[[i16; 4]; MAX_CHUNKS],
    turn: &Turn,
) -> Chunk {
    let bank: &[[Chunk; 4]; N] = bank.try_into().expect("N is the number of chunks");
    let group: &[[Chunk; 4]; N] = group.try_into().expect("N is the number of chunks");
    let now = splat(turn.now);
    let queues = splat(turn.queues);
    let mut next: Chunk = std::array::from_fn(|i| i as i16 + turn.first);
    let mut best = splat(i16::MAX);
    for (c, (own, group)) in bank.iter().zip(group).enumerate() {
        let s = ranks[c >> turn.rank_shift].map(splat);
        // Per kind, the latest of the bank's, its bank group's and its
        // rank's bounds; then the earliest kind.
        let at = |k: usize| max(max(own[k], group[k]), s[k]);
        let earliest = min(min(at(0), at(1)), min(at(2), at(3)));
        let wait = each(sub(earliest, now), |w| w.clamp(0, WAIT_CAP));
        let d = zip(next, queues, |d, q| if d >= q { d - q } else { d });
        best = min(best, zip(wait, d, |w, d| (w << DIST_BITS) | d));
        next = each(next, |d| d + LANE as i16);
    }
    best
}

// Lane-wise operations on a chunk: written so that each is one SIMD
// instruction (or a few, without a branch).
type Chunk = [i16; LANE];

#[inline(always)]
fn splat(v: i16) -> Chunk {
    [v; LANE]
}

#[inline(always)]
fn each(a: Chunk, f: impl Fn(i16) -> i16) -> Chunk {
    a.map(f)
}

#[inline(always)]
fn zip(a: Chunk, b: Chunk, f: impl Fn(i16, i16) -> i16) -> Chunk {
    std::array::from_fn(|i| f(a[i], b[i]))
}

#[inline(always)]
fn max(a: Chunk, b: Chunk) -> Chunk {
    zip(a, b, i16::max)
}

#[inline(always)]
fn min(a: Chunk, b: Chunk) -> Chunk {
    zip(a, b, i16::min)
}

#[inline(always)]
fn sub(a: Chunk, b: Chunk) -> Chunk {
    zip(a, b, |x, y| x - y)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Banks per rank (two ranks of four bank groups of four).
    const BPR: usize = 16;

    /// The exact search the lanes stand in for: over the banks of live
    /// ranks, the earliest cycle, then the first in turn.
    fn exact(
        own: &[[u64; 4]],
        group: &[[u64; 4]],
        sh: &[[u64; 4]],
        live: u64,
        now: u64,
        after_last: u64,
        queues: u64,
    ) -> Option<(u64, u64, usize)> {
        (0..own.len())
            .filter(|b| live & (1 << (b / BPR)) != 0)
            .map(|b| {
                let s = &sh[b / BPR];
                let t = (0..4)
                    .map(|k| own[b][k].max(group[b / 4][k]).max(s[k]))
                    .min()
                    .unwrap()
                    .max(now);
                let turn = (b as u64 + queues - after_last) % queues;
                (t, turn, b)
            })
            .min()
            .filter(|&(t, _, _)| t != u64::MAX)
    }

    /// xorshift64: a fixed, dependency-free sequence.
    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn the_lanes_find_the_bank_the_exact_search_finds() {
        let banks = 32;
        let mut lanes = Lanes::new(banks, BPR).unwrap();
        let mut rng = 0x2545_f491_4f6c_dd1d_u64;
        let mut now = 1_000;
        let (mut found, mut left) = (0, 0);
        for _ in 0..20_000 {
            // Time moves on, now and then past a rebase.
            now += next(&mut rng) % 3_000;
            // A bound: none, already passed, soon, or far ahead.
            let mut bound = || match next(&mut rng) % 8 {
                0 | 1 => u64::MAX,
                2 => now.saturating_sub(next(&mut rng) % 50_000),
                3 => now + 400 + next(&mut rng) % 100_000,
                _ => now + next(&mut rng) % 40,
            };
            let own: Vec<[u64; 4]> = (0..banks)
                .map(|_| [bound(), bound(), bound(), bound()])
                .collect();
            // Bank groups of four banks; no bank-group bound is "none".
            let mut group_bound = || match bound() {
                u64::MAX => 0,
                t => t,
            };
            let group: Vec<[u64; 4]> = (0..banks / 4)
                .map(|_| [group_bound(), group_bound(), group_bound(), group_bound()])
                .collect();
            let sh = vec![[bound(), bound(), bound(), bound()]; 2];
            let live = next(&mut rng) % 4;
            let queues = banks as u64 + next(&mut rng) % 3;
            let after_last = next(&mut rng) % queues;
            // Turned on afresh now and then, otherwise brought up to date
            // bank by bank and group by group, as the channel does.
            if next(&mut rng) % 16 == 0 {
                lanes.in_use(0, now, |_| unreachable!("off"));
            }
            assert!(lanes.in_use(banks as u32, now, |b| (own[b], group[b / 4])));
            for (b, o) in own.iter().enumerate() {
                lanes.set_bank(b, o);
            }
            for (g, bounds) in group.iter().enumerate() {
                lanes.set_banks(4 * g..4 * g + 4, bounds);
            }
            let want = exact(&own, &group, &sh, live, now, after_last, queues);
            match lanes.search(&sh, live, now, after_last, queues) {
                Some((bank, t)) => {
                    found += 1;
                    assert_eq!(want.map(|(t, _, b)| (b, t)), Some((bank, t)));
                }
                None => {
                    left += 1;
                    // Left to the exact scan only when no bank is ready soon.
                    assert!(want.is_none_or(|(t, _, _)| t - now >= WAIT_CAP as u64));
                }
            }
        }
        assert!(found > 5_000 && left > 100, "{found} found, {left} left");
    }

    #[test]
    fn geometries_that_do_not_fit_are_left_to_the_exact_scan() {
        assert!(Lanes::new(32, 16).is_some());
        assert!(Lanes::new(128, 16).is_none());
        assert!(Lanes::new(12, 4).is_none());
    }
}
