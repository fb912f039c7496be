//! The number formats of GradPIM's data and their rounding.
//!
//! The slides name the precision pairs (8/32, 16/32, 8/16, 32/32) but not
//! the formats. The model takes: 32 = IEEE binary32, 16 = IEEE binary16, and
//! 8 = a symmetric 8-bit integer with one power-of-two scale per tensor
//! (`value = code x 2^exp`, codes -127..=127), so that dequantizing is exact
//! and quantizing rounds once (to nearest, ties to even, saturating).
//! Every operation of the unit computes its exact result and rounds it once
//! to the destination format.
use pimzoo_core::NumberFormat;
use serde::Serialize;

/// A format of the unit's registers and arrays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Format {
    Fp32,
    Fp16,
    Int8,
}

impl Format {
    pub fn bits(self) -> u32 {
        match self {
            Format::Fp32 => 32,
            Format::Fp16 => 16,
            Format::Int8 => 8,
        }
    }

    pub fn bytes(self) -> u32 {
        self.bits() / 8
    }

    /// The unit's format for a workload format, if it has one.
    pub fn of(f: NumberFormat) -> Option<Format> {
        match f {
            NumberFormat::Fp32 => Some(Format::Fp32),
            NumberFormat::Fp16 => Some(Format::Fp16),
            NumberFormat::Fixed(8) => Some(Format::Int8),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Fp32 => "fp32",
            Format::Fp16 => "fp16",
            Format::Int8 => "int8",
        }
    }

    /// Round an exact value to a floating-point format (Int8 values go
    /// through [`quantize_int8`]).
    pub fn round(self, x: f64) -> f64 {
        match self {
            Format::Fp32 => x as f32 as f64,
            Format::Fp16 => round_to_f16(x),
            Format::Int8 => x,
        }
    }
}

/// The 8-bit code of `x` at scale 2^exp: round to nearest (ties to even),
/// saturate to +-127.
pub fn quantize_int8(x: f64, exp: i32) -> i8 {
    if x.is_nan() {
        return 0;
    }
    let c = (x / 2f64.powi(exp)).round_ties_even().clamp(-127.0, 127.0);
    c as i8
}

/// The value of an 8-bit code at scale 2^exp (exact).
pub fn dequantize_int8(code: i8, exp: i32) -> f64 {
    code as f64 * 2f64.powi(exp)
}

/// The binary16 value nearest `x` (ties to even; overflow to infinity).
pub fn round_to_f16(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let a = x.abs();
    if a == 0.0 {
        return x;
    }
    // The quantum of the binade of `a` (2^-24 below the normal range).
    let e = exponent_of(a).max(-14);
    let quantum = 2f64.powi(e - 10);
    let r = (a / quantum).round_ties_even() * quantum;
    // 65520 = 65504 + half a quantum: from there on binary16 rounds to infinity.
    let r = if r >= 65520.0 { f64::INFINITY } else { r };
    r.copysign(x)
}

/// floor(log2 a) for a positive finite `a`.
fn exponent_of(a: f64) -> i32 {
    let biased = ((a.to_bits() >> 52) & 0x7ff) as i32;
    if biased == 0 {
        // An f64 subnormal: far below binary16's range.
        -1075
    } else {
        biased - 1023
    }
}

/// The bits of a binary16 value (`v` must be one, as from [`round_to_f16`]).
pub fn f16_bits(v: f64) -> u16 {
    let sign = if v.is_sign_negative() { 0x8000 } else { 0 };
    let a = v.abs();
    if a.is_nan() {
        return 0x7e00;
    }
    if a.is_infinite() {
        return sign | 0x7c00;
    }
    if a < 2f64.powi(-14) {
        return sign | (a / 2f64.powi(-24)) as u16;
    }
    let e = exponent_of(a);
    let mantissa = ((a / 2f64.powi(e) - 1.0) * 1024.0) as u16;
    sign | (((e + 15) as u16) << 10) | mantissa
}

/// The value of binary16 bits.
pub fn f16_value(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let e = ((bits >> 10) & 0x1f) as i32;
    let m = (bits & 0x3ff) as f64;
    sign * match e {
        0 => m * 2f64.powi(-24),
        31 if m == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        _ => (1.0 + m / 1024.0) * 2f64.powi(e - 15),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary16_round_trips_and_rounds_to_even() {
        for bits in 0u16..0x7c00 {
            let v = f16_value(bits);
            assert_eq!(round_to_f16(v), v);
            assert_eq!(f16_bits(v), bits, "{v}");
            assert_eq!(f16_bits(-v), bits | 0x8000);
        }
        // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even (1).
        assert_eq!(round_to_f16(1.0 + 2f64.powi(-11)), 1.0);
        assert_eq!(
            round_to_f16(1.0 + 3.0 * 2f64.powi(-11)),
            1.0 + 2f64.powi(-9)
        );
        assert_eq!(round_to_f16(65519.0), 65504.0);
        assert_eq!(round_to_f16(65520.0), f64::INFINITY);
        assert_eq!(round_to_f16(2f64.powi(-25)), 0.0);
        assert_eq!(round_to_f16(3.0 * 2f64.powi(-26)), 2f64.powi(-24));
    }

    #[test]
    fn int8_saturates_and_rounds_to_even() {
        assert_eq!(quantize_int8(2.5, 0), 2);
        assert_eq!(quantize_int8(3.5, 0), 4);
        assert_eq!(quantize_int8(1000.0, 0), 127);
        assert_eq!(quantize_int8(-1000.0, 0), -127);
        assert_eq!(quantize_int8(0.75, -2), 3);
        assert_eq!(dequantize_int8(-3, -2), -0.75);
    }
}
