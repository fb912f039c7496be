//! Damped K-FAC factors, and K-FAC training of a small MLP with the
//! functional solver in every preconditioning step.
//!
//! K-FAC (Martens & Grosse, ICML 2015) approximates the Fisher block of a
//! linear layer `s = W a` by `G (x) A`, with `A = E[a a^T]` over the layer's
//! input (bias as a constant 1) and `G = E[g g^T]` over the gradient of the
//! loss with respect to `s`; the preconditioned gradient is
//! `G^-1 grad(W) A^-1` (RePAST slides 3-4: `theta <- theta - eta A^-1
//! grad G^-1`). With damping both factors are positive definite, and no
//! inverse is formed: `grad(W) A^-1` is one solve with `A` per row of the
//! gradient, then one solve with `G` per column (brief section 4).
use crate::fixed::quantize_matrix;
use crate::linalg::Factor;
use crate::solver::{HpSolver, OpCounts, SolveError, SolverConfig};
use ndarray::{Array1, Array2, ArrayView2, ArrayViewMut2, Axis, Slice};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// Matrix with i.i.d. standard normal entries.
pub fn gaussian(rows: usize, cols: usize, rng: &mut ChaCha8Rng) -> Array2<f64> {
    Array2::from_shape_simple_fn((rows, cols), || StandardNormal.sample(rng))
}

/// The undamped K-FAC factor `E[a a^T]` of ReLU activations, the input of
/// the next layer: `a = relu(W z)`, `z` standard normal in `n` dimensions,
/// `W` Gaussian with variance `1/n`, averaged over `samples` draws. The
/// activations' positive mean makes one large eigenvalue (about `0.32 n`
/// times the mean diagonal), so the damped condition number grows with `n`.
pub fn relu_covariance(n: usize, samples: usize, seed: u64) -> Array2<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let w = gaussian(n, n, &mut rng) / (n as f64).sqrt();
    let z = gaussian(samples, n, &mut rng);
    let a = z.dot(&w.t()).mapv(|v| v.max(0.0));
    a.t().dot(&a) / samples as f64
}

/// Tikhonov damping relative to the mean diagonal:
/// `A + damping * mean(diag A) * I`.
pub fn damp(a: &Array2<f64>, damping: f64) -> Array2<f64> {
    let n = a.nrows().max(1);
    let mean = a.diag().sum() / n as f64;
    let mut out = a.clone();
    out.diag_mut().mapv_inplace(|v| v + damping * mean);
    out
}

/// How the preconditioning solves are done.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Inverter {
    /// Exact solve of the damped factors in `f64` (the reference K-FAC).
    Exact,
    /// The functional RePAST solver: factors programmed into the crossbars
    /// at every refresh, every solve through the analog numerics.
    Repast(SolverConfig),
    /// The damped factors held at `bits`-bit fixed point and solved exactly:
    /// the precision study of the paper's slide 8 ("8- or 12-bit A").
    Quantized(u32),
}

/// The synthetic task and the training schedule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KfacConfig {
    /// Widths: input, hidden layers, classes.
    pub widths: Vec<usize>,
    /// Training samples.
    pub train: usize,
    /// Held-out samples.
    pub test: usize,
    /// Minibatch size.
    pub batch: usize,
    /// Training steps.
    pub steps: usize,
    /// Learning rate of the preconditioned step.
    pub lr: f64,
    /// Damping of both factors, relative to their mean diagonal.
    pub damping: f64,
    /// Exponential moving average of the factors.
    pub ema: f64,
    /// Re-program the factors (and re-check the solver's conditions) every
    /// `refresh` steps.
    pub refresh: usize,
    /// Seed of data, teacher, initialisation and batches.
    pub seed: u64,
}

impl Default for KfacConfig {
    fn default() -> Self {
        Self {
            widths: vec![16, 32, 32, 4],
            train: 1024,
            test: 512,
            batch: 1024,
            steps: 60,
            lr: 0.05,
            damping: 1.0,
            ema: 0.9,
            refresh: 1,
            seed: 1,
        }
    }
}

/// How a training run ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// All steps ran.
    Completed,
    /// Training broke down at `step`: the loss became non-finite or rose
    /// above 10x its start, or a reduced-precision factor was exactly
    /// singular (its inverse, and so the step, does not exist).
    Diverged {
        /// Step at which it happened.
        step: usize,
        /// What happened.
        reason: String,
    },
    /// The RePAST solver refused a factor or a solve at `step`, naming the
    /// failed condition; training stops rather than use a wrong answer.
    Refused {
        /// Step at which it happened.
        step: usize,
        /// The failed condition.
        error: SolveError,
    },
}

/// What a training run did.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainLog {
    /// Full training-set loss before each step and after the last.
    pub loss: Vec<f64>,
    /// Held-out accuracy at the end (of the last finite model).
    pub test_accuracy: f64,
    /// How the run ended.
    pub outcome: Outcome,
    /// Crossbar operations of all solves (RePAST only).
    pub ops: OpCounts,
    /// Solves done.
    pub solves: u64,
    /// Largest `rho(P)` over the programmed factors (RePAST only).
    pub max_rho: f64,
    /// Smallest `lambda_min(A_H)` relative to the factor's full scale.
    pub min_lambda_rel: f64,
    /// Lowest bits reached by a solve against the quantized factor.
    pub min_bits_reached: f64,
    /// Lowest bits of a solve against the unquantized damped factor.
    pub min_bits_vs_unquantized: f64,
    /// Factors held at reduced precision that were not positive definite.
    pub indefinite_factors: u64,
}

impl TrainLog {
    /// Loss after the last step.
    pub fn final_loss(&self) -> f64 {
        self.loss.last().copied().unwrap_or(f64::NAN)
    }
}

struct Data {
    x: Array2<f64>,
    y: Vec<usize>,
}

/// Inputs standard normal; labels from a random teacher MLP (tanh hidden
/// layer twice as wide as the input), argmax of its logits.
fn make_data(cfg: &KfacConfig, rng: &mut ChaCha8Rng) -> (Data, Data) {
    let d = cfg.widths[0];
    let c = *cfg.widths.last().unwrap_or(&2);
    let w1 = gaussian(2 * d, d, rng) / (d as f64).sqrt();
    let w2 = gaussian(c, 2 * d, rng) / ((2 * d) as f64).sqrt();
    let mut gen = |m: usize| {
        let x = gaussian(m, d, rng);
        let logits = x.dot(&w1.t()).mapv(f64::tanh).dot(&w2.t());
        let y = logits
            .rows()
            .into_iter()
            .map(|r| {
                r.iter()
                    .enumerate()
                    .fold(
                        (0, f64::NEG_INFINITY),
                        |b, (i, &v)| if v > b.1 { (i, v) } else { b },
                    )
                    .0
            })
            .collect();
        Data { x, y }
    };
    let train = gen(cfg.train);
    let test = gen(cfg.test);
    (train, test)
}

/// The first `k` columns (without the bias column). (`ndarray::s!` expands
/// to an `allow(unsafe_code)` that this crate's `forbid` rejects.)
fn cols(m: &Array2<f64>, k: usize) -> ArrayView2<'_, f64> {
    m.slice_axis(Axis(1), Slice::from(..k))
}

fn cols_mut(m: &mut Array2<f64>, k: usize) -> ArrayViewMut2<'_, f64> {
    m.slice_axis_mut(Axis(1), Slice::from(..k))
}

/// Append the constant-1 bias column.
fn with_bias(h: &Array2<f64>) -> Array2<f64> {
    let mut a = Array2::ones((h.nrows(), h.ncols() + 1));
    cols_mut(&mut a, h.ncols()).assign(h);
    a
}

/// Forward pass: layer inputs (with bias) and the logits.
fn forward(w: &[Array2<f64>], x: &Array2<f64>) -> (Vec<Array2<f64>>, Array2<f64>) {
    let mut inputs = Vec::with_capacity(w.len());
    let mut h = x.clone();
    for (l, wl) in w.iter().enumerate() {
        let a = with_bias(&h);
        let s = a.dot(&wl.t());
        inputs.push(a);
        h = if l + 1 < w.len() {
            s.mapv(|v| v.max(0.0))
        } else {
            s
        };
    }
    (inputs, h)
}

/// Softmax probabilities, mean cross-entropy and accuracy.
fn softmax_loss(logits: &Array2<f64>, y: &[usize]) -> (Array2<f64>, f64, f64) {
    let mut p = logits.clone();
    let mut loss = 0.0;
    let mut correct = 0usize;
    for (i, mut row) in p.rows_mut().into_iter().enumerate() {
        let m = row.fold(f64::NEG_INFINITY, |a, &b| a.max(b));
        row.mapv_inplace(|v| (v - m).exp());
        let z = row.sum();
        row.mapv_inplace(|v| v / z);
        loss -= row[y[i]].max(1e-300).ln();
        let arg = row
            .iter()
            .enumerate()
            .fold(
                (0, f64::NEG_INFINITY),
                |b, (k, &v)| if v > b.1 { (k, v) } else { b },
            )
            .0;
        correct += usize::from(arg == y[i]);
    }
    let m = y.len().max(1) as f64;
    (p, loss / m, correct as f64 / m)
}

/// Solve `M X = B` (columns) for a damped factor with the chosen inverter.
struct Solved {
    x: Array2<f64>,
}

#[derive(Default)]
struct Stats {
    ops: OpCounts,
    solves: u64,
    max_rho: f64,
    min_lambda_rel: f64,
    min_bits: f64,
    min_bits_a: f64,
    indefinite: u64,
}

enum Programmed {
    Exact(Factor),
    Repast(Box<HpSolver>),
}

fn program(m: &Array2<f64>, inv: &Inverter, st: &mut Stats) -> Result<Programmed, SolveError> {
    let n = m.nrows();
    match inv {
        Inverter::Exact => {
            let rm: Vec<f64> = m.iter().copied().collect();
            Factor::any(&rm, n)
                .map(Programmed::Exact)
                .ok_or_else(|| SolveError::Input("damped factor is singular".into()))
        }
        Inverter::Quantized(bits) => {
            let q = quantize_matrix(m, *bits);
            let rm: Vec<f64> = q.iter().copied().collect();
            let f = Factor::any(&rm, n)
                .ok_or_else(|| SolveError::Input(format!("{bits}-bit factor is singular")))?;
            if matches!(f, Factor::Lu(_)) {
                st.indefinite += 1;
            }
            Ok(Programmed::Exact(f))
        }
        Inverter::Repast(cfg) => {
            let s = HpSolver::program(m, cfg)?;
            let d = s.diagnostics();
            st.max_rho = st.max_rho.max(d.rho_p);
            st.min_lambda_rel = st.min_lambda_rel.min(d.lambda_min_ah / d.full_scale);
            Ok(Programmed::Repast(Box::new(s)))
        }
    }
}

fn solve(p: &Programmed, b: &Array2<f64>, st: &mut Stats) -> Result<Solved, SolveError> {
    match p {
        Programmed::Exact(f) => {
            let mut x = b.clone();
            for mut col in x.columns_mut() {
                let mut v = col.to_vec();
                f.solve_in_place(&mut v);
                col.assign(&Array1::from(v));
            }
            st.solves += b.ncols() as u64;
            Ok(Solved { x })
        }
        Programmed::Repast(s) => {
            let r = s.solve_columns(b)?;
            st.solves += b.ncols() as u64;
            st.ops.inv += r.ops.inv;
            st.ops.vmm_ah += r.ops.vmm_ah;
            st.ops.vmm_al += r.ops.vmm_al;
            st.min_bits = st.min_bits.min(r.min_bits_reached);
            if let Some(a) = r.min_bits_vs_unquantized {
                st.min_bits_a = st.min_bits_a.min(a);
            }
            Ok(Solved { x: r.x })
        }
    }
}

/// The inverters of the demonstration, by name: exact K-FAC, the RePAST
/// solver as published (Taylor, 2 output cycles, 12-bit target) and in its
/// 16-bit refinement form, and the factors held at 16, 12 and 8 bits.
pub fn demo_inverters() -> Vec<(&'static str, Inverter)> {
    use crate::solver::Form;
    vec![
        ("exact (f64)", Inverter::Exact),
        (
            "RePAST Taylor, c_x=2, 12-bit target",
            Inverter::Repast(SolverConfig::default()),
        ),
        (
            "RePAST refine, c_x=3, 16-bit target",
            Inverter::Repast(SolverConfig::sixteen_bit(Form::Refine)),
        ),
        ("A, G held at 16 bits", Inverter::Quantized(16)),
        ("A, G held at 12 bits", Inverter::Quantized(12)),
        ("A, G held at 8 bits", Inverter::Quantized(8)),
    ]
}

/// The demonstration's two regimes: damping 1.0 (of the mean diagonal),
/// where the RePAST solver converges on every factor, and 0.001, where
/// exact K-FAC still trains.
pub fn demo_regimes() -> Vec<KfacConfig> {
    vec![
        KfacConfig::default(),
        KfacConfig {
            damping: 0.001,
            ..KfacConfig::default()
        },
    ]
}

/// Largest difference between two loss curves over their common steps, as
/// a fraction of the reference's initial loss (relative differences of
/// losses near zero would mislead).
pub fn max_gap(curve: &[f64], reference: &[f64]) -> f64 {
    let scale = reference.first().map_or(1.0, |v| v.abs().max(1e-12));
    curve
        .iter()
        .zip(reference)
        .map(|(x, y)| (x - y).abs() / scale)
        .fold(0.0, f64::max)
}

/// A failed solve ends the run: refused by the RePAST solver, or, for the
/// exact and reduced-precision inverters, a singular factor.
fn stopped(step: usize, error: SolveError, inverter: &Inverter) -> Outcome {
    match inverter {
        Inverter::Repast(_) => Outcome::Refused { step, error },
        _ => Outcome::Diverged {
            step,
            reason: match error {
                SolveError::Input(m) => m,
                e => e.to_string(),
            },
        },
    }
}

/// K-FAC training of the MLP of `cfg` on its synthetic task, with the
/// preconditioning solves done by `inverter`. Deterministic for a seed.
/// A configuration it cannot run is a `SolveError::Config` naming the field;
/// a solver that refuses a factor ends the run with `Outcome::Refused`.
pub fn train(cfg: &KfacConfig, inverter: &Inverter) -> Result<TrainLog, SolveError> {
    let bad = |m: &str| Err(SolveError::Config(format!("K-FAC demo: {m}")));
    if cfg.widths.len() < 2 || cfg.widths.contains(&0) {
        return bad("widths needs an input and an output width, all non-zero");
    }
    if cfg.train == 0 || cfg.test == 0 || cfg.batch == 0 {
        return bad("train, test and batch must be non-zero");
    }
    if !(cfg.lr.is_finite() && cfg.damping.is_finite() && (0.0..1.0).contains(&cfg.ema)) {
        return bad("lr and damping must be finite and ema in [0, 1)");
    }
    if let Inverter::Repast(sc) = inverter {
        sc.validate()?;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let (data, test) = make_data(cfg, &mut rng);
    let layers = cfg.widths.len().saturating_sub(1);
    let mut w: Vec<Array2<f64>> = (0..layers)
        .map(|l| {
            let (i, o) = (cfg.widths[l], cfg.widths[l + 1]);
            let mut m = Array2::zeros((o, i + 1));
            cols_mut(&mut m, i).assign(&(gaussian(o, i, &mut rng) * (2.0 / i as f64).sqrt()));
            m
        })
        .collect();
    let mut fa: Vec<Option<Array2<f64>>> = vec![None; layers];
    let mut fg: Vec<Option<Array2<f64>>> = vec![None; layers];
    let mut programmed: Vec<Option<(Programmed, Programmed)>> = (0..layers).map(|_| None).collect();
    let mut st = Stats {
        min_lambda_rel: f64::INFINITY,
        min_bits: f64::INFINITY,
        min_bits_a: f64::INFINITY,
        ..Stats::default()
    };
    let full_loss = |w: &[Array2<f64>]| softmax_loss(&forward(w, &data.x).1, &data.y).1;
    let mut loss = vec![full_loss(&w)];
    let start = loss[0];
    let mut outcome = Outcome::Completed;
    let mut order: Vec<usize> = (0..cfg.train).collect();
    let mut cursor = cfg.train;
    let batch = cfg.batch.clamp(1, cfg.train.max(1));
    'steps: for step in 0..cfg.steps {
        if cursor + batch > cfg.train {
            order.shuffle(&mut rng);
            cursor = 0;
        }
        let idx = &order[cursor..cursor + batch];
        cursor += batch;
        let xb = data.x.select(Axis(0), idx);
        let yb: Vec<usize> = idx.iter().map(|&i| data.y[i]).collect();
        let (inputs, logits) = forward(&w, &xb);
        let (p, _, _) = softmax_loss(&logits, &yb);
        // Per-sample gradient of the loss w.r.t. the logits (not divided by
        // the batch): G is their second moment; the batch gradient is their
        // mean.
        let mut g = p;
        for (i, &yi) in yb.iter().enumerate() {
            g[[i, yi]] -= 1.0;
        }
        let bsz = batch as f64;
        let refresh = step % cfg.refresh.max(1) == 0;
        let mut grads = Vec::with_capacity(layers);
        let mut gs = vec![g];
        for l in (0..layers).rev() {
            let gl = gs.last().cloned().unwrap_or_default();
            grads.push(gl.t().dot(&inputs[l]) / bsz);
            if l > 0 {
                let back = gl.dot(&cols(&w[l], cfg.widths[l]));
                let mask = cols(&inputs[l], cfg.widths[l]).mapv(|v| f64::from(u8::from(v > 0.0)));
                gs.push(back * mask);
            }
        }
        grads.reverse();
        gs.reverse();
        for l in 0..layers {
            let a_new = inputs[l].t().dot(&inputs[l]) / bsz;
            let g_new = gs[l].t().dot(&gs[l]) / bsz;
            let mix = |old: &Option<Array2<f64>>, new: Array2<f64>| match old {
                Some(o) => o * cfg.ema + new * (1.0 - cfg.ema),
                None => new,
            };
            fa[l] = Some(mix(&fa[l], a_new));
            fg[l] = Some(mix(&fg[l], g_new));
        }
        for l in 0..layers {
            if refresh || programmed[l].is_none() {
                let (Some(a), Some(gf)) = (&fa[l], &fg[l]) else {
                    continue;
                };
                let pa = program(&damp(a, cfg.damping), inverter, &mut st);
                let pg = program(&damp(gf, cfg.damping), inverter, &mut st);
                match (pa, pg) {
                    (Ok(pa), Ok(pg)) => programmed[l] = Some((pa, pg)),
                    (Err(e), _) | (_, Err(e)) => {
                        outcome = stopped(step, e, inverter);
                        break 'steps;
                    }
                }
            }
            let Some((pa, pg)) = &programmed[l] else {
                continue;
            };
            // U = grad A^-1 (A symmetric): solve A for each gradient row.
            let u = match solve(pa, &grads[l].t().to_owned(), &mut st) {
                Ok(u) => u.x.t().to_owned(),
                Err(e) => {
                    outcome = stopped(step, e, inverter);
                    break 'steps;
                }
            };
            // Delta = G^-1 U: solve G for each column.
            let delta = match solve(pg, &u, &mut st) {
                Ok(d) => d.x,
                Err(e) => {
                    outcome = stopped(step, e, inverter);
                    break 'steps;
                }
            };
            w[l] = &w[l] - &(delta * cfg.lr);
        }
        let lv = full_loss(&w);
        loss.push(lv);
        if !lv.is_finite() || lv > 10.0 * start {
            outcome = Outcome::Diverged {
                step,
                reason: format!("loss {lv:.3e} (started at {start:.3})"),
            };
            break;
        }
    }
    let test_accuracy = if w.iter().all(|m| m.iter().all(|v| v.is_finite())) {
        softmax_loss(&forward(&w, &test.x).1, &test.y).2
    } else {
        0.0
    };
    Ok(TrainLog {
        loss,
        test_accuracy,
        outcome,
        ops: st.ops,
        solves: st.solves,
        max_rho: st.max_rho,
        min_lambda_rel: st.min_lambda_rel,
        min_bits_reached: st.min_bits,
        min_bits_vs_unquantized: st.min_bits_a,
        indefinite_factors: st.indefinite,
    })
}
