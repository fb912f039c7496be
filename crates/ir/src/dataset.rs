//! Training sets: what one epoch of a zoo network is.
//!
//! A training epoch is `ceil(N / B)` steps of batch `B` over the `N` samples
//! of the network's training set. The set belongs to the network, not to an
//! accelerator, so every model's per-epoch figures use this one table.
use crate::normalize_name;

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

impl Dataset {
    /// Steps of one epoch at `batch` samples a step: `ceil(samples / batch)`
    /// (a batch of 0 counts as 1).
    pub fn steps_per_epoch(&self, batch: u64) -> u64 {
        self.samples.div_ceil(batch.max(1))
    }
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
        networks: &["*-cifar10", "densenet40"],
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_network_is_in_the_zoo_and_finds_its_set() {
        let zoo = crate::zoo::names();
        for d in DATASETS {
            for n in d.networks.iter().filter(|n| !n.starts_with('*')) {
                assert!(zoo.contains(n), "{n} is not a zoo network");
                assert_eq!(dataset_of(n).map(|x| x.name), Some(d.name));
            }
        }
        assert_eq!(dataset_of("vgg8-cifar10").map(|d| d.samples), Some(50_000));
        assert_eq!(dataset_of("densenet40").map(|d| d.name), Some("CIFAR-10"));
        assert_eq!(dataset_of("ResNet_50").map(|d| d.samples), Some(1_281_167));
        assert!(dataset_of("alphagozero").is_none());
    }

    #[test]
    fn an_epoch_rounds_the_last_batch_up() {
        let cifar = dataset_of("vgg8-cifar10").unwrap();
        assert_eq!(cifar.steps_per_epoch(128), 391);
        assert_eq!(cifar.steps_per_epoch(50_000), 1);
        assert_eq!(cifar.steps_per_epoch(0), 50_000);
    }

    #[test]
    fn every_set_names_its_source() {
        for d in DATASETS {
            assert!(d.samples > 0 && !d.source.trim().is_empty(), "{}", d.name);
        }
    }
}
