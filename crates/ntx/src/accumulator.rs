//! The functional face of NTX: its floating-point datapath on real numbers.
//!
//! Each engine multiplies fp32 operands exactly (48-bit product) and adds
//! the product into a 284-bit fixed-point accumulator (1 sign bit, 23
//! mantissa bits below the smallest normal exponent, 256 bits of exponent
//! range, 4 overflow guard bits; bit 0 weighs 2^-150), held in carry-save
//! form in hardware. A reduction of any length is therefore exact; the sum
//! is rounded once, when it is written back (`src/fp32_pkg.vhd`,
//! `api/fp32_mac.cpp` of github.com/pulp-platform/ntx). The RTL normaliser
//! truncates (rounds toward zero); [`Rounding::NearestEven`] is offered for
//! comparison. As in the hardware, denormal inputs count as zero and
//! products below 2^-127 are dropped.
//!
//! [`accumulation_study`] compares the exact accumulator with plain fp32
//! accumulation (`acc = acc + a * b`, two roundings per term) on long dot
//! products; [`conv2d`] runs a convolution through either.
use ndarray::{Array3, ArrayView3, ArrayView4};

const WORDS: usize = 5;
/// Accumulator width in the RTL (`C_FP32_PCS_WIDTH`).
pub const WIDTH: u32 = 284;
const MANT_BITS: i32 = 23;

/// How the accumulator is rounded to fp32 at write-back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    /// The RTL normaliser: the magnitude's bits below the mantissa are dropped.
    TowardZero,
    /// IEEE round to nearest, ties to even.
    NearestEven,
}

/// The exact accumulator of one NTX engine.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WideAccumulator {
    /// Two's complement, little-endian words; bits above `WIDTH` repeat the sign.
    w: [u64; WORDS],
    /// Set when an operand was infinite or NaN (the hardware saturates).
    saturated: bool,
}

fn negate(w: &mut [u64; WORDS]) {
    let mut carry = 1u64;
    for x in w.iter_mut() {
        let (v, c) = (!*x).overflowing_add(carry);
        *x = v;
        carry = u64::from(c);
    }
}

fn add_words(a: &mut [u64; WORDS], b: &[u64; WORDS]) {
    let mut carry = false;
    for (x, y) in a.iter_mut().zip(b) {
        let (s1, c1) = x.overflowing_add(*y);
        let (s2, c2) = s1.overflowing_add(u64::from(carry));
        *x = s2;
        carry = c1 || c2;
    }
}

/// Keep `WIDTH` bits and sign-extend them, as the hardware wraps on overflow
/// beyond its guard bits.
fn wrap(w: &mut [u64; WORDS]) {
    let top = (WIDTH - 1) as usize;
    let (word, bit) = (top / 64, top % 64);
    let negative = (w[word] >> bit) & 1 == 1;
    let mask = if bit == 63 {
        u64::MAX
    } else {
        (1u64 << (bit + 1)) - 1
    };
    if negative {
        w[word] |= !mask;
    } else {
        w[word] &= mask;
    }
}

/// `(sign, biased exponent, 24-bit significand)` of a normal fp32; zero and
/// denormals give `None`, infinities and NaN an exponent of 255.
fn decode(x: f32) -> Option<(bool, i32, u64)> {
    let bits = x.to_bits();
    let exp = ((bits >> 23) & 0xff) as i32;
    if exp == 0 {
        return None;
    }
    Some((bits >> 31 == 1, exp, (bits & 0x7f_ffff) as u64 | (1 << 23)))
}

impl WideAccumulator {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// Add `+-m x 2^(e - 127 - 46)` (a product in the multiplier's 2.46 format).
    fn add_scaled(&mut self, negative: bool, e: i32, m: u64) {
        if m == 0 || e < 0 {
            return;
        }
        let (e, m) = if e >= 255 {
            self.saturated = true;
            (255, 1u64 << 46)
        } else {
            (e, m)
        };
        let mut v = [0u64; WORDS];
        let shift = e - MANT_BITS;
        if shift < 0 {
            v[0] = m >> (-shift);
        } else {
            let (word, bit) = ((shift / 64) as usize, (shift % 64) as u32);
            v[word] = m << bit;
            if bit > 0 && word + 1 < WORDS {
                v[word + 1] = m >> (64 - bit);
            }
        }
        if negative {
            negate(&mut v);
        }
        add_words(&mut self.w, &v);
        wrap(&mut self.w);
    }

    /// `acc += a x b`, exactly (the step of a MAC).
    pub fn add_product(&mut self, a: f32, b: f32) {
        if !(a.is_finite() && b.is_finite()) {
            self.saturated = true;
        }
        let (Some((sa, ea, ma)), Some((sb, eb, mb))) = (decode(a), decode(b)) else {
            return;
        };
        self.add_scaled(sa != sb, ea + eb - 127, ma * mb);
    }

    /// `acc += x`, exactly (an init load, or a VADDSUB step).
    pub fn add(&mut self, x: f32) {
        if !x.is_finite() {
            self.saturated = true;
        }
        if let Some((s, e, m)) = decode(x) {
            self.add_scaled(s, e, m << MANT_BITS);
        }
    }

    fn negative(&self) -> bool {
        self.w[WORDS - 1] >> 63 == 1
    }

    /// The accumulator rounded to fp32 (the write-back).
    pub fn to_f32(&self, rounding: Rounding) -> f32 {
        let negative = self.negative();
        let sign = if negative { 1u32 << 31 } else { 0 };
        if self.saturated {
            return f32::from_bits(sign | 0x7f80_0000);
        }
        let mut mag = self.w;
        if negative {
            negate(&mut mag);
        }
        let Some(top) = (0..WORDS)
            .rev()
            .find(|&i| mag[i] != 0)
            .map(|i| i as i32 * 64 + 63 - mag[i].leading_zeros() as i32)
        else {
            return f32::from_bits(sign);
        };
        let bit = |p: i32| -> u64 {
            if p < 0 {
                0
            } else {
                (mag[(p / 64) as usize] >> (p % 64)) & 1
            }
        };
        // The leading one at bit `top` weighs 2^(top - 150): biased exponent top - 23.
        let mut exp = top - MANT_BITS;
        let mut mant: u64 = 0;
        for p in (top - MANT_BITS..top).rev() {
            mant = (mant << 1) | bit(p);
        }
        if rounding == Rounding::NearestEven {
            let round = bit(top - MANT_BITS - 1);
            let sticky = (0..top - MANT_BITS - 1).any(|p| bit(p) == 1);
            if round == 1 && (sticky || mant & 1 == 1) {
                mant += 1;
                if mant == 1 << MANT_BITS {
                    mant = 0;
                    exp += 1;
                }
            }
        }
        if exp <= 0 {
            return f32::from_bits(sign); // no denormals
        }
        if exp >= 255 {
            return f32::from_bits(sign | 0x7f80_0000);
        }
        f32::from_bits(sign | (exp as u32) << 23 | mant as u32)
    }
}

/// How a reduction accumulates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Accumulation {
    /// NTX: exact, rounded once.
    Exact(Rounding),
    /// fp32 everywhere: `acc = acc + a * b`, rounding the product and the sum.
    NaiveF32,
}

/// `sum_i a_i b_i` accumulated as `mode` says.
pub fn dot(a: &[f32], b: &[f32], mode: Accumulation) -> f32 {
    match mode {
        Accumulation::Exact(r) => {
            let mut acc = WideAccumulator::new();
            for (x, y) in a.iter().zip(b) {
                acc.add_product(*x, *y);
            }
            acc.to_f32(r)
        }
        Accumulation::NaiveF32 => a.iter().zip(b).fold(0.0f32, |s, (x, y)| s + x * y),
    }
}

/// A reference dot product: the exact fp32 products summed in f64 with
/// Neumaier's compensation (independent of the wide accumulator).
pub fn dot_reference(a: &[f32], b: &[f32]) -> f64 {
    let (mut sum, mut comp) = (0.0f64, 0.0f64);
    for (x, y) in a.iter().zip(b) {
        let p = *x as f64 * *y as f64;
        let t = sum + p;
        comp += if sum.abs() >= p.abs() {
            (sum - t) + p
        } else {
            (p - t) + sum
        };
        sum = t;
    }
    sum + comp
}

/// Distance from `x` to `reference` in units of the last place of the fp32
/// nearest to the reference.
pub fn ulp_error(x: f32, reference: f64) -> f64 {
    let r = reference as f32;
    if r == 0.0 {
        return if x == 0.0 { 0.0 } else { f64::INFINITY };
    }
    let ulp = (f32::from_bits(r.abs().to_bits() + 1) - r.abs()) as f64;
    (x as f64 - reference).abs() / ulp
}

/// A deterministic generator for the study (SplitMix64).
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    fn symmetric(&mut self) -> f32 {
        ((self.next() >> 40) as f64 / (1u64 << 24) as f64 * 2.0 - 1.0) as f32
    }
}

/// Errors of exact and naive accumulation on `trials` dot products of
/// `length` terms with operands uniform in [-1, 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AccumulationStudy {
    pub length: usize,
    pub trials: usize,
    /// Worst and mean error of the NTX accumulator (RTL rounding), in ulps.
    pub exact_max_ulp: f64,
    pub exact_mean_ulp: f64,
    /// Worst and mean error of plain fp32 accumulation, in ulps.
    pub naive_max_ulp: f64,
    pub naive_mean_ulp: f64,
}

pub fn accumulation_study(length: usize, trials: usize, seed: u64) -> AccumulationStudy {
    let mut rng = SplitMix(seed);
    let (mut em, mut es, mut nm, mut ns) = (0.0f64, 0.0, 0.0f64, 0.0);
    let mut a = vec![0.0f32; length];
    let mut b = vec![0.0f32; length];
    for _ in 0..trials {
        for i in 0..length {
            a[i] = rng.symmetric();
            b[i] = rng.symmetric();
        }
        let r = dot_reference(&a, &b);
        let e = ulp_error(dot(&a, &b, Accumulation::Exact(Rounding::TowardZero)), r);
        let n = ulp_error(dot(&a, &b, Accumulation::NaiveF32), r);
        em = em.max(e);
        nm = nm.max(n);
        es += e;
        ns += n;
    }
    let t = trials.max(1) as f64;
    AccumulationStudy {
        length,
        trials,
        exact_max_ulp: em,
        exact_mean_ulp: es / t,
        naive_max_ulp: nm,
        naive_mean_ulp: ns / t,
    }
}

/// A direct 2-D convolution (`[C, H, W]` input, `[K, C, R, S]` weights, no
/// padding, stride 1) with each output accumulated as `mode` says.
pub fn conv2d(input: ArrayView3<f32>, weights: ArrayView4<f32>, mode: Accumulation) -> Array3<f32> {
    let (c, h, w) = input.dim();
    let (k, wc, r, s) = weights.dim();
    let (ho, wo) = ((h + 1).saturating_sub(r), (w + 1).saturating_sub(s));
    let mut out = Array3::<f32>::zeros((k, ho, wo));
    if wc != c {
        return out;
    }
    let mut a = Vec::with_capacity(c * r * s);
    let mut b = Vec::with_capacity(c * r * s);
    for ko in 0..k {
        for y in 0..ho {
            for x in 0..wo {
                a.clear();
                b.clear();
                for ci in 0..c {
                    for ky in 0..r {
                        for kx in 0..s {
                            a.push(input[[ci, y + ky, x + kx]]);
                            b.push(weights[[ko, ci, ky, kx]]);
                        }
                    }
                }
                out[[ko, y, x]] = dot(&a, &b, mode);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_sums_cancel_what_fp32_loses() {
        // 1e8 + 1 - 1e8: fp32 loses the 1, the wide accumulator keeps it.
        let a = [1e8f32, 1.0, -1e8];
        let b = [1.0f32, 1.0, 1.0];
        assert_eq!(dot(&a, &b, Accumulation::NaiveF32), 0.0);
        assert_eq!(dot(&a, &b, Accumulation::Exact(Rounding::TowardZero)), 1.0);
        // Products far apart in exponent.
        let mut acc = WideAccumulator::new();
        acc.add_product(1e30, 1e-30);
        acc.add_product(-1e30, 1e-30);
        acc.add(3.5);
        assert_eq!(acc.to_f32(Rounding::NearestEven), 3.5);
    }

    #[test]
    fn write_back_rounds_once() {
        // 1 + 2^-24 + 2^-30 rounds up to nearest, truncates toward zero.
        let mut acc = WideAccumulator::new();
        acc.add(1.0);
        acc.add(2f32.powi(-24));
        acc.add(2f32.powi(-30));
        assert_eq!(acc.to_f32(Rounding::TowardZero), 1.0);
        assert_eq!(acc.to_f32(Rounding::NearestEven), 1.0 + 2f32.powi(-23));
        // Negative values truncate toward zero as well.
        let mut neg = WideAccumulator::new();
        neg.add(-1.0);
        neg.add(-(2f32.powi(-24)) - 2f32.powi(-30));
        assert_eq!(neg.to_f32(Rounding::TowardZero), -1.0);
        assert_eq!(neg.to_f32(Rounding::NearestEven), -(1.0 + 2f32.powi(-23)));
    }

    #[test]
    fn special_values_follow_the_hardware() {
        let mut acc = WideAccumulator::new();
        acc.add_product(1e-30, 1e-30); // 1e-60: below 2^-127, dropped
        assert_eq!(acc.to_f32(Rounding::NearestEven), 0.0);
        acc.add_product(f32::INFINITY, 1.0);
        assert!(acc.to_f32(Rounding::TowardZero).is_infinite());
        let mut big = WideAccumulator::new();
        for _ in 0..4 {
            big.add_product(f32::MAX, 1.0);
        }
        assert_eq!(big.to_f32(Rounding::NearestEven), f32::INFINITY);
        let mut small = WideAccumulator::new();
        small.add(f32::MIN_POSITIVE);
        assert_eq!(small.to_f32(Rounding::NearestEven), f32::MIN_POSITIVE);
    }

    #[test]
    fn exact_accumulation_stays_within_one_ulp_where_fp32_drifts() {
        let s = accumulation_study(1 << 14, 8, 7);
        assert!(s.exact_max_ulp <= 1.0, "{s:?}");
        assert!(s.naive_mean_ulp > 4.0 * s.exact_mean_ulp.max(0.25), "{s:?}");
    }
}
