//! H-tree interconnect geometry as DNN+NeuroSim builds it (`HTree.cpp`,
//! V1.4), for chips of tiles and tiles of processing elements (PEs).
//!
//! NeuroSim sizes an H-tree over `rows x cols` leaves to the next power of two,
//! `2^k` with `k = ceil(log2(max(rows, cols)))` (`numStage = 2k + 1`), so a 6x6
//! chip is wired like an 8x8 one. From the root, the tree halves its wire
//! length at every vertical and horizontal stage; a root-to-leaf transfer
//! travels
//!
//! ```text
//! L = (2^k - 1) (h + w)  +  2^(k-1) w
//! ```
//!
//! leaf pitches, where `h` and `w` are the leaf height and width and the last
//! term is the "main bus" from the tree root to the nearest chip edge, where
//! the global buffer sits. The latency and energy of a transfer grow with `L`
//! (repeated wires: a constant delay and energy per unit length), so an
//! interconnect term proportional to `L` grows with chip size the way
//! NeuroSim's does.
//!
//! NeuroSim also derives the width of the chip-level bus from the layers it
//! serves: the tile widths the layers ask for are summed, then halved until at
//! most the `maxGlobalBusWidth` parameter ([`halved_bus_width`]).
use serde::{Deserialize, Serialize};

/// An H-tree over a `rows x cols` array of equal leaves (tiles or PEs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HTree {
    pub rows: u32,
    pub cols: u32,
}

impl HTree {
    pub fn new(rows: u32, cols: u32) -> Self {
        HTree {
            rows: rows.max(1),
            cols: cols.max(1),
        }
    }

    /// `k`: the tree spans `2^k x 2^k` leaves.
    pub fn levels(&self) -> u32 {
        let side = self.rows.max(self.cols).max(1);
        side.next_power_of_two().trailing_zeros()
    }

    /// Leaves per side of the tree as NeuroSim wires it (`2^k`).
    pub fn side(&self) -> u32 {
        1 << self.levels()
    }

    /// Root-to-leaf wire length in units of the leaf pitch, for leaves of
    /// height `h` and width `w` (in any unit; 1 and 1 for square leaves).
    pub fn root_to_leaf(&self, h: f64, w: f64) -> f64 {
        let n = self.side() as f64;
        (n - 1.0) * (h + w) + 0.5 * n * w
    }

    /// The same for square leaves, in leaf pitches: 8 for a 4x4 tree, 18 for
    /// a 6x6 (wired as 8x8) tree.
    pub fn root_to_leaf_pitches(&self) -> f64 {
        self.root_to_leaf(1.0, 1.0)
    }
}

/// NeuroSim's chip bus width (`ChipInitialize`): `requested` bits (the sum of
/// the widths the mapped layers ask for) halved until at most `max_bits`.
pub fn halved_bus_width(requested: f64, max_bits: f64) -> f64 {
    let mut w = requested.max(1.0);
    let max = max_bits.max(1.0);
    while w > max {
        w /= 2.0;
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_follow_neurosim_geometry() {
        assert_eq!(HTree::new(4, 4).levels(), 2);
        assert_eq!(HTree::new(4, 4).root_to_leaf_pitches(), 8.0);
        // 6x6 is wired as 8x8: 7 + 7 + 4 pitches.
        assert_eq!(HTree::new(6, 6).side(), 8);
        assert_eq!(HTree::new(6, 6).root_to_leaf_pitches(), 18.0);
        assert_eq!(HTree::new(9, 9).root_to_leaf_pitches(), 15.0 * 2.0 + 8.0);
        assert_eq!(HTree::new(1, 1).root_to_leaf_pitches(), 0.5);
        // A tall leaf lengthens the vertical stages only.
        assert_eq!(HTree::new(4, 4).root_to_leaf(2.0, 1.0), 3.0 * 3.0 + 2.0);
    }

    #[test]
    fn bus_width_halves_until_it_fits() {
        // VGG-8 on the compact chip: 8 layers x (2048 + 256) bits requested.
        assert_eq!(halved_bus_width(8.0 * 2304.0, 2048.0), 1152.0);
        assert_eq!(halved_bus_width(1000.0, 2048.0), 1000.0);
    }
}
