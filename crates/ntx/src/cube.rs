//! A Hybrid Memory Cube whose logic die holds `N` NTX clusters, and one
//! workload on it: every layer of every phase mapped ([`crate::mapping`]),
//! scheduled over the clusters against the vault bandwidth
//! ([`crate::schedule`]), and costed in time and energy.
//!
//! ```text
//! E_row = P_cl (f_idle N T + (1 - f_idle) busy / (n_ntx f))    clusters (busy engine-cycles)
//!       + bytes x 8 x (e_dram + e_vault_ctrl + e_interconnect)  DRAM traffic
//!       + P_static T                                            DRAM standby/refresh, logic die
//! ```
use crate::cluster::{ClusterSpec, OffloadScheme};
use crate::mapping::{self, Context, MapError};
use crate::schedule::{Machine, PlanCost};
use pimzoo_core::units::{Bytes, Joules, Seconds, SquareMm, Watts};
use pimzoo_core::{
    component, EvalError, LayerRow, NumberFormat, Optimizer, Report, Task, Workload,
};
use pimzoo_ir::{Layer, Phase};
use pimzoo_tech::hmc::{Hmc, HmcSpec};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Plan costs by layer signature: a pure function of the layer, the phase,
/// the per-cube batch and the task, so evaluations share them.
type Memo = Arc<Mutex<HashMap<String, PlanCost>>>;

/// Entries kept before the memo starts over (a bound on memory).
const MEMO_LIMIT: usize = 1 << 16;

/// The logic die's budget for compute, used to say how many clusters
/// would fit (a figure of the model, not an input of the evaluation).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogicBudget {
    /// Power the logic die can spend on compute.
    pub power: Watts,
    /// Logic-die area left for compute.
    pub area: SquareMm,
}

/// The parameters of a cube with NTX clusters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CubeSpec {
    /// NTX clusters on the logic die; when absent, as many as the logic
    /// power budget affords: `floor(budget.power / cluster.power)`.
    #[serde(default)]
    pub clusters: Option<u32>,
    /// Vaults this configuration draws bandwidth and static power from
    /// (the whole cube, or one cluster's share).
    pub vaults: u32,
    pub cluster: ClusterSpec,
    /// The offload scheme the offload-overhead metric compares with.
    pub baseline_offload: OffloadScheme,
    pub hmc: HmcSpec,
    pub budget: LogicBudget,
}

/// A validated cube.
#[derive(Clone, Debug)]
pub struct Cube {
    spec: CubeSpec,
    /// The clusters given, or derived from the power budget.
    clusters: u32,
    hmc: Hmc,
    memo: Memo,
}

/// One step of a workload on a cube, with what a mesh of cubes needs.
#[derive(Clone, Debug)]
pub struct CubeRun {
    pub report: Report,
    /// Time of the backward phases (an all-reduce can hide behind it).
    pub backward_time: Seconds,
}

impl Cube {
    pub fn new(spec: CubeSpec) -> Result<Cube, String> {
        spec.cluster.check()?;
        crate::cluster::check_scheme(
            "baseline_offload",
            &spec.baseline_offload,
            spec.cluster.engines,
        )?;
        let hmc = Hmc::new(spec.hmc.clone()).map_err(|e| e.to_string())?;
        let clusters = match spec.clusters {
            Some(n) => n,
            None => {
                let n = (spec.budget.power / spec.cluster.power).floor();
                if n.is_finite() && n <= u32::MAX as f64 {
                    n as u32
                } else {
                    0
                }
            }
        };
        if clusters == 0 {
            return Err(format!(
                "`clusters` must be at least 1 (absent, `budget.power` {} affords no cluster of {})",
                spec.budget.power, spec.cluster.power
            ));
        }
        if spec.vaults == 0 || spec.vaults > spec.hmc.vaults {
            return Err(format!(
                "`vaults` must lie in 1..={} (the cube's vaults), found {}",
                spec.hmc.vaults, spec.vaults
            ));
        }
        for (name, v) in [
            ("budget.power", spec.budget.power.value()),
            ("budget.area", spec.budget.area.value()),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(format!("`{name}` must be a non-negative number, found {v}"));
            }
        }
        Ok(Cube {
            spec,
            clusters,
            hmc,
            memo: Memo::default(),
        })
    }

    pub fn spec(&self) -> &CubeSpec {
        &self.spec
    }
    /// NTX clusters on the logic die.
    pub fn clusters(&self) -> u32 {
        self.clusters
    }
    pub fn hmc(&self) -> &Hmc {
        &self.hmc
    }

    /// Bandwidth the vaults of this configuration deliver.
    pub fn bandwidth(&self) -> f64 {
        self.hmc.achieved_bandwidth(self.spec.vaults).value()
    }

    pub fn machine(&self) -> Machine<'_> {
        Machine {
            cluster: &self.spec.cluster,
            clusters: self.clusters,
            bandwidth: self.bandwidth(),
            baseline: Some(&self.spec.baseline_offload),
        }
    }

    pub fn peak_flops(&self) -> f64 {
        self.clusters as f64 * self.spec.cluster.peak_flops()
    }

    /// Silicon area of the clusters.
    pub fn area(&self) -> SquareMm {
        self.spec.cluster.area * self.clusters as f64
    }

    /// Power of all clusters with every engine busy.
    pub fn cluster_power(&self) -> Watts {
        self.spec.cluster.power * self.clusters as f64
    }

    /// Static power of the memory this configuration uses (links powered
    /// down: the cube computes on its own data).
    pub fn static_power(&self) -> Watts {
        self.hmc.static_power(false) * (self.spec.vaults as f64 / self.spec.hmc.vaults as f64)
    }

    /// Power while the engines wait (for a mesh's all-reduce).
    pub fn idle_power(&self) -> Watts {
        self.cluster_power() * self.spec.cluster.idle_power_fraction + self.static_power()
    }

    /// Clusters the logic budget allows: `(by power, by area)`.
    pub fn clusters_in_budget(&self) -> (f64, f64) {
        let c = &self.spec.cluster;
        (
            (self.spec.budget.power / c.power).floor(),
            (self.spec.budget.area / c.area).floor(),
        )
    }

    /// Why the cube cannot run `w`, if it cannot.
    fn supported(&self, w: &Workload) -> Result<(), EvalError> {
        if w.batch == 0 {
            return Err(EvalError::Config {
                message: "the batch must be at least 1".into(),
            });
        }
        let p = &w.precision;
        if [p.weights, p.activations, p.gradients, p.master]
            .iter()
            .any(|f| *f != NumberFormat::Fp32)
        {
            return Err(EvalError::unsupported(format!(
                "NTX computes in IEEE fp32 only (found {p})"
            )));
        }
        match &w.task {
            Task::Training {
                optimizer: Optimizer::Sgd { .. } | Optimizer::Momentum { .. },
            }
            | Task::Inference => Ok(()),
            Task::Training { optimizer } => Err(EvalError::unsupported(format!(
                "the {} update needs division and square roots, which NTX lacks; train with sgd or momentum",
                optimizer.name()
            ))),
        }
    }

    /// DRAM bytes the workload occupies: weights, gradients, optimizer state
    /// and stored activations in training; weights and the widest layer in
    /// inference.
    fn footprint(&self, w: &Workload) -> f64 {
        let net = &w.network;
        let params = net.work().params as f64;
        let batch = w.batch as f64;
        match w.task.optimizer() {
            None => {
                let widest = net
                    .layers()
                    .iter()
                    .map(|l| (l.work.input_activations + l.work.output_activations) as f64)
                    .fold(0.0, f64::max);
                4.0 * (params + batch * widest)
            }
            Some(o) => {
                let stored: f64 = net
                    .layers()
                    .iter()
                    .map(|l| l.work.output_activations as f64)
                    .sum();
                let input = net.input().elements() as f64;
                4.0 * (params * (2.0 + o.state_per_param() as f64) + batch * (input + stored))
            }
        }
    }

    /// One step of `w` on the cube.
    pub fn run(&self, w: &Workload) -> Result<CubeRun, EvalError> {
        self.supported(w)?;
        let footprint = self.footprint(w);
        if footprint > self.spec.hmc.capacity.value() {
            return Err(EvalError::Config {
                message: format!(
                    "{} at batch {} needs about {} of DRAM; the cube has {}",
                    w.network.name(),
                    w.batch,
                    Bytes(footprint),
                    self.spec.hmc.capacity
                ),
            });
        }
        let ctx = Context {
            machine: self.machine(),
            batch: w.batch as f64,
            training: w.task.is_training(),
            optimizer: w.task.optimizer(),
        };
        let layers = w.network.layers();
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
        let mut report = Report::new(w);
        report.area = Some(self.area());
        let c = &self.spec.cluster;
        let f = c.clock.value();
        let n = self.clusters as f64;
        let static_power = self.static_power();
        let task = match w.task.optimizer() {
            None => "inference",
            Some(o) => o.name(),
        };
        let mut total = PlanCost::default();
        let (mut e_cl, mut e_dram, mut e_static) = (0.0, 0.0, 0.0);
        let mut backward = Seconds::ZERO;
        for (layer, phase) in order {
            let key = format!(
                "{:?}|{:?}|{:?}|{:?}|{}|{}|{}",
                layer.op,
                layer.input_shapes,
                layer.output,
                phase,
                layer.work.backward_data_macs > 0 || layer.work.backward_data_vector_ops > 0,
                w.batch,
                task
            );
            let known = self.memo.lock().ok().and_then(|m| m.get(&key).copied());
            let cost = match known {
                Some(c) => c,
                None => {
                    let plans = mapping::plans(&ctx, layer, phase).map_err(|e| match e {
                        MapError::Unsupported(m) => EvalError::unsupported(m),
                        other => EvalError::unsupported(format!(
                            "layer `{}` ({}): {other}",
                            layer.name,
                            phase.name()
                        )),
                    })?;
                    let mut sum = PlanCost::default();
                    for p in &plans {
                        sum.add(&ctx.machine.cost(p));
                    }
                    if let Ok(mut m) = self.memo.lock() {
                        if m.len() >= MEMO_LIMIT {
                            m.clear();
                        }
                        m.insert(key, sum);
                    }
                    sum
                }
            };
            if cost.time <= 0.0 {
                continue;
            }
            let t = cost.time;
            let busy = cost.busy_engine_cycles / (c.engines as f64 * f);
            let cl = c.power.value()
                * (c.idle_power_fraction * n * t + (1.0 - c.idle_power_fraction) * busy);
            let dram = self.hmc.local_access_energy(Bytes(cost.dram_bytes)).value();
            let st = static_power.value() * t;
            e_cl += cl;
            e_dram += dram;
            e_static += st;
            total.add(&cost);
            if matches!(phase, Phase::BackwardData | Phase::BackwardWeight) {
                backward += Seconds(t);
            }
            tracing::trace!(layer = %layer.name, phase = phase.name(), seconds = t, "row");
            report.push_layer(LayerRow {
                layer: layer.name.clone(),
                phase,
                latency: Seconds(t),
                energy: Joules(cl + dram + st),
                bound: Some(cost.bound().to_string()),
            });
        }
        if report.latency.value() <= 0.0 {
            return Err(EvalError::unsupported(format!(
                "{} has no layer that runs on NTX",
                w.network.name()
            )));
        }
        report.add_energy(component::COMPUTE, Joules(e_cl));
        report.add_energy(component::DRAM, Joules(e_dram));
        report.add_energy(component::STATIC, Joules(e_static));
        let lat = report.latency.value();
        report.set_metric("tflops", report.ops / lat / 1e12);
        report.set_metric("gflops_per_w", report.ops / report.energy().value() / 1e9);
        report.set_metric("clusters", n);
        report.set_metric("compute_efficiency", report.ops / lat / self.peak_flops());
        report.set_metric(
            "engine_utilization",
            total.busy_engine_cycles / (n * c.engines as f64 * f * lat),
        );
        report.set_metric("executed_flops", total.flops);
        report.set_metric("dram_traffic_bytes", total.dram_bytes);
        report.set_metric(
            "dram_bandwidth_utilization",
            total.dram_bytes / lat / self.hmc.internal_bandwidth().value()
                * (self.spec.hmc.vaults as f64 / self.spec.vaults as f64),
        );
        report.set_metric("memory_footprint_bytes", footprint);
        if total.commands > 0.0 {
            let ntx = total.offload_core_cycles / total.commands;
            let base = total.baseline_offload_core_cycles / total.commands;
            report.set_metric("ntx_commands", total.commands);
            report.set_metric("offload_core_cycles_per_command", ntx);
            report.set_metric("offload_core_cycles_per_command_baseline", base);
            report.set_metric("offload_reduction_vs_baseline", base / ntx);
            report.set_metric(
                "issue_bound_command_fraction",
                total.issue_bound_commands / total.commands,
            );
        }
        Ok(CubeRun {
            report,
            backward_time: backward,
        })
    }
}
