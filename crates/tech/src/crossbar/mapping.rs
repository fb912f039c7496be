//! Bit-sliced mapping of a fixed-point VMM onto crossbar arrays.
//!
//! Notation of Neural-PIM §3.2 (Cao et al., IEEE TC 2022): `P_I`-bit inputs,
//! `P_W`-bit weights, `P_O`-bit outputs, `P_R`-bit cells, `P_D`-bit DACs,
//! arrays of `2^N` rows.
//!
//! ```text
//! input cycles        T_in = ceil(P_I / P_D)                        (NP Eq. 8, ISAAC §V)
//! weight slices       s    = ceil(P_W / P_R)                        (cells per weight and polarity)
//! columns per weight  c_w  = s x 2 (differential) or s (offset)
//! weight vectors      G    = floor((columns - unit column) / c_w)
//! bitline bits        P_AA = P_R + P_D + N      if P_R > 1 and P_D > 1
//!                          = P_R + P_D - 1 + N  otherwise           (NP Eq. 2 = ISAAC Eqs. 1-2)
//!                     minus the bits an encoding saves (ISAAC's flipped weights: 1)
//! ```
use super::CrossbarError;
use serde::{Deserialize, Serialize};

/// How signed weights are stored in unsigned conductances.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignedWeights {
    /// `W = W+ - W-`: each weight slice takes two columns (adjacent columns of
    /// one array in Neural-PIM §5.2.1, or a positive and a negative array in
    /// the earlier designs it cites), subtracted in the analog domain before
    /// the conversion.
    Differential,
    /// Unsigned weights with a bias subtracted digitally, plus one "unit
    /// column" per array that counts the ones of the input (ISAAC §V).
    Offset,
    /// One column per weight slice and no unit column: the sign is handled
    /// outside the array (CASCADE §3.1 stores a 16-bit weight in 16 cells of a
    /// row, four weights per 64-column row).
    Plain,
}

/// Precision of the operands of a VMM.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operands {
    /// `P_I`: bits of an input (activation).
    pub input_bits: u32,
    /// `P_W`: bits of a weight.
    pub weight_bits: u32,
    /// `P_O`: bits of an output.
    pub output_bits: u32,
}

/// One crossbar array and its drivers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArrayGeometry {
    pub rows: u32,
    pub columns: u32,
    /// `P_R`: bits stored per cell.
    pub cell_bits: u32,
    /// `P_D`: bits a wordline driver applies per input cycle.
    pub dac_bits: u32,
    pub signed_weights: SignedWeights,
    /// Bitline bits saved by an encoding (ISAAC §V flipped weights: 1; none: 0).
    pub encoding_saves_bits: u32,
}

/// What a VMM costs on one array: the slicing of [`Operands`] onto an
/// [`ArrayGeometry`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Slicing {
    pub rows: u32,
    /// `T_in`: input cycles per VMM.
    pub input_cycles: u32,
    /// `s`: cells per weight and polarity.
    pub weight_slices: u32,
    /// Columns one weight occupies (`2 s` differential, `s` offset).
    pub columns_per_weight: u32,
    /// Unit columns per array (1 with offset weights, 0 otherwise).
    pub unit_columns: u32,
    /// `G`: weights per row, i.e. weight vectors (outputs) per array.
    pub weight_vectors: u32,
    /// Bits of one bitline (or differential pair) value after encoding.
    pub bitline_bits: u32,
}

impl Slicing {
    /// Slice `operands` onto `array`; every parameter must be positive, the
    /// rows a power of two (Eq. 2 takes `N = log2 rows`), and at least one
    /// weight must fit in a row.
    pub fn new(array: &ArrayGeometry, operands: &Operands) -> Result<Slicing, CrossbarError> {
        let positive = |name: &'static str, v: u32| {
            if v == 0 {
                Err(CrossbarError::parameter(name, "must be at least 1"))
            } else {
                Ok(())
            }
        };
        positive("rows", array.rows)?;
        positive("columns", array.columns)?;
        positive("cell_bits", array.cell_bits)?;
        positive("dac_bits", array.dac_bits)?;
        positive("input_bits", operands.input_bits)?;
        positive("weight_bits", operands.weight_bits)?;
        positive("output_bits", operands.output_bits)?;
        if !array.rows.is_power_of_two() {
            return Err(CrossbarError::parameter(
                "rows",
                format!("{} is not a power of two", array.rows),
            ));
        }
        if operands.input_bits > 32 || operands.weight_bits > 32 || operands.output_bits > 32 {
            return Err(CrossbarError::parameter(
                "operands",
                "bit widths above 32 are not modelled",
            ));
        }
        if array.cell_bits > 8 || array.dac_bits > 8 {
            return Err(CrossbarError::parameter(
                "cell_bits/dac_bits",
                "more than 8 bits per cell or per DAC are not modelled",
            ));
        }
        let input_cycles = operands.input_bits.div_ceil(array.dac_bits);
        let weight_slices = operands.weight_bits.div_ceil(array.cell_bits);
        let (columns_per_weight, unit_columns) = match array.signed_weights {
            SignedWeights::Differential => (2 * weight_slices, 0),
            SignedWeights::Offset => (weight_slices, 1),
            SignedWeights::Plain => (weight_slices, 0),
        };
        let usable = array.columns.saturating_sub(unit_columns);
        let weight_vectors = usable / columns_per_weight;
        if weight_vectors == 0 {
            return Err(CrossbarError::parameter(
                "columns",
                format!(
                    "{} columns hold no {}-bit weight ({} columns per weight{})",
                    array.columns,
                    operands.weight_bits,
                    columns_per_weight,
                    if unit_columns > 0 {
                        " plus a unit column"
                    } else {
                        ""
                    }
                ),
            ));
        }
        let n = array.rows.trailing_zeros();
        let raw = if array.cell_bits > 1 && array.dac_bits > 1 {
            array.cell_bits + array.dac_bits + n
        } else {
            array.cell_bits + array.dac_bits - 1 + n
        };
        if array.encoding_saves_bits >= raw {
            return Err(CrossbarError::parameter(
                "encoding_saves_bits",
                format!(
                    "{} leaves no bitline bits of {raw}",
                    array.encoding_saves_bits
                ),
            ));
        }
        Ok(Slicing {
            rows: array.rows,
            input_cycles,
            weight_slices,
            columns_per_weight,
            unit_columns,
            weight_vectors,
            bitline_bits: raw - array.encoding_saves_bits,
        })
    }

    /// Multiply-accumulates of one full-array VMM: rows x weight vectors.
    pub fn macs_per_vmm(&self) -> u64 {
        self.rows as u64 * self.weight_vectors as u64
    }

    /// Columns one array reads per input cycle when every weight vector is used.
    pub fn columns_used(&self) -> u32 {
        self.weight_vectors * self.columns_per_weight + self.unit_columns
    }

    /// How a `k x n` weight matrix (k inputs, n outputs), repeated for
    /// `groups` independent groups (grouped convolutions), lies on arrays.
    /// Groups small enough share an array block-diagonally (several groups
    /// side by side, each on its own rows and columns).
    pub fn tile(&self, k: u64, n: u64, groups: u64) -> MatrixTiling {
        let r = self.rows as u64;
        let g = self.weight_vectors as u64;
        let (k, n, groups) = (k.max(1), n.max(1), groups.max(1));
        let row_blocks = k.div_ceil(r);
        let column_blocks = n.div_ceil(g);
        let arrays = if row_blocks == 1 && column_blocks == 1 {
            let per_array = (r / k).min(g / n).max(1);
            groups.div_ceil(per_array)
        } else {
            groups * row_blocks * column_blocks
        };
        MatrixTiling {
            arrays,
            row_blocks,
            rows_driven: groups * k * column_blocks,
            vectors_used: groups * n * row_blocks,
        }
    }
}

/// A weight matrix laid onto arrays (one copy; replication multiplies it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MatrixTiling {
    /// Arrays holding one copy.
    pub arrays: u64,
    /// Arrays one output's dot product spans (partial sums added digitally).
    pub row_blocks: u64,
    /// Wordlines driven per VMM, summed over the arrays (each input row is
    /// driven once in every array of its row block).
    pub rows_driven: u64,
    /// Weight vectors used per VMM, summed over the arrays (each output has
    /// one partial weight vector in each row block).
    pub vectors_used: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn array(rows: u32, cell: u32, dac: u32, s: SignedWeights, enc: u32) -> ArrayGeometry {
        ArrayGeometry {
            rows,
            columns: rows,
            cell_bits: cell,
            dac_bits: dac,
            signed_weights: s,
            encoding_saves_bits: enc,
        }
    }
    const W16: Operands = Operands {
        input_bits: 16,
        weight_bits: 16,
        output_bits: 16,
    };
    const W8: Operands = Operands {
        input_bits: 8,
        weight_bits: 8,
        output_bits: 8,
    };

    #[test]
    fn isaac_ce_slicing_matches_section_v() {
        // ISAAC §V: 16 cycles, 8 two-bit cells per weight, 128 + 1 unit column,
        // 8-bit ADC (9 bits reduced by one with flipped weights).
        let s = Slicing::new(&array(128, 2, 1, SignedWeights::Offset, 1), &W16).unwrap();
        assert_eq!(s.input_cycles, 16);
        assert_eq!(s.weight_slices, 8);
        // 128 columns less the unit column hold 15 whole 16-bit weights;
        // ISAAC's array has 129 columns so that 16 fit.
        assert_eq!(s.weight_vectors, 15);
        let s129 = Slicing::new(
            &ArrayGeometry {
                columns: 129,
                ..array(128, 2, 1, SignedWeights::Offset, 1)
            },
            &W16,
        )
        .unwrap();
        assert_eq!(s129.weight_vectors, 16);
        assert_eq!(s129.bitline_bits, 8);
        assert_eq!(s129.macs_per_vmm(), 2048);
    }

    #[test]
    fn neural_pim_table3_resolutions() {
        // 128x128 1-bit cells, 8b/8b: ISAAC-style 8 - 1 (encoding) = 7 bits,
        // Neural-PIM's differential layout holds 8 weight vectors (§5.2.1).
        let a = Slicing::new(&array(128, 1, 1, SignedWeights::Differential, 1), &W8).unwrap();
        assert_eq!(a.bitline_bits, 7);
        assert_eq!(a.weight_vectors, 8);
        assert_eq!(a.input_cycles, 8);
        let c = Slicing::new(&array(128, 1, 4, SignedWeights::Differential, 0), &W8).unwrap();
        assert_eq!(c.input_cycles, 2);
        // Eq. 2 with P_D = 4 > 1 but P_R = 1: 1 + 4 - 1 + 7 = 11.
        assert_eq!(c.bitline_bits, 11);
        // CASCADE: 64 rows, 1-bit cells, 1-bit DAC: 7 bits, 6 with encoding.
        let cas = Slicing::new(&array(64, 1, 1, SignedWeights::Offset, 1), &W16).unwrap();
        assert_eq!(cas.bitline_bits, 6);
    }

    #[test]
    fn bad_geometry_is_an_error_naming_the_parameter() {
        let e = Slicing::new(&array(100, 1, 1, SignedWeights::Differential, 0), &W8).unwrap_err();
        assert!(e.to_string().contains("rows"), "{e}");
        let e = Slicing::new(
            &ArrayGeometry {
                columns: 8,
                ..array(128, 1, 1, SignedWeights::Differential, 0)
            },
            &W8,
        )
        .unwrap_err();
        assert!(e.to_string().contains("columns"), "{e}");
        let e = Slicing::new(&array(128, 0, 1, SignedWeights::Differential, 0), &W8).unwrap_err();
        assert!(e.to_string().contains("cell_bits"), "{e}");
    }

    #[test]
    fn tiling_counts_blocks_and_packs_small_groups() {
        let s = Slicing::new(&array(128, 1, 1, SignedWeights::Differential, 0), &W8).unwrap();
        // 300 inputs x 20 outputs: 3 row blocks x 3 column blocks.
        let t = s.tile(300, 20, 1);
        assert_eq!((t.arrays, t.row_blocks), (9, 3));
        assert_eq!(t.rows_driven, 300 * 3);
        assert_eq!(t.vectors_used, 20 * 3);
        // Depthwise 3x3: 9 rows, 1 output per group; 8 groups share an array
        // (limited by the 8 weight vectors).
        let d = s.tile(9, 1, 32);
        assert_eq!(d.arrays, 4);
        assert_eq!(d.vectors_used, 32);
    }
}
