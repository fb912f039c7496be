//! The functional model of RePAST's high-precision matrix inversion: a
//! 16-bit fixed-point A split into an 8-bit A_H held by an analog INV
//! crossbar (op-amps in a feedback loop) and an 8-bit A_L held by a VMM
//! crossbar, combined by a Taylor (Neumann) series in `P = A_H^-1 A_L`
//! (`Form::Taylor`, as published) or by the equal-INV-cost refinement form
//! (`Form::Refine`). Each analog solve slices its input over DAC-width
//! pieces, reads its output through an auto-ranged 8-bit ADC, and is
//! repeated on its residual for more output bits (output slicing).
//!
//! The model is bit-exact to the reference numerics of the modelling brief
//! (Appendix A of `shared/papers/repast.md`; `tests/appendix.rs` checks it
//! against the numpy code). Programming a factor ([`HpSolver::program`])
//! checks the two conditions the method needs and refuses a factor that
//! fails either: loop stability, `lambda_min(A_H) > 0`, and convergence,
//! `rho(P) < 1`. A solve ([`HpSolver::solve`]) reports its operation
//! counts, the bits it estimates from what the hardware sees, and the bits
//! it actually reached against the exact solve of the quantized A and of
//! the unquantized A (the functional model keeps those oracles).
use crate::fixed::{fs2, quantize, round_even, split};
use crate::linalg::{
    axpy, lanczos_extremes, matvec, max_abs, norm2, power_radius, Cholesky, Factor, Lu,
};
use ndarray::{Array1, Array2, ArrayView1};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// How the A_L part is folded in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Form {
    /// The published scheme: `x = sum_k (-P)^k A_H^-1 b`, one term per
    /// iteration, each term `r <- A_H^-1 (A_L r)` (one VMM(A_L), then one
    /// output-sliced INV solve). Never corrects the rounding of a term.
    Taylor,
    /// Mixed-precision iterative refinement with the same INV count:
    /// `x <- x + A_H^-1 (b - (A_H + A_L) x)`. Same contraction `P`; the
    /// residual is recomputed from `b`, so rounding is corrected. Costs one
    /// VMM(A_H) more per iteration than the Taylor form.
    Refine,
}

/// When a solve stops.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Stop {
    /// Stop once the estimated accuracy (what the hardware can observe: the
    /// size of the last term and the rounding of the last output cycle)
    /// reaches `bits`; fail with [`SolveError::NotConverged`] if it has not
    /// after `max_terms` terms.
    Bits {
        /// Target relative accuracy, bits.
        bits: f64,
        /// Terms after the first solve, at most.
        max_terms: u32,
    },
    /// Exactly this many terms after the first solve (fewer only if the
    /// series terminates: a term that is exactly zero).
    Terms(u32),
}

/// How a factor larger than one crossbar is mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LargeFactor {
    /// INV crossbars joined by switches into one loop over the whole factor
    /// (`ceil(n / size)^2` crossbars in the loop): the numerics of one big
    /// crossbar, one INV operation per solve.
    Joined,
    /// Diagonal blocks of at most `crossbar_size`, each its own loop;
    /// the off-diagonal blocks are dropped (the solver solves
    /// `blockdiag(A)`, an approximation whose accuracy loss against the full
    /// A the solution reports).
    BlockDiagonal,
}

/// Optional circuit non-idealities of the INV crossbar. The VMM crossbars
/// are taken as exact: bit-sliced VMM whose ADC resolves every column sum
/// (ISAAC's design rule) returns the exact integer product, so cell errors
/// smaller than half a level do not reach its output. The INV loop has no
/// such digitisation inside: its cells' errors enter the solution directly.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NonIdeal {
    /// Standard deviation of each INV cell's programming error, in cell
    /// levels (one level = one step of the 8-bit A_H). Static: drawn once
    /// when the factor is programmed. 0 is ideal. An assumption, not a
    /// sourced number: an 8-bit cell that is really 8-bit must keep its
    /// error well inside half a level, e.g. 0.1-0.25.
    pub conductance_sigma: f64,
    /// DC open-loop gain of the op-amps; `None` is ideal (infinite). With
    /// gain `a0` the loop solves `A_H + diag(sum_j |A_H,ij|) / a0` (KCL at
    /// the row node, which sits at `-V_out / a0` instead of ground, with the
    /// differential arrays' conductance summed over the row). 1e4 (80 dB)
    /// is a typical integrated op-amp: an assumption, not a sourced number.
    pub opamp_gain: Option<f64>,
    /// Seed of the programming-error draw.
    pub seed: u64,
}

impl Default for NonIdeal {
    fn default() -> Self {
        Self {
            conductance_sigma: 0.0,
            opamp_gain: None,
            seed: 0,
        }
    }
}

/// Configuration of the high-precision solver. Defaults are the published
/// RePAST scheme (brief section 7): 16-bit A as 8 + 8 bits, 8-bit DAC with
/// two input slices, 8-bit ADC, two output cycles, Taylor form, stop at the
/// paper's 12-bit output requirement, 256x256 crossbars joined for larger
/// factors, ideal circuit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SolverConfig {
    /// Bits of the fixed-point representation of A (16).
    pub a_bits: u32,
    /// Bits of A held by the INV crossbar's cells, A_H (8). The remaining
    /// `a_bits - inv_cell_bits` bits, A_L, sit in a VMM crossbar.
    pub inv_cell_bits: u32,
    /// DAC bits per input slice (8).
    pub dac_bits: u32,
    /// Input slices `s_b` (2: the input is `dac_bits * s_b` bits).
    pub input_slices: u32,
    /// ADC bits of the INV output (8), auto-ranged to a power of two.
    pub adc_bits: u32,
    /// Output cycles `c_x` (2): each re-solves the residual `b - A_H x` for
    /// the next 8 bits of x.
    pub output_cycles: u32,
    /// Taylor series (published) or refinement form.
    pub form: Form,
    /// Stopping rule.
    pub stop: Stop,
    /// Refuse factors with `rho(P) >= rho_limit` (1: the series diverges
    /// beyond it; a smaller limit refuses slow convergence up front).
    pub rho_limit: f64,
    /// Crossbar rows and columns (256).
    pub crossbar_size: usize,
    /// Mapping of factors larger than one crossbar.
    pub large_factor: LargeFactor,
    /// Circuit non-idealities (none by default).
    pub non_ideal: NonIdeal,
    /// Record every term's accuracy and counts in [`Solution::trace`].
    pub trace: bool,
    /// Lanczos steps for the `lambda_min(A_H)` and `rho(P)` diagnostics
    /// (exact when the factor is no larger).
    pub lanczos_steps: usize,
}

impl Default for SolverConfig {
    fn default() -> Self {
        Self {
            a_bits: 16,
            inv_cell_bits: 8,
            dac_bits: 8,
            input_slices: 2,
            adc_bits: 8,
            output_cycles: 2,
            form: Form::Taylor,
            stop: Stop::Bits {
                bits: 12.0,
                max_terms: 16,
            },
            rho_limit: 1.0,
            crossbar_size: 256,
            large_factor: LargeFactor::Joined,
            non_ideal: NonIdeal::default(),
            trace: false,
            lanczos_steps: 80,
        }
    }
}

impl SolverConfig {
    /// Check the ranges; the error names the field.
    pub fn validate(&self) -> Result<(), SolveError> {
        let bad = |m: String| Err(SolveError::Config(m));
        if !(2..=52).contains(&self.inv_cell_bits) {
            return bad(format!(
                "inv_cell_bits = {} not in 2..=52",
                self.inv_cell_bits
            ));
        }
        if self.a_bits < self.inv_cell_bits || self.a_bits > 52 {
            return bad(format!(
                "a_bits = {} not in inv_cell_bits..=52 ({}..=52)",
                self.a_bits, self.inv_cell_bits
            ));
        }
        if self.dac_bits < 2 || self.input_slices < 1 || self.dac_bits * self.input_slices > 52 {
            return bad(format!(
                "dac_bits = {} x input_slices = {} must be at least 2 x 1 and at most 52 bits",
                self.dac_bits, self.input_slices
            ));
        }
        if !(2..=52).contains(&self.adc_bits) {
            return bad(format!("adc_bits = {} not in 2..=52", self.adc_bits));
        }
        if !(1..=16).contains(&self.output_cycles) {
            return bad(format!(
                "output_cycles = {} not in 1..=16",
                self.output_cycles
            ));
        }
        match self.stop {
            Stop::Bits { bits, max_terms } => {
                if !(bits > 0.0 && bits <= 60.0) || max_terms > 1000 {
                    return bad(format!(
                        "stop: Bits(bits: {bits}, max_terms: {max_terms}) needs 0 < bits <= 60 and max_terms <= 1000"
                    ));
                }
            }
            Stop::Terms(k) => {
                if k > 1000 {
                    return bad(format!("stop: Terms({k}) above 1000"));
                }
            }
        }
        if !(self.rho_limit > 0.0 && self.rho_limit <= 1.0) {
            return bad(format!("rho_limit = {} not in (0, 1]", self.rho_limit));
        }
        if self.crossbar_size == 0 {
            return bad("crossbar_size = 0".into());
        }
        if self.lanczos_steps == 0 {
            return bad("lanczos_steps = 0".into());
        }
        let ni = &self.non_ideal;
        if !(ni.conductance_sigma >= 0.0 && ni.conductance_sigma.is_finite()) {
            return bad(format!(
                "non_ideal.conductance_sigma = {} must be finite and >= 0",
                ni.conductance_sigma
            ));
        }
        if let Some(g) = ni.opamp_gain {
            if g.is_nan() || g <= 0.0 {
                return bad(format!("non_ideal.opamp_gain = {g} must be > 0"));
            }
        }
        Ok(())
    }

    /// The operations of one solve of one loop that runs `terms` terms after
    /// the first solve, by the solver's own count rule (the table of
    /// `docs/models/repast.md`; `tests/counts.rs` checks it against
    /// [`HpSolver::solve`]):
    ///
    /// ```text
    /// INV       (K+1) c_x s_b
    /// VMM(A_H)  (K+1)(c_x - 1)          (+ K in the refinement form)
    /// VMM(A_L)  K
    /// ```
    ///
    /// It counts every input slice; a solve whose input has an all-zero
    /// slice (a right-hand side that fits in fewer bits) skips that slice's
    /// INV operation, so this is the count of a general right-hand side.
    pub fn op_counts(&self, terms: u32) -> OpCounts {
        let k = terms as u64;
        let (cx, sb) = (self.output_cycles as u64, self.input_slices as u64);
        let refine = if self.form == Form::Refine { k } else { 0 };
        OpCounts {
            inv: (k + 1) * cx * sb,
            vmm_ah: (k + 1) * cx.saturating_sub(1) + refine,
            vmm_al: k,
        }
    }

    /// The high-precision configuration of the precision study: three
    /// output cycles, 16-bit target.
    pub fn sixteen_bit(form: Form) -> Self {
        Self {
            output_cycles: 3,
            form,
            stop: Stop::Bits {
                bits: 16.0,
                max_terms: 16,
            },
            ..Self::default()
        }
    }
}

/// Why a factor or a solve was refused. Each variant names the failed
/// condition; a solve never returns an answer that failed one.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SolveError {
    /// A configuration value out of range.
    #[error("invalid solver configuration: {0}")]
    Config(String),
    /// A matrix or vector the solver cannot take.
    #[error("invalid input: {0}")]
    Input(String),
    /// The INV loop would not settle.
    #[error(
        "INV loop unstable{}: lambda_min(A_H) = {lambda_min:.3e} <= 0 (the op-amp feedback loop needs a positive-definite A_H; add damping)",
        at(.block)
    )]
    LoopUnstable {
        /// Smallest eigenvalue of (the symmetric part of) the matrix the
        /// loop holds; a Lanczos estimate (an upper bound) when negative.
        lambda_min: f64,
        /// The failing diagonal block, in block-diagonal mode.
        block: Option<usize>,
    },
    /// The Taylor series (and the refinement) cannot converge.
    #[error(
        "Taylor series diverges{}: rho(P) = {rho:.3} >= {limit} for P = A_H^-1 A_L (the 8-bit A_H is too far from A; add damping)",
        at(.block)
    )]
    Diverges {
        /// Spectral radius of `P`.
        rho: f64,
        /// The configured limit.
        limit: f64,
        /// The failing diagonal block, in block-diagonal mode.
        block: Option<usize>,
    },
    /// The terms grew twice in a row during a solve.
    #[error(
        "series diverging{} at term {term}: the term grew by {ratio:.3}x twice in a row",
        at(.block)
    )]
    Growing {
        /// Term index at which growth was detected.
        term: u32,
        /// Growth of the last term.
        ratio: f64,
        /// The failing diagonal block, in block-diagonal mode.
        block: Option<usize>,
    },
    /// The stop rule's target was not reached.
    #[error(
        "not converged{}: estimated {bits:.1} bits after {terms} terms, target {target} bits (rho(P) = {rho:.3}; the output-cycle floor or slow convergence)",
        at(.block)
    )]
    NotConverged {
        /// Estimated bits at the end.
        bits: f64,
        /// Terms run.
        terms: u32,
        /// Target bits.
        target: f64,
        /// Spectral radius of `P` of the block.
        rho: f64,
        /// The failing diagonal block, in block-diagonal mode.
        block: Option<usize>,
    },
}

fn at(block: &Option<usize>) -> String {
    block.map(|b| format!(" in block {b}")).unwrap_or_default()
}

/// Crossbar operations of one solve. One operation passes one vector
/// through a whole block: all crossbars of a joined loop at once, each
/// producing `n` ADC conversions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpCounts {
    /// Analog INV solves (one per non-zero input slice).
    pub inv: u64,
    /// VMM operations with A_H (the output-cycle residuals; and in the
    /// refinement form the `A_H x` half of the residual).
    pub vmm_ah: u64,
    /// VMM operations with A_L.
    pub vmm_al: u64,
}

impl OpCounts {
    /// All VMM operations.
    pub fn vmm(&self) -> u64 {
        self.vmm_ah + self.vmm_al
    }

    fn add(&mut self, o: &OpCounts) {
        self.inv += o.inv;
        self.vmm_ah += o.vmm_ah;
        self.vmm_al += o.vmm_al;
    }

    fn max(&mut self, o: &OpCounts) {
        self.inv = self.inv.max(o.inv);
        self.vmm_ah = self.vmm_ah.max(o.vmm_ah);
        self.vmm_al = self.vmm_al.max(o.vmm_al);
    }
}

/// How a programmed factor sits on the crossbars, and its two conditions.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diagnostics {
    /// Factor dimension.
    pub n: usize,
    /// Full scale of the fixed-point A (a power of two).
    pub full_scale: f64,
    /// Smallest eigenvalue of the matrix the INV loop holds (of its
    /// symmetric part with non-idealities), minimum over blocks.
    pub lambda_min_ah: f64,
    /// `rho(P)`, `P = A_H^-1 A_L` (with non-idealities, `A_H` is the matrix
    /// the loop actually holds and `A_L = A_q - A_H`), maximum over blocks.
    pub rho_p: f64,
    /// Independent INV loops (1 when joined).
    pub loops: usize,
    /// Crossbars per loop.
    pub crossbars_per_loop: usize,
    /// Crossbars holding A_L (the same tiling as A_H).
    pub vmm_crossbars_al: usize,
    /// Per block: offset, size, `lambda_min`, `rho(P)`.
    pub blocks: Vec<BlockInfo>,
}

/// One INV loop of a factor.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct BlockInfo {
    /// First row.
    pub offset: usize,
    /// Rows.
    pub size: usize,
    /// `lambda_min` of the matrix the loop holds.
    pub lambda_min_ah: f64,
    /// `rho(P)` of the block.
    pub rho_p: f64,
}

/// Accuracy and cost after one term of a traced solve.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct TraceStep {
    /// Terms after the first solve (0 = the first solve alone).
    pub term: u32,
    /// Operations so far (summed over blocks).
    pub ops: OpCounts,
    /// Estimated bits (what the stop rule sees).
    pub bits_estimated: f64,
    /// Bits against the exact solve of the quantized A.
    pub bits_reached: f64,
    /// Bits against the exact solve of the unquantized A.
    pub bits_vs_unquantized: Option<f64>,
}

/// The result of one high-precision solve.
#[derive(Clone, Debug, PartialEq)]
pub struct Solution {
    /// The solution.
    pub x: Array1<f64>,
    /// Operations, summed over blocks (energy).
    pub ops: OpCounts,
    /// Operations on the critical path: the maximum over blocks, which run
    /// in parallel (latency). Equal to `ops` with one loop.
    pub serial_ops: OpCounts,
    /// Terms after the first solve (maximum over blocks).
    pub terms: u32,
    /// Bits estimated from what the hardware sees.
    pub bits_estimated: f64,
    /// Bits of relative accuracy (2-norm) against the exact solve of the
    /// quantized A: what the circuit can reach.
    pub bits_reached: f64,
    /// Bits against the exact solve of the unquantized A: what training
    /// sees. `None` if that A is singular.
    pub bits_vs_unquantized: Option<f64>,
    /// `lambda_min(A_H)` of the programmed factor (loop stability).
    pub lambda_min_ah: f64,
    /// `rho(P)` of the programmed factor (convergence).
    pub rho_p: f64,
    /// Per-term record when `SolverConfig::trace` is set.
    pub trace: Vec<TraceStep>,
}

/// Several right-hand sides: solutions as columns and their summed cost.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    /// Solutions, one column per right-hand side.
    pub x: Array2<f64>,
    /// Operations summed over all solves.
    pub ops: OpCounts,
    /// Lowest bits reached against the quantized A.
    pub min_bits_reached: f64,
    /// Lowest bits against the unquantized A.
    pub min_bits_vs_unquantized: Option<f64>,
    /// Most terms any solve needed.
    pub max_terms: u32,
}

/// Relative accuracy in bits, `-log2(|x - x_ref| / |x_ref|)`, capped at 60.
pub fn bits_of(x: ArrayView1<f64>, x_ref: ArrayView1<f64>) -> f64 {
    let mut e = 0.0;
    let mut r = 0.0;
    for (a, b) in x.iter().zip(x_ref.iter()) {
        e += (a - b) * (a - b);
        r += b * b;
    }
    bits_from_ratio(e.sqrt(), r.sqrt())
}

fn bits_from_ratio(err: f64, scale: f64) -> f64 {
    if !(err.is_finite() && scale.is_finite()) {
        return 0.0;
    }
    if err <= 0.0 {
        return 60.0;
    }
    if scale <= 0.0 {
        return 0.0;
    }
    (-(err / scale).log2()).min(60.0)
}

/// One INV loop: its slice of the factor, the matrices of its crossbars and
/// the factorization that stands for the analog solve.
#[derive(Clone, Debug)]
struct Block {
    offset: usize,
    n: usize,
    /// A_H as the VMM crossbars hold it (exact), row-major.
    a_h: Vec<f64>,
    /// A_L, row-major.
    a_l: Vec<f64>,
    /// The analog solve of the matrix the INV loop really holds.
    inv: Factor,
    lambda_min: f64,
    rho: f64,
}

/// Per-block state of a traced solve: partial solution, cumulative ops and
/// estimated error after each term.
type BlockTrace = Vec<(Vec<f64>, OpCounts, f64)>;

struct BlockOut {
    x: Vec<f64>,
    ops: OpCounts,
    terms: u32,
    est_err: f64,
    trace: BlockTrace,
}

impl Block {
    /// One `inv8` of the appendix: the input is quantized to
    /// `dac_bits * input_slices` bits over its power-of-two range and fed
    /// slice by slice (one analog solve per non-zero slice), each output read
    /// by the auto-ranged ADC and shifted-added. Writes `x`; returns an
    /// estimate of the error this call leaves (2-norm): the ADC rounding of
    /// its outputs and the DAC rounding of its input through `A_H^-1`.
    fn inv8(&self, cfg: &SolverConfig, b: &[f64], x: &mut [f64], ops: &mut OpCounts) -> f64 {
        let n = self.n;
        x.fill(0.0);
        let dac = cfg.dac_bits as i32;
        let slices = cfg.input_slices as i32;
        let total = dac * slices;
        let step = fs2(max_abs(b)) / 2f64.powi(total - 1);
        let mut code: Vec<f64> = b.iter().map(|v| round_even(v / step)).collect();
        let mut slice = vec![0.0; n];
        let mut adc_err2 = 0.0;
        for s in 0..slices {
            let shift = 2f64.powi(dac * (slices - 1 - s));
            let mut any = false;
            for i in 0..n {
                let hi = if s + 1 < slices {
                    round_even(code[i] / shift)
                } else {
                    code[i]
                };
                code[i] -= hi * shift;
                slice[i] = hi * step * shift;
                any |= hi != 0.0;
            }
            if !any {
                continue;
            }
            self.inv.solve_in_place(&mut slice);
            ops.inv += 1;
            let fs = fs2(max_abs(&slice));
            for (xi, si) in x.iter_mut().zip(&slice) {
                *xi += quantize(*si, cfg.adc_bits, fs);
            }
            let lsb = fs / 2f64.powi(cfg.adc_bits as i32 - 1);
            adc_err2 += n as f64 * lsb * lsb / 12.0;
        }
        let dac_err = (n as f64 / 12.0).sqrt() * step / self.lambda_min;
        adc_err2.sqrt() + dac_err
    }

    /// `inv_x` of the appendix: `output_cycles` INV solves, each on the
    /// residual `b - A_H x` of the previous ones (a VMM(A_H)). Returns the
    /// error estimate of the last cycle (earlier ones are corrected).
    fn inv_x(&self, cfg: &SolverConfig, b: &[f64], x: &mut [f64], ops: &mut OpCounts) -> f64 {
        let n = self.n;
        let mut err = self.inv8(cfg, b, x, ops);
        if cfg.output_cycles > 1 {
            let mut res = vec![0.0; n];
            let mut dx = vec![0.0; n];
            for _ in 1..cfg.output_cycles {
                matvec(&self.a_h, n, x, &mut res);
                ops.vmm_ah += 1;
                for (r, bi) in res.iter_mut().zip(b) {
                    *r = bi - *r;
                }
                err = self.inv8(cfg, &res, &mut dx, ops);
                axpy(1.0, &dx, x);
            }
        }
        err
    }

    /// The high-precision solve of this block.
    fn solve(
        &self,
        cfg: &SolverConfig,
        b: &[f64],
        block: Option<usize>,
    ) -> Result<BlockOut, SolveError> {
        let n = self.n;
        let mut ops = OpCounts::default();
        let mut x = vec![0.0; n];
        let mut r = vec![0.0; n];
        let mut v = vec![0.0; n];
        let mut trace = BlockTrace::new();
        let tail = if self.rho > 0.0 {
            self.rho / (1.0 - self.rho)
        } else {
            0.0
        };
        let (target, max_terms) = match cfg.stop {
            Stop::Bits { bits, max_terms } => (Some(bits), max_terms),
            Stop::Terms(k) => (None, k),
        };

        let e0 = self.inv_x(cfg, b, &mut r, &mut ops);
        x.copy_from_slice(&r);
        let mut floor = e0;
        let mut est = tail * norm2(&r) + floor;
        if cfg.trace {
            trace.push((x.clone(), ops, est));
        }
        let mut prev = norm2(&r);
        let mut grew = false;
        let mut terms = 0u32;
        let reached = |est: f64, x: &[f64]| -> f64 { bits_from_ratio(est, norm2(x)) };
        let done = |est: f64, x: &[f64]| target.is_some_and(|t| reached(est, x) >= t);

        if !done(est, &x) {
            for k in 1..=max_terms {
                terms = k;
                let size = match cfg.form {
                    Form::Taylor => {
                        matvec(&self.a_l, n, &r, &mut v);
                        ops.vmm_al += 1;
                        let e = self.inv_x(cfg, &v, &mut r, &mut ops);
                        let sign = if k % 2 == 1 { -1.0 } else { 1.0 };
                        axpy(sign, &r, &mut x);
                        floor += e;
                        let s = norm2(&r);
                        est = tail * s + floor;
                        s
                    }
                    Form::Refine => {
                        matvec(&self.a_h, n, &x, &mut v);
                        matvec(&self.a_l, n, &x, &mut r);
                        ops.vmm_ah += 1;
                        ops.vmm_al += 1;
                        for i in 0..n {
                            v[i] = b[i] - v[i] - r[i];
                        }
                        let e = self.inv_x(cfg, &v, &mut r, &mut ops);
                        axpy(1.0, &r, &mut x);
                        let s = norm2(&r);
                        est = tail * s + e;
                        s
                    }
                };
                if cfg.trace {
                    trace.push((x.clone(), ops, est));
                }
                if !x.iter().all(|v| v.is_finite()) {
                    return Err(SolveError::Growing {
                        term: k,
                        ratio: f64::INFINITY,
                        block,
                    });
                }
                if size > prev && prev > 0.0 {
                    if grew {
                        return Err(SolveError::Growing {
                            term: k,
                            ratio: size / prev,
                            block,
                        });
                    }
                    grew = true;
                } else {
                    grew = false;
                }
                prev = size;
                if done(est, &x) || size == 0.0 {
                    break;
                }
            }
        }
        if let Some(t) = target {
            let bits = reached(est, &x);
            if bits < t {
                return Err(SolveError::NotConverged {
                    bits,
                    terms,
                    target: t,
                    rho: self.rho,
                    block,
                });
            }
        }
        Ok(BlockOut {
            x,
            ops,
            terms,
            est_err: est,
            trace,
        })
    }
}

/// A factor programmed into INV and VMM crossbars, ready to solve.
#[derive(Clone, Debug)]
pub struct HpSolver {
    config: SolverConfig,
    n: usize,
    blocks: Vec<Block>,
    oracle_q: Option<Factor>,
    oracle_a: Option<Factor>,
    diagnostics: Diagnostics,
}

impl HpSolver {
    /// Quantize `a` to the configured fixed point, split it, program the
    /// crossbars (with the configured non-idealities) and check loop
    /// stability and convergence on every block. `a` must be symmetric
    /// (K-FAC factors are).
    pub fn program(a: &Array2<f64>, config: &SolverConfig) -> Result<Self, SolveError> {
        config.validate()?;
        let n = a.nrows();
        if n == 0 || a.ncols() != n {
            return Err(SolveError::Input(format!(
                "A must be square and non-empty, got {}x{}",
                a.nrows(),
                a.ncols()
            )));
        }
        if !a.iter().all(|v| v.is_finite()) {
            return Err(SolveError::Input("A has a non-finite entry".into()));
        }
        let scale = a.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        if scale == 0.0 {
            return Err(SolveError::Input("A is zero".into()));
        }
        for i in 0..n {
            for j in 0..i {
                if (a[[i, j]] - a[[j, i]]).abs() > 1e-12 * scale {
                    return Err(SolveError::Input(format!(
                        "A is not symmetric: A[{i},{j}] = {} but A[{j},{i}] = {}",
                        a[[i, j]],
                        a[[j, i]]
                    )));
                }
            }
        }
        let sp = split(a, config.a_bits, config.inv_cell_bits);
        let xb = config.crossbar_size;
        let tiles = n.div_ceil(xb);
        let ranges: Vec<(usize, usize)> = match config.large_factor {
            LargeFactor::Joined => vec![(0, n)],
            LargeFactor::BlockDiagonal => {
                (0..tiles).map(|t| (t * xb, (n - t * xb).min(xb))).collect()
            }
        };
        let multi = ranges.len() > 1;
        let mut rng = ChaCha8Rng::seed_from_u64(config.non_ideal.seed);
        let mut blocks = Vec::with_capacity(ranges.len());
        for (bi, &(off, m)) in ranges.iter().enumerate() {
            let sub = |mat: &Array2<f64>| -> Vec<f64> {
                let mut v = Vec::with_capacity(m * m);
                for i in off..off + m {
                    for j in off..off + m {
                        v.push(mat[[i, j]]);
                    }
                }
                v
            };
            let a_h = sub(&sp.a_h);
            let a_l = sub(&sp.a_l);
            let tag = multi.then_some(bi);
            blocks.push(program_block(
                config, off, m, a_h, a_l, sp.hi_step, &mut rng, tag,
            )?);
        }
        let a_rm: Vec<f64> = a.iter().copied().collect();
        let q_rm: Vec<f64> = sp.a_q.iter().copied().collect();
        let diagnostics = Diagnostics {
            n,
            full_scale: sp.fs,
            lambda_min_ah: blocks
                .iter()
                .map(|b| b.lambda_min)
                .fold(f64::INFINITY, f64::min),
            rho_p: blocks.iter().map(|b| b.rho).fold(0.0, f64::max),
            loops: blocks.len(),
            crossbars_per_loop: match config.large_factor {
                LargeFactor::Joined => tiles * tiles,
                LargeFactor::BlockDiagonal => 1,
            },
            vmm_crossbars_al: match config.large_factor {
                LargeFactor::Joined => tiles * tiles,
                LargeFactor::BlockDiagonal => tiles,
            },
            blocks: blocks
                .iter()
                .map(|b| BlockInfo {
                    offset: b.offset,
                    size: b.n,
                    lambda_min_ah: b.lambda_min,
                    rho_p: b.rho,
                })
                .collect(),
        };
        Ok(Self {
            config: config.clone(),
            n,
            blocks,
            oracle_q: Factor::any(&q_rm, n),
            oracle_a: Factor::any(&a_rm, n),
            diagnostics,
        })
    }

    /// The configuration it was programmed with.
    pub fn config(&self) -> &SolverConfig {
        &self.config
    }

    /// Dimension.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Change how solves iterate (form, output cycles, stop rule) without
    /// re-programming the crossbars: none of them changes what the arrays
    /// hold or the two conditions.
    pub fn set_iteration(
        &mut self,
        form: Form,
        output_cycles: u32,
        stop: Stop,
    ) -> Result<(), SolveError> {
        let cfg = SolverConfig {
            form,
            output_cycles,
            stop,
            ..self.config.clone()
        };
        cfg.validate()?;
        self.config = cfg;
        Ok(())
    }

    /// Mapping and the two conditions.
    pub fn diagnostics(&self) -> &Diagnostics {
        &self.diagnostics
    }

    /// Exact solve of the quantized A (the oracle), if it is non-singular.
    pub fn reference_quantized(&self, b: &Array1<f64>) -> Option<Array1<f64>> {
        self.oracle_q.as_ref().map(|f| {
            let mut v = b.to_vec();
            f.solve_in_place(&mut v);
            Array1::from(v)
        })
    }

    /// Exact solve of the unquantized A, if it is non-singular.
    pub fn reference_exact(&self, b: &Array1<f64>) -> Option<Array1<f64>> {
        self.oracle_a.as_ref().map(|f| {
            let mut v = b.to_vec();
            f.solve_in_place(&mut v);
            Array1::from(v)
        })
    }

    /// One high-precision solve of `A x = b`.
    pub fn solve(&self, b: &Array1<f64>) -> Result<Solution, SolveError> {
        if b.len() != self.n {
            return Err(SolveError::Input(format!(
                "b has {} entries, A is {}x{}",
                b.len(),
                self.n,
                self.n
            )));
        }
        if !b.iter().all(|v| v.is_finite()) {
            return Err(SolveError::Input("b has a non-finite entry".into()));
        }
        let bv = b.to_vec();
        let multi = self.blocks.len() > 1;
        let mut outs = Vec::with_capacity(self.blocks.len());
        for (i, blk) in self.blocks.iter().enumerate() {
            let tag = multi.then_some(i);
            outs.push(blk.solve(&self.config, &bv[blk.offset..blk.offset + blk.n], tag)?);
        }
        let mut x = vec![0.0; self.n];
        let mut ops = OpCounts::default();
        let mut serial = OpCounts::default();
        let mut err2 = 0.0;
        for (blk, o) in self.blocks.iter().zip(&outs) {
            x[blk.offset..blk.offset + blk.n].copy_from_slice(&o.x);
            ops.add(&o.ops);
            serial.max(&o.ops);
            err2 += o.est_err * o.est_err;
        }
        let x = Array1::from(x);
        let x_q = self.reference_quantized(b);
        let x_a = self.reference_exact(b);
        let score = |x: &Array1<f64>| -> (f64, Option<f64>) {
            let q = x_q
                .as_ref()
                .map(|r| bits_of(x.view(), r.view()))
                .unwrap_or(0.0);
            (q, x_a.as_ref().map(|r| bits_of(x.view(), r.view())))
        };
        let (bits_reached, bits_vs_unquantized) = score(&x);
        let mut trace = Vec::new();
        if self.config.trace {
            let steps = outs.iter().map(|o| o.trace.len()).max().unwrap_or(0);
            for k in 0..steps {
                let mut xk = vec![0.0; self.n];
                let mut ok = OpCounts::default();
                let mut e2 = 0.0;
                for (blk, o) in self.blocks.iter().zip(&outs) {
                    let (xs, c, e) = &o.trace[k.min(o.trace.len() - 1)];
                    xk[blk.offset..blk.offset + blk.n].copy_from_slice(xs);
                    ok.add(c);
                    e2 += e * e;
                }
                let xk = Array1::from(xk);
                let (q, a) = score(&xk);
                trace.push(TraceStep {
                    term: k as u32,
                    ops: ok,
                    bits_estimated: bits_from_ratio(e2.sqrt(), norm2(xk.as_slice().unwrap())),
                    bits_reached: q,
                    bits_vs_unquantized: a,
                });
            }
        }
        Ok(Solution {
            bits_estimated: bits_from_ratio(err2.sqrt(), norm2(x.as_slice().unwrap())),
            x,
            ops,
            serial_ops: serial,
            terms: outs.iter().map(|o| o.terms).max().unwrap_or(0),
            bits_reached,
            bits_vs_unquantized,
            lambda_min_ah: self.diagnostics.lambda_min_ah,
            rho_p: self.diagnostics.rho_p,
            trace,
        })
    }

    /// Solve for every column of `b`.
    pub fn solve_columns(&self, b: &Array2<f64>) -> Result<Batch, SolveError> {
        if b.nrows() != self.n {
            return Err(SolveError::Input(format!(
                "B has {} rows, A is {}x{}",
                b.nrows(),
                self.n,
                self.n
            )));
        }
        let mut x = Array2::zeros(b.raw_dim());
        let mut ops = OpCounts::default();
        let mut min_q = f64::INFINITY;
        let mut min_a: Option<f64> = None;
        let mut max_terms = 0;
        for (j, col) in b.columns().into_iter().enumerate() {
            let s = self.solve(&col.to_owned())?;
            x.column_mut(j).assign(&s.x);
            ops.add(&s.ops);
            min_q = min_q.min(s.bits_reached);
            if let Some(a) = s.bits_vs_unquantized {
                min_a = Some(min_a.map_or(a, |m: f64| m.min(a)));
            }
            max_terms = max_terms.max(s.terms);
        }
        Ok(Batch {
            x,
            ops,
            min_bits_reached: if min_q.is_finite() { min_q } else { 60.0 },
            min_bits_vs_unquantized: min_a,
            max_terms,
        })
    }
}

/// Program one loop: the non-ideal matrix it really holds, its analog solve
/// and its two conditions.
#[allow(clippy::too_many_arguments)]
fn program_block(
    config: &SolverConfig,
    offset: usize,
    n: usize,
    a_h: Vec<f64>,
    a_l: Vec<f64>,
    hi_step: f64,
    rng: &mut ChaCha8Rng,
    block: Option<usize>,
) -> Result<Block, SolveError> {
    let ni = &config.non_ideal;
    let steps = config.lanczos_steps;
    // The matrix the loop holds.
    let mut held = a_h.clone();
    if ni.conductance_sigma > 0.0 {
        for v in held.iter_mut() {
            let z: f64 = StandardNormal.sample(rng);
            *v += ni.conductance_sigma * hi_step * z;
        }
    }
    if let Some(gain) = ni.opamp_gain {
        for i in 0..n {
            let row_sum: f64 = a_h[i * n..(i + 1) * n].iter().map(|v| v.abs()).sum();
            held[i * n + i] += row_sum / gain;
        }
    }
    let symmetric = ni.conductance_sigma == 0.0;
    // Loop stability: lambda_min of the held matrix (of its symmetric part:
    // positive definite symmetric part => every eigenvalue has a positive
    // real part, the loop's stability condition).
    let sym: Vec<f64> = if symmetric {
        held.clone()
    } else {
        let mut s = held.clone();
        for i in 0..n {
            for j in 0..n {
                s[i * n + j] = 0.5 * (held[i * n + j] + held[j * n + i]);
            }
        }
        s
    };
    let chol = match Cholesky::new(&sym, n) {
        Ok(c) => c,
        Err(_) => {
            let (lo, _) =
                lanczos_extremes(n, n.min(steps.max(300)), 17, |x, y| matvec(&sym, n, x, y));
            return Err(SolveError::LoopUnstable {
                lambda_min: lo.min(0.0),
                block,
            });
        }
    };
    let (_, inv_max) = lanczos_extremes(n, steps, 11, |x, y| {
        y.copy_from_slice(x);
        chol.solve_in_place(y);
    });
    let lambda_min = 1.0 / inv_max;
    // Convergence: rho(P), P = held^-1 (A_q - held) (= A_H^-1 A_L when ideal).
    let rest: Vec<f64> = (0..n * n).map(|k| a_h[k] + a_l[k] - held[k]).collect();
    let (rho, inv) = if symmetric {
        // P = L^-T (L^-1 R L^-T) L^T: similar to a symmetric matrix.
        let mut t = vec![0.0; n];
        let (lo, hi) = lanczos_extremes(n, steps, 13, |x, y| {
            t.copy_from_slice(x);
            chol.backward_in_place(&mut t);
            matvec(&rest, n, &t, y);
            chol.forward_in_place(y);
        });
        (lo.abs().max(hi.abs()), Factor::Cholesky(chol))
    } else {
        let lu = Lu::new(&held, n).map_err(|_| SolveError::LoopUnstable {
            lambda_min: 0.0,
            block,
        })?;
        let rho = power_radius(n, 2 * steps, 13, |x, y| {
            matvec(&rest, n, x, y);
            lu.solve_in_place(y);
        });
        (rho, Factor::Lu(lu))
    };
    if rho.is_nan() || rho >= config.rho_limit {
        return Err(SolveError::Diverges {
            rho,
            limit: config.rho_limit,
            block,
        });
    }
    Ok(Block {
        offset,
        n,
        a_h,
        a_l,
        inv,
        lambda_min,
        rho,
    })
}
