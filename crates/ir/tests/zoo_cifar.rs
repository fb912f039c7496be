//! The CIFAR networks of the compact-chip paper (Chen & Yang, AICAS 2025)
//! against the authors' layer tables (`layer_record_cifar10/` and
//! `layer_record_cifar100/` of github.com/peilin-chen/Compact-PIM-based-Design,
//! rows `H, W, Cin, K, K, Cout, pool, stride`).
//!
//! Expected MACs and multiplicative weights are the sums over the tables' rows
//! (`H W Cin K^2 Cout` and `Cin K^2 Cout`), so a match means every conv and fc
//! layer agrees with a row; the small networks are also compared row by row.
//! Parameters add biases and batch norms: torchvision's ResNet counts with the
//! fc resized to 10 or 100 classes (reference-counts.md less the ImageNet fc).
use pimzoo_ir::{zoo, Network, Op};

fn net(name: &str) -> Network {
    zoo::get(name).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// `(H, W, Cin, K, Cout)` of every conv and fc layer, in order.
fn rows(n: &Network) -> Vec<(usize, usize, usize, usize, usize)> {
    n.layers()
        .iter()
        .filter_map(|l| {
            let cin = l.input_shapes[0].dims()[0];
            match &l.op {
                Op::Conv2d(c) => {
                    let d = l.output.dims();
                    Some((d[1], d[2], cin, c.kernel.h, c.out))
                }
                Op::Linear { out, .. } => Some((1, 1, l.input_shapes[0].last(), 1, *out)),
                _ => None,
            }
        })
        .collect()
}

struct Counts {
    weight_layers: usize,
    macs: u64,
    weights: u64,
    params: u64,
}

fn check(name: &str, c: Counts) {
    let n = net(name);
    let w = n.work();
    assert_eq!(w.weight_layers, c.weight_layers, "{name} weight layers");
    assert_eq!(w.macs, c.macs, "{name} MACs");
    assert_eq!(w.weights, c.weights, "{name} weights");
    assert_eq!(w.params, c.params, "{name} params");
    assert_eq!(n.input().dims(), [3, 32, 32], "{name} input");
}

#[test]
fn counts_match_the_authors_tables() {
    // Table sums: NetWork_LeNet.csv 651,720 MACs, 61,770 weights; + 236 biases.
    check(
        "lenet5-cifar10",
        Counts {
            weight_layers: 5,
            macs: 651_720,
            weights: 61_770,
            params: 62_006,
        },
    );
    // NetWork_AlexNet.csv; + 9,354 biases.
    check(
        "alexnet-cifar10",
        Counts {
            weight_layers: 8,
            macs: 62_742_528,
            weights: 23_262_912,
            params: 23_272_266,
        },
    );
    // NetWork_VGG8.csv (the zoo's NeuroSim VGG-8 is the authors' network).
    check(
        "vgg8-cifar10",
        Counts {
            weight_layers: 8,
            macs: 615_917_568,
            weights: 12_973_440,
            params: 12_976_266,
        },
    );
    // NetWork_ResNet18.csv (CIFAR-10); params: torchvision 11,689,512 - 513,000 + 5,130.
    check(
        "resnet18-cifar10",
        Counts {
            weight_layers: 21,
            macs: 37_016_576,
            weights: 11_172_032,
            params: 11_181_642,
        },
    );
    // CIFAR-100 tables; params: torchvision less the 1000-class fc plus a 100-class one.
    check(
        "resnet18-cifar100",
        Counts {
            weight_layers: 21,
            macs: 37_062_656,
            weights: 11_218_112,
            params: 11_227_812,
        },
    );
    check(
        "resnet34-cifar100",
        Counts {
            weight_layers: 37,
            macs: 74_811_392,
            weights: 21_318_848,
            params: 21_335_972,
        },
    );
    check(
        "resnet50-cifar100",
        Counts {
            weight_layers: 54,
            macs: 83_615_744,
            weights: 23_659_712,
            params: 23_712_932,
        },
    );
    check(
        "resnet101-cifar100",
        Counts {
            weight_layers: 105,
            macs: 159_375_360,
            weights: 42_599_616,
            params: 42_705_060,
        },
    );
    check(
        "resnet152-cifar100",
        Counts {
            weight_layers: 156,
            macs: 235_134_976,
            weights: 58_197_184,
            params: 58_348_708,
        },
    );
    // DenseNet-40 (BC, k = 12) as trained: the table's 3x3 convs carry the
    // concatenated width (its sums: 282,379,560 MACs, 746,448 weights); the
    // real 12-channel convs give these.
    check(
        "densenet40",
        Counts {
            weight_layers: 40,
            macs: 72_365_352,
            weights: 171_024,
            params: 173_458,
        },
    );
}

#[test]
fn small_networks_match_the_tables_row_by_row() {
    let lenet = [
        (28, 28, 3, 5, 6),
        (10, 10, 6, 5, 16),
        (1, 1, 400, 1, 120),
        (1, 1, 120, 1, 84),
        (1, 1, 84, 1, 10),
    ];
    assert_eq!(rows(&net("lenet5-cifar10")), lenet);
    let alexnet = [
        (16, 16, 3, 3, 64),
        (8, 8, 64, 3, 192),
        (4, 4, 192, 3, 384),
        (4, 4, 384, 3, 256),
        (4, 4, 256, 3, 256),
        (1, 1, 1024, 1, 4096),
        (1, 1, 4096, 1, 4096),
        (1, 1, 4096, 1, 10),
    ];
    assert_eq!(rows(&net("alexnet-cifar10")), alexnet);
    let resnet18 = [
        (16, 16, 3, 7, 64),
        (8, 8, 64, 3, 64),
        (8, 8, 64, 3, 64),
        (8, 8, 64, 3, 64),
        (8, 8, 64, 3, 64),
        (4, 4, 64, 3, 128),
        (4, 4, 128, 3, 128),
        (4, 4, 64, 1, 128),
        (4, 4, 128, 3, 128),
        (4, 4, 128, 3, 128),
        (2, 2, 128, 3, 256),
        (2, 2, 256, 3, 256),
        (2, 2, 128, 1, 256),
        (2, 2, 256, 3, 256),
        (2, 2, 256, 3, 256),
        (1, 1, 256, 3, 512),
        (1, 1, 512, 3, 512),
        (1, 1, 256, 1, 512),
        (1, 1, 512, 3, 512),
        (1, 1, 512, 3, 512),
        (1, 1, 512, 1, 10),
    ];
    assert_eq!(rows(&net("resnet18-cifar10")), resnet18);
}

#[test]
fn densenet40_differs_from_its_table_only_in_the_growth_convs() {
    let r = rows(&net("densenet40"));
    assert_eq!(r.len(), 40);
    // The table's first rows: 32,32,3,3,3,24 / 32,32,24,1,1,48 / 32,32,48,3,3,36.
    assert_eq!(r[0], (32, 32, 3, 3, 24));
    assert_eq!(r[1], (32, 32, 24, 1, 48));
    assert_eq!(r[2], (32, 32, 48, 3, 12));
    // Transitions: 96 -> 48 at 32x32, 120 -> 60 at 16x16; the classifier 132 -> 10.
    assert_eq!(r[13], (32, 32, 96, 1, 48));
    assert_eq!(r[26], (16, 16, 120, 1, 60));
    assert_eq!(r[39], (1, 1, 132, 1, 10));
    for row in &r {
        if row.3 == 3 && row.2 == 48 {
            assert_eq!(row.4, 12, "{row:?}");
        }
    }
}
