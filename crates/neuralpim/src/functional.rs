//! The functional model: one array's VMM on real numbers through each
//! dataflow's bit slices, converters and noise, against the exact integer VMM.
//!
//! All three designs hold signed weights differentially (`W+ - W-`, one
//! column pair per weight bit slice) and stream unsigned inputs LSB first.
//! Per input cycle `i` and weight slice `j` a bitline pair gives the analog
//! partial sum `d_ij = sum_r x_i[r] (g+_rj - g-_rj)` in units of one
//! cell-times-input-level, where `g` is the slice value times the cell's
//! programmed-conductance error.
//!
//! * **A (ISAAC)**: an ADC of `P_AA` bits (Eq. 2 less the encoding bit) rounds
//!   every `d_ij` to an integer in its signed range; the digital S+A forms
//!   `sum 2^(i P_D + j P_R) q_ij` exactly.
//! * **B (CASCADE)**: a TIA writes `d_ij` into a buffer cell of
//!   `buffer_cell_bits` levels over the bitline's range (the cell's write
//!   error multiplies the stored value); buffer column `c` (significance
//!   `i P_D + j P_R`) sums its cells on read and an ADC of `P_BA` bits (Eq. 3)
//!   rounds the sum; the digital S+A adds the columns.
//! * **C (Neural-PIM)**: the NNS+A forms, per cycle, the normalised
//!   `v_i = (2^-P_D Y_(i-1) v_(i-1) + sum_j 2^(j P_R) u_ij) / Y_i` (`u` the
//!   bitline value over its full scale, `Y_i` the largest value the sum can
//!   reach, so `v` stays within [-1, 1]; NP §4.1.2's ground truth with its
//!   normalisation made exact) plus its error; after the last cycle one
//!   `P_O`-bit NNADC conversion over the input range the layer needs (§4.2).
//!
//! Noise sources and their values: [`Noise`]. SINAD is
//! `10 log10((P_sig + P_noise) / P_noise)` with `P_noise` the mean squared
//! difference to the exact VMM (NP §5.3's definition).
use crate::chip::Strategy;
use crate::preset::{Config, Dataflow};
use ndarray::{Array2, Zip};
use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// The non-idealities of the analog path, each with its source.
#[derive(Clone, Debug, PartialEq)]
pub struct Noise {
    /// Log-normal sigma of a programmed cell's conductance, drawn once per
    /// cell: NP §4.1.2 and §6.2 train the NeuralPeriph circuits for RRAM with
    /// sigma = 0.025; ASSUMPTION: the VMM arrays' cells vary as much.
    pub cell_variation: f64,
    /// Relative Gaussian noise of a cell's current on every read. No paper of
    /// the three gives a value (NP lumps read noise into its SPICE runs);
    /// 0 by default, swept in the doc's table.
    pub read_noise: f64,
    /// Log-normal sigma of every write of a CASCADE buffer cell. ASSUMPTION:
    /// the same device variation (0.025); CASCADE §3.2 writes at low voltage,
    /// which it calls non-deterministic, without a figure.
    pub buffer_write_variation: f64,
    /// NNS+A output error bounds in volts: NP Table 1 at 40 MHz, max 5 mV,
    /// min -4 mV (the closest printed speed to the 80 MHz of Table 2).
    /// ASSUMPTION: uniform between them, independent per step.
    pub nnsa_error_v: (f64, f64),
    /// The NNS+A's signal range, NP Table 1: [0, 0.5] V.
    pub nnsa_range_v: f64,
    /// NNADC effective bits, NP Table 1 at 1 GS/s: 7.85. The missing bits
    /// become Gaussian noise at the converter input.
    pub nnadc_enob: f64,
    /// NNADC input ranges as fractions of the NNS+A full scale: NP §4.2 trains
    /// three NNADCs with V_max = 0.5, 0.25, 0.125 V_DD; with V_DD = 1.2 V and
    /// the 0.5 V range of Table 1 these are 1.2, 0.6 and 0.3 of full scale.
    /// Each layer uses the smallest that holds its largest output.
    pub nnadc_ranges: Vec<f64>,
    /// ASSUMPTION switch, off by default. Off: the analog sums are fractions
    /// of the largest value the dot product can reach (what Eq. 4's "P_O
    /// MSBs" says), so the NNS+A error is a fixed fraction of that full
    /// scale. On: each layer's analog gain is set so that its largest output
    /// spans the NNS+A range (what NP Fig. 6's 0.1-0.45 V_DD layer maxima
    /// suggest); the error is then a fraction of the layer's own range.
    pub per_layer_gain: bool,
}

impl Default for Noise {
    fn default() -> Self {
        Noise {
            cell_variation: 0.025,
            read_noise: 0.0,
            buffer_write_variation: 0.025,
            nnsa_error_v: (-4e-3, 5e-3),
            nnsa_range_v: 0.5,
            nnadc_enob: 7.85,
            nnadc_ranges: vec![0.3, 0.6, 1.2],
            per_layer_gain: false,
        }
    }
}

impl Noise {
    /// No noise at all: the converters' quantisation alone.
    pub fn ideal() -> Self {
        Noise {
            cell_variation: 0.0,
            read_noise: 0.0,
            buffer_write_variation: 0.0,
            nnsa_error_v: (0.0, 0.0),
            nnsa_range_v: 0.5,
            nnadc_enob: 1e9,
            nnadc_ranges: vec![0.3, 0.6, 1.2],
            per_layer_gain: false,
        }
    }
}

/// One array of one dataflow, as the functional model needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct ArrayModel {
    pub strategy: Strategy,
    pub rows: usize,
    pub vectors: usize,
    pub input_bits: u32,
    pub weight_bits: u32,
    pub output_bits: u32,
    pub dac_bits: u32,
    pub cell_bits: u32,
    /// Bitline bits after encoding (Eq. 2).
    pub bitline_bits: u32,
    /// Converter bits (Eqs. 2-4).
    pub ad_bits: u32,
    /// CASCADE buffer cell levels, in bits.
    pub buffer_cell_bits: u32,
}

impl ArrayModel {
    /// The array of a preset; the functional model takes differential weights.
    pub fn from_preset(c: &Config) -> Result<ArrayModel, String> {
        let design = crate::chip::Design::new(c)?;
        if c.array.signed_weights != pimzoo_tech::crossbar::SignedWeights::Differential {
            return Err(format!(
                "{}: the functional model takes differential weights (the equal-area presets)",
                c.id
            ));
        }
        let buffer_cell_bits = match &c.dataflow {
            Dataflow::AnalogBuffering {
                buffer_cell_bits, ..
            } => *buffer_cell_bits,
            _ => 0,
        };
        Ok(ArrayModel {
            strategy: design.strategy,
            rows: c.array.rows as usize,
            vectors: design.slicing.weight_vectors as usize,
            input_bits: c.operands.input_bits,
            weight_bits: c.operands.weight_bits,
            output_bits: c.operands.output_bits,
            dac_bits: c.array.dac_bits,
            cell_bits: c.array.cell_bits,
            bitline_bits: design.slicing.bitline_bits,
            ad_bits: design.ad_bits,
            buffer_cell_bits,
        })
    }

    fn input_cycles(&self) -> u32 {
        self.input_bits.div_ceil(self.dac_bits)
    }
    /// Slices of one weight polarity: the magnitude has `weight_bits - 1` bits.
    fn weight_slices(&self) -> u32 {
        (self.weight_bits - 1).div_ceil(self.cell_bits)
    }
    /// Largest |d_ij|: every row at full input level and full cell value.
    fn bitline_full_scale(&self) -> f64 {
        self.rows as f64
            * ((1u64 << self.dac_bits) - 1) as f64
            * ((1u64 << self.cell_bits) - 1) as f64
    }
}

/// The outputs of one simulated VMM batch, in the units of the exact result.
#[derive(Clone, Debug)]
pub struct Outputs {
    pub exact: Array2<f64>,
    /// What the dataflow produces: the digital sum (A, B) or the NNADC code (C).
    pub native: Array2<f64>,
    /// The same, requantized to `output_bits` as the next layer reads it: a
    /// power-of-two full scale covering the largest exact output (a digital
    /// shift) for A and B; C's NNADC already gives `output_bits`.
    pub requantized: Array2<f64>,
}

/// SINAD in dB of `hw` against `exact`; infinite when they agree exactly.
pub fn sinad(exact: &Array2<f64>, hw: &Array2<f64>) -> f64 {
    let n = exact.len().max(1) as f64;
    let p_sig = exact.iter().map(|v| v * v).sum::<f64>() / n;
    let p_noise = Zip::from(exact)
        .and(hw)
        .fold(0.0, |acc, e, h| acc + (h - e) * (h - e))
        / n;
    if p_noise == 0.0 {
        f64::INFINITY
    } else {
        10.0 * ((p_sig + p_noise) / p_noise).log10()
    }
}

fn gauss<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    StandardNormal.sample(rng)
}

/// Round to the nearest level (ties to even, so a value halfway between two
/// levels has no bias) and clip to the converter's range.
fn round_clip(v: f64, lo: f64, hi: f64) -> f64 {
    v.round_ties_even().clamp(lo, hi)
}

/// Run `x` (samples x rows, unsigned `input_bits`) times `w` (rows x vectors,
/// signed `weight_bits`) through the array's dataflow.
pub fn simulate(
    a: &ArrayModel,
    noise: &Noise,
    x: &Array2<i64>,
    w: &Array2<i64>,
    rng: &mut impl Rng,
) -> Result<Outputs, String> {
    let (samples, rows) = x.dim();
    if rows != a.rows || w.dim() != (a.rows, a.vectors) {
        return Err(format!(
            "inputs must be samples x {} and weights {} x {}, found {:?} and {:?}",
            a.rows,
            a.rows,
            a.vectors,
            x.dim(),
            w.dim()
        ));
    }
    let x_max = (1i64 << a.input_bits) - 1;
    let w_max = (1i64 << (a.weight_bits - 1)) - 1;
    if x.iter().any(|&v| !(0..=x_max).contains(&v)) || w.iter().any(|&v| v.abs() > w_max) {
        return Err(format!(
            "inputs must lie in [0, {x_max}] and weights in [-{w_max}, {w_max}]"
        ));
    }
    let exact = x.mapv(|v| v as f64).dot(&w.mapv(|v| v as f64));
    let t_in = a.input_cycles();
    let slices = a.weight_slices();
    let cell_mask = (1i64 << a.cell_bits) - 1;
    let dac_mask = (1i64 << a.dac_bits) - 1;
    // Programmed conductances per slice and polarity (static variation).
    let mut g_pos = Vec::new();
    let mut g_neg = Vec::new();
    for j in 0..slices {
        let sh = j * a.cell_bits;
        for (sign, out) in [(1i64, &mut g_pos), (-1i64, &mut g_neg)] {
            out.push(w.mapv(|v| {
                let mag = if v * sign > 0 { v.abs() } else { 0 };
                let level = ((mag >> sh) & cell_mask) as f64;
                if level > 0.0 {
                    level * (noise.cell_variation * gauss(rng)).exp()
                } else {
                    0.0
                }
            }));
        }
    }
    // Bitline pair values d[i][j] (samples x vectors).
    let mut d =
        vec![vec![Array2::<f64>::zeros((samples, a.vectors)); slices as usize]; t_in as usize];
    for i in 0..t_in {
        let xi = x.mapv(|v| ((v >> (i * a.dac_bits)) & dac_mask) as f64);
        for j in 0..slices as usize {
            let mut dij = xi.dot(&g_pos[j]) - xi.dot(&g_neg[j]);
            if noise.read_noise > 0.0 {
                // Independent per-cell read noise sums to a Gaussian per bitline.
                let x2 = xi.mapv(|v| v * v);
                let var = x2.dot(&(g_pos[j].mapv(|g| g * g) + g_neg[j].mapv(|g| g * g)));
                Zip::from(&mut dij).and(&var).for_each(|v, s2| {
                    *v += noise.read_noise * s2.sqrt() * gauss(rng);
                });
            }
            d[i as usize][j] = dij;
        }
    }
    let sig = |i: u32, j: u32| 2f64.powi((i * a.dac_bits + j * a.cell_bits) as i32);

    let native = match a.strategy {
        Strategy::Digital => {
            let half = 2f64.powi(a.ad_bits as i32 - 1);
            let mut y = Array2::<f64>::zeros((samples, a.vectors));
            for i in 0..t_in {
                for j in 0..slices {
                    let q = d[i as usize][j as usize].mapv(|v| round_clip(v, -half, half - 1.0));
                    y.scaled_add(sig(i, j), &q);
                }
            }
            y
        }
        Strategy::Buffering => {
            // Buffer cell: `buffer_cell_bits` levels over the signed bitline range.
            let bl_half = 2f64.powi(a.bitline_bits as i32 - 1);
            let step = 2.0 * bl_half / 2f64.powi(a.buffer_cell_bits as i32);
            let cell_half = 2f64.powi(a.buffer_cell_bits as i32 - 1);
            let max_sig = (t_in - 1) * a.dac_bits + (slices - 1) * a.cell_bits;
            let mut columns =
                vec![Array2::<f64>::zeros((samples, a.vectors)); max_sig as usize + 1];
            for i in 0..t_in {
                for j in 0..slices {
                    let c = (i * a.dac_bits + j * a.cell_bits) as usize;
                    let stored = d[i as usize][j as usize].mapv(|v| {
                        let level = round_clip(v / step, -cell_half, cell_half - 1.0) * step;
                        level * (noise.buffer_write_variation * gauss(rng)).exp()
                    });
                    columns[c] += &stored;
                }
            }
            let adc_half = 2f64.powi(a.ad_bits as i32 - 1);
            let adc_step = (2.0 * bl_half * t_in as f64) / 2f64.powi(a.ad_bits as i32);
            let mut y = Array2::<f64>::zeros((samples, a.vectors));
            for (c, col) in columns.iter().enumerate() {
                let q =
                    col.mapv(|v| round_clip(v / adc_step, -adc_half, adc_half - 1.0) * adc_step);
                y.scaled_add(2f64.powi(c as i32), &q);
            }
            y
        }
        Strategy::Analog => {
            let fs = a.bitline_full_scale();
            let s_max: f64 = (0..slices)
                .map(|j| 2f64.powi((j * a.cell_bits) as i32))
                .sum();
            let decay = 2f64.powi(-(a.dac_bits as i32));
            // Per cycle: the weighted bitline sum over its full scale, the
            // largest value the running sum can reach, and the weight of the
            // held previous sum.
            let mut steps = Vec::with_capacity(t_in as usize);
            let mut y_max_prev = 0.0;
            for di in &d {
                let y_max = decay * y_max_prev + s_max;
                let mut s_i = Array2::<f64>::zeros((samples, a.vectors));
                for (j, dij) in di.iter().enumerate() {
                    s_i.scaled_add(2f64.powi((j as u32 * a.cell_bits) as i32) / fs, dij);
                }
                steps.push((s_i, y_max, decay * y_max_prev / y_max));
                y_max_prev = y_max;
            }
            let y_max = y_max_prev;
            // The noise-free accumulation (with the cells' variation), to set
            // the gain and the NNADC range the way a per-layer calibration would.
            let mut v_ideal = Array2::<f64>::zeros((samples, a.vectors));
            for (s_i, y, k) in &steps {
                v_ideal = &v_ideal * *k + s_i / *y;
            }
            let peak = v_ideal
                .iter()
                .fold(0.0f64, |m, x| m.max(x.abs()))
                .max(f64::MIN_POSITIVE);
            let gain = if noise.per_layer_gain {
                1.0 / peak
            } else {
                1.0
            };
            let (e_lo, e_hi) = noise.nnsa_error_v;
            let (e_lo, e_hi) = (e_lo / noise.nnsa_range_v, e_hi / noise.nnsa_range_v);
            let mut v = Array2::<f64>::zeros((samples, a.vectors));
            for (s_i, y, k) in &steps {
                v = &v * *k + s_i * (gain / *y);
                if e_hi > e_lo {
                    v.mapv_inplace(|x| x + rng.random_range(e_lo..e_hi));
                }
            }
            // Scale of v in exact units (see the module documentation).
            let scale = y_max * fs * 2f64.powi((a.dac_bits * (t_in - 1)) as i32) / gain;
            let mut ranges = noise.nnadc_ranges.clone();
            ranges.sort_by(f64::total_cmp);
            let range = ranges
                .iter()
                .copied()
                .find(|r| *r >= peak * gain)
                .or(ranges.last().copied())
                .ok_or("no NNADC range given")?;
            let levels = 2f64.powi(a.output_bits as i32);
            let lsb = 2.0 * range / levels;
            let extra = (2f64.powf(2.0 * (a.output_bits as f64 - noise.nnadc_enob)) - 1.0).max(0.0);
            let sigma = lsb * (extra / 12.0).sqrt();
            v.mapv(|x| {
                let n = if sigma > 0.0 { sigma * gauss(rng) } else { 0.0 };
                round_clip((x + n) / lsb, -levels / 2.0, levels / 2.0 - 1.0) * lsb * scale
            })
        }
    };
    let requantized = match a.strategy {
        Strategy::Analog => native.clone(),
        _ => {
            let peak = exact.iter().fold(0.0f64, |m, x| m.max(x.abs())).max(1.0);
            let fs = 2f64.powi(peak.log2().ceil() as i32);
            let levels = 2f64.powi(a.output_bits as i32);
            let lsb = 2.0 * fs / levels;
            native.mapv(|x| round_clip(x / lsb, -levels / 2.0, levels / 2.0 - 1.0) * lsb)
        }
    };
    Ok(Outputs {
        exact,
        native,
        requantized,
    })
}

/// The two kinds of test data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Data {
    /// Inputs uniform over [0, 2^P_I - 1], weights uniform over the signed range.
    Uniform,
    /// Shaped like a trained layer: inputs a ReLU of a unit Gaussian quantized
    /// with its range clipped at 4 sigma (half of them zero); weights Gaussian,
    /// quantized with the tensor's largest magnitude as full scale.
    LayerLike,
}

/// Draw `samples` input vectors and one weight matrix for `a`.
pub fn data(
    a: &ArrayModel,
    kind: Data,
    samples: usize,
    rng: &mut impl Rng,
) -> (Array2<i64>, Array2<i64>) {
    let x_max = (1i64 << a.input_bits) - 1;
    let w_max = (1i64 << (a.weight_bits - 1)) - 1;
    match kind {
        Data::Uniform => {
            let x = Array2::from_shape_fn((samples, a.rows), |_| rng.random_range(0..=x_max));
            let w =
                Array2::from_shape_fn((a.rows, a.vectors), |_| rng.random_range(-w_max..=w_max));
            (x, w)
        }
        Data::LayerLike => {
            let x = Array2::from_shape_fn((samples, a.rows), |_| {
                let g: f64 = StandardNormal.sample(rng);
                ((g.max(0.0) / 4.0 * x_max as f64).round() as i64).min(x_max)
            });
            let wf = Array2::from_shape_fn((a.rows, a.vectors), |_| -> f64 {
                StandardNormal.sample(rng)
            });
            let m = wf
                .iter()
                .fold(0.0f64, |m, v| m.max(v.abs()))
                .max(f64::MIN_POSITIVE);
            let w = wf.mapv(|v| (v / m * w_max as f64).round() as i64);
            (x, w)
        }
    }
}

/// One row of the SINAD table.
#[derive(Clone, Debug, PartialEq)]
pub struct SinadRow {
    pub strategy: Strategy,
    pub data: Data,
    /// Against the exact VMM, at the dataflow's own output.
    pub native_db: f64,
    /// Against the exact VMM, after requantization to `output_bits`.
    pub requantized_db: f64,
}

/// SINAD of each array on both kinds of data, `samples` vectors each, from a
/// fixed seed (deterministic).
pub fn sinad_table(
    arrays: &[ArrayModel],
    noise: &Noise,
    samples: usize,
    seed: u64,
) -> Result<Vec<SinadRow>, String> {
    let mut out = Vec::new();
    for kind in [Data::Uniform, Data::LayerLike] {
        for a in arrays {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let (x, w) = data(a, kind, samples, &mut rng);
            let o = simulate(a, noise, &x, &w, &mut rng)?;
            out.push(SinadRow {
                strategy: a.strategy,
                data: kind,
                native_db: sinad(&o.exact, &o.native),
                requantized_db: sinad(&o.exact, &o.requantized),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sinad_of_a_known_error() {
        // Signal power 1, noise power 0.01: 10 log10(1.01 / 0.01) = 20.04 dB.
        let exact = Array2::from_elem((1, 100), 1.0);
        let hw = Array2::from_elem((1, 100), 1.1);
        assert!((sinad(&exact, &hw) - 10.0 * 101f64.log10()).abs() < 1e-9);
    }

    #[test]
    fn rounding_has_no_bias_at_ties() {
        assert_eq!(round_clip(0.5, -8.0, 7.0), 0.0);
        assert_eq!(round_clip(1.5, -8.0, 7.0), 2.0);
        assert_eq!(round_clip(-2.5, -8.0, 7.0), -2.0);
        assert_eq!(round_clip(100.0, -8.0, 7.0), 7.0);
    }
}
