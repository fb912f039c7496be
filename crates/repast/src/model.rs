//! The accelerator: a ReRAM training chip in PipeLayer's dataflow, with or
//! without RePAST's second-order engine.
use crate::arrays::Arrays;
use crate::ledger::Ledger;
use crate::pipeline::{first_order, stages, FirstOrder, Row, WriteModel};
use crate::preset::{Config, Preconditioning, Reading, SOURCED_FIELDS, SOURCED_SECOND_ORDER};
use crate::second_order::{second_order, Engine, SecondOrderCost};
use crate::training::{self, Baselines};
use pimzoo_core::units::{engineering, Joules, Seconds};
use pimzoo_core::{
    Accelerator, ArchInfo, EvalError, LatencyRule, LayerRow, NumberFormat, Optimizer, Report,
    Workload,
};
use pimzoo_ir::dataset::{dataset_of, DATASETS};

/// The model of one preset.
pub struct Trainer {
    config: Config,
    arrays: Arrays,
    writes: WriteModel,
    engine: Option<Engine>,
    baselines: Option<Baselines>,
}

impl Trainer {
    pub fn new(config: Config) -> Result<Trainer, String> {
        let at = |m: String| format!("repast preset `{}`: {m}", config.id);
        if !config.id.starts_with("repast/") || config.id.len() <= 7 {
            return Err(at(format!(
                "`id` must be `repast/<name>`, found `{}`",
                config.id
            )));
        }
        let mut required: Vec<&str> = SOURCED_FIELDS.to_vec();
        if config.second_order.is_some() {
            required.extend(SOURCED_SECOND_ORDER);
        }
        for f in required {
            if config.sources.get(f).is_none_or(|s| s.trim().is_empty()) {
                return Err(at(format!("`sources` must name the source of `{f}`")));
            }
        }
        if config.steps_per_cycle == 0 {
            return Err(at("`steps_per_cycle` must be at least 1".into()));
        }
        let dig = config.digital_op_energy.value();
        if !(dig.is_finite() && dig >= 0.0) {
            return Err(at(format!(
                "`digital_op_energy` must be zero or positive, found {dig}"
            )));
        }
        training::validate(&config.training).map_err(at)?;
        let arrays = Arrays::new(&config).map_err(at)?;
        let writes = WriteModel::new(&config).map_err(at)?;
        let engine = match &config.second_order {
            Some(so) => Some(Engine::new(so, &arrays).map_err(at)?),
            None => None,
        };
        let baselines = match &config.training.compare {
            Some(c) => {
                let base = crate::preset::builtin(&c.reram_first_order)
                    .map_err(|e| at(format!("`training.compare.reram_first_order`: {e}")))?;
                if base.second_order.is_some() || base.training.compare.is_some() {
                    return Err(at(format!(
                        "`training.compare.reram_first_order`: `{}` must be a first-order design \
                         without comparisons of its own",
                        base.id
                    )));
                }
                let reram = Box::new(Trainer::new(base).map_err(at)?);
                Some(Baselines::new(c, reram).map_err(at)?)
            }
            None => None,
        };
        Ok(Trainer {
            config,
            arrays,
            writes,
            engine,
            baselines,
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Named architecture-level figures (see `ArchInfo::figures`).
    pub fn figures(&self) -> Vec<(String, f64)> {
        let f = |n: &str, v: f64| (n.to_string(), v);
        let mut out = vec![
            f("array_eval_s", self.eval_time()),
            f("cells_written_at_once", self.writes.parallel_cells),
            f("cell_write_energy_j", self.writes.cell_energy),
            f("steps_per_cycle", self.config.steps_per_cycle as f64),
        ];
        if let Some(e) = &self.engine {
            out.extend([
                f("vmm_per_inv", e.config.vmm_per_inv as f64),
                f("terms_per_solve", e.terms as f64),
                f("inv_ops_per_solve", e.ops.inv as f64),
                f("vmm_ah_ops_per_solve", e.ops.vmm_ah as f64),
                f("vmm_al_ops_per_solve", e.ops.vmm_al as f64),
                f("inv_op_s", e.inv_time()),
                f("soi_vmm_op_s", e.vmm_time),
            ]);
            if let Some(r) = &e.representative {
                out.extend([
                    f("representative_rho_p", r.rho_p),
                    f("representative_lambda_min_over_fs", r.lambda_min_over_fs),
                    f("representative_bits_reached", r.bits_reached),
                ]);
            }
        }
        out
    }

    fn eval_time(&self) -> f64 {
        self.arrays
            .slicing(self.arrays.data_bits, self.arrays.data_bits)
            .map(|s| self.arrays.eval_time(&s))
            .unwrap_or(0.0)
    }

    fn parameters(&self) -> Vec<(String, String, String)> {
        let c = &self.config;
        let src = |f: &str| c.sources.get(f).cloned().unwrap_or_default();
        let a = &c.array;
        let mut out = vec![
            (
                "data_bits".to_string(),
                format!("{} bits (weights, activations, errors)", c.data_bits),
                src("data_bits"),
            ),
            (
                "steps_per_cycle".into(),
                format!("{} evaluations per stage and cycle", c.steps_per_cycle),
                src("steps_per_cycle"),
            ),
            (
                "array".into(),
                format!(
                    "{}x{}, {}-bit cells, {}-bit inputs per cycle, {:?} weights",
                    a.rows, a.columns, a.cell_bits, a.dac_bits, a.signed_weights
                ),
                src("array"),
            ),
            ("reading".into(), describe_reading(&c.reading), src("reading")),
            (
                "writes".into(),
                format!(
                    "{} pulse, {} per {}-cell row, {} for writes ({:.0} cells at once), {} per memory row read",
                    c.writes.pulse,
                    c.writes.row_energy,
                    c.writes.row_cells,
                    c.writes.power,
                    self.writes.parallel_cells,
                    c.writes.read_row_energy
                ),
                src("writes"),
            ),
            (
                "digital_op_energy".into(),
                c.digital_op_energy.to_string(),
                src("digital_op_energy"),
            ),
        ];
        if let Some(so) = &c.second_order {
            let e = self.engine.as_ref();
            let s = &so.solver;
            out.push((
                "second_order".into(),
                format!(
                    "{}-bit A as {} + {} bits, {}-bit DAC x {} input slices, {}-bit ADC, {} output \
                     cycles, {:?} form, stop {:?}, {} crossbars, {:?} large factors; {} terms per \
                     solve ({} INV, {} VMM(A_H), {} VMM(A_L)); {} VMM arrays per INV array; INV op \
                     {}; {:?} preconditioning, {:?} parallelism",
                    s.a_bits,
                    s.inv_cell_bits,
                    s.a_bits - s.inv_cell_bits,
                    s.dac_bits,
                    s.input_slices,
                    s.adc_bits,
                    s.output_cycles,
                    s.form,
                    s.stop,
                    s.crossbar_size,
                    s.large_factor,
                    e.map_or(0, |e| e.terms),
                    e.map_or(0, |e| e.ops.inv),
                    e.map_or(0, |e| e.ops.vmm_ah),
                    e.map_or(0, |e| e.ops.vmm_al),
                    so.vmm_per_inv,
                    so.inv_settle,
                    so.preconditioning,
                    so.parallelism
                ),
                src("second_order"),
            ));
        }
        for e in &c.training.epoch_reduction {
            out.push((
                format!("epoch_reduction[{}]", e.networks.join(", ")),
                format!("{}x fewer epochs with K-FAC", e.factor),
                e.source.clone(),
            ));
        }
        if let Some(cmp) = &c.training.compare {
            out.push((
                "training.compare".into(),
                format!(
                    "{} and {} training with {}",
                    cmp.reram_first_order, cmp.gpu, cmp.first_order
                ),
                src("training"),
            ));
        }
        for d in DATASETS {
            out.push((
                format!("dataset[{}]", d.name),
                format!("{} samples per epoch", d.samples),
                d.source.to_string(),
            ));
        }
        out
    }
}

fn describe_reading(r: &Reading) -> String {
    match r {
        Reading::Spikes {
            slot,
            row_spike_energy,
            ones_fraction,
            conversion_energy,
        } => format!(
            "spike-coded inputs, one {slot} slot per bit, {row_spike_energy} per row spike, \
             {ones_fraction} of the bits 1; integrate-and-fire outputs, {conversion_energy} per conversion"
        ),
        Reading::Converters { cycle, node_nm } => format!(
            "DAC inputs and ADC outputs, one {cycle} cycle per input slice, ISAAC parts at {node_nm} nm"
        ),
    }
}

impl Accelerator for Trainer {
    fn id(&self) -> &str {
        &self.config.id
    }

    fn info(&self) -> ArchInfo {
        let c = &self.config;
        ArchInfo {
            family: "repast".into(),
            name: c.name.clone(),
            technology: match (&c.reading, &c.second_order) {
                (_, Some(_)) => {
                    "ReRAM VMM crossbars and analog INV crossbars (op-amp loops)".into()
                }
                (Reading::Spikes { .. }, None) => {
                    "ReRAM crossbars, spike-coded inputs, integrate-and-fire outputs".into()
                }
                (Reading::Converters { .. }, None) => "ReRAM crossbars, DAC/ADC".into(),
            },
            source: c.source.clone(),
            area: None,
            peak_ops_per_s: None,
            supports: match c.second_order {
                Some(_) => "training with SGD, momentum, Adam and K-FAC (second order); inference",
                None => "training with SGD, momentum and Adam (first order); inference",
            }
            .into(),
            explanation: crate::EXPLANATION.to_string(),
            parameters: self.parameters(),
            figures: self.figures(),
        }
    }

    fn evaluate(&self, w: &Workload) -> Result<Report, EvalError> {
        let c = &self.config;
        let _span =
            tracing::debug_span!("repast", id = %c.id, network = %w.network.name()).entered();
        if w.batch == 0 {
            return Err(EvalError::Config {
                message: "the batch must be at least 1".into(),
            });
        }
        for (what, f) in [
            ("weights", w.precision.weights),
            ("activations", w.precision.activations),
            ("gradients", w.precision.gradients),
        ] {
            if let NumberFormat::Fixed(bits) = f {
                if bits as u32 > c.data_bits {
                    return Err(EvalError::unsupported(format!(
                        "{what} in {f}: this design computes with {}-bit fixed point",
                        c.data_bits
                    )));
                }
            }
        }
        let kfac = match w.task.optimizer() {
            Some(Optimizer::Kfac {
                factor_interval,
                inversion_interval,
                ..
            }) => {
                let Some(engine) = &self.engine else {
                    return Err(EvalError::unsupported(format!(
                        "{} trains with first-order optimizers only (its update is a plain \
                         weight write, PipeLayer §4.4.2); K-FAC needs RePAST's INV crossbars. \
                         Its first-order figures for the paper's comparison are repast/repast's \
                         vs_reram_1st_* metrics",
                        c.id
                    )));
                };
                if *factor_interval == 0 || *inversion_interval == 0 {
                    return Err(EvalError::Config {
                        message:
                            "K-FAC's factor_interval and inversion_interval must be at least 1"
                                .into(),
                    });
                }
                Some((engine, *factor_interval as f64, *inversion_interval as f64))
            }
            _ => None,
        };
        let stages = stages(&self.arrays, c.steps_per_cycle, w)?;
        let first: FirstOrder = first_order(c, &self.arrays, &self.writes, &stages, w)?;
        let second: Option<SecondOrderCost> = match kfac {
            Some((engine, every_f, every_i)) => Some(second_order(
                engine,
                &self.arrays,
                &self.writes,
                &first,
                w,
                every_f,
                every_i,
            )?),
            None => None,
        };

        let mut report = Report::new(w);
        report.latency_rule = LatencyRule::Overlapped(
            "PipeLayer's inter-layer pipeline: the stages work at once, a batch takes (2L + B) \
             logical cycles of the slowest stage plus the update, then the second-order work"
                .into(),
        );
        let mut energy = Ledger::default();
        let mut push = |report: &mut Report, r: &Row| {
            energy.add_scaled(&r.energy, 1.0);
            report.push_layer(LayerRow {
                layer: r.name.clone(),
                phase: r.phase,
                latency: Seconds(r.latency),
                energy: Joules(r.energy.total()),
                bound: Some(r.bound.to_string()),
            });
        };
        for r in &first.rows {
            push(&mut report, r);
        }
        let mut latency = first.time;
        let mut cell_writes = first.cell_writes;
        if let Some(s) = &second {
            for r in &s.rows {
                push(&mut report, r);
            }
            latency += s.time;
            cell_writes += s.cell_writes;
        }
        report.latency = Seconds(latency);
        for (component, j) in energy.iter() {
            report.add_energy(component, Joules(j));
        }
        report.set_metric("logical_cycle_s", first.cycle);
        report.set_metric("pipeline_depth", first.depth as f64);
        report.set_metric("max_stage_steps", first.max_steps as f64);
        report.set_metric("update_s", first.update_time);
        report.set_metric("cell_writes", cell_writes);
        report.set_metric("weight_arrays", first.weight_arrays);
        if let Some(s) = &second {
            report.set_metric("second_order_s", s.time);
            report.set_metric("second_order_share", s.time / latency);
            report.set_metric("inversion_share", s.inversion_time / latency);
            report.set_metric("kfac_factor_s", s.factors.time);
            report.set_metric("kfac_factor_j", s.factors.energy.total());
            report.set_metric("kfac_inversion_s", s.inversion.time);
            report.set_metric("kfac_inversion_j", s.inversion.energy.total());
            report.set_metric("kfac_precondition_s", s.precondition.time);
            report.set_metric("kfac_precondition_j", s.precondition.energy.total());
            report.set_metric("solves_per_step", s.solves_per_step);
            report.set_metric("inv_arrays", s.inv_arrays);
            report.set_metric("vmm_arrays", s.vmm_arrays);
            report.set_metric("loop_copies", s.loop_copies);
            if let Some(e) = &self.engine {
                report.set_metric("terms_per_solve", e.terms as f64);
                report.set_metric("inv_ops_per_solve", e.ops.inv as f64);
                report.set_metric("vmm_ops_per_solve", e.ops.vmm() as f64);
                report.set_metric(
                    "explicit_inverse",
                    f64::from(u8::from(
                        e.config.preconditioning == Preconditioning::Inverse,
                    )),
                );
            }
        }
        if w.task.is_training() {
            if let Some(d) = dataset_of(w.network.name()) {
                let steps = d.steps_per_epoch(w.batch) as f64;
                report.set_metric("dataset_samples", d.samples as f64);
                report.set_metric("steps_per_epoch", steps);
                report.set_metric("epoch_s", steps * latency);
                report.set_metric("epoch_j", steps * report.energy().value());
                report.set_metric("epoch_cell_writes", steps * cell_writes);
            }
        }
        if let (Some(b), Some(_)) = (&self.baselines, &second) {
            let r = training::epoch_reduction(&c.training, w.network.name());
            let own_first = self.evaluate(&b.first_order_workload(w)).ok();
            b.compare(w, r, own_first.as_ref(), &mut report);
        }
        tracing::debug!(
            latency = %engineering(latency, "s"),
            energy = %report.energy(),
            "evaluated"
        );
        Ok(report)
    }
}
