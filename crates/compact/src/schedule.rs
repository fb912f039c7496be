//! Which layers share the chip, and how many copies of each: the grouping of
//! layers that fit, the Dynamic Duplication Method (DDM) against pipeline
//! bubbles, and the layer-by-layer duplication (the authors' `main.cpp`
//! dispatch and `Chip.cpp` `TileDup`).
use crate::layers::LayerShape;
use crate::mapping::{clamp_dup, LayerMap};
use crate::preset::{DuplicationLoop, Mode};
use std::ops::Range;

/// The execution mode the dispatch picked for a network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Execution {
    /// RP: groups, layers one after another, one copy per layer.
    Raw,
    /// LP: one layer at a time on the whole chip.
    LayerByLayer,
    /// FPP: every layer resident, one pipeline.
    FullPipeline,
    /// PPP: groups that fit, each a pipeline.
    PartialPipeline,
}

impl Execution {
    pub fn name(self) -> &'static str {
        match self {
            Execution::Raw => "RP (raw processing, the baseline)",
            Execution::LayerByLayer => "LP (layer by layer, low latency)",
            Execution::FullPipeline => "FPP (full pipeline)",
            Execution::PartialPipeline => "PPP (partial pipeline)",
        }
    }
    pub fn is_pipeline(self) -> bool {
        matches!(self, Execution::FullPipeline | Execution::PartialPipeline)
    }
}

/// Groups and tile copies of every layer.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    pub execution: Execution,
    /// Consecutive layers loaded together (one group per layer in LP).
    pub groups: Vec<Range<usize>>,
    /// Copies of each layer on separate tiles (`tileDup`).
    pub tile_dup: Vec<u64>,
}

impl Schedule {
    /// Dispatch as the authors' `main.cpp` does and duplicate as `TileDup` does.
    pub fn new(
        mode: Mode,
        layers: &[LayerShape],
        maps: &[LayerMap],
        chip_tiles: u64,
        chip_grid: (u64, u64),
        tile_size: (u64, u64),
        duplication: DuplicationLoop,
    ) -> Schedule {
        let n: Vec<u64> = maps.iter().map(|m| m.tiles).collect();
        let total: u64 = n.iter().sum();
        let ones = vec![1; layers.len()];
        match mode {
            Mode::RawProcessing => Schedule {
                execution: Execution::Raw,
                groups: greedy_groups(&n, chip_tiles),
                tile_dup: ones,
            },
            Mode::LayerByLayer => Schedule {
                execution: Execution::LayerByLayer,
                groups: (0..layers.len()).map(|i| i..i + 1).collect(),
                tile_dup: layers
                    .iter()
                    .zip(maps)
                    .map(|(l, m)| layer_by_layer_dup(l, m, chip_tiles, chip_grid, tile_size))
                    .collect(),
            },
            Mode::Pipeline {
                dynamic_duplication,
            } => {
                let full = total <= chip_tiles;
                let groups = if full {
                    std::iter::once(0..layers.len()).collect()
                } else {
                    greedy_groups(&n, chip_tiles)
                };
                let mut tile_dup = ones;
                if dynamic_duplication {
                    for g in &groups {
                        let slice = Candidates {
                            layers: &layers[g.clone()],
                            maps: &maps[g.clone()],
                        };
                        let dups = match (duplication, full) {
                            (DuplicationLoop::Authors, true) => slice.authors_full(chip_tiles),
                            (DuplicationLoop::Authors, false) => slice.authors_partial(chip_tiles),
                            (DuplicationLoop::Corrected, _) => slice.corrected(chip_tiles),
                        };
                        tile_dup[g.clone()].copy_from_slice(&dups);
                    }
                }
                Schedule {
                    execution: if full {
                        Execution::FullPipeline
                    } else {
                        Execution::PartialPipeline
                    },
                    groups,
                    tile_dup,
                }
            }
        }
    }

    /// The group holding layer `i`.
    pub fn group_of(&self, i: usize) -> usize {
        self.groups.iter().position(|g| g.contains(&i)).unwrap_or(0)
    }
}

/// Greedy in-order packing of unduplicated tile counts: a group starts at the
/// next layer and takes the following layers while their sum fits; a layer
/// larger than the chip is a group of its own.
pub fn greedy_groups(tiles: &[u64], chip_tiles: u64) -> Vec<Range<usize>> {
    let mut groups = Vec::new();
    let mut i = 0;
    while i < tiles.len() {
        let mut end = i + 1;
        if tiles[i] <= chip_tiles {
            let mut sum = tiles[i];
            while end < tiles.len() && sum + tiles[end] <= chip_tiles {
                sum += tiles[end];
                end += 1;
            }
        }
        groups.push(i..end);
        i = end;
    }
    groups
}

/// LP: the whole chip for one layer (`TileDup`, `layer_by_layer` branch).
fn layer_by_layer_dup(
    layer: &LayerShape,
    map: &LayerMap,
    chip_tiles: u64,
    grid: (u64, u64),
    tile: (u64, u64),
) -> u64 {
    if layer.vectors() == 1 {
        return 1;
    }
    let actual = if map.pe_dup > 1 {
        chip_tiles
    } else if map.rows <= tile.0 * grid.0 && map.cols <= tile.1 * grid.1 {
        (chip_tiles / map.tiles.max(1)).max(1)
    } else {
        1
    };
    clamp_dup(actual, map.subarray_dup * map.pe_dup, layer.vectors())
}

/// The layers of one group, as the DDM sees them.
struct Candidates<'a> {
    layers: &'a [LayerShape],
    maps: &'a [LayerMap],
}

impl Candidates<'_> {
    fn len(&self) -> usize {
        self.layers.len()
    }
    fn tiles(&self, i: usize) -> u64 {
        self.maps[i].tiles
    }
    fn vectors(&self, i: usize) -> u64 {
        self.layers[i].vectors().max(1)
    }
    fn inner_dup(&self, i: usize) -> u64 {
        self.maps[i].subarray_dup * self.maps[i].pe_dup
    }
    /// The free tiles and the smallest layer of the group.
    fn budget(&self, chip_tiles: u64) -> (i64, u64) {
        let used: u64 = (0..self.len()).map(|i| self.tiles(i)).sum();
        let smallest = (0..self.len()).map(|i| self.tiles(i)).min().unwrap_or(1);
        (chip_tiles as i64 - used as i64, smallest)
    }
    /// Undo copies beyond the layer's input vectors (the authors decrement
    /// until `dup x inner <= V`).
    fn clip(&self, i: usize, dup: &mut u64) {
        *dup = clamp_dup(*dup, self.inner_dup(i), self.vectors(i));
    }

    /// The PPP branch of `TileDup` as released: predictor
    /// `ceil(V / (sa pe tile))`, bottleneck search starting from the group's
    /// last layer with a strict `<`, and the `flag`/`tag` bookkeeping that
    /// ends the loop once a layer could not be copied.
    fn authors_partial(&self, chip_tiles: u64) -> Vec<u64> {
        let len = self.len();
        let mut dup = vec![1u64; len];
        let (mut extra, smallest) = self.budget(chip_tiles);
        let mut blocked: Vec<usize> = Vec::new();
        let (mut flag, mut tag) = (true, true);
        let mut guard = 0;
        while extra >= smallest as i64 && tag && guard < 100_000 {
            guard += 1;
            let t: Vec<u64> = (0..len)
                .map(|j| self.vectors(j).div_ceil(self.inner_dup(j) * dup[j]))
                .collect();
            let mut b = len - 1;
            for j in 0..len {
                if flag {
                    if t[b] < t[j] {
                        b = j;
                    }
                } else {
                    for &k in &blocked {
                        if t[b] < t[j] && j != k {
                            b = j;
                            tag = true;
                        } else {
                            tag = false;
                        }
                    }
                }
            }
            if self.tiles(b) as i64 <= extra {
                flag = true;
                extra -= self.tiles(b) as i64;
                dup[b] += 1;
                if self.vectors(b) == 1 {
                    // A fully connected layer cannot use a copy: it is undone,
                    // its tiles stay spent, and the loop ends.
                    dup[b] = 1;
                    break;
                } else if dup[b] * self.inner_dup(b) > self.vectors(b) {
                    flag = false;
                    self.clip(b, &mut dup[b]);
                }
            } else {
                flag = false;
                blocked.push(b);
            }
        }
        dup
    }

    /// The FPP branch of `TileDup` as released: predictor truncated
    /// `floor(V / (sa pe tile))`, bottleneck search from the first layer.
    /// Its loop can spin forever when the first layer is the blocked
    /// bottleneck; the guard stops it there with the copies made so far.
    fn authors_full(&self, chip_tiles: u64) -> Vec<u64> {
        let len = self.len();
        let mut dup = vec![1u64; len];
        let (mut extra, smallest) = self.budget(chip_tiles);
        let mut blocked: Vec<usize> = Vec::new();
        let mut flag = true;
        let mut last_blocked: Option<(usize, i64)> = None;
        let mut guard = 0;
        while extra >= smallest as i64 && guard < 100_000 {
            guard += 1;
            let t: Vec<u64> = (0..len)
                .map(|j| self.vectors(j) / (self.inner_dup(j) * dup[j]))
                .collect();
            let mut b = 0;
            for j in 0..len {
                if flag {
                    if t[b] < t[j] {
                        b = j;
                    }
                } else {
                    for &k in &blocked {
                        if t[b] < t[j] && j != k {
                            b = j;
                        }
                    }
                }
            }
            if self.tiles(b) as i64 <= extra {
                flag = true;
                extra -= self.tiles(b) as i64;
                dup[b] += 1;
                if self.vectors(b) == 1 {
                    dup[b] = 1;
                    break;
                } else if dup[b] * self.inner_dup(b) > self.vectors(b) {
                    self.clip(b, &mut dup[b]);
                }
            } else {
                if last_blocked == Some((b, extra)) {
                    // The same layer blocked twice with nothing changed: the
                    // released loop would never end.
                    break;
                }
                last_blocked = Some((b, extra));
                flag = false;
                blocked.push(b);
            }
        }
        dup
    }

    /// Copies go one at a time to the layer with the most sequential rounds
    /// among those that can still use one (not fully connected, not at their
    /// maximum); a layer whose tiles do not fit the free ones is skipped, and
    /// the loop ends when no layer can take a copy.
    fn corrected(&self, chip_tiles: u64) -> Vec<u64> {
        let len = self.len();
        let mut dup = vec![1u64; len];
        let (mut extra, _) = self.budget(chip_tiles);
        let mut open: Vec<bool> = (0..len)
            .map(|j| self.vectors(j) > 1 && (dup[j] + 1) * self.inner_dup(j) <= self.vectors(j))
            .collect();
        loop {
            let t = |j: usize, d: &[u64]| self.vectors(j).div_ceil(self.inner_dup(j) * d[j]);
            let Some(b) = (0..len)
                .filter(|&j| open[j])
                .max_by(|&a, &b| t(a, &dup).cmp(&t(b, &dup)).then(b.cmp(&a)))
            else {
                break;
            };
            if self.tiles(b) as i64 <= extra {
                extra -= self.tiles(b) as i64;
                dup[b] += 1;
                open[b] = (dup[b] + 1) * self.inner_dup(b) <= self.vectors(b);
            } else {
                open[b] = false;
            }
        }
        dup
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calibration::{authors_chip, vgg8_layers};
    use crate::chip::Chip;
    use crate::preset::Split;

    fn vgg8(side: u32, mode: Mode, dl: DuplicationLoop) -> Schedule {
        let chip = Chip::new(authors_chip((side, side))).unwrap();
        let layers = vgg8_layers();
        let maps: Vec<LayerMap> = layers
            .iter()
            .map(|l| LayerMap::new(&chip, l, Split::Authors))
            .collect();
        Schedule::new(
            mode,
            &layers,
            &maps,
            chip.tiles,
            (side as u64, side as u64),
            (chip.tile_rows, chip.tile_cols),
            dl,
        )
    }
    const DDM: Mode = Mode::Pipeline {
        dynamic_duplication: true,
    };

    #[test]
    fn vgg8_on_the_compact_chip_is_three_groups_with_layer2_copied() {
        let s = vgg8(4, DDM, DuplicationLoop::Authors);
        assert_eq!(s.execution, Execution::PartialPipeline);
        assert_eq!(s.groups, vec![0..6, 6..7, 7..8]);
        assert_eq!(s.tile_dup, [1, 2, 1, 1, 1, 1, 1, 1]);
        let raw = vgg8(4, Mode::RawProcessing, DuplicationLoop::Authors);
        assert_eq!(raw.groups, s.groups);
        assert_eq!(raw.tile_dup, [1; 8]);
    }

    #[test]
    fn vgg8_on_the_6x6_chip_is_one_pipeline() {
        // Authors' output FPP_VGG8_6x6: tile copies 1, 4, 2, 1, 1, 1, 1, 1.
        let s = vgg8(6, DDM, DuplicationLoop::Authors);
        assert_eq!(s.execution, Execution::FullPipeline);
        assert_eq!(s.tile_dup, [1, 4, 2, 1, 1, 1, 1, 1]);
    }

    #[test]
    fn layer_by_layer_copies_match_the_authors_output() {
        // LP_VGG8_4x4: tile copies 16, 16, 16, 8, 4, 2, 1, 1.
        let s = vgg8(4, Mode::LayerByLayer, DuplicationLoop::Authors);
        assert_eq!(s.tile_dup, [16, 16, 16, 8, 4, 2, 1, 1]);
    }

    #[test]
    fn the_corrected_loop_never_spends_more_tiles_than_are_free() {
        let s = vgg8(6, DDM, DuplicationLoop::Corrected);
        let chip = Chip::new(authors_chip((6, 6))).unwrap();
        let maps: Vec<LayerMap> = vgg8_layers()
            .iter()
            .map(|l| LayerMap::new(&chip, l, Split::Authors))
            .collect();
        let used: u64 = maps.iter().zip(&s.tile_dup).map(|(m, d)| m.tiles * d).sum();
        assert!(used <= 36, "{used}");
        assert!(s.tile_dup[1] > 1);
    }

    #[test]
    fn greedy_groups_split_at_the_chip_size() {
        assert_eq!(
            greedy_groups(&[1, 1, 1, 2, 4, 6, 16, 1], 16),
            vec![0..6, 6..7, 7..8]
        );
        assert_eq!(greedy_groups(&[20, 1, 30], 16), vec![0..1, 1..2, 2..3]);
        assert_eq!(greedy_groups(&[], 16), Vec::<Range<usize>>::new());
    }
}
