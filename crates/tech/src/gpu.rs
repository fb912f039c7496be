//! A per-layer roofline model of a GPU running a deep-learning framework in
//! eager mode (PyTorch with cuDNN/cuBLAS): the baseline the PIM papers
//! compare against. The equations, the parameters and their sources, the fit
//! and the accuracy against measured H200 data are in `docs/models/gpu.md`.
//!
//! Each layer of each phase the workload runs is one kernel (a view such as
//! `Flatten` is none). Its time is
//!
//! ```text
//! t = max(F_mat / R_mat + F_vec / R_vec, B / (BW * eta_mem)) + t_launch
//! R_mat = peak(compute format) * eta(format),  R_vec = peak_fp32 * eta_fp32
//! ```
//!
//! and its energy `E = P_static * t + e_mat * F_mat + e_vec * F_vec + e_byte * B`,
//! with the per-operation energies derived from the TDP: a kernel that runs at
//! the achieved compute rate while streaming memory at the achieved bandwidth
//! draws exactly the TDP, so the average power never exceeds it.
use pimzoo_core::units::{engineering, Bytes, BytesPerSecond, Joules, Seconds, SquareMm, Watts};
use pimzoo_core::{
    component, Accelerator, ArchInfo, EvalError, LayerRow, NumberFormat, Optimizer, Precision,
    Report, Task, Workload,
};
use pimzoo_ir::{Layer, Network, NormKind, Op, Phase};
use serde::{Deserialize, Serialize};

mod kfac;
mod presets;
pub use kfac::{kfac_factors, KfacFactors};
pub use presets::{builtin, parse_preset, PRESET_FILES};

/// Bytes per element of the K-FAC statistics (factors, inverses): fp32.
const KFAC_BYTES: f64 = 4.0;

/// The parameters of one GPU, as written in `fixtures/configs/gpu/*.ron`
/// (every value with its source in a comment there).
#[derive(Deserialize, Serialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct GpuSpec {
    /// `gpu/<name>`.
    pub id: String,
    pub name: String,
    /// Process, memory type and capacity, in words.
    pub technology: String,
    /// The datasheet the peak figures come from.
    pub source: String,
    /// Peak fp32 rate of the CUDA cores, FLOP/s.
    pub fp32_peak_flops: f64,
    /// Dense fp16 tensor-core peak, FLOP/s; `None` where the GPU has none.
    #[serde(default)]
    pub fp16_tensor_peak_flops: Option<f64>,
    /// Dense bf16 tensor-core peak, FLOP/s; `None` where the GPU has none.
    #[serde(default)]
    pub bf16_tensor_peak_flops: Option<f64>,
    /// Dense int8 tensor-core peak, OP/s; `None` where the GPU has none.
    #[serde(default)]
    pub int8_tensor_peak_ops: Option<f64>,
    /// Achieved fraction of the fp32 peak in the layers (one number for
    /// every fp32 layer of every network).
    pub fp32_efficiency: f64,
    /// Factor by which cuDNN's Winograd kernels cut the multiplies of a dense
    /// 3x3 stride-1 convolution in fp32 (2.25 for F(2x2, 3x3), Lavin & Gray
    /// 2016); 1 disables it. Tensor-core paths use implicit GEMM.
    pub fp32_winograd_reduction: f64,
    /// Achieved fraction of the tensor-core peaks (fp16, bf16, int8).
    /// Required when any tensor peak is given.
    #[serde(default)]
    pub tensor_efficiency: Option<f64>,
    /// Peak DRAM bandwidth.
    pub memory_bandwidth: BytesPerSecond,
    /// Achieved fraction of the DRAM bandwidth by streaming kernels.
    pub memory_efficiency: f64,
    /// DRAM capacity; a workload whose footprint exceeds it is a `Config` error.
    pub memory_capacity: Bytes,
    /// DRAM access energy per bit moved.
    pub dram_energy_per_bit: Joules,
    /// Per-kernel launch and framework dispatch overhead.
    pub launch_overhead: Seconds,
    /// Latency per column on the critical path of a dense SPD inverse
    /// (Cholesky factorisation, triangular inverse, product).
    pub inverse_step_latency: Seconds,
    /// Board power limit.
    pub tdp: Watts,
    /// Power drawn whatever the work (idle board at operating clocks).
    pub static_power: Watts,
    pub die_area: SquareMm,
}

/// A GPU roofline model built from a validated [`GpuSpec`].
#[derive(Clone, Debug)]
pub struct Gpu {
    spec: GpuSpec,
    /// Achieved fp32 CUDA-core rate, FLOP/s.
    fp32_rate: f64,
    /// Achieved DRAM bandwidth, B/s.
    bandwidth: f64,
    /// DRAM energy per byte, J.
    energy_per_byte: f64,
    /// TDP less static power less DRAM power at the achieved bandwidth, W.
    dynamic_power: f64,
}

/// The work of one kernel.
#[derive(Clone, Copy, Debug, Default)]
struct Work {
    /// Multiply-accumulate FLOPs (2 per MAC), run on the matrix engine.
    mat_flops: f64,
    /// Element-wise operations, run on the fp32 CUDA cores.
    vec_flops: f64,
    /// DRAM bytes read and written.
    bytes: f64,
    /// Kernel launches.
    kernels: f64,
}

/// Time and energy of one kernel (or one group of kernels).
#[derive(Clone, Copy, Debug)]
struct Cost {
    time: f64,
    compute_j: f64,
    dram_j: f64,
    static_j: f64,
    /// What limits it: `compute`, `memory`, or `latency` (a dependency chain).
    bound: &'static str,
}

/// Running totals of the rows of one report.
#[derive(Default)]
struct Totals {
    cost: Cost,
    traffic: f64,
    flops: f64,
}

impl Totals {
    fn push(&mut self, report: &mut Report, layer: String, phase: Phase, c: Cost) {
        self.cost.add(c);
        tracing::trace!(layer = %layer, phase = phase.name(), seconds = c.time, "row");
        report.push_layer(LayerRow {
            layer,
            phase,
            latency: Seconds(c.time),
            energy: Joules(c.energy()),
            bound: Some(c.bound.to_string()),
        });
    }
}

impl Default for Cost {
    fn default() -> Self {
        Cost {
            time: 0.0,
            compute_j: 0.0,
            dram_j: 0.0,
            static_j: 0.0,
            bound: "compute",
        }
    }
}

impl Cost {
    fn energy(&self) -> f64 {
        self.compute_j + self.dram_j + self.static_j
    }
    /// Sum two costs; the bound is that of the longer one.
    fn add(&mut self, o: Cost) {
        if o.time > self.time {
            self.bound = o.bound;
        }
        self.time += o.time;
        self.compute_j += o.compute_j;
        self.dram_j += o.dram_j;
        self.static_j += o.static_j;
    }
    fn scaled(mut self, k: f64) -> Cost {
        self.time *= k;
        self.compute_j *= k;
        self.dram_j *= k;
        self.static_j *= k;
        self
    }
}

/// Time and energy of one K-FAC activity summed over all layers, once
/// (not amortised over the update intervals).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct KfacCost {
    pub time: Seconds,
    pub energy: Joules,
}

/// K-FAC's extra work on one network at one batch, un-amortised.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct KfacCosts {
    /// Forming every factor (A and G of every weight layer) once.
    pub factors: KfacCost,
    /// Inverting every factor once.
    pub inversion: KfacCost,
    /// Preconditioning every gradient once (done every step).
    pub precondition: KfacCost,
}

fn positive(name: &str, v: f64) -> Result<(), String> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(format!(
            "`{name}` must be a positive finite number, found {v}"
        ))
    }
}

fn non_negative(name: &str, v: f64) -> Result<(), String> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(format!(
            "`{name}` must be a non-negative finite number, found {v}"
        ))
    }
}

fn fraction(name: &str, v: f64) -> Result<(), String> {
    if v.is_finite() && v > 0.0 && v <= 1.0 {
        Ok(())
    } else {
        Err(format!("`{name}` must lie in (0, 1], found {v}"))
    }
}

impl Gpu {
    /// Validate the spec; the message names the offending field.
    pub fn new(spec: GpuSpec) -> Result<Gpu, String> {
        let at = |m: String| format!("GPU preset `{}`: {m}", spec.id);
        if !spec.id.starts_with("gpu/") || spec.id.len() <= 4 {
            return Err(at(format!(
                "`id` must be `gpu/<name>`, found `{}`",
                spec.id
            )));
        }
        let check = || -> Result<(), String> {
            positive("fp32_peak_flops", spec.fp32_peak_flops)?;
            for (name, v) in [
                ("fp16_tensor_peak_flops", spec.fp16_tensor_peak_flops),
                ("bf16_tensor_peak_flops", spec.bf16_tensor_peak_flops),
                ("int8_tensor_peak_ops", spec.int8_tensor_peak_ops),
            ] {
                if let Some(v) = v {
                    positive(name, v)?;
                }
            }
            fraction("fp32_efficiency", spec.fp32_efficiency)?;
            let wr = spec.fp32_winograd_reduction;
            if !(wr.is_finite() && wr >= 1.0) {
                return Err(format!(
                    "`fp32_winograd_reduction` must be at least 1 (1 disables it), found {wr}"
                ));
            }
            let has_tensor = spec.fp16_tensor_peak_flops.is_some()
                || spec.bf16_tensor_peak_flops.is_some()
                || spec.int8_tensor_peak_ops.is_some();
            match spec.tensor_efficiency {
                Some(v) => fraction("tensor_efficiency", v)?,
                None if has_tensor => {
                    return Err(
                        "`tensor_efficiency` is required when a tensor-core peak is given".into(),
                    )
                }
                None => {}
            }
            positive("memory_bandwidth", spec.memory_bandwidth.value())?;
            fraction("memory_efficiency", spec.memory_efficiency)?;
            positive("memory_capacity", spec.memory_capacity.value())?;
            non_negative("dram_energy_per_bit", spec.dram_energy_per_bit.value())?;
            non_negative("launch_overhead", spec.launch_overhead.value())?;
            non_negative("inverse_step_latency", spec.inverse_step_latency.value())?;
            positive("tdp", spec.tdp.value())?;
            non_negative("static_power", spec.static_power.value())?;
            positive("die_area", spec.die_area.value())?;
            Ok(())
        };
        check().map_err(at)?;
        let bandwidth = spec.memory_bandwidth.value() * spec.memory_efficiency;
        let energy_per_byte = 8.0 * spec.dram_energy_per_bit.value();
        let dram_power = energy_per_byte * bandwidth;
        let dynamic_power = spec.tdp.value() - spec.static_power.value() - dram_power;
        if dynamic_power <= 0.0 {
            return Err(at(format!(
                "`tdp` ({}) must exceed `static_power` ({}) plus the DRAM power at the achieved \
                 bandwidth ({}, from `dram_energy_per_bit`, `memory_bandwidth` and `memory_efficiency`)",
                spec.tdp,
                spec.static_power,
                Watts(dram_power)
            )));
        }
        Ok(Gpu {
            fp32_rate: spec.fp32_peak_flops * spec.fp32_efficiency,
            bandwidth,
            energy_per_byte,
            dynamic_power,
            spec,
        })
    }

    pub fn spec(&self) -> &GpuSpec {
        &self.spec
    }

    /// Time to invert one dense `n x n` symmetric positive-definite matrix
    /// in fp32 (Cholesky factorisation, triangular inverse and product,
    /// `n^3` FLOPs): `n^3 / (peak_fp32 * eta_fp32) + n * inverse_step_latency`.
    /// The second term is the critical path: `n` dependent column steps.
    pub fn spd_inverse_time(&self, n: u64) -> Seconds {
        Seconds(self.inverse_cost(n).time)
    }

    fn inverse_cost(&self, n: u64) -> Cost {
        let n = n as f64;
        let flops = n * n * n;
        let compute = flops / self.fp32_rate;
        let time = compute + n * self.spec.inverse_step_latency.value();
        Cost {
            time,
            compute_j: self.dynamic_power * compute,
            // Read the factor, write the inverse.
            dram_j: self.energy_per_byte * 2.0 * n * n * KFAC_BYTES,
            static_j: self.spec.static_power.value() * time,
            bound: if compute >= time - compute {
                "compute"
            } else {
                "latency"
            },
        }
    }

    /// The matrix-engine rate (FLOP/s) of a workload's compute format, or why
    /// this GPU cannot run it.
    fn matrix_rate(&self, w: &Workload) -> Result<f64, EvalError> {
        let s = &self.spec;
        let tensor = |peak: Option<f64>, what: &str| -> Result<f64, EvalError> {
            match (peak, s.tensor_efficiency) {
                (Some(p), Some(eta)) => Ok(p * eta),
                _ => Err(EvalError::unsupported(format!(
                    "{} has no {what} tensor-core rate in its preset{}",
                    s.name,
                    if s.fp16_tensor_peak_flops.is_none() && s.bf16_tensor_peak_flops.is_none() {
                        " (no tensor cores)"
                    } else {
                        ""
                    }
                ))),
            }
        };
        match w.precision.compute() {
            NumberFormat::Fp32 => Ok(self.fp32_rate),
            NumberFormat::Fp16 => tensor(s.fp16_tensor_peak_flops, "fp16"),
            NumberFormat::Bf16 => tensor(s.bf16_tensor_peak_flops, "bf16"),
            NumberFormat::Fixed(8) if w.task.is_training() => Err(EvalError::unsupported(
                "int8 runs inference only on a GPU; train in fp32, bf16 or fp16",
            )),
            NumberFormat::Fixed(8) => tensor(s.int8_tensor_peak_ops, "int8"),
            f => Err(EvalError::unsupported(format!(
                "{} has no {f} arithmetic; use fp32, bf16, fp16 or int8",
                s.name
            ))),
        }
    }

    /// Time and energy of a kernel whose matrix work runs at `mat_rate`.
    fn cost(&self, w: Work, mat_rate: f64) -> Cost {
        let t_compute = w.mat_flops / mat_rate + w.vec_flops / self.fp32_rate;
        let t_memory = w.bytes / self.bandwidth;
        let time = t_compute.max(t_memory) + w.kernels * self.spec.launch_overhead.value();
        Cost {
            time,
            // e_mat = P_dyn / R_mat, e_vec = P_dyn / R_vec.
            compute_j: self.dynamic_power * t_compute,
            dram_j: self.energy_per_byte * w.bytes,
            static_j: self.spec.static_power.value() * time,
            bound: if t_compute >= t_memory {
                "compute"
            } else {
                "memory"
            },
        }
    }

    /// DRAM bytes the workload occupies: weights, gradients, optimizer state
    /// and stored activations in training; weights and the largest layer's
    /// input and output in inference.
    fn footprint(&self, w: &Workload, kfac: &[KfacFactors]) -> f64 {
        let p = &w.precision;
        let batch = w.batch as f64;
        let net = &w.network;
        let work = net.work();
        let params = work.params as f64;
        match &w.task {
            Task::Inference => {
                let widest = net
                    .layers()
                    .iter()
                    .map(|l| (l.work.input_activations + l.work.output_activations) as f64)
                    .fold(0.0, f64::max);
                params * p.weights.bytes() + batch * widest * p.activations.bytes()
            }
            Task::Training { optimizer } => {
                let low_copy = if p.weights != p.master {
                    p.weights.bytes()
                } else {
                    0.0
                };
                let per_param = p.master.bytes() * (1.0 + optimizer.state_per_param() as f64)
                    + p.gradients.bytes()
                    + low_copy;
                let stored: f64 = net
                    .layers()
                    .iter()
                    .filter(|l| !matches!(l.op, Op::Flatten))
                    .map(|l| l.work.output_activations as f64)
                    .sum();
                let factors: f64 = kfac
                    .iter()
                    .map(|f| 2.0 * ((f.a_dim * f.a_dim + f.g_dim * f.g_dim) as f64) * KFAC_BYTES)
                    .sum();
                let input = net.input().elements() as f64;
                params * per_param + batch * (input + stored) * p.activations.bytes() + factors
            }
        }
    }

    /// K-FAC's extra work on `network` at `batch`, un-amortised. With
    /// `row_cap`, each factor is formed from at most that many rows (as
    /// implementations that subsample the patches do).
    pub fn kfac_costs(&self, network: &Network, batch: u64, row_cap: Option<u64>) -> KfacCosts {
        let factors = kfac_factors(network);
        let mut out = [Cost::default(); 3];
        for f in &factors {
            let [form, inv, pre] = self.kfac_layer_costs(f, batch, row_cap);
            out[0].add(form);
            out[1].add(inv);
            out[2].add(pre);
        }
        let k = |c: Cost| KfacCost {
            time: Seconds(c.time),
            energy: Joules(c.energy()),
        };
        KfacCosts {
            factors: k(out[0]),
            inversion: k(out[1]),
            precondition: k(out[2]),
        }
    }

    /// Forming, inverting and applying one layer's factors, once each.
    fn kfac_layer_costs(&self, f: &KfacFactors, batch: u64, row_cap: Option<u64>) -> [Cost; 3] {
        let rows = batch
            .saturating_mul(f.rows_per_sample)
            .min(row_cap.unwrap_or(u64::MAX)) as f64;
        let (a, g) = (f.a_dim as f64, f.g_dim as f64);
        // A = a^T a over the (unfolded) input patches; the unfold of a
        // kernel larger than 1x1 writes the patch matrix and reads it back.
        let unfold = if f.unfold { 1.0 } else { 0.0 };
        let form_a = Work {
            mat_flops: 2.0 * a * a * rows,
            vec_flops: 0.0,
            bytes: rows * a * KFAC_BYTES * (1.0 + 2.0 * unfold) + a * a * KFAC_BYTES,
            kernels: 1.0 + unfold,
        };
        let form_g = Work {
            mat_flops: 2.0 * g * g * rows,
            vec_flops: 0.0,
            bytes: rows * g * KFAC_BYTES + g * g * KFAC_BYTES,
            kernels: 1.0,
        };
        let mut form = self.cost(form_a, self.fp32_rate);
        form.add(self.cost(form_g, self.fp32_rate));
        let mut inv = self.inverse_cost(f.a_dim);
        inv.add(self.inverse_cost(f.g_dim));
        // G^-1 * grad * A^-1: two matrix products per step.
        let pre = self.cost(
            Work {
                mat_flops: 2.0 * (g * g * a + g * a * a),
                vec_flops: 0.0,
                bytes: (a * a + g * g + 2.0 * a * g) * KFAC_BYTES,
                kernels: 2.0,
            },
            self.fp32_rate,
        );
        [form, inv, pre]
    }
}

/// Whether a layer's backward-data kernel reads the tensor its forward pass
/// saved (activation, normalisation, pooling, softmax and products do; a
/// sum, a concatenation and a weight layer need only the gradient).
fn reads_saved_input(op: &Op) -> bool {
    matches!(
        op,
        Op::Activation(_) | Op::Norm(_) | Op::Pool(_) | Op::Softmax | Op::MatMul(_)
    )
}

/// What a layer's kernel depends on besides the layer.
struct Ctx<'a> {
    batch: f64,
    precision: &'a Precision,
    optimizer: Option<&'a Optimizer>,
    /// Divisor of the multiplies of a Winograd-eligible convolution (1 when
    /// the matrix engine does not use Winograd).
    winograd: f64,
}

/// Whether cuDNN's Winograd kernels apply: a dense 3x3 convolution with
/// stride 1 and no dilation.
fn winograd_eligible(op: &Op) -> bool {
    match op {
        Op::Conv2d(c) => {
            c.kernel.h == 3
                && c.kernel.w == 3
                && c.stride.area() == 1
                && c.dilation.area() == 1
                && c.groups == 1
        }
        _ => false,
    }
}

/// The kernel of one layer in one phase, or `None` where nothing runs.
fn layer_work(layer: &Layer, phase: Phase, ctx: &Ctx<'_>) -> Option<Work> {
    let (batch, p, optimizer) = (ctx.batch, ctx.precision, ctx.optimizer);
    let training = optimizer.is_some();
    let lw = &layer.work;
    if matches!(layer.op, Op::Flatten) {
        return None; // a view: no kernel, no traffic
    }
    let (a, wb, g, m) = (
        p.activations.bytes(),
        p.weights.bytes(),
        p.gradients.bytes(),
        p.master.bytes(),
    );
    let (inp, out) = (
        lw.input_activations as f64 * batch,
        lw.output_activations as f64 * batch,
    );
    // An embedding gathers the rows it uses, not its whole table.
    let weight_reads = match layer.op {
        Op::Embedding { .. } => (lw.params as f64).min(out),
        _ => lw.params as f64,
    };
    let mut macs = lw.phase_macs(phase) as f64 * batch;
    if winograd_eligible(&layer.op) {
        macs /= ctx.winograd;
    }
    let vec = lw.phase_vector_ops(phase) as f64;
    // Batch norm in training computes the batch statistics before it
    // normalises: the forward pass reads its input twice, the backward pass
    // reads the output gradient and the saved input twice (reductions, then
    // the input gradient).
    let batch_norm_training = training && matches!(layer.op, Op::Norm(NormKind::Batch));
    let work = match phase {
        Phase::Forward => Work {
            mat_flops: 2.0 * macs,
            vec_flops: vec * batch,
            bytes: weight_reads * wb
                + (inp + out) * a
                + if batch_norm_training { inp * a } else { 0.0 },
            kernels: 1.0,
        },
        Phase::BackwardData => {
            if lw.backward_data_macs == 0 && lw.backward_data_vector_ops == 0 {
                return None; // no gradient flows into this layer's inputs
            }
            let saved = if batch_norm_training {
                2.0 * inp * a + out * g
            } else if reads_saved_input(&layer.op) {
                inp * a
            } else {
                0.0
            };
            Work {
                mat_flops: 2.0 * macs,
                vec_flops: vec * batch,
                bytes: lw.weights as f64 * wb + (out + inp) * g + saved,
                kernels: 1.0,
            }
        }
        Phase::BackwardWeight => {
            if lw.backward_weight_macs == 0 {
                return None;
            }
            Work {
                mat_flops: 2.0 * macs,
                vec_flops: 0.0,
                bytes: inp * a + out * g + lw.params as f64 * g,
                kernels: 1.0,
            }
        }
        Phase::Update => {
            let opt = optimizer?;
            if lw.params == 0 {
                return None;
            }
            let params = lw.params as f64;
            let state = opt.state_per_param() as f64;
            let low_copy = if p.weights != p.master { wb } else { 0.0 };
            Work {
                mat_flops: 0.0,
                vec_flops: vec * opt.update_ops_per_param() as f64,
                // Read and write the master weights and the state, read the
                // gradient, write the low-precision copy in mixed precision.
                bytes: params * (2.0 * m + g + 2.0 * state * m + low_copy),
                // The update is one multi-tensor (foreach) kernel for all
                // layers; its launch is charged to the first update row.
                kernels: 0.0,
            }
        }
    };
    Some(work)
}

impl Accelerator for Gpu {
    fn id(&self) -> &str {
        &self.spec.id
    }

    fn info(&self) -> ArchInfo {
        let s = &self.spec;
        let tflops = |v: f64| engineering(v, "FLOP/s");
        let opt = |v: Option<f64>, unit: &str| match v {
            Some(v) => engineering(v, unit),
            None => "none".to_string(),
        };
        let datasheet = format!("datasheet: {}", s.source);
        let p = |name: &str, value: String, src: &str| (name.to_string(), value, src.to_string());
        let parameters = vec![
            p("fp32_peak_flops", tflops(s.fp32_peak_flops), &datasheet),
            p(
                "fp16_tensor_peak_flops",
                opt(s.fp16_tensor_peak_flops, "FLOP/s"),
                &datasheet,
            ),
            p(
                "bf16_tensor_peak_flops",
                opt(s.bf16_tensor_peak_flops, "FLOP/s"),
                &datasheet,
            ),
            p(
                "int8_tensor_peak_ops",
                opt(s.int8_tensor_peak_ops, "OP/s"),
                &datasheet,
            ),
            p(
                "fp32_efficiency",
                format!("{:.4}", s.fp32_efficiency),
                "fitted once to the H200 vgg16 fp32 training row of gpu-h200.json; \
                 the same value is assumed on the other GPUs",
            ),
            p(
                "fp32_winograd_reduction",
                format!("{:.2}", s.fp32_winograd_reduction),
                "Lavin & Gray, CVPR 2016: F(2x2, 3x3) Winograd uses 16 instead of 36 multiplies; \
                 assumption: cuDNN picks it for every dense 3x3 stride-1 fp32 convolution",
            ),
            p(
                "tensor_efficiency",
                s.tensor_efficiency
                    .map_or("none".to_string(), |v| format!("{v:.4}")),
                "fitted once to the H200 vgg16 bf16 training row of gpu-h200.json; \
                 the same value is assumed on the other GPUs",
            ),
            p(
                "memory_bandwidth",
                s.memory_bandwidth.to_string(),
                &datasheet,
            ),
            p(
                "memory_efficiency",
                format!("{:.2}", s.memory_efficiency),
                "assumption: fraction of the spec bandwidth a streaming kernel reaches \
                 (published microbenchmarks; see the preset comment)",
            ),
            p("memory_capacity", s.memory_capacity.to_string(), &datasheet),
            p(
                "dram_energy_per_bit",
                s.dram_energy_per_bit.to_string(),
                "published DRAM energy per bit (see the preset comment)",
            ),
            p(
                "launch_overhead",
                s.launch_overhead.to_string(),
                "assumption: framework dispatch plus CUDA launch per operator, 5-25 us published",
            ),
            p(
                "inverse_step_latency",
                s.inverse_step_latency.to_string(),
                "fitted once to the H200 n = 256 fp32 cholesky_inverse row of gpu-h200.json; \
                 the same value is assumed on the other GPUs",
            ),
            p("tdp", s.tdp.to_string(), &datasheet),
            p(
                "static_power",
                s.static_power.to_string(),
                "assumption: typical idle board power (see the preset comment)",
            ),
            p("die_area", s.die_area.to_string(), &datasheet),
        ];
        let mut formats = vec!["fp32"];
        if s.fp16_tensor_peak_flops.is_some() {
            formats.push("fp16 (tensor cores)");
        }
        if s.bf16_tensor_peak_flops.is_some() {
            formats.push("bf16 (tensor cores)");
        }
        if s.int8_tensor_peak_ops.is_some() {
            formats.push("int8 inference (tensor cores)");
        }
        ArchInfo {
            family: "gpu".into(),
            name: s.name.clone(),
            technology: s.technology.clone(),
            source: s.source.clone(),
            area: Some(s.die_area),
            peak_ops_per_s: Some(s.fp32_peak_flops),
            supports: format!(
                "inference and training (sgd, momentum, adam, kfac) of every IR layer; formats: {}",
                formats.join(", ")
            ),
            explanation: EXPLANATION.to_string(),
            parameters,
            figures: vec![("tdp_w".into(), s.tdp.value())],
        }
    }

    fn evaluate(&self, w: &Workload) -> Result<Report, EvalError> {
        let _span =
            tracing::debug_span!("gpu", id = %self.spec.id, network = %w.network.name()).entered();
        if w.batch == 0 {
            return Err(EvalError::Config {
                message: "the batch must be at least 1".into(),
            });
        }
        let mat_rate = self.matrix_rate(w)?;
        let optimizer = w.task.optimizer();
        let kfac = match optimizer {
            Some(Optimizer::Kfac {
                factor_interval,
                inversion_interval,
                ..
            }) => {
                if *factor_interval == 0 || *inversion_interval == 0 {
                    return Err(EvalError::Config {
                        message:
                            "K-FAC's factor_interval and inversion_interval must be at least 1"
                                .into(),
                    });
                }
                Some((
                    kfac_factors(&w.network),
                    *factor_interval as f64,
                    *inversion_interval as f64,
                ))
            }
            _ => None,
        };
        let footprint = self.footprint(w, kfac.as_ref().map_or(&[], |k| k.0.as_slice()));
        if footprint > self.spec.memory_capacity.value() {
            return Err(EvalError::Config {
                message: format!(
                    "{} at batch {} needs about {} of DRAM; {} has {}",
                    w.network.name(),
                    w.batch,
                    Bytes(footprint),
                    self.spec.name,
                    self.spec.memory_capacity
                ),
            });
        }

        let mut report = Report::new(w);
        report.area = Some(self.spec.die_area);
        let batch = w.batch as f64;
        let layers = w.network.layers();
        let mut acc = Totals::default();
        // Execution order: forward, then backward layer by layer from the
        // output (data gradient, then weight gradient), then the update.
        let mut order: Vec<(&Layer, Phase)> = Vec::with_capacity(layers.len() * 4);
        for &phase in w.phases() {
            match phase {
                Phase::Forward => order.extend(layers.iter().map(|l| (l, phase))),
                Phase::BackwardData => {
                    for l in layers.iter().rev() {
                        order.push((l, Phase::BackwardData));
                        order.push((l, Phase::BackwardWeight));
                    }
                }
                Phase::BackwardWeight => {}
                Phase::Update => order.extend(layers.iter().map(|l| (l, phase))),
            }
        }
        let ctx = Ctx {
            batch,
            precision: &w.precision,
            optimizer,
            winograd: if w.precision.compute() == NumberFormat::Fp32 {
                self.spec.fp32_winograd_reduction
            } else {
                1.0
            },
        };
        let mut first_update = true;
        for (layer, phase) in order {
            let Some(mut work) = layer_work(layer, phase, &ctx) else {
                continue;
            };
            if phase == Phase::Update && first_update {
                work.kernels = 1.0;
                first_update = false;
            }
            acc.traffic += work.bytes;
            acc.flops += work.mat_flops + work.vec_flops;
            let c = self.cost(work, mat_rate);
            acc.push(&mut report, layer.name.clone(), phase, c);
        }
        if let Some((factors, every_f, every_i)) = &kfac {
            let (mut form_once, mut inv_once) = (Cost::default(), Cost::default());
            let mut precondition = Cost::default();
            for f in factors {
                let [form, inv, pre] = self.kfac_layer_costs(f, w.batch, None);
                form_once.add(form);
                inv_once.add(inv);
                precondition.add(pre);
                let name = &layers[f.layer].name;
                let rows = [
                    ("kfac-factors", form.scaled(1.0 / every_f)),
                    ("kfac-inverse", inv.scaled(1.0 / every_i)),
                    ("kfac-precondition", pre),
                ];
                for (what, c) in rows {
                    acc.push(&mut report, format!("{name}.{what}"), Phase::Update, c);
                }
            }
            // Per step, amortised as the rows above: the inversions, and all
            // second-order work.
            let inversion_s = inv_once.time / every_i;
            let second_order_s = form_once.time / every_f + inversion_s + precondition.time;
            let step = report.latency.value();
            report.set_metric("inversion_share", inversion_s / step);
            report.set_metric("second_order_share", second_order_s / step);
            report.set_metric("kfac_factor_s", form_once.time);
            report.set_metric("kfac_factor_j", form_once.energy());
            report.set_metric("kfac_inversion_s", inv_once.time);
            report.set_metric("kfac_inversion_j", inv_once.energy());
        }
        let total = acc.cost;
        let (traffic, flops) = (acc.traffic, acc.flops);
        report.add_energy(component::COMPUTE, Joules(total.compute_j));
        report.add_energy(component::DRAM, Joules(total.dram_j));
        report.add_energy(component::STATIC, Joules(total.static_j));
        report.set_metric("dram_traffic_bytes", traffic);
        report.set_metric("executed_flops", flops);
        report.set_metric("memory_footprint_bytes", footprint);
        Ok(report)
    }
}

/// The model in words, shared by every GPU preset (`ArchInfo::explanation`).
const EXPLANATION: &str = "\
Per-layer roofline of a GPU running a framework in eager mode (PyTorch + cuDNN/cuBLAS). \
Every layer of every phase the task runs is one kernel (Flatten is a view: none). \
A kernel's FLOPs are 2 x its MACs of that phase x batch, on the matrix engine of the compute \
format (fp32 CUDA cores for fp32; tensor cores for fp16/bf16, and int8 for inference), plus \
its element-wise operations on the fp32 CUDA cores. Its DRAM bytes: forward reads the \
parameters once per batch and the input and output activations per sample; backward-data \
reads the weights and the output gradient and writes the input gradient (element-wise, \
pooling and softmax layers also re-read their saved input); backward-weight reads the input \
and the output gradient and writes the weight gradient; the update reads and writes the \
master weights and the optimizer state (state_per_param values each, master format), reads \
the gradient, and writes the low-precision weight copy in mixed precision. \
In fp32, a dense 3x3 stride-1 convolution runs cuDNN's Winograd kernels: its multiplies are \
divided by fp32_winograd_reduction (2.25 for F(2x2, 3x3)); tensor-core paths use implicit GEMM. \
Batch norm in training reads its input twice forward (statistics, then normalisation) and its \
input and output gradient twice backward. \
Time = max(F_mat / (peak_fmt x eta_fmt) + F_vec / (peak_fp32 x eta_fp32), \
bytes / (bandwidth x eta_mem)) + launch_overhead; the update is one multi-tensor kernel \
(one launch). The layer rows add up (LatencyRule::Sum); `bound` names the larger term. \
eta_fp32 and eta_tensor are one number each for every layer of every network, fitted once \
to one measured H200 row each; eta_mem, the launch overhead and the static power are stated \
assumptions. \
Energy = P_static x t + P_dyn x t_compute + e_byte x bytes, with \
P_dyn = TDP - P_static - e_byte x bandwidth x eta_mem: a kernel that computes at the achieved \
rate while streaming at the achieved bandwidth draws exactly the TDP, so the average power \
never exceeds it. Components: compute, dram, static. \
K-FAC (Martens & Grosse 2015) adds, per Conv2d/Linear/LSTM layer, factors A (dimension \
C_in/groups x kh x kw, +1 with a bias; an LSTM is one linear map of [x_t, h_t-1, 1]) and G \
(dimension C_out, 4 x hidden for an LSTM), each formed as a fp32 covariance of 2 x dim^2 x rows \
FLOPs (rows = batch x output positions), inverted at n^3 FLOPs + n x inverse_step_latency \
(the n dependent column steps of a Cholesky inverse), and a preconditioning G^-1 grad A^-1 \
every step; forming is amortised over factor_interval steps and inverting over \
inversion_interval, as `<layer>.kfac-factors`, `.kfac-inverse` and `.kfac-precondition` \
update rows. Metrics kfac_factor_s/_j and kfac_inversion_s/_j give the un-amortised cost of \
forming / inverting every factor once; inversion_share and second_order_share are the amortised \
inversions' and all K-FAC work's shares of the step time. \
A workload whose DRAM footprint (parameters, gradients, optimizer state, stored activations, \
K-FAC factors) exceeds the capacity is a configuration error. \
Not modelled: cuDNN algorithm choice (Winograd/FFT can exceed the algorithmic peak), \
kernel fusion, low occupancy at small batch, depthwise-convolution inefficiency, \
caches (every tensor goes to DRAM), multi-GPU.";

#[cfg(test)]
mod tests {
    use super::*;
    use pimzoo_ir::parse_network;

    /// A round-number GPU: 100 TFLOP/s fp32, 1 PFLOP/s tensor, 1 TB/s.
    fn spec() -> GpuSpec {
        GpuSpec {
            id: "gpu/test".into(),
            name: "test GPU".into(),
            technology: "none".into(),
            source: "none".into(),
            fp32_peak_flops: 100e12,
            fp16_tensor_peak_flops: Some(1e15),
            bf16_tensor_peak_flops: Some(1e15),
            int8_tensor_peak_ops: None,
            fp32_efficiency: 0.5,
            fp32_winograd_reduction: 2.25,
            tensor_efficiency: Some(0.25),
            memory_bandwidth: BytesPerSecond(1e12),
            memory_efficiency: 0.8,
            memory_capacity: Bytes(16e9),
            dram_energy_per_bit: Joules(5e-12),
            launch_overhead: Seconds(5e-6),
            inverse_step_latency: Seconds(1e-6),
            tdp: Watts(400.0),
            static_power: Watts(50.0),
            die_area: SquareMm(800.0),
        }
    }

    fn gpu() -> Gpu {
        Gpu::new(spec()).unwrap()
    }

    #[test]
    fn a_kernel_is_the_larger_of_its_compute_and_memory_times_plus_a_launch() {
        let g = gpu();
        // 1 GFLOP at 50 TFLOP/s = 20 us; 1 MB at 0.8 TB/s = 1.25 us.
        let c = g.cost(
            Work {
                mat_flops: 1e9,
                vec_flops: 0.0,
                bytes: 1e6,
                kernels: 1.0,
            },
            g.fp32_rate,
        );
        assert_eq!(c.bound, "compute");
        assert!((c.time - (20e-6 + 5e-6)).abs() < 1e-15);
        let m = g.cost(
            Work {
                mat_flops: 1e6,
                vec_flops: 1e6,
                bytes: 8e6,
                kernels: 1.0,
            },
            g.fp32_rate,
        );
        assert_eq!(m.bound, "memory");
        assert!((m.time - (10e-6 + 5e-6)).abs() < 1e-15);
        // Energy: static over the whole time, DRAM per byte, compute at P_dyn.
        assert!((m.dram_j - 8e6 * 40e-12).abs() < 1e-15);
        assert!((m.static_j - 50.0 * m.time).abs() < 1e-15);
    }

    #[test]
    fn a_kernel_at_both_roofs_draws_exactly_the_tdp() {
        let g = gpu();
        // 50 TFLOP/s x 1 ms and 0.8 TB/s x 1 ms: both terms take 1 ms.
        let c = g.cost(
            Work {
                mat_flops: 50e9,
                vec_flops: 0.0,
                bytes: 0.8e9,
                kernels: 0.0,
            },
            g.fp32_rate,
        );
        assert!((c.time - 1e-3).abs() < 1e-15);
        assert!((c.energy() / c.time - 400.0).abs() < 1e-9);
        // Tensor cores: the same power at their own achieved rate.
        let t = g.cost(
            Work {
                mat_flops: 250e9,
                vec_flops: 0.0,
                bytes: 0.8e9,
                kernels: 0.0,
            },
            1e15 * 0.25,
        );
        assert!((t.energy() / t.time - 400.0).abs() < 1e-9);
    }

    #[test]
    fn the_spd_inverse_is_flops_plus_a_critical_path() {
        let g = gpu();
        let n = 1000_u64;
        let expect = 1e9 / 50e12 + 1000.0 * 1e-6;
        assert!((g.spd_inverse_time(n).value() - expect).abs() < 1e-15);
        assert_eq!(g.spd_inverse_time(0), Seconds::ZERO);
    }

    #[test]
    fn validation_names_the_field() {
        let mut s = spec();
        s.fp32_winograd_reduction = 0.5;
        assert!(Gpu::new(s).unwrap_err().contains("fp32_winograd_reduction"));
        let mut s = spec();
        s.fp32_peak_flops = f64::NAN;
        assert!(Gpu::new(s).unwrap_err().contains("fp32_peak_flops"));
        let mut s = spec();
        s.memory_capacity = Bytes(0.0);
        assert!(Gpu::new(s).unwrap_err().contains("memory_capacity"));
        let mut s = spec();
        s.dram_energy_per_bit = Joules(1e-9); // 6.4 kW of DRAM
        assert!(Gpu::new(s).unwrap_err().contains("dram_energy_per_bit"));
    }

    fn layer_of(text: &str, index: usize) -> Layer {
        let net = parse_network(text, "test").unwrap();
        net.layers()[index].clone()
    }

    #[test]
    fn kernels_follow_the_layer_rules() {
        let fp32 = Precision::default();
        let momentum = Optimizer::from_name("momentum").unwrap();
        let ctx = |optimizer| Ctx {
            batch: 2.0,
            precision: &fp32,
            optimizer,
            winograd: 2.25,
        };
        let text = "Network(name: \"n\", input: [8, 4, 4], layers: [
            (name: \"c3\", op: Conv2d(out: 8, kernel: 3, padding: 1)),
            (name: \"c1\", op: Conv2d(out: 8, kernel: 1)),
            (name: \"bn\", op: Norm(Batch)),
            (name: \"f\", op: Flatten),
        ])";
        let (c3, c1, bn, f) = (
            layer_of(text, 0),
            layer_of(text, 1),
            layer_of(text, 2),
            layer_of(text, 3),
        );
        // Winograd applies to the 3x3 convolution only.
        let w3 = layer_work(&c3, Phase::Forward, &ctx(None)).unwrap();
        assert!((w3.mat_flops - 2.0 * 2.0 * (8 * 8 * 9 * 16) as f64 / 2.25).abs() < 1e-9);
        let w1 = layer_work(&c1, Phase::Forward, &ctx(None)).unwrap();
        assert!((w1.mat_flops - 2.0 * 2.0 * (8 * 8 * 16) as f64).abs() < 1e-9);
        // A view runs nothing; the first layer has no data gradient.
        assert!(layer_work(&f, Phase::Forward, &ctx(None)).is_none());
        assert!(layer_work(&c3, Phase::BackwardData, &ctx(Some(&momentum))).is_none());
        // Batch norm reads its input once more in training.
        let inf = layer_work(&bn, Phase::Forward, &ctx(None)).unwrap();
        let train = layer_work(&bn, Phase::Forward, &ctx(Some(&momentum))).unwrap();
        assert!((train.bytes - inf.bytes - 2.0 * 128.0 * 4.0).abs() < 1e-9);
        // Momentum in fp32 moves 20 bytes per parameter: w and v read and
        // written, g read.
        let u = layer_work(&c1, Phase::Update, &ctx(Some(&momentum))).unwrap();
        assert!((u.bytes - 20.0 * 64.0).abs() < 1e-9);
        assert!((u.vec_flops - 5.0 * 64.0).abs() < 1e-9);
        // Mixed precision: fp32 w and v read and written (16 bytes), the bf16
        // gradient read (2) and the bf16 copy written (2).
        let mixed: Precision = "bf16".parse().unwrap();
        let ctx_mixed = Ctx {
            batch: 2.0,
            precision: &mixed,
            optimizer: Some(&momentum),
            winograd: 1.0,
        };
        let u = layer_work(&c1, Phase::Update, &ctx_mixed).unwrap();
        assert!((u.bytes - 20.0 * 64.0).abs() < 1e-9);
    }
}
