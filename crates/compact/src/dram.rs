//! Off-chip traffic: which bits cross the LPDDR5 channel for one batch, in the
//! authors' accounting (`main.cpp`, the `data_movement-*.trace` loops) or the
//! corrected one, attributed to the layer that causes them.
//!
//! Authors' accounting (per batch of `B`), activations at `a` bits (16), the
//! network input at the input precision `b` (8), weights at `w` bits:
//!
//! ```text
//! IFM(l)   = H W Cin K^2 x (l = 0 ? b : a)            im2col-expanded rows of layer l
//! W(l)     = K^2 Cin Cout w x (sa pe td)              every copy read separately
//! RP, PPP  : per group g: B IFM(first g) + sum W(l in g) + (g not last: B H W Cin a of its last layer)
//!            + B Cout(last layer) a;  split layer: + (P_row - 1) B IFM + (P_col - 1) 2 B H W Cin a
//! FPP      : sum W(l) + B IFM(0) + B Cout(last) a
//! LP       : B x [ sum_l (IFM(l) + W(l) + (l not last: H W Cin a)) + Cout(last) a ]
//! ```
//!
//! Every count is a whole number of bus transactions: the authors compute it in
//! a 32-bit `int` and divide by the bus width in integers (dropping a partial
//! transaction); the corrected counters are 64-bit and round up. A count too
//! large for the authors' `int` is counted exactly and reported
//! (`counter_overflows`), since their wrapped value would be meaningless.
use crate::layers::LayerShape;
use crate::mapping::LayerMap;
use crate::preset::{Counters, GroupReads, GroupWrites, Options, Split};
use crate::schedule::{Execution, Schedule};
use pimzoo_core::EvalError;
use pimzoo_ir::Network;

/// Bits moved for one batch.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Traffic {
    /// Bits caused by each layer (reads of its group's inputs are charged to
    /// the group's first layer, writes of its outputs to its last layer).
    pub per_layer: Vec<u64>,
    /// Weight bits (all copies).
    pub weights: u64,
    /// Activation bits (reads and writes).
    pub activations: u64,
    /// Counts beyond the authors' 32-bit counters (`counters: Int32`): their
    /// code would have wrapped; these are counted exactly.
    pub counter_overflows: u64,
}

impl Traffic {
    pub fn total(&self) -> u64 {
        self.weights.saturating_add(self.activations)
    }
}

/// The rules a count follows.
struct Counter {
    counters: Counters,
    transaction: u64,
    /// Counts the authors' 32-bit arithmetic could not hold.
    overflows: std::cell::Cell<u64>,
}

impl Counter {
    /// Bits on the bus for a transfer of `bits`, as whole transactions.
    fn bits(&self, bits: u128, what: &str) -> Result<u64, EvalError> {
        let t = self.transaction.max(1) as u128;
        match self.counters {
            Counters::Int32 => {
                // Beyond 2^31 - 1 the authors' `int` wraps and their trace is
                // wrong; the count is kept exact and the overflow reported.
                if bits > i32::MAX as u128 {
                    self.overflows.set(self.overflows.get() + 1);
                }
                u64::try_from(bits / t * t).map_err(|_| {
                    EvalError::unsupported(format!(
                        "{what}: one transfer of {bits} bits exceeds 2^64 bits; use a smaller batch"
                    ))
                })
            }
            Counters::Exact => {
                let v = bits.div_ceil(t) * t;
                u64::try_from(v).map_err(|_| {
                    EvalError::unsupported(format!(
                        "{what}: one transfer of {bits} bits exceeds 2^64 bits; use a smaller batch"
                    ))
                })
            }
        }
    }
}

/// Everything the traffic depends on.
pub struct TrafficInput<'a> {
    pub network: &'a Network,
    pub layers: &'a [LayerShape],
    pub maps: &'a [LayerMap],
    pub schedule: &'a Schedule,
    pub options: &'a Options,
    pub batch: u64,
    pub input_bits: u64,
    pub activation_bits: u64,
    pub weight_bits: u64,
    pub transaction_bits: u64,
}

/// The bits of one batch.
pub fn traffic(x: &TrafficInput) -> Result<Traffic, EvalError> {
    let count = Counter {
        counters: x.options.counters,
        transaction: x.transaction_bits,
        overflows: std::cell::Cell::new(0),
    };
    let layers = x.layers;
    let n = layers.len();
    let b = x.batch as u128;
    let a = x.activation_bits as u128;
    let mut t = Traffic {
        per_layer: vec![0; n],
        ..Traffic::default()
    };
    // Saturating: absurd batches must not wrap around.
    let add_act = |t: &mut Traffic, layer: usize, bits: u64| {
        t.per_layer[layer] = t.per_layer[layer].saturating_add(bits);
        t.activations = t.activations.saturating_add(bits);
    };

    // Weights: every copy read once per load.
    let weight_bits = |i: usize| -> Result<u64, EvalError> {
        let l = &layers[i];
        let copies = (x.maps[i].subarray_dup * x.maps[i].pe_dup * x.schedule.tile_dup[i]) as u128;
        let one = count.bits(
            l.rows() as u128 * l.outputs as u128 * x.weight_bits as u128,
            &l.name,
        )?;
        Ok((one as u128 * copies).min(u64::MAX as u128) as u64)
    };
    // The im2col-expanded input rows of layer i, and the authors' `H W Cin`.
    let ifm = |i: usize| -> u128 {
        let l = &layers[i];
        let bits = if i == 0 { x.input_bits as u128 } else { a };
        l.vectors() as u128 * l.rows() as u128 * bits
    };
    let hw_cin = |i: usize| -> u128 {
        let l = &layers[i];
        l.vectors() as u128 * l.in_channels as u128 * a
    };

    let lp = x.schedule.execution == Execution::LayerByLayer;
    // LP moves everything for every image; the others once per batch.
    let per_image = if lp { 1 } else { b };
    let repeat = if lp { x.batch } else { 1 };

    // Per-group tensor traffic when the corrected accounting is asked for.
    let tensors = if x.options.group_reads == GroupReads::Tensors
        || x.options.group_writes == GroupWrites::Tensors
    {
        Some(crossing_tensors(x)?)
    } else {
        None
    };

    let groups = &x.schedule.groups;
    for (gi, g) in groups.iter().enumerate() {
        let (first, last) = (g.start, g.end - 1);
        // Reads of the group's input.
        let read = match (&tensors, x.options.group_reads) {
            (Some(tt), GroupReads::Tensors) => {
                count.bits(per_image.saturating_mul(tt.reads[gi]), &layers[first].name)?
            }
            _ => count.bits(per_image.saturating_mul(ifm(first)), &layers[first].name)?,
        };
        add_act(&mut t, first, read.saturating_mul(repeat));
        for i in g.clone() {
            let w = weight_bits(i)?.saturating_mul(repeat);
            t.per_layer[i] = t.per_layer[i].saturating_add(w);
            t.weights = t.weights.saturating_add(w);
            // Extra traffic of an oversized layer's parts.
            let map = &x.maps[i];
            if map.is_split() {
                let (pr, pc) = map.parts;
                let extra = match x.options.split {
                    Split::Authors => (pr - 1).saturating_mul(read).saturating_add(
                        (pc - 1).saturating_mul(2).saturating_mul(
                            count.bits(per_image.saturating_mul(hw_cin(i)), &layers[i].name)?,
                        ),
                    ),
                    Split::Corrected => {
                        let input = layers[i].input_elements as u128
                            * if i == 0 { x.input_bits as u128 } else { a };
                        let output = layers[i].output_elements() as u128 * a;
                        (pc - 1)
                            .saturating_mul(
                                count.bits(per_image.saturating_mul(input), &layers[i].name)?,
                            )
                            .saturating_add((pr - 1).saturating_mul(2).saturating_mul(
                                count.bits(per_image.saturating_mul(output), &layers[i].name)?,
                            ))
                    }
                };
                add_act(&mut t, i, extra.saturating_mul(repeat));
            }
        }
        // Writes of the group's output.
        let is_last = gi + 1 == groups.len();
        let write = match (&tensors, x.options.group_writes) {
            (Some(tt), GroupWrites::Tensors) => {
                count.bits(per_image.saturating_mul(tt.writes[gi]), &layers[last].name)?
            }
            _ if is_last => count.bits(
                per_image.saturating_mul(layers[last].outputs as u128 * a),
                &layers[last].name,
            )?,
            _ => count.bits(per_image.saturating_mul(hw_cin(last)), &layers[last].name)?,
        };
        add_act(&mut t, last, write.saturating_mul(repeat));
    }
    t.counter_overflows = count.overflows.get();
    Ok(t)
}

/// Per group, the bits of the tensors entering it and leaving it (each tensor
/// once per group), for one image.
struct CrossingTensors {
    reads: Vec<u128>,
    writes: Vec<u128>,
}

/// Assign every IR layer to the group of the latest weight layer at or before
/// it, then count the tensors whose producer and consumer are in different
/// groups; the network output is written by the last group.
fn crossing_tensors(x: &TrafficInput) -> Result<CrossingTensors, EvalError> {
    let ir = x.network.layers();
    let groups = &x.schedule.groups;
    let mut group_of_weight = vec![0usize; x.layers.len()];
    for (gi, g) in groups.iter().enumerate() {
        for i in g.clone() {
            group_of_weight[i] = gi;
        }
    }
    let mut group = vec![0usize; ir.len()];
    let mut current = 0;
    let mut next_weight = 0;
    for (j, slot) in group.iter_mut().enumerate() {
        if next_weight < x.layers.len() && x.layers[next_weight].ir_index == Some(j) {
            current = group_of_weight[next_weight];
            next_weight += 1;
        }
        *slot = current;
    }
    let a = x.activation_bits as u128;
    let mut reads = vec![0u128; groups.len()];
    let mut writes = vec![0u128; groups.len()];
    let mut read_seen = std::collections::HashSet::new();
    let mut written = std::collections::HashSet::new();
    for (c, layer) in ir.iter().enumerate() {
        let gc = group[c];
        let sources: Vec<Option<usize>> = if layer.inputs.is_empty() {
            vec![c.checked_sub(1)]
        } else {
            layer.inputs.clone()
        };
        for src in sources {
            match src {
                None => {
                    if read_seen.insert((None, gc)) {
                        reads[gc] += x.network.input().elements() as u128 * x.input_bits as u128;
                    }
                }
                Some(p) if group[p] != gc => {
                    let bits = ir[p].output.elements() as u128 * a;
                    if read_seen.insert((Some(p), gc)) {
                        reads[gc] += bits;
                    }
                    if written.insert(p) {
                        writes[group[p]] += bits;
                    }
                }
                Some(_) => {}
            }
        }
    }
    if let Some(last) = ir.last() {
        if let Some(g) = groups.len().checked_sub(1) {
            writes[g] += last.output.elements() as u128 * a;
        }
    }
    Ok(CrossingTensors { reads, writes })
}
