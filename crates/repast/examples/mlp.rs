//! K-FAC training of a small MLP on a synthetic task with the functional
//! RePAST solver in every preconditioning step, against exact K-FAC and
//! factors held at 16, 12 and 8 bits, in two damping regimes.
//!
//! `cargo run --release -p pimzoo-repast --example mlp`
use pimzoo_repast::kfac::{demo_inverters, demo_regimes, max_gap, train, Outcome};

fn main() {
    for cfg in demo_regimes() {
        println!(
            "\n#### MLP {:?}, {} train / {} test samples, full batch, lr {}, damping {} x mean diagonal, factor EMA {}, {} steps\n",
            cfg.widths, cfg.train, cfg.test, cfg.lr, cfg.damping, cfg.ema, cfg.steps
        );
        let runs: Vec<_> = demo_inverters()
            .into_iter()
            .map(|(name, inv)| {
                (
                    name,
                    train(&cfg, &inv).expect("the demo configuration is valid"),
                )
            })
            .collect();
        let exact = runs[0].1.loss.clone();
        let marks: Vec<usize> = (0..=cfg.steps).step_by(10).collect();
        let head: Vec<String> = marks.iter().map(|s| format!("loss @{s}")).collect();
        println!(
            "| inverter | {} | max gap to exact (x loss@0) | test acc. | outcome | solves | INV ops | max rho(P) | min bits vs A_q / vs A |",
            head.join(" | ")
        );
        println!(
            "|---|{}---|---|---|---|---|---|---|",
            "---|".repeat(marks.len())
        );
        for (name, log) in &runs {
            let cells: Vec<String> = marks
                .iter()
                .map(|&s| log.loss.get(s).map_or("-".into(), |v| format!("{v:.4}")))
                .collect();
            let outcome = match &log.outcome {
                Outcome::Completed => "completed".to_string(),
                Outcome::Diverged { step, reason } => format!("diverged at step {step}: {reason}"),
                Outcome::Refused { step, error } => format!("refused at step {step}: {error}"),
            };
            let done = log.outcome == Outcome::Completed;
            let repast = done && log.ops.inv > 0;
            println!(
                "| {name} | {} | {:.1e} | {} | {outcome} | {} | {} | {} | {} |",
                cells.join(" | "),
                max_gap(&log.loss, &exact),
                if done {
                    format!("{:.3}", log.test_accuracy)
                } else {
                    "-".into()
                },
                log.solves,
                if repast {
                    log.ops.inv.to_string()
                } else {
                    "-".into()
                },
                if repast {
                    format!("{:.2}", log.max_rho)
                } else {
                    "-".into()
                },
                if repast {
                    format!(
                        "{:.1} / {:.1}",
                        log.min_bits_reached, log.min_bits_vs_unquantized
                    )
                } else {
                    "-".into()
                },
            );
        }
    }
}
