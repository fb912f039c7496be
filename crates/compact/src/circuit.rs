//! The per-layer circuit model: read latency and energy of one layer for one
//! image, from counts of what the hardware does (NeuroSim's structure) times
//! unit costs fitted once to the authors' VGG-8 table ([`crate::calibration`]).
//!
//! With `V` input vectors, `R x C` cells (one part of an oversized layer),
//! copies `sa` (sub-array), `pe` (PE) and `td` (tile), `b` input bits, `m`
//! columns per sense amplifier, `T` the tile size, `pf` the pooling factor:
//!
//! ```text
//! compute       = V / (sa pe td) x b m                      x read step
//! activation    = ceil(V Cout / units)                       x activation cycle
//! pooling       = ceil(V Cout / pf / units)   (if pooled)    x pooling cycle
//! accumulation  = V / td        (if R spans PEs)             x tile accumulation
//!               + ceil(V Cout / units) (if R spans tiles)    x global accumulation
//! buffers       = R_t V b / td x tile-in + ceil(C_t/cw) p V / td x tile-out
//!               + (bits to and from the tiles) / parallel global cores x global
//! interconnect  = ceil(bits / chip bus share) x L_chip       x chip H-tree
//!               + (tile bits / tile bus) x L_tile / td       x tile H-tree
//! energy        = conversions (V b ceil(R/rows) C) x (ADC + accumulation + periphery)
//!               + L_chip (a_in bits to tiles + a_out bits back) x chip wire
//!               + L_tile (a_in tile inputs + a_out tile partial sums) x tile wire
//!               + buffered bits x buffer energies
//! ```
//!
//! `L_chip` and `L_tile` are H-tree root-to-leaf lengths in tile and PE
//! pitches ([`pimzoo_tech::crossbar::htree`]): the interconnect grows with the
//! chip, and the chip bus each layer gets shrinks with the tiles it shares.
use crate::chip::Chip;
use crate::layers::LayerShape;
use crate::mapping::LayerMap;
use pimzoo_core::units::{Joules, Seconds, SquareMm, Watts};
use serde::Serialize;

/// Unit costs, all fitted to one table (see [`crate::calibration`]).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Circuit {
    /// One sub-array read step: one input bit, one column of each sense amplifier.
    pub read_step: Seconds,
    /// One cycle of the chip's activation (ReLU) units.
    pub activation_cycle: Seconds,
    /// One cycle of the chip's max-pooling units.
    pub pool_cycle: Seconds,
    /// Adding the partial sums of a vector across the PEs of a tile.
    pub tile_accumulation: Seconds,
    /// One operation of the chip's adder trees (partial sums across tiles).
    pub global_accumulation: Seconds,
    /// Per bit through a tile's input buffer, and through its output buffer.
    pub tile_buffer_in: Seconds,
    pub tile_buffer_out: Seconds,
    /// Per bit through the global buffer, per core working in parallel.
    pub global_buffer: Seconds,
    /// One chip-bus transfer over one tile pitch of the chip H-tree.
    pub chip_htree: Seconds,
    /// One tile-bus transfer over one PE pitch of a tile's H-tree.
    pub tile_htree: Seconds,
    /// Energy per column conversion: sense amplifier and precharge, the
    /// shift-and-add and accumulation behind it, decoders, multiplexers and
    /// activation units.
    pub adc: Joules,
    pub accumulation: Joules,
    pub periphery: Joules,
    /// Per toggling bit and pitch of the chip and tile H-trees.
    pub chip_wire: Joules,
    pub tile_wire: Joules,
    /// Per bit buffered in a tile, and in the global buffer.
    pub tile_buffer_energy: Joules,
    pub global_buffer_energy: Joules,
    /// Leakage of one tile computing, and of one tile idle (the authors'
    /// `leakageSRAMInUse` and `leakage`).
    pub tile_in_use: Watts,
    pub tile_idle: Watts,
    /// Writing one SRAM sub-array (all rows).
    pub sram_subarray_write_time: Seconds,
    pub sram_subarray_write_energy: Joules,
    /// Area of one tile by component (the chip's global buffer, H-tree and
    /// adders included pro rata).
    pub tile_area: TileArea,
}

/// The area of one tile of the calibration chip, by NeuroSim's categories.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct TileArea {
    pub arrays: SquareMm,
    pub adc: SquareMm,
    pub accumulation: SquareMm,
    pub interconnect: SquareMm,
    pub other: SquareMm,
    /// The part of the chip area NeuroSim's categories leave out.
    pub unattributed: SquareMm,
}

impl TileArea {
    pub fn total(&self) -> SquareMm {
        self.arrays
            + self.adc
            + self.accumulation
            + self.interconnect
            + self.other
            + self.unattributed
    }
}

/// Chip-wide quantities a layer's cost depends on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Context {
    /// Width of the chip bus, bits.
    pub bus_width: f64,
    /// Global-buffer cores that work in parallel.
    pub buffer_parallel: f64,
}

/// What one part of one layer does for one image: the counts the unit costs
/// multiply. The calibration fits the costs against these same counts.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Features {
    pub compute_steps: f64,
    pub activation_cycles: f64,
    pub pool_cycles: f64,
    pub tile_accumulations: f64,
    pub global_accumulations: f64,
    pub tile_buffer_in_bits: f64,
    pub tile_buffer_out_bits: f64,
    pub global_buffer_bits: f64,
    pub chip_htree_pitch_transfers: f64,
    pub tile_htree_pitch_transfers: f64,
    pub conversions: f64,
    pub chip_wire_bit_pitches: f64,
    pub tile_wire_bit_pitches: f64,
    pub tile_buffered_bits: f64,
    pub global_buffered_bits: f64,
}

impl Features {
    /// The counts of one part of `layer` (all of it unless split), with `td`
    /// tile copies using `tiles_used` tiles.
    pub fn new(
        chip: &Chip,
        ctx: &Context,
        layer: &LayerShape,
        map: &LayerMap,
        td: u64,
        tiles_used: u64,
    ) -> Features {
        let c = &chip.config;
        let b = c.operands.input_bits as f64;
        let v = layer.vectors().max(1) as f64;
        let td_f = td.max(1) as f64;
        let rows = map.part_rows as f64;
        let cols = map.part_cols as f64;
        let outputs = (map.part_cols.div_ceil(chip.columns_per_weight)) as f64;
        let (row_tiles, col_tiles) = map.part_tile_blocks(chip);
        let tile_r = map.part_rows.min(chip.tile_rows) as f64;
        let tile_outputs = map
            .part_cols
            .min(chip.tile_cols)
            .div_ceil(chip.columns_per_weight) as f64;
        let psum = chip.tile_output_bits as f64;
        let units = chip.activation_units as f64;
        let pf = layer.pool_factor.max(1.0);

        // Bits between the global buffer and the tiles: the inputs of every
        // vector go out, the (pooled) outputs come back.
        let to_tiles = rows * b * v;
        let from_tiles = outputs * b * v / pf;
        let share = (ctx.bus_width * tiles_used as f64 / chip.tiles as f64)
            .ceil()
            .max(1.0);
        let chip_transfers = ((to_tiles + from_tiles) / share).ceil();
        let tile_bits_in = tile_r * v * b;
        let tile_bits_out = tile_outputs * psum * v;
        let tile_transfers = (tile_bits_in + tile_bits_out) / chip.tile_cols as f64;

        Features {
            compute_steps: v / (map.subarray_dup * map.pe_dup) as f64 / td_f
                * chip.steps_per_vector() as f64,
            activation_cycles: (v * outputs / units).ceil(),
            pool_cycles: if layer.pooled() {
                (v * outputs / pf / units).ceil()
            } else {
                0.0
            },
            tile_accumulations: if map.part_rows > chip.pe_rows {
                v / td_f
            } else {
                0.0
            },
            global_accumulations: if row_tiles > 1 {
                (v * outputs / units).ceil()
            } else {
                0.0
            },
            tile_buffer_in_bits: tile_bits_in / td_f,
            tile_buffer_out_bits: tile_bits_out / td_f,
            global_buffer_bits: (to_tiles + from_tiles) / ctx.buffer_parallel.max(1.0),
            chip_htree_pitch_transfers: chip_transfers * chip.chip_htree_pitches,
            tile_htree_pitch_transfers: tile_transfers * chip.tile_htree_pitches / td_f,
            conversions: v * b * map.part_rows.div_ceil(chip.subarray_rows) as f64 * cols,
            chip_wire_bit_pitches: chip.chip_htree_pitches
                * (c.input_toggle * to_tiles + c.output_toggle * from_tiles),
            tile_wire_bit_pitches: chip.tile_htree_pitches
                * (c.input_toggle * rows * b * v * col_tiles as f64
                    + c.output_toggle * outputs * psum * v * row_tiles as f64),
            tile_buffered_bits: (rows * b * col_tiles as f64 + outputs * psum * row_tiles as f64)
                * v,
            global_buffered_bits: to_tiles + from_tiles,
        }
    }
}

/// Read latency of one layer part for one image, by component.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct ReadLatency {
    pub compute: Seconds,
    pub activation_pool: Seconds,
    pub accumulation: Seconds,
    pub buffer: Seconds,
    pub interconnect: Seconds,
}

impl ReadLatency {
    pub fn total(&self) -> Seconds {
        self.compute + self.activation_pool + self.accumulation + self.buffer + self.interconnect
    }
    pub fn scaled(self, k: f64) -> ReadLatency {
        ReadLatency {
            compute: self.compute * k,
            activation_pool: self.activation_pool * k,
            accumulation: self.accumulation * k,
            buffer: self.buffer * k,
            interconnect: self.interconnect * k,
        }
    }
}

/// Read (dynamic) energy of one layer part for one image, by component.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct ReadEnergy {
    pub adc: Joules,
    pub accumulation: Joules,
    pub periphery: Joules,
    pub interconnect: Joules,
    pub buffer: Joules,
}

impl ReadEnergy {
    pub fn total(&self) -> Joules {
        self.adc + self.accumulation + self.periphery + self.interconnect + self.buffer
    }
    pub fn scaled(self, k: f64) -> ReadEnergy {
        ReadEnergy {
            adc: self.adc * k,
            accumulation: self.accumulation * k,
            periphery: self.periphery * k,
            interconnect: self.interconnect * k,
            buffer: self.buffer * k,
        }
    }
}

impl Circuit {
    pub fn latency(&self, f: &Features) -> ReadLatency {
        ReadLatency {
            compute: self.read_step * f.compute_steps,
            activation_pool: self.activation_cycle * f.activation_cycles
                + self.pool_cycle * f.pool_cycles,
            accumulation: self.tile_accumulation * f.tile_accumulations
                + self.global_accumulation * f.global_accumulations,
            buffer: self.tile_buffer_in * f.tile_buffer_in_bits
                + self.tile_buffer_out * f.tile_buffer_out_bits
                + self.global_buffer * f.global_buffer_bits,
            interconnect: self.chip_htree * f.chip_htree_pitch_transfers
                + self.tile_htree * f.tile_htree_pitch_transfers,
        }
    }

    pub fn energy(&self, f: &Features) -> ReadEnergy {
        ReadEnergy {
            adc: self.adc * f.conversions,
            accumulation: self.accumulation * f.conversions,
            periphery: self.periphery * f.conversions,
            interconnect: self.chip_wire * f.chip_wire_bit_pitches
                + self.tile_wire * f.tile_wire_bit_pitches,
            buffer: self.tile_buffer_energy * f.tile_buffered_bits
                + self.global_buffer_energy * f.global_buffered_bits,
        }
    }
}
