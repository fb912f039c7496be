//! The [`Accelerator`] of an NTX preset: a cube, or a mesh of cubes.
use crate::accumulator::accumulation_study;
use crate::cube::Cube;
use crate::kernels::kernel_efficiencies;
use crate::mesh::MeshSpec;
use pimzoo_core::units::engineering;
use pimzoo_core::{Accelerator, ArchInfo, EvalError, Report, Workload};
use pimzoo_tech::gpu::Gpu;

/// An NTX configuration.
#[derive(Clone, Debug)]
pub struct Ntx {
    id: String,
    name: String,
    cube: Cube,
    mesh: Option<MeshSpec>,
    gpu: Option<Gpu>,
}

impl Ntx {
    pub fn new(
        id: String,
        name: String,
        cube: Cube,
        mesh: Option<MeshSpec>,
        gpu: Option<Gpu>,
    ) -> Ntx {
        Ntx {
            id,
            name,
            cube,
            mesh,
            gpu,
        }
    }

    pub fn cube(&self) -> &Cube {
        &self.cube
    }
    pub fn mesh(&self) -> Option<&MeshSpec> {
        self.mesh.as_ref()
    }
    pub fn gpu(&self) -> Option<&Gpu> {
        self.gpu.as_ref()
    }

    fn cubes(&self) -> f64 {
        self.mesh.as_ref().map_or(1.0, |m| m.cubes as f64)
    }

    /// `(name, value with unit, source)` of every parameter.
    fn parameters(&self) -> Vec<(String, String, String)> {
        let s = self.cube.spec();
        let c = &s.cluster;
        let h = &s.hmc;
        let mut v: Vec<(String, String, String)> = Vec::new();
        let mut p = |name: &str, value: String, source: &str| {
            v.push((name.to_string(), value, source.to_string()))
        };
        p(
            "clusters",
            self.cube.clusters().to_string(),
            match s.clusters {
                None => "derived from the logic-die power budget: floor(budget.power / cluster.power); the clusters per cube are not published",
                Some(_) => "given by the preset (see its comment)",
            },
        );
        p(
            "vaults",
            s.vaults.to_string(),
            "vaults whose bandwidth and static power this configuration uses (preset comment)",
        );
        p("cluster.engines", c.engines.to_string(), "TC 2019 arXiv v1 abstract: up to 8 NTX per core; DATE 2019: 20 Gflop/s at 1.25 GHz = 16 flop/cycle");
        p(
            "cluster.clock",
            engineering(c.clock.value(), "Hz"),
            "DATE 2019 abstract: 1.25 GHz, 22 nm FD-SOI post-layout",
        );
        p(
            "cluster.core_clock_ratio",
            format!("{}", c.core_clock_ratio),
            "NTX RTL ntx.vhd: the staging interface runs on HalfClk_CI",
        );
        p(
            "cluster.power",
            c.power.to_string(),
            "DATE 2019 abstract: 168 mW at 1.25 GHz",
        );
        p("cluster.idle_power_fraction", format!("{}", c.idle_power_fraction), "assumption: clock-gated engines keep leakage, clock tree and core (no published figure)");
        p("cluster.area", c.area.to_string(), "assumption: DATE 2019's 14 nm projection (10.4x less area than a GP102 at 1.4 Tflop/s = 70 clusters) scaled to 22 nm by (22/14)^2");
        p(
            "cluster.tcdm",
            c.tcdm.to_string(),
            "recalled from the paper body (ntx.md [R]): 64 kB (DATE silicon), 128 kB (TC)",
        );
        p(
            "cluster.tcdm_banks",
            c.tcdm_banks.to_string(),
            "recalled (ntx.md [R]): banking factor about 2 over the 16 NTX ports",
        );
        p(
            "cluster.dma_bytes_per_cycle",
            format!("{}", c.dma_bytes_per_cycle),
            "assumption: one 64-bit DMA port per cluster",
        );
        p(
            "cluster.mac_latency",
            c.mac_latency.to_string(),
            "NTX RTL ntx_pkg.vhd: C_FP32_MAC_LAT = 2 x 2 segments + 6",
        );
        p(
            "cluster.normalizer_latency",
            c.normalizer_latency.to_string(),
            "NTX RTL fp32_norm.vhd: 2 x 2 segments + 1",
        );
        p(
            "cluster.writeback_latency",
            c.writeback_latency.to_string(),
            "assumption: output FIFO to TCDM write",
        );
        p("cluster.core.store_cycles", format!("{}", c.core.store_cycles), "assumption: single-cycle store; the staging registers ack a write at once (ntx_regIf.vhd)");
        p(
            "cluster.core.round_overhead_cycles",
            format!("{}", c.core.round_overhead_cycles),
            "assumption: loop bookkeeping and a ready poll per round",
        );
        p(
            "cluster.core.tile_sync_cycles",
            format!("{}", c.core.tile_sync_cycles),
            "assumption: barrier and DMA programming per tile",
        );
        p(
            "cluster.core.special_function_cycles",
            format!("{}", c.core.special_function_cycles),
            "assumption: software exp/division per element on the core",
        );
        p(
            "cluster.offload",
            format!(
                "{} engines per core, broadcast {}, persistent registers {}",
                c.offload.engines_per_core, c.offload.broadcast, c.offload.persistent_config
            ),
            "NTX RTL: broadcast alias 0x10204C00 (ntx_api), staging area kept across commands (ntx_regIf.vhd)",
        );
        p(
            "baseline_offload",
            format!(
                "{} engines per core, broadcast {}, persistent registers {}",
                s.baseline_offload.engines_per_core,
                s.baseline_offload.broadcast,
                s.baseline_offload.persistent_config
            ),
            "recalled (ntx.md [R]) NeuroStream coupling: 2 co-processors per core, no broadcast; assumption: every command writes its whole loop nest",
        );
        p(
            "hmc",
            h.name.clone(),
            "DRAMsim3 HMC configuration (shared/data/dram) and hmc-logic-die.md, see the preset",
        );
        p(
            "hmc.vaults x vault bandwidth",
            format!("{} x {}", h.vaults, self.cube.hmc().vault_bandwidth()),
            "DRAMsim3 ini: channels, bus_width 32, tCK 0.8 ns (DDR)",
        );
        p(
            "hmc.vault_efficiency",
            format!("{}", h.vault_efficiency),
            "Micron prototype: 121 of 128 GB/s measured (hmc-logic-die.md, DENALI)",
        );
        p(
            "hmc.links",
            format!(
                "{} x {} lanes x {}",
                h.links,
                h.lanes_per_link,
                engineering(h.lane_rate_bps, "b/s")
            ),
            "DRAMsim3 ini: num_links, link_width, link_speed",
        );
        p("hmc.link_efficiency", format!("{}", h.link_efficiency), "hmc-logic-die.md (WIKI): 45-85 % payload for 128-byte packets; upper end for bulk transfers");
        p(
            "hmc.energy.dram_per_bit",
            h.energy.dram_per_bit.to_string(),
            "Jeddeloh & Keeth VLSIT 2012 via secondary quotes (hmc-logic-die.md [A])",
        );
        p(
            "hmc.energy.vault_controller_per_bit",
            h.energy.vault_controller_per_bit.to_string(),
            "SMC simulator default_params.sh (hmc-logic-die.md)",
        );
        p(
            "hmc.energy.interconnect_per_bit",
            h.energy.interconnect_per_bit.to_string(),
            "SMC simulator default_params.sh: 28 nm crossbar (hmc-logic-die.md)",
        );
        p(
            "hmc.energy.link_per_bit",
            h.energy.link_per_bit.to_string(),
            "SMC simulator default_params.sh: SERIALLINKS_ENERGY_PER_BIT",
        );
        p("hmc.link_idle_power", h.link_idle_power.to_string(), "SMC simulator default_params.sh: SERIALLINKS_IDLE_POWER; power-gated while a single cube computes");
        p(
            "hmc.vault_standby",
            format!(
                "{} V, IDD2N {} mA, IDD5AB {} mA, tRFC/tREFI {}/{}",
                h.vault_standby.vdd_volts,
                h.vault_standby.standby_ma,
                h.vault_standby.refresh_ma,
                h.vault_standby.t_rfc_cycles,
                h.vault_standby.t_refi_cycles
            ),
            "DRAMsim3 ini [power], [timing]",
        );
        p("hmc.logic_static_power", h.logic_static_power.to_string(), "assumption: folded into the per-bit energies (the Gen-1 cube's 11 W at 128 GB/s matches 10.5-10.7 pJ/bit, hmc-logic-die.md)");
        p("budget.power", s.budget.power.to_string(), "assumption (hmc-logic-die.md [A]): about 10 W thermal ceiling for logic in a stack (Eckert et al. 2014, recalled)");
        p(
            "budget.area",
            s.budget.area.to_string(),
            "assumption (hmc-logic-die.md [A]): 25 % 'residual area' of a 68 mm^2 logic die",
        );
        if let Some(m) = &self.mesh {
            p(
                "mesh.cubes",
                m.cubes.to_string(),
                "the preset's mesh size (the paper's is not published)",
            );
            p(
                "mesh.topology",
                m.topology.name().to_string(),
                "assumption: four links per cube form a 2-D torus",
            );
            p(
                "mesh.overlap",
                m.overlap.to_string(),
                "assumption: gradients are sent during the backward pass",
            );
            p(
                "mesh.step_latency",
                m.step_latency.to_string(),
                "assumption: link latency plus the cube's synchronisation per all-reduce step",
            );
            if let Some(g) = &m.gpu_system {
                p(
                    "mesh.gpu_system.gpu",
                    g.gpu.clone(),
                    "the single-GPU baseline (fixtures/configs/gpu)",
                );
                p(
                    "mesh.gpu_system.batch_per_gpu",
                    g.batch_per_gpu.to_string(),
                    "assumption: the batch of the measured Titan X table (ntx.md)",
                );
                p(
                    "mesh.gpu_system.link",
                    format!(
                        "{} per direction, {} per step",
                        g.link.bandwidth, g.link.step_latency
                    ),
                    "assumption: InfiniBand EDR 100 Gb/s between GPUs",
                );
                p(
                    "mesh.gpu_system.host_power_per_gpu",
                    g.host_power_per_gpu.to_string(),
                    "assumption: a DGX-1-class server, 3.2 kW for 8 GPUs of 300 W",
                );
            }
        }
        v
    }

    fn figures(&self) -> Vec<(String, f64)> {
        let s = self.cube.spec();
        let c = &s.cluster;
        let h = self.cube.hmc();
        let (by_power, by_area) = self.cube.clusters_in_budget();
        let mut f = vec![
            ("clusters".to_string(), self.cube.clusters() as f64),
            ("cluster_peak_gflops".into(), c.peak_flops() / 1e9),
            ("cluster_power_w".into(), c.power.value()),
            (
                "cluster_gflops_per_w_peak".into(),
                c.peak_flops() / 1e9 / c.power.value(),
            ),
            ("cube_peak_tflops".into(), self.cube.peak_flops() / 1e12),
            (
                "cube_cluster_power_w".into(),
                self.cube.cluster_power().value(),
            ),
            (
                "cube_static_power_w".into(),
                self.cube.static_power().value(),
            ),
            (
                "hmc_internal_bandwidth_gbs".into(),
                h.internal_bandwidth().value() / 1e9,
            ),
            (
                "hmc_link_bandwidth_gbs".into(),
                h.link_bandwidth().value() / 1e9,
            ),
            ("clusters_power_budget".into(), by_power),
            ("clusters_area_budget".into(), by_area),
        ];
        let kernels = kernel_efficiencies(c);
        let best = kernels.iter().map(|(_, e)| *e).fold(0.0, f64::max);
        for (name, e) in &kernels {
            f.push((format!("kernel_efficiency_{name}"), *e));
        }
        f.push(("kernel_efficiency_max".into(), best));
        let study = accumulation_study(1 << 14, 4, 2019);
        f.push(("accumulation_exact_max_ulp".into(), study.exact_max_ulp));
        f.push(("accumulation_naive_max_ulp".into(), study.naive_max_ulp));
        f.push(("accumulation_naive_mean_ulp".into(), study.naive_mean_ulp));
        f
    }
}

impl Accelerator for Ntx {
    fn id(&self) -> &str {
        &self.id
    }

    fn info(&self) -> ArchInfo {
        let s = self.cube.spec();
        let k = self.cubes();
        let technology = match &self.mesh {
            Some(m) => format!(
                "{} HMC cubes ({}), {} NTX clusters each, 22 nm",
                m.cubes,
                m.topology.name(),
                self.cube.clusters()
            ),
            None => format!(
                "{} NTX cluster(s) of {} engines in an HMC logic die, 22 nm FD-SOI",
                self.cube.clusters(),
                s.cluster.engines
            ),
        };
        ArchInfo {
            family: "ntx".into(),
            name: self.name.clone(),
            technology,
            source: "Schuiki et al., \"A Scalable Near-Memory Architecture for Training Deep Neural Networks on Large In-Memory Datasets\", IEEE TC 68(4), 2019; Schuiki et al., DATE 2019 (22 nm silicon); RTL github.com/pulp-platform/ntx".into(),
            area: Some(self.cube.area() * k),
            peak_ops_per_s: Some(self.cube.peak_flops() * k),
            supports: "fp32 inference and training with sgd or momentum, every IR layer (exp, division and square roots on the RISC-V cores); adam and kfac are unsupported".into(),
            explanation: crate::explain::explanation(self),
            parameters: self.parameters(),
            figures: self.figures(),
        }
    }

    fn evaluate(&self, w: &Workload) -> Result<Report, EvalError> {
        let _span =
            tracing::debug_span!("ntx", id = %self.id, network = %w.network.name()).entered();
        match &self.mesh {
            None => Ok(self.cube.run(w)?.report),
            Some(m) => crate::mesh::evaluate(&self.cube, m, self.gpu.as_ref(), w),
        }
    }
}
