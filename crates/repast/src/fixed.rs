//! Fixed-point formats of the model, bit-exact to the reference numerics of
//! the modelling brief (Appendix A of `shared/papers/repast.md`): power-of-two
//! auto-ranging, round-half-to-even (numpy's `np.round`), the 16-bit
//! representation of A and its split into the 8-bit high part A_H (INV
//! crossbar) and the 8-bit low part A_L (VMM crossbar).
//!
//! One deliberate difference from the appendix: `fs2` is the smallest power
//! of two *strictly above* the largest magnitude. The appendix's
//! `2^ceil(log2 m)` is the same number except when `m` is itself a power of
//! two, where its code would overflow the signed range by one.
use ndarray::Array2;

/// Smallest power of two strictly greater than `max_abs` (1 for zero or a
/// non-finite input): the full scale of an auto-ranged converter or array.
pub fn fs2(max_abs: f64) -> f64 {
    if !(max_abs > 0.0 && max_abs.is_finite()) {
        return 1.0;
    }
    let mut fs = 2f64.powi(max_abs.log2().floor() as i32 + 1);
    while fs <= max_abs {
        fs *= 2.0;
    }
    while fs * 0.5 > max_abs {
        fs *= 0.5;
    }
    fs
}

/// Round half to even (numpy's `np.round`), the rounding of every converter.
#[inline]
pub fn round_even(v: f64) -> f64 {
    v.round_ties_even()
}

/// Quantize `v` to a signed `bits`-bit code over full scale `fs` (step
/// `fs / 2^(bits-1)`), saturating at the code range: an ADC.
#[inline]
pub fn quantize(v: f64, bits: u32, fs: f64) -> f64 {
    let step = fs / 2f64.powi(bits as i32 - 1);
    let top = 2f64.powi(bits as i32 - 1);
    round_even(v / step).clamp(-top, top - 1.0) * step
}

/// A matrix in `bits`-bit fixed point, split into a high part of `hi_bits`
/// (the INV crossbar's cells) and the low remainder (the VMM crossbar's).
#[derive(Clone, Debug)]
pub struct Split {
    /// Full scale: the matrix is represented in `(-fs, fs)`.
    pub fs: f64,
    /// Weight of one code step of the full representation, `fs / 2^(bits-1)`.
    pub lsb: f64,
    /// The quantized matrix, `a_h + a_l` exactly.
    pub a_q: Array2<f64>,
    /// High part: `round(code / 2^(bits-hi_bits)) * 2^(bits-hi_bits) * lsb`.
    pub a_h: Array2<f64>,
    /// Low part: `a_q - a_h`, at most half a high-part step in magnitude.
    pub a_l: Array2<f64>,
    /// Weight of one high-part (INV cell) level.
    pub hi_step: f64,
}

/// `split16` of the appendix, generalised to `bits` total and `hi_bits` in
/// the high part (`bits == hi_bits` leaves `a_l == 0`: the matrix held at
/// the INV cells' precision). Codes are balanced digits (round to nearest),
/// so a high code lies in `[-2^(hi_bits-1), 2^(hi_bits-1)]` and the sign is
/// carried by the differential pair of arrays, as in the appendix.
pub fn split(a: &Array2<f64>, bits: u32, hi_bits: u32) -> Split {
    assert!(hi_bits >= 1 && hi_bits <= bits && bits <= 52);
    let fs = fs2(a.iter().fold(0.0f64, |m, v| m.max(v.abs())));
    let lsb = fs / 2f64.powi(bits as i32 - 1);
    let shift = 2f64.powi((bits - hi_bits) as i32);
    let code = a.mapv(|v| round_even(v / lsb));
    let hi = code.mapv(|c| round_even(c / shift) * shift);
    let a_q = code.mapv(|c| c * lsb);
    let a_h = hi.mapv(|c| c * lsb);
    let a_l = (&code - &hi).mapv(|c| c * lsb);
    Split {
        fs,
        lsb,
        a_q,
        a_h,
        a_l,
        hi_step: shift * lsb,
    }
}

/// Quantize a whole matrix to `bits`-bit fixed point with the same rule
/// (what "A held at 8 or 12 bits" means in the precision study).
pub fn quantize_matrix(a: &Array2<f64>, bits: u32) -> Array2<f64> {
    split(a, bits, bits).a_q
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn full_scale() {
        assert_eq!(fs2(0.3), 0.5);
        assert_eq!(fs2(0.5), 1.0);
        assert_eq!(fs2(0.7), 1.0);
        assert_eq!(fs2(3.0), 4.0);
        assert_eq!(fs2(0.0), 1.0);
        assert_eq!(fs2(1.0 - 1e-16), 1.0);
    }

    #[test]
    fn adc_rounds_half_even_and_saturates() {
        assert_eq!(quantize(2.5, 8, 128.0), 2.0);
        assert_eq!(quantize(3.5, 8, 128.0), 4.0);
        assert_eq!(quantize(127.9, 8, 128.0), 127.0);
        assert_eq!(quantize(-200.0, 8, 128.0), -128.0);
    }

    #[test]
    fn split_is_exact_and_balanced() {
        let a = array![[0.9, 0.123_456_789], [0.123_456_789, 0.4]];
        let s = split(&a, 16, 8);
        assert_eq!(s.fs, 1.0);
        assert_eq!(&s.a_h + &s.a_l, s.a_q);
        for (q, x) in s.a_q.iter().zip(a.iter()) {
            assert!((q - x).abs() <= 0.5 * s.lsb);
        }
        for l in s.a_l.iter() {
            assert!(l.abs() <= 0.5 * s.hi_step);
        }
        for h in s.a_h.iter() {
            let code = h / s.hi_step;
            assert_eq!(code, code.round());
            assert!(code.abs() <= 128.0);
        }
        let s8 = split(&a, 8, 8);
        assert!(s8.a_l.iter().all(|&v| v == 0.0));
    }
}
