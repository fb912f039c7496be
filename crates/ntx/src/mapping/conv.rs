//! Convolutions on the five hardware loops (one image at a time, CHW layout).
//!
//! **Forward** (and backward-data, as a stride-1 convolution of the output
//! gradient with the rotated kernel, one per stride phase): a tile holds
//! `ci_t` input channels of an `h_t x w_t` output block (with its halo),
//! `co_t x ci_t` kernels and `co_t` output planes. Each engine runs one MAC
//! command per output channel:
//!
//! ```text
//! loops [kw, kh, ci_t, w_t, h_t], init = inner = 3:   C_cmd = 1 + h_t w_t (kh kw ci_t + 1)
//! ```
//!
//! **Weight gradient**: a tile holds the input block, the output-gradient
//! block and a `co_t x ci_t x kh x kw` gradient block that stays resident
//! while the images and spatial blocks stream past; per output channel
//!
//! ```text
//! loops [w_t, h_t, kw, kh, ci_t], init = inner = 2 (init loads the running sum):
//! C_cmd = 1 + kh kw ci_t (h_t w_t + 1)
//! ```
//!
//! Tile sizes are searched (halvings of each dimension) for the shortest
//! time on the cube, every candidate double-buffered in the TCDM.
use crate::engine::{Command, Opcode};
use crate::mapping::gemm::two_orders;
use crate::mapping::{halvings, MapError};
use crate::schedule::{Machine, Plan, PlanCost, TileGroup};
use pimzoo_ir::{Layer, Op};

/// One convolution as the mapping sees it (per image).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConvShape {
    pub cin: u64,
    pub cout: u64,
    pub groups: u64,
    /// Output height and width.
    pub ho: u64,
    pub wo: u64,
    /// Kernel taps.
    pub kh: u64,
    pub kw: u64,
    pub sh: u64,
    pub sw: u64,
    pub dh: u64,
    pub dw: u64,
    /// Padded input extent (the most an input block can span).
    pub hp: u64,
    pub wp: u64,
}

impl ConvShape {
    /// The forward convolution of a `Conv2d` layer.
    pub fn of(layer: &Layer) -> Option<ConvShape> {
        let Op::Conv2d(c) = &layer.op else {
            return None;
        };
        let (cin, h, w) = match *layer.input_shapes.first()?.dims() {
            [c, h, w] => (c as u64, h as u64, w as u64),
            _ => return None,
        };
        let (ho, wo) = match *layer.output.dims() {
            [_, h, w] => (h as u64, w as u64),
            _ => return None,
        };
        Some(ConvShape {
            cin,
            cout: c.out as u64,
            groups: c.groups as u64,
            ho,
            wo,
            kh: c.kernel.h as u64,
            kw: c.kernel.w as u64,
            sh: c.stride.h as u64,
            sw: c.stride.w as u64,
            dh: c.dilation.h as u64,
            dw: c.dilation.w as u64,
            hp: h + 2 * c.padding.h as u64,
            wp: w + 2 * c.padding.w as u64,
        })
    }

    fn cig(&self) -> u64 {
        self.cin / self.groups
    }
    fn cog(&self) -> u64 {
        self.cout / self.groups
    }

    /// Input rows (or columns) an output block of `t` rows needs.
    fn halo(t: u64, stride: u64, taps: u64, dilation: u64, padded: u64) -> u64 {
        ((t - 1) * stride + (taps - 1) * dilation + 1).min(padded)
    }

    /// The backward-data pass as stride-1 convolutions of the output
    /// gradient: one per stride phase `(ry, rx)` with the kernel taps that
    /// fall on that phase, `(shape, phases with that shape)`; phases with no
    /// tap are returned as a count of input-gradient elements to zero-fill.
    pub fn backward_data(&self, h_in: u64, w_in: u64) -> (Vec<(ConvShape, u64)>, u64) {
        let taps = |k: u64, s: u64, r: u64| if r < k { (k - r).div_ceil(s) } else { 0 };
        let mut phases: Vec<(ConvShape, u64)> = Vec::new();
        let mut zero = 0;
        for ry in 0..self.sh {
            for rx in 0..self.sw {
                let (th, tw) = (taps(self.kh, self.sh, ry), taps(self.kw, self.sw, rx));
                let (oh, ow) = (
                    h_in.saturating_sub(ry).div_ceil(self.sh),
                    w_in.saturating_sub(rx).div_ceil(self.sw),
                );
                if oh == 0 || ow == 0 {
                    continue;
                }
                if th == 0 || tw == 0 {
                    zero += self.cin * oh * ow;
                    continue;
                }
                // Stride phases are dense: dilation only for stride 1.
                let (dh, dw) = if self.sh == 1 && self.sw == 1 {
                    (self.dh, self.dw)
                } else {
                    (1, 1)
                };
                let shape = ConvShape {
                    cin: self.cout,
                    cout: self.cin,
                    groups: self.groups,
                    ho: oh,
                    wo: ow,
                    kh: th,
                    kw: tw,
                    sh: 1,
                    sw: 1,
                    dh,
                    dw,
                    hp: oh + (th - 1) * dh,
                    wp: ow + (tw - 1) * dw,
                };
                match phases.iter_mut().find(|(s, _)| *s == shape) {
                    Some((_, n)) => *n += 1,
                    None => phases.push((shape, 1)),
                }
            }
        }
        (phases, zero)
    }
}

/// Output-channel tile sizes: from the engine count doubling to all output
/// channels, each either within one group or a whole number of groups.
fn channel_tiles(s: &ConvShape, engines: u64) -> Vec<u64> {
    let cog = s.cog();
    let mut v: Vec<u64> = Vec::new();
    let mut x = engines.min(s.cout).max(1);
    loop {
        if x <= cog || x % cog == 0 {
            v.push(x);
        }
        if x >= s.cout {
            break;
        }
        x = (x * 2).min(s.cout);
    }
    if !v.contains(&cog.min(s.cout)) {
        v.push(cog.min(s.cout));
    }
    v
}

struct Candidate {
    co_t: u64,
    ci_t: u64,
    h_t: u64,
    w_t: u64,
    /// Input channels the tile loads (several groups' worth when the tile
    /// spans groups).
    ci_load: u64,
}

/// Every tiling of a convolution's output and reduction that fits the TCDM.
fn candidates(s: &ConvShape, engines: u64, words: f64, weight_gradient: bool) -> Vec<Candidate> {
    let wide = candidates_with(s, engines, words, weight_gradient, &halvings(s.wo, 2));
    if !wide.is_empty() {
        return wide;
    }
    // Wide rows do not fit: narrow the columns as well.
    candidates_with(s, engines, words, weight_gradient, &halvings(s.wo, 16))
}

fn candidates_with(
    s: &ConvShape,
    engines: u64,
    words: f64,
    weight_gradient: bool,
    widths: &[u64],
) -> Vec<Candidate> {
    let mut out = Vec::new();
    let (cig, cog) = (s.cig(), s.cog());
    for co_t in channel_tiles(s, engines) {
        let multi = co_t > cog;
        let ci_choices = if multi { vec![cig] } else { halvings(cig, 5) };
        for &ci_t in &ci_choices {
            let ci_load = if multi { co_t / cog * cig } else { ci_t };
            for &w_t in widths {
                for &h_t in &halvings(s.ho, 10) {
                    let in_words = ci_load
                        * ConvShape::halo(h_t, s.sh, s.kh, s.dh, s.hp)
                        * ConvShape::halo(w_t, s.sw, s.kw, s.dw, s.wp);
                    let w_words = co_t * ci_t * s.kh * s.kw;
                    let o_words = co_t * h_t * w_t;
                    // The weight-gradient block stays resident (single
                    // buffer); everything else is double-buffered.
                    let need = if weight_gradient {
                        in_words as f64 + o_words as f64 + w_words as f64 / 2.0
                    } else {
                        (in_words + w_words + o_words) as f64
                    };
                    if need <= words {
                        out.push(Candidate {
                            co_t,
                            ci_t,
                            h_t,
                            w_t,
                            ci_load,
                        });
                    }
                }
            }
        }
    }
    out
}

/// The best plan for a forward-style convolution (forward, or a phase of the
/// backward-data pass) over `images` images.
pub fn forward(
    m: &Machine,
    kind: &'static str,
    s: &ConvShape,
    images: f64,
) -> Result<Plan, MapError> {
    let engines = m.cluster.engines as u64;
    let words = m.cluster.tile_words();
    let mut best: Option<(TileGroup, PlanCost)> = None;
    for c in candidates(s, engines, words, false) {
        let cig = s.cig();
        let (tco, tci, th, tw) = (
            s.cout.div_ceil(c.co_t),
            cig.div_ceil(c.ci_t),
            s.ho.div_ceil(c.h_t),
            s.wo.div_ceil(c.w_t),
        );
        let cover = (s.cout * cig * s.ho * s.wo) as f64
            / ((tco * c.co_t) * (tci * c.ci_t) * (th * c.h_t) * (tw * c.w_t)) as f64;
        let cmd = Command::new(
            Opcode::Mac,
            &[s.kw, s.kh, c.ci_t, c.w_t, c.h_t],
            3,
            3,
            tci > 1,
        )?;
        let spatial = (th * tw) as f64 * images;
        let tiles = (tco * tci) as f64 * spatial * cover;
        let in_words = c.ci_load
            * ConvShape::halo(c.h_t, s.sh, s.kh, s.dh, s.hp)
            * ConvShape::halo(c.w_t, s.sw, s.kw, s.dw, s.wp);
        let share = (m.clusters as f64 / (tco * tci) as f64).clamp(1.0, spatial);
        // Output channels play M, spatial blocks N, input channels K.
        let moved = 4.0
            * cover
            * two_orders(
                (tco as f64, spatial, tci as f64),
                (c.co_t * c.ci_t * s.kh * s.kw) as f64,
                in_words as f64,
                (c.co_t * c.h_t * c.w_t) as f64,
                share,
            );
        let group = TileGroup {
            tile: crate::cluster::TileWork {
                cmd,
                commands: c.co_t,
                dependent: false,
                // Weight and output bases; a tile spanning groups also
                // moves the input base.
                changed_registers: if c.co_t > s.cog() { 3 } else { 2 },
                dma_bytes: moved / tiles,
                own_tile: true,
            },
            count: tiles,
            chain: tci as f64,
        };
        let cost = m.cost_of(&[group], 1.0, 0.0, 0.0);
        if best.as_ref().is_none_or(|(_, b)| cost.time < b.time) {
            best = Some((group, cost));
        }
    }
    best.map(|(g, _)| Plan {
        groups: vec![g],
        ..Plan::new(kind)
    })
    .ok_or_else(|| {
        MapError::TooLarge(format!(
            "no tile of a {}x{} convolution of {} channels fits a {words}-word TCDM buffer",
            s.kh, s.kw, s.cin
        ))
    })
}

/// The best plan for the weight gradient over `images` images.
pub fn weight_gradient(
    m: &Machine,
    kind: &'static str,
    s: &ConvShape,
    images: f64,
) -> Result<Plan, MapError> {
    let engines = m.cluster.engines as u64;
    let words = m.cluster.tile_words();
    let mut best: Option<((TileGroup, f64), PlanCost)> = None;
    for c in candidates(s, engines, words, true) {
        let cig = s.cig();
        let (tco, tci, th, tw) = (
            s.cout.div_ceil(c.co_t),
            cig.div_ceil(c.ci_t),
            s.ho.div_ceil(c.h_t),
            s.wo.div_ceil(c.w_t),
        );
        let cover = (s.cout * cig * s.ho * s.wo) as f64
            / ((tco * c.co_t) * (tci * c.ci_t) * (th * c.h_t) * (tw * c.w_t)) as f64;
        let cmd = Command::new(Opcode::Mac, &[c.w_t, c.h_t, s.kw, s.kh, c.ci_t], 2, 2, true)?;
        let spatial = (th * tw) as f64 * images;
        let weight_tiles = (tco * tci) as f64;
        let tiles = weight_tiles * spatial * cover;
        let in_words = (c.ci_load
            * ConvShape::halo(c.h_t, s.sh, s.kh, s.dh, s.hp)
            * ConvShape::halo(c.w_t, s.sw, s.kw, s.dw, s.wp)) as f64;
        let dy_words = (c.co_t * c.h_t * c.w_t) as f64;
        let dw_words = (c.co_t * c.ci_t * s.kh * s.kw) as f64;
        // Few gradient blocks for many clusters: split the images and
        // spatial blocks, then add the partial gradients (each partial
        // written, read back, and the sum written).
        let split = (m.clusters as f64 / weight_tiles)
            .floor()
            .clamp(1.0, spatial);
        let streamed = 4.0 * tiles * (in_words + dy_words);
        let partials = 4.0 * cover * weight_tiles * dw_words * (2.0 * split - 1.0);
        let group = TileGroup {
            tile: crate::cluster::TileWork {
                cmd,
                commands: c.co_t,
                dependent: false,
                changed_registers: if c.co_t > s.cog() { 3 } else { 2 },
                dma_bytes: streamed / tiles,
                own_tile: true,
            },
            count: tiles,
            // The blocks one gradient block accumulates run in order.
            chain: spatial / split,
        };
        let cost = m.cost_of(&[group], 1.0, 0.0, partials);
        if best.as_ref().is_none_or(|(_, b)| cost.time < b.time) {
            best = Some(((group, partials), cost));
        }
    }
    best.map(|((g, extra), _)| Plan {
        groups: vec![g],
        extra_bytes: extra,
        ..Plan::new(kind)
    })
    .ok_or_else(|| {
        MapError::TooLarge(format!(
            "no weight-gradient tile of a {}x{} convolution fits a {words}-word TCDM buffer",
            s.kh, s.kw
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(k: u64, s: u64) -> ConvShape {
        ConvShape {
            cin: 64,
            cout: 64,
            groups: 1,
            ho: 28,
            wo: 28,
            kh: k,
            kw: k,
            sh: s,
            sw: s,
            dh: 1,
            dw: 1,
            hp: 28 * s + k - 1,
            wp: 28 * s + k - 1,
        }
    }

    #[test]
    fn backward_data_phases_cover_every_tap_once() {
        // 3x3 stride 2: phases with 2x2, 2x1, 1x2 and 1x1 taps = 9 taps.
        let s = shape(3, 2);
        let (phases, zero) = s.backward_data(56, 56);
        assert_eq!(zero, 0);
        let taps: u64 = phases.iter().map(|(p, n)| p.kh * p.kw * n).sum();
        assert_eq!(taps, 9);
        // 1x1 stride 2: one phase computes, three are zero.
        let (phases, zero) = shape(1, 2).backward_data(56, 56);
        assert_eq!(phases.len(), 1);
        assert_eq!(zero, 3 * 64 * 28 * 28);
        // Stride 1: one phase, the whole kernel, the input extent as output.
        let (phases, _) = shape(3, 1).backward_data(28, 28);
        assert_eq!(phases[0].0.ho, 28);
        assert_eq!((phases[0].0.kh, phases[0].1), (3, 1));
    }

    #[test]
    fn depthwise_tiles_span_groups() {
        let dw = ConvShape {
            cin: 32,
            cout: 32,
            groups: 32,
            ..shape(3, 1)
        };
        let t = channel_tiles(&dw, 8);
        assert!(t.contains(&8) && t.contains(&32), "{t:?}");
    }
}
