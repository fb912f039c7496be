//! How one layer's weights lie on the chip (the authors' `Chip.cpp`:
//! `SubArrayDup`, `PeDup`, the tile counts, and the split of a layer larger
//! than the chip).
//!
//! ```text
//! rows R = K^2 Cin, columns C = Cout x columns per weight, vectors V = H W
//! tiles per copy      n = ceil(R / T) ceil(C / T)              (T: tile size)
//! sub-array copies    floor(subarrays per PE / (ceil(R/r) ceil(C/c)))  if R <= P or C <= P
//! PE copies           every PE if sub-arrays are copied, else floor(PEs / (ceil(R/P) ceil(C/P)))  if R <= T or C <= T
//! both at least 1, their product at most V; fully connected layers (V = 1) are never copied
//! ```
use crate::chip::Chip;
use crate::layers::LayerShape;
use crate::preset::Split;

/// One layer on the chip, before tile duplication.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerMap {
    /// Cell rows and columns of the whole weight matrix.
    pub rows: u64,
    pub cols: u64,
    /// Tiles one copy of the whole layer needs (`n`, what grouping counts).
    pub tiles: u64,
    /// Copies inside each PE and across the PEs of a tile.
    pub subarray_dup: u64,
    pub pe_dup: u64,
    /// Parts of an oversized layer, `(row parts, column parts)`; `(1, 1)` when
    /// the layer fits the chip.
    pub parts: (u64, u64),
    /// Cell rows and columns of one part.
    pub part_rows: u64,
    pub part_cols: u64,
    /// Halvings beyond the authors' count that were needed for a part to fit
    /// (0 unless their count left a part larger than the chip).
    pub extra_halvings: u32,
}

impl LayerMap {
    pub fn new(chip: &Chip, layer: &LayerShape, split: Split) -> LayerMap {
        let rows = layer.rows().max(1);
        let cols = (layer.outputs * chip.columns_per_weight).max(1);
        let tiles = tiles_for(chip, rows, cols);
        let max_dup = layer.vectors().max(1);
        let fully_connected = layer.vectors() == 1;

        // Copies of the matrix inside one PE (SubArrayDup).
        let subarray_dup = if fully_connected {
            1
        } else if rows <= chip.pe_rows || cols <= chip.pe_cols {
            let need = rows.div_ceil(chip.subarray_rows) * cols.div_ceil(chip.subarray_cols);
            clamp_dup((chip.subarrays_per_pe / need).max(1), 1, max_dup)
        } else {
            1
        };
        // Copies across the PEs of one tile (PeDup).
        let pe_dup = if fully_connected {
            1
        } else {
            let want = if subarray_dup > 1 {
                chip.pes_per_tile
            } else if rows <= chip.tile_rows || cols <= chip.tile_cols {
                let need = rows.div_ceil(chip.pe_rows) * cols.div_ceil(chip.pe_cols);
                (chip.pes_per_tile / need).max(1)
            } else {
                1
            };
            clamp_dup(want, subarray_dup, max_dup)
        };

        let (mut row_halvings, mut col_halvings) = (0u32, 0u32);
        let (mut part_rows, mut part_cols) = (rows, cols);
        let mut extra_halvings = 0;
        if tiles > chip.tiles {
            let halve = |r: &mut u64, c: &mut u64, rh: &mut u32, ch: &mut u32| {
                if *c > *r {
                    *c /= 2;
                    *ch += 1;
                } else {
                    *r /= 2;
                    *rh += 1;
                }
            };
            if split == Split::Authors {
                // `flag = ceil(n / N); flag = ceil(flag / 2)` in integers.
                let halvings = tiles.div_ceil(chip.tiles) / 2;
                for _ in 0..halvings {
                    halve(
                        &mut part_rows,
                        &mut part_cols,
                        &mut row_halvings,
                        &mut col_halvings,
                    );
                }
            }
            // Both settings end with a part that fits: the authors' count can
            // leave one that does not (their code then computes only the tiles
            // that exist), so we keep halving and count the halvings it took.
            while tiles_for(chip, part_rows.max(1), part_cols.max(1)) > chip.tiles
                && (part_rows > 1 || part_cols > 1)
            {
                halve(
                    &mut part_rows,
                    &mut part_cols,
                    &mut row_halvings,
                    &mut col_halvings,
                );
                if split == Split::Authors {
                    extra_halvings += 1;
                }
            }
        }
        LayerMap {
            rows,
            cols,
            tiles,
            subarray_dup,
            pe_dup,
            parts: (1u64 << row_halvings.min(62), 1u64 << col_halvings.min(62)),
            part_rows: part_rows.max(1),
            part_cols: part_cols.max(1),
            extra_halvings,
        }
    }

    /// Parts the layer is split into (1 when it fits).
    pub fn part_count(&self) -> u64 {
        self.parts.0 * self.parts.1
    }

    pub fn is_split(&self) -> bool {
        self.part_count() > 1
    }

    /// Tiles one copy of one part occupies.
    pub fn part_tiles(&self, chip: &Chip) -> u64 {
        tiles_for(chip, self.part_rows, self.part_cols)
    }

    /// Tile-row and tile-column blocks of one part.
    pub fn part_tile_blocks(&self, chip: &Chip) -> (u64, u64) {
        (
            self.part_rows.div_ceil(chip.tile_rows),
            self.part_cols.div_ceil(chip.tile_cols),
        )
    }
}

/// Tiles a `rows x cols` cell matrix needs.
pub fn tiles_for(chip: &Chip, rows: u64, cols: u64) -> u64 {
    rows.div_ceil(chip.tile_rows) * cols.div_ceil(chip.tile_cols)
}

/// The authors' clipping of a copy count: `dup x other` must lie in
/// `[1, max]`; otherwise the count is lowered until it does (at least 1).
pub fn clamp_dup(dup: u64, other: u64, max: u64) -> u64 {
    let other = other.max(1);
    let mut d = dup.max(1);
    while d > 1 && d * other > max {
        d -= 1;
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calibration::{authors_chip, vgg8_layers};

    #[test]
    fn vgg8_maps_as_the_authors_output_says() {
        let chip = Chip::new(authors_chip((4, 4))).unwrap();
        let maps: Vec<LayerMap> = vgg8_layers()
            .iter()
            .map(|l| LayerMap::new(&chip, l, Split::Authors))
            .collect();
        let tiles: Vec<u64> = maps.iter().map(|m| m.tiles).collect();
        assert_eq!(tiles, [1, 1, 1, 2, 4, 6, 16, 1]);
        let dups: Vec<(u64, u64)> = maps.iter().map(|m| (m.subarray_dup, m.pe_dup)).collect();
        assert_eq!(
            dups,
            [
                (2, 16),
                (1, 2),
                (1, 1),
                (1, 1),
                (1, 1),
                (1, 1),
                (1, 1),
                (1, 1)
            ]
        );
        assert!(maps.iter().all(|m| !m.is_split()));
    }

    #[test]
    fn an_oversized_layer_is_split_in_halves() {
        // AlexNet-CIFAR's fc 4096 -> 4096: 32 tiles on a 16-tile chip, split
        // in two column parts (authors' output: "Col partition of this layer: 2").
        let chip = Chip::new(authors_chip((4, 4))).unwrap();
        let fc = LayerShape::from_table_row("fc2", [1, 1, 4096, 1, 1, 4096, 0]);
        let m = LayerMap::new(&chip, &fc, Split::Authors);
        assert_eq!((m.tiles, m.parts, m.part_tiles(&chip)), (32, (1, 2), 16));
        // Three chips' worth: the authors' count halves once (2 parts of 24
        // tiles); both settings keep halving until a part fits.
        let big = LayerShape::from_table_row("big", [1, 1, 6144, 1, 1, 4096, 0]);
        let a = LayerMap::new(&chip, &big, Split::Authors);
        let c = LayerMap::new(&chip, &big, Split::Corrected);
        assert!(a.part_tiles(&chip) <= 16 && c.part_tiles(&chip) <= 16);
        assert_eq!(a.extra_halvings, 1);
        assert_eq!(c.extra_halvings, 0);
    }
}
