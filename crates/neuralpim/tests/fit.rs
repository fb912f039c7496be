//! The two fitted values of the equal-area presets, each fitted once to one
//! published figure (docs/models/neuralpim.md, "Fitted values"). The tests
//! recompute the fit and check that the presets hold its result.
use pimzoo_core::units::SquareMm;
use pimzoo_neuralpim::preset::{self, Dataflow};
use pimzoo_neuralpim::NeuralPim;

fn figure(m: &NeuralPim, name: &str) -> f64 {
    m.figures()
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no figure {name}"))
}

/// The eDRAM-to-PE bus width: NP §7.1 derives it without printing it; fitted
/// to NP Table 2's chip area, 86.4 mm^2 (280 tiles, 63.5 mm^2, + HyperTransport).
#[test]
fn bus_wires_are_fitted_to_table2_chip_area() {
    let base = preset::builtin("neuralpim/neuralpim").unwrap();
    let area = |wires: u32| {
        let mut c = base.clone();
        c.tile.bus_wires = wires;
        NeuralPim::new(c).unwrap().chip_area().value()
    };
    let best = (1..=384)
        .min_by(|&a, &b| (area(a) - 86.4).abs().total_cmp(&(area(b) - 86.4).abs()))
        .unwrap();
    assert_eq!(
        base.tile.bus_wires, best,
        "refit: the closest width is {best}"
    );
    // The baselines share the tile infrastructure.
    for id in ["neuralpim/isaac", "neuralpim/cascade"] {
        assert_eq!(preset::builtin(id).unwrap().tile, base.tile, "{id}");
    }
}

/// CASCADE's analog front end (TIAs, summing amplifiers, buffer arrays) per
/// computing array: no area is published; fitted to NP Table 3's array
/// density of the CASCADE-style PE, 0.76 %.
#[test]
fn front_end_area_is_fitted_to_table3_density() {
    let base = preset::builtin("neuralpim/cascade").unwrap();
    let with = |a: f64| {
        let mut c = base.clone();
        if let Dataflow::AnalogBuffering {
            front_end_area_per_array,
            ..
        } = &mut c.dataflow
        {
            *front_end_area_per_array = SquareMm(a);
        }
        figure(&NeuralPim::new(c).unwrap(), "array_density")
    };
    // Density falls as the front end grows: bisect.
    let (mut lo, mut hi) = (0.0, 1e-2);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if with(mid) > 0.0076 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let Dataflow::AnalogBuffering {
        front_end_area_per_array,
        ..
    } = base.dataflow
    else {
        panic!("neuralpim/cascade is strategy B")
    };
    // The preset prints the fit to two significant digits.
    let rel = (front_end_area_per_array.value() - lo).abs() / lo;
    assert!(
        rel < 0.01,
        "refit: {lo:.4e} mm^2, preset {front_end_area_per_array}"
    );
    // cascade-published scales it to 64 bitlines and 65 nm.
    let published = preset::builtin("neuralpim/cascade-published").unwrap();
    let Dataflow::AnalogBuffering {
        front_end_area_per_array: p,
        ..
    } = published.dataflow
    else {
        panic!("cascade-published is strategy B")
    };
    let scaled = front_end_area_per_array.value() * 0.5 * (65.0f64 / 32.0).powi(2);
    assert!(
        (p.value() - scaled).abs() / scaled < 0.01,
        "{p} vs {scaled}"
    );
}
