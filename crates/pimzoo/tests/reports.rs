//! Report invariants on every model: the energy breakdown sums to the total,
//! layer rows sum to the energy and combine into the latency by the
//! report's rule, and derived figures are consistent.
use pimzoo::ir::{zoo, Network, NetworkSpec};
use pimzoo::{builtin_registry, EvalError, Optimizer, Precision, Workload};
use proptest::prelude::*;
use std::sync::Arc;

fn workloads(net: &Arc<Network>, batch: u64) -> Vec<Workload> {
    let mut w = vec![Workload::inference(net.clone(), batch)];
    for name in Optimizer::NAMES {
        w.push(Workload::training(
            net.clone(),
            batch,
            Optimizer::from_name(name).unwrap(),
        ));
    }
    w.push(
        Workload::inference(net.clone(), batch).with_precision(Precision::mixed(
            pimzoo::NumberFormat::Bf16,
            pimzoo::NumberFormat::Fp32,
        )),
    );
    w
}

fn check_all(net: &Arc<Network>, batch: u64) -> Result<usize, String> {
    let registry = builtin_registry();
    let mut ran = 0;
    for model in registry.iter() {
        for w in workloads(net, batch) {
            match model.evaluate(&w) {
                Ok(r) => {
                    r.check().map_err(|e| {
                        format!("{} on {} ({}): {e}", model.id(), net.name(), w.task)
                    })?;
                    let rate = r.samples_per_s() * r.latency.value();
                    if (rate - batch as f64).abs() > 1e-9 * batch as f64 {
                        return Err(format!("{}: samples/s inconsistent", model.id()));
                    }
                    ran += 1;
                }
                // A workload the model cannot run, or one that does not fit the
                // preset (K-FAC factors of MSRA beyond a GPU's memory), is an
                // answer with its reason, not a failure.
                Err(EvalError::Unsupported { reason }) if !reason.trim().is_empty() => {}
                Err(EvalError::Config { message }) if !message.trim().is_empty() => {}
                Err(e) => return Err(format!("{} on {}: {e}", model.id(), net.name())),
            }
        }
    }
    Ok(ran)
}

#[test]
fn every_model_on_every_zoo_network_keeps_the_invariants() {
    let mut ran = 0;
    for net in zoo::all().unwrap() {
        ran += check_all(&Arc::new(net), 8).unwrap_or_else(|e| panic!("{e}"));
    }
    assert!(ran > 0, "no model ran any workload");
}

/// A random chain of convolutions and pools ending in a classifier.
fn random_cnn() -> impl Strategy<Value = Network> {
    (
        1usize..8,
        4usize..40,
        proptest::collection::vec((1usize..64, 1usize..4, 1usize..3, any::<bool>()), 1..6),
        1usize..100,
    )
        .prop_filter_map("shapes must fit", |(c, hw, convs, classes)| {
            let mut layers = Vec::new();
            for (i, (out, k, s, pool)) in convs.into_iter().enumerate() {
                layers.push(format!(
                    "(name: \"conv{i}\", op: Conv2d(out: {out}, kernel: {k}, stride: {s}, padding: {}))",
                    k / 2
                ));
                layers.push(format!("(name: \"relu{i}\", op: Activation(Relu))"));
                if pool {
                    layers.push(format!("(name: \"pool{i}\", op: Pool(kind: Max, kernel: 2))"));
                }
            }
            layers.push("(name: \"flat\", op: Flatten)".into());
            layers.push(format!("(name: \"fc\", op: Linear(out: {classes}))"));
            let text = format!(
                "Network(name: \"random\", input: [{c}, {hw}, {hw}], layers: [{}])",
                layers.join(",")
            );
            let spec: NetworkSpec = pimzoo::ir::ron_options().from_str(&text).ok()?;
            Network::new(spec).ok()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn random_networks_keep_the_invariants(net in random_cnn(), batch in 1u64..512) {
        let net = Arc::new(net);
        if let Err(e) = check_all(&net, batch) {
            prop_assert!(false, "{}", e);
        }
    }
}
