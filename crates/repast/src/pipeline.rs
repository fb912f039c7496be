//! First-order training (and inference) in PipeLayer's dataflow (Song et
//! al., HPCA 2017, §3-§4; `shared/papers/pipelayer.md` §2-§6), on the arrays
//! of a design.
//!
//! Every layer with a matrix product is a pipeline stage: convolutions and
//! fully connected layers hold their weights (`G` copies so that a stage
//! takes at most `steps_per_cycle` array evaluations per logical cycle), and
//! products of two activations (attention) write one operand per sample.
//! In training each stage also runs backward: the error arrays (the
//! transposed weights, `G` copies) and the gradient arrays (the layer's
//! stored input, streamed with the output error). One logical cycle moves
//! every sample one stage on:
//!
//! ```text
//! T_cyc = max over stages and phases (steps x t_eval) + (cells written per cycle) x t_pulse / W
//! batch = (2L + B) T_cyc + T_update     (training; (B + L - 1) T_cyc in inference)
//! ```
//!
//! with `W` the cells the chip writes at once. Writes per sample and stage:
//! its output into a memory subarray, its input into the gradient arrays and
//! its input error into a memory subarray (training); the update rewrites
//! every copy of every weight once per batch.
use crate::arrays::{Arrays, Vmm};
use crate::ledger::{names, Ledger};
use crate::preset::Config;
use pimzoo_core::{component, EvalError, Task, Workload};
use pimzoo_ir::{Layer, Op, Phase};

/// A row of the report, before it is typed.
#[derive(Clone, Debug)]
pub(crate) struct Row {
    pub name: String,
    pub phase: Phase,
    pub latency: f64,
    pub energy: Ledger,
    pub bound: &'static str,
}

/// A layer with a matrix product: one pipeline stage.
#[derive(Clone, Debug)]
pub(crate) struct Stage {
    pub layer: usize,
    /// Weight copies `G`.
    pub replicas: u64,
    /// Array evaluations per sample per logical cycle: `ceil(P / G)`.
    pub steps: u64,
    /// Input vectors per sample `P` (and of every backward product).
    pub vectors: u64,
    pub forward: Vmm,
    /// Backward-data products (one for a weight layer, two for a product
    /// of activations) and the vectors each takes per sample; empty when no
    /// error flows back into the layer's input.
    pub backward: Vec<(Vmm, u64)>,
    /// Weight gradient (training): the stored input, streamed with the
    /// output error, and the vectors it takes per sample.
    pub gradient: Option<(Vmm, u64)>,
    /// Whether the stage holds weights (a convolution or fully connected
    /// layer) rather than a product of two activations.
    pub weights: bool,
    /// Values the layer reads and writes per sample.
    pub in_values: f64,
    pub out_values: f64,
    /// Cells of one copy of the stationary weights (0 for a product).
    pub weight_cells: f64,
    /// Cells a product of activations writes per sample, forward and backward.
    pub written_forward: f64,
    pub written_backward: f64,
}

/// Map every layer with a matrix product of `w`'s network; refuse what the
/// dataflow cannot run.
pub(crate) fn stages(
    arrays: &Arrays,
    steps_per_cycle: u64,
    w: &Workload,
) -> Result<Vec<Stage>, EvalError> {
    let bits = arrays.data_bits;
    let data = arrays
        .slicing(bits, bits)
        .map_err(|m| EvalError::Config { message: m })?;
    let cpw = data.columns_per_weight as f64;
    let training = w.task.is_training();
    let mut out = Vec::new();
    for (i, layer) in w.network.layers().iter().enumerate() {
        let vmm = |k: u64, n: u64, g: u64| {
            arrays
                .vmm(&data, k, n, g)
                .map_err(|m| EvalError::Config { message: m })
        };
        let in_values = layer.work.input_activations as f64;
        let out_values = layer.work.output_activations as f64;
        let backward_flows = training && layer.work.backward_data_macs > 0;
        let dims =
            |s: Option<&pimzoo_ir::TensorShape>| s.map(|s| s.dims().to_vec()).unwrap_or_default();
        let stage = match &layer.op {
            Op::Conv2d(c) => {
                let x = dims(layer.input_shapes.first());
                let c_in = x.first().copied().unwrap_or(1) as u64;
                let g = c.groups.max(1) as u64;
                let n = c.out as u64 / g;
                let k = c_in / g * c.kernel.area();
                let p = (layer.output.elements() / (c.out.max(1) as u64)).max(1);
                weight_stage(
                    i,
                    layer,
                    (k, u64::from(c.bias), n, g, p),
                    steps_per_cycle,
                    backward_flows,
                    training,
                    cpw,
                    &vmm,
                )?
            }
            Op::Linear { out: n, bias, .. } => {
                let d = layer.input_shapes.first().map(|s| s.last()).unwrap_or(1) as u64;
                let p = (layer.work.input_activations / d.max(1)).max(1);
                weight_stage(
                    i,
                    layer,
                    (d, u64::from(*bias), *n as u64, 1, p),
                    steps_per_cycle,
                    backward_flows,
                    training,
                    cpw,
                    &vmm,
                )?
            }
            Op::MatMul(m) => {
                let a = dims(layer.input_shapes.first());
                let h = m.heads.max(1) as u64;
                let (rows, a_cols) = match a.as_slice() {
                    [r, c] => (*r as u64, *c as u64),
                    _ => (1, 1),
                };
                let k = (a_cols / h).max(1);
                let n = (layer.output.dims().last().copied().unwrap_or(1) as u64 / h).max(1);
                let replicas = rows.div_ceil(steps_per_cycle.max(1)).max(1);
                let steps = rows.div_ceil(replicas);
                let operand_b = (k * n * h) as f64 * cpw;
                let operand_a = (rows * k * h) as f64 * cpw;
                Stage {
                    layer: i,
                    replicas,
                    steps,
                    vectors: rows,
                    forward: vmm(k, n, h)?,
                    backward: if backward_flows {
                        vec![(vmm(n, k, h)?, rows), (vmm(rows, k, h)?, n)]
                    } else {
                        Vec::new()
                    },
                    gradient: None,
                    weights: false,
                    in_values,
                    out_values,
                    weight_cells: 0.0,
                    written_forward: operand_b * replicas as f64,
                    written_backward: if backward_flows {
                        operand_b * replicas as f64 + operand_a
                    } else {
                        0.0
                    },
                }
            }
            Op::Lstm(_) => {
                return Err(EvalError::unsupported(format!(
                    "layer `{}` is recurrent: PipeLayer's pipeline (and RePAST's) has no \
                     recurrence, every stage takes a new sample each cycle",
                    layer.name
                )))
            }
            _ => continue,
        };
        out.push(stage);
    }
    if out.is_empty() {
        return Err(EvalError::unsupported(format!(
            "{} has no layer with a matrix product: nothing runs on the arrays",
            w.network.name()
        )));
    }
    Ok(out)
}

/// A convolution or fully connected layer: `k` inputs (+ a bias row), `n`
/// outputs per group, `g` groups, `p` input vectors per sample.
#[allow(clippy::too_many_arguments)]
fn weight_stage(
    index: usize,
    layer: &Layer,
    (k, bias, n, g, p): (u64, u64, u64, u64, u64),
    steps_per_cycle: u64,
    backward_flows: bool,
    training: bool,
    cpw: f64,
    vmm: &dyn Fn(u64, u64, u64) -> Result<Vmm, EvalError>,
) -> Result<Stage, EvalError> {
    let replicas = p.div_ceil(steps_per_cycle.max(1)).max(1);
    Ok(Stage {
        layer: index,
        replicas,
        steps: p.div_ceil(replicas),
        vectors: p,
        forward: vmm(k + bias, n, g)?,
        backward: if backward_flows {
            vec![(vmm(n, k, g)?, p)]
        } else {
            Vec::new()
        },
        gradient: if training {
            Some((vmm(p, k + bias, g)?, n))
        } else {
            None
        },
        weights: true,
        in_values: layer.work.input_activations as f64,
        out_values: layer.work.output_activations as f64,
        weight_cells: ((k + bias) * n * g) as f64 * cpw,
        written_forward: 0.0,
        written_backward: 0.0,
    })
}

/// Cell-write and memory-read costs of a design.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WriteModel {
    /// Energy of one cell written.
    pub cell_energy: f64,
    /// Time per cell written, the chip writing at full rate.
    pub cell_time: f64,
    /// Cells written at once.
    pub parallel_cells: f64,
    /// Energy of reading one cell of a memory subarray.
    pub read_cell_energy: f64,
}

impl WriteModel {
    pub fn new(c: &Config) -> Result<WriteModel, String> {
        let w = &c.writes;
        for (name, v) in [
            ("writes.pulse", w.pulse.value()),
            ("writes.row_energy", w.row_energy.value()),
            ("writes.power", w.power.value()),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(format!("`{name}` must be positive, found {v}"));
            }
        }
        if w.row_cells == 0 {
            return Err("`writes.row_cells` must be at least 1".into());
        }
        let rr = w.read_row_energy.value();
        if !(rr.is_finite() && rr >= 0.0) {
            return Err(format!(
                "`writes.read_row_energy` must be zero or positive, found {rr}"
            ));
        }
        let cell_energy = w.row_energy.value() / w.row_cells as f64;
        let parallel_cells = w.power.value() * w.pulse.value() / cell_energy;
        Ok(WriteModel {
            cell_energy,
            cell_time: w.pulse.value() / parallel_cells,
            parallel_cells,
            read_cell_energy: rr / w.row_cells as f64,
        })
    }
}

/// The first-order part of one batch.
#[derive(Clone, Debug)]
pub(crate) struct FirstOrder {
    pub rows: Vec<Row>,
    /// Logical cycle `T_cyc`.
    pub cycle: f64,
    /// Pipeline stages `L`.
    pub depth: usize,
    /// Time of the batch's first-order work.
    pub time: f64,
    /// The update's share of it.
    pub update_time: f64,
    /// Cells written in the batch.
    pub cell_writes: f64,
    /// Arrays holding weights (every copy, forward and error arrays) and
    /// the operands products write.
    pub weight_arrays: f64,
    /// The largest `steps` of any stage.
    pub max_steps: u64,
}

/// What one stage does in one phase for one sample.
struct Pass {
    phase: Phase,
    compute: f64,
    written: f64,
    energy: Ledger,
}

pub(crate) fn first_order(
    config: &Config,
    arrays: &Arrays,
    writes: &WriteModel,
    stages: &[Stage],
    w: &Workload,
) -> Result<FirstOrder, EvalError> {
    let batch = w.batch as f64;
    let layers = w.network.layers();
    let optimizer = w.task.optimizer();
    let training = optimizer.is_some();
    let cpv = arrays.cells_per_value();
    let stored = stored_cells_per_value(arrays);
    let dig = config.digital_op_energy.value();

    // Each stage's passes per sample.
    let mut passes: Vec<Vec<Pass>> = Vec::with_capacity(stages.len());
    for s in stages {
        let mut p = Vec::new();
        let read = |values: f64| values * cpv * writes.read_cell_energy;
        let mut fwd = s.forward.energy.scaled(s.vectors as f64);
        let written = s.out_values * cpv + s.written_forward;
        fwd.add(component::WRITE, written * writes.cell_energy);
        fwd.add(names::MEMORY_READ, read(s.in_values));
        p.push(Pass {
            phase: Phase::Forward,
            compute: s.steps as f64 * s.forward.time,
            written,
            energy: fwd,
        });
        if training {
            if !s.backward.is_empty() {
                let mut e = Ledger::default();
                let mut t: f64 = 0.0;
                for (v, n) in &s.backward {
                    e.add_scaled(&v.energy, *n as f64);
                    t = t.max(v.time);
                }
                let written = s.in_values * cpv + s.written_backward;
                e.add(component::WRITE, written * writes.cell_energy);
                e.add(names::MEMORY_READ, read(s.out_values));
                p.push(Pass {
                    phase: Phase::BackwardData,
                    compute: s.steps as f64 * t,
                    written,
                    energy: e,
                });
            }
            if let Some((v, n)) = &s.gradient {
                let mut e = v.energy.scaled(*n as f64);
                // The stored input, written as signed cells of the gradient arrays.
                let written = s.in_values * stored;
                e.add(component::WRITE, written * writes.cell_energy);
                e.add(names::MEMORY_READ, read(s.out_values));
                p.push(Pass {
                    phase: Phase::BackwardWeight,
                    compute: s.steps as f64 * v.time,
                    written,
                    energy: e,
                });
            }
        }
        passes.push(p);
    }

    let longest = passes
        .iter()
        .flatten()
        .map(|p| p.compute)
        .fold(0.0, f64::max);
    let written_per_cycle: f64 = passes.iter().flatten().map(|p| p.written).sum();
    let cycle = longest + written_per_cycle * writes.cell_time;
    let depth = stages.len();
    let mut rows = Vec::new();
    let mut cell_writes = batch * written_per_cycle;

    for (s, ps) in stages.iter().zip(&passes) {
        let name = &layers[s.layer].name;
        for p in ps {
            let busy = p.compute + p.written * writes.cell_time;
            rows.push(Row {
                name: name.clone(),
                phase: p.phase,
                latency: batch * busy,
                energy: p.energy.scaled(batch),
                bound: if p.compute >= p.written * writes.cell_time {
                    "crossbar"
                } else {
                    "cell-write"
                },
            });
        }
    }

    // Element-wise layers run in the stages' activation units: energy only.
    for layer in layers {
        if matches!(
            layer.op,
            Op::Conv2d(_) | Op::Linear { .. } | Op::MatMul(_) | Op::Lstm(_)
        ) {
            continue;
        }
        let lw = &layer.work;
        let mut e = Ledger::default();
        e.add(component::PIM_LOGIC, lw.vector_ops as f64 * dig * batch);
        if let Op::Embedding { .. } = layer.op {
            // A lookup reads its rows from a memory subarray.
            e.add(
                names::MEMORY_READ,
                lw.output_activations as f64 * cpv * writes.read_cell_energy * batch,
            );
        }
        if e.total() > 0.0 {
            rows.push(Row {
                name: layer.name.clone(),
                phase: Phase::Forward,
                latency: 0.0,
                energy: e,
                bound: "digital",
            });
        }
        if training && lw.backward_data_vector_ops > 0 {
            let mut e = Ledger::default();
            e.add(
                component::PIM_LOGIC,
                lw.backward_data_vector_ops as f64 * dig * batch,
            );
            rows.push(Row {
                name: layer.name.clone(),
                phase: Phase::BackwardData,
                latency: 0.0,
                energy: e,
                bound: "digital",
            });
        }
    }

    // The update: every copy of every weight rewritten once per batch.
    let mut update_rows: Vec<(String, f64, Ledger)> = Vec::new();
    if let Some(opt) = optimizer {
        let state = opt.state_per_param() as f64;
        let ops = opt.update_ops_per_param() as f64;
        let weight_layer: Vec<Option<&Stage>> = {
            let mut v = vec![None; layers.len()];
            for s in stages {
                v[s.layer] = Some(s);
            }
            v
        };
        for (i, layer) in layers.iter().enumerate() {
            let params = layer.work.params as f64;
            if params == 0.0 {
                continue;
            }
            let (copies_cells, weights) = match weight_layer[i] {
                Some(s) if s.weights => {
                    let copies = s.replicas as f64 * if s.backward.is_empty() { 1.0 } else { 2.0 };
                    (s.weight_cells * copies, layer.work.weights as f64)
                }
                _ => (0.0, 0.0),
            };
            // Parameters outside the arrays (biases of norms, embedding
            // rows): stored values in memory subarrays; an embedding
            // updates only the rows the batch used.
            let plain = match layer.op {
                Op::Embedding { .. } => params.min(batch * layer.work.output_activations as f64),
                _ => (params - weights).max(0.0),
            };
            let touched = match layer.op {
                Op::Embedding { .. } => plain,
                _ => params,
            };
            let cells = copies_cells + plain * cpv + state * touched * cpv;
            let mut e = Ledger::default();
            e.add(component::WRITE, cells * writes.cell_energy);
            // The old weights are read once (PipeLayer §5.1, Fig. 14b).
            e.add(
                names::MEMORY_READ,
                (copies_cells + (plain + state * touched) * cpv) * writes.read_cell_energy,
            );
            e.add(component::PIM_LOGIC, ops * touched * dig);
            update_rows.push((layer.name.clone(), cells, e));
        }
    }
    let update_cells: f64 = update_rows.iter().map(|(_, c, _)| c).sum();
    cell_writes += update_cells;
    let (time, update_time, fill) = match w.task {
        Task::Training { .. } => {
            let update = cycle.max(update_cells * writes.cell_time);
            (
                (2.0 * depth as f64 + batch) * cycle + update,
                update,
                2.0 * depth as f64 * cycle,
            )
        }
        Task::Inference => (
            (batch + depth as f64 - 1.0) * cycle,
            0.0,
            (depth as f64 - 1.0) * cycle,
        ),
    };
    let mut fill = fill;
    if update_rows.is_empty() {
        fill += update_time;
    }
    for (name, cells, e) in update_rows {
        let share = if update_cells > 0.0 {
            cells / update_cells
        } else {
            0.0
        };
        rows.push(Row {
            name,
            phase: Phase::Update,
            latency: update_time * share,
            energy: e,
            bound: "cell-write",
        });
    }
    if fill > 0.0 {
        rows.push(Row {
            name: "pipeline fill and drain".into(),
            phase: Phase::Forward,
            latency: fill,
            energy: Ledger::default(),
            bound: "pipeline",
        });
    }
    let weight_arrays = stages
        .iter()
        .map(|s| {
            let copies = s.replicas as f64
                * if training && !s.backward.is_empty() {
                    2.0
                } else {
                    1.0
                };
            s.forward.arrays * copies
        })
        .sum();
    Ok(FirstOrder {
        rows,
        cycle,
        depth,
        time,
        update_time,
        cell_writes,
        weight_arrays,
        max_steps: stages.iter().map(|s| s.steps).max().unwrap_or(0),
    })
}

/// Cells one stored (signed) value takes in the gradient arrays.
fn stored_cells_per_value(arrays: &Arrays) -> f64 {
    arrays
        .slicing(arrays.data_bits, arrays.data_bits)
        .map(|s| s.columns_per_weight as f64)
        .unwrap_or_else(|_| arrays.cells_per_value())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pimzoo_core::Optimizer;
    use std::sync::Arc;

    fn pipelayer() -> (Config, Arrays, WriteModel) {
        let c = crate::preset::builtin("repast/pipelayer").unwrap();
        let a = Arrays::new(&c).unwrap();
        let w = WriteModel::new(&c).unwrap();
        (c, a, w)
    }

    fn one_linear(batch: u64, train: bool) -> Workload {
        let net = pimzoo_ir::parse_network(
            "Network(name: \"fc\", input: [128], layers: [(name: \"fc\", op: Linear(out: 16, bias: false))])",
            "test",
        )
        .unwrap();
        let net = Arc::new(net);
        if train {
            Workload::training(net, batch, Optimizer::from_name("sgd").unwrap())
        } else {
            Workload::inference(net, batch)
        }
    }

    #[test]
    fn one_fully_connected_layer_by_hand() {
        let (c, a, wm) = pipelayer();
        let w = one_linear(8, false);
        let s = stages(&a, c.steps_per_cycle, &w).unwrap();
        assert_eq!((s.len(), s[0].replicas, s[0].steps), (1, 1, 1));
        let f = first_order(&c, &a, &wm, &s, &w).unwrap();
        // 16 slots of 29.31 ns, then 16 outputs of 4 cells written.
        let cycle = 16.0 * 29.31e-9 + 64.0 * wm.cell_time;
        assert!((f.cycle - cycle).abs() < 1e-18);
        // 8 samples through 1 stage: 8 cycles.
        assert!((f.time - 8.0 * cycle).abs() < 1e-15);
        // Training adds the stored input (128 values x 8 signed cells) to the
        // writes of a cycle, and the update rewrites the 2048 weights once
        // (no error arrays: no gradient flows into the network input).
        let w = one_linear(8, true);
        let s = stages(&a, c.steps_per_cycle, &w).unwrap();
        assert!(s[0].backward.is_empty());
        let f = first_order(&c, &a, &wm, &s, &w).unwrap();
        let cycle = 16.0 * 29.31e-9 + (64.0 + 128.0 * 8.0) * wm.cell_time;
        assert!((f.cycle - cycle).abs() < 1e-18);
        let update = cycle.max(2048.0 * 8.0 * wm.cell_time);
        assert!((f.time - ((2.0 + 8.0) * cycle + update)).abs() < 1e-15);
        assert_eq!(f.cell_writes, 8.0 * (64.0 + 1024.0) + 2048.0 * 8.0);
    }

    #[test]
    fn the_write_rate_comes_from_the_power() {
        let (_, _, wm) = pipelayer();
        // 858.7 W x 50.88 ns / (3.91 nJ / 128) = 1.43 M cells at once.
        assert!((wm.parallel_cells - 858.7 * 50.88e-9 / (3.91e-9 / 128.0)).abs() < 1e-6);
        assert!((wm.cell_energy - 3.91e-9 / 128.0).abs() < 1e-24);
    }
}
