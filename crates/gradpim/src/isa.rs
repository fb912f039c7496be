//! The GradPIM unit's instruction set: the seven sub-operations of the DDR4
//! RFU command (the truth table of the authors' talk, slide 14), the
//! registers they use and the scaler's restricted factors.
//!
//! One unit sits at the I/O gating of each bank group. It holds two
//! temporary registers of the high-precision format (`T0`, `T1`, one burst:
//! 64 bits per chip) and one quantization register `Q` of one burst of the
//! low-precision format, addressed in `positions` slots (each the low twin of
//! one `T` register). A scaler on the read path multiplies by one of four
//! preset factors of the form 2^m +- 2^n.
use serde::Serialize;
use std::fmt;

/// A temporary register of the unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Reg {
    T0,
    T1,
}

impl Reg {
    pub fn index(self) -> usize {
        match self {
            Reg::T0 => 0,
            Reg::T1 => 1,
        }
    }
    fn bit(self) -> u8 {
        self.index() as u8
    }
    fn from_bit(b: u8) -> Reg {
        if b & 1 == 0 {
            Reg::T0
        } else {
            Reg::T1
        }
    }
}

/// One of the four preset scale factors (2 bits of the command).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct ScaleId(pub u8);

/// How many scale factors the unit holds at a time (a 2-bit field).
pub const SCALE_IDS: usize = 4;
/// Slots of the `Q` register (a 2-bit position field).
pub const Q_POSITIONS: usize = 4;

/// The seven sub-operations of the GradPIM RFU command. Each takes one
/// command-bus slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum SubOp {
    /// `bank[BG, BA, col] x scale[id] -> T[dst]` (a column read through the scaler).
    ScaledRead { scale: ScaleId, dst: Reg },
    /// `Q[pos] -> dequantize -> T[dst]`.
    DeQuant { pos: u8, dst: Reg },
    /// `T[src] -> quantize -> Q[pos]`.
    Quant { src: Reg, pos: u8 },
    /// `T[src] -> bank[BG, BA, col]` (a column write).
    Writeback { src: Reg },
    /// bank <-> Q: `write: false` loads Q from the bank, `true` stores it.
    QReg { write: bool },
    /// `T[dst] <- T0 + T1`.
    Add { dst: Reg },
    /// `T[dst] <- T0 - T1`.
    Sub { dst: Reg },
}

/// What a sub-operation uses of the DRAM: its command kind in the timing
/// model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Class {
    /// A column read from a bank into the unit (scaled read, Q-register load).
    ColumnRead,
    /// A column write from the unit into a bank (write-back, Q-register store).
    ColumnWrite,
    /// Arithmetic inside the unit only.
    Compute,
}

impl SubOp {
    /// Whether the sub-operation addresses a bank column.
    pub fn class(self) -> Class {
        match self {
            SubOp::ScaledRead { .. } | SubOp::QReg { write: false } => Class::ColumnRead,
            SubOp::Writeback { .. } | SubOp::QReg { write: true } => Class::ColumnWrite,
            SubOp::DeQuant { .. } | SubOp::Quant { .. } | SubOp::Add { .. } | SubOp::Sub { .. } => {
                Class::Compute
            }
        }
    }

    /// Short name, also the command kind's name in the timing model.
    pub fn name(self) -> &'static str {
        match self {
            SubOp::ScaledRead { .. } => "PIM_SCALED_RD",
            SubOp::DeQuant { .. } => "PIM_DEQUANT",
            SubOp::Quant { .. } => "PIM_QUANT",
            SubOp::Writeback { .. } => "PIM_WRITEBACK",
            SubOp::QReg { write: false } => "PIM_QREG_RD",
            SubOp::QReg { write: true } => "PIM_QREG_WR",
            SubOp::Add { .. } => "PIM_ADD",
            SubOp::Sub { .. } => "PIM_SUB",
        }
    }

    /// The five function bits of the RFU command, as `Op0 Op1 Param0 Param1
    /// Src/Dst` from the most significant bit (H = 1), per the truth table.
    pub fn encode(self) -> u8 {
        let pack = |op0: u8, op1: u8, p0: u8, p1: u8, sd: u8| {
            (op0 << 4) | (op1 << 3) | (p0 << 2) | (p1 << 1) | sd
        };
        match self {
            SubOp::ScaledRead { scale, dst } => {
                pack(0, 0, (scale.0 >> 1) & 1, scale.0 & 1, dst.bit())
            }
            SubOp::DeQuant { pos, dst } => pack(1, 0, (pos >> 1) & 1, pos & 1, dst.bit()),
            SubOp::Quant { src, pos } => pack(1, 1, (pos >> 1) & 1, pos & 1, src.bit()),
            SubOp::Writeback { src } => pack(0, 1, 0, 0, src.bit()),
            SubOp::QReg { write } => pack(0, 1, 1, 0, u8::from(write)),
            SubOp::Add { dst } => pack(0, 1, 1, 1, dst.bit()),
            SubOp::Sub { dst } => pack(0, 1, 0, 1, dst.bit()),
        }
    }

    /// The sub-operation five function bits encode (every one of the 32
    /// codes is one sub-operation); bits above the fifth are ignored.
    pub fn decode(code: u8) -> SubOp {
        let op0 = (code >> 4) & 1;
        let op1 = (code >> 3) & 1;
        let param = (code >> 1) & 3;
        let sd = code & 1;
        match (op0, op1) {
            (0, 0) => SubOp::ScaledRead {
                scale: ScaleId(param),
                dst: Reg::from_bit(sd),
            },
            (1, 0) => SubOp::DeQuant {
                pos: param,
                dst: Reg::from_bit(sd),
            },
            (1, 1) => SubOp::Quant {
                src: Reg::from_bit(sd),
                pos: param,
            },
            _ => match param {
                0 => SubOp::Writeback {
                    src: Reg::from_bit(sd),
                },
                2 => SubOp::QReg { write: sd == 1 },
                3 => SubOp::Add {
                    dst: Reg::from_bit(sd),
                },
                _ => SubOp::Sub {
                    dst: Reg::from_bit(sd),
                },
            },
        }
    }
}

impl fmt::Display for SubOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubOp::ScaledRead { scale, dst } => write!(f, "SCALED_RD s{} -> {dst:?}", scale.0),
            SubOp::DeQuant { pos, dst } => write!(f, "DEQUANT Q[{pos}] -> {dst:?}"),
            SubOp::Quant { src, pos } => write!(f, "QUANT {src:?} -> Q[{pos}]"),
            SubOp::Writeback { src } => write!(f, "WRITEBACK {src:?}"),
            SubOp::QReg { write: false } => f.write_str("QREG RD"),
            SubOp::QReg { write: true } => f.write_str("QREG WR"),
            SubOp::Add { dst } => write!(f, "ADD {dst:?} = T0 + T1"),
            SubOp::Sub { dst } => write!(f, "SUB {dst:?} = T0 - T1"),
        }
    }
}

/// The range of the scaler's shifts: factors 2^m +- 2^n with both exponents
/// in `[min_exp, max_exp]` and `|m - n| <= max_span`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScalerRange {
    pub min_exp: i32,
    pub max_exp: i32,
    /// The widest distance between the two shifted copies that are added
    /// (the adder's width in bits).
    pub max_span: u32,
}

/// A factor the scaler applies: 2^m + 2^n, or 2^m - 2^n with m > n.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Scale {
    pub m: i32,
    pub n: i32,
    pub minus: bool,
}

impl Scale {
    /// The factor 1 (2^-1 + 2^-1).
    pub const ONE: Scale = Scale {
        m: -1,
        n: -1,
        minus: false,
    };

    pub fn value(self) -> f64 {
        let a = 2f64.powi(self.m);
        let b = 2f64.powi(self.n);
        if self.minus {
            a - b
        } else {
            a + b
        }
    }

    /// The representable factor closest to `target` (relative error; ties go
    /// to the smaller exponents), or why there is none.
    pub fn nearest(target: f64, range: &ScalerRange) -> Result<Scale, String> {
        if !(target.is_finite() && target > 0.0) {
            return Err(format!(
                "the scaler holds positive factors 2^m +- 2^n; {target} is not one"
            ));
        }
        let lowest = 2f64.powi(range.min_exp);
        let highest = 2f64.powi(range.max_exp + 1);
        if target < lowest / 2.0 || target > highest * 2.0 {
            return Err(format!(
                "{target} is outside the scaler's range [2^{}, 2^{}]",
                range.min_exp,
                range.max_exp + 1
            ));
        }
        let mut best: Option<(f64, Scale)> = None;
        for m in range.min_exp..=range.max_exp {
            let first = range.min_exp.max(m - range.max_span as i32);
            for n in first..=m {
                let plus = Scale { m, n, minus: false };
                let minus = Scale { m, n, minus: true };
                for s in [plus, minus] {
                    if s.minus && m == n {
                        continue;
                    }
                    let err = (s.value() - target).abs() / target;
                    if best.is_none_or(|(e, _)| err < e) {
                        best = Some((err, s));
                    }
                }
            }
        }
        best.map(|(_, s)| s)
            .ok_or_else(|| "the scaler range holds no factor".to_string())
    }
}

impl fmt::Display for Scale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.minus && self.m == self.n {
            write!(f, "2^{}", self.m + 1)
        } else {
            let op = if self.minus { '-' } else { '+' };
            write!(f, "2^{} {op} 2^{}", self.m, self.n)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_five_bit_code_is_one_sub_op_and_round_trips() {
        let mut seen = std::collections::HashSet::new();
        for code in 0u8..32 {
            let op = SubOp::decode(code);
            assert_eq!(op.encode(), code, "{op}");
            assert!(seen.insert(op));
        }
        assert_eq!(seen.len(), 32);
        // Spot checks against the truth table rows.
        assert_eq!(SubOp::Writeback { src: Reg::T1 }.encode(), 0b01001);
        assert_eq!(SubOp::QReg { write: true }.encode(), 0b01101);
        assert_eq!(SubOp::Add { dst: Reg::T0 }.encode(), 0b01110);
        assert_eq!(SubOp::Sub { dst: Reg::T0 }.encode(), 0b01010);
    }

    #[test]
    fn scales_represent_what_they_can() {
        let r = ScalerRange {
            min_exp: -32,
            max_exp: 8,
            max_span: 24,
        };
        for exact in [
            1.0,
            0.875,
            0.09375,
            2f64.powi(-13),
            3.0,
            0.5 + 2f64.powi(-20),
        ] {
            let s = Scale::nearest(exact, &r).unwrap();
            assert_eq!(s.value(), exact, "{s}");
        }
        // 0.9 is best approximated by 1 - 1/8 (or 1 - 1/16): 2.8 % off.
        let s = Scale::nearest(0.9, &r).unwrap();
        assert!((s.value() - 0.875).abs() < 1e-12, "{s}");
        let s = Scale::nearest(0.1, &r).unwrap();
        assert!(((s.value() - 0.1) / 0.1).abs() < 0.07, "{s}");
        assert!(Scale::nearest(0.0, &r).is_err());
        assert!(Scale::nearest(-0.1, &r).is_err());
        assert!(Scale::nearest(1e-30, &r).is_err());
        assert_eq!(Scale::ONE.value(), 1.0);
    }
}
