//! The cost of (re)programming the weights of a compute-in-memory array, for
//! the two cell technologies a weight-reloading design can use.
//!
//! * **SRAM**: cells are written like memory, one write per row; the cost of
//!   one sub-array is a constant per write (NeuroSim's SRAM write model, which
//!   writes every row that holds a non-zero bit; in the worst case, every row).
//! * **RRAM**: cells are programmed with write pulses. NeuroSim programs a
//!   sub-array row by row; a row takes as many pulses as its slowest cell,
//!   in the worst case the full conductance range (`pulses_full_range`, one
//!   level per pulse); every cell draws one pulse of energy per level it moves,
//!   on average `mean_range_fraction` of the range. Programming is thousands of
//!   times slower than an SRAM write, which is what makes weight reloads of an
//!   RRAM chip expensive.
//!
//! Sub-arrays are written one after another (NeuroSim sums the write latency
//! over tiles and PEs); copies of the same weights are written in parallel, so
//! they multiply the energy but not the time.
use pimzoo_core::units::{Joules, Seconds};
use serde::{Deserialize, Serialize};

/// How the cells of a sub-array are written.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum CellWrite {
    /// SRAM: a fixed time and energy per sub-array written (all rows).
    Sram {
        subarray_time: Seconds,
        subarray_energy: Joules,
    },
    /// RRAM: write pulses, rows in sequence, columns of a row in parallel.
    Rram {
        /// Width of one write pulse.
        pulse_width: Seconds,
        /// Pulses to move a cell across its whole conductance range.
        pulses_full_range: u32,
        /// Energy one cell draws in one pulse.
        energy_per_pulse: Joules,
        /// Mean fraction of the range a cell moves when written from the
        /// erased state (0.5 for uniformly distributed levels).
        mean_range_fraction: f64,
    },
}

/// Time and energy of writing one copy of a weight matrix.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct WriteCost {
    pub time: Seconds,
    pub energy: Joules,
}

impl CellWrite {
    /// Check that the parameters describe a technology; the message names the
    /// field at fault.
    pub fn validate(&self) -> Result<(), String> {
        let nonneg = |name: &str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(format!(
                    "cell write `{name}` must be zero or positive, not {v}"
                ))
            }
        };
        match *self {
            CellWrite::Sram {
                subarray_time,
                subarray_energy,
            } => {
                nonneg("subarray_time", subarray_time.value())?;
                nonneg("subarray_energy", subarray_energy.value())
            }
            CellWrite::Rram {
                pulse_width,
                pulses_full_range,
                energy_per_pulse,
                mean_range_fraction,
            } => {
                nonneg("pulse_width", pulse_width.value())?;
                nonneg("energy_per_pulse", energy_per_pulse.value())?;
                if pulses_full_range == 0 {
                    return Err("cell write `pulses_full_range` must be at least 1".into());
                }
                if !(0.0..=1.0).contains(&mean_range_fraction) {
                    return Err(format!(
                        "cell write `mean_range_fraction` must lie in [0, 1], not {mean_range_fraction}"
                    ));
                }
                Ok(())
            }
        }
    }

    /// Write one copy of a `rows x columns` cell matrix laid on sub-arrays of
    /// `sub_rows x sub_cols` cells (partial sub-arrays at the edges).
    pub fn matrix(&self, rows: u64, columns: u64, sub_rows: u64, sub_cols: u64) -> WriteCost {
        let (sub_rows, sub_cols) = (sub_rows.max(1), sub_cols.max(1));
        let subarrays = rows.div_ceil(sub_rows) * columns.div_ceil(sub_cols);
        match *self {
            CellWrite::Sram {
                subarray_time,
                subarray_energy,
            } => WriteCost {
                time: subarray_time * subarrays as f64,
                energy: subarray_energy * subarrays as f64,
            },
            CellWrite::Rram {
                pulse_width,
                pulses_full_range,
                energy_per_pulse,
                mean_range_fraction,
            } => {
                // Every row of every column block is programmed in turn.
                let row_writes = rows * columns.div_ceil(sub_cols);
                let cells = rows * columns;
                WriteCost {
                    time: pulse_width * (row_writes as f64 * pulses_full_range as f64),
                    energy: energy_per_pulse
                        * (cells as f64 * pulses_full_range as f64 * mean_range_fraction),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sram_costs_per_subarray_rram_per_row_and_pulse() {
        let sram = CellWrite::Sram {
            subarray_time: Seconds::from_ns(7.6),
            subarray_energy: Joules::from_pj(3.2),
        };
        // 1152 x 1024 cells: 9 x 8 sub-arrays of 128 x 128.
        let c = sram.matrix(1152, 1024, 128, 128);
        assert!((c.time.value() - 72.0 * 7.6e-9).abs() < 1e-15);
        let rram = CellWrite::Rram {
            pulse_width: Seconds::from_ns(50.0),
            pulses_full_range: 60,
            energy_per_pulse: Joules::from_pj(1.0),
            mean_range_fraction: 0.5,
        };
        let r = rram.matrix(128, 256, 128, 128);
        // 128 rows in each of 2 column blocks, 60 pulses of 50 ns each.
        assert!((r.time.value() - 256.0 * 60.0 * 50e-9).abs() < 1e-12);
        assert!((r.energy.value() - 128.0 * 256.0 * 30.0 * 1e-12).abs() < 1e-15);
        assert!(r.time.value() > 1000.0 * sram.matrix(128, 256, 128, 128).time.value());
    }

    #[test]
    fn bad_parameters_are_named() {
        let rram = CellWrite::Rram {
            pulse_width: Seconds::from_ns(50.0),
            pulses_full_range: 0,
            energy_per_pulse: Joules::from_pj(1.0),
            mean_range_fraction: 0.5,
        };
        assert!(rram.validate().unwrap_err().contains("pulses_full_range"));
    }
}
