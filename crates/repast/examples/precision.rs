//! Prints the precision study of docs/models/repast.md: bits of relative
//! accuracy against INV/VMM operations on damped K-FAC factors, then the
//! large-factor mappings and the non-idealities.
//!
//! `cargo run --release -p pimzoo-repast --example precision`
use ndarray::Array1;
use pimzoo_repast::kfac::gaussian;
use pimzoo_repast::study::{case_factor, markdown, run, StudyConfig};
use pimzoo_repast::{Form, HpSolver, LargeFactor, NonIdeal, SolverConfig, Stop};
use rand::SeedableRng;

fn main() {
    let cfg = StudyConfig::full();
    println!("#### Precision study\n");
    println!(
        "Damped K-FAC factors E[a a^T] of ReLU activations ({}n samples), one Gaussian right-hand side; \
         s_b = 2 input slices of 8 bits, 8-bit ADC; terms K after the first solve, up to {}.\n",
        cfg.samples_per_n, cfg.max_terms
    );
    print!("{}", markdown(&run(&cfg), cfg.max_terms));

    println!(
        "\n#### Large factors (256x256 crossbars, refine form, 3 output cycles, 16-bit target)\n"
    );
    println!("| n | damping | mapping | loops x crossbars | rho(P) | bits vs A_16 | bits vs A | INV ops (critical path) |");
    println!("|---|---|---|---|---|---|---|---|");
    for (n, d) in [(512, 0.3), (1024, 1.0)] {
        let a = case_factor(n, d, cfg.samples_per_n);
        let b = rhs(n);
        for mapping in [LargeFactor::Joined, LargeFactor::BlockDiagonal] {
            let sc = SolverConfig {
                large_factor: mapping,
                stop: Stop::Bits {
                    bits: 16.0,
                    max_terms: 40,
                },
                ..SolverConfig::sixteen_bit(Form::Refine)
            };
            match HpSolver::program(&a, &sc).and_then(|s| s.solve(&b).map(|x| (s, x))) {
                Ok((s, x)) => {
                    let dg = s.diagnostics();
                    println!(
                        "| {n} | {d} | {mapping:?} | {} x {} | {:.2} | {:.1} | {:.1} | {} ({}) |",
                        dg.loops,
                        dg.crossbars_per_loop,
                        dg.rho_p,
                        x.bits_reached,
                        x.bits_vs_unquantized.unwrap_or(f64::NAN),
                        x.ops.inv,
                        x.serial_ops.inv
                    );
                }
                Err(e) => println!("| {n} | {d} | {mapping:?} | | | refused: {e} | | |"),
            }
        }
    }

    println!("\n#### Non-idealities (n = 256, damping 0.3, 12 terms)\n");
    println!("| INV cell error sigma (levels) | op-amp gain | Taylor c_x=1 | Taylor c_x=3 | refine c_x=1 | refine c_x=3 |");
    println!("|---|---|---|---|---|---|");
    let a = case_factor(256, 0.3, cfg.samples_per_n);
    let b = rhs(256);
    for (sigma, gain) in [
        (0.0, None),
        (0.1, None),
        (0.25, None),
        (0.0, Some(1e4)),
        (0.25, Some(1e4)),
    ] {
        let mut row = format!(
            "| {sigma} | {} |",
            gain.map_or("ideal".to_string(), |g: f64| format!("{g:.0e}"))
        );
        for (form, cycles) in [
            (Form::Taylor, 1),
            (Form::Taylor, 3),
            (Form::Refine, 1),
            (Form::Refine, 3),
        ] {
            let sc = SolverConfig {
                form,
                output_cycles: cycles,
                stop: Stop::Terms(12),
                non_ideal: NonIdeal {
                    conductance_sigma: sigma,
                    opamp_gain: gain,
                    seed: 1,
                },
                ..SolverConfig::default()
            };
            let cell = match HpSolver::program(&a, &sc).and_then(|s| s.solve(&b)) {
                Ok(x) => format!(" {:.1} |", x.bits_reached),
                Err(e) => format!(" refused: {e} |"),
            };
            row.push_str(&cell);
        }
        println!("{row}");
    }
}

fn rhs(n: usize) -> Array1<f64> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    gaussian(n, 1, &mut rng).column(0).to_owned()
}
