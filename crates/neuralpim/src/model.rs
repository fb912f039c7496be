//! The cost model: a network mapped onto the arrays, replicated to balance
//! the inter-layer pipeline, and every action of every VMM counted.
use crate::chip::{Design, Strategy};
use crate::preset::Config;
use pimzoo_core::units::{engineering, Joules, Seconds, SquareMm};
use pimzoo_core::{
    component, Accelerator, ArchInfo, EvalError, LatencyRule, LayerRow, NumberFormat, Report,
    Workload,
};
use pimzoo_ir::{Layer, Op, Phase, PoolKind};

/// Component names of this model that `pimzoo_core::component` lacks.
pub mod names {
    /// Neural-PIM's neural-approximated analog shift-and-add.
    pub const NNSA: &str = "nns+a";
    /// CASCADE's TIAs and RRAM buffer arrays.
    pub const ANALOG_FRONT_END: &str = "analog-front-end";
    /// Input and output registers (SRAM) of the PEs and tiles.
    pub const REGISTER: &str = "register";
    /// Activation, pooling and element-wise units of the tiles.
    pub const POST_PROCESSING: &str = "post-processing";
    /// The off-chip HyperTransport links, at constant power.
    pub const HYPERTRANSPORT: &str = "hypertransport";
}

/// The model of one preset.
#[derive(Clone, Debug)]
pub struct NeuralPim {
    config: Config,
    design: Design,
}

/// A weight layer on the crossbars.
#[derive(Clone, Copy, Debug)]
struct Mapped {
    /// Inputs per dot product (rows of the weight matrix) and outputs, per group.
    k: u64,
    n: u64,
    groups: u64,
    /// VMMs per sample, and whether they must run one after another (LSTM
    /// time steps) rather than on independent copies.
    vmms: u64,
    sequential: bool,
    tiling: pimzoo_tech::crossbar::MatrixTiling,
}

/// Counts of every action of one layer VMM (one input vector through the
/// whole weight matrix of the layer).
#[derive(Clone, Copy, Debug, Default)]
struct Events {
    dac_drives: f64,
    cell_reads: f64,
    samples: f64,
    conversions: f64,
    shift_adds: f64,
    or_accesses: f64,
    ir_bits: f64,
    edram_bytes: f64,
    bus_bytes: f64,
    router_bytes: f64,
    tile_shift_adds: f64,
    nnsa_ops: f64,
    tia_samples: f64,
    buffer_writes: f64,
}

impl NeuralPim {
    pub fn new(config: Config) -> Result<NeuralPim, String> {
        let design =
            Design::new(&config).map_err(|m| format!("neuralpim preset `{}`: {m}", config.id))?;
        Ok(NeuralPim { config, design })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The design derived from the preset (equations, parts, counts).
    pub fn design(&self) -> &Design {
        &self.design
    }

    pub fn chip_area(&self) -> SquareMm {
        self.design.chip_area(&self.config)
    }

    /// Named architecture-level figures (see `ArchInfo::figures`).
    pub fn figures(&self) -> Vec<(String, f64)> {
        let c = &self.config;
        let d = &self.design;
        let chip_area = d.chip_area(c).value();
        let chip_power = d.chip_power(c).value();
        let tile_area = d.tile_area(c).value();
        let tile_power = d.tile_power(c).value();
        let peak = d.peak_ops_per_s();
        let tiles_area = tile_area * d.tiles as f64;
        let adc = d.pe_row(component::ADC);
        let adc_power = adc.map_or(0.0, |r| r.power().value()) * c.pes_per_tile as f64;
        let adc_area = adc.map_or(0.0, |r| r.area().value()) * c.pes_per_tile as f64;
        let cells_area =
            d.pe_row("crossbar").map_or(0.0, |r| r.area().value()) * c.pes_per_tile as f64;
        let s = &d.slicing;
        let f = |n: &str, v: f64| (n.to_string(), v);
        vec![
            f("chip_power_w", chip_power),
            f("chip_area_mm2", chip_area),
            f("tiles", d.tiles as f64),
            f("tiles_power_w", tile_power * d.tiles as f64),
            f("tiles_area_mm2", tiles_area),
            f("tile_power_w", tile_power),
            f("tile_area_mm2", tile_area),
            f("pe_power_w", d.pe_power().value()),
            f("pe_area_mm2", d.pe_area().value()),
            f("arrays_per_chip", d.arrays_per_chip as f64),
            f(
                "weights_per_chip",
                d.arrays_per_chip as f64 * s.macs_per_vmm() as f64,
            ),
            f("peak_ops_per_s", peak),
            f("peak_ce_gops_per_s_mm2", peak / 1e9 / chip_area),
            f("peak_ce_tiles_gops_per_s_mm2", peak / 1e9 / tiles_area),
            f("peak_pe_gops_per_w", peak / 1e9 / chip_power),
            f("adc_share_of_tile_power", adc_power / tile_power),
            f("adc_share_of_tile_area", adc_area / tile_area),
            f("array_density", cells_area / tile_area),
            f("ad_resolution_bits", d.ad_bits as f64),
            f(
                "conversions_per_weight_vector",
                d.conversions_per_vector as f64,
            ),
            f(
                "adc_based_conversions_per_weight_vector",
                (s.input_cycles * s.weight_slices) as f64,
            ),
            f("input_cycles", s.input_cycles as f64),
            f("weight_vectors_per_array", s.weight_vectors as f64),
            f("vmm_time_s", d.vmm_time.value()),
        ]
    }

    /// Map a layer with weights; `Ok(None)` for a layer without.
    fn map(&self, layer: &Layer) -> Result<Option<Mapped>, EvalError> {
        let s = &self.design.slicing;
        let dims = |i: usize| {
            layer
                .input_shapes
                .first()
                .map(|sh| sh.dims().get(i).copied().unwrap_or(1))
                .unwrap_or(1)
        };
        let (k, n, groups, vmms, sequential) = match &layer.op {
            Op::Conv2d(conv) => {
                let c_in = dims(0) as u64;
                let g = conv.groups.max(1) as u64;
                let out = layer.output.dims();
                let positions: u64 = out.iter().skip(1).map(|&d| d as u64).product();
                (
                    c_in / g * conv.kernel.area(),
                    conv.out as u64 / g,
                    g,
                    positions.max(1),
                    false,
                )
            }
            Op::Linear { out, .. } => {
                let input = layer
                    .input_shapes
                    .first()
                    .map(|sh| sh.elements())
                    .unwrap_or(1);
                let k = layer
                    .input_shapes
                    .first()
                    .map(|sh| sh.last())
                    .unwrap_or(1)
                    .max(1) as u64;
                (k, *out as u64, 1, (input / k).max(1), false)
            }
            Op::Lstm(l) => {
                let steps = dims(0) as u64;
                let d = layer.input_shapes.first().map(|sh| sh.last()).unwrap_or(1) as u64;
                let k = d + l.hidden as u64 + u64::from(l.bias_folded);
                (k, 4 * l.hidden as u64, 1, steps.max(1), true)
            }
            Op::MatMul(_) => {
                return Err(EvalError::unsupported(format!(
                    "layer `{}` multiplies two activations; these crossbars hold weights only \
                     and would have to be rewritten for every input",
                    layer.name
                )))
            }
            _ => return Ok(None),
        };
        Ok(Some(Mapped {
            k,
            n,
            groups,
            vmms,
            sequential,
            tiling: s.tile(k, n, groups),
        }))
    }

    /// The actions of one VMM of a mapped layer.
    fn events(&self, m: &Mapped) -> Events {
        let d = &self.design;
        let s = &d.slicing;
        let ops = &self.config.operands;
        let t_in = s.input_cycles as f64;
        let slices = s.weight_slices as f64;
        let t = &m.tiling;
        let vectors = t.vectors_used as f64;
        let rows = t.rows_driven as f64;
        let arrays = t.arrays as f64;
        let unit = s.unit_columns as f64;
        let mut e = Events {
            dac_drives: rows * t_in,
            // Cells of the used weight columns plus the unit column, per cycle.
            cell_reads: ((m.k * m.n * m.groups) as f64 * s.columns_per_weight as f64 + rows * unit)
                * t_in,
            ir_bits: rows * ops.input_bits as f64,
            edram_bytes: (m.k * m.groups) as f64 * ops.input_bits as f64 / 8.0
                + (m.n * m.groups) as f64 * ops.output_bits as f64 / 8.0,
            bus_bytes: (m.k * m.groups) as f64 * ops.input_bits as f64 / 8.0,
            router_bytes: (m.n * m.groups) as f64 * ops.output_bits as f64 / 8.0,
            tile_shift_adds: (m.n * m.groups) as f64 * (t.row_blocks.saturating_sub(1)) as f64,
            ..Events::default()
        };
        match d.strategy {
            Strategy::Digital => {
                e.conversions = (vectors * slices + arrays * unit) * t_in;
                e.samples = e.conversions;
                e.shift_adds = e.conversions;
                e.or_accesses = e.conversions;
            }
            Strategy::Buffering => {
                e.conversions = vectors * d.conversions_per_vector as f64;
                e.tia_samples = vectors * slices * t_in;
                e.buffer_writes = e.tia_samples;
                e.shift_adds = e.conversions;
                e.or_accesses = e.conversions;
            }
            Strategy::Analog => {
                e.conversions = vectors;
                e.nnsa_ops = vectors * t_in;
                e.samples = vectors * (s.columns_per_weight as f64 + 2.0) * t_in;
                e.or_accesses = e.conversions;
            }
        }
        e
    }

    /// Copies per layer that minimise the pipeline period within `arrays`
    /// (ISAAC §IV replication, extended to batch parallelism when arrays are
    /// left over): the smallest period P (in VMMs per sample) such that
    /// `sum ceil(vmms / P) x arrays` fits.
    fn replicate(mapped: &[Mapped], arrays: u64) -> Vec<u64> {
        let need = |p: f64| -> u64 {
            mapped
                .iter()
                .map(|m| (m.vmms as f64 / p).ceil().max(1.0) as u64 * m.tiling.arrays)
                .sum()
        };
        let hi0 = mapped.iter().map(|m| m.vmms).max().unwrap_or(1) as f64;
        let (mut lo, mut hi) = (hi0 * 1e-9, hi0);
        if need(hi) > arrays {
            return vec![1; mapped.len()];
        }
        for _ in 0..100 {
            let mid = (lo * hi).sqrt();
            if need(mid) <= arrays {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        mapped
            .iter()
            .map(|m| (m.vmms as f64 / hi).ceil().max(1.0) as u64)
            .collect()
    }
}

impl Accelerator for NeuralPim {
    fn id(&self) -> &str {
        &self.config.id
    }

    fn info(&self) -> ArchInfo {
        let c = &self.config;
        let d = &self.design;
        let src = |k: &str| c.sources.get(k).cloned().unwrap_or_default();
        let p = |name: &str, value: String, key: &str| (name.to_string(), value, src(key));
        let s = &d.slicing;
        let dataflow = match &c.dataflow {
            crate::preset::Dataflow::DigitalAccumulation { adcs_per_pe, adc_rate_hz } => {
                format!("A: {adcs_per_pe} ADCs per PE at {}", engineering(*adc_rate_hz, "S/s"))
            }
            crate::preset::Dataflow::AnalogBuffering {
                adcs_per_pe,
                adc_rate_hz,
                buffer_cell_bits,
                buffer_arrays_per_array,
                front_end_area_per_array,
                conversions_per_weight_vector,
            } => format!(
                "B: {adcs_per_pe} ADCs per PE at {}, {buffer_arrays_per_array} buffer arrays of \
                 {buffer_cell_bits}-bit cells per array, front end {front_end_area_per_array} per array, \
                 conversions per weight vector {}",
                engineering(*adc_rate_hz, "S/s"),
                conversions_per_weight_vector.map_or("by Eq. 6".to_string(), |v| v.to_string())
            ),
            crate::preset::Dataflow::AnalogAccumulation {
                nnadcs_per_pe,
                nnadc_rate_hz,
                nnsa_per_pe,
                nnsa_rate_hz,
                conversion_cycles,
            } => format!(
                "C: {nnadcs_per_pe} NNADCs per PE at {}, {nnsa_per_pe} NNS+As at {}, \
                 {conversion_cycles} conversion cycle(s) per VMM",
                engineering(*nnadc_rate_hz, "S/s"),
                engineering(*nnsa_rate_hz, "Hz")
            ),
        };
        let parameters = vec![
            p("node_nm", format!("{} nm", c.node_nm), "node_nm"),
            p(
                "operands",
                format!(
                    "{}-bit inputs, {}-bit weights, {}-bit outputs",
                    c.operands.input_bits, c.operands.weight_bits, c.operands.output_bits
                ),
                "operands",
            ),
            p(
                "array",
                format!(
                    "{}x{}, {}-bit cells, {}-bit DACs, {:?} weights, encoding saves {} bit(s)",
                    c.array.rows,
                    c.array.columns,
                    c.array.cell_bits,
                    c.array.dac_bits,
                    c.array.signed_weights,
                    c.array.encoding_saves_bits
                ),
                "array",
            ),
            p("input_cycle", c.input_cycle.to_string(), "input_cycle"),
            p("dataflow", dataflow, "dataflow"),
            p("arrays_per_pe", c.arrays_per_pe.to_string(), "arrays_per_pe"),
            p("pes_per_tile", c.pes_per_tile.to_string(), "pes_per_tile"),
            p("input_register", format!("{:?}", c.input_register), "input_register"),
            p(
                "tile",
                format!(
                    "{} x 64 KB eDRAM, {}-wire bus, {}, {} sigmoid, {} max-pool, {} S+A unit(s), {}",
                    c.tile.edram_buffers,
                    c.tile.bus_wires,
                    if c.tile.tiles_per_router > 0 {
                        format!("a router per {} tiles", c.tile.tiles_per_router)
                    } else {
                        "no router".to_string()
                    },
                    c.tile.sigmoid_units,
                    c.tile.maxpool_units,
                    c.tile.shift_add_units,
                    if c.tile.output_register { "3 KB output register" } else { "no output register" }
                ),
                "tile",
            ),
            p("tiles", format!("{:?} -> {} tiles", c.tiles, d.tiles), "tiles"),
            p("hypertransport", c.hypertransport.to_string(), "hypertransport"),
            p("chips", c.chips.to_string(), "chips"),
        ];
        ArchInfo {
            family: "neuralpim".into(),
            name: c.name.clone(),
            technology: format!(
                "RRAM crossbar, {} nm, {}x{} arrays of {}-bit cells, strategy {}",
                c.node_nm,
                c.array.rows,
                c.array.columns,
                c.array.cell_bits,
                d.strategy.name()
            ),
            source: c.source.clone(),
            area: Some(self.chip_area()),
            peak_ops_per_s: Some(d.peak_ops_per_s()),
            supports: format!(
                "inference of conv, linear and LSTM layers at {}-bit inputs and {}-bit weights \
                 (float workloads are quantized to that width); {} input cycles, {}-bit A/D, \
                 {} conversions per weight vector",
                c.operands.input_bits,
                c.operands.weight_bits,
                s.input_cycles,
                d.ad_bits,
                d.conversions_per_vector
            ),
            explanation: crate::EXPLANATION.to_string(),
            parameters,
            figures: self.figures(),
        }
    }

    fn evaluate(&self, w: &Workload) -> Result<Report, EvalError> {
        let c = &self.config;
        let d = &self.design;
        let _span =
            tracing::debug_span!("neuralpim", id = %c.id, network = %w.network.name()).entered();
        if w.task.is_training() {
            return Err(EvalError::unsupported(
                "inference only: the weights are programmed once into RRAM (ISAAC §III, NP §5.1); \
                 training would rewrite them every step",
            ));
        }
        if w.batch == 0 {
            return Err(EvalError::Config {
                message: "the batch must be at least 1".into(),
            });
        }
        for (what, f, native) in [
            (
                "activations",
                w.precision.activations,
                c.operands.input_bits,
            ),
            ("weights", w.precision.weights, c.operands.weight_bits),
        ] {
            if let NumberFormat::Fixed(bits) = f {
                if bits as u32 > native {
                    return Err(EvalError::unsupported(format!(
                        "{what} in {f}: this design computes with at most {native}-bit {what}"
                    )));
                }
            }
        }
        let layers = w.network.layers();
        let mut mapped: Vec<(usize, Mapped)> = Vec::new();
        for (i, l) in layers.iter().enumerate() {
            if let Some(m) = self.map(l)? {
                mapped.push((i, m));
            }
        }
        let one_copy: u64 = mapped.iter().map(|(_, m)| m.tiling.arrays).sum();
        let chips = d.chips as u64;
        if one_copy > chips * d.arrays_per_chip {
            return Err(EvalError::Config {
                message: format!(
                    "{} needs {one_copy} arrays for one copy of its weights; the board's {chips} \
                     chip(s) have {}",
                    w.network.name(),
                    chips * d.arrays_per_chip
                ),
            });
        }
        let ms: Vec<Mapped> = mapped.iter().map(|(_, m)| *m).collect();
        let copies = Self::replicate(&ms, chips * d.arrays_per_chip);
        let t_vmm = d.vmm_time;
        let batch = w.batch as f64;

        // Per-layer occupancy for one sample in the steady state, and for the batch.
        let mut period = Seconds::ZERO;
        let mut first_sample = Seconds::ZERO;
        let mut busy: Vec<Seconds> = Vec::with_capacity(ms.len());
        for (m, &r) in ms.iter().zip(&copies) {
            let per_sample = t_vmm * (m.vmms as f64 / r as f64);
            period = period.max(per_sample);
            let one = if m.sequential {
                t_vmm * m.vmms as f64
            } else {
                t_vmm * (m.vmms as f64 / r as f64).ceil()
            };
            first_sample += one;
            let b = if m.sequential {
                t_vmm * (m.vmms as f64 * (batch / r as f64).ceil())
            } else {
                t_vmm * (batch * m.vmms as f64 / r as f64).ceil()
            };
            busy.push(b);
        }

        let en = &d.energies;
        let mut report = Report::new(w);
        let mut rows: Vec<(String, Seconds, Joules)> = Vec::new();
        let mut conversions = 0.0;
        let mut dyn_energy = Joules::ZERO;
        let add = |report: &mut Report, comp: &str, j: Joules| {
            if j.value() > 0.0 {
                report.add_energy(comp, j);
            }
            j
        };
        let mut wi = 0;
        for (i, l) in layers.iter().enumerate() {
            let post_ops = l.work.vector_ops as f64 * batch;
            let post_unit = match &l.op {
                Op::Pool(p) if p.kind == PoolKind::Max => en.maxpool_op,
                _ => en.sigmoid_op,
            };
            let mut energy = add(&mut report, names::POST_PROCESSING, post_unit * post_ops);
            let mut latency = Seconds::ZERO;
            if let Op::Embedding { .. } = l.op {
                // The embedding row arrives from outside and is written to eDRAM.
                let bytes =
                    l.work.output_activations as f64 * c.operands.input_bits as f64 / 8.0 * batch;
                energy += add(&mut report, component::BUFFER, en.edram_byte * bytes);
            }
            if wi < mapped.len() && mapped[wi].0 == i {
                let m = &ms[wi];
                let ev = self.events(m);
                let vmms = batch * m.vmms as f64;
                let k = |x: f64| x * vmms;
                conversions += k(ev.conversions);
                energy += add(
                    &mut report,
                    component::ADC,
                    en.conversion * k(ev.conversions),
                );
                energy += add(&mut report, component::DAC, en.dac_drive * k(ev.dac_drives));
                energy += add(
                    &mut report,
                    component::CROSSBAR,
                    en.cell_read * k(ev.cell_reads),
                );
                energy += add(
                    &mut report,
                    component::SAMPLE_HOLD,
                    en.sample * k(ev.samples),
                );
                energy += add(
                    &mut report,
                    component::SHIFT_ADD,
                    en.shift_add * k(ev.shift_adds) + en.tile_shift_add * k(ev.tile_shift_adds),
                );
                energy += add(&mut report, names::NNSA, en.nnsa_op * k(ev.nnsa_ops));
                energy += add(
                    &mut report,
                    names::ANALOG_FRONT_END,
                    en.tia_sample * k(ev.tia_samples) + en.buffer_write * k(ev.buffer_writes),
                );
                energy += add(
                    &mut report,
                    names::REGISTER,
                    en.ir_bit * k(ev.ir_bits) + en.or_access * k(ev.or_accesses),
                );
                energy += add(
                    &mut report,
                    component::BUFFER,
                    en.edram_byte * k(ev.edram_bytes),
                );
                energy += add(
                    &mut report,
                    component::INTERCONNECT,
                    en.bus_byte * k(ev.bus_bytes) + en.router_byte * k(ev.router_bytes),
                );
                latency = busy[wi];
                wi += 1;
            }
            dyn_energy += energy;
            rows.push((l.name.clone(), latency, energy));
        }

        // Layers overlap in the inter-layer pipeline: the first sample passes
        // every layer in turn (an upper bound: ISAAC's pipeline starts a layer
        // once a kernel window of its input exists), then one sample leaves
        // every period.
        let longest = busy.iter().copied().fold(Seconds::ZERO, Seconds::max);
        let sum: Seconds = busy.iter().copied().sum();
        let latency = (first_sample + period * (batch - 1.0))
            .min(sum)
            .max(longest);
        if latency.value() <= 0.0 {
            return Err(EvalError::unsupported(format!(
                "{} has no conv, linear or LSTM layer to run on the crossbars",
                w.network.name()
            )));
        }
        report.latency_rule = LatencyRule::Overlapped(
            "inter-layer pipeline (ISAAC §IV, NP §5.2.4): all layers run at once on their own \
             arrays; total = first sample through every layer + (batch - 1) x the slowest \
             layer's period"
                .into(),
        );
        // The HyperTransport links draw their power for the whole run; each
        // layer row carries a share in proportion to its busy time.
        let ht_power = d
            .hypertransport
            .map_or(pimzoo_core::units::Watts::ZERO, |h| h.power)
            * chips as f64;
        let ht = ht_power * latency;
        if ht.value() > 0.0 {
            report.add_energy(names::HYPERTRANSPORT, ht);
        }
        for (name, lat, energy) in rows {
            let share = if sum.value() > 0.0 {
                ht * (lat / sum)
            } else {
                Joules::ZERO
            };
            report.push_layer(LayerRow {
                layer: name,
                phase: Phase::Forward,
                latency: lat,
                energy: energy + share,
                bound: (lat.value() > 0.0).then(|| {
                    if lat == longest {
                        "pipeline-bottleneck".to_string()
                    } else {
                        "crossbar".to_string()
                    }
                }),
            });
        }
        report.latency = latency;
        let chip_area = self.chip_area();
        report.area = Some(chip_area * chips as f64);

        // Steady-state figures: one sample per period.
        let ops_per_sample = w.network.work().macs as f64 * 2.0;
        let steady_ops_per_s = ops_per_sample / period.value();
        let steady_energy = dyn_energy.value() / batch + ht_power.value() * period.value();
        report.set_metric("ad_conversions", conversions);
        report.set_metric("ad_conversions_per_sample", conversions / batch);
        report.set_metric("ad_resolution_bits", d.ad_bits as f64);
        report.set_metric(
            "conversions_per_weight_vector",
            d.conversions_per_vector as f64,
        );
        report.set_metric("input_cycles", d.slicing.input_cycles as f64);
        report.set_metric("chips", chips as f64);
        report.set_metric("arrays_one_copy", one_copy as f64);
        report.set_metric(
            "arrays_used",
            ms.iter()
                .zip(&copies)
                .map(|(m, r)| m.tiling.arrays * r)
                .sum::<u64>() as f64,
        );
        report.set_metric("operand_bits", c.operands.input_bits as f64);
        report.set_metric("steady_state_samples_per_s", 1.0 / period.value());
        report.set_metric("steady_state_ops_per_s", steady_ops_per_s);
        report.set_metric(
            "steady_state_ops_per_s_per_mm2",
            steady_ops_per_s / (chip_area.value() * chips as f64),
        );
        report.set_metric("steady_state_ops_per_j", ops_per_sample / steady_energy);
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pimzoo_tech::crossbar::MatrixTiling;

    fn layer(vmms: u64, arrays: u64) -> Mapped {
        Mapped {
            k: 1,
            n: 1,
            groups: 1,
            vmms,
            sequential: false,
            tiling: MatrixTiling {
                arrays,
                row_blocks: 1,
                rows_driven: 1,
                vectors_used: 1,
            },
        }
    }

    #[test]
    fn replication_balances_the_pipeline() {
        // ISAAC §IV: a layer with 4x the VMMs of the next gets 4x the copies.
        let ms = [layer(400, 1), layer(100, 1)];
        assert_eq!(NeuralPim::replicate(&ms, 5), vec![4, 1]);
        // More arrays: copies for whole samples as well.
        assert_eq!(NeuralPim::replicate(&ms, 10), vec![8, 2]);
        // Too few arrays for one copy each: one copy each.
        assert_eq!(NeuralPim::replicate(&ms, 1), vec![1, 1]);
        // The copies never exceed the arrays.
        let copies = NeuralPim::replicate(&ms, 37);
        assert!(copies.iter().sum::<u64>() <= 37);
    }
}
