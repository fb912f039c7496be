//! The precision study: bits of relative accuracy against the number of INV
//! and VMM operations, on damped K-FAC factors (second moments of ReLU
//! activations), for both forms and 2 and 3 output cycles, measured against
//! the exact solve of the 16-bit-quantized A (what the circuit can reach)
//! and of the unquantized A (what training sees).
use crate::kfac::{damp, gaussian, relu_covariance};
use crate::linalg::{lanczos_extremes, matvec, Cholesky};
use crate::solver::{bits_of, Form, HpSolver, OpCounts, SolveError, SolverConfig, Stop, TraceStep};
use ndarray::Array1;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::fmt::Write;

/// One way of running the solver.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Variant {
    /// Taylor or refinement.
    pub form: Form,
    /// Output cycles `c_x`.
    pub output_cycles: u32,
}

/// The study's grid.
#[derive(Clone, Debug, PartialEq)]
pub struct StudyConfig {
    /// `(n, damping)` cases; damping relative to the mean diagonal.
    pub cases: Vec<(usize, f64)>,
    /// Activation samples per factor, as a multiple of `n`.
    pub samples_per_n: usize,
    /// Terms after the first solve, traced.
    pub max_terms: u32,
    /// The solver variants.
    pub variants: Vec<Variant>,
    /// Base solver configuration (bits, converters, mapping).
    pub solver: SolverConfig,
    /// Seed of the right-hand side (the factor's seed is `n`).
    pub seed: u64,
}

impl StudyConfig {
    /// The full grid of the doc's table: n = 64 ... 512, four dampings.
    pub fn full() -> Self {
        let mut cases = Vec::new();
        for n in [64, 128, 256, 512] {
            for d in [1.0, 0.3, 0.1, 0.03] {
                cases.push((n, d));
            }
        }
        Self {
            cases,
            ..Self::default()
        }
    }
}

impl Default for StudyConfig {
    fn default() -> Self {
        Self {
            cases: vec![(64, 1.0), (128, 0.3), (256, 0.3)],
            samples_per_n: 4,
            max_terms: 12,
            variants: vec![
                Variant {
                    form: Form::Taylor,
                    output_cycles: 2,
                },
                Variant {
                    form: Form::Taylor,
                    output_cycles: 3,
                },
                Variant {
                    form: Form::Refine,
                    output_cycles: 2,
                },
                Variant {
                    form: Form::Refine,
                    output_cycles: 3,
                },
                Variant {
                    form: Form::Refine,
                    output_cycles: 1,
                },
            ],
            solver: SolverConfig::default(),
            seed: 1,
        }
    }
}

/// One variant on one case.
#[derive(Clone, Debug, PartialEq)]
pub struct VariantResult {
    /// The variant.
    pub variant: Variant,
    /// Accuracy and cost after each term.
    pub trace: Vec<TraceStep>,
}

impl VariantResult {
    /// First term (and its cumulative ops) at which the accuracy against the
    /// quantized A reaches `bits`.
    pub fn reach(&self, bits: f64) -> Option<&TraceStep> {
        self.trace.iter().find(|t| t.bits_reached >= bits)
    }

    /// The most accurate term against the quantized A.
    pub fn best(&self) -> Option<&TraceStep> {
        self.trace
            .iter()
            .fold(None, |b: Option<&TraceStep>, t| match b {
                Some(b) if b.bits_reached >= t.bits_reached => Some(b),
                _ => Some(t),
            })
    }
}

/// One factor of the study.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseResult {
    /// Dimension.
    pub n: usize,
    /// Damping relative to the mean diagonal.
    pub damping: f64,
    /// Condition number of the damped factor.
    pub cond: f64,
    /// Bits of the exact solve of the 16-bit A against the unquantized A:
    /// the ceiling the representation puts on what training sees.
    pub representation_bits: f64,
    /// `lambda_min(A_H)` relative to the full scale, and `rho(P)`; `None`
    /// when the solver refused the factor.
    pub conditions: Option<(f64, f64)>,
    /// The variants' traces, or the condition that refused the factor.
    pub variants: Result<Vec<VariantResult>, SolveError>,
}

/// The damped factor of a case (deterministic: seeded by `n`).
pub fn case_factor(n: usize, damping: f64, samples_per_n: usize) -> ndarray::Array2<f64> {
    damp(&relu_covariance(n, samples_per_n * n, n as u64), damping)
}

/// Condition number by Lanczos on A and on A^-1.
fn condition(a: &ndarray::Array2<f64>) -> f64 {
    let n = a.nrows();
    let rm: Vec<f64> = a.iter().copied().collect();
    let (_, hi) = lanczos_extremes(n, 80, 5, |x, y| matvec(&rm, n, x, y));
    match Cholesky::new(&rm, n) {
        Ok(c) => {
            let (_, inv_hi) = lanczos_extremes(n, 80, 6, |x, y| {
                y.copy_from_slice(x);
                c.solve_in_place(y);
            });
            hi * inv_hi
        }
        Err(_) => f64::INFINITY,
    }
}

/// Run one case.
pub fn run_case(cfg: &StudyConfig, n: usize, damping: f64) -> CaseResult {
    let a = case_factor(n, damping, cfg.samples_per_n);
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let b: Array1<f64> = gaussian(n, 1, &mut rng).column(0).to_owned();
    let cond = condition(&a);
    let base = SolverConfig {
        stop: Stop::Terms(cfg.max_terms),
        trace: true,
        ..cfg.solver.clone()
    };
    let programmed = HpSolver::program(&a, &base);
    let (representation_bits, conditions) = match &programmed {
        Ok(s) => {
            let bits = match (s.reference_quantized(&b), s.reference_exact(&b)) {
                (Some(q), Some(x)) => bits_of(q.view(), x.view()),
                _ => 0.0,
            };
            let d = s.diagnostics();
            (bits, Some((d.lambda_min_ah / d.full_scale, d.rho_p)))
        }
        Err(_) => {
            let q = crate::fixed::quantize_matrix(&a, cfg.solver.a_bits);
            let solve = |m: &ndarray::Array2<f64>| {
                let rm: Vec<f64> = m.iter().copied().collect();
                crate::linalg::Factor::any(&rm, n).map(|f| {
                    let mut v = b.to_vec();
                    f.solve_in_place(&mut v);
                    Array1::from(v)
                })
            };
            let bits = match (solve(&q), solve(&a)) {
                (Some(q), Some(x)) => bits_of(q.view(), x.view()),
                _ => 0.0,
            };
            (bits, None)
        }
    };
    let variants = programmed.and_then(|mut s| {
        cfg.variants
            .iter()
            .map(|v| {
                s.set_iteration(v.form, v.output_cycles, Stop::Terms(cfg.max_terms))?;
                let sol = s.solve(&b)?;
                Ok(VariantResult {
                    variant: *v,
                    trace: sol.trace,
                })
            })
            .collect()
    });
    CaseResult {
        n,
        damping,
        cond,
        representation_bits,
        conditions,
        variants,
    }
}

/// Run every case.
pub fn run(cfg: &StudyConfig) -> Vec<CaseResult> {
    cfg.cases
        .iter()
        .map(|&(n, d)| run_case(cfg, n, d))
        .collect()
}

fn ops(o: &OpCounts) -> String {
    format!("{}/{}", o.inv, o.vmm())
}

fn form_name(v: &Variant) -> &'static str {
    match v.form {
        Form::Taylor => "Taylor",
        Form::Refine => "refine",
    }
}

/// The study as a markdown table: per case and variant, the terms K (after
/// the first solve) and the cumulative INV/VMM operations needed for 12 and
/// 16 bits against the quantized A, the best accuracy reached within the
/// traced terms, and the accuracy against the unquantized A at that point.
pub fn markdown(results: &[CaseResult], max_terms: u32) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "| n | damping | cond(A) | lambda_min(A_H)/FS | rho(P) | A_16 vs A (bits) | form | c_x | 12 bits: K (INV/VMM) | 16 bits: K (INV/VMM) | best vs A_16: bits (K) | at best vs A (bits) |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|---|---|");
    for c in results {
        let head = format!(
            "| {} | {} | {:.0} | {} | {} | {:.1} |",
            c.n,
            c.damping,
            c.cond,
            c.conditions
                .map(|(l, _)| format!("{l:.3}"))
                .unwrap_or_else(|| "-".into()),
            c.conditions
                .map(|(_, r)| format!("{r:.2}"))
                .unwrap_or_else(|| "-".into()),
            c.representation_bits,
        );
        match &c.variants {
            Err(e) => {
                let _ = writeln!(s, "{head} all | - | refused: {e} | | | |");
            }
            Ok(vs) => {
                for v in vs {
                    let reach = |bits: f64| {
                        v.reach(bits)
                            .map(|t| format!("{} ({})", t.term, ops(&t.ops)))
                            .unwrap_or_else(|| format!("> {max_terms}"))
                    };
                    let (best, at_a) = v
                        .best()
                        .map(|t| {
                            (
                                format!("{:.1} ({})", t.bits_reached, t.term),
                                t.bits_vs_unquantized
                                    .map(|b| format!("{b:.1}"))
                                    .unwrap_or_else(|| "-".into()),
                            )
                        })
                        .unwrap_or_default();
                    let _ = writeln!(
                        s,
                        "{head} {} | {} | {} | {} | {} | {} |",
                        form_name(&v.variant),
                        v.variant.output_cycles,
                        reach(12.0),
                        reach(16.0),
                        best,
                        at_a
                    );
                }
            }
        }
    }
    s
}
