//! The one fit of the circuit constants: printed per layer, and bounded.
//!
//! `cargo test -p pimzoo-compact --test calibration -- --nocapture` prints the
//! residuals of every fitted column against the authors' VGG-8 table.
use pimzoo_compact::calibration::fit;

#[test]
fn per_layer_fit_residuals() {
    let fit = fit().expect("the calibration table determines every constant");
    println!("fitted constants: {:#?}", fit.circuit);
    println!(
        "{:<8} {:<26} {:>14} {:>14} {:>8}",
        "layer", "column", "table", "model", "error"
    );
    for r in &fit.residuals {
        println!(
            "{:<8} {:<26} {:>14.6e} {:>14.6e} {:>+7.1}%",
            r.layer,
            r.column,
            r.table,
            r.model,
            100.0 * r.relative()
        );
    }
}
