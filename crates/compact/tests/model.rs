//! The model against the authors' committed outputs beyond the reference set,
//! and the behaviour of every option.
use pimzoo_compact::calibration::authors_chip;
use pimzoo_compact::preset::{
    builtin, parse, CellTechnology, Config, Counters, DramOverlap, DuplicationLoop, GroupReads,
    GroupWrites, Leakage, Mode, PipelineFill, Split, WriteCharge, ZetaScope, FILES,
};
use pimzoo_compact::CompactChip;
use pimzoo_core::units::{Joules, Seconds};
use pimzoo_core::{component, Accelerator, EvalError, Optimizer, Report, Workload};
use pimzoo_ir::Network;
use proptest::prelude::*;
use std::sync::Arc;

fn net(name: &str) -> Arc<Network> {
    Arc::new(pimzoo_ir::zoo::get(name).unwrap())
}

fn preset(id: &str) -> Config {
    builtin(id).unwrap_or_else(|| panic!("no preset {id}"))
}

fn model(c: Config) -> CompactChip {
    CompactChip::new(c).unwrap()
}

fn run(c: Config, network: &str, batch: u64) -> Report {
    let r = model(c)
        .evaluate(&Workload::inference(net(network), batch))
        .unwrap();
    r.check().unwrap();
    r
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs()
}

#[test]
fn every_preset_parses_and_builds() {
    for (origin, text) in FILES {
        let c = parse(text, origin).unwrap_or_else(|e| panic!("{e}"));
        let m = CompactChip::new(c).unwrap_or_else(|e| panic!("{origin}: {e}"));
        assert!(m.id().starts_with("compact/"));
        let info = m.info();
        assert!(info
            .parameters
            .iter()
            .all(|(_, v, s)| !v.is_empty() && !s.is_empty()));
    }
}

/// Read latency per layer of the authors' runs that are not the fitted one
/// (ns): the 6x6 full pipeline and the 4x4 layer-by-layer run. The circuit
/// constants come from the 4x4 partial pipeline; these are predictions.
const FPP_6X6_READ_NS: [f64; 8] = [
    212134.0, 400568.0, 244279.0, 421739.0, 68022.7, 75193.2, 933.303, 1417.8,
];
const LP_4X4_READ_NS: [f64; 8] = [
    4685.61, 32600.6, 10636.9, 19667.0, 7141.41, 14530.6, 392.479, 435.724,
];

#[test]
fn per_layer_latencies_of_other_chips_and_modes_are_predicted() {
    for (id, table) in [
        ("compact/unlimited", FPP_6X6_READ_NS),
        ("compact/lp", LP_4X4_READ_NS),
    ] {
        let m = model(preset(id));
        let plan = m
            .plan(&Workload::inference(net("vgg8-cifar10"), 1))
            .unwrap();
        for (i, (cost, paper)) in plan.costs.iter().zip(table).enumerate() {
            let model_ns = cost.read.total().value() * 1e9;
            assert!(
                close(model_ns, paper, 0.03),
                "{id} layer {}: model {model_ns:.0} ns, authors {paper} ns",
                i + 1
            );
        }
    }
}

#[test]
fn vgg8_dram_traffic_is_the_authors_bit_count() {
    let r = run(preset("compact/ppp"), "vgg8-cifar10", 1);
    assert_eq!(r.metrics["dram_weight_bits"], 108_183_552.0);
    // Per image: 221,184 + 524,288 + 131,072 + 131,072 + 16,384 + 160 bits of
    // activations; the 160-bit result is one truncated 128-bit transaction.
    assert_eq!(r.metrics["dram_bits"], 108_183_552.0 + 1_024_160.0 - 32.0);
    let rp = run(preset("compact/rp"), "vgg8-cifar10", 1);
    assert_eq!(rp.metrics["dram_weight_bits"], 105_824_256.0);
    let mut exact = preset("compact/ppp");
    exact.options.counters = Counters::Exact;
    let e = run(exact, "vgg8-cifar10", 1);
    assert_eq!(e.metrics["dram_bits"], 108_183_552.0 + 1_024_160.0 + 96.0);
}

#[test]
fn the_energy_breakdown_names_every_part() {
    let r = run(preset("compact/ppp"), "vgg8-cifar10", 1024);
    let b = r.energy_breakdown();
    for c in [
        component::DRAM,
        component::ADC,
        "accumulation",
        component::INTERCONNECT,
        component::WRITE,
        component::LEAKAGE,
        component::BUFFER,
        "periphery",
        "neurosim-zeta",
    ] {
        assert!(b.get(c).is_some_and(|e| e.value() > 0.0), "no `{c}` energy");
    }
    // zeta scales the whole energy: its component is (zeta - 1) of the rest.
    let zeta = b["neurosim-zeta"].value();
    let rest = r.energy().value() - zeta;
    assert!(close(zeta, 0.22 * rest, 1e-9));
    let mut on_chip = preset("compact/ppp");
    on_chip.options.zeta_scope = ZetaScope::OnChip;
    let o = run(on_chip, "vgg8-cifar10", 1024);
    assert!(o.energy() < r.energy());
}

#[test]
fn writes_charged_once_per_load_raise_throughput_at_large_batches() {
    let authors = run(preset("compact/ppp"), "vgg8-cifar10", 1024);
    let mut c = preset("compact/ppp");
    c.options.write_charge = WriteCharge::PerLoad;
    let fixed = run(c.clone(), "vgg8-cifar10", 1024);
    // Per image: 222.6 us reads + 48.4 us writes + 1 us DRAM -> reads + DRAM.
    let gain = fixed.ops_per_s() / authors.ops_per_s();
    assert!(gain > 1.2 && gain < 1.25, "{gain}");
    // At batch 1 both count one write.
    let a1 = run(preset("compact/ppp"), "vgg8-cifar10", 1);
    let f1 = run(c, "vgg8-cifar10", 1);
    assert!(close(a1.latency.value(), f1.latency.value(), 1e-12));
}

#[test]
fn corrected_dram_accounting_moves_fewer_activation_bits() {
    let authors = run(preset("compact/ppp"), "vgg8-cifar10", 64);
    let mut c = preset("compact/ppp");
    c.options.group_reads = GroupReads::Tensors;
    c.options.group_writes = GroupWrites::Tensors;
    let fixed = run(c, "vgg8-cifar10", 64);
    let act = |r: &Report| r.metrics["dram_bits"] - r.metrics["dram_weight_bits"];
    // im2col reads 9x the first layer's input; the spill after group 1 counts
    // 8x8x512 (input channels, before pooling) instead of 4x4x512.
    assert!(
        act(&fixed) < 0.5 * act(&authors),
        "{} vs {}",
        act(&fixed),
        act(&authors)
    );
    // Residual graphs: tensors crossing a group boundary are counted too.
    let mut r = preset("compact/ppp");
    r.options.group_reads = GroupReads::Tensors;
    r.options.group_writes = GroupWrites::Tensors;
    run(r, "resnet50-cifar100", 4);
}

#[test]
fn counts_beyond_the_authors_32_bit_counters_are_flagged() {
    let w = Workload::inference(net("resnet50"), 1024);
    let r = model(preset("compact/ppp")).evaluate(&w).unwrap();
    r.check().unwrap();
    assert!(r.metrics["counter_overflows"] > 0.0);
    let mut c = preset("compact/ppp");
    c.options.counters = Counters::Exact;
    let e = model(c).evaluate(&w).unwrap();
    assert!(!e.metrics.contains_key("counter_overflows"));
    assert!(close(e.metrics["dram_bits"], r.metrics["dram_bits"], 1e-6));
    // VGG-8 at 1024 stays inside the authors' counters.
    let v = run(preset("compact/ppp"), "vgg8-cifar10", 1024);
    assert!(!v.metrics.contains_key("counter_overflows"));
}

#[test]
fn oversized_layers_are_split_and_cost_every_part() {
    // AlexNet-CIFAR's fc 4096x4096 needs 32 tiles of the 16.
    let m = model(preset("compact/ppp"));
    let plan = m
        .plan(&Workload::inference(net("alexnet-cifar10"), 1))
        .unwrap();
    let fc2 = &plan.maps[6];
    assert_eq!(fc2.parts, (1, 2));
    assert_eq!(plan.schedule.groups.len(), 4);
    let mut c = preset("compact/ppp");
    c.options.split = Split::Corrected;
    run(c, "vgg16", 2);
}

#[test]
fn the_corrected_duplication_loop_uses_free_tiles_the_authors_loop_leaves() {
    // ResNet-18: group 2 has 2 free tiles; the authors' loop stops early.
    let authors = model(preset("compact/ppp"))
        .plan(&Workload::inference(net("resnet18-cifar10"), 1))
        .unwrap();
    let mut c = preset("compact/ppp");
    c.options.duplication_loop = DuplicationLoop::Corrected;
    let fixed = model(c)
        .plan(&Workload::inference(net("resnet18-cifar10"), 1))
        .unwrap();
    // The authors' output: only layer 15 is copied (twice).
    let copied: Vec<usize> = (0..authors.layers.len())
        .filter(|&i| authors.schedule.tile_dup[i] > 1)
        .collect();
    assert_eq!(copied, [14]);
    let used = |p: &pimzoo_compact::Plan, g: usize| -> u64 {
        p.schedule.groups[g]
            .clone()
            .map(|i| p.maps[i].tiles * p.schedule.tile_dup[i])
            .sum()
    };
    for g in 0..fixed.schedule.groups.len() {
        assert!(used(&fixed, g) <= 16);
        assert!(used(&fixed, g) >= used(&authors, g));
    }
}

#[test]
fn whole_chip_leakage_counts_idle_tiles_and_reload_phases() {
    let authors = run(preset("compact/ppp"), "vgg8-cifar10", 1);
    let mut c = preset("compact/ppp");
    c.options.leakage = Leakage::WholeChip;
    let fixed = run(c, "vgg8-cifar10", 1);
    let leak = |r: &Report| r.energy_breakdown()[component::LEAKAGE].value();
    assert!(leak(&fixed) > 2.0 * leak(&authors));
}

#[test]
fn fill_and_overlap_options_bound_the_batch_time() {
    let base = run(preset("compact/ppp"), "vgg8-cifar10", 4);
    let mut fill = preset("compact/ppp");
    fill.options.pipeline_fill = PipelineFill::Counted;
    let f = run(fill, "vgg8-cifar10", 4);
    assert!(f.latency > base.latency);
    let mut overlap = preset("compact/ppp");
    overlap.options.dram_overlap = DramOverlap::DoubleBuffered;
    let o = run(overlap, "vgg8-cifar10", 4);
    assert!(o.latency < base.latency);
    assert!(o.latency.value() >= base.metrics["dram_latency_s"]);
}

#[test]
fn rram_cells_make_every_reload_far_more_expensive() {
    let sram = run(preset("compact/ppp"), "vgg8-cifar10", 16);
    let mut c = preset("compact/ppp");
    c.cell = CellTechnology::Rram {
        pulse_width: Seconds::from_ns(50.0),
        pulses_full_range: 60,
        energy_per_pulse: Joules::from_pj(4.0),
        mean_range_fraction: 0.5,
    };
    let rram = run(c.clone(), "vgg8-cifar10", 16);
    assert!(rram.metrics["weight_write_latency_s"] > 1e4 * sram.metrics["weight_write_latency_s"]);
    assert!(rram.latency.value() > 100.0 * sram.latency.value());
    // Charged once per load, the reload still dominates a batch of 16.
    c.options.write_charge = WriteCharge::PerLoad;
    let once = run(c, "vgg8-cifar10", 16);
    assert!(once.latency < rram.latency);
    assert!(once.metrics["weight_write_latency_s"] > 0.5 * once.latency.value());
}

#[test]
fn what_the_chip_cannot_run_is_refused_with_a_reason() {
    let m = model(preset("compact/ppp"));
    let train = Workload::training(net("vgg8-cifar10"), 8, Optimizer::from_name("sgd").unwrap());
    for (w, needle) in [
        (train, "inference only"),
        (Workload::inference(net("bert-base"), 1), "layer `"),
        (Workload::inference(net("neuraltalk"), 1), "layer `"),
    ] {
        match m.evaluate(&w) {
            Err(EvalError::Unsupported { reason }) => assert!(reason.contains(needle), "{reason}"),
            other => panic!("expected unsupported, got {other:?}"),
        }
    }
    let int16 =
        Workload::inference(net("vgg8-cifar10"), 1).with_precision("int16".parse().unwrap());
    assert!(matches!(
        m.evaluate(&int16),
        Err(EvalError::Unsupported { .. })
    ));
}

#[test]
fn a_finer_sense_amplifier_costs_more_per_conversion() {
    let five = run(preset("compact/ppp"), "vgg8-cifar10", 1);
    let mut c = preset("compact/ppp");
    c.chip.adc_bits = 8;
    let eight = run(c, "vgg8-cifar10", 1);
    let adc = |r: &Report| r.energy_breakdown()[component::ADC].value();
    // The SAR table: 1.67 pJ at 8 bits against 0.99 pJ at 5.
    assert!(close(adc(&eight) / adc(&five), (2.0 / 1.2) / 0.99, 1e-9));
    let mut c = preset("compact/ppp");
    c.chip.adc_bits = 12;
    assert!(CompactChip::new(c).err().unwrap().contains("adc_bits"));
}

#[test]
fn bad_presets_name_what_is_wrong() {
    let mut c = preset("compact/ppp");
    c.zeta = 0.5;
    assert!(CompactChip::new(c).err().unwrap().contains("zeta"));
    let mut c = preset("compact/ppp");
    c.sources.remove("dram");
    assert!(CompactChip::new(c).err().unwrap().contains("`dram`"));
    let mut c = preset("compact/ppp");
    c.chip.subarray.cell_bits = 2;
    assert!(CompactChip::new(c).err().unwrap().contains("SRAM"));
    let mut c = preset("compact/ppp");
    c.chip = authors_chip((0, 4));
    assert!(CompactChip::new(c).err().unwrap().contains("tiles.0"));
    let e = parse("Compact(id: \"compact/x\",\n nonsense: 1)", "x.ron").unwrap_err();
    assert!(e.to_string().starts_with("x.ron:2:"), "{e}");
}

#[test]
fn every_mode_runs_every_supported_zoo_network() {
    for mode in [
        Mode::RawProcessing,
        Mode::LayerByLayer,
        Mode::Pipeline {
            dynamic_duplication: true,
        },
    ] {
        let mut c = preset("compact/ppp");
        c.mode = mode;
        c.options.counters = Counters::Exact;
        let m = model(c);
        for n in pimzoo_ir::zoo::all().unwrap() {
            match m.evaluate(&Workload::inference(Arc::new(n.clone()), 3)) {
                Ok(r) => r
                    .check()
                    .unwrap_or_else(|e| panic!("{mode:?} {}: {e}", n.name())),
                Err(EvalError::Unsupported { reason }) => assert!(!reason.is_empty()),
                Err(e) => panic!("{mode:?} {}: {e}", n.name()),
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Batch-level weight reuse: the pipeline's throughput never falls as the
    /// batch grows, and the DRAM share of energy never rises.
    #[test]
    fn larger_batches_amortise_reloads(b in 1u64..512, extra in 1u64..512) {
        let m = model(preset("compact/ppp"));
        let n = net("resnet18-cifar10");
        let small = m.evaluate(&Workload::inference(n.clone(), b)).unwrap();
        let large = m.evaluate(&Workload::inference(n, b + extra)).unwrap();
        prop_assert!(large.ops_per_s() >= small.ops_per_s() * (1.0 - 1e-9));
        prop_assert!(large.metrics["dram_energy_share"] <= small.metrics["dram_energy_share"] + 1e-9);
    }
}

#[test]
fn the_6x6_chip_in_rp_and_lp_modes_is_predicted() {
    // RP_VGG8_6_6_4_4_4_4_128_128: 0.370 TOPS, 6.138 TOPS/W (69.22 mm^2 at 6x6;
    // the RP chip prints 68.93). LP_VGG8_cifar10_6_6: 1.692 TOPS, 1.587 TOPS/W.
    for (mode, tops, tops_per_w) in [
        (Mode::RawProcessing, 0.370, 6.138),
        (Mode::LayerByLayer, 1.692, 1.587),
    ] {
        let mut c = preset("compact/unlimited");
        c.mode = mode;
        let r = run(c, "vgg8-cifar10", 1);
        let (t, e) = (r.ops_per_s() / 1e12, r.ops_per_j() / 1e12);
        assert!(close(t, tops, 0.15), "{mode:?}: {t} Top/s, authors {tops}");
        assert!(
            close(e, tops_per_w, 0.15),
            "{mode:?}: {e} Top/J, authors {tops_per_w}"
        );
    }
}

#[test]
fn absurd_batches_do_not_overflow() {
    for id in ["compact/ppp", "compact/lp", "compact/rp"] {
        let w = Workload::inference(net("vgg16"), 1 << 40);
        match model(preset(id)).evaluate(&w) {
            Ok(r) => r.check().unwrap(),
            Err(EvalError::Unsupported { reason }) => assert!(reason.contains("2^64"), "{reason}"),
            Err(e) => panic!("{id}: {e}"),
        }
        let r = run(preset(id), "vgg8-cifar10", 1 << 30);
        assert!(r.latency.value().is_finite());
    }
}
