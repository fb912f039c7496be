//! How a layer's tiles spread over the clusters of a cube and meet the
//! vault bandwidth.
//!
//! A [`Plan`] is a list of tile groups (alike tiles). The clusters take
//! tiles in turns, each tile double-buffered (the DMA fetches the next tile
//! while the engines compute this one), so a layer takes
//!
//! ```text
//! T = serial x ( max( ceil(tiles / (c N_cl)) c t_tile,  bytes / B ) + t_fill ) + T_core
//! c      = tiles per chain (tiles accumulating into the same outputs run in
//!          order on one cluster)
//! B      = min(B_vaults, active clusters x DMA bandwidth)
//! t_fill = one tile's bytes at the cluster's share of B   (the first fetch and last write-back)
//! T_core = elements of functions the engines lack x core cycles / (core clock x N_cl)
//! ```
use crate::cluster::{offload_core_cycles, ClusterSpec, OffloadScheme, TileCost, TileWork};

/// `count` alike tiles (fractional: edge tiles count as the part of a full
/// tile they cover), in chains of `chain` tiles that accumulate into the same
/// outputs and so run one after another on one cluster.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TileGroup {
    pub tile: TileWork,
    pub count: f64,
    pub chain: f64,
}

/// The work of one layer in one phase on the cube.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// What the plan runs, for `bound` and debugging (`conv-fwd`, `gemm`...).
    pub kind: &'static str,
    pub groups: Vec<TileGroup>,
    /// The groups run this many times one after another (time steps of an
    /// LSTM); everything else is per repetition.
    pub serial: f64,
    /// Elements of functions the engines cannot compute, done by the cores.
    pub core_elements: f64,
    /// DRAM bytes moved outside the tiles (reduction of partial results).
    pub extra_bytes: f64,
}

impl Plan {
    pub fn new(kind: &'static str) -> Plan {
        Plan {
            kind,
            serial: 1.0,
            ..Default::default()
        }
    }
}

/// The cube as the scheduler sees it.
#[derive(Clone, Copy, Debug)]
pub struct Machine<'a> {
    pub cluster: &'a ClusterSpec,
    pub clusters: u32,
    /// Bandwidth the vaults deliver to the clusters, bytes per second.
    pub bandwidth: f64,
    /// An offload scheme to compare with (core cycles only, not timing).
    pub baseline: Option<&'a OffloadScheme>,
}

/// What a plan costs on the cube.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PlanCost {
    pub time: f64,
    /// Time the engines need, without waiting for memory.
    pub compute_time: f64,
    /// Time the vaults need for the plan's bytes.
    pub memory_time: f64,
    pub busy_engine_cycles: f64,
    pub flops: f64,
    pub dram_bytes: f64,
    pub offload_core_cycles: f64,
    /// The same commands offloaded under [`Machine::baseline`].
    pub baseline_offload_core_cycles: f64,
    pub commands: f64,
    /// Commands whose rounds the core, not the engines, paced.
    pub issue_bound_commands: f64,
}

impl PlanCost {
    pub fn add(&mut self, o: &PlanCost) {
        self.time += o.time;
        self.compute_time += o.compute_time;
        self.memory_time += o.memory_time;
        self.busy_engine_cycles += o.busy_engine_cycles;
        self.flops += o.flops;
        self.dram_bytes += o.dram_bytes;
        self.offload_core_cycles += o.offload_core_cycles;
        self.baseline_offload_core_cycles += o.baseline_offload_core_cycles;
        self.commands += o.commands;
        self.issue_bound_commands += o.issue_bound_commands;
    }

    /// What limits the plan.
    pub fn bound(&self) -> &'static str {
        if self.memory_time > self.compute_time {
            "memory"
        } else {
            "compute"
        }
    }
}

impl Machine<'_> {
    pub fn cost(&self, plan: &Plan) -> PlanCost {
        self.cost_of(
            &plan.groups,
            plan.serial,
            plan.core_elements,
            plan.extra_bytes,
        )
    }

    /// The cost of a plan given by its parts (the tilers call this for
    /// every candidate, without building a plan).
    pub fn cost_of(
        &self,
        groups: &[TileGroup],
        serial: f64,
        core_elements: f64,
        extra_bytes: f64,
    ) -> PlanCost {
        let f = self.cluster.clock.value();
        let n = self.clusters as f64;
        let (mut tiles, mut cycles, mut bytes) = (0.0, 0.0, extra_bytes);
        // The longest chain bounds the clusters' turns from below.
        let mut chain: f64 = 1.0;
        let mut out = PlanCost::default();
        for g in groups {
            let c: TileCost = self.cluster.tile_cost(&g.tile);
            tiles += g.count;
            chain = chain.max(g.chain.min(g.count));
            cycles += g.count * c.cycles;
            bytes += g.count * c.dma_bytes;
            out.busy_engine_cycles += g.count * c.busy_engine_cycles;
            out.flops += g.count * c.flops;
            out.offload_core_cycles += g.count * c.offload_core_cycles;
            if let Some(b) = self.baseline {
                out.baseline_offload_core_cycles += g.count
                    * offload_core_cycles(b, &self.cluster.core, self.cluster.engines, &g.tile);
            }
            out.commands += g.count * c.commands;
            if c.issue_bound {
                out.issue_bound_commands += g.count * c.commands;
            }
        }
        let core = core_elements
            * self.cluster.core.special_function_cycles
            * self.cluster.core_clock_ratio
            / (f * n);
        if tiles <= 0.0 {
            out.time = serial * core;
            out.compute_time = out.time;
            return out;
        }
        // Clusters take whole chains of tiles in turns; edge tiles count
        // fractionally.
        let chains = tiles / chain;
        let turns = (chains / n).ceil().max(1.0) * chain;
        let compute = turns * cycles / tiles / f;
        let active = n.min(chains.ceil());
        let bw = self
            .bandwidth
            .min(active * self.cluster.dma_bytes_per_cycle * f);
        let memory = bytes / bw;
        let fill = (bytes - extra_bytes) / tiles / (bw / active);
        let s = serial;
        out.time = s * (compute.max(memory) + fill + core);
        out.compute_time = s * (compute + core);
        out.memory_time = s * memory;
        out.busy_engine_cycles *= s;
        out.flops *= s;
        out.dram_bytes = s * bytes;
        out.offload_core_cycles *= s;
        out.baseline_offload_core_cycles *= s;
        out.commands *= s;
        out.issue_bound_commands *= s;
        out
    }
}
