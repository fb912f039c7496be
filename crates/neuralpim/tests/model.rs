//! The cost model on the zoo: presets build, errors name what is wrong,
//! unsupported work is refused with its reason, reports keep their invariants
//! and break energy down into the components the dataflows differ in.
use pimzoo_core::units::SquareMm;
use pimzoo_core::{
    component, Accelerator, EvalError, NumberFormat, Optimizer, Precision, Workload,
};
use pimzoo_neuralpim::preset::{self, Tiles, FILES};
use pimzoo_neuralpim::{names, NeuralPim};
use std::sync::Arc;

fn model(id: &str) -> NeuralPim {
    NeuralPim::new(preset::builtin(id).unwrap()).unwrap()
}

fn int8(net: &str, batch: u64) -> Workload {
    Workload::inference(Arc::new(pimzoo_ir::zoo::get(net).unwrap()), batch)
        .with_precision(Precision::uniform(NumberFormat::Fixed(8)))
}

#[test]
fn every_preset_builds_with_a_unique_id_matching_its_file() {
    let mut ids = std::collections::HashSet::new();
    for (origin, text) in FILES {
        let c = preset::parse(text, origin).unwrap();
        let stem = origin.rsplit('/').next().unwrap().trim_end_matches(".ron");
        assert_eq!(c.id, format!("neuralpim/{stem}"));
        assert!(ids.insert(c.id.clone()));
        NeuralPim::new(c).unwrap();
    }
}

#[test]
fn bad_presets_are_errors_that_name_the_field() {
    let base = preset::builtin("neuralpim/neuralpim").unwrap();
    let mut c = base.clone();
    c.sources.remove("tiles");
    assert!(NeuralPim::new(c).unwrap_err().contains("`tiles`"));
    let mut c = base.clone();
    c.array.rows = 100;
    assert!(NeuralPim::new(c).unwrap_err().contains("rows"));
    let mut c = base.clone();
    c.operands.output_bits = 6;
    assert!(NeuralPim::new(c).unwrap_err().contains("NNADC"));
    let mut c = base.clone();
    c.tiles = Tiles::FillArea(SquareMm(20.0));
    assert!(NeuralPim::new(c).unwrap_err().contains("FillArea"));
    let mut c = base.clone();
    c.array.dac_bits = 6;
    assert!(NeuralPim::new(c).unwrap_err().contains("DAC"));
    let mut c = base;
    c.id = "isaac".into();
    assert!(NeuralPim::new(c).unwrap_err().contains("neuralpim/<name>"));
    let e = preset::parse("NeuralPim(id: \"neuralpim/x\",\n oops: 1)", "x.ron").unwrap_err();
    assert!(e.starts_with("x.ron:2:"), "{e}");
}

#[test]
fn unsupported_work_is_refused_with_its_reason() {
    let m = model("neuralpim/neuralpim");
    let net = Arc::new(pimzoo_ir::zoo::get("resnet18").unwrap());
    let sgd = Optimizer::from_name("sgd").unwrap();
    assert!(matches!(
        m.evaluate(&Workload::training(net.clone(), 1, sgd)),
        Err(EvalError::Unsupported { .. })
    ));
    let wide =
        Workload::inference(net, 1).with_precision(Precision::uniform(NumberFormat::Fixed(16)));
    assert!(matches!(
        m.evaluate(&wide),
        Err(EvalError::Unsupported { .. })
    ));
    let bert = Workload::inference(Arc::new(pimzoo_ir::zoo::get("bert-base").unwrap()), 1);
    match m.evaluate(&bert) {
        Err(EvalError::Unsupported { reason }) => assert!(reason.contains("activations")),
        other => panic!("{other:?}"),
    }
    // CASCADE as published holds 3.2 MB of weights and no more.
    let cas = model("neuralpim/cascade-published");
    assert!(matches!(
        cas.evaluate(&int8("vgg16", 1)),
        Err(EvalError::Config { .. })
    ));
    assert!(cas.evaluate(&int8("lenet5", 1)).is_ok());
}

#[test]
fn reports_keep_their_invariants_on_the_zoo() {
    for (origin, text) in FILES {
        let m = NeuralPim::new(preset::parse(text, origin).unwrap()).unwrap();
        for net in pimzoo_ir::zoo::all().unwrap() {
            let net = Arc::new(net);
            for batch in [1, 16] {
                match m.evaluate(&Workload::inference(net.clone(), batch)) {
                    Ok(r) => r
                        .check()
                        .unwrap_or_else(|e| panic!("{} on {}: {e}", m.id(), net.name())),
                    Err(EvalError::Unsupported { reason })
                    | Err(EvalError::Config { message: reason }) => {
                        assert!(!reason.is_empty())
                    }
                }
            }
        }
    }
}

#[test]
fn breakdown_has_the_dataflow_components_and_conversions_follow_the_equations() {
    let w = int8("alexnet", 4);
    let macs = w.network.work().macs as f64 * 4.0;
    let mut conversions = Vec::new();
    for (id, specific) in [
        ("neuralpim/isaac", component::SHIFT_ADD),
        ("neuralpim/cascade", names::ANALOG_FRONT_END),
        ("neuralpim/neuralpim", names::NNSA),
    ] {
        let r = model(id).evaluate(&w).unwrap();
        let b = r.energy_breakdown();
        for c in [
            component::ADC,
            component::DAC,
            component::CROSSBAR,
            component::BUFFER,
            component::INTERCONNECT,
            specific,
        ] {
            assert!(
                b.get(c).is_some_and(|e| e.value() > 0.0),
                "{id} lacks `{c}`"
            );
        }
        conversions.push(r.metrics["ad_conversions"] / macs);
    }
    // Per MAC: A converts 64 times per 128-row weight vector (when rows are
    // full), B 15, C once; the layers' partly used arrays only add to it.
    assert!(
        conversions[0] >= 64.0 / 128.0 && conversions[0] < 64.0 / 128.0 * 1.5,
        "{conversions:?}"
    );
    assert!((conversions[0] / conversions[1] - 64.0 / 15.0).abs() < 1e-9);
    assert!((conversions[0] / conversions[2] - 64.0).abs() < 1e-9);
}

#[test]
fn neuraltalk_is_one_lstm_time_step() {
    let r = model("neuralpim/neuralpim")
        .evaluate(&int8("neuraltalk", 1))
        .unwrap();
    // 1201 x 2400 gates + 600 x 8791 decoder = 8,157,000 MACs per sample.
    assert_eq!(r.ops, 2.0 * 8_157_000.0);
}

#[test]
fn more_input_cycles_take_longer_and_convert_more() {
    // The same Neural-PIM design with 1-bit DACs: 8 input cycles, same
    // conversions (Eq. 7 does not depend on P_D), longer VMM.
    let mut c = preset::builtin("neuralpim/neuralpim").unwrap();
    c.array.dac_bits = 1;
    let d1 = NeuralPim::new(c).unwrap();
    let d4 = model("neuralpim/neuralpim");
    let w = int8("resnet18", 8);
    let (r1, r4) = (d1.evaluate(&w).unwrap(), d4.evaluate(&w).unwrap());
    assert_eq!(r1.metrics["ad_conversions"], r4.metrics["ad_conversions"]);
    assert!(r1.metrics["steady_state_ops_per_s"] < r4.metrics["steady_state_ops_per_s"]);
}
