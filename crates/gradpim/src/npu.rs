//! The host NPU (slide 15): 256 x 256 multiplier-adder trees at 1 GHz on
//! the same DDR4 channel. Forward and backward run here in every system;
//! the baseline also runs the update here.
//!
//! Per layer and phase, a roofline against the DRAM model:
//!
//! ```text
//! t = max(MACs x B / (trees x width x f x u_K x u_N),  bytes / BW(write fraction))
//! u_K = K / (width x ceil(K / width))          reduction K on a tree's inputs
//! u_N = min(1, outputs x B / trees)            outputs spread over the trees
//! ```
//!
//! `K` is the reduction length of the phase (MACs per output: C/groups x kh
//! x kw for a forward convolution, out/groups x kh x kw for its data
//! gradient, B x H x W for its weight gradient). `BW` is the steady-state
//! bandwidth the DRAM model gives a stream with the phase's share of writes
//! ([`crate::timing::StreamRate`]). Layers without multiply-accumulates
//! (normalisation, activation, pooling, addition, concatenation) are fused
//! into the weight layer next to them: their tensors do not go to DRAM on
//! their own (assumption, as slide 6 counts traffic per conv/fc layer).
//! Every tensor of a weight layer crosses DRAM once per phase:
//!
//! | phase | reads | writes |
//! |---|---|---|
//! | forward | params x w + B x in x a | B x out x a |
//! | backward-data | weights x w + B x out x g | B x in x g |
//! | backward-weight | B x (in x a + out x g) | params x g |
//!
//! `a`, `w`, `g`: bytes of the activation, weight-copy and gradient formats.
use crate::timing::StreamRate;
use pimzoo_core::units::Joules;
use pimzoo_core::{NumberFormat, Precision};
use pimzoo_ir::{Layer, Phase};
use serde::{Deserialize, Serialize};

/// The NPU's parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Npu {
    /// Multiplier-adder trees.
    pub trees: u32,
    /// Multipliers (reduction inputs) per tree.
    pub tree_width: u32,
    /// Clock, Hz.
    pub clock_hz: f64,
    /// Energy of one multiply-accumulate, by compute format.
    pub mac_energy: MacEnergy,
}

/// Energy of one multiply-accumulate (a multiply and an add) by format.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MacEnergy {
    pub int8: Joules,
    pub fp16: Joules,
    pub fp32: Joules,
}

impl MacEnergy {
    /// The energy of a format the NPU computes in, if it has one.
    pub fn of(&self, f: NumberFormat) -> Option<Joules> {
        match f {
            NumberFormat::Fixed(8) => Some(self.int8),
            NumberFormat::Fp16 => Some(self.fp16),
            NumberFormat::Fp32 => Some(self.fp32),
            _ => None,
        }
    }
}

/// The cost of one layer in one phase.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PhaseCost {
    pub time: f64,
    pub reads: f64,
    pub writes: f64,
    pub macs: f64,
    pub compute_bound: bool,
    /// Utilisation of the MAC array while computing.
    pub utilization: f64,
}

impl Npu {
    pub fn validate(&self) -> Result<(), String> {
        if self.trees == 0 || self.tree_width == 0 {
            return Err("npu: `trees` and `tree_width` must be at least 1".into());
        }
        if !(self.clock_hz.is_finite() && self.clock_hz > 0.0) {
            return Err(format!(
                "npu.clock_hz: {} is not a positive frequency",
                self.clock_hz
            ));
        }
        for (name, e) in [
            ("int8", self.mac_energy.int8),
            ("fp16", self.mac_energy.fp16),
            ("fp32", self.mac_energy.fp32),
        ] {
            if !(e.value().is_finite() && e.value() >= 0.0) {
                return Err(format!(
                    "npu.mac_energy.{name}: {e} is not a non-negative energy"
                ));
            }
        }
        Ok(())
    }

    /// Peak multiply-accumulates per second.
    pub fn peak_macs(&self) -> f64 {
        self.trees as f64 * self.tree_width as f64 * self.clock_hz
    }

    /// The cost of `layer` in `phase` at batch `batch`, or `None` when the
    /// layer has no multiply-accumulates in that phase (fused or nothing to do).
    pub fn phase_cost(
        &self,
        layer: &Layer,
        phase: Phase,
        batch: u64,
        precision: &Precision,
        bandwidth: impl Fn(f64) -> f64,
    ) -> Option<PhaseCost> {
        let w = &layer.work;
        let macs = w.phase_macs(phase);
        if macs == 0 || phase == Phase::Update {
            return None;
        }
        let b = batch as f64;
        let a = precision.activations.bytes();
        let wb = precision.weights.bytes();
        let g = precision.gradients.bytes();
        let (inp, out) = (w.input_activations as f64, w.output_activations as f64);
        let (params, weights) = (w.params as f64, w.weights as f64);
        // Outputs of the phase and its reduction length.
        let (outputs, reduction, reads, writes) = match phase {
            Phase::Forward => (
                b * out,
                macs as f64 / out.max(1.0),
                params * wb + b * inp * a,
                b * out * a,
            ),
            Phase::BackwardData => (
                b * inp,
                macs as f64 / inp.max(1.0),
                weights * wb + b * out * g,
                b * inp * g,
            ),
            Phase::BackwardWeight => (
                weights,
                b * macs as f64 / weights.max(1.0),
                b * (inp * a + out * g),
                params * g,
            ),
            Phase::Update => return None,
        };
        let width = self.tree_width as f64;
        let k = reduction.max(1.0).ceil();
        let u_k = k / (width * (k / width).ceil());
        let u_n = (outputs / self.trees as f64)
            .min(1.0)
            .max(1.0 / self.trees as f64);
        let utilization = u_k * u_n;
        let total_macs = macs as f64 * b;
        let t_compute = total_macs / (self.peak_macs() * utilization);
        let bytes = reads + writes;
        let wf = if bytes > 0.0 { writes / bytes } else { 0.0 };
        let t_memory = if bytes > 0.0 {
            bytes / bandwidth(wf)
        } else {
            0.0
        };
        Some(PhaseCost {
            time: t_compute.max(t_memory),
            reads,
            writes,
            macs: total_macs,
            compute_bound: t_compute >= t_memory,
            utilization,
        })
    }
}

/// A [`StreamRate`] at any write fraction, linear between measured ones
/// (sorted by write fraction, at least one).
pub fn interpolate(rates: &[StreamRate], wf: f64) -> StreamRate {
    let wf = wf.clamp(0.0, 1.0);
    if rates.len() < 2 {
        return rates[0];
    }
    let i = rates
        .windows(2)
        .position(|p| wf <= p[1].write_fraction)
        .unwrap_or(rates.len() - 2);
    let (a, b) = (rates[i], rates[i + 1]);
    let t = ((wf - a.write_fraction) / (b.write_fraction - a.write_fraction)).clamp(0.0, 1.0);
    let l = |x: f64, y: f64| x + (y - x) * t;
    StreamRate {
        write_fraction: wf,
        bandwidth: l(a.bandwidth, b.bandwidth),
        activate_per_byte: l(a.activate_per_byte, b.activate_per_byte),
        read_per_byte: l(a.read_per_byte, b.read_per_byte),
        write_per_byte: l(a.write_per_byte, b.write_per_byte),
        background_power: l(a.background_power, b.background_power),
        refresh_power: l(a.refresh_power, b.refresh_power),
        slots_per_byte: l(a.slots_per_byte, b.slots_per_byte),
    }
}
