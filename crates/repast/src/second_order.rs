//! RePAST's second-order work per training step: K-FAC's factor statistics,
//! the high-precision inversions (or solves) on the INV crossbars, and the
//! preconditioning of the gradient (`shared/papers/repast.md` sections 3-5).
//!
//! The operation counts of a solve are the functional solver's
//! ([`SolverConfig::op_counts`]) for the preset's solver configuration; its
//! terms per solve come from running that solver, once, on a representative
//! damped factor (the precision study's), unless the stop rule fixes them.
//! Running the solver on every factor of a network would take minutes (a
//! 4608 x 4608 factor alone takes seconds to program), so the count rule
//! stands in for it; `tests/counts.rs` checks the rule against the solver.
//!
//! Three phases, each run between two batches when the first-order pipeline
//! has drained, on the INV arrays and on the VMM arrays that hold no weights:
//!
//! * **factor statistics** (every `factor_interval` steps): `A = X^T X` over
//!   the layer's input patches `X` (`B x rows` by `a`), `G = D^T D` over its
//!   output errors, each a stationary matrix written into VMM arrays and
//!   streamed with its own columns: `a` (or `g`) VMMs;
//! * **inversion** (every `inversion_interval` steps): every factor programmed
//!   (`A_H` into INV arrays, `A_H` and `A_L` into VMM arrays), then, with
//!   [`Preconditioning::Inverse`], one high-precision solve per column of the
//!   identity and the inverse written into VMM arrays (16-bit);
//! * **preconditioning** (every step): `G^-1 grad(W) A^-1`, as `g` VMMs over
//!   `A^-1` and `a` over `G^-1`, or, with [`Preconditioning::Solve`], one
//!   solve with A per row of the gradient and one with G per column.
//!
//! A phase lasts `t = max(INV work / INV arrays, VMM work / free VMM arrays,
//! longest chain)` when the work is [`Parallelism::Balanced`] (copies of
//! loops and operands, whose writes are counted, spread it evenly), or the
//! longest job with [`Parallelism::OneCopy`]; then its writes are added at
//! the chip's write rate.
use crate::arrays::{Arrays, IsaacParts, Vmm};
use crate::ledger::{names, Ledger};
use crate::pipeline::{FirstOrder, Row, WriteModel};
use crate::preset::{Parallelism, Preconditioning, SecondOrder};
use crate::solver::{HpSolver, LargeFactor, OpCounts, SolverConfig, Stop};
use pimzoo_core::{component, EvalError, Workload};
use pimzoo_ir::Phase;
use pimzoo_tech::crossbar::{inversion, Part, Slicing};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// What the solver did on the representative factor.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct RepresentativeSolve {
    pub terms: u32,
    pub ops: OpCounts,
    pub rho_p: f64,
    pub lambda_min_over_fs: f64,
    pub bits_reached: f64,
}

/// The terms per solve of `solver` on the representative factor, by running
/// the functional solver (once per configuration: cached).
fn representative_solve(
    solver: &SolverConfig,
    n: usize,
    damping: f64,
) -> Result<RepresentativeSolve, String> {
    type Cache = Mutex<HashMap<String, Result<RepresentativeSolve, String>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let key = format!("{solver:?}/{n}/{damping}");
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Ok(map) = cache.lock() {
        if let Some(r) = map.get(&key) {
            return r.clone();
        }
    }
    let result = (|| {
        if !((2..=4096).contains(&n) && damping.is_finite() && damping > 0.0) {
            return Err(format!(
                "representative factor (n: {n}, damping: {damping}): n must lie in 2..=4096 and \
                 the damping be positive"
            ));
        }
        let a = crate::study::case_factor(n, damping, 4);
        let programmed = HpSolver::program(&a, solver).map_err(|e| {
            format!(
                "the solver refuses the representative factor (n: {n}, damping: {damping}): {e}"
            )
        })?;
        let mut rng = ChaCha8Rng::seed_from_u64(n as u64);
        let b = ndarray::Array1::from_shape_simple_fn(n, || StandardNormal.sample(&mut rng));
        let s = programmed.solve(&b).map_err(|e| {
            format!("the representative solve (n: {n}, damping: {damping}) fails: {e}")
        })?;
        let d = programmed.diagnostics();
        Ok(RepresentativeSolve {
            terms: s.terms,
            ops: s.serial_ops,
            rho_p: d.rho_p,
            lambda_min_over_fs: d.lambda_min_ah / d.full_scale,
            bits_reached: s.bits_reached,
        })
    })();
    if let Ok(mut map) = cache.lock() {
        map.insert(key, result.clone());
    }
    result
}

/// The second-order engine of a preset, with its per-operation costs.
#[derive(Clone, Debug)]
pub(crate) struct Engine {
    pub config: SecondOrder,
    /// Terms after the first solve, per solve.
    pub terms: u32,
    /// Operations of one solve of one loop (the count rule).
    pub ops: OpCounts,
    /// The representative run, when the stop rule needed one.
    pub representative: Option<RepresentativeSolve>,
    /// Slicing of `A_H` and `A_L` in VMM arrays (16-bit inputs).
    high: Slicing,
    low: Slicing,
    /// Slicing of a 16-bit inverse.
    inverse: Slicing,
    /// One VMM with a 16-bit input on the VMM arrays.
    pub vmm_time: f64,
    parts: InvParts,
}

#[derive(Clone, Debug)]
struct InvParts {
    dac: Part,
    adc: Part,
    amplifier: Part,
    switch: Part,
    sample_hold: Part,
    cell: Part,
}

impl Engine {
    pub fn new(config: &SecondOrder, arrays: &Arrays) -> Result<Engine, String> {
        let solver = &config.solver;
        solver
            .validate()
            .map_err(|e| format!("`second_order.solver`: {e}"))?;
        let isaac: &IsaacParts = arrays.isaac_parts().ok_or(
            "`second_order` needs arrays read through converters (`reading: Converters`): the \
             INV loops use ISAAC's ADCs",
        )?;
        if config.vmm_per_inv == 0 || config.inv_arrays_per_tile == 0 {
            return Err(
                "`second_order.vmm_per_inv` and `inv_arrays_per_tile` must be at least 1".into(),
            );
        }
        let settle = config.inv_settle.value();
        if !(settle.is_finite() && settle > 0.0) {
            return Err(format!(
                "`second_order.inv_settle` must be positive, found {settle}"
            ));
        }
        if solver.crossbar_size as u64 != arrays.geometry.rows as u64 {
            return Err(format!(
                "`second_order.solver.crossbar_size` ({}) must equal the arrays' rows ({})",
                solver.crossbar_size, arrays.geometry.rows
            ));
        }
        let (terms, representative) = match solver.stop {
            Stop::Terms(k) => (k, None),
            Stop::Bits { .. } => {
                let r = representative_solve(
                    solver,
                    config.representative.n,
                    config.representative.damping,
                )
                .map_err(|e| format!("`second_order.representative`: {e}"))?;
                (r.terms, Some(r))
            }
        };
        let input_bits = solver.dac_bits * solver.input_slices;
        let high = arrays.slicing(input_bits, solver.inv_cell_bits)?;
        let low = arrays.slicing(input_bits, solver.a_bits - solver.inv_cell_bits)?;
        let inverse = arrays.slicing(input_bits, arrays.data_bits)?;
        let err = |e: pimzoo_tech::crossbar::CrossbarError| format!("`second_order`: {e}");
        let scale = |p: Part| isaac.node.scale(p);
        let parts = InvParts {
            dac: scale(inversion::inv_dac(solver.dac_bits).map_err(err)?),
            adc: isaac.adc(solver.adc_bits)?,
            amplifier: scale(inversion::loop_amplifier()),
            switch: scale(inversion::loop_switch()),
            sample_hold: isaac.sample_hold,
            cell: isaac.cell,
        };
        Ok(Engine {
            config: config.clone(),
            terms,
            ops: solver.op_counts(terms),
            representative,
            vmm_time: arrays.eval_time(&high),
            high,
            low,
            inverse,
            parts,
        })
    }

    /// Time of one INV operation.
    pub fn inv_time(&self) -> f64 {
        self.config.inv_settle.value()
    }

    /// How an `n x n` factor lies on the INV crossbars: loops, rows per loop.
    fn loops(&self, n: u64) -> (u64, u64) {
        let xb = self.config.solver.crossbar_size as u64;
        match self.config.solver.large_factor {
            LargeFactor::Joined => (1, n),
            LargeFactor::BlockDiagonal => (n.div_ceil(xb), n.min(xb)),
        }
    }

    /// One factor's loop(s) as a solver: one copy's arrays, cells and the
    /// cost of one solve.
    fn solver_job(&self, arrays: &Arrays, n: u64) -> Result<SolverCost, EvalError> {
        let cfg = &self.config;
        let xb = cfg.solver.crossbar_size as u64;
        let (loops, m) = self.loops(n);
        let tiles = m.div_ceil(xb);
        let per_tile = cfg.inv_arrays_per_tile as f64;
        let inv_arrays = loops as f64 * (tiles * tiles) as f64 * per_tile;
        let config_err = |m: String| EvalError::Config { message: m };
        let vmm_high = arrays.vmm(&self.high, m, m, loops).map_err(config_err)?;
        let vmm_low = arrays.vmm(&self.low, m, m, loops).map_err(config_err)?;
        // One INV operation of every loop of the factor: the DAC drives each
        // row, the amplifiers settle, the cells conduct for the settling
        // time, the ADC converts each output.
        let rows = (loops * m) as f64;
        let cycles = self.inv_time() / pimzoo_tech::crossbar::parts::TABLE_CYCLE_S;
        let p = &self.parts;
        let mut inv_op = Ledger::default();
        inv_op.add(component::DAC, rows * p.dac.energy.value());
        inv_op.add(
            names::LOOP_AMPLIFIER,
            rows * cfg.amplifiers_per_row as f64 * p.amplifier.energy.value() * cycles,
        );
        inv_op.add(
            names::LOOP_SWITCH,
            rows * (tiles.saturating_sub(1)) as f64 * per_tile * p.switch.energy.value() * cycles,
        );
        inv_op.add(
            component::CROSSBAR,
            (loops * m * m) as f64 * per_tile * p.cell.energy.value() * cycles,
        );
        inv_op.add(component::ADC, rows * p.adc.energy.value());
        inv_op.add(component::SAMPLE_HOLD, rows * p.sample_hold.energy.value());
        let ops = self.ops;
        let mut solve = inv_op.scaled(ops.inv as f64);
        solve.add_scaled(&vmm_high.energy, ops.vmm_ah as f64);
        solve.add_scaled(&vmm_low.energy, ops.vmm_al as f64);
        let inv_busy = ops.inv as f64 * self.inv_time();
        let high_busy = ops.vmm_ah as f64 * vmm_high.time;
        let low_busy = ops.vmm_al as f64 * vmm_low.time;
        Ok(SolverCost {
            inv_arrays,
            cells: (loops * m * m) as f64 * per_tile + vmm_high.cells + vmm_low.cells,
            vmm: [(vmm_high.arrays, high_busy), (vmm_low.arrays, low_busy)],
            inv_busy,
            chain: inv_busy + high_busy + low_busy,
            solve,
        })
    }
}

/// One factor's loop as a solver.
struct SolverCost {
    inv_arrays: f64,
    /// Cells programmed per copy (INV and VMM halves).
    cells: f64,
    vmm: [(f64, f64); 2],
    inv_busy: f64,
    chain: f64,
    solve: Ledger,
}

/// One job of a phase: `items` independent solves or VMMs of one layer.
struct Job {
    /// Index of the layer's row set.
    slot: usize,
    items: f64,
    /// INV arrays of one copy and the busy time of one item on them.
    inv: (f64, f64),
    /// VMM arrays of one copy and the busy time of one item on them.
    vmm: Vec<(f64, f64)>,
    /// Latency of one item.
    chain: f64,
    /// Cells written per copy (0: the copy is already in place).
    copy_cells: f64,
    energy_per_item: Ledger,
}

impl Job {
    /// The time one copy needs per item (items pipeline over its arrays).
    fn per_item(&self) -> f64 {
        self.vmm.iter().map(|v| v.1).fold(self.inv.1, f64::max)
    }
    fn inv_work(&self) -> f64 {
        self.items * self.inv.0 * self.inv.1
    }
    fn vmm_work(&self) -> f64 {
        self.items * self.vmm.iter().map(|(a, t)| a * t).sum::<f64>()
    }
}

/// A scheduled phase.
#[derive(Clone, Debug, Default)]
pub(crate) struct PhaseCost {
    /// Time of one occurrence (compute and writes).
    pub time: f64,
    pub energy: Ledger,
    /// Cells written in one occurrence.
    pub writes: f64,
    /// Per layer slot: time and energy of one occurrence.
    per_slot: Vec<(f64, Ledger)>,
    /// Copies of each job, in job order.
    copies: Vec<f64>,
}

fn schedule(
    jobs: &[Job],
    slots: usize,
    parallelism: Parallelism,
    inv_arrays: f64,
    vmm_pool: f64,
    writes: &WriteModel,
    extra_writes: &[(usize, f64)],
) -> PhaseCost {
    let mut out = PhaseCost {
        per_slot: vec![(0.0, Ledger::default()); slots],
        ..Default::default()
    };
    if jobs.is_empty() && extra_writes.is_empty() {
        return out;
    }
    let longest_chain = jobs.iter().map(|j| j.chain).fold(0.0, f64::max);
    let alone = |j: &Job| {
        if j.items > 0.0 {
            j.items * j.per_item() + (j.chain - j.per_item()).max(0.0)
        } else {
            0.0
        }
    };
    let t = match parallelism {
        Parallelism::OneCopy => jobs.iter().map(alone).fold(0.0, f64::max),
        Parallelism::Balanced => {
            let inv: f64 = jobs.iter().map(Job::inv_work).sum();
            let vmm: f64 = jobs.iter().map(Job::vmm_work).sum();
            let by_inv = if inv > 0.0 {
                inv / inv_arrays.max(1.0)
            } else {
                0.0
            };
            let by_vmm = if vmm > 0.0 {
                vmm / vmm_pool.max(1.0)
            } else {
                0.0
            };
            by_inv.max(by_vmm).max(longest_chain)
        }
    };
    out.copies = jobs
        .iter()
        .map(|j| match parallelism {
            Parallelism::OneCopy => 1.0,
            Parallelism::Balanced if t > 0.0 => (j.items * j.per_item() / t).ceil().max(1.0),
            Parallelism::Balanced => 1.0,
        })
        .collect();
    // Attribute the compute time by each job's share of the work.
    let work: Vec<f64> = jobs.iter().map(|j| j.inv_work() + j.vmm_work()).collect();
    let total_work: f64 = work.iter().sum();
    for ((j, copies), w) in jobs.iter().zip(&out.copies).zip(&work) {
        let share = if total_work > 0.0 {
            w / total_work
        } else {
            0.0
        };
        let cells = copies * j.copy_cells;
        let slot = &mut out.per_slot[j.slot];
        slot.0 += t * share + cells * writes.cell_time;
        slot.1.add_scaled(&j.energy_per_item, j.items);
        slot.1.add(component::WRITE, cells * writes.cell_energy);
        out.writes += cells;
    }
    for &(slot, cells) in extra_writes {
        let s = &mut out.per_slot[slot];
        s.0 += cells * writes.cell_time;
        s.1.add(component::WRITE, cells * writes.cell_energy);
        out.writes += cells;
    }
    out.time = out.per_slot.iter().map(|s| s.0).sum();
    for s in &out.per_slot {
        out.energy.add_scaled(&s.1, 1.0);
    }
    out
}

/// The second-order part of one K-FAC step.
#[derive(Clone, Debug)]
pub(crate) struct SecondOrderCost {
    pub rows: Vec<Row>,
    /// Time per step, the factor statistics and inversion amortised.
    pub time: f64,
    pub factors: PhaseCost,
    pub inversion: PhaseCost,
    pub precondition: PhaseCost,
    /// Cells written per step (amortised).
    pub cell_writes: f64,
    /// Time per step of the work on the INV crossbars (solves, their
    /// programming and, with explicit inverses, writing the inverses).
    pub inversion_time: f64,
    pub inv_arrays: f64,
    pub vmm_arrays: f64,
    /// High-precision solves per step (amortised).
    pub solves_per_step: f64,
    /// Mean copies of a loop in the phase that runs the solves.
    pub loop_copies: f64,
}

pub(crate) fn second_order(
    engine: &Engine,
    arrays: &Arrays,
    writes: &WriteModel,
    first: &FirstOrder,
    w: &Workload,
    factor_interval: f64,
    inversion_interval: f64,
) -> Result<SecondOrderCost, EvalError> {
    let cfg = &engine.config;
    let factors = pimzoo_tech::gpu::kfac_factors(&w.network);
    let layers = w.network.layers();
    let bits = arrays.data_bits;
    let data = arrays
        .slicing(bits, bits)
        .map_err(|m| EvalError::Config { message: m })?;
    let cpw = data.columns_per_weight as f64;
    let config_err = |m: String| EvalError::Config { message: m };

    let mut factor_jobs = Vec::new();
    let mut solve_jobs = Vec::new();
    let mut product_jobs = Vec::new();
    // Per factor (A then G of each layer): its slot, its loop, the cells of
    // one copy of its inverse, and the right-hand sides it serves.
    let mut inv_one = 0.0;
    let mut vmm_one = 0.0;
    let mut solves = 0.0;
    let mut per_factor: Vec<(usize, SolverCost, f64, u64)> = Vec::new();
    for (slot, f) in factors.iter().enumerate() {
        let (a, g) = (f.a_dim, f.g_dim);
        let rows = (w.batch.saturating_mul(f.rows_per_sample)).max(1);
        // Factor statistics: X (rows x a) and D (rows x g), written, each
        // streamed with its own columns.
        for dim in [a, g] {
            let v: Vmm = arrays.vmm(&data, rows, dim, 1).map_err(config_err)?;
            factor_jobs.push(Job {
                slot,
                items: dim as f64,
                inv: (0.0, 0.0),
                vmm: vec![(v.arrays, v.time)],
                chain: v.time,
                copy_cells: rows as f64 * dim as f64 * cpw,
                energy_per_item: v.energy.clone(),
            });
        }
        // Each factor (size n) against the other dimension's right-hand sides.
        for (n, others) in [(a, g), (g, a)] {
            let s = engine.solver_job(arrays, n)?;
            let inverse = arrays.vmm(&engine.inverse, n, n, 1).map_err(config_err)?;
            inv_one += s.inv_arrays;
            vmm_one += s.vmm.iter().map(|v| v.0).sum::<f64>();
            match cfg.preconditioning {
                Preconditioning::Inverse => {
                    vmm_one += inverse.arrays;
                    solves += n as f64 / inversion_interval;
                    solve_jobs.push(Job {
                        slot,
                        items: n as f64,
                        inv: (s.inv_arrays, s.inv_busy),
                        vmm: s.vmm.to_vec(),
                        chain: s.chain,
                        copy_cells: s.cells,
                        energy_per_item: s.solve.clone(),
                    });
                    product_jobs.push(Job {
                        slot,
                        items: others as f64,
                        inv: (0.0, 0.0),
                        vmm: vec![(inverse.arrays, inverse.time)],
                        chain: inverse.time,
                        copy_cells: 0.0,
                        energy_per_item: inverse.energy.clone(),
                    });
                    per_factor.push((slot, s, inverse.cells, others));
                }
                Preconditioning::Solve => {
                    solves += others as f64;
                    product_jobs.push(Job {
                        slot,
                        items: others as f64,
                        inv: (s.inv_arrays, s.inv_busy),
                        vmm: s.vmm.to_vec(),
                        chain: s.chain,
                        copy_cells: 0.0,
                        energy_per_item: s.solve.clone(),
                    });
                    per_factor.push((slot, s, 0.0, others));
                }
            }
        }
    }
    // The chip: the smallest with `vmm_per_inv` VMM arrays per INV array
    // that holds the weights and one copy of every factor's loops (and
    // inverses).
    let ratio = cfg.vmm_per_inv as f64;
    let inv_arrays = inv_one.max((first.weight_arrays + vmm_one) / ratio);
    let vmm_arrays = ratio * inv_arrays;
    let pool = (vmm_arrays - first.weight_arrays).max(vmm_one).max(1.0);
    let slots = factors.len();
    let par = cfg.parallelism;

    let factors_phase = schedule(&factor_jobs, slots, par, inv_arrays, pool, writes, &[]);
    let precondition = schedule(&product_jobs, slots, par, inv_arrays, pool, writes, &[]);
    // The inversion programs every copy of every loop the solves use, and
    // writes every copy of the inverses the products use.
    let (inversion, loop_copies) = match cfg.preconditioning {
        Preconditioning::Inverse => {
            let mut extra = Vec::new();
            for ((slot, _, inverse_cells, _), copies) in per_factor.iter().zip(&precondition.copies)
            {
                extra.push((*slot, copies * inverse_cells));
            }
            let phase = schedule(&solve_jobs, slots, par, inv_arrays, pool, writes, &extra);
            let mean = mean(&phase.copies);
            (phase, mean)
        }
        Preconditioning::Solve => {
            let extra: Vec<(usize, f64)> = per_factor
                .iter()
                .zip(&precondition.copies)
                .map(|((slot, s, _, _), copies)| (*slot, copies * s.cells))
                .collect();
            let phase = schedule(&[], slots, par, inv_arrays, pool, writes, &extra);
            (phase, mean(&precondition.copies))
        }
    };

    let mut rows = Vec::new();
    for (slot, f) in factors.iter().enumerate() {
        let name = &layers[f.layer].name;
        for (what, phase, every) in [
            ("kfac-factors", &factors_phase, factor_interval),
            ("kfac-inverse", &inversion, inversion_interval),
            ("kfac-precondition", &precondition, 1.0),
        ] {
            let (t, e) = &phase.per_slot[slot];
            if *t > 0.0 || e.total() > 0.0 {
                rows.push(Row {
                    name: format!("{name}.{what}"),
                    phase: Phase::Update,
                    latency: t / every,
                    energy: e.scaled(1.0 / every),
                    bound: match (what, cfg.preconditioning) {
                        ("kfac-factors", _) => "crossbar",
                        ("kfac-precondition", Preconditioning::Inverse) => "crossbar",
                        _ => "inv-crossbar",
                    },
                });
            }
        }
    }
    let time = factors_phase.time / factor_interval
        + inversion.time / inversion_interval
        + precondition.time;
    let inversion_time = inversion.time / inversion_interval
        + match cfg.preconditioning {
            Preconditioning::Solve => precondition.time,
            Preconditioning::Inverse => 0.0,
        };
    Ok(SecondOrderCost {
        rows,
        time,
        cell_writes: factors_phase.writes / factor_interval
            + inversion.writes / inversion_interval
            + precondition.writes,
        factors: factors_phase,
        inversion,
        precondition,
        inversion_time,
        inv_arrays,
        vmm_arrays,
        solves_per_step: solves,
        loop_copies,
    })
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(slot: usize, items: f64, inv: (f64, f64), vmm: (f64, f64), cells: f64) -> Job {
        let mut e = Ledger::default();
        e.add(component::ADC, 1.0);
        Job {
            slot,
            items,
            inv,
            vmm: vec![vmm],
            chain: inv.1 + vmm.1,
            copy_cells: cells,
            energy_per_item: e,
        }
    }

    fn writes() -> WriteModel {
        WriteModel {
            cell_energy: 2.0,
            cell_time: 0.5,
            parallel_cells: 1.0,
            read_cell_energy: 0.0,
        }
    }

    #[test]
    fn one_copy_lasts_its_longest_job() {
        // 10 items of (INV 1 s, VMM 3 s): 10 x 3 s + the rest of one chain (1 s).
        let jobs = [
            job(0, 10.0, (2.0, 1.0), (4.0, 3.0), 0.0),
            job(1, 2.0, (1.0, 1.0), (1.0, 1.0), 0.0),
        ];
        let p = schedule(&jobs, 2, Parallelism::OneCopy, 100.0, 100.0, &writes(), &[]);
        assert_eq!(p.time, 31.0);
        assert_eq!(p.copies, vec![1.0, 1.0]);
        assert_eq!(p.energy.total(), 12.0);
        // The time is shared by work: 10 x (2 + 12) against 2 x (1 + 1).
        assert!((p.per_slot[0].0 - 31.0 * 140.0 / 144.0).abs() < 1e-12);
    }

    #[test]
    fn balanced_spreads_the_work_and_pays_for_the_copies() {
        let jobs = [job(0, 100.0, (2.0, 1.0), (4.0, 3.0), 10.0)];
        // INV work 200, VMM work 1200: 1200 / 100 arrays = 12 s; 100 x 3 s per
        // copy needs 25 copies, whose 250 cells take 125 s to write.
        let p = schedule(
            &jobs,
            1,
            Parallelism::Balanced,
            50.0,
            100.0,
            &writes(),
            &[(0, 4.0)],
        );
        assert_eq!(p.copies, vec![25.0]);
        assert_eq!(p.writes, 254.0);
        assert!((p.time - (12.0 + 254.0 * 0.5)).abs() < 1e-12);
        assert!((p.energy.get(component::WRITE) - 508.0).abs() < 1e-12);
        // Never shorter than one item's chain.
        let p = schedule(&jobs, 1, Parallelism::Balanced, 1e9, 1e9, &writes(), &[]);
        assert_eq!(p.time - p.writes * 0.5, 4.0);
    }
}
