//! Parts of an analog matrix-inversion (INV) crossbar: a resistive array in
//! a negative-feedback loop of op-amps that settles to `x = -A^-1 b`
//! (Sun et al., PNAS 116(10), 2019), as RePAST/STAMP uses it (arXiv
//! 2210.15255; APPT 2025 slides 6 and 28: DAC, INV crossbar, op-amps,
//! voltage followers, switches, ADC).
//!
//! Its VMM-side parts (ADC, S+H, crossbar cells) are ISAAC's, in
//! [`super::parts`]. What is specific to the loop has **no published cost**:
//! STAMP takes its op-amp model from Feinberg et al., "An Analog
//! Preconditioner for Solving Linear Systems", HPCA 2021, whose numbers are
//! not available, and its input DAC is wider (6 to 8 bits, HPCA'21 and the
//! RePAST slides) than any DAC of the ISAAC/Neural-PIM tables. Every value
//! here is therefore a stated ASSUMPTION, each a separate function so that
//! a preset can say which one it leans on, and a model that uses them must
//! say so in its documentation.
use super::parts::{dac, Part, TABLE_CYCLE_S};
use super::CrossbarError;
use pimzoo_core::units::{Joules, SquareMm, Watts};

/// One loop amplifier (the op-amp that closes a row of the INV loop, or the
/// voltage follower that buffers it); the action is one settling of the
/// loop within one 100 ns cycle.
///
/// ASSUMPTION (no source gives it): 0.1 mW quiescent power and 100 µm² at
/// 32 nm, a two-stage amplifier with a gain-bandwidth product of a few
/// hundred MHz, enough to settle a well-conditioned loop within the 100 ns
/// cycle that STAMP simulates (slide 29). The current the loop drives through
/// the array's cells is charged separately, as the cells' read energy
/// ([`super::parts::crossbar_cell`]).
pub fn loop_amplifier() -> Part {
    let p = 0.1e-3;
    Part {
        energy: Joules(p * TABLE_CYCLE_S),
        area: SquareMm(100e-6),
        power: Watts(p),
    }
}

/// The input DAC of an INV loop, `bits` wide (5 to 8 bits); the action is
/// one row drive in one 100 ns cycle.
///
/// ASSUMPTION: the 1-bit (ISAAC Table I) to 4-bit (Neural-PIM Table 2)
/// growth of [`super::parts::dac`], about 1.46x per bit in power and 3.2x
/// per bit in area ("weakly exponential", Neural-PIM §3.3), extrapolated
/// beyond the 4-bit source. Widths of 1 to 4 bits are the table's own parts.
pub fn inv_dac(bits: u32) -> Result<Part, CrossbarError> {
    match bits {
        1..=4 => dac(bits),
        5..=8 => {
            let one = dac(1)?;
            let four = dac(4)?;
            let t = (bits - 1) as f64 / 3.0;
            let grow = |a: f64, b: f64| a * (b / a).powf(t);
            Ok(Part {
                energy: Joules(grow(one.energy.value(), four.energy.value())),
                area: SquareMm(grow(one.area.value(), four.area.value())),
                power: Watts(grow(one.power.value(), four.power.value())),
            })
        }
        _ => Err(CrossbarError::NoTableEntry {
            part: "INV input DAC",
            bits,
            range: "1 to 4 bits (ISAAC Table I, Neural-PIM Table 2), 5 to 8 bits extrapolated",
        }),
    }
}

/// The switches that join INV crossbars into one loop over a factor larger
/// than one array (slide 28, "connect INV crossbars for scaling"); the
/// action is one row of one array connected to its neighbour for one cycle.
///
/// ASSUMPTION: a transmission gate per row and array edge, 1 fJ per cycle
/// and 1 µm² at 32 nm (a minimum-size gate's switched capacitance); small
/// next to the amplifiers whatever its exact value.
pub fn loop_switch() -> Part {
    Part {
        energy: Joules(1e-15),
        area: SquareMm(1e-6),
        power: Watts(1e-15 / TABLE_CYCLE_S),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inv_dac_continues_the_table_and_grows() {
        assert_eq!(inv_dac(4).unwrap(), dac(4).unwrap());
        let e: Vec<f64> = (1..=8)
            .map(|b| inv_dac(b).unwrap().energy.value())
            .collect();
        assert!(e.windows(2).all(|w| w[1] > w[0]));
        // 1.46x per bit: the 8-bit DAC costs about 4.5x the 4-bit one.
        let ratio = e[7] / e[3];
        assert!((4.0..5.0).contains(&ratio), "{ratio}");
        assert!(inv_dac(9).is_err() && inv_dac(0).is_err());
    }

    #[test]
    fn an_amplifier_settling_costs_its_power_over_one_cycle() {
        let a = loop_amplifier();
        assert!((a.energy.value() - 10e-12).abs() < 1e-18);
        assert!(loop_switch().energy.value() < a.energy.value());
    }
}
