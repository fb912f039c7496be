//! The precision study as a test (issue 8, item 2): the full grid of the
//! doc's table (damped K-FAC factors, n = 64 ... 512, four dampings), the
//! same one `cargo run --release -p pimzoo-repast --example precision`
//! prints.
//! Where rho(P) <= 0.3, three output cycles reach at least 16 bits against
//! the quantized A; where rho(P) >= 1 the solver refuses the factor.
use pimzoo_repast::study::{markdown, run, StudyConfig};
use pimzoo_repast::{Form, SolveError};

#[test]
fn precision_study() {
    let cfg = StudyConfig::full();
    let results = run(&cfg);
    let table = markdown(&results, cfg.max_terms);
    let mut low_rho = 0;
    let mut refused = 0;
    for c in &results {
        match (&c.conditions, &c.variants) {
            (Some((lambda, rho)), Ok(vs)) => {
                assert!(*lambda > 0.0 && *rho < 1.0);
                // The representation caps what training sees: 9-13 bits.
                assert!(
                    c.representation_bits > 9.0 && c.representation_bits < 14.0,
                    "{table}"
                );
                let get = |form, cycles| {
                    vs.iter()
                        .find(|v| v.variant.form == form && v.variant.output_cycles == cycles)
                        .unwrap()
                };
                let t2 = get(Form::Taylor, 2).best().unwrap().bits_reached;
                let t3 = get(Form::Taylor, 3).best().unwrap().bits_reached;
                let r3 = get(Form::Refine, 3).best().unwrap().bits_reached;
                if *rho <= 0.3 {
                    low_rho += 1;
                    assert!(
                        t3 >= 16.0,
                        "n={} d={}: Taylor c_x=3 {t3}\n{table}",
                        c.n,
                        c.damping
                    );
                    assert!(
                        r3 >= 16.0,
                        "n={} d={}: refine c_x=3 {r3}\n{table}",
                        c.n,
                        c.damping
                    );
                    // Two output cycles leave the Taylor form on a floor
                    // below three cycles' (it never corrects a term's
                    // rounding).
                    assert!(
                        t2 < t3 - 3.0,
                        "n={}: c_x=2 {t2} vs c_x=3 {t3}\n{table}",
                        c.n
                    );
                    assert!(get(Form::Taylor, 3).reach(16.0).is_some());
                }
                // Every variant climbs at about -log2(rho) bits per term
                // until its floor: term 3 beats term 0 by at least 2 terms'
                // worth.
                for v in vs {
                    let gain = v.trace[3].bits_reached - v.trace[0].bits_reached;
                    assert!(
                        gain > 2.0 * -rho.log2() * 0.8,
                        "{:?} gain {gain}\n{table}",
                        v.variant
                    );
                }
                // Against the unquantized A nothing beats the representation.
                for v in vs {
                    let b = v.best().unwrap();
                    let va = b.bits_vs_unquantized.unwrap();
                    assert!(va <= c.representation_bits + 0.5, "{table}");
                }
            }
            (None, Err(e)) => {
                refused += 1;
                assert!(
                    matches!(e, SolveError::Diverges { rho, .. } if *rho >= 1.0),
                    "{e}"
                );
            }
            _ => panic!("inconsistent case {c:?}"),
        }
    }
    assert!(low_rho >= 3, "{table}");
    assert!(refused >= 2, "{table}");
}
