//! One VMM on the arrays: its time and its energy by component, for the two
//! ways of reading an array (PipeLayer's spikes, ISAAC's converters). The
//! per-action energies come from `pimzoo_tech::crossbar` (ISAAC Table I);
//! this module counts the actions.
use crate::ledger::{names, Ledger};
use crate::preset::{Config, Reading};
use pimzoo_core::component;
use pimzoo_tech::crossbar::parts::{self, RegisterTable};
use pimzoo_tech::crossbar::{ArrayGeometry, Operands, Part, Slicing, TechNode};

/// ISAAC's parts at the design's node, per action.
#[derive(Clone, Debug)]
pub(crate) struct IsaacParts {
    pub node: TechNode,
    pub dac: Part,
    pub sample_hold: Part,
    pub shift_add: Part,
    pub cell: Part,
    pub input_register: Part,
    pub output_register: Part,
}

impl IsaacParts {
    pub fn new(node_nm: f64, dac_bits: u32) -> Result<IsaacParts, String> {
        let node = TechNode(node_nm);
        node.validate().map_err(|e| e.to_string())?;
        Ok(IsaacParts {
            node,
            dac: node.scale(parts::dac(dac_bits).map_err(|e| e.to_string())?),
            sample_hold: node.scale(parts::sample_hold()),
            shift_add: node.scale(parts::shift_add()),
            cell: node.scale(parts::crossbar_cell()),
            input_register: node.scale(parts::input_register(RegisterTable::Isaac)),
            output_register: node.scale(parts::output_register()),
        })
    }

    /// The ADC of `bits` at this node.
    pub fn adc(&self, bits: u32) -> Result<Part, String> {
        Ok(self
            .node
            .scale(parts::adc(bits).map_err(|e| e.to_string())?.part))
    }
}

#[derive(Clone, Debug)]
enum Read {
    Spikes {
        slot: f64,
        row_spike: f64,
        ones: f64,
        conversion: f64,
    },
    Converters {
        cycle: f64,
        parts: IsaacParts,
    },
}

/// The arrays of one design and how they are read.
#[derive(Clone, Debug)]
pub(crate) struct Arrays {
    pub geometry: ArrayGeometry,
    pub data_bits: u32,
    read: Read,
}

/// How a matrix lies on the arrays, and what one input vector through it costs.
#[derive(Clone, Debug)]
pub(crate) struct Vmm {
    /// Arrays of one copy.
    pub arrays: f64,
    /// Cells of one copy.
    pub cells: f64,
    /// Time of one evaluation (all arrays of the copy in parallel).
    pub time: f64,
    /// Energy of one input vector.
    pub energy: Ledger,
}

impl Arrays {
    pub fn new(config: &Config) -> Result<Arrays, String> {
        let read = match &config.reading {
            Reading::Spikes {
                slot,
                row_spike_energy,
                ones_fraction,
                conversion_energy,
            } => {
                for (name, v) in [
                    ("reading.slot", slot.value()),
                    ("reading.row_spike_energy", row_spike_energy.value()),
                    ("reading.conversion_energy", conversion_energy.value()),
                ] {
                    if !(v.is_finite() && v >= 0.0) {
                        return Err(format!("`{name}` must be zero or positive, found {v}"));
                    }
                }
                if slot.value() <= 0.0 {
                    return Err("`reading.slot` must be positive".into());
                }
                if !(0.0..=1.0).contains(ones_fraction) {
                    return Err(format!(
                        "`reading.ones_fraction` must lie in [0, 1], found {ones_fraction}"
                    ));
                }
                if config.array.dac_bits != 1 {
                    return Err(format!(
                        "spike coding applies one bit per time slot: `array.dac_bits` must be 1, found {}",
                        config.array.dac_bits
                    ));
                }
                Read::Spikes {
                    slot: slot.value(),
                    row_spike: row_spike_energy.value(),
                    ones: *ones_fraction,
                    conversion: conversion_energy.value(),
                }
            }
            Reading::Converters { cycle, node_nm } => {
                if !(cycle.value().is_finite() && cycle.value() > 0.0) {
                    return Err(format!(
                        "`reading.cycle` must be positive, found {}",
                        cycle.value()
                    ));
                }
                Read::Converters {
                    cycle: cycle.value(),
                    parts: IsaacParts::new(*node_nm, config.array.dac_bits)
                        .map_err(|e| format!("`reading`: {e}"))?,
                }
            }
        };
        if !(2..=32).contains(&config.data_bits) {
            return Err(format!(
                "`data_bits` must lie in 2..=32, found {}",
                config.data_bits
            ));
        }
        let a = Arrays {
            geometry: config.array,
            data_bits: config.data_bits,
            read,
        };
        // The data format must map (and, with converters, have an ADC).
        let s = a.slicing(a.data_bits, a.data_bits)?;
        a.adc_bits(&s)?;
        Ok(a)
    }

    /// ISAAC's parts, for a design read through converters.
    pub fn isaac_parts(&self) -> Option<&IsaacParts> {
        match &self.read {
            Read::Converters { parts, .. } => Some(parts),
            Read::Spikes { .. } => None,
        }
    }

    /// The read cycle of a converter design, or the spike slot.
    pub fn cycle(&self) -> f64 {
        match &self.read {
            Read::Converters { cycle, .. } => *cycle,
            Read::Spikes { slot, .. } => *slot,
        }
    }

    /// Slice `input_bits`-bit inputs and `weight_bits`-bit stationary values.
    pub fn slicing(&self, input_bits: u32, weight_bits: u32) -> Result<Slicing, String> {
        Slicing::new(
            &self.geometry,
            &Operands {
                input_bits,
                weight_bits,
                output_bits: self.data_bits,
            },
        )
        .map_err(|e| format!("`array`: {e}"))
    }

    /// ADC resolution of a converter design (the bitline bits), if any.
    fn adc_bits(&self, s: &Slicing) -> Result<Option<Part>, String> {
        match &self.read {
            Read::Converters { parts, .. } => parts
                .adc(s.bitline_bits)
                .map(Some)
                .map_err(|e| format!("`array`: a {}-bit bitline: {e}", s.bitline_bits)),
            Read::Spikes { .. } => Ok(None),
        }
    }

    /// Cells one unsigned `data_bits` value takes in a memory subarray.
    pub fn cells_per_value(&self) -> f64 {
        self.data_bits.div_ceil(self.geometry.cell_bits) as f64
    }

    /// Time of one evaluation with `s`'s input slicing.
    pub fn eval_time(&self, s: &Slicing) -> f64 {
        s.input_cycles as f64 * self.cycle()
    }

    /// A `k x n` matrix (per group, `groups` groups) of `s`'s stationary
    /// values on the arrays, and the cost of one input vector through it.
    pub fn vmm(&self, s: &Slicing, k: u64, n: u64, groups: u64) -> Result<Vmm, String> {
        let tiling = s.tile(k, n, groups);
        let cpw = s.columns_per_weight as f64;
        let cells = (k.max(1) * n.max(1) * groups.max(1)) as f64 * cpw;
        let mut e = Ledger::default();
        let conversions =
            tiling.vectors_used as f64 * cpw + tiling.arrays as f64 * s.unit_columns as f64;
        let cycles = s.input_cycles as f64;
        match &self.read {
            Read::Spikes {
                row_spike,
                ones,
                conversion,
                ..
            } => {
                e.add(
                    component::CROSSBAR,
                    tiling.rows_driven as f64 * cycles * ones * row_spike,
                );
                e.add(names::INTEGRATE_FIRE, conversions * conversion);
            }
            Read::Converters { parts, .. } => {
                let adc = self.adc_bits(s)?.unwrap_or(parts.cell);
                let conv = conversions * cycles;
                e.add(
                    component::DAC,
                    tiling.rows_driven as f64 * cycles * parts.dac.energy.value(),
                );
                e.add(
                    component::CROSSBAR,
                    cells * cycles * parts.cell.energy.value(),
                );
                e.add(component::ADC, conv * adc.energy.value());
                e.add(
                    component::SAMPLE_HOLD,
                    conv * parts.sample_hold.energy.value(),
                );
                e.add(component::SHIFT_ADD, conv * parts.shift_add.energy.value());
                e.add(
                    names::REGISTER,
                    tiling.rows_driven as f64
                        * cycles
                        * self.geometry.dac_bits as f64
                        * parts.input_register.energy.value()
                        + conv * parts.output_register.energy.value(),
                );
            }
        }
        Ok(Vmm {
            arrays: tiling.arrays as f64,
            cells,
            time: self.eval_time(s),
            energy: e,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pimzoo_core::units::{Joules, Seconds, Watts};
    use pimzoo_tech::crossbar::SignedWeights;

    fn config(reading: Reading, rows: u32, cell_bits: u32, signed: SignedWeights) -> Config {
        Config {
            id: "repast/test".into(),
            name: "test".into(),
            source: "test".into(),
            data_bits: 16,
            steps_per_cycle: 49,
            array: ArrayGeometry {
                rows,
                columns: rows,
                cell_bits,
                dac_bits: 1,
                signed_weights: signed,
                encoding_saves_bits: if signed == SignedWeights::Offset {
                    1
                } else {
                    0
                },
            },
            reading,
            writes: crate::preset::Writes {
                pulse: Seconds(50e-9),
                row_energy: Joules(1e-9),
                row_cells: 128,
                power: Watts(1.0),
                read_row_energy: Joules(1e-12),
            },
            digital_op_energy: Joules(1e-13),
            second_order: None,
            training: Default::default(),
            sources: Default::default(),
        }
    }

    #[test]
    fn spikes_read_one_slot_per_bit_and_convert_once_per_column() {
        let c = config(
            Reading::Spikes {
                slot: Seconds(29.31e-9),
                row_spike_energy: Joules(1.08e-12),
                ones_fraction: 0.5,
                conversion_energy: Joules(2e-12),
            },
            128,
            4,
            SignedWeights::Differential,
        );
        let a = Arrays::new(&c).unwrap();
        let s = a.slicing(16, 16).unwrap();
        // 16 slots of 29.31 ns: PipeLayer's 469 ns evaluation.
        assert!((a.eval_time(&s) - 16.0 * 29.31e-9).abs() < 1e-15);
        // 4 slices x 2 polarities = 8 columns per weight, 16 weights per array.
        assert_eq!(s.columns_per_weight, 8);
        let v = a.vmm(&s, 128, 16, 1).unwrap();
        assert_eq!(v.arrays, 1.0);
        let reads = 128.0 * 16.0 * 0.5 * 1.08e-12;
        assert!((v.energy.get(component::CROSSBAR) - reads).abs() < 1e-20);
        assert!((v.energy.get(names::INTEGRATE_FIRE) - 128.0 * 2e-12).abs() < 1e-20);
    }

    #[test]
    fn converters_count_isaac_actions() {
        let c = config(
            Reading::Converters {
                cycle: Seconds(100e-9),
                node_nm: 32.0,
            },
            256,
            2,
            SignedWeights::Offset,
        );
        let a = Arrays::new(&c).unwrap();
        let s = a.slicing(16, 16).unwrap();
        // 256 rows, 2-bit cells, 1-bit DAC: 2 + 1 - 1 + 8 - 1 = 9-bit ADC.
        assert_eq!(s.bitline_bits, 9);
        assert_eq!(s.input_cycles, 16);
        let v = a.vmm(&s, 256, 31, 1).unwrap();
        // 31 weights of 8 columns + the unit column: 249 conversions per cycle.
        let adc = parts::adc(9).unwrap().part.energy.value();
        assert!((v.energy.get(component::ADC) - 249.0 * 16.0 * adc).abs() < 1e-18);
        assert!((v.time - 1.6e-6).abs() < 1e-15);
    }

    #[test]
    fn a_bitline_without_an_adc_is_an_error() {
        // 256 rows of 4-bit cells with 4-bit DACs need a 16-bit ADC.
        let mut c = config(
            Reading::Converters {
                cycle: Seconds(100e-9),
                node_nm: 32.0,
            },
            256,
            4,
            SignedWeights::Differential,
        );
        c.array.dac_bits = 4;
        let e = Arrays::new(&c).unwrap_err();
        assert!(e.contains("16-bit bitline"), "{e}");
    }
}
