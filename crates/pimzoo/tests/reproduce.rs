//! The reference files drive this test exactly as they drive
//! `cargo xtask reproduce`: a `check` entry outside its tolerance fails here.
use pimzoo::builtin_registry;
use pimzoo::reference::{builtin_references, Reproducer};

#[test]
fn every_check_is_within_tolerance_and_every_entry_computes() {
    let registry = builtin_registry();
    let reproducer = Reproducer::new(&registry);
    let sets = builtin_references(None).unwrap_or_else(|e| panic!("{e}"));
    assert!(!sets.is_empty());
    let mut failures = Vec::new();
    for set in &sets {
        for o in reproducer.run(set) {
            if let Some(err) = &o.error {
                failures.push(format!("{} / {}: no model value: {err}", o.paper, o.name));
            }
            if o.pass == Some(false) {
                failures.push(format!(
                    "{} / {}: paper {} vs model {:?} ({})",
                    o.paper, o.name, o.paper_value, o.model_value, o.tolerance
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn fitted_entries_reproduce_their_value() {
    // A fitted value that the model no longer gives means the preset and
    // the fit have drifted apart.
    let registry = builtin_registry();
    let reproducer = Reproducer::new(&registry);
    for set in builtin_references(None).unwrap() {
        for o in reproducer
            .run(&set)
            .into_iter()
            .filter(|o| o.status == "fitted")
        {
            let err = o.rel_error.expect("a fitted entry computes");
            assert!(
                err.abs() < 1e-3,
                "{} / {}: fitted but off by {err:e}",
                o.paper,
                o.name
            );
        }
    }
}

#[test]
fn unknown_paper_lists_the_known_ones() {
    let e = builtin_references(Some("isaac-2099"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("gpu-h200"), "{e}");
}
