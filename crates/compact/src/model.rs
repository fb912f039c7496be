//! The compact CIM chip as a pimzoo [`Accelerator`]: layer costs from
//! [`crate::circuit`], the mode's system equations (the authors' `main.cpp`
//! summary), off-chip traffic from [`crate::dram`], and the report.
use crate::calibration;
use crate::chip::Chip;
use crate::circuit::{Circuit, Context, Features, ReadEnergy, ReadLatency};
use crate::dram::{self, TrafficInput};
use crate::layers::{self, LayerShape};
use crate::mapping::LayerMap;
use crate::preset::{
    CellTechnology, Config, DramOverlap, Leakage, PipelineFill, WriteCharge, ZetaScope,
    SOURCED_FIELDS,
};
use crate::schedule::{Execution, Schedule};
use crate::EXPLANATION;
use pimzoo_core::units::{Joules, Seconds, SquareMm};
use pimzoo_core::{
    component, Accelerator, ArchInfo, EvalError, LatencyRule, LayerRow, NumberFormat, Report,
    Workload,
};
use pimzoo_ir::Phase;
use pimzoo_tech::crossbar::cell_write::CellWrite;
use pimzoo_tech::crossbar::htree::halved_bus_width;

/// Energy components of this model that `pimzoo_core::component` does not name.
pub mod names {
    /// Adders, shift-and-add and accumulation units (sub-array to chip).
    pub const ACCUMULATION: &str = "accumulation";
    /// Decoders, multiplexers, switch matrices, activation and pooling units.
    pub const PERIPHERY: &str = "periphery";
    /// NeuroSim's validation factor: `(zeta - 1)` times the energy it scales.
    pub const ZETA: &str = "neurosim-zeta";
}

/// One preset of the compact chip.
pub struct CompactChip {
    config: Config,
    chip: Chip,
    circuit: Circuit,
    cell_write: CellWrite,
    area: SquareMm,
}

impl CompactChip {
    pub fn new(config: Config) -> Result<CompactChip, String> {
        let origin = format!("preset `{}`", config.id);
        if !config.id.starts_with("compact/") {
            return Err(format!("{origin}: the id must start with `compact/`"));
        }
        for field in SOURCED_FIELDS {
            if config
                .sources
                .get(field)
                .is_none_or(|s| s.trim().is_empty())
            {
                return Err(format!(
                    "{origin}: `sources` must name the source of `{field}`"
                ));
            }
        }
        let chip = Chip::new(config.chip.clone()).map_err(|e| format!("{origin}: {e}"))?;
        config
            .dram
            .validate()
            .map_err(|e| format!("{origin}: {e}"))?;
        if config.dram_activation_bits == 0 || config.dram_activation_bits > 64 {
            return Err(format!(
                "{origin}: `dram_activation_bits` must be 1 to 64, not {}",
                config.dram_activation_bits
            ));
        }
        if !(config.zeta.is_finite() && config.zeta >= 1.0) {
            return Err(format!(
                "{origin}: `zeta` must be at least 1 (it only ever raises energy), not {}",
                config.zeta
            ));
        }
        let fit = calibration::fitted().map_err(|e| format!("{origin}: {e}"))?;
        let mut circuit = fit.circuit.clone();
        // The conversion energy is fitted at the authors' 5 bits; another
        // resolution scales it as the SAR ADC table of pimzoo-tech does
        // (assumption: the multilevel sense amplifier scales alike).
        if config.chip.adc_bits != calibration::CALIBRATION_ADC_BITS {
            let energy = |bits: u32| {
                pimzoo_tech::crossbar::parts::adc(bits)
                    .map(|a| a.part.energy)
                    .map_err(|e| format!("{origin}: chip `adc_bits`: {e}"))
            };
            circuit.adc = circuit.adc
                * (energy(config.chip.adc_bits)? / energy(calibration::CALIBRATION_ADC_BITS)?);
        }
        let cell_write = match &config.cell {
            CellTechnology::Sram => {
                if config.chip.subarray.cell_bits != 1 {
                    return Err(format!(
                        "{origin}: SRAM cells hold one bit (NeuroSim forces cellBit = 1), not {}",
                        config.chip.subarray.cell_bits
                    ));
                }
                CellWrite::Sram {
                    subarray_time: circuit.sram_subarray_write_time,
                    subarray_energy: circuit.sram_subarray_write_energy,
                }
            }
            CellTechnology::Rram {
                pulse_width,
                pulses_full_range,
                energy_per_pulse,
                mean_range_fraction,
            } => CellWrite::Rram {
                pulse_width: *pulse_width,
                pulses_full_range: *pulses_full_range,
                energy_per_pulse: *energy_per_pulse,
                mean_range_fraction: *mean_range_fraction,
            },
        };
        cell_write
            .validate()
            .map_err(|e| format!("{origin}: {e}"))?;
        // Tile area scales with the cells of a tile (the calibration tile has
        // 4x4 PEs of 4x4 128x128 sub-arrays).
        let calibration_cells = 2048.0 * 2048.0;
        let area = circuit.tile_area.total()
            * (chip.tiles as f64 * chip.tile_cells() as f64 / calibration_cells);
        Ok(CompactChip {
            config,
            chip,
            circuit,
            cell_write,
            area,
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn chip(&self) -> &Chip {
        &self.chip
    }

    /// Map, schedule and cost every weight layer of `w` (one image's read
    /// costs, one load's write costs). Used by [`Accelerator::evaluate`] and
    /// by tests and benchmarks that look inside.
    pub fn plan(&self, w: &Workload) -> Result<Plan, EvalError> {
        if w.task.is_training() {
            return Err(EvalError::unsupported(
                "inference only: the chip's weights are written once per group load and the \
                 authors' simulator has no backward pass or weight update",
            ));
        }
        let native = self.config.chip.operands;
        for (what, f, bits) in [
            ("activations", w.precision.activations, native.input_bits),
            ("weights", w.precision.weights, native.weight_bits),
        ] {
            if let NumberFormat::Fixed(n) = f {
                if n as u32 > bits {
                    return Err(EvalError::unsupported(format!(
                        "{what} in {f}: the chip computes with {bits}-bit {what}"
                    )));
                }
            }
        }
        let layers = layers::weight_layers(&w.network)?;
        let opts = &self.config.options;
        let maps: Vec<LayerMap> = layers
            .iter()
            .map(|l| LayerMap::new(&self.chip, l, opts.split))
            .collect();
        let cfg = &self.config.chip;
        let schedule = Schedule::new(
            self.config.mode,
            &layers,
            &maps,
            self.chip.tiles,
            (cfg.tiles.0 as u64, cfg.tiles.1 as u64),
            (self.chip.tile_rows, self.chip.tile_cols),
            opts.duplication_loop,
        );
        let ctx = context(&self.chip, &layers, &maps, &schedule);
        let costs = layers
            .iter()
            .zip(&maps)
            .zip(&schedule.tile_dup)
            .map(|((l, m), &td)| self.layer_cost(&ctx, l, m, td))
            .collect();
        Ok(Plan {
            layers,
            maps,
            schedule,
            costs,
        })
    }

    fn layer_cost(&self, ctx: &Context, layer: &LayerShape, map: &LayerMap, td: u64) -> LayerCost {
        let tiles_used = map.part_tiles(&self.chip) * td;
        let f = Features::new(&self.chip, ctx, layer, map, td, tiles_used);
        let parts = map.part_count() as f64;
        let write = self.cell_write.matrix(
            map.rows,
            map.cols,
            self.chip.subarray_rows,
            self.chip.subarray_cols,
        );
        let copies = (map.subarray_dup * map.pe_dup * td) as f64;
        LayerCost {
            read: self.circuit.latency(&f).scaled(parts),
            energy: self.circuit.energy(&f).scaled(parts),
            write_time: write.time,
            write_energy: write.energy * copies,
            tiles_used,
        }
    }
}

/// Every weight layer mapped, scheduled and costed.
#[derive(Clone, Debug)]
pub struct Plan {
    pub layers: Vec<LayerShape>,
    pub maps: Vec<LayerMap>,
    pub schedule: Schedule,
    pub costs: Vec<LayerCost>,
}

/// One layer's costs: read per image, write per load.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerCost {
    pub read: ReadLatency,
    pub energy: ReadEnergy,
    pub write_time: Seconds,
    pub write_energy: Joules,
    pub tiles_used: u64,
}

/// The chip-wide quantities of a schedule: NeuroSim sizes the chip bus from
/// the layers it serves and the global buffer from the largest layer input.
pub(crate) fn context(
    chip: &Chip,
    layers: &[LayerShape],
    maps: &[LayerMap],
    schedule: &Schedule,
) -> Context {
    let cfg = &chip.config;
    let full = schedule.execution == Execution::FullPipeline;
    let requested = if full {
        maps.iter()
            .zip(&schedule.tile_dup)
            .map(|(m, td)| chip.bus_request_bits * (m.part_tiles(chip) * td) as f64)
            .sum()
    } else {
        chip.bus_request_bits * layers.len() as f64
    };
    let bus_width = halved_bus_width(requested, cfg.max_global_bus_bits as f64);
    // NeuroSim's global buffer holds the largest layer input, `H W Cin` at the
    // input precision (half the sum of all of them in the full pipeline).
    let elements = |l: &LayerShape| (l.vectors() * l.in_channels) as f64;
    let held = if full {
        layers.iter().map(elements).sum::<f64>() / 2.0
    } else {
        layers.iter().map(elements).fold(0.0, f64::max)
    };
    let core_bits = cfg.global_buffer_core.0 as f64 * cfg.global_buffer_core.1 as f64;
    let cores = (held * cfg.operands.input_bits as f64 / core_bits)
        .ceil()
        .max(1.0);
    let ports = (bus_width / cfg.global_buffer_core.1 as f64)
        .ceil()
        .max(1.0);
    Context {
        bus_width,
        buffer_parallel: cores.min(ports),
    }
}

impl Accelerator for CompactChip {
    fn id(&self) -> &str {
        &self.config.id
    }

    fn info(&self) -> ArchInfo {
        let c = &self.config;
        let chip = &self.chip;
        let cell = match c.cell {
            CellTechnology::Sram => "SRAM",
            CellTechnology::Rram { .. } => "RRAM",
        };
        let mut parameters: Vec<(String, String, String)> = Vec::new();
        let source = |f: &str| c.sources.get(f).cloned().unwrap_or_default();
        let cfg = &c.chip;
        parameters.push((
            "chip".into(),
            format!(
                "{}x{} tiles of {}x{} PEs of {}x{} sub-arrays of {}x{} {}-bit cells; {} columns per \
                 {}-bit sense amplifier; {}-bit inputs (bit-serial), {}-bit weights",
                cfg.tiles.0,
                cfg.tiles.1,
                cfg.pes_per_tile.0,
                cfg.pes_per_tile.1,
                cfg.subarrays_per_pe.0,
                cfg.subarrays_per_pe.1,
                cfg.subarray.rows,
                cfg.subarray.columns,
                cfg.subarray.cell_bits,
                cfg.columns_per_adc,
                cfg.adc_bits,
                cfg.operands.input_bits,
                cfg.operands.weight_bits
            ),
            source("chip"),
        ));
        parameters.push(("cell".into(), format!("{:?}", c.cell), source("cell")));
        parameters.push(("mode".into(), format!("{:?}", c.mode), source("mode")));
        parameters.push((
            "dram".into(),
            format!(
                "{:.3} GB/s, {}-bit transactions, {:.3} pJ per bit",
                c.dram.bandwidth.value() / 1e9,
                c.dram.transaction_bits,
                c.dram.energy_per_bit.value() * 1e12
            ),
            source("dram"),
        ));
        parameters.push((
            "dram_activation_bits".into(),
            c.dram_activation_bits.to_string(),
            source("dram_activation_bits"),
        ));
        parameters.push(("zeta".into(), c.zeta.to_string(), source("zeta")));
        parameters.push((
            "options".into(),
            format!("{:?}", c.options),
            source("options"),
        ));
        let fitted = "fitted once to the authors' VGG-8 per-layer table \
                      (PPP_VGG8_4_4_4_4_4_4_128_128, calibration.rs)";
        let k = &self.circuit;
        for (name, value) in [
            ("read step", k.read_step.to_string()),
            ("activation cycle", k.activation_cycle.to_string()),
            ("pooling cycle", k.pool_cycle.to_string()),
            (
                "tile accumulation per vector",
                k.tile_accumulation.to_string(),
            ),
            (
                "global accumulation per op",
                k.global_accumulation.to_string(),
            ),
            ("tile input buffer per bit", k.tile_buffer_in.to_string()),
            ("tile output buffer per bit", k.tile_buffer_out.to_string()),
            (
                "global buffer per bit and core",
                k.global_buffer.to_string(),
            ),
            (
                "chip H-tree per transfer and tile pitch",
                k.chip_htree.to_string(),
            ),
            (
                "tile H-tree per transfer and PE pitch",
                k.tile_htree.to_string(),
            ),
            ("ADC energy per conversion", k.adc.to_string()),
            (
                "accumulation energy per conversion",
                k.accumulation.to_string(),
            ),
            ("periphery energy per conversion", k.periphery.to_string()),
            (
                "chip wire energy per bit and pitch",
                k.chip_wire.to_string(),
            ),
            (
                "tile wire energy per bit and pitch",
                k.tile_wire.to_string(),
            ),
            (
                "tile buffer energy per bit",
                k.tile_buffer_energy.to_string(),
            ),
            (
                "global buffer energy per bit",
                k.global_buffer_energy.to_string(),
            ),
            ("tile leakage in use", k.tile_in_use.to_string()),
            ("tile leakage idle", k.tile_idle.to_string()),
            (
                "SRAM sub-array write time",
                k.sram_subarray_write_time.to_string(),
            ),
            (
                "SRAM sub-array write energy",
                k.sram_subarray_write_energy.to_string(),
            ),
            ("tile area", k.tile_area.total().to_string()),
        ] {
            parameters.push((name.to_string(), value, fitted.to_string()));
        }
        let peak_macs_per_s = (chip.subarrays() * chip.subarray_rows * chip.subarray_cols
            / chip.columns_per_weight) as f64
            / (chip.steps_per_vector() as f64 * self.circuit.read_step.value());
        ArchInfo {
            family: "compact".into(),
            name: c.name.clone(),
            technology: format!(
                "{cell} compute-in-memory, 22 nm (NeuroSim), LPDDR5 off-chip weight reloads"
            ),
            source: c.source.clone(),
            area: Some(self.area),
            peak_ops_per_s: Some(2.0 * peak_macs_per_s),
            supports: "inference of conv and fully connected networks (CNNs, MLPs) at any batch; \
                       no training, attention MatMul, LSTM or embedding"
                .into(),
            explanation: EXPLANATION.to_string(),
            parameters,
            figures: vec![
                ("tiles".into(), chip.tiles as f64),
                ("subarrays".into(), chip.subarrays() as f64),
                ("weight_capacity".into(), chip.weight_capacity() as f64),
                ("chip_htree_pitches".into(), chip.chip_htree_pitches),
                (
                    "tile_area_mm2".into(),
                    self.area.value() / chip.tiles as f64,
                ),
            ],
        }
    }

    fn evaluate(&self, w: &Workload) -> Result<Report, EvalError> {
        let _span =
            tracing::debug_span!("compact", id = %self.config.id, network = %w.network.name())
                .entered();
        let plan = self.plan(w)?;
        let c = &self.config;
        let opts = &c.options;
        let batch = w.batch.max(1);
        let b = batch as f64;
        let n = plan.layers.len();
        let exec = plan.schedule.execution;
        let read: Vec<Seconds> = plan.costs.iter().map(|k| k.read.total()).collect();

        // Stage time of each group (its slowest layer) in the pipelines.
        let stage: Vec<Seconds> = plan
            .schedule
            .groups
            .iter()
            .map(|g| {
                read[g.clone()]
                    .iter()
                    .copied()
                    .fold(Seconds::ZERO, Seconds::max)
            })
            .collect();
        let per_image = if exec.is_pipeline() {
            stage.iter().copied().sum()
        } else {
            read.iter().copied().sum::<Seconds>()
        };
        let fill: Seconds = if exec.is_pipeline() && opts.pipeline_fill == PipelineFill::Counted {
            plan.schedule
                .groups
                .iter()
                .zip(&stage)
                .map(|(g, s)| read[g.clone()].iter().copied().sum::<Seconds>() - *s)
                .sum()
        } else {
            Seconds::ZERO
        };
        // How many times the weights are written in one batch: every image in
        // LP (by design), else once per load, or every image as the authors do.
        let writes = match (exec, opts.write_charge) {
            (Execution::LayerByLayer, _) | (_, WriteCharge::PerImage) => b,
            (_, WriteCharge::PerLoad) => 1.0,
        };

        let traffic = dram::traffic(&TrafficInput {
            network: &w.network,
            layers: &plan.layers,
            maps: &plan.maps,
            schedule: &plan.schedule,
            options: opts,
            batch,
            input_bits: c.chip.operands.input_bits as u64,
            activation_bits: c.dram_activation_bits as u64,
            weight_bits: c.chip.operands.weight_bits as u64,
            transaction_bits: c.dram.transaction_bits as u64,
        })?;
        // Summed per layer, so the rows add up to it exactly.
        let dram_time: Seconds = traffic
            .per_layer
            .iter()
            .map(|&bits| c.dram.time_for_bits(bits))
            .sum();
        let write_time: Seconds = plan.costs.iter().map(|k| k.write_time).sum::<Seconds>() * writes;
        let on_chip = per_image * b + fill + write_time;
        let latency = match opts.dram_overlap {
            DramOverlap::Serial => on_chip + dram_time,
            DramOverlap::DoubleBuffered => on_chip.max(dram_time),
        };

        // Leakage energy of each layer for the batch.
        let leak = self.leakage(&plan, &read, &stage, b, latency);

        let mut report = Report::new(w);
        report.area = Some(self.area);
        let zeta_extra = c.zeta - 1.0;
        let mut raw_total = Joules::ZERO;
        let mut dram_total = Joules::ZERO;
        let mut rows: Vec<(Seconds, Joules)> = Vec::with_capacity(n);
        for i in 0..n {
            let k = &plan.costs[i];
            let e = k.energy.scaled(b);
            let write = k.write_energy * writes;
            let dram_e = c.dram.energy_per_bit * traffic.per_layer[i] as f64;
            let on_chip_e = e.total() + write + leak[i];
            let scoped = match opts.zeta_scope {
                ZetaScope::AllEnergy => on_chip_e + dram_e,
                ZetaScope::OnChip => on_chip_e,
            };
            let zeta = scoped * zeta_extra;
            report.add_energy(component::ADC, e.adc);
            report.add_energy(names::ACCUMULATION, e.accumulation);
            report.add_energy(names::PERIPHERY, e.periphery);
            report.add_energy(component::INTERCONNECT, e.interconnect);
            report.add_energy(component::BUFFER, e.buffer);
            report.add_energy(component::WRITE, write);
            report.add_energy(component::LEAKAGE, leak[i]);
            report.add_energy(component::DRAM, dram_e);
            if zeta_extra > 0.0 {
                report.add_energy(names::ZETA, zeta);
            }
            raw_total += on_chip_e + dram_e;
            dram_total += dram_e;
            let lat =
                read[i] * b + k.write_time * writes + c.dram.time_for_bits(traffic.per_layer[i]);
            rows.push((lat, on_chip_e + dram_e + zeta));
        }
        // Pipelined groups overlap their layers; with double buffering the
        // rows become each layer's share of the batch time.
        let row_sum: Seconds = rows.iter().map(|r| r.0).sum();
        let scale_rows = opts.dram_overlap == DramOverlap::DoubleBuffered;
        if exec.is_pipeline() && !scale_rows {
            report.latency_rule = LatencyRule::Overlapped(
                "partial/full pipeline: within a group the layers work at once on different \
                 images, so a group takes batch x its slowest layer; groups, weight writes and \
                 DRAM transfers follow one another"
                    .into(),
            );
        }
        for (i, (lat, energy)) in rows.into_iter().enumerate() {
            let lat = if scale_rows && row_sum.value() > 0.0 {
                latency * (lat / row_sum)
            } else {
                lat
            };
            let bound = if traffic.per_layer[i] as f64 / c.dram.bandwidth.value() / 8.0
                > (read[i] * b).value()
            {
                "dram"
            } else if plan.costs[i].read.interconnect > plan.costs[i].read.compute {
                "interconnect"
            } else {
                "compute"
            };
            report.push_layer(LayerRow {
                layer: plan.layers[i].name.clone(),
                phase: Phase::Forward,
                latency: lat,
                energy,
                bound: Some(bound.into()),
            });
        }
        report.latency = latency;

        let weight_write_time: Seconds = plan.costs.iter().map(|k| k.write_time).sum();
        let weight_write_energy: Joules = plan.costs.iter().map(|k| k.write_energy).sum();
        report.set_metric("dram_bits", traffic.total() as f64);
        report.set_metric("dram_weight_bits", traffic.weights as f64);
        report.set_metric("dram_latency_s", dram_time.value());
        report.set_metric(
            "dram_energy_share",
            if raw_total.value() > 0.0 {
                dram_total / raw_total
            } else {
                0.0
            },
        );
        report.set_metric("groups", plan.schedule.groups.len() as f64);
        if traffic.counter_overflows > 0 {
            report.set_metric("counter_overflows", traffic.counter_overflows as f64);
        }
        report.set_metric("chip_read_latency_per_sample_s", per_image.value());
        report.set_metric("weight_write_latency_s", weight_write_time.value());
        report.set_metric("weight_write_energy_j", weight_write_energy.value());
        report.set_metric(
            "duplicated_layers",
            plan.schedule.tile_dup.iter().filter(|&&d| d > 1).count() as f64,
        );
        report.set_metric(
            "split_layers",
            plan.maps.iter().filter(|m| m.is_split()).count() as f64,
        );
        Ok(report)
    }
}

impl CompactChip {
    /// Leakage energy per layer for the whole batch.
    fn leakage(
        &self,
        plan: &Plan,
        read: &[Seconds],
        stage: &[Seconds],
        b: f64,
        latency: Seconds,
    ) -> Vec<Joules> {
        let k = &self.circuit;
        let n = plan.layers.len();
        let tiles: Vec<f64> = plan.costs.iter().map(|c| c.tiles_used as f64).collect();
        let mut out = vec![Joules::ZERO; n];
        match self.config.options.leakage {
            Leakage::Authors => match plan.schedule.execution {
                Execution::FullPipeline | Execution::PartialPipeline => {
                    for (g, s) in plan.schedule.groups.iter().zip(stage) {
                        let mut running = Seconds::ZERO;
                        for i in g.clone() {
                            running = running.max(read[i]);
                            if running.value() <= 0.0 {
                                continue;
                            }
                            let power = (k.tile_idle * (running - read[i]).value()
                                + k.tile_in_use * read[i].value())
                                * (tiles[i] / running.value());
                            out[i] = power * *s * b;
                        }
                    }
                }
                Execution::Raw => {
                    // The authors' records are cumulative prefixes of the
                    // layers, so the idle tiles of the layers after `i` are
                    // counted once for every group that ends after `i`.
                    for i in 0..n {
                        let other: f64 = plan
                            .schedule
                            .groups
                            .iter()
                            .filter(|g| g.end > i)
                            .map(|g| tiles[i + 1..g.end].iter().sum::<f64>())
                            .sum();
                        let power = k.tile_idle * other + k.tile_in_use * tiles[i];
                        out[i] = power * read[i] * b;
                    }
                }
                Execution::LayerByLayer => {
                    for i in 0..n {
                        out[i] = k.tile_in_use * tiles[i] * read[i] * b;
                    }
                }
            },
            Leakage::WholeChip => {
                // Every tile idles for the whole batch; computing tiles add
                // their arrays' in-use leakage. The idle part is shared out by
                // each layer's busy time.
                let idle = k.tile_idle * self.chip.tiles as f64 * latency;
                let busy: Vec<f64> = read.iter().map(|r| r.value() * b).collect();
                let total_busy: f64 = busy.iter().sum();
                for i in 0..n {
                    let share = if total_busy > 0.0 {
                        busy[i] / total_busy
                    } else {
                        1.0 / n as f64
                    };
                    out[i] = idle * share + k.tile_in_use * tiles[i] * read[i] * b;
                }
            }
        }
        out
    }
}
