//! Element-wise and reduction layers as streams through the TCDM: each tile
//! holds `n_t` elements, split evenly over the engines, and runs one command
//! per engine for every pass.
//!
//! | pass | loop nest (innermost first) | cycles per engine |
//! |---|---|---|
//! | `Map` (THTST, MASK, COPY, OUTERP) | `[e]`, init once, store every step | `2 + e` (port-bound ops `1 + accesses / 2`) |
//! | `Reduce` (VADDSUB, MAC) | `[e]`, init and store once | `2 + e` |
//! | `Terms(k)` (MAC, VADDSUB, MASKMAC) | `[k, e]`, init and store per element | `1 + e (k + 1)` |
use crate::engine::{Command, Opcode, MAX_LOOP_BOUND};
use crate::mapping::MapError;
use crate::schedule::{Machine, Plan, TileGroup};

/// One command per engine and tile.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pass {
    /// One result per element, the init (a constant) loaded once.
    Map(Opcode),
    /// One result per engine and tile (a partial sum or extremum).
    Reduce(Opcode),
    /// One result per element from `k` steps, the init loading a value
    /// (`true`) or clearing the accumulator.
    Terms(Opcode, u64, bool),
    /// A vector copy: one read and one write per element, no init.
    CopyVector,
}

impl Pass {
    fn command(self, e: u64) -> Result<Command, MapError> {
        let c = match self {
            Pass::Map(op) => Command::new(op, &[e], 1, 0, false)?,
            Pass::Reduce(op) => Command::new(op, &[e], 1, 1, false)?,
            Pass::Terms(op, k, load) => Command::new(op, &[k.max(1), e], 1, 1, load)?,
            Pass::CopyVector => Command::new(Opcode::Copy, &[e], 0, 0, false)?.with_copy_vector(),
        };
        Ok(c)
    }

    /// Whether the pass's results are one per element (for the changed
    /// registers: a map writes through a second address generator).
    fn registers(self) -> u32 {
        match self {
            Pass::Reduce(_) => 2,
            _ => 3,
        }
    }
}

/// A stream of `elements` through `passes`: `tcdm_words` words per element
/// live in the TCDM, `dram_bytes` bytes per element move to or from the vaults.
pub fn stream(
    m: &Machine,
    kind: &'static str,
    elements: f64,
    passes: &[Pass],
    tcdm_words: f64,
    dram_bytes: f64,
) -> Result<Plan, MapError> {
    let mut plan = Plan::new(kind);
    if elements <= 0.0 || passes.is_empty() {
        return Ok(plan);
    }
    let engines = m.cluster.engines as f64;
    let cap = (m.cluster.tile_words() / tcdm_words.max(1.0)).floor();
    let per_engine_cap = (MAX_LOOP_BOUND as f64 / 2.0).floor();
    let n_t = cap.min(elements).min(per_engine_cap * engines).floor();
    if n_t < 1.0 {
        return Err(MapError::TooLarge(format!(
            "one element needs {tcdm_words} TCDM words, more than a tile buffer holds"
        )));
    }
    let e = (n_t / engines).ceil().max(1.0) as u64;
    let commands = engines.min(n_t) as u64;
    let tiles = elements / n_t;
    for (i, &pass) in passes.iter().enumerate() {
        let cmd = pass.command(e)?;
        plan.groups.push(TileGroup {
            tile: crate::cluster::TileWork {
                cmd,
                commands,
                // Later passes use the earlier ones' results in the same tile.
                dependent: i > 0,
                changed_registers: pass.registers(),
                // The tile's data move once, with its first pass.
                dma_bytes: if i == 0 { dram_bytes * n_t } else { 0.0 },
                own_tile: i == 0,
            },
            count: tiles,
            chain: 1.0,
        });
    }
    Ok(plan)
}
