//! Training to accuracy: the epoch-reduction factors of K-FAC (inputs, per
//! network family) and the paper's comparison of a RePAST K-FAC step with
//! its baselines.
//!
//! Per-epoch time and energy come from the models: an epoch is
//! `ceil(N / B)` steps of the workload's batch `B` over a training set of
//! `N` samples (`pimzoo_ir::dataset`, shared by every model). Epochs to
//! accuracy are *not* modelled: the whole-training comparison takes the
//! ratio `r = epochs(first order) / epochs(K-FAC)` as an input (the preset's
//! `training.epoch_reduction`, from the brief's reading of the paper's
//! slide 31), so that
//!
//! ```text
//! speedup(whole training)  = r x T_epoch(baseline, first order) / T_epoch(RePAST, K-FAC)
//! speedup vs GPU with K-FAC = T_epoch(GPU, K-FAC) / T_epoch(RePAST, K-FAC)      (same epochs)
//! ```
//!
//! and the per-epoch ratios are the model's predictions. With the same
//! batch and training set on both sides, a per-epoch ratio is the ratio of
//! the per-step figures, so the comparisons need no training-set size.
use crate::preset::{Compare, Training};
use pimzoo_core::{Accelerator, Optimizer, Report, Task, Workload};
use pimzoo_ir::normalize_name;
use pimzoo_tech::gpu::Gpu;

/// The epoch-reduction factor of `network`, if the preset gives one.
pub fn epoch_reduction(training: &Training, network: &str) -> Option<f64> {
    let key = normalize_name(network);
    training
        .epoch_reduction
        .iter()
        .find(|e| e.networks.iter().any(|n| normalize_name(n) == key))
        .map(|e| e.factor)
}

/// Check the training inputs; the message names the entry.
pub fn validate(training: &Training) -> Result<(), String> {
    for e in &training.epoch_reduction {
        if !(e.factor.is_finite() && e.factor > 0.0) {
            return Err(format!(
                "`training.epoch_reduction` for {:?}: the factor must be positive, found {}",
                e.networks, e.factor
            ));
        }
        if e.source.trim().is_empty() {
            return Err(format!(
                "`training.epoch_reduction` for {:?} needs its source",
                e.networks
            ));
        }
    }
    Ok(())
}

/// The baselines of the comparison, built.
pub(crate) struct Baselines {
    pub reram: Box<dyn Accelerator>,
    pub gpu: Gpu,
    pub first_order: Optimizer,
}

impl Baselines {
    pub fn new(c: &Compare, reram: Box<dyn Accelerator>) -> Result<Baselines, String> {
        let first_order = Optimizer::from_name(&c.first_order)
            .filter(|o| !matches!(o, Optimizer::Kfac { .. }))
            .ok_or_else(|| {
                format!(
                    "`training.compare.first_order` must be a first-order optimizer (sgd, \
                     momentum, adam), found `{}`",
                    c.first_order
                )
            })?;
        Ok(Baselines {
            reram,
            gpu: pimzoo_tech::gpu::builtin(&c.gpu)
                .map_err(|e| format!("`training.compare.gpu`: {e}"))?,
            first_order,
        })
    }

    /// The first-order workload the baselines run in place of `w`.
    pub fn first_order_workload(&self, w: &Workload) -> Workload {
        Workload {
            task: Task::Training {
                optimizer: self.first_order.clone(),
            },
            ..w.clone()
        }
    }

    /// Add the paper's comparison of the K-FAC step `own` (on `w`) to its
    /// metrics: against the ReRAM baseline (`vs_reram_1st_*`), the same chip
    /// training first order (`vs_own_1st_*`, from `own_first`) and the GPU
    /// (`vs_gpu_1st_*`, `vs_gpu_2nd_*`). A baseline that cannot run the
    /// workload leaves its figures out.
    pub fn compare(
        &self,
        w: &Workload,
        r: Option<f64>,
        own_first: Option<&Report>,
        own: &mut Report,
    ) {
        let first = self.first_order_workload(w);
        let (t, e) = (own.latency.value(), own.energy().value());
        let writes = own.metrics.get("cell_writes").copied();
        let mut set = |name: &str, v: f64| {
            if v.is_finite() {
                own.set_metric(name, v);
            }
        };
        if let Some(r) = r {
            set("epoch_reduction", r);
        }
        let reram = self.reram.evaluate(&first).ok();
        for (prefix, base) in [("vs_reram_1st", reram.as_ref()), ("vs_own_1st", own_first)] {
            let Some(b) = base else { continue };
            let (bt, be) = (b.latency.value(), b.energy().value());
            set(&format!("{prefix}_epoch_time_ratio"), t / bt);
            set(&format!("{prefix}_epoch_energy_ratio"), e / be);
            if let Some(r) = r {
                set(&format!("{prefix}_training_speedup"), r * bt / t);
                set(&format!("{prefix}_training_energy_saving"), r * be / e);
                if let (Some(w_own), Some(w_base)) = (writes, b.metrics.get("cell_writes")) {
                    set(
                        &format!("{prefix}_training_write_change"),
                        w_own / r / w_base - 1.0,
                    );
                }
            }
        }
        if let Ok(g) = self.gpu.evaluate(&first) {
            let (gt, ge) = (g.latency.value(), g.energy().value());
            set("vs_gpu_1st_epoch_speedup", gt / t);
            if let Some(r) = r {
                set("vs_gpu_1st_training_speedup", r * gt / t);
                set("vs_gpu_1st_training_energy_saving", r * ge / e);
            }
        }
        if let Ok(g) = self.gpu.evaluate(w) {
            set("vs_gpu_2nd_training_speedup", g.latency.value() / t);
            set("vs_gpu_2nd_training_energy_saving", g.energy().value() / e);
        }
    }
}
