//! Every embedded preset loads, and the registry holds all of them.
use pimzoo::{builtin_presets, builtin_registry, load_preset, load_preset_file};

#[test]
fn every_builtin_preset_loads_and_registers() {
    for (origin, text) in builtin_presets() {
        let model = load_preset(text, origin).unwrap_or_else(|e| panic!("{e}"));
        let family = model.id().split('/').next().unwrap();
        assert!(
            origin.contains(&format!("configs/{family}/")),
            "{origin} holds `{}`, not a `{family}` preset",
            model.id()
        );
    }
    assert_eq!(builtin_registry().len(), builtin_presets().len());
}

#[test]
fn every_model_explains_itself() {
    for m in builtin_registry().iter() {
        let info = m.info();
        assert!(
            !info.explanation.trim().is_empty(),
            "{} has no explanation",
            m.id()
        );
        assert!(
            !info.name.is_empty() && !info.source.is_empty(),
            "{}",
            m.id()
        );
        for (name, value, source) in &info.parameters {
            assert!(
                !value.is_empty() && !source.is_empty(),
                "{}: parameter `{name}` needs a value and a source",
                m.id()
            );
        }
    }
}

#[test]
fn preset_errors_name_the_file_and_position() {
    let e = load_preset("Gpu(id: \"gpu/x\",\n  nonsense: 3)", "my.ron")
        .err()
        .unwrap()
        .to_string();
    assert!(e.starts_with("my.ron:2:"), "{e}");
    let e = load_preset("Tpu(id: \"x\")", "my.ron")
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("Tpu") && e.contains("Gpu"), "{e}");
    let e = load_preset_file(std::path::Path::new("no/such/preset.ron"))
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("no/such/preset.ron"), "{e}");
}

#[test]
fn a_preset_read_as_data_can_be_changed_by_path() {
    use pimzoo::Catalog;
    let catalog = Catalog::builtin();
    let (origin, text) = builtin_presets()
        .into_iter()
        .find(|(o, _)| o.ends_with("gpu/h200.ron"))
        .unwrap();
    let mut data = catalog.read(text, origin).unwrap();
    assert_eq!(data.tag(), "Gpu");
    assert!(data.paths().iter().any(|p| p == "launch_overhead"));
    let before = catalog.build(&data).unwrap().info().peak_ops_per_s.unwrap();
    data.set("fp32_peak_flops", "1e13").unwrap();
    let after = catalog.build(&data).unwrap().info().peak_ops_per_s.unwrap();
    assert!(before > 6e13 && after == 1e13, "{before} {after}");

    let e = data.set("fp32_peek_flops", "1").unwrap_err().to_string();
    assert!(
        e.contains("fp32_peek_flops") && e.contains("fp32_peak_flops"),
        "{e}"
    );
    data.set("tdp", "-5").unwrap();
    let e = catalog.build(&data).err().unwrap().to_string();
    assert!(e.contains("tdp"), "{e}");
}

#[test]
fn a_third_party_family_loads_like_a_builtin_one() {
    use pimzoo::{Catalog, Family};
    #[derive(serde::Deserialize)]
    struct Mine {
        id: String,
    }
    static FILES: &[(&str, &str)] = &[("mine.ron", "Mine(id: \"gpu/h200\")")];
    let mut catalog = Catalog::builtin();
    catalog.add(Family::new::<Mine>("Mine", FILES, |m| {
        pimzoo::tech::gpu::builtin(&m.id).map(|g| Box::new(g) as Box<dyn pimzoo::Accelerator>)
    }));
    assert!(catalog.load(FILES[0].1, "mine.ron").is_ok());
    let e = catalog
        .load("Yours(id: \"x\")", "yours.ron")
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("Yours") && e.contains("Mine"), "{e}");
}
