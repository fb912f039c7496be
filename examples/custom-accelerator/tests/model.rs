//! The example model keeps pimzoo's report invariants and behaves like a systolic array.
use custom_accelerator::{family, register, PRESETS};
use pimzoo::ir::zoo;
use pimzoo::{builtin_registry, Accelerator, NumberFormat, Precision, Workload};
use std::sync::Arc;

fn tpu() -> Box<dyn Accelerator> {
    let mut catalog = pimzoo::Catalog::default();
    catalog.add(family());
    catalog.load(PRESETS[0].1, PRESETS[0].0).unwrap()
}

fn int8(net: &str, batch: u64) -> Workload {
    Workload::inference(Arc::new(zoo::get(net).unwrap()), batch)
        .with_precision(Precision::uniform(NumberFormat::Fixed(8)))
}

#[test]
fn registers_next_to_the_builtin_models() {
    let mut registry = builtin_registry();
    let before = registry.len();
    register(&mut registry).unwrap();
    assert_eq!(registry.len(), before + 1);
    assert!(registry.get("systolic/tpu-v1").is_ok());
}

#[test]
fn peak_is_the_papers_92_tops() {
    let peak = tpu().info().peak_ops_per_s.unwrap();
    assert!((peak / 1e12 - 91.75).abs() < 0.01, "{peak}");
}

#[test]
fn reports_keep_the_invariants_on_every_zoo_network() {
    let tpu = tpu();
    for net in zoo::names() {
        let r = tpu.evaluate(&int8(net, 8)).unwrap();
        r.check().unwrap_or_else(|e| panic!("{net}: {e}"));
        assert!(r.ops_per_s() <= tpu.info().peak_ops_per_s.unwrap());
    }
}

#[test]
fn batching_amortises_weight_loads() {
    // MLP0 is weight-bound at batch 1; at the TPU paper's batch of 200 the
    // same weights serve 200 rows, so utilisation rises steeply.
    let tpu = tpu();
    let one = tpu.evaluate(&int8("mlp0", 1)).unwrap().ops_per_s();
    let many = tpu.evaluate(&int8("mlp0", 200)).unwrap().ops_per_s();
    assert!(many > 50.0 * one, "batch 1 {one:e} vs batch 200 {many:e}");
}

#[test]
fn wider_formats_and_training_are_unsupported_with_a_reason() {
    let tpu = tpu();
    let fp32 = Workload::inference(Arc::new(zoo::get("lenet5").unwrap()), 1);
    assert!(tpu
        .evaluate(&fp32)
        .unwrap_err()
        .to_string()
        .contains("int8"));
}

#[test]
fn a_bad_preset_is_located() {
    let mut catalog = pimzoo::Catalog::default();
    catalog.add(family());
    let e = catalog
        .load("Systolic(id: \"x\",\n bogus: 1)", "mine.ron")
        .err()
        .unwrap();
    assert!(e.to_string().starts_with("mine.ron:2:"), "{e}");
    let text = PRESETS[0].1.replace("clock: 700e6", "clock: 0.0");
    let e = catalog.load(&text, "mine.ron").err().unwrap();
    assert!(e.to_string().contains("clock"), "{e}");
}
