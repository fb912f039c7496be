//! The peripherals only one of the three dataflows uses: Neural-PIM's
//! NeuralPeriph circuits (NNADC, NNS+A) and CASCADE's analog front end (TIA,
//! RRAM buffer arrays). The shared parts live in `pimzoo_tech::crossbar::parts`.
use pimzoo_core::units::{Joules, SquareMm, Watts};
use pimzoo_tech::crossbar::parts::{self, Part};

/// NNADC sample rate in NP Table 2 (8-bit, 1.2 GS/s).
pub const NNADC_TABLE_RATE_HZ: f64 = 1.2e9;
/// NNS+A rate in NP Table 2 (80 MHz).
pub const NNSA_TABLE_RATE_HZ: f64 = 80e6;

/// The 8-bit NNADC at 32 nm; the action is one conversion. NP Table 2:
/// 6.0e-3 W and 4.3e-3 mm² for 4 NNADCs at 1.2 GS/s (1.5 mW, 1.25 pJ each).
/// Only the 8-bit NNADC is published.
pub fn nnadc(bits: u32) -> Result<Part, String> {
    if bits != 8 {
        return Err(format!(
            "no NNADC of {bits} bits is published (NP Tables 1-2 give the 8-bit one); \
             set operands.output_bits to 8"
        ));
    }
    let p = 6.0e-3 / 4.0;
    Ok(Part {
        energy: Joules(p / NNADC_TABLE_RATE_HZ),
        area: SquareMm(4.3e-3 / 4.0),
        power: Watts(p),
    })
}

/// One NNS+A at 32 nm; the action is one accumulation step (all weight-bit
/// bitlines of one weight vector plus the previous sum). NP Table 2: 1.9e-2 W
/// and 2.4e-2 mm² for 64 NNS+As at 80 MHz (0.30 mW, 3.7 pJ each).
pub fn nnsa() -> Part {
    let p = 1.9e-2 / 64.0;
    Part {
        energy: Joules(p / NNSA_TABLE_RATE_HZ),
        area: SquareMm(2.4e-2 / 64.0),
        power: Watts(p),
    }
}

/// CASCADE §4.3 (Fig. 12 text): "CASCADE's TIA interface consumes 77.5x lower
/// energy than the ADC interface" of the ADC-based reference, whose 6-bit ADCs
/// convert as many values (256 per 16 cycles per 64x16 subsection, Table 2)
/// as CASCADE's TIAs sample.
pub const TIA_VS_ADC_ENERGY: f64 = 77.5;

/// CASCADE §3.2 (Fig. 6 text): analog in-RRAM buffering and accumulation uses
/// 7.59x less energy than digital partial-sum accumulation.
pub const BUFFER_VS_DIGITAL_ENERGY: f64 = 7.59;

/// Energy of one TIA sample at 32 nm: the 6-bit ADC conversion of the HWC
/// table divided by [`TIA_VS_ADC_ENERGY`]. Area: in the fitted front end.
pub fn tia_energy() -> Result<Joules, String> {
    Ok(parts::adc(6).map_err(|e| e.to_string())?.part.energy / TIA_VS_ADC_ENERGY)
}

/// Energy of buffering one partial sum in an RRAM buffer cell and summing it
/// on the buffer read: the digital accumulation it replaces (one shift-and-add
/// and one output-register update) divided by [`BUFFER_VS_DIGITAL_ENERGY`].
pub fn buffer_energy() -> Joules {
    (parts::shift_add().energy + parts::output_register().energy) / BUFFER_VS_DIGITAL_ENERGY
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn table2_unit_energies() {
        // NP Table 2 per unit: 1.25 pJ per NNADC conversion, 3.7 pJ per NNS+A step.
        assert_relative_eq!(
            nnadc(8).unwrap().energy.value(),
            1.25e-12,
            max_relative = 1e-9
        );
        assert_relative_eq!(nnsa().energy.value(), 3.7109375e-12, max_relative = 1e-9);
        assert!(nnadc(10).unwrap_err().contains("8-bit"));
    }

    #[test]
    fn cascade_ratios_make_the_front_end_cheap() {
        let tia = tia_energy().unwrap().value();
        assert_relative_eq!(tia * TIA_VS_ADC_ENERGY, 1.20e-12, max_relative = 1e-9);
        assert!(buffer_energy().value() < parts::shift_add().energy.value());
    }
}
