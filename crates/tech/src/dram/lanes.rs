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
/// left again (measured: streaming keeps one or two banks queued, random
/// traffic some twenty).
const ON_AT: u32 = 8;
const OFF_BELOW: u32 = 4;
/// Most chunks: `MAX_QUEUES` banks.
const MAX_CHUNKS: usize = MAX_QUEUES / LANE;
/// Waits of this many cycles or more are left to the exact scan.
const WAIT_CAP: i16 = i16::MAX >> DIST_BITS;
/// Offsets are rebased once `now` is this far past `base`, so that bounds a
/// few thousand cycles ahead of `now` still fit below `i16::MAX`.
const REBASE_AFTER: u64 = 1 << 14;

/// Bank-local bounds as 16-bit offsets, per request kind (ACT, PRE, RD, WR).
#[derive(Clone, Debug)]
pub(super) struct Lanes {
    base: u64,
    banks: usize,
    banks_per_rank: usize,
    /// Whether the lanes are kept up to date and searched (see
    /// [`Lanes::in_use`]).
    on: bool,
    /// Per chunk of [`LANE`] banks, per kind, per bank: the bank's `loc` as
    /// an offset from `base`.
    chunks: Vec<[[i16; LANE]; 4]>,
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
                banks,
                banks_per_rank,
                on: false,
                chunks: vec![[[i16::MAX; LANE]; 4]; banks / LANE],
            })
    }

    #[inline]
    fn offset(&self, cycle: u64) -> i16 {
        cycle.saturating_sub(self.base).min(i16::MAX as u64) as i16
    }

    /// Whether to search with the lanes, with `queued` banks holding
    /// requests: from [`ON_AT`] queued banks until fewer than [`OFF_BELOW`].
    /// With a bank or two queued (streaming) the exact scan stops at once and
    /// the lanes' upkeep would cost more than it saves. Turning them on reads
    /// every bank's bounds `loc`.
    #[inline]
    pub(super) fn in_use(&mut self, queued: u32, now: u64, loc: &[[u64; 4]]) -> bool {
        if self.on {
            self.on = queued >= OFF_BELOW;
        } else if queued >= ON_AT {
            self.on = true;
            self.rebase(now, loc);
        }
        self.on
    }

    /// Bank `b`'s bounds changed to `loc`.
    #[inline]
    pub(super) fn set(&mut self, b: usize, loc: &[u64; 4]) {
        if self.on {
            let offsets = loc.map(|t| self.offset(t));
            let chunk = &mut self.chunks[b / LANE];
            for (k, t) in offsets.into_iter().enumerate() {
                chunk[k][b % LANE] = t;
            }
        }
    }

    /// Offsets from `now`, for every bank.
    fn rebase(&mut self, now: u64, loc: &[[u64; 4]]) {
        self.base = now;
        for (b, l) in loc.iter().enumerate() {
            self.set(b, l);
        }
    }

    /// The round-robin winner among the banks of the ranks in `live`: the
    /// bank with the earliest cycle (its bounds against its rank's `sh`, and
    /// `now`), the first in turn from `after_last` among equals, with that
    /// cycle. `None` when the winner cannot be told here (see the module
    /// comment). `loc` are the banks' bounds; `queues` is at most
    /// [`MAX_QUEUES`].
    pub(super) fn search(
        &mut self,
        loc: &[[u64; 4]],
        sh: &[[u64; 4]],
        live: u64,
        now: u64,
        after_last: u64,
        queues: u64,
    ) -> Option<(usize, u64)> {
        debug_assert!(self.on && queues as usize <= MAX_QUEUES);
        if now - self.base >= REBASE_AFTER {
            self.rebase(now, loc);
        }
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
        let best = match self.chunks.len() {
            1 => keys::<1>(&self.chunks, &ranks, &turn),
            2 => keys::<2>(&self.chunks, &ranks, &turn),
            4 => keys::<4>(&self.chunks, &ranks, &turn),
            _ => keys::<8>(&self.chunks, &ranks, &turn),
        };
        let key = best.into_iter().min().unwrap_or(i16::MAX);
        let wait = key >> DIST_BITS;
        if wait >= WAIT_CAP {
            return None;
        }
        let d = (key & ((1 << DIST_BITS) - 1)) as u64;
        let bank = d + after_last;
        let bank = if bank >= queues { bank - queues } else { bank };
        debug_assert!(bank < self.banks as u64);
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
    chunks: &[[Chunk; 4]],
    ranks: &[[i16; 4]; MAX_CHUNKS],
    turn: &Turn,
) -> Chunk {
    let chunks: &[[Chunk; 4]; N] = chunks.try_into().expect("N is the number of chunks");
    let now = splat(turn.now);
    let queues = splat(turn.queues);
    let mut next: Chunk = std::array::from_fn(|i| i as i16 + turn.first);
    let mut best = splat(i16::MAX);
    for (c, [act, pre, rd, wr]) in chunks.iter().enumerate() {
        let s = ranks[c >> turn.rank_shift].map(splat);
        let earliest = min(
            min(max(*act, s[0]), max(*pre, s[1])),
            min(max(*rd, s[2]), max(*wr, s[3])),
        );
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

    /// The exact search the lanes stand in for: over the banks of live
    /// ranks, the earliest cycle, then the first in turn.
    fn exact(
        loc: &[[u64; 4]],
        sh: &[[u64; 4]],
        bpr: usize,
        live: u64,
        now: u64,
        after_last: u64,
        queues: u64,
    ) -> Option<(u64, u64, usize)> {
        (0..loc.len())
            .filter(|b| live & (1 << (b / bpr)) != 0)
            .map(|b| {
                let s = &sh[b / bpr];
                let t = (0..4).map(|k| loc[b][k].max(s[k])).min().unwrap().max(now);
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
        let (banks, bpr) = (32, 16);
        let mut lanes = Lanes::new(banks, bpr).unwrap();
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
            let loc: Vec<[u64; 4]> = (0..banks)
                .map(|_| [bound(), bound(), bound(), bound()])
                .collect();
            let sh = vec![[bound(), bound(), bound(), bound()]; 2];
            let live = next(&mut rng) % 4;
            let queues = banks as u64 + next(&mut rng) % 3;
            let after_last = next(&mut rng) % queues;
            lanes.in_use(banks as u32, now, &loc);
            for (b, l) in loc.iter().enumerate() {
                lanes.set(b, l);
            }
            let want = exact(&loc, &sh, bpr, live, now, after_last, queues);
            match lanes.search(&loc, &sh, live, now, after_last, queues) {
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
