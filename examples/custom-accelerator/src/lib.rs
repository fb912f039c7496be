//! A third-party pimzoo model, written the way a user outside this repository
//! would write one: a TPU-v1-like systolic-array inference accelerator.
//!
//! The crate depends on the `pimzoo` facade only. It owns its configuration
//! type and preset file, implements [`Accelerator`], and offers [`register`]
//! so that a program (the `xtask` command line, a user's own binary) puts it
//! next to the built-in models. `docs/extending.md` walks through it.
#![forbid(unsafe_code)]

use pimzoo::ir::{Layer, Op, Phase};
use pimzoo::units::{Bytes, BytesPerSecond, Hertz, Joules, Seconds, SquareMm, Watts};
use pimzoo::{
    component, Accelerator, ArchInfo, Catalog, EvalError, Family, LayerRow, Registry, Report,
    Workload,
};
use serde::{Deserialize, Serialize};

/// The built-in preset of this crate, `(origin, RON text)`.
pub const PRESETS: &[(&str, &str)] = &[(
    "examples/custom-accelerator/presets/tpu-v1.ron",
    include_str!("../presets/tpu-v1.ron"),
)];

/// The parameters of a systolic array (the body of `Systolic(...)` in a preset file).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SystolicConfig {
    pub id: String,
    pub name: String,
    pub array_rows: u32,
    pub array_cols: u32,
    /// Width of the multipliers; a workload in a wider format is unsupported.
    pub mac_bits: u32,
    pub clock: Hertz,
    /// On-chip activation buffer.
    pub buffer_bytes: u64,
    pub dram_bandwidth: BytesPerSecond,
    /// Element-wise operations per cycle (pooling, activations, normalisation).
    pub vector_lanes: u32,
    pub mac_energy: Joules,
    pub buffer_energy_per_byte: Joules,
    pub dram_energy_per_byte: Joules,
    pub static_power: Watts,
    pub area: SquareMm,
}

/// What one layer costs.
struct LayerCost {
    time: Seconds,
    mac: Joules,
    buffer: Joules,
    dram: Joules,
    dram_bytes: Bytes,
    bound: &'static str,
}

/// A systolic array that streams activations through stationary weights.
pub struct Systolic {
    cfg: SystolicConfig,
}

impl Systolic {
    /// Check a configuration and build the model; the message names the bad field.
    pub fn new(cfg: SystolicConfig) -> Result<Systolic, String> {
        if cfg.array_rows == 0 || cfg.array_cols == 0 || cfg.vector_lanes == 0 {
            return Err("array_rows, array_cols and vector_lanes must be positive".into());
        }
        if cfg.clock.value().is_nan() || cfg.clock.value() <= 0.0 {
            return Err("clock must be positive".into());
        }
        if cfg.dram_bandwidth.value().is_nan() || cfg.dram_bandwidth.value() <= 0.0 {
            return Err("dram_bandwidth must be positive".into());
        }
        Ok(Systolic { cfg })
    }

    fn cycle(&self) -> Seconds {
        Seconds(1.0 / self.cfg.clock.value())
    }

    /// Time and bytes of one matrix product `[m x k] x [k x n]`, `groups` times,
    /// with weights streamed from DRAM (`weights_from_dram`) or from the buffer.
    fn gemm(
        &self,
        m: u64,
        k: u64,
        n: u64,
        groups: u64,
        weights_from_dram: bool,
    ) -> (Seconds, Bytes) {
        let (rows, cols) = (self.cfg.array_rows as u64, self.cfg.array_cols as u64);
        // Weights are stationary: one tile of rows x cols weights at a time.
        let tiles = groups * k.div_ceil(rows) * n.div_ceil(cols);
        // Each tile streams the m activation rows plus the pipeline fill and drain.
        let compute = self.cycle() * ((m + rows + cols) as f64);
        let tile_bytes = Bytes((rows * cols * self.cfg.mac_bits as u64 / 8) as f64);
        // The next tile's weights load while this one computes (double buffering).
        let load = if weights_from_dram {
            tile_bytes / self.cfg.dram_bandwidth
        } else {
            Seconds::ZERO
        };
        let per_tile = compute.max(load);
        let dram = if weights_from_dram {
            tile_bytes * tiles as f64
        } else {
            Bytes::ZERO
        };
        (per_tile * tiles as f64, dram)
    }

    fn layer(&self, layer: &Layer, batch: u64) -> LayerCost {
        let w = &layer.work;
        let b = batch;
        let (t, dram) = match &layer.op {
            Op::Conv2d(c) => {
                let out = &layer.output;
                let positions = (out.dims()[1] * out.dims()[2]) as u64;
                let k = w.weights / c.out as u64;
                let groups = c.groups as u64;
                self.gemm(positions * b, k, c.out as u64 / groups, groups, true)
            }
            Op::Linear { out, .. } => {
                let k = w.weights / *out as u64;
                let m = w.macs / w.weights.max(1);
                self.gemm(m * b, k, *out as u64, 1, true)
            }
            Op::Lstm(l) => {
                let n = 4 * l.hidden as u64;
                let m = w.macs / w.weights.max(1);
                self.gemm(m * b, w.weights / n, n, 1, true)
            }
            Op::MatMul(mm) => {
                // Activation x activation: the "weights" come from the buffer.
                let heads = mm.heads as u64;
                let m = layer.output.dims()[0] as u64;
                let n = layer.output.dims()[1] as u64 / heads;
                let k = w.macs / (heads * m * n).max(1);
                self.gemm(m, k, n, heads * b, false)
            }
            _ => {
                let ops = w.vector_ops * b;
                let lanes = self.cfg.vector_lanes as u64;
                (self.cycle() * ops.div_ceil(lanes) as f64, Bytes::ZERO)
            }
        };
        let bytes_per_value = self.cfg.mac_bits as f64 / 8.0;
        let buffer =
            Bytes((w.input_activations + w.output_activations) as f64 * b as f64 * bytes_per_value);
        // Activations that do not fit the buffer spill to DRAM and back.
        let spill = Bytes((buffer.value() - self.cfg.buffer_bytes as f64).max(0.0));
        let t = t.max(spill / self.cfg.dram_bandwidth);
        let dram = dram + spill;
        LayerCost {
            time: t,
            mac: self.cfg.mac_energy * (w.macs * b) as f64,
            buffer: self.cfg.buffer_energy_per_byte * buffer.value(),
            dram: self.cfg.dram_energy_per_byte * dram.value(),
            dram_bytes: dram,
            bound: if w.macs > 0 { "array" } else { "vector" },
        }
    }
}

impl Accelerator for Systolic {
    fn id(&self) -> &str {
        &self.cfg.id
    }

    fn info(&self) -> ArchInfo {
        let c = &self.cfg;
        let peak = 2.0 * c.array_rows as f64 * c.array_cols as f64 * c.clock.value();
        let p = |name: &str, value: String| (name.to_string(), value, "preset file".to_string());
        ArchInfo {
            family: "systolic".into(),
            name: c.name.clone(),
            technology: "digital systolic array (example third-party model)".into(),
            source: "Jouppi et al., ISCA 2017 (TPU v1); examples/custom-accelerator".into(),
            area: Some(c.area),
            peak_ops_per_s: Some(peak),
            supports: format!("inference in formats of at most {} bits", c.mac_bits),
            explanation: "A weight-stationary systolic array. Each matrix product is cut into \
                tiles of rows x cols weights; a tile streams its m activation rows in m + rows + \
                cols cycles (fill and drain included) while the next tile's weights load from DRAM \
                (double buffering), so a tile costs max(compute, weight load). Attention products \
                take their second operand from the buffer. Element-wise layers run on a vector \
                unit of vector_lanes operations per cycle. Energy: a fixed energy per MAC, per \
                buffer byte (inputs and outputs of every layer) and per DRAM byte (weights), plus \
                static power over the run. Layers run one after another. An example of a \
                third-party model, not a validated one."
                .into(),
            parameters: vec![
                p("array", format!("{} x {}", c.array_rows, c.array_cols)),
                p("mac_bits", c.mac_bits.to_string()),
                p("clock", c.clock.to_string()),
                p("buffer_bytes", c.buffer_bytes.to_string()),
                p("dram_bandwidth", c.dram_bandwidth.to_string()),
                p("vector_lanes", c.vector_lanes.to_string()),
                p("mac_energy", c.mac_energy.to_string()),
                p(
                    "buffer_energy_per_byte",
                    c.buffer_energy_per_byte.to_string(),
                ),
                p("dram_energy_per_byte", c.dram_energy_per_byte.to_string()),
                p("static_power", c.static_power.to_string()),
            ],
            figures: vec![],
        }
    }

    fn evaluate(&self, w: &Workload) -> Result<Report, EvalError> {
        if w.task.is_training() {
            return Err(EvalError::unsupported(
                "an inference accelerator (TPU v1 runs no training)",
            ));
        }
        let bits = w.precision.compute().bits();
        if bits > self.cfg.mac_bits {
            return Err(EvalError::unsupported(format!(
                "{}-bit multipliers cannot run {} (try --precision int8)",
                self.cfg.mac_bits,
                w.precision.compute()
            )));
        }
        let mut report = Report::new(w);
        report.area = Some(self.cfg.area);
        let mut dram_total = Bytes::ZERO;
        for layer in w.network.layers() {
            let c = self.layer(layer, w.batch);
            let idle = self.cfg.static_power * c.time;
            report.add_energy(component::COMPUTE, c.mac);
            report.add_energy(component::BUFFER, c.buffer);
            report.add_energy(component::DRAM, c.dram);
            report.add_energy(component::STATIC, idle);
            dram_total += c.dram_bytes;
            report.push_layer(LayerRow {
                layer: layer.name.clone(),
                phase: Phase::Forward,
                latency: c.time,
                energy: c.mac + c.buffer + c.dram + idle,
                bound: Some(c.bound.into()),
            });
        }
        report.set_metric("dram_traffic_bytes", dram_total.value());
        Ok(report)
    }
}

/// This crate's preset family: files that read `Systolic(...)`. Add it to
/// a [`Catalog`] and its presets load, register and sweep like the
/// built-in ones.
pub fn family() -> Family {
    Family::sweepable::<SystolicConfig>("Systolic", PRESETS, |cfg| {
        Ok(Box::new(Systolic::new(cfg)?))
    })
}

/// Register this crate's presets in a registry, next to the built-in models.
pub fn register(registry: &mut Registry) -> Result<(), String> {
    let mut catalog = Catalog::default();
    catalog.add(family());
    for (origin, text) in PRESETS {
        let model = catalog.load(text, origin).map_err(|e| e.to_string())?;
        registry.register(model).map_err(|e| e.to_string())?;
    }
    Ok(())
}
