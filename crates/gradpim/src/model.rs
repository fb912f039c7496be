//! The cost model behind the `Accelerator` trait: the host NPU's forward
//! and backward passes (`npu`), then the update on the DDR4 model
//! (`timing`), run by the system of the preset.
use crate::compiler::{Program, Role};
use crate::isa::ScalerRange;
use crate::npu::{interpolate, PhaseCost};
use crate::preset::{Config, SOURCED_FIELDS};
use crate::timing::Memory;
use crate::timing::{StreamRate, System, Tally, UnitEnergy, UpdateSim};
use pimzoo_core::units::{engineering, Joules, Seconds};
use pimzoo_core::{
    component, Accelerator, ArchInfo, EvalError, LayerRow, Optimizer, Precision, Report, Task,
    Workload,
};
use pimzoo_ir::{Network, Phase};
use pimzoo_tech::dram::{ActionEnergy, AddressMapping, CommandBus};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// A GradPIM system: one preset, validated.
#[derive(Debug)]
pub struct GradPim {
    config: Config,
    memory: Memory,
}

/// Write fractions at which the NPU's streaming is simulated.
const STREAM_GRID: [f64; 5] = [0.0, 0.25, 0.5, 0.75, 1.0];
/// Requests of the shorter of the two streaming runs (the longer is twice).
const STREAM_REQUESTS: u64 = 4096;

/// Streaming rates already measured, by memory configuration (shared by
/// every model of the process, as they depend on the memory only).
static STREAMS: OnceLock<Mutex<HashMap<String, Arc<Vec<StreamRate>>>>> = OnceLock::new();

impl GradPim {
    pub fn new(config: Config) -> Result<GradPim, String> {
        if !config.id.starts_with("gradpim/") {
            return Err(format!("id `{}` must start with `gradpim/`", config.id));
        }
        for f in SOURCED_FIELDS {
            if config.sources.get(f).is_none_or(|s| s.trim().is_empty()) {
                return Err(format!("sources: `{f}` needs its source"));
            }
        }
        for k in config.sources.keys() {
            if !SOURCED_FIELDS.contains(&k.as_str()) {
                return Err(format!(
                    "sources: `{k}` is not a field; the fields are {}",
                    SOURCED_FIELDS.join(", ")
                ));
            }
        }
        config.npu.validate()?;
        let u = &config.unit;
        if !(u.column_energy_fraction.is_finite() && u.column_energy_fraction >= 0.0) {
            return Err(format!(
                "unit.column_energy_fraction: {} is not a non-negative number",
                u.column_energy_fraction
            ));
        }
        for (name, e) in [
            ("fp32", u.lane_op_energy.fp32),
            ("fp16", u.lane_op_energy.fp16),
        ] {
            if !(e.value().is_finite() && e.value() >= 0.0) {
                return Err(format!(
                    "unit.lane_op_energy.{name}: {e} is not a non-negative energy"
                ));
            }
        }
        let r = &u.scaler;
        if r.min_exp > r.max_exp || r.min_exp < -126 || r.max_exp > 127 || r.max_span > 29 {
            return Err(format!(
                "unit.scaler: exponents {}..={} (within -126..=127) and span {} (at most 29) \
                 do not describe a shift-and-add scaler",
                r.min_exp, r.max_exp, r.max_span
            ));
        }
        if config.simulation.window_rows == 0 {
            return Err("simulation.window_rows must be at least 1".into());
        }
        let memory = memory(&config)?;
        Ok(GradPim { config, memory })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn memory(&self) -> &Memory {
        &self.memory
    }

    /// The command sequence of the workload's update. Systems without units
    /// compile it for the formats and arrays only (no scaler limits apply).
    pub fn program(&self, optimizer: &Optimizer, precision: &Precision) -> Result<Program, String> {
        let range = if self.config.system.uses_units() {
            self.config.unit.scaler
        } else {
            ScalerRange {
                min_exp: -126,
                max_exp: 127,
                max_span: 0,
            }
        };
        Program::compile(optimizer, precision, &range).map_err(|reason| {
            if self.config.system.uses_units() {
                reason
            } else {
                format!(
                    "{reason} ({} is modelled for the updates GradPIM runs, so that the \
                     comparison is like for like)",
                    self.config.id
                )
            }
        })
    }

    /// The energy of the unit's actions for a program's master format.
    pub fn unit_energy(&self, program: &Program) -> UnitEnergy {
        let lanes = program.lanes(self.memory.geometry.request_bytes) as f64;
        let lane = match program.high {
            crate::formats::Format::Fp16 => self.config.unit.lane_op_energy.fp16,
            _ => self.config.unit.lane_op_energy.fp32,
        };
        UnitEnergy {
            column_fraction: self.config.unit.column_energy_fraction,
            scaler: lane * lanes,
            alu: lane * lanes,
        }
    }

    /// The update's simulator for a program.
    pub fn update_sim(&self, program: &Program) -> UpdateSim {
        UpdateSim {
            system: self.config.system,
            memory: self.memory.clone(),
            unit_energy: self.unit_energy(program),
            alu_wait: self.config.unit.alu_wait_cycles,
            window_rows: self.config.simulation.window_rows,
        }
    }

    /// Steady-state streaming of the NPU at each write fraction of the grid.
    pub fn stream_rates(&self) -> Result<Arc<Vec<StreamRate>>, String> {
        let key = &self.memory.key;
        let cache = STREAMS.get_or_init(|| Mutex::new(HashMap::new()));
        if let Some(r) = cache.lock().ok().and_then(|c| c.get(key).cloned()) {
            return Ok(r);
        }
        let rates = STREAM_GRID
            .iter()
            .map(|&wf| StreamRate::measure(&self.memory, wf, STREAM_REQUESTS))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("streaming on {}: {e}", self.config.memory.dram))?;
        let rates = Arc::new(rates);
        if let Ok(mut c) = cache.lock() {
            c.insert(key.clone(), rates.clone());
        }
        Ok(rates)
    }

    fn tck(&self) -> f64 {
        self.memory.config.timing.tCK * 1e-9
    }

    /// Peak bandwidth of the units (every bank group, one burst per tCCD_L).
    pub fn internal_peak(&self) -> f64 {
        let g = &self.memory.geometry;
        let t = &self.memory.config.timing;
        self.memory.units() as f64 * g.request_bytes as f64
            / (t.tCCD_L.max(g.burst_cycles) as f64 * self.tck())
    }

    /// Peak bandwidth of the channel's data bus.
    pub fn external_peak(&self) -> f64 {
        let g = &self.memory.geometry;
        g.request_bytes as f64 / (g.burst_cycles as f64 * self.tck())
    }
}

/// The channel of a preset: the DRAM preset with the preset's ranks, one
/// command bus, GradPIM's address mapping.
fn memory(config: &Config) -> Result<Memory, String> {
    let m = &config.memory;
    let mut cfg = pimzoo_tech::dram::preset(&m.dram).map_err(|e| format!("memory.dram: {e}"))?;
    if m.ranks == 0 || !m.ranks.is_power_of_two() || m.ranks > 64 {
        return Err(format!(
            "memory.ranks: {} is not a power of two from 1 to 64",
            m.ranks
        ));
    }
    if m.dimms == 0 || m.ranks % m.dimms != 0 {
        return Err(format!(
            "memory.dimms: {} does not divide the {} ranks",
            m.dimms, m.ranks
        ));
    }
    let rank_mb = cfg.system.channel_size / cfg.geometry().ranks.max(1);
    cfg.system.channel_size = rank_mb * m.ranks;
    cfg.system.address_mapping = AddressMapping::GRADPIM.to_string();
    cfg.system.command_bus = CommandBus::Shared;
    cfg.validate().map_err(|e| format!("memory: {e}"))?;
    Memory::new(cfg, m.dimms).map_err(|e| format!("memory: {e}"))
}

/// Energy by report component, accumulated.
#[derive(Default)]
struct Energy(Vec<(&'static str, f64)>);

impl Energy {
    fn add(&mut self, c: &'static str, j: f64) {
        match self.0.iter_mut().find(|(n, _)| *n == c) {
            Some(e) => e.1 += j,
            None => self.0.push((c, j)),
        }
    }
    fn total(&self) -> f64 {
        self.0.iter().map(|(_, j)| j).sum()
    }
    fn book(&self, report: &mut Report, share: f64) {
        for (c, j) in &self.0 {
            report.add_energy(c, Joules(j * share));
        }
    }
}

impl Accelerator for GradPim {
    fn id(&self) -> &str {
        &self.config.id
    }

    fn info(&self) -> ArchInfo {
        crate::explain::info(self)
    }

    fn evaluate(&self, w: &Workload) -> Result<Report, EvalError> {
        let _span = tracing::debug_span!("gradpim", id = %self.config.id).entered();
        let optimizer = match &w.task {
            Task::Training { optimizer } => optimizer,
            Task::Inference => {
                return Err(EvalError::unsupported(
                    "GradPIM offloads the weight update of training; an inference has no \
                     update to offload (these presets model training steps only)",
                ))
            }
        };
        let program = self
            .program(optimizer, &w.precision)
            .map_err(EvalError::unsupported)?;
        let mac_energy = self
            .config
            .npu
            .mac_energy
            .of(w.precision.compute())
            .ok_or_else(|| {
                EvalError::unsupported(format!(
                    "the host NPU computes in int8, fp16 or fp32, not {}",
                    w.precision.compute()
                ))
            })?;
        let config_error = |message: String| EvalError::Config { message };
        let rates = self.stream_rates().map_err(config_error)?;
        let net = &w.network;
        let layers = net.layers();
        let mut report = Report::new(w);

        // Forward, then the backward pass from the output layer.
        let mut order: Vec<(usize, Phase)> =
            (0..layers.len()).map(|i| (i, Phase::Forward)).collect();
        for i in (0..layers.len()).rev() {
            order.push((i, Phase::BackwardData));
            order.push((i, Phase::BackwardWeight));
        }
        let mut npu_time = 0.0;
        let mut npu_bytes = 0.0;
        for (i, phase) in order {
            let layer = &layers[i];
            let Some(c) = self
                .config
                .npu
                .phase_cost(layer, phase, w.batch, &w.precision, |wf| {
                    interpolate(&rates, wf).bandwidth
                })
            else {
                continue;
            };
            let energy = npu_energy(&c, mac_energy, &rates);
            energy.book(&mut report, 1.0);
            npu_time += c.time;
            npu_bytes += c.reads + c.writes;
            report.push_layer(LayerRow {
                layer: layer.name.clone(),
                phase,
                latency: Seconds(c.time),
                energy: Joules(energy.total()),
                bound: Some(if c.compute_bound { "compute" } else { "memory" }.to_string()),
            });
        }

        // The update: every parameter tensor padded to whole groups.
        let bursts = self.update_bursts(net, &program);
        let total_bursts: u64 = bursts.iter().sum();
        let params: u64 = layers.iter().map(|l| l.work.params).sum();
        // Each unit's part of theta fills rows of its bank 0.
        let units = self.memory.units() as u64;
        let rows = total_bursts
            .div_ceil(units)
            .div_ceil(self.memory.chunk_bursts());
        if rows > self.memory.geometry.rows as u64 {
            return Err(config_error(format!(
                "{}'s {params} parameters need {rows} rows per bank for theta, the DRAM has {}",
                net.name(),
                self.memory.geometry.rows
            )));
        }
        let mut update_time = 0.0;
        let mut tally = Tally::default();
        if total_bursts > 0 {
            let sim = self.update_sim(&program);
            tally = sim
                .run(&program, total_bursts)
                .map_err(|e| config_error(format!("DDR4 model: {e}")))?;
            update_time = tally.cycles * self.tck();
            let energy = self.update_energy(&tally, &program, optimizer, params, w);
            let bound = match self.config.system {
                System::Direct | System::Buffered if tally.bus_utilization() > 0.9 => "command-bus",
                System::Direct | System::Buffered => "bank-group",
                _ => "memory",
            };
            for (layer, &b) in layers.iter().zip(&bursts) {
                if b == 0 {
                    continue;
                }
                let share = b as f64 / total_bursts as f64;
                energy.book(&mut report, share);
                report.push_layer(LayerRow {
                    layer: layer.name.clone(),
                    phase: Phase::Update,
                    latency: Seconds(update_time * share),
                    energy: Joules(energy.total() * share),
                    bound: Some(bound.to_string()),
                });
            }
        }
        if report.layers.is_empty() {
            return Err(EvalError::unsupported(format!(
                "{} has no multiply-accumulates and no parameters: nothing to train",
                net.name()
            )));
        }
        let total = report.latency.value();
        let m = |r: &mut Report, k: &str, v: f64| r.set_metric(k, v);
        m(&mut report, "update_time_s", update_time);
        m(&mut report, "forward_backward_time_s", npu_time);
        m(&mut report, "total_time_s", total);
        m(&mut report, "update_fraction", update_time / total);
        if update_time > 0.0 {
            m(
                &mut report,
                "update_params_per_s",
                params as f64 / update_time,
            );
            m(
                &mut report,
                "command_bus_utilization",
                tally.bus_utilization(),
            );
            m(
                &mut report,
                "internal_bandwidth_bytes_per_s",
                tally.internal_bytes / update_time,
            );
            m(
                &mut report,
                "external_bandwidth_bytes_per_s",
                tally.external_bytes / update_time,
            );
            m(
                &mut report,
                "update_data_bandwidth_bytes_per_s",
                params as f64 * program.data_bytes_per_param() / update_time,
            );
        }
        // Counts of a scaled run are estimates of whole commands.
        for (kind, n) in &tally.commands {
            m(
                &mut report,
                &format!("update_commands_{}", kind.to_lowercase()),
                n.round(),
            );
        }
        m(
            &mut report,
            "update_traffic_internal_bytes",
            tally.internal_bytes,
        );
        m(
            &mut report,
            "update_traffic_external_bytes",
            tally.external_bytes,
        );
        m(&mut report, "forward_backward_traffic_bytes", npu_bytes);
        if self.config.system.uses_units() {
            m(
                &mut report,
                "update_slots_per_burst",
                program.slots_per_burst(),
            );
            let mut worst: f64 = 0.0;
            for s in program.scales.iter().filter(|s| s.role != Role::One) {
                let name = s.role.name();
                m(&mut report, &format!("scale_{name}_requested"), s.requested);
                m(&mut report, &format!("scale_{name}_used"), s.used.value());
                m(
                    &mut report,
                    &format!("scale_{name}_rel_error"),
                    s.rel_error(),
                );
                worst = worst.max(s.rel_error().abs());
            }
            m(&mut report, "scale_max_abs_rel_error", worst);
        }
        Ok(report)
    }
}

impl GradPim {
    /// Master bursts of each layer's parameters, every tensor padded to whole
    /// groups (the layout of `timing`).
    pub fn update_bursts(&self, network: &Network, program: &Program) -> Vec<u64> {
        let burst_bytes = self.memory.geometry.request_bytes;
        let per_group = (program.lanes(burst_bytes) * program.group) as u64;
        network
            .layers()
            .iter()
            .map(|l| l.work.params.div_ceil(per_group) * program.group as u64)
            .collect()
    }

    /// The update's energy by component: the DDR4 model's ACT, RD, WR, REF
    /// and background energy; internal column accesses booked as DRAM reads
    /// and writes, the scaler and ALU steps as PIM logic; the NPU's (or
    /// buffer device's) arithmetic for the systems without units.
    fn update_energy(
        &self,
        t: &Tally,
        program: &Program,
        optimizer: &Optimizer,
        params: u64,
        w: &Workload,
    ) -> Energy {
        let mut e = Energy::default();
        let get = |k: &str| t.energy.get(k).copied().unwrap_or(0.0);
        e.add(component::DRAM_ACTIVATE, get("activate"));
        e.add(component::DRAM_READ, get("read"));
        e.add(component::DRAM_WRITE, get("write"));
        e.add(component::DRAM_REFRESH, get("refresh"));
        e.add(component::DRAM_BACKGROUND, get("background"));
        if self.config.system.uses_units() {
            let a = ActionEnergy::from_config(&self.memory.config);
            let ue = self.unit_energy(program);
            let f = ue.column_fraction;
            let n = |k: &str| t.count(k);
            e.add(
                component::DRAM_READ,
                (n("PIM_SCALED_RD") + n("PIM_QREG_RD")) * a.read.value() * f,
            );
            e.add(
                component::DRAM_WRITE,
                (n("PIM_WRITEBACK") + n("PIM_QREG_WR")) * a.write.value() * f,
            );
            let compute = n("PIM_DEQUANT") + n("PIM_QUANT") + n("PIM_ADD") + n("PIM_SUB");
            e.add(
                component::PIM_LOGIC,
                n("PIM_SCALED_RD") * ue.scaler.value() + compute * ue.alu.value(),
            );
        } else {
            // The update's arithmetic on the NPU or in the buffer device,
            // each operation priced as a multiply-accumulate of the master format.
            let mac = self
                .config
                .npu
                .mac_energy
                .of(w.precision.master)
                .unwrap_or(self.config.npu.mac_energy.fp32);
            e.add(
                component::COMPUTE,
                params as f64 * optimizer.update_ops_per_param() as f64 * mac.value(),
            );
        }
        e
    }
}

/// The energy of one NPU phase: its MACs, and the DRAM's per-byte and
/// per-second energy while it streams.
fn npu_energy(c: &PhaseCost, mac: Joules, rates: &[StreamRate]) -> Energy {
    let bytes = c.reads + c.writes;
    let wf = if bytes > 0.0 { c.writes / bytes } else { 0.0 };
    let r = interpolate(rates, wf);
    let mut e = Energy::default();
    e.add(component::COMPUTE, c.macs * mac.value());
    e.add(component::DRAM_ACTIVATE, bytes * r.activate_per_byte);
    e.add(component::DRAM_READ, bytes * r.read_per_byte);
    e.add(component::DRAM_WRITE, bytes * r.write_per_byte);
    e.add(component::DRAM_REFRESH, c.time * r.refresh_power);
    e.add(component::DRAM_BACKGROUND, c.time * r.background_power);
    e
}

/// Engineering notation of a bandwidth.
pub(crate) fn bandwidth(b: f64) -> String {
    engineering(b, "B/s")
}
