//! Component tables of the crossbar accelerators at 32 nm, each entry with its
//! source, and the rule that scales them to another technology node.
//!
//! A [`Part`] gives the energy of one action, the area of one unit and the
//! power of one unit as published (at the rate its source ran it). The
//! architecture models multiply actions by energies for workloads and units
//! by powers for the published chip-power sums.
//!
//! Sources (full citations in `docs/models/neuralpim.md`):
//! * **ISAAC Table I** (Shafiee et al., ISCA 2016, corrected version): group
//!   totals per IMA or per tile, divided here by the printed counts.
//! * **HWC**: Accelergy `hwcomponents-library`, `isaac.py`: per-action energies
//!   derived from ISAAC Table I, and the ADC resolution table (SAR ADC of
//!   Kull et al. scaled as ISAAC §VII describes: vref buffer, memory and clock
//!   linearly, capacitive DAC exponentially).
//! * **NP Table 2** (Cao et al., IEEE TC 2022): the 4-bit DAC and the input
//!   register of Neural-PIM's 64-array PE at 32 nm.
use super::CrossbarError;
use pimzoo_core::units::{Hertz, Joules, SquareMm, Watts};
use serde::{Deserialize, Serialize};

/// Energy per action, area per unit and published power per unit.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Part {
    pub energy: Joules,
    pub area: SquareMm,
    pub power: Watts,
}

impl Part {
    const fn new(energy_pj: f64, area_mm2: f64, power_w: f64) -> Part {
        Part {
            energy: Joules(energy_pj * 1e-12),
            area: SquareMm(area_mm2),
            power: Watts(power_w),
        }
    }
}

/// The cycle at which ISAAC Table I and NP Table 2 state the power of the
/// per-cycle parts (DAC, sample-and-hold, crossbar, input register): one
/// 100 ns crossbar read (ISAAC §IV, NP §5.2.4).
pub const TABLE_CYCLE_S: f64 = 100e-9;

/// ISAAC's digital clock (Table I header: "ISAAC Tile at 1.2 GHz"), the rate
/// at which the tile's digital units are assumed to act once per cycle.
pub const DIGITAL_CLOCK_HZ: f64 = 1.2e9;

/// An SAR ADC of a given resolution.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Adc {
    pub bits: u32,
    /// Energy per conversion, area per ADC, power per ADC at `nameplate_rate`.
    pub part: Part,
    /// The sample rate at which the table's power holds (1.2 GS/s).
    pub nameplate_rate: Hertz,
}

/// HWC's ADC resolution table at 32 nm: (bits, pJ per conversion, µm²).
/// The 8-bit row is ISAAC Table I's ADC (2 mW at 1.2 GS/s = 1.67 pJ; 16 mW
/// and 0.0096 mm² for 8 ADCs = 1200 µm² each); the others follow ISAAC
/// §VII's scaling of the Kull et al. SAR ADC.
const ADC_TABLE: [(u32, f64, f64); 7] = [
    (4, 0.79, 361.0),
    (5, 0.99, 477.0),
    (6, 1.20, 627.0),
    (7, 1.42, 845.0),
    // 2 mW / 1.2 GS/s exactly (HWC prints it rounded to 1.67).
    (8, 2.0 / 1.2, 1200.0),
    (9, 1.97, 1828.0),
    (10, 2.38, 3002.0),
];

/// Sample rate of the table's ADCs: ISAAC Table I, 1.2 GSps.
pub const ADC_NAMEPLATE_RATE_HZ: f64 = 1.2e9;

/// The SAR ADC of `bits` resolution (4 to 10 bits, the range of the table).
pub fn adc(bits: u32) -> Result<Adc, CrossbarError> {
    let (_, pj, um2) = ADC_TABLE
        .iter()
        .copied()
        .find(|(b, _, _)| *b == bits)
        .ok_or(CrossbarError::NoTableEntry {
            part: "ADC",
            bits,
            range: "4 to 10 bits (HWC, from ISAAC Table I)",
        })?;
    let energy = Joules(pj * 1e-12);
    Ok(Adc {
        bits,
        part: Part {
            energy,
            area: SquareMm(um2 * 1e-6),
            power: Watts(energy.value() * ADC_NAMEPLATE_RATE_HZ),
        },
        nameplate_rate: Hertz(ADC_NAMEPLATE_RATE_HZ),
    })
}

/// A wordline DAC of `bits` resolution; the action is one row drive in one
/// 100 ns input cycle. 1 bit: ISAAC Table I (4 mW and 0.00017 mm² for
/// 8 x 128 DACs). 4 bits: NP Table 2 (0.1 W and 0.044 mm² for 128 x 64).
/// 2 and 3 bits: ASSUMPTION, geometric interpolation between the two (NP
/// §3.3 calls the growth "weakly exponential"; ISAAC's Saberi model is not
/// printed). Other widths have no source and are an error.
pub fn dac(bits: u32) -> Result<Part, CrossbarError> {
    let one: (f64, f64) = (4e-3 / 1024.0, 0.00017 / 1024.0);
    let four: (f64, f64) = (0.1 / 8192.0, 0.044 / 8192.0);
    let (p, a) = match bits {
        1 => one,
        4 => four,
        2 | 3 => {
            let t = (bits - 1) as f64 / 3.0;
            (
                one.0 * (four.0 / one.0).powf(t),
                one.1 * (four.1 / one.1).powf(t),
            )
        }
        _ => {
            return Err(CrossbarError::NoTableEntry {
                part: "DAC",
                bits,
                range: "1 bit (ISAAC Table I) to 4 bits (NP Table 2)",
            })
        }
    };
    Ok(Part {
        energy: Joules(p * TABLE_CYCLE_S),
        area: SquareMm(a),
        power: Watts(p),
    })
}

/// A sample-and-hold; the action is one sample per cycle. ISAAC Table I:
/// 10 µW and 0.00004 mm² for 8 x 128.
pub fn sample_hold() -> Part {
    let p = 10e-6 / 1024.0;
    Part {
        energy: Joules(p * TABLE_CYCLE_S),
        area: SquareMm(0.00004 / 1024.0),
        power: Watts(p),
    }
}

/// One crossbar cell; the action is one cell read in one input cycle.
/// ISAAC Table I: 2.4 mW and 0.0002 mm² for 8 arrays of 128 x 128, i.e.
/// 0.3 mW (30 pJ per 100 ns read) and 25 µm² per array. ASSUMPTION: energy and
/// area scale with the cell count and do not depend on the bits per cell or
/// the DAC resolution.
pub fn crossbar_cell() -> Part {
    let cells = 128.0 * 128.0;
    let p = 0.3e-3 / cells;
    Part {
        energy: Joules(p * TABLE_CYCLE_S),
        area: SquareMm(0.0002 / 8.0 / cells),
        power: Watts(p),
    }
}

/// A digital shift-and-add unit; the action is one shift-and-add of a
/// converted value into a 16-bit partial sum. Power and area: ISAAC Table I
/// (0.2 mW and 0.00024 mm² for 4 units per IMA); energy per action: HWC
/// (0.021 pJ per 16-bit operation).
pub fn shift_add() -> Part {
    Part::new(0.021, 0.00024 / 4.0, 0.2e-3 / 4.0)
}

/// ADC outputs one ISAAC shift-and-add unit absorbs per 100 ns cycle: 4 units
/// serve 8 ADCs x 128 conversions (ISAAC Table I and §V).
pub const SHIFT_ADDS_PER_UNIT_PER_CYCLE: u32 = 256;

/// Which published input register an architecture uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RegisterTable {
    /// ISAAC Table I: IR 2 KB, 1.24 mW, 0.0021 mm² per IMA (1024 input bits
    /// to the DACs per 100 ns).
    Isaac,
    /// NP Table 2: IR 40 mW, 4.8e-3 mm² per PE (8 KB: 64 arrays x 128 rows x
    /// 8 bits; 8192 rows x 4 bits to the DACs per 100 ns).
    NeuralPim,
}

/// An input register: energy per input bit delivered to a DAC, area per byte
/// of capacity. Both tables give about 0.12 pJ per bit: NP scaled ISAAC's
/// register with its bandwidth.
pub fn input_register(table: RegisterTable) -> Part {
    let (power, bits_per_cycle, area, bytes) = match table {
        RegisterTable::Isaac => (1.24e-3, 1024.0, 0.0021, 2048.0),
        RegisterTable::NeuralPim => (40e-3, 8192.0 * 4.0, 4.8e-3, 8192.0),
    };
    Part {
        energy: Joules(power * TABLE_CYCLE_S / bits_per_cycle),
        area: SquareMm(area / bytes),
        power: Watts(power / bytes),
    }
}

/// The output register of an IMA/PE: energy per 16-bit read-modify-write
/// (one per shift-and-add), area and power per byte. ISAAC Table I: 256 B,
/// 0.23 mW, 0.00077 mm², at 1024 updates per 100 ns. ASSUMPTION: area and
/// power linear in capacity.
pub fn output_register() -> Part {
    Part {
        energy: Joules(0.23e-3 * TABLE_CYCLE_S / 1024.0),
        area: SquareMm(0.00077 / 256.0),
        power: Watts(0.23e-3 / 256.0),
    }
}

/// The tile's eDRAM buffer (64 KB, 2 banks, 256-bit bus); the action is one
/// byte read or written. ISAAC Table I: 20.7 mW, 0.083 mm²; HWC: 20.45 pJ per
/// 256-bit access.
pub fn edram_64kb() -> Part {
    Part::new(20.45 / 32.0, 0.083, 20.7e-3)
}

/// Wires of ISAAC's eDRAM-to-IMA bus (Table I).
pub const ISAAC_BUS_WIRES: u32 = 384;

/// The eDRAM-to-IMA (PE) bus of `wires` wires; the action is one byte moved.
/// ISAAC Table I: 384 wires, 7 mW, 0.090 mm²; HWC: 0.054 pJ per bit.
/// ASSUMPTION: area and power proportional to the wires.
pub fn edram_bus(wires: u32) -> Part {
    let k = wires as f64 / ISAAC_BUS_WIRES as f64;
    Part::new(0.054 * 8.0, 0.090 * k, 7e-3 * k)
}

/// One c-mesh router (flit 32, 8 ports), shared by 4 tiles; the action is one
/// byte transferred. ISAAC Table I: 42 mW, 0.151 mm²; HWC: 20.74 pJ per
/// 256-bit transfer.
pub fn router() -> Part {
    Part::new(20.74 / 32.0, 0.151, 42e-3)
}

/// Tiles sharing one router (ISAAC Table I: "shared by 4 tiles").
pub const TILES_PER_ROUTER: u32 = 4;

/// A sigmoid (activation) unit; the action is one element. ISAAC Table I:
/// 2 units, 0.52 mW, 0.0006 mm². ASSUMPTION: one element per 1.2 GHz clock.
pub fn sigmoid() -> Part {
    let p = 0.52e-3 / 2.0;
    Part::new(p / DIGITAL_CLOCK_HZ * 1e12, 0.0006 / 2.0, p)
}

/// A max-pool unit; the action is one comparison. ISAAC Table I: 0.4 mW,
/// 0.00024 mm². ASSUMPTION: one comparison per 1.2 GHz clock.
pub fn maxpool() -> Part {
    Part::new(0.4e-3 / DIGITAL_CLOCK_HZ * 1e12, 0.00024, 0.4e-3)
}

/// The tile's shift-and-add unit (merges partial sums of several arrays);
/// ISAAC Table I: 0.05 mW, 0.00006 mm²; energy per action as [`shift_add`].
pub fn tile_shift_add() -> Part {
    Part::new(0.021, 0.00006, 0.05e-3)
}

/// The tile's output register (3 KB); the action is one 16-bit access.
/// ISAAC Table I: 1.68 mW, 0.0032 mm². ASSUMPTION: one access per 1.2 GHz clock.
pub fn tile_output_register() -> Part {
    Part::new(1.68e-3 / DIGITAL_CLOCK_HZ * 1e12, 0.0032, 1.68e-3)
}

/// The chip's off-chip links: 4 HyperTransport links at 1.6 GHz, 6.4 GB/s
/// each; a constant power (ISAAC §VIII-B: "a constant overhead of 10 W").
/// ISAAC Table I: 10.4 W, 22.88 mm². The energy field is zero: the link is
/// charged by time, not by action.
pub fn hypertransport() -> Part {
    Part::new(0.0, 22.88, 10.4)
}

/// The technology node of a design, and the ASSUMED rule that scales the
/// 32 nm tables to it: area with the square of the feature size, energy and
/// power linearly with it (switched capacitance at a fixed supply). CASCADE
/// §4.1 scales ISAAC's models to 65 nm without printing its rule.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TechNode(pub f64);

impl TechNode {
    /// The node of every table in this module.
    pub const TABLES_NM: f64 = 32.0;

    pub fn validate(self) -> Result<(), CrossbarError> {
        if self.0.is_finite() && (7.0..=250.0).contains(&self.0) {
            Ok(())
        } else {
            Err(CrossbarError::parameter(
                "node_nm",
                format!("{} nm lies outside 7 to 250 nm", self.0),
            ))
        }
    }

    /// A 32 nm part at this node.
    pub fn scale(self, p: Part) -> Part {
        let k = self.0 / Self::TABLES_NM;
        Part {
            energy: p.energy * k,
            area: p.area * (k * k),
            power: p.power * k,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn isaac_ima_rows_add_up_to_table_i() {
        // One IMA: 8 ADCs, 8 x 128 DACs and S+H, 8 arrays, 4 S+A, IR, OR.
        let adc = adc(8).unwrap().part;
        let power = 8.0 * adc.power.value()
            + 1024.0 * dac(1).unwrap().power.value()
            + 1024.0 * sample_hold().power.value()
            + 8.0 * 16384.0 * crossbar_cell().power.value()
            + 4.0 * shift_add().power.value()
            + 2048.0 * input_register(RegisterTable::Isaac).power.value()
            + 256.0 * output_register().power.value();
        assert_relative_eq!(power, 24.08e-3, max_relative = 1e-3);
        let area = 8.0 * adc.area.value()
            + 1024.0 * dac(1).unwrap().area.value()
            + 1024.0 * sample_hold().area.value()
            + 8.0 * 16384.0 * crossbar_cell().area.value()
            + 4.0 * shift_add().area.value()
            + 2048.0 * input_register(RegisterTable::Isaac).area.value()
            + 256.0 * output_register().area.value();
        assert_relative_eq!(area, 0.01312, max_relative = 1e-3);
    }

    #[test]
    fn adc_table_is_monotonic_and_bounded() {
        let mut last = 0.0;
        for b in 4..=10 {
            let e = adc(b).unwrap().part.energy.value();
            assert!(e > last);
            last = e;
        }
        assert_relative_eq!(
            adc(8).unwrap().part.power.value(),
            2.0e-3,
            max_relative = 2e-3
        );
        assert!(adc(3).is_err());
        assert!(adc(11).unwrap_err().to_string().contains("11-bit"));
    }

    #[test]
    fn dac_interpolates_between_the_sources() {
        let p: Vec<f64> = (1..=4).map(|b| dac(b).unwrap().power.value()).collect();
        assert!(p.windows(2).all(|w| w[1] > w[0]));
        assert!(dac(5).is_err() && dac(0).is_err());
    }

    #[test]
    fn both_input_registers_cost_the_same_per_bit() {
        let a = input_register(RegisterTable::Isaac).energy.value();
        let b = input_register(RegisterTable::NeuralPim).energy.value();
        assert_relative_eq!(a, b, max_relative = 0.02);
    }

    #[test]
    fn node_scaling() {
        let p = TechNode(64.0).scale(crossbar_cell());
        assert_relative_eq!(p.area.value(), 4.0 * crossbar_cell().area.value());
        assert_relative_eq!(p.energy.value(), 2.0 * crossbar_cell().energy.value());
        assert!(TechNode(0.0).validate().is_err());
    }
}
