//! The model in words for `cargo xtask explain ntx`, with the figures it
//! computes: the kernel suite, the accumulation study and the mesh-scaling
//! table (ResNet-50 training from 1 to 1024 cubes).
use crate::accumulator::accumulation_study;
use crate::cube::Cube;
use crate::kernels::kernel_efficiencies;
use crate::mesh::{cube_mesh, gpu_system, MeshSpec};
use crate::model::Ntx;
use pimzoo_core::units::{engineering, Bytes, Seconds};
use pimzoo_core::{Optimizer, Workload};
use pimzoo_tech::mesh::{NodeStep, Topology};
use std::sync::Arc;

const TEXT: &str = "\
NTX (Schuiki et al., IEEE TC 2019; DATE 2019 silicon): clusters of eight fp32 streaming \
co-processors (NTX) driven by one RISC-V core, in the logic die of a Hybrid Memory Cube. Every \
layer of every phase is mapped onto NTX commands (five nested hardware loops with 16-bit bounds, \
three address generators), tiled into the cluster's TCDM with double-buffered DMA from the \
vaults, and scheduled over the clusters against the vault bandwidth. Kernel efficiency is an \
output of these mappings, not an input.

Command cycles (from ntx_ctrl.vhd): C = 1 + prod(L_l, l < outer) + [init cycle] \
prod(L_l, init <= l < outer); VMULT and a vector COPY have no init cycle. Reads and write-backs \
share the two 32-bit TCDM ports, so a command takes max(C, 1 + (reads + writes) / 2) cycles: a \
convolution hides its write-back in the init cycle, VMULT needs 1.5 cycles per element, an AXPY \
2. TCDM bank conflicts follow Strecker's model (requests spread uniformly over the banks): \
eta = B (1 - (1 - 1/B)^M) / M with M the requests per cycle of the engines and the DMA. A command \
that needs the previous one's result waits for the drain (FMAC 10 + normaliser 5 + write-back).

Offload: the core (half the NTX clock) writes each round's changed registers into the staging \
area while the previous command runs (one running, one staged): t_round = max(C / eta, 2 \
(W_round c_store + c_round)). With broadcast, loop bounds and strides are written once per tile \
for all eight engines and a round costs one base-address write per engine and changed base plus \
one broadcast command word. The offload metric is core cycles per NTX command, compared with a \
NeuroStream-style coupling (two engines per core, no broadcast, every command writing its whole \
loop nest) on the same command stream.

Mappings (docs/models/ntx.md): convolution forward and backward-data (per stride phase, rotated \
kernel) as one MAC per output channel over [kw, kh, ci, x, y] (C = 1 + h w (kh kw ci + 1)); \
weight gradient as one MAC per output channel over [x, y, kw, kh, ci] accumulating across images \
(C = 1 + kh kw ci (h w + 1)); fully connected, attention and LSTM products as tiled GEMMs; max \
pooling with MAXMIN (and its argmax in training), its gradient with COPY and MASKMAC; ReLU with \
THTST, its gradient with MASK; batch norm as two reductions and an affine MAC; residual adds with \
VADDSUB; SGD as a MAC that loads w and accumulates -lr g (2 cycles, 12 bytes per weight), \
momentum as two such passes (5 cycles, 20 bytes). Exponentials, divisions and square roots run \
in software on the cores; adam and kfac are unsupported. Tile sizes are searched per layer for \
the shortest time; each tile runs on one cluster, double-buffered: T = max(ceil(tiles / N) \
t_tile, bytes / B_vaults) + one tile's fetch.

Energy: clusters P_cl (f_idle N T + (1 - f_idle) busy engine time); DRAM traffic at e_dram + \
e_vault_ctrl + e_interconnect per bit; DRAM standby and refresh from the HMC currents. The links \
are power-gated while a single cube computes. Components: compute, dram, static (interconnect for \
a mesh).

Mesh (pimzoo_tech::mesh): data-parallel training, each cube a replica; gradients all-reduced over \
the HMC links (ring, or 2-D torus by rows then columns), optionally overlapped with the backward \
pass; parallel efficiency T_1 / T_N and energy efficiency N E_1 / E_N (links idle power, link \
energy per bit, nodes waiting). The GPU system is the same scheme on GPUs sized to the mesh's \
throughput, with a host power per GPU.

Functional model: the 284-bit accumulator (bit 0 = 2^-150) adds exact fp32 products and rounds \
once at write-back (the RTL truncates); accumulator::accumulation_study compares it with plain \
fp32 accumulation.

Calibration: nothing is fitted. The clusters per cube are not published; the cube holds as many \
as its logic power budget affords (floor(10 W / 168 mW) = 59), so the TC paper's 1.2 Tflop/s is a \
prediction (a fit would need 86 clusters, an integer the 0.1 % fitted-value check cannot accept). \
The cluster area derives from the DATE 2019 14-nm projection; idle power, core costs, DMA width, \
the TCDM and the NeuroStream baseline are stated assumptions (docs/models/ntx.md).";

fn pct(x: f64) -> String {
    format!("{:.1} %", 100.0 * x)
}

/// One row of the mesh-scaling table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScalingRow {
    pub cubes: u32,
    pub topology: Topology,
    pub step: Seconds,
    pub parallel_efficiency: f64,
    pub energy_efficiency: f64,
    /// Throughput of the whole mesh, Flop/s.
    pub flops: f64,
}

/// How the mesh of a scaling table communicates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MeshOptions {
    pub step_latency: Seconds,
    pub overlap: bool,
    pub link_power_gating: bool,
}

impl MeshOptions {
    pub fn of(m: &MeshSpec) -> MeshOptions {
        MeshOptions {
            step_latency: m.step_latency,
            overlap: m.overlap,
            link_power_gating: m.link_power_gating,
        }
    }
}

/// Weak scaling of `network` training (SGD, `per_cube` samples per cube)
/// on meshes of 1, 2, 4 ... `max_cubes` cubes, ring and 2-D torus.
pub fn scaling_table(
    cube: &Cube,
    network: &str,
    per_cube: u64,
    max_cubes: u32,
    o: MeshOptions,
) -> Result<Vec<ScalingRow>, String> {
    let net = Arc::new(pimzoo_ir::zoo::get(network).map_err(|e| e.to_string())?);
    let w = Workload::training(net.clone(), per_cube, Optimizer::Sgd { lr: 0.1 });
    let run = cube.run(&w).map_err(|e| e.to_string())?;
    let node = NodeStep {
        time: run.report.latency,
        overlappable: run.backward_time,
        energy: run.report.energy(),
        idle_power: cube.idle_power(),
    };
    let grad = Bytes(4.0 * net.work().params as f64);
    let mut rows = Vec::new();
    let mut n = 1;
    while n <= max_cubes {
        for topology in [Topology::Ring, Topology::Torus2d] {
            let mesh = cube_mesh(cube, n, topology, o.step_latency, o.link_power_gating)?;
            let s = mesh.step(&node, grad, o.overlap);
            rows.push(ScalingRow {
                cubes: n,
                topology,
                step: s.time,
                parallel_efficiency: s.parallel_efficiency,
                energy_efficiency: s.energy_efficiency,
                flops: run.report.ops * n as f64 / s.time.value(),
            });
        }
        n *= 2;
    }
    Ok(rows)
}

/// The mesh options the table uses: the preset's, or the built-in mesh's.
fn table_mesh(model: &Ntx) -> Option<MeshSpec> {
    model.mesh().cloned().or_else(|| {
        let text = crate::preset::FILES
            .iter()
            .find(|(o, _)| o.ends_with("mesh-1024.ron"))?
            .1;
        #[derive(serde::Deserialize)]
        enum File {
            Ntx(crate::preset::Config),
        }
        let File::Ntx(c) = pimzoo_ir::ron_options().from_str::<File>(text).ok()?;
        c.mesh
    })
}

/// The explanation of `model`, with its computed figures.
pub fn explanation(model: &Ntx) -> String {
    let mut out = String::from(TEXT);
    let cube = model.cube();
    let c = &cube.spec().cluster;
    let kernels: Vec<String> = kernel_efficiencies(c)
        .iter()
        .map(|(k, e)| format!("{k} {}", pct(*e)))
        .collect();
    out.push_str(&format!(
        "\n\nKernels from the TCDM on one cluster (achieved / peak, from the command model): {}.",
        kernels.join(", ")
    ));
    let s = accumulation_study(1 << 14, 4, 2019);
    out.push_str(&format!(
        "\n\nAccumulation over {} products uniform in [-1, 1) ({} trials): NTX's exact \
         accumulator errs by at most {:.2} ulp (mean {:.2}); plain fp32 accumulation by up to {:.1} \
         ulp (mean {:.1}).",
        s.length, s.trials, s.exact_max_ulp, s.exact_mean_ulp, s.naive_max_ulp, s.naive_mean_ulp
    ));
    let Some(mesh) = table_mesh(model) else {
        return out;
    };
    let per_cube = mesh.gpu_system.as_ref().map_or(16, |g| g.batch_per_gpu);
    let preset = MeshOptions::of(&mesh);
    let stress = MeshOptions {
        overlap: false,
        link_power_gating: false,
        ..preset
    };
    for (images, o, what) in [
        (per_cube, preset, "the mesh preset's options"),
        (
            1,
            stress,
            "a stress case: 1 image per cube, no overlap, links always on",
        ),
    ] {
        match scaling_table(cube, "resnet50", images, 1024, o) {
            Ok(rows) => {
                out.push_str(&format!(
                    "\n\nMesh scaling, {what}: resnet50 training (SGD), {images} image(s) per \
                     cube, weak scaling; all-reduce over the HMC links ({} per direction, {} per \
                     step{}{}). Per size: ring parallel / energy efficiency; 2-D torus parallel / \
                     energy efficiency; torus step time and throughput.",
                    cube.hmc().link_bandwidth(),
                    o.step_latency,
                    if o.overlap {
                        ", overlapped with the backward pass"
                    } else {
                        ", after the backward pass"
                    },
                    if o.link_power_gating {
                        ", links powered only while they communicate"
                    } else {
                        ", links always on"
                    },
                ));
                for pair in rows.chunks(2) {
                    if let [r, t] = pair {
                        out.push_str(&format!(
                            "\n\n{:>5} cubes: ring {} / {}; torus {} / {}; {}, {}",
                            r.cubes,
                            pct(r.parallel_efficiency),
                            pct(r.energy_efficiency),
                            pct(t.parallel_efficiency),
                            pct(t.energy_efficiency),
                            t.step,
                            engineering(t.flops, "Flop/s")
                        ));
                    }
                }
            }
            Err(e) => out.push_str(&format!("\n\nMesh scaling table unavailable: {e}")),
        }
    }
    if let (Some(g), Some(gpu)) = (&mesh.gpu_system, model.gpu()) {
        if let Ok(net) = pimzoo_ir::zoo::get("resnet50") {
            let net = Arc::new(net);
            let w = Workload::training(
                net,
                per_cube * mesh.cubes as u64,
                Optimizer::Sgd { lr: 0.1 },
            );
            if let Ok(r) = crate::mesh::evaluate(cube, &mesh, None, &w) {
                let sps = w.batch as f64 / r.latency.value();
                let eps = r.energy().value() / w.batch as f64;
                if let Ok(cmp) = gpu_system(g, gpu, &w, sps, eps) {
                    out.push_str(&format!(
                        "\n\nGPU system at the throughput of {} cubes: {} x {} ({} per GPU host), \
                         {} parallel efficiency; energy per sample {:.2}x the mesh's, {:.2}x the \
                         mesh's throughput per watt.",
                        mesh.cubes,
                        cmp.gpus,
                        g.gpu,
                        g.host_power_per_gpu,
                        pct(cmp.gpu_step.parallel_efficiency),
                        cmp.energy_ratio,
                        cmp.speedup_equal_power
                    ));
                }
            }
        }
    }
    out
}
