//! The model zoo against its published work counts.
//!
//! Sources of the expected values: `reference-counts.md` (torchvision rows:
//! MACs of conv and linear layers, all trainable parameters) and
//! `network-definitions.md` (multiplicative weights and MACs). Exact integers
//! are checked to 0.1 %, rounded published rows to 1 %.
use pimzoo_ir::{parse_network, zoo, Network, TensorShape};
use std::collections::HashSet;

/// Tolerance for a count given as an exact integer.
const EXACT: f64 = 0.001;
/// Tolerance for a published count rounded to a few digits.
const ROUNDED: f64 = 0.01;

fn assert_close(actual: u64, expected: u64, rel_tol: f64, what: &str) {
    let rel = (actual as f64 - expected as f64).abs() / expected as f64;
    assert!(
        rel <= rel_tol,
        "{what}: got {actual}, expected {expected} (off by {:.4} %, tolerance {:.2} %)",
        rel * 100.0,
        rel_tol * 100.0
    );
}

fn net(name: &str) -> Network {
    zoo::get(name).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Expected totals; `None` where no reference value exists.
struct Expect {
    macs: Option<(u64, f64)>,
    params: Option<(u64, f64)>,
    weights: Option<(u64, f64)>,
}

fn check(name: &str, e: Expect) -> Network {
    let n = net(name);
    let w = n.work();
    if let Some((v, tol)) = e.macs {
        assert_close(w.macs, v, tol, &format!("{name} MACs"));
    }
    if let Some((v, tol)) = e.params {
        assert_close(w.params, v, tol, &format!("{name} params"));
    }
    if let Some((v, tol)) = e.weights {
        assert_close(w.weights, v, tol, &format!("{name} weights"));
    }
    n
}

fn shape_of(n: &Network, layer: &str) -> TensorShape {
    n.layers()
        .iter()
        .find(|l| l.name == layer)
        .unwrap_or_else(|| panic!("{}: no layer `{layer}`", n.name()))
        .output
        .clone()
}

fn assert_shape(n: &Network, layer: &str, dims: &[usize]) {
    assert_eq!(
        shape_of(n, layer).dims(),
        dims,
        "{}: output shape of `{layer}`",
        n.name()
    );
}

fn torchvision(macs: u64, params: u64, tol: f64) -> Expect {
    Expect {
        macs: Some((macs, tol)),
        params: Some((params, tol)),
        weights: None,
    }
}

/// Weights and MACs from network-definitions.md, plus the parameter total
/// those tables imply for the biases, norms and slopes the zoo file keeps.
fn defined(weights: u64, macs: u64, params: u64) -> Expect {
    Expect {
        macs: Some((macs, EXACT)),
        params: Some((params, EXACT)),
        weights: Some((weights, EXACT)),
    }
}

#[test]
fn alexnet() {
    let n = check("alexnet", torchvision(714_188_480, 61_100_840, EXACT));
    assert_shape(&n, "features.12", &[256, 6, 6]);
    assert_shape(&n, "avgpool", &[256, 6, 6]);
    assert_eq!(n.output().dims(), &[1000]);
}

#[test]
fn vgg13() {
    check("vgg13", torchvision(11_310_000_000, 133_047_848, ROUNDED));
}

#[test]
fn vgg16() {
    let n = check("vgg16", torchvision(15_470_264_320, 138_357_544, EXACT));
    assert_shape(&n, "features.30", &[512, 7, 7]);
}

#[test]
fn vgg19() {
    check("vgg19", torchvision(19_630_000_000, 143_667_240, ROUNDED));
}

#[test]
fn vgg8_cifar10() {
    let n = check("vgg8-cifar10", torchvision(615_917_568, 12_976_266, EXACT));
    // 8192 = 512 x 4 x 4 features into fc1.
    assert_shape(&n, "flatten", &[8192]);
    assert_eq!(n.output().dims(), &[10]);
}

#[test]
fn resnet18() {
    let n = check("resnet18", torchvision(1_814_073_344, 11_689_512, EXACT));
    assert_shape(&n, "maxpool", &[64, 56, 56]);
    assert_shape(&n, "layer4.1.relu_1", &[512, 7, 7]);
}

#[test]
fn resnet34() {
    check("resnet34", torchvision(3_660_000_000, 21_797_672, ROUNDED));
}

#[test]
fn resnet50() {
    let n = check("resnet50", torchvision(4_089_184_256, 25_557_032, EXACT));
    assert_shape(&n, "layer1.2.relu_2", &[256, 56, 56]);
    assert_shape(&n, "layer4.2.relu_2", &[2048, 7, 7]);
}

#[test]
fn resnet101() {
    check("resnet101", torchvision(7_800_000_000, 44_549_160, ROUNDED));
}

#[test]
fn resnet152() {
    check(
        "resnet152",
        torchvision(11_510_000_000, 60_192_808, ROUNDED),
    );
}

#[test]
fn googlenet() {
    let n = check("googlenet", torchvision(1_498_376_192, 6_624_904, EXACT));
    // Ceil-mode pools: 112 -> 56 -> 28 -> 14 -> 7.
    assert_shape(&n, "maxpool1", &[64, 56, 56]);
    assert_shape(&n, "inception3b", &[480, 28, 28]);
    assert_shape(&n, "inception4e", &[832, 14, 14]);
    assert_shape(&n, "maxpool4", &[832, 7, 7]);
    assert_shape(&n, "inception5b", &[1024, 7, 7]);
}

#[test]
fn mobilenet_v2() {
    let n = check("mobilenet-v2", torchvision(300_774_272, 3_504_872, EXACT));
    assert_shape(&n, "features.17.conv.3", &[320, 7, 7]);
    assert_shape(&n, "features.18.2", &[1280, 7, 7]);
}

#[test]
fn bn_inception() {
    let n = check(
        "bn-inception",
        // Params: weights + BN scale and shift (20,032) + fc bias (1,000); the
        // Caffe port's 10,016 conv biases are left out (BN replaces them).
        defined(11_264_192, 2_032_600_064, 11_264_192 + 20_032 + 1_000),
    );
    assert_eq!(n.work().weight_layers, 70);
    assert_shape(&n, "3a/concat", &[256, 28, 28]);
    assert_shape(&n, "3c/concat", &[576, 14, 14]);
    assert_shape(&n, "4c/concat", &[608, 14, 14]);
    assert_shape(&n, "4e/concat", &[1056, 7, 7]);
    assert_shape(&n, "5b/concat", &[1024, 7, 7]);
}

/// PReLU-nets: weights and MACs from section 1; params add one bias per
/// output channel or feature and one PReLU slope per conv channel and fc1/fc2
/// feature; `spp` is the concatenated 63-bin pyramid.
fn msra(name: &str, weights: u64, macs: u64, biases: u64, slopes: u64, spp: usize, layers: usize) {
    let n = check(name, defined(weights, macs, weights + biases + slopes));
    assert_eq!(n.work().weight_layers, layers, "{name} weight layers");
    assert_shape(&n, "spp_7", &[spp / 63, 7, 7]);
    assert_shape(&n, "spp_3", &[spp / 63, 3, 3]);
    assert_shape(&n, "spp_2", &[spp / 63, 2, 2]);
    assert_shape(&n, "spp_1", &[spp / 63, 1, 1]);
    assert_shape(&n, "spp", &[spp]);
}

#[test]
fn msra_1() {
    msra(
        "msra-1",
        178_001_696,
        19_058_106_368,
        15_688,
        14_688,
        32_256,
        19,
    );
}

#[test]
fn msra_2() {
    msra(
        "msra-2",
        183_310_112,
        23_219_904_512,
        16_968,
        15_968,
        32_256,
        22,
    );
}

#[test]
fn msra_3() {
    msra(
        "msra-3",
        330_581_792,
        53_463_130_112,
        21_576,
        20_576,
        56_448,
        22,
    );
}

#[test]
fn neuraltalk() {
    // Params: weights + word table 8791 x 600 + decoder bias 8791.
    let n = check(
        "neuraltalk",
        defined(8_157_000, 8_157_000, 8_157_000 + 5_274_600 + 8_791),
    );
    assert_shape(&n, "lstm", &[1, 600]);
    assert_eq!(n.output().dims(), &[1, 8791]);
}

#[test]
fn mlp0() {
    check("mlp0", defined(20_000_000, 20_000_000, 20_000_000));
}

#[test]
fn mlp1() {
    check("mlp1", defined(4_999_696, 4_999_696, 4_999_696));
}

#[test]
fn alphagozero() {
    // Params: weights + BN scale and shift + fc biases (619).
    let n = check(
        "alphagozero",
        defined(22_807_284, 8_105_976_564, 22_807_284 + 19_974 + 619),
    );
    assert_eq!(n.work().weight_layers, 44);
    assert_shape(&n, "policy_fc", &[362]);
    assert_eq!(n.output().dims(), &[1]);
}

#[test]
fn alphagozero_40() {
    let n = check(
        "alphagozero-40",
        defined(46_400_244, 16_623_035_124, 46_400_244 + 40_454 + 619),
    );
    assert_eq!(n.work().weight_layers, 84);
}

#[test]
fn autoencoder() {
    let n = check(
        "autoencoder",
        defined(2_833_000, 2_833_000, 2_833_000 + 4_314),
    );
    assert_shape(&n, "code", &[30]);
    assert_eq!(n.output().dims(), &[784]);
}

#[test]
fn bert_base() {
    // Without the pooler: embeddings 23,837,184 + 12 layers x 7,087,872
    // = 108,891,648 (= 109,482,240 with the pooler's 590,592).
    let embeddings = 30_522 * 768 + 512 * 768 + 2 * 768 + 2 * 768;
    let per_layer = 4 * (768 * 768 + 768) + (768 * 3072 + 3072) + (3072 * 768 + 768) + 2 * 2 * 768;
    assert_eq!(embeddings, 23_837_184);
    assert_eq!(per_layer, 7_087_872);
    let params = embeddings + 12 * per_layer;
    assert_eq!(params, 109_482_240 - 590_592);
    let n = check("bert-base", defined(84_934_656, 11_173_625_856, params));
    assert_shape(
        &n,
        "encoder.layer.0.attention.self.scores",
        &[128, 12 * 128],
    );
    assert_shape(&n, "encoder.layer.0.attention.self.context", &[128, 768]);
    assert_shape(&n, "encoder.layer.0.intermediate.dense", &[128, 3072]);
    assert_eq!(n.output().dims(), &[128, 768]);
    // The two attention MatMuls: 12 heads x 128 x 128 x 64 each, per layer.
    let matmul: u64 = n
        .layers()
        .iter()
        .filter(|l| l.op.kind() == "MatMul")
        .map(|l| l.work.macs)
        .sum();
    assert_eq!(matmul, 301_989_888);
}

#[test]
fn every_zoo_network_loads_has_unique_names_and_round_trips() {
    let nets = zoo::all().expect("every zoo network loads");
    assert_eq!(nets.len(), zoo::names().len());
    for (net, file) in nets.iter().zip(zoo::names()) {
        assert_eq!(net.name(), file, "network name matches its file stem");
        assert!(
            net.source().is_some_and(|s| !s.is_empty()),
            "{file}: `source` is set"
        );
        let mut seen = HashSet::new();
        for l in net.layers() {
            assert!(
                seen.insert(l.name.as_str()),
                "{file}: duplicate layer `{}`",
                l.name
            );
        }
        let text = net.to_ron();
        let back = parse_network(&text, &format!("{file} (round trip)"))
            .unwrap_or_else(|e| panic!("{file}: round trip does not parse: {e}\n{text}"));
        assert_eq!(&back, net, "{file}: round trip changes the network");
    }
}

#[test]
fn lookup_ignores_case_separators_and_knows_aliases() {
    assert_eq!(net("ResNet_18").name(), "resnet18");
    assert_eq!(net("MobileNet_V2").name(), "mobilenet-v2");
    assert_eq!(net("BERT-Base").name(), "bert-base");
    assert_eq!(net("vgg8").name(), "vgg8-cifar10");
    assert_eq!(net("VGG_8").name(), "vgg8-cifar10");
    assert_eq!(net("inception-v2").name(), "bn-inception");
    assert_eq!(net("Inception_V2").name(), "bn-inception");
    for (alias, target) in zoo::ALIASES {
        assert!(
            zoo::names().contains(target),
            "alias `{alias}` -> unknown `{target}`"
        );
    }
    assert!(zoo::get("resnet-19").is_err());
}

/// The table of the zoo as the IR counts it; shown with `--nocapture`.
#[test]
fn zoo_table() {
    println!(
        "| network | layers | weight layers | MACs | params | weights |\n|---|---|---|---|---|---|"
    );
    for net in zoo::all().unwrap() {
        let w = net.work();
        assert!(w.weights <= w.params, "{}: weights > params", net.name());
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            net.name(),
            w.layers,
            w.weight_layers,
            w.macs,
            w.params,
            w.weights
        );
    }
}
