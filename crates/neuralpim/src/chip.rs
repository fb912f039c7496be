//! One design derived from a preset: the dataflow's equations (A/D
//! resolution, conversions, VMM time), the energy of each action, and the
//! parts of a PE, a tile and the chip with their area and published power.
use crate::periph;
use crate::preset::{Config, Dataflow, Tiles, SOURCED_FIELDS};
use pimzoo_core::units::{Joules, Seconds, SquareMm, Watts};
use pimzoo_tech::crossbar::parts::{self, Part, TechNode, SHIFT_ADDS_PER_UNIT_PER_CYCLE};
use pimzoo_tech::crossbar::Slicing;

/// The three accumulation strategies of Neural-PIM §3.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// A: digital accumulation (ISAAC).
    Digital,
    /// B: analog buffering in RRAM, digital accumulation (CASCADE).
    Buffering,
    /// C: analog accumulation with NNS+A and NNADC (Neural-PIM).
    Analog,
}

impl Strategy {
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Digital => "A (digital accumulation, ISAAC)",
            Strategy::Buffering => "B (analog buffering, CASCADE)",
            Strategy::Analog => "C (analog accumulation, Neural-PIM)",
        }
    }
}

/// Energy of one action of each kind, at the design's node.
#[derive(Clone, Copy, Debug, Default)]
pub struct Energies {
    pub dac_drive: Joules,
    pub cell_read: Joules,
    pub sample: Joules,
    pub conversion: Joules,
    pub shift_add: Joules,
    pub or_access: Joules,
    pub ir_bit: Joules,
    pub edram_byte: Joules,
    pub bus_byte: Joules,
    pub router_byte: Joules,
    pub tile_shift_add: Joules,
    pub nnsa_op: Joules,
    pub tia_sample: Joules,
    pub buffer_write: Joules,
    pub sigmoid_op: Joules,
    pub maxpool_op: Joules,
}

/// A row of the area and power table: `count` units of one part.
#[derive(Clone, Debug)]
pub struct Row {
    pub name: &'static str,
    pub count: f64,
    pub unit_area: SquareMm,
    pub unit_power: Watts,
}

impl Row {
    fn new(name: &'static str, count: f64, p: Part) -> Row {
        Row {
            name,
            count,
            unit_area: p.area,
            unit_power: p.power,
        }
    }
    pub fn area(&self) -> SquareMm {
        self.unit_area * self.count
    }
    pub fn power(&self) -> Watts {
        self.unit_power * self.count
    }
}

/// A design built from a validated preset.
#[derive(Clone, Debug)]
pub struct Design {
    pub strategy: Strategy,
    pub slicing: Slicing,
    /// Resolution of the converters (Eqs. 2-4).
    pub ad_bits: u32,
    /// Conversions per weight vector per VMM (Eqs. 5-7, or CASCADE's grouping).
    pub conversions_per_vector: u32,
    /// Time one PE takes per VMM of all its arrays, in the steady state.
    pub vmm_time: Seconds,
    pub energies: Energies,
    pub pe: Vec<Row>,
    pub tile: Vec<Row>,
    pub tiles: u32,
    pub hypertransport: Option<Part>,
    pub arrays_per_chip: u64,
    /// Chips on the board.
    pub chips: u32,
}

fn check_positive(name: &str, v: f64) -> Result<(), String> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(format!("`{name}` must be a positive number, found {v}"))
    }
}

fn check_count(name: &str, v: u32) -> Result<(), String> {
    if v == 0 {
        Err(format!("`{name}` must be at least 1"))
    } else {
        Ok(())
    }
}

impl Design {
    pub fn new(c: &Config) -> Result<Design, String> {
        if !c.id.starts_with("neuralpim/") || c.id.len() <= "neuralpim/".len() {
            return Err(format!("`id` must be `neuralpim/<name>`, found `{}`", c.id));
        }
        for f in SOURCED_FIELDS {
            if c.sources.get(f).is_none_or(|s| s.trim().is_empty()) {
                return Err(format!("`sources` must name the source of `{f}`"));
            }
        }
        let node = TechNode(c.node_nm);
        node.validate().map_err(|e| e.to_string())?;
        let slicing = Slicing::new(&c.array, &c.operands).map_err(|e| e.to_string())?;
        check_positive("input_cycle", c.input_cycle.value())?;
        check_count("arrays_per_pe", c.arrays_per_pe)?;
        check_count("pes_per_tile", c.pes_per_tile)?;
        check_count("chips", c.chips)?;
        let scale = |p: Part| node.scale(p);
        let tech = |r: Result<Part, pimzoo_tech::crossbar::CrossbarError>| {
            r.map(scale).map_err(|e| e.to_string())
        };

        let t_c = c.input_cycle;
        let t_in = slicing.input_cycles;
        let s = slicing.weight_slices;
        let g = slicing.weight_vectors;
        let arrays = c.arrays_per_pe as f64;
        let rows = c.array.rows as f64;
        let cells = arrays * rows * c.array.columns as f64;
        let vectors_pe = arrays * g as f64;

        let cell = scale(parts::crossbar_cell());
        let dac = tech(parts::dac(c.array.dac_bits))?;
        let sh = scale(parts::sample_hold());
        let sa = scale(parts::shift_add());
        let or = scale(parts::output_register());
        let ir = scale(parts::input_register(c.input_register));

        let mut pe = vec![
            Row::new("crossbar", cells, cell),
            Row::new("dac", arrays * rows, dac),
        ];
        // The input register: its capacity holds one input per row of every
        // array; its power is its energy per bit at the rate the DACs draw bits.
        let ir_bytes = (arrays * rows * c.operands.input_bits as f64 / 8.0).ceil();
        let ir_power = ir.energy * (arrays * rows * c.array.dac_bits as f64) / t_c;
        pe.push(Row {
            name: "input-register",
            count: 1.0,
            unit_area: ir.area * ir_bytes,
            unit_power: ir_power,
        });

        let mut e = Energies {
            dac_drive: dac.energy,
            cell_read: cell.energy,
            sample: sh.energy,
            shift_add: sa.energy,
            or_access: or.energy,
            ir_bit: ir.energy,
            ..Energies::default()
        };
        // 16-bit partial sums per weight vector in the output register
        // (ISAAC: 8 arrays x 16 vectors x 2 B = its 256 B).
        let or_bytes = vectors_pe * 2.0;

        let (strategy, ad_bits, conversions_per_vector, vmm_time) = match &c.dataflow {
            Dataflow::DigitalAccumulation {
                adcs_per_pe,
                adc_rate_hz,
            } => {
                check_count("adcs_per_pe", *adcs_per_pe)?;
                check_positive("adc_rate_hz", *adc_rate_hz)?;
                let bits = slicing.bitline_bits; // Eq. 2 (ISAAC Eqs. 1-2) after encoding
                let adc = tech(parts::adc(bits).map(|a| a.part))?;
                e.conversion = adc.energy;
                let per_vector = t_in * s; // Eq. 5
                let per_array_cycle = (g * s + slicing.unit_columns) as f64;
                let conv_pe = arrays * per_array_cycle * t_in as f64;
                pe.push(Row::new("sample-hold", arrays * per_array_cycle, sh));
                pe.push(Row::new("adc", *adcs_per_pe as f64, adc));
                let units = (arrays * (g * s) as f64 / SHIFT_ADDS_PER_UNIT_PER_CYCLE as f64).ceil();
                pe.push(Row::new("shift-add", units.max(1.0), sa));
                pe.push(Row::new("output-register", or_bytes, or));
                // The ADCs convert cycle i while the array reads cycle i+1
                // (ISAAC §V's sample-and-hold pipeline).
                let t =
                    (t_c * t_in as f64).max(Seconds(conv_pe / (*adcs_per_pe as f64 * adc_rate_hz)));
                (Strategy::Digital, bits, per_vector, t)
            }
            Dataflow::AnalogBuffering {
                adcs_per_pe,
                adc_rate_hz,
                buffer_cell_bits,
                buffer_arrays_per_array,
                front_end_area_per_array,
                conversions_per_weight_vector,
            } => {
                check_count("adcs_per_pe", *adcs_per_pe)?;
                check_positive("adc_rate_hz", *adc_rate_hz)?;
                check_count("buffer_cell_bits", *buffer_cell_bits)?;
                check_count("buffer_arrays_per_array", *buffer_arrays_per_array)?;
                if !(front_end_area_per_array.value().is_finite()
                    && front_end_area_per_array.value() >= 0.0)
                {
                    return Err("`front_end_area_per_array` must be a non-negative area".into());
                }
                // Eq. 3: the buffer bitline adds log2 of the input cycles.
                let bits = slicing.bitline_bits + t_in.next_power_of_two().trailing_zeros();
                let adc = tech(parts::adc(bits).map(|a| a.part))?;
                e.conversion = adc.energy;
                e.tia_sample = periph::tia_energy()? * (c.node_nm / TechNode::TABLES_NM);
                e.buffer_write = periph::buffer_energy() * (c.node_nm / TechNode::TABLES_NM);
                let per_vector = conversions_per_weight_vector.unwrap_or(t_in + s - 1); // Eq. 6
                if per_vector == 0 {
                    return Err("`conversions_per_weight_vector` must be at least 1".into());
                }
                let conv_pe = vectors_pe * per_vector as f64;
                pe.push(Row::new("adc", *adcs_per_pe as f64, adc));
                let units = (conv_pe / t_in as f64 / SHIFT_ADDS_PER_UNIT_PER_CYCLE as f64).ceil();
                pe.push(Row::new("shift-add", units.max(1.0), sa));
                pe.push(Row::new("output-register", or_bytes, or));
                // TIAs, summing amplifiers and buffer arrays: area as given;
                // power = energy of one TIA sample and one buffer write per
                // bitline pair and cycle.
                let samples_per_s = (g * s) as f64 / t_c.value();
                pe.push(Row {
                    name: "analog-front-end",
                    count: arrays,
                    unit_area: *front_end_area_per_array,
                    unit_power: Watts((e.tia_sample + e.buffer_write).value() * samples_per_s),
                });
                // A second set of buffer arrays lets the ADCs convert one VMM
                // while the next is buffered (4 buffer arrays per computing
                // array in NP Table 3; ASSUMPTION: double buffering).
                let t =
                    (t_c * t_in as f64).max(Seconds(conv_pe / (*adcs_per_pe as f64 * adc_rate_hz)));
                (Strategy::Buffering, bits, per_vector, t)
            }
            Dataflow::AnalogAccumulation {
                nnadcs_per_pe,
                nnadc_rate_hz,
                nnsa_per_pe,
                nnsa_rate_hz,
                conversion_cycles,
            } => {
                check_count("nnadcs_per_pe", *nnadcs_per_pe)?;
                check_positive("nnadc_rate_hz", *nnadc_rate_hz)?;
                check_count("nnsa_per_pe", *nnsa_per_pe)?;
                check_positive("nnsa_rate_hz", *nnsa_rate_hz)?;
                if c.array.signed_weights != pimzoo_tech::crossbar::SignedWeights::Differential {
                    return Err("the NNS+A takes pseudo-differential bitline pairs: \
                                `array.signed_weights` must be `Differential` (NP §5.2.1)"
                        .into());
                }
                let bits = c.operands.output_bits; // Eq. 4
                let nnadc = scale(periph::nnadc(bits)?);
                let nnsa = scale(periph::nnsa());
                e.conversion = nnadc.energy;
                e.nnsa_op = nnsa.energy;
                // 144 S+H per array in NP Table 2: every bitline plus a
                // pseudo-differential pair holding V_o,i-1 per weight vector.
                let sh_per_array = (g * slicing.columns_per_weight + 2 * g) as f64;
                pe.push(Row::new("sample-hold", arrays * sh_per_array, sh));
                pe.push(Row::new("adc", *nnadcs_per_pe as f64, nnadc));
                pe.push(Row::new("nns+a", *nnsa_per_pe as f64, nnsa));
                // An input cycle lasts until the shared NNS+As have served
                // every weight vector of the PE (NP §5.2.2: time-shared).
                let nnsa_time = Seconds(vectors_pe / (*nnsa_per_pe as f64 * nnsa_rate_hz));
                let cycle = t_c.max(nnsa_time);
                let conv_time = Seconds(vectors_pe / (*nnadcs_per_pe as f64 * nnadc_rate_hz));
                // NP Fig. 8: the conversion follows the input cycles inside
                // pipeline stage 1 ("9 input cycles" for 1-bit DACs).
                let t = cycle * t_in as f64 + (t_c * *conversion_cycles as f64).max(conv_time);
                (Strategy::Analog, bits, 1, t)
            }
        };

        // Tile-level parts.
        let tp = &c.tile;
        let mut tile = Vec::new();
        if tp.edram_buffers > 0 {
            tile.push(Row::new(
                "edram",
                tp.edram_buffers as f64,
                scale(parts::edram_64kb()),
            ));
        }
        if tp.bus_wires > 0 {
            tile.push(Row::new(
                "edram-bus",
                1.0,
                scale(parts::edram_bus(tp.bus_wires)),
            ));
        }
        if tp.tiles_per_router > 0 {
            tile.push(Row::new(
                "router",
                1.0 / tp.tiles_per_router as f64,
                scale(parts::router()),
            ));
        }
        if tp.sigmoid_units > 0 {
            tile.push(Row::new(
                "sigmoid",
                tp.sigmoid_units as f64,
                scale(parts::sigmoid()),
            ));
        }
        if tp.maxpool_units > 0 {
            tile.push(Row::new(
                "maxpool",
                tp.maxpool_units as f64,
                scale(parts::maxpool()),
            ));
        }
        if tp.shift_add_units > 0 {
            tile.push(Row::new(
                "tile-shift-add",
                tp.shift_add_units as f64,
                scale(parts::tile_shift_add()),
            ));
        }
        if tp.output_register {
            tile.push(Row::new(
                "tile-output-register",
                1.0,
                scale(parts::tile_output_register()),
            ));
        }
        e.edram_byte = scale(parts::edram_64kb()).energy;
        e.bus_byte = scale(parts::edram_bus(parts::ISAAC_BUS_WIRES)).energy;
        e.router_byte = scale(parts::router()).energy;
        e.tile_shift_add = scale(parts::tile_shift_add()).energy;
        e.sigmoid_op = scale(parts::sigmoid()).energy;
        e.maxpool_op = scale(parts::maxpool()).energy;

        let hypertransport = c.hypertransport.then(|| scale(parts::hypertransport()));
        let mut design = Design {
            strategy,
            slicing,
            ad_bits,
            conversions_per_vector,
            vmm_time,
            energies: e,
            pe,
            tile,
            tiles: 0,
            hypertransport,
            arrays_per_chip: 0,
            chips: c.chips,
        };
        design.tiles = match c.tiles {
            Tiles::Fixed(n) => {
                check_count("tiles", n)?;
                n
            }
            Tiles::FillArea(budget) => {
                let free = budget - design.hypertransport.map_or(SquareMm::ZERO, |h| h.area);
                let n = (free.value() / design.tile_area(c).value()).floor();
                if !(n >= 1.0 && n < u32::MAX as f64) {
                    return Err(format!(
                        "`tiles: FillArea({budget})` leaves room for no tile of {}",
                        design.tile_area(c)
                    ));
                }
                n as u32
            }
        };
        design.arrays_per_chip =
            design.tiles as u64 * c.pes_per_tile as u64 * c.arrays_per_pe as u64;
        Ok(design)
    }

    pub fn pe_area(&self) -> SquareMm {
        self.pe.iter().map(Row::area).sum()
    }
    pub fn pe_power(&self) -> Watts {
        self.pe.iter().map(Row::power).sum()
    }
    pub fn tile_area(&self, c: &Config) -> SquareMm {
        self.pe_area() * c.pes_per_tile as f64 + self.tile.iter().map(Row::area).sum()
    }
    pub fn tile_power(&self, c: &Config) -> Watts {
        self.pe_power() * c.pes_per_tile as f64 + self.tile.iter().map(Row::power).sum()
    }
    /// Area of one chip: its tiles and the HyperTransport links.
    pub fn chip_area(&self, c: &Config) -> SquareMm {
        self.tile_area(c) * self.tiles as f64
            + self.hypertransport.map_or(SquareMm::ZERO, |h| h.area)
    }
    /// The published-table power of one chip: every part at its tabulated power.
    pub fn chip_power(&self, c: &Config) -> Watts {
        self.tile_power(c) * self.tiles as f64
            + self.hypertransport.map_or(Watts::ZERO, |h| h.power)
    }
    /// Peak operations per second of one chip: every array doing a full VMM
    /// (2 x rows x weight vectors ops) every `vmm_time`.
    pub fn peak_ops_per_s(&self) -> f64 {
        self.arrays_per_chip as f64 * 2.0 * self.slicing.macs_per_vmm() as f64
            / self.vmm_time.value()
    }
    /// The PE row named `name`.
    pub fn pe_row(&self, name: &str) -> Option<&Row> {
        self.pe.iter().find(|r| r.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::preset;

    fn design(id: &str) -> Design {
        Design::new(&preset::builtin(id).unwrap()).unwrap()
    }

    #[test]
    fn vmm_times_follow_the_bottleneck_of_each_strategy() {
        // A: 8 cycles of 100 ns; 64 ADCs easily convert 512 values each.
        assert!((design("neuralpim/isaac").vmm_time.value() - 800e-9).abs() < 1e-15);
        // B: 64 arrays x 8 vectors x 15 conversions on 3 ADCs at 1.2 GS/s.
        let b = design("neuralpim/cascade").vmm_time.value();
        assert!((b - 7680.0 / 3.6e9).abs() < 1e-15, "{b}");
        // C: 2 cycles, then 512 conversions on 4 NNADCs (107 ns > one cycle).
        let c = design("neuralpim/neuralpim").vmm_time.value();
        assert!((c - (200e-9 + 512.0 / 4.8e9)).abs() < 1e-15, "{c}");
        // ISAAC-CE: 129 columns x 16 cycles x 8 arrays on 8 ADCs at 1.28 GS/s.
        let a = design("neuralpim/isaac-ce").vmm_time.value();
        assert!(
            (a - 8.0 * 129.0 * 16.0 / (8.0 * 1.28e9)).abs() < 1e-15,
            "{a}"
        );
    }

    #[test]
    fn equal_area_presets_fill_the_same_budget() {
        for id in ["neuralpim/isaac", "neuralpim/cascade"] {
            let c = preset::builtin(id).unwrap();
            let d = Design::new(&c).unwrap();
            let area = d.chip_area(&c).value();
            // One more tile would not fit in 86.4 mm^2.
            assert!(
                area <= 86.4 && area + d.tile_area(&c).value() > 86.4,
                "{id}: {area}"
            );
        }
    }
}
