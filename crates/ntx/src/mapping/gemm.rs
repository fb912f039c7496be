//! Matrix products `C[M x N] (+)= A[M x K] B[K x N]` (fully connected layers,
//! attention products, LSTM gates) tiled into the TCDM.
//!
//! A tile `(m_t, n_t, k_t)` holds an A, a B and a C block. Its `m_t n_t`
//! outputs are split over the engines; each engine runs one MAC command
//! with loops `[k_t, outputs]`, init and write-back per output:
//! `C_cmd = 1 + outputs (k_t + 1)`. When `K` is split, later tiles load the
//! partial sum at init. DRAM traffic takes the cheaper of two loop orders:
//! A-stationary (an A block stays while the B blocks stream past; partial
//! sums go back to the vaults) or C-stationary (the K blocks stream past a
//! resident C block; A is refetched per N block unless K is whole).
use crate::engine::{Command, Opcode};
use crate::mapping::{halvings, MapError};
use crate::schedule::{Machine, Plan, PlanCost, TileGroup};

/// One matrix product, repeated `count` times independently.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gemm {
    pub m: u64,
    pub n: u64,
    pub k: u64,
    pub count: u64,
}

/// Tile sizes to try along `len`, from `min(start, len)` doubling to `len`.
fn doublings(start: u64, len: u64) -> Vec<u64> {
    let mut v = Vec::new();
    let mut x = start.min(len).max(1);
    while x < len {
        v.push(x);
        x *= 2;
    }
    v.push(len);
    v
}

/// Words moved for a tiling with `t = (tiles along M, N, K)` and blocks
/// `a, b, c` words, `share` clusters sharing an A block.
pub(crate) fn two_orders(t: (f64, f64, f64), a: f64, b: f64, c: f64, share: f64) -> f64 {
    let (tm, tn, tk) = t;
    let b_words = tm * tk * tn * b;
    let a_stationary = tm * tk * a * share + b_words + tm * tn * c * (2.0 * tk - 1.0);
    let a_refetch = if tk <= 1.0 {
        tm * a * share
    } else {
        tm * tk * tn * a
    };
    let c_stationary = a_refetch + b_words + tm * tn * c;
    a_stationary.min(c_stationary)
}

/// The best tiling of `g` on the machine.
pub fn gemm(m: &Machine, kind: &'static str, g: Gemm) -> Result<Plan, MapError> {
    if g.m == 0 || g.n == 0 || g.k == 0 || g.count == 0 {
        return Ok(Plan::new(kind));
    }
    let engines = m.cluster.engines as u64;
    let words = m.cluster.tile_words();
    let mut best: Option<(TileGroup, PlanCost)> = None;
    for &mt in &doublings(engines, g.m) {
        for &nt in &halvings(g.n, 16) {
            // The K blocks that fit beside an (mt x nt) output block, largest
            // first: at most three of them.
            let fitting = halvings(g.k, 24)
                .into_iter()
                .filter(|&kt| (mt * kt + kt * nt + mt * nt) as f64 <= words);
            for kt in fitting.take(3) {
                let (a, b, c) = ((mt * kt) as f64, (kt * nt) as f64, (mt * nt) as f64);
                let (tm, tn, tk) = (g.m.div_ceil(mt), g.n.div_ceil(nt), g.k.div_ceil(kt));
                let cover = (g.m * g.n) as f64 * g.k as f64
                    / ((tm * mt) as f64 * (tn * nt) as f64 * (tk * kt) as f64);
                let outputs = mt * nt;
                let commands = engines.min(outputs);
                let per_cmd = outputs.div_ceil(commands);
                let cmd = Command::new(Opcode::Mac, &[kt, per_cmd], 1, 1, tk > 1)?;
                let tiles = (tm * tn * tk * g.count) as f64 * cover;
                let share = (m.clusters as f64 / (tm * tk * g.count) as f64).clamp(1.0, tn as f64);
                let moved = 4.0
                    * g.count as f64
                    * cover
                    * two_orders((tm as f64, tn as f64, tk as f64), a, b, c, share);
                let group = TileGroup {
                    tile: crate::cluster::TileWork {
                        cmd,
                        commands,
                        dependent: false,
                        changed_registers: 2,
                        dma_bytes: moved / tiles,
                        own_tile: true,
                    },
                    count: tiles,
                    chain: tk as f64,
                };
                let cost = m.cost_of(&[group], 1.0, 0.0, 0.0);
                if best.as_ref().is_none_or(|(_, b)| cost.time < b.time) {
                    best = Some((group, cost));
                }
            }
        }
    }
    best.map(|(g, _)| Plan {
        groups: vec![g],
        ..Plan::new(kind)
    })
    .ok_or_else(|| {
        MapError::TooLarge(format!(
            "no tile of the {}x{}x{} product fits a {}-word TCDM buffer",
            g.m, g.n, g.k, words
        ))
    })
}
