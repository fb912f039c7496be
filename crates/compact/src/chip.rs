//! The chip's geometry: what the hierarchy of sub-arrays, PEs and tiles holds,
//! and the H-tree lengths that make the interconnect grow with chip size.
use crate::preset::ChipConfig;
use pimzoo_tech::crossbar::htree::HTree;
use pimzoo_tech::crossbar::Slicing;

/// Sizes derived from a [`ChipConfig`], in cells unless stated.
#[derive(Clone, Debug, PartialEq)]
pub struct Chip {
    pub config: ChipConfig,
    /// Input pulses per input vector (bit-serial inputs: the input bits).
    pub input_cycles: u64,
    /// Cell columns one weight occupies (weight bits / cell bits).
    pub columns_per_weight: u64,
    pub subarray_rows: u64,
    pub subarray_cols: u64,
    /// Sub-arrays per PE.
    pub subarrays_per_pe: u64,
    /// Rows (= columns) of one PE and of one tile.
    pub pe_rows: u64,
    pub pe_cols: u64,
    pub tile_rows: u64,
    pub tile_cols: u64,
    pub pes_per_tile: u64,
    /// Tiles on the chip, `N`.
    pub tiles: u64,
    /// Root-to-leaf length of the chip H-tree, in tile pitches.
    pub chip_htree_pitches: f64,
    /// Root-to-leaf length of a tile's H-tree, in PE pitches.
    pub tile_htree_pitches: f64,
    /// Bits of one partial sum leaving a tile.
    pub tile_output_bits: u64,
    /// Activation (and pooling) units at the chip level: one per tile column
    /// read out at a time (NeuroSim: tile size / columns per ADC).
    pub activation_units: u64,
    /// Bus width one layer asks of the chip bus: a tile's input row plus its
    /// converted outputs (NeuroSim: tile size + tile size / columns per ADC).
    pub bus_request_bits: f64,
}

impl Chip {
    /// Derive the geometry; every size must be positive, the operands must fit
    /// the sub-array, and SRAM cells hold one bit.
    pub fn new(config: ChipConfig) -> Result<Chip, String> {
        let positive = |name: &str, v: u32| {
            if v == 0 {
                Err(format!("chip `{name}` must be at least 1"))
            } else {
                Ok(())
            }
        };
        positive("tiles.0", config.tiles.0)?;
        positive("tiles.1", config.tiles.1)?;
        positive("pes_per_tile.0", config.pes_per_tile.0)?;
        positive("pes_per_tile.1", config.pes_per_tile.1)?;
        positive("subarrays_per_pe.0", config.subarrays_per_pe.0)?;
        positive("subarrays_per_pe.1", config.subarrays_per_pe.1)?;
        positive("columns_per_adc", config.columns_per_adc)?;
        positive("adc_bits", config.adc_bits)?;
        positive("max_global_bus_bits", config.max_global_bus_bits)?;
        positive("global_buffer_core.0", config.global_buffer_core.0)?;
        positive("global_buffer_core.1", config.global_buffer_core.1)?;
        for (name, v) in [
            ("input_toggle", config.input_toggle),
            ("output_toggle", config.output_toggle),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(format!("chip `{name}` must lie in [0, 1], not {v}"));
            }
        }
        if config.tiles.0 as u64 * config.tiles.1 as u64 > 1 << 20 {
            return Err("chip `tiles`: more than 2^20 tiles are not modelled".into());
        }
        let slicing = Slicing::new(&config.subarray, &config.operands)
            .map_err(|e| format!("chip `subarray`: {e}"))?;
        if config.subarray.columns < config.columns_per_adc {
            return Err(format!(
                "chip `columns_per_adc` ({}) exceeds the sub-array's {} columns",
                config.columns_per_adc, config.subarray.columns
            ));
        }
        let subarray_rows = config.subarray.rows as u64;
        let subarray_cols = config.subarray.columns as u64;
        let pe_rows = config.subarrays_per_pe.0 as u64 * subarray_rows;
        let pe_cols = config.subarrays_per_pe.1 as u64 * subarray_cols;
        let tile_rows = config.pes_per_tile.0 as u64 * pe_rows;
        let tile_cols = config.pes_per_tile.1 as u64 * pe_cols;
        let subarrays_per_pe = config.subarrays_per_pe.0 as u64 * config.subarrays_per_pe.1 as u64;
        let pes_per_tile = config.pes_per_tile.0 as u64 * config.pes_per_tile.1 as u64;
        let columns_per_weight = slicing.columns_per_weight as u64;
        // NeuroSim's partial-sum width (Tile.cpp): sense-amplifier bits + input
        // bits + the shifted weight slices + a sign bit, grown by the adders of
        // the PE (log2 of its sub-arrays) and of the tile (log2 of its PE rows).
        let sub_out = config.adc_bits as u64
            + config.operands.input_bits as u64
            + (columns_per_weight - 1) * config.subarray.cell_bits as u64
            + 1;
        let log2_ceil = |v: u64| 64 - (v.max(1) - 1).leading_zeros() as u64;
        let tile_output_bits =
            sub_out + log2_ceil(subarrays_per_pe) + log2_ceil(config.pes_per_tile.0 as u64);
        Ok(Chip {
            input_cycles: slicing.input_cycles as u64,
            columns_per_weight,
            subarray_rows,
            subarray_cols,
            subarrays_per_pe,
            pe_rows,
            pe_cols,
            tile_rows,
            tile_cols,
            pes_per_tile,
            tiles: config.tiles.0 as u64 * config.tiles.1 as u64,
            chip_htree_pitches: HTree::new(config.tiles.0, config.tiles.1).root_to_leaf_pitches(),
            tile_htree_pitches: HTree::new(config.pes_per_tile.0, config.pes_per_tile.1)
                .root_to_leaf_pitches(),
            tile_output_bits,
            activation_units: (tile_cols / config.columns_per_adc as u64).max(1),
            bus_request_bits: tile_cols as f64 + tile_cols as f64 / config.columns_per_adc as f64,
            config,
        })
    }

    /// Sequential read steps per input vector in one sub-array: every input
    /// bit, and for each the columns sharing one sense amplifier in turn.
    pub fn steps_per_vector(&self) -> u64 {
        self.input_cycles * self.config.columns_per_adc as u64
    }

    /// Sub-arrays on the chip.
    pub fn subarrays(&self) -> u64 {
        self.tiles * self.pes_per_tile * self.subarrays_per_pe
    }

    /// Cells of one tile.
    pub fn tile_cells(&self) -> u64 {
        self.tile_rows * self.tile_cols
    }

    /// Weights the chip holds at once (one copy each).
    pub fn weight_capacity(&self) -> u64 {
        self.tiles * self.tile_cells() / self.columns_per_weight
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calibration::authors_chip;

    #[test]
    fn the_compact_chip_holds_8_4_million_weights() {
        let c = Chip::new(authors_chip((4, 4))).unwrap();
        assert_eq!((c.pe_rows, c.tile_rows), (512, 2048));
        assert_eq!(c.tiles, 16);
        assert_eq!(c.weight_capacity(), 8_388_608);
        assert_eq!(c.tile_output_bits, 27);
        assert_eq!(c.activation_units, 256);
        assert_eq!(c.steps_per_vector(), 64);
        assert_eq!((c.chip_htree_pitches, c.tile_htree_pitches), (8.0, 8.0));
        let big = Chip::new(authors_chip((6, 6))).unwrap();
        assert_eq!(big.chip_htree_pitches, 18.0);
    }

    #[test]
    fn bad_sizes_name_the_field() {
        let mut cfg = authors_chip((4, 4));
        cfg.tiles.0 = 0;
        assert!(Chip::new(cfg).unwrap_err().contains("tiles.0"));
        let mut cfg = authors_chip((4, 4));
        cfg.subarray.rows = 100;
        assert!(Chip::new(cfg).unwrap_err().contains("subarray"));
    }
}
