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
    assert_eq!(builtin_registry().len(), builtin_presets().count());
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
