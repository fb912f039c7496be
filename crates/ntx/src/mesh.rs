//! Data-parallel training on a mesh of NTX cubes joined by their HMC serial
//! links (the all-reduce model itself is [`pimzoo_tech::mesh`]), and the
//! GPU-based system it is compared with.
//!
//! Every cube holds a replica of the model and trains `batch / N` samples
//! per step; the gradients are all-reduced over the links and every cube
//! applies the same update. The GPU system is the same scheme on `n_gpu`
//! GPUs (sized to the mesh's throughput) over a cluster network, with a
//! host power per GPU.
use crate::cube::Cube;
use pimzoo_core::units::{Bytes, Seconds, Watts};
use pimzoo_core::{component, Accelerator, EvalError, LayerRow, Report, Workload};
use pimzoo_ir::Phase;
use pimzoo_tech::gpu::Gpu;
use pimzoo_tech::mesh::{LinkSpec, Mesh, MeshStep, NodeStep, Topology};
use serde::{Deserialize, Serialize};

/// The GPU-based system of the comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuSystemSpec {
    /// A built-in GPU preset (`gpu/titanx-pascal`).
    pub gpu: String,
    /// Samples per GPU and step.
    pub batch_per_gpu: u64,
    pub topology: Topology,
    /// The network between GPUs.
    pub link: LinkSpec,
    /// Host power per GPU (CPUs, memory, network cards, fans, supply losses).
    pub host_power_per_gpu: Watts,
}

/// A mesh of cubes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeshSpec {
    pub cubes: u32,
    pub topology: Topology,
    /// Send gradients while the backward pass still runs.
    pub overlap: bool,
    /// Fixed cost of one all-reduce step between cubes.
    pub step_latency: Seconds,
    /// Links powered only while an all-reduce runs.
    pub link_power_gating: bool,
    #[serde(default)]
    pub gpu_system: Option<GpuSystemSpec>,
}

/// The HMC links of `cube` as mesh links.
pub fn cube_link(cube: &Cube, step_latency: Seconds) -> LinkSpec {
    let h = cube.hmc();
    LinkSpec {
        bandwidth: h.link_bandwidth(),
        step_latency,
        energy_per_bit: h.spec().energy.link_per_bit,
        idle_power: h.link_idle_power_each(),
    }
}

/// A mesh of `cubes` cubes.
pub fn cube_mesh(
    cube: &Cube,
    cubes: u32,
    topology: Topology,
    step_latency: Seconds,
    link_power_gating: bool,
) -> Result<Mesh, String> {
    Mesh::new(
        cubes,
        topology,
        cube.hmc().spec().links,
        cube_link(cube, step_latency),
    )
    .map(|m| m.with_power_gating(link_power_gating))
    .map_err(|e| e.to_string())
}

/// One node's step from its report.
fn node_step(r: &Report, backward: Seconds, idle: Watts) -> NodeStep {
    NodeStep {
        time: r.latency,
        overlappable: backward,
        energy: r.energy(),
        idle_power: idle,
    }
}

fn backward_time(r: &Report) -> Seconds {
    r.layers
        .iter()
        .filter(|l| matches!(l.phase, Phase::BackwardData | Phase::BackwardWeight))
        .map(|l| l.latency)
        .sum()
}

/// The mesh of cubes and the GPU system, compared on one workload.
#[derive(Clone, Copy, Debug)]
pub struct GpuComparison {
    pub gpus: u32,
    pub gpu_step: MeshStep,
    /// GPU-system energy per sample over the mesh's.
    pub energy_ratio: f64,
    /// Mesh throughput over the GPU system's at the same power.
    pub speedup_equal_power: f64,
}

/// Evaluate the GPU system of `spec` on `w` (its batch replaced by
/// `batch_per_gpu`), sized to match `samples_per_s`, against a mesh step
/// spending `energy_per_sample`.
pub fn gpu_system(
    spec: &GpuSystemSpec,
    gpu: &Gpu,
    w: &Workload,
    samples_per_s: f64,
    energy_per_sample: f64,
) -> Result<GpuComparison, String> {
    let gw = Workload {
        batch: spec.batch_per_gpu.max(1),
        ..w.clone()
    };
    let r = gpu.evaluate(&gw).map_err(|e| e.to_string())?;
    let host = spec.host_power_per_gpu;
    let node = NodeStep {
        time: r.latency,
        overlappable: backward_time(&r),
        energy: r.energy() + host * r.latency,
        idle_power: gpu.spec().static_power + host,
    };
    let per_gpu = gw.batch as f64 / r.latency.value();
    let gpus = (samples_per_s / per_gpu).round().clamp(1.0, 1e6) as u32;
    let mesh = Mesh::new(
        gpus,
        spec.topology,
        spec.topology.links_needed(),
        spec.link.clone(),
    )
    .map_err(|e| e.to_string())?;
    let params = w.network.work().params as f64;
    let grad = if w.task.is_training() {
        4.0 * params
    } else {
        0.0
    };
    let step = mesh.step(&node, Bytes(grad), true);
    let samples = gpus as f64 * gw.batch as f64;
    let gpu_energy_per_sample = step.energy.value() / samples;
    // At equal power the mesh affords P_gpu / P_cube cubes, each at its own
    // throughput: the speedup is the ratio of samples per joule.
    let gpu_samples_per_j = samples / step.energy.value();
    let ntx_samples_per_j = 1.0 / energy_per_sample;
    Ok(GpuComparison {
        gpus,
        gpu_step: step,
        energy_ratio: gpu_energy_per_sample / energy_per_sample,
        speedup_equal_power: ntx_samples_per_j / gpu_samples_per_j,
    })
}

/// One step of `w` (the global batch) on a mesh of cubes.
pub fn evaluate(
    cube: &Cube,
    spec: &MeshSpec,
    gpu: Option<&Gpu>,
    w: &Workload,
) -> Result<Report, EvalError> {
    let n = spec.cubes as u64;
    if w.batch < n || w.batch % n != 0 {
        return Err(EvalError::Config {
            message: format!(
                "a mesh of {n} cubes splits the batch evenly: use a multiple of {n} samples (found {})",
                w.batch
            ),
        });
    }
    let per_cube = Workload {
        batch: w.batch / n,
        ..w.clone()
    };
    let run = cube.run(&per_cube)?;
    let mesh = cube_mesh(
        cube,
        spec.cubes,
        spec.topology,
        spec.step_latency,
        spec.link_power_gating,
    )
    .map_err(|message| EvalError::Config { message })?;
    let params = w.network.work().params as f64;
    let grad = if w.task.is_training() {
        4.0 * params
    } else {
        0.0
    };
    let node = node_step(&run.report, run.backward_time, cube.idle_power());
    let step = mesh.step(&node, Bytes(grad), spec.overlap);

    let mut report = Report::new(w);
    report.area = Some(cube.area() * spec.cubes as f64);
    let k = spec.cubes as f64;
    for row in &run.report.layers {
        report.push_layer(LayerRow {
            energy: row.energy * k,
            ..row.clone()
        });
    }
    if spec.cubes > 1 {
        // The links' row: the exposed all-reduce of training, or only their
        // idle power when nothing is reduced (inference).
        let (layer, phase) = if w.task.is_training() {
            ("gradient-allreduce", Phase::Update)
        } else {
            ("mesh-links", Phase::Forward)
        };
        report.push_layer(LayerRow {
            layer: layer.into(),
            phase,
            latency: step.exposed,
            energy: step.link_energy + step.wait_energy,
            bound: Some("interconnect".into()),
        });
    }
    for (c, e) in run.report.energy_breakdown() {
        report.add_energy(c, *e * k);
    }
    report.add_energy(component::INTERCONNECT, step.link_energy);
    report.add_energy(component::STATIC, step.wait_energy);
    let lat = report.latency.value();
    report.set_metric("tflops", report.ops / lat / 1e12);
    report.set_metric("gflops_per_w", report.ops / report.energy().value() / 1e9);
    report.set_metric("cubes", k);
    report.set_metric("parallel_efficiency", step.parallel_efficiency);
    report.set_metric("energy_efficiency", step.energy_efficiency);
    report.set_metric("allreduce_s", step.allreduce.time.value());
    report.set_metric("exposed_communication_s", step.exposed.value());
    report.set_metric(
        "link_bytes_per_cube",
        step.allreduce.bytes_sent_per_node.value(),
    );
    for name in ["clusters", "compute_efficiency", "engine_utilization"] {
        if let Some(v) = run.report.metrics.get(name) {
            report.set_metric(name, *v);
        }
    }
    if let (Some(g), Some(gpu)) = (&spec.gpu_system, gpu) {
        if w.task.is_training() {
            let samples_per_s = w.batch as f64 / lat;
            let per_sample = report.energy().value() / w.batch as f64;
            // A workload the GPU cannot run leaves the comparison out.
            if let Ok(c) = gpu_system(g, gpu, w, samples_per_s, per_sample) {
                report.set_metric("gpu_system_gpus", c.gpus as f64);
                report.set_metric(
                    "gpu_system_parallel_efficiency",
                    c.gpu_step.parallel_efficiency,
                );
                report.set_metric("gpu_system_energy_ratio", c.energy_ratio);
                report.set_metric("gpu_system_speedup_equal_power", c.speedup_equal_power);
            }
        }
    }
    Ok(report)
}
