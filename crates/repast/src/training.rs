//! Training to accuracy: training-set sizes (what an epoch is), the
//! epoch-reduction factors of K-FAC (inputs, per network family), and the
//! paper's comparison of a RePAST K-FAC step with its baselines.
//!
//! Per-epoch time and energy come from the models: an epoch is
//! `ceil(N / B)` steps of the workload's batch `B` over a training set of
//! `N` samples. Epochs to accuracy are *not* modelled: the whole-training
//! comparison takes the ratio `r = epochs(first order) / epochs(K-FAC)` as
//! an input (the preset's `training.epoch_reduction`, from the brief's
//! reading of the paper's slide 31), so that
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

/// A training set: the samples of one epoch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dataset {
    pub name: &'static str,
    pub samples: u64,
    /// Zoo networks trained on it; `*-suffix` matches every name ending in
    /// `-suffix`.
    pub networks: &'static [&'static str],
    pub source: &'static str,
}

/// The training sets of the zoo's networks.
pub const DATASETS: &[Dataset] = &[
    Dataset {
        name: "ImageNet-1k (ILSVRC-2012)",
        samples: 1_281_167,
        networks: &[
            "alexnet",
            "vgg13",
            "vgg16",
            "vgg19",
            "msra-1",
            "msra-2",
            "msra-3",
            "resnet18",
            "resnet34",
            "resnet50",
            "resnet101",
            "resnet152",
            "googlenet",
            "bn-inception",
            "mobilenet-v2",
        ],
        source:
            "Russakovsky et al., ImageNet Large Scale Visual Recognition Challenge, IJCV 2015, \
                 Table 2: 1,281,167 training images (ILSVRC-2012); the networks' papers train on it",
    },
    Dataset {
        name: "CIFAR-10",
        samples: 50_000,
        networks: &["*-cifar10"],
        source: "Krizhevsky, Learning Multiple Layers of Features from Tiny Images, 2009: 50,000 \
                 training images",
    },
    Dataset {
        name: "CIFAR-100",
        samples: 50_000,
        networks: &["*-cifar100"],
        source: "Krizhevsky 2009: 50,000 training images",
    },
    Dataset {
        name: "MNIST",
        samples: 60_000,
        networks: &["lenet5", "autoencoder"],
        source:
            "LeCun et al., Proc. IEEE 1998: 60,000 training images; the autoencoder is \
                 Hinton & Salakhutdinov's MNIST autoencoder (Science 2006), as in K-FAC (ICML 2015)",
    },
    Dataset {
        name: "MNLI (GLUE)",
        samples: 392_702,
        networks: &["bert-base"],
        source:
            "ASSUMPTION: RePAST does not say what BERT trains on; the largest GLUE fine-tuning \
                 task, MNLI, 392,702 training pairs (Williams et al., NAACL 2018), at the zoo's \
                 sequence length of 128",
    },
];

/// The training set of a zoo network, if it has one.
pub fn dataset_of(network: &str) -> Option<&'static Dataset> {
    let key = normalize_name(network);
    DATASETS.iter().find(|d| {
        d.networks.iter().any(|n| match n.strip_prefix('*') {
            Some(suffix) => key.ends_with(&normalize_name(suffix)),
            None => normalize_name(n) == key,
        })
    })
}

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

/// The built-in GPU preset with this id (the one list of GPU presets lives
/// in pimzoo-tech).
pub fn builtin_gpu(id: &str) -> Result<Gpu, String> {
    pimzoo_tech::gpu::builtin(id)
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
            gpu: builtin_gpu(&c.gpu).map_err(|e| format!("`training.compare.gpu`: {e}"))?,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dataset_network_is_in_the_zoo_and_found() {
        let zoo = pimzoo_ir::zoo::names();
        for d in DATASETS {
            for n in d.networks.iter().filter(|n| !n.starts_with('*')) {
                assert!(zoo.contains(n), "{n} is not a zoo network");
                assert_eq!(dataset_of(n).map(|x| x.name), Some(d.name));
            }
        }
        assert_eq!(dataset_of("vgg8-cifar10").map(|d| d.samples), Some(50_000));
        assert_eq!(dataset_of("ResNet_50").map(|d| d.samples), Some(1_281_167));
        assert!(dataset_of("alphagozero").is_none());
    }

    #[test]
    fn the_gpu_presets_are_found_by_id() {
        assert!(builtin_gpu("gpu/v100").is_ok());
        let e = builtin_gpu("gpu/a100").err().unwrap_or_default();
        assert!(e.contains("gpu/v100"), "{e}");
    }
}
