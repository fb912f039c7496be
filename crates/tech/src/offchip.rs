//! An off-chip memory channel reduced to what a bandwidth-bound accelerator
//! model needs: a peak data rate, a transaction size every transfer is
//! rounded up to, and an energy per bit moved.
//!
//! This is deliberately coarser than [`crate::dram`] (command-level timing):
//! no banks, rows or refresh, no overlap between transfers. Models whose
//! source costs off-chip traffic this way (the compact CIM chip of Chen &
//! Yang, AICAS 2025, whose NeuroSim fork divides the bits moved by the bus
//! bandwidth and multiplies them by one energy per bit) take it from here.
//!
//! ```text
//! transactions = ceil(bits / transaction_bits)      (per transfer)
//! bits moved   = transactions x transaction_bits
//! time         = bits moved / (8 x bandwidth)
//! energy       = bits moved x energy_per_bit
//! ```
use pimzoo_core::units::{BytesPerSecond, Joules, Seconds};
use serde::{Deserialize, Serialize};

/// A memory channel: peak bandwidth, transaction size and energy per bit.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OffChipChannel {
    /// Peak data rate, bytes per second.
    pub bandwidth: BytesPerSecond,
    /// Bits per transaction; every transfer moves whole transactions.
    pub transaction_bits: u32,
    /// Energy per bit moved, read or write, device and interface together.
    pub energy_per_bit: Joules,
}

/// The cost of moving some data over an [`OffChipChannel`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Transfer {
    pub transactions: u64,
    /// Bits on the bus: whole transactions.
    pub bits: u64,
    pub time: Seconds,
    pub energy: Joules,
}

impl std::ops::Add for Transfer {
    type Output = Transfer;
    fn add(self, o: Transfer) -> Transfer {
        Transfer {
            transactions: self.transactions + o.transactions,
            bits: self.bits + o.bits,
            time: self.time + o.time,
            energy: self.energy + o.energy,
        }
    }
}

impl std::iter::Sum for Transfer {
    fn sum<I: Iterator<Item = Transfer>>(it: I) -> Transfer {
        it.fold(Transfer::default(), |a, b| a + b)
    }
}

/// A channel parameter that cannot describe a memory.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("off-chip channel: `{name}` {message}")]
pub struct ChannelError {
    pub name: &'static str,
    pub message: String,
}

impl OffChipChannel {
    /// Peak bandwidth of Micron's 8 Gb LPDDR5-8533 part on a x128 bus (4266 MHz
    /// clock, double data rate): 8533 MT/s x 16 B = 136.512 GB/s, the value
    /// `memory_bus_bandwidth` of the compact-chip authors' `Param.cpp`.
    pub const LPDDR5_8533_X128_BANDWIDTH: BytesPerSecond = BytesPerSecond(136.512e9);

    /// An LPDDR5-8533 x128 channel with 128-bit transactions (the authors'
    /// `dram_bus_width`) and the given energy per bit, which the datasheet does
    /// not give as one number (it depends on the access pattern).
    pub fn lpddr5_8533_x128(energy_per_bit: Joules) -> Self {
        OffChipChannel {
            bandwidth: Self::LPDDR5_8533_X128_BANDWIDTH,
            transaction_bits: 128,
            energy_per_bit,
        }
    }

    /// Check that every parameter is positive and finite.
    pub fn validate(&self) -> Result<(), ChannelError> {
        let bad = |name: &'static str, message: String| Err(ChannelError { name, message });
        if !(self.bandwidth.value().is_finite() && self.bandwidth.value() > 0.0) {
            return bad(
                "bandwidth",
                format!("must be positive, not {}", self.bandwidth.value()),
            );
        }
        if self.transaction_bits == 0 {
            return bad("transaction_bits", "must be at least 1".into());
        }
        if !(self.energy_per_bit.value().is_finite() && self.energy_per_bit.value() >= 0.0) {
            return bad(
                "energy_per_bit",
                format!(
                    "must be zero or positive, not {}",
                    self.energy_per_bit.value()
                ),
            );
        }
        Ok(())
    }

    /// Whole transactions needed for `bits` (rounded up).
    pub fn transactions(&self, bits: u64) -> u64 {
        bits.div_ceil(self.transaction_bits.max(1) as u64)
    }

    /// Time and energy to move `bits` in one transfer (rounded up to whole
    /// transactions); nothing overlaps.
    pub fn transfer(&self, bits: u64) -> Transfer {
        let transactions = self.transactions(bits);
        let moved = transactions * self.transaction_bits as u64;
        self.bus_cost(transactions, moved)
    }

    /// Time and energy of `bits` already counted in whole transactions by the
    /// caller (sums of [`OffChipChannel::transfer`]s).
    pub fn time_for_bits(&self, bits: u64) -> Seconds {
        Seconds(bits as f64 / (8.0 * self.bandwidth.value()))
    }

    fn bus_cost(&self, transactions: u64, bits: u64) -> Transfer {
        Transfer {
            transactions,
            bits,
            time: self.time_for_bits(bits),
            energy: self.energy_per_bit * bits as f64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfers_round_up_to_whole_transactions() {
        let ch = OffChipChannel::lpddr5_8533_x128(Joules::from_pj(1.0));
        let t = ch.transfer(129);
        assert_eq!(t.transactions, 2);
        assert_eq!(t.bits, 256);
        assert_eq!(ch.transfer(0), Transfer::default());
        // 108,183,552 weight bits (the compact chip's VGG-8 reload) take
        // 99.06 us at 136.512 GB/s.
        let w = ch.transfer(108_183_552);
        assert!((w.time.value() - 99.06e-6).abs() < 0.01e-6, "{}", w.time);
        assert!((w.energy.value() - 108_183_552e-12).abs() < 1e-12);
    }

    #[test]
    fn bad_parameters_are_named() {
        let mut ch = OffChipChannel::lpddr5_8533_x128(Joules::from_pj(1.0));
        ch.transaction_bits = 0;
        assert!(ch
            .validate()
            .unwrap_err()
            .to_string()
            .contains("transaction_bits"));
        let mut ch = OffChipChannel::lpddr5_8533_x128(Joules::from_pj(1.0));
        ch.bandwidth = BytesPerSecond(-1.0);
        assert!(ch.validate().unwrap_err().to_string().contains("bandwidth"));
    }
}
