//! The configuration of a DRAM channel: device structure, timing, IDD
//! currents and system (controller) settings.
//!
//! One structure is read from two formats with the same names: DRAMsim3's
//! `.ini` files (`[timing] tRCD = 16`) and RON presets
//! (`timing: (tRCD: 16, ...)`), so an error names the field the same way
//! in both: `timing.tRCD`. Timings are in memory-clock cycles (tCK in ns),
//! currents in mA, VDD in V, `channel_size` in MB, as in DRAMsim3.
use super::address::AddressMapping;
use super::error::{DramError, Origin};
use super::ini::{IniEntry, IniFile};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The JEDEC standards whose command timing this model covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Standard {
    DDR3,
    DDR4,
    LPDDR4,
}

/// `[dram_structure]`: the device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DramStructure {
    pub protocol: Standard,
    /// Bank groups per device (1 for DDR3).
    pub bankgroups: u32,
    pub banks_per_group: u32,
    /// Rows per bank.
    pub rows: u32,
    /// Columns per row, each `device_width` bits (DRAMsim3's physical columns).
    pub columns: u32,
    /// Data pins per device (x4, x8, x16).
    pub device_width: u32,
    /// Burst length in transfers; a burst occupies BL/2 clock cycles.
    #[serde(rename = "BL")]
    pub bl: u32,
}

/// `[timing]`: every value in tCK cycles except `tCK` itself (ns).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct Timing {
    /// Clock period, ns.
    pub tCK: f64,
    /// Additive latency.
    pub AL: u32,
    /// CAS (read) latency.
    pub CL: u32,
    /// CAS write latency.
    pub CWL: u32,
    /// ACT to RD/WR, same bank.
    pub tRCD: u32,
    /// PRE to ACT, same bank.
    pub tRP: u32,
    /// ACT to PRE, same bank.
    pub tRAS: u32,
    /// REF to ACT or REF, same rank.
    pub tRFC: u32,
    /// Average interval between REF commands to one rank.
    pub tREFI: u32,
    /// ACT to ACT, different bank groups of one rank.
    pub tRRD_S: u32,
    /// ACT to ACT, same bank group.
    pub tRRD_L: u32,
    /// End of write data to RD, different bank groups.
    pub tWTR_S: u32,
    /// End of write data to RD, same bank group.
    pub tWTR_L: u32,
    /// Window in which at most four ACTs may go to one rank.
    pub tFAW: u32,
    /// Write recovery: end of write data to PRE, same bank.
    pub tWR: u32,
    /// RD to PRE, same bank.
    pub tRTP: u32,
    /// Column command to column command, different bank groups.
    pub tCCD_S: u32,
    /// Column command to column command, same bank group.
    pub tCCD_L: u32,
    /// Rank-to-rank switch on the data bus.
    pub tRTRS: u32,
    /// PRE to PRE, same rank (LPDDR4; 0 for DDR3/DDR4).
    pub tPPD: u32,
}

/// `[power]`: supply voltage and the IDD currents of one device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(non_snake_case)]
pub struct Power {
    /// Supply voltage, V.
    pub VDD: f64,
    /// One-bank ACT-PRE current, mA.
    pub IDD0: f64,
    /// Precharge standby current, mA.
    pub IDD2N: f64,
    /// Active standby current, mA.
    pub IDD3N: f64,
    /// Burst read current, mA.
    pub IDD4R: f64,
    /// Burst write current, mA.
    pub IDD4W: f64,
    /// All-bank refresh current, mA.
    pub IDD5AB: f64,
}

/// How transactions wait for the scheduler. Only DRAMsim3's `PER_BANK`
/// (one command queue per bank) is modelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum QueueStructure {
    #[serde(rename = "PER_BANK")]
    PerBank,
}

/// When REF commands are due.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RefreshPolicy {
    /// One rank every tREFI / ranks, in turn (DRAMsim3's default).
    #[serde(rename = "RANK_LEVEL_STAGGERED")]
    RankLevelStaggered,
    /// Every rank every tREFI, all at once.
    #[serde(rename = "RANK_LEVEL_SIMULTANEOUS")]
    RankLevelSimultaneous,
}

/// Row-buffer policy. The model is an open-page controller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RowBufferPolicy {
    #[serde(rename = "OPEN_PAGE")]
    OpenPage,
}

/// How the scheduler orders commands of different queues that are ready
/// in the same cycle (within a bank queue the order is always FR-FCFS with
/// the row-hit cap).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Arbitration {
    /// Bank queues in turn, starting after the last one served (DRAMsim3's
    /// arbitration).
    RoundRobin,
    /// Row hits first, then the oldest request (FR-FCFS across banks).
    OldestFirst,
}

/// Who shares a command/address bus.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CommandBus {
    /// One bus for every rank of the channel (a DDR4 channel, GradPIM-Direct).
    Shared,
    /// One bus per DIMM of this many ranks (a buffer device that fans the
    /// commands out per DIMM, GradPIM-Buffered).
    PerDimm(u32),
}

/// `[system]`: the channel and its controller.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct System {
    /// Capacity of one channel, MB; sets the number of ranks.
    pub channel_size: u32,
    pub channels: u32,
    /// Data bus width, bits.
    pub bus_width: u32,
    /// DRAMsim3 mapping string, most significant field first
    /// (`rochrababgco`); see [`AddressMapping`].
    pub address_mapping: String,
    pub queue_structure: QueueStructure,
    pub refresh_policy: RefreshPolicy,
    pub row_buf_policy: RowBufferPolicy,
    /// Depth of each per-bank command queue.
    pub cmd_queue_size: u32,
    /// Depth of the read queue and of the write buffer.
    pub trans_queue_size: u32,
    /// Command-bus sharing. Not a DRAMsim3 key: `.ini` files get `Shared`.
    #[serde(default = "default_command_bus")]
    pub command_bus: CommandBus,
    /// FR-FCFS cap: after this many column accesses to an open row, the
    /// oldest request's PRE outranks younger row hits. Not a DRAMsim3 key
    /// (DRAMsim3 hard-codes 4).
    #[serde(default = "default_row_hit_cap")]
    pub row_hit_cap: u32,
    /// The write buffer is drained when it is full, or when it holds more
    /// than this many writes and no command is queued. Not a DRAMsim3 key
    /// (the DRAMsim3 of the `dramsim3` crate hard-codes 8).
    #[serde(default = "default_write_drain_threshold")]
    pub write_drain_threshold: u32,
    /// Order among ready commands of different queues. Not a DRAMsim3 key
    /// (DRAMsim3 is round-robin).
    #[serde(default = "default_arbitration")]
    pub arbitration: Arbitration,
}

fn default_arbitration() -> Arbitration {
    Arbitration::RoundRobin
}

fn default_command_bus() -> CommandBus {
    CommandBus::Shared
}
fn default_row_hit_cap() -> u32 {
    4
}
fn default_write_drain_threshold() -> u32 {
    8
}

/// A DRAM configuration: what a channel is built from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename = "Dram")]
pub struct DramConfig {
    /// Short name (`ddr4-2133-x8-8gb`, or the file stem of an `.ini`).
    pub id: String,
    /// Where the values come from.
    pub source: String,
    pub dram_structure: DramStructure,
    pub timing: Timing,
    pub power: Power,
    pub system: System,
}

/// Sizes derived from a configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    pub channels: u32,
    pub ranks: u32,
    pub bankgroups: u32,
    pub banks_per_group: u32,
    pub rows: u32,
    /// Bursts per row (columns / BL), the unit of a column address here.
    pub columns: u32,
    /// Devices side by side on the data bus (bus_width / device_width).
    pub devices_per_rank: u32,
    /// Bytes moved by one burst on the channel (bus_width / 8 * BL).
    pub request_bytes: u32,
    /// Clock cycles of one burst on the data bus (BL / 2).
    pub burst_cycles: u32,
}

impl Geometry {
    pub fn banks_per_rank(&self) -> u32 {
        self.bankgroups * self.banks_per_group
    }
    pub fn banks(&self) -> u32 {
        self.ranks * self.banks_per_rank()
    }
    /// Bytes of one channel.
    pub fn channel_bytes(&self) -> u64 {
        self.ranks as u64
            * self.banks_per_rank() as u64
            * self.rows as u64
            * self.columns as u64
            * self.request_bytes as u64
    }
}

impl DramConfig {
    /// Read a `.ini` (DRAMsim3) or `.ron` (preset) file.
    pub fn load(path: &Path) -> Result<DramConfig, DramError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| DramError::Io {
            path: origin.clone(),
            message: e.to_string(),
        })?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ext = path
            .extension()
            .map(|s| s.to_string_lossy().to_ascii_lowercase());
        let result = match ext.as_deref() {
            Some("ini") => DramConfig::from_ini(&text, &stem, &origin),
            Some("ron") => DramConfig::from_ron(&text),
            _ => Err(DramError::Syntax {
                origin: Origin::default(),
                line: None,
                message: "a DRAM configuration is a DRAMsim3 `.ini` file or a `.ron` preset"
                    .to_string(),
            }),
        };
        result.map_err(|e| e.with_origin(&origin))
    }

    /// Parse a RON preset (`Dram(id: ..., timing: (...), ...)`) and validate it.
    pub fn from_ron(text: &str) -> Result<DramConfig, DramError> {
        let cfg: DramConfig = pimzoo_ir::parse_ron(text, "").map_err(|e| DramError::Syntax {
            origin: Origin::default(),
            line: Some(e.line),
            message: format!("column {}: {}", e.column, e.message),
        })?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Parse a DRAMsim3 `.ini` file and validate it. `id` names the
    /// configuration, `source` says where it came from.
    ///
    /// Every device value the model uses is required (a missing one is an
    /// error naming it); DRAMsim3 keys the model does not use (power-down
    /// currents, self-refresh timings, thermal and HMC settings...) are
    /// accepted and ignored; a key DRAMsim3 does not know is an error.
    /// Controller settings DRAMsim3 defaults take DRAMsim3's defaults.
    pub fn from_ini(text: &str, id: &str, source: &str) -> Result<DramConfig, DramError> {
        let ini = IniFile::parse(text)?;
        for e in ini.entries() {
            check_known(e)?;
        }
        let r = Reader { ini: &ini };
        let protocol = r.string("dram_structure", "protocol")?;
        let standard = match protocol.value.to_ascii_uppercase().as_str() {
            "DDR3" => Standard::DDR3,
            "DDR4" => Standard::DDR4,
            "LPDDR4" => Standard::LPDDR4,
            "HMC" | "HBM" | "HBM2" | "GDDR5" | "GDDR5X" | "GDDR6" | "LPDDR" | "LPDDR3" => {
                return Err(DramError::Unsupported {
                    origin: Origin::default(),
                    field: "dram_structure.protocol".into(),
                    message: format!(
                        "{} is not modelled here; this model covers the JEDEC DDR3, DDR4 and LPDDR4 command protocols{}",
                        protocol.value,
                        if protocol.value.eq_ignore_ascii_case("HMC") {
                            " (a Hybrid Memory Cube has vaults and serial links, not a DDR channel)"
                        } else {
                            ""
                        }
                    ),
                })
            }
            _ => {
                return Err(r.bad(
                    protocol,
                    "is not a DRAMsim3 protocol (DDR3, DDR4, LPDDR4, GDDR5, GDDR5X, GDDR6, HBM, HBM2, HMC, LPDDR, LPDDR3)",
                ))
            }
        };
        if let Some(e) = ini.get("dram_structure", "bankgroup_enable") {
            if !r.boolean(e)? {
                return Err(unsupported(
                    "dram_structure.bankgroup_enable",
                    "false (bank groups merged into one) is a GDDR option; not modelled",
                ));
            }
        }
        let dram_structure = DramStructure {
            protocol: standard,
            bankgroups: r.u32("dram_structure", "bankgroups")?,
            banks_per_group: r.u32("dram_structure", "banks_per_group")?,
            rows: r.u32("dram_structure", "rows")?,
            columns: r.u32("dram_structure", "columns")?,
            device_width: r.u32("dram_structure", "device_width")?,
            bl: r.u32("dram_structure", "BL")?,
        };
        let timing = Timing {
            tCK: r.f64("timing", "tCK")?,
            AL: r.u32_or("timing", "AL", 0)?,
            CL: r.u32("timing", "CL")?,
            CWL: r.u32("timing", "CWL")?,
            tRCD: r.u32("timing", "tRCD")?,
            tRP: r.u32("timing", "tRP")?,
            tRAS: r.u32("timing", "tRAS")?,
            tRFC: r.u32("timing", "tRFC")?,
            tREFI: r.u32("timing", "tREFI")?,
            tRRD_S: r.u32("timing", "tRRD_S")?,
            tRRD_L: r.u32("timing", "tRRD_L")?,
            tWTR_S: r.u32("timing", "tWTR_S")?,
            tWTR_L: r.u32("timing", "tWTR_L")?,
            tFAW: r.u32("timing", "tFAW")?,
            tWR: r.u32("timing", "tWR")?,
            tRTP: r.u32("timing", "tRTP")?,
            tCCD_S: r.u32("timing", "tCCD_S")?,
            tCCD_L: r.u32("timing", "tCCD_L")?,
            tRTRS: r.u32("timing", "tRTRS")?,
            tPPD: r.u32_or("timing", "tPPD", 0)?,
        };
        let power = Power {
            VDD: r.f64("power", "VDD")?,
            IDD0: r.f64("power", "IDD0")?,
            IDD2N: r.f64("power", "IDD2N")?,
            IDD3N: r.f64("power", "IDD3N")?,
            IDD4R: r.f64("power", "IDD4R")?,
            IDD4W: r.f64("power", "IDD4W")?,
            IDD5AB: r.f64("power", "IDD5AB")?,
        };
        let queue_structure = match r.string_or("system", "queue_structure")? {
            None => QueueStructure::PerBank,
            Some(e) if e.value == "PER_BANK" => QueueStructure::PerBank,
            Some(e) if e.value == "PER_RANK" => {
                return Err(unsupported(
                    "system.queue_structure",
                    "PER_RANK is not modelled; use PER_BANK",
                ))
            }
            Some(e) => return Err(r.bad(e, "is not PER_BANK or PER_RANK")),
        };
        let refresh_policy = match r.string_or("system", "refresh_policy")? {
            None => RefreshPolicy::RankLevelStaggered,
            Some(e) if e.value == "RANK_LEVEL_STAGGERED" => RefreshPolicy::RankLevelStaggered,
            Some(e) if e.value == "RANK_LEVEL_SIMULTANEOUS" => RefreshPolicy::RankLevelSimultaneous,
            Some(e) if e.value == "BANK_LEVEL_STAGGERED" => {
                return Err(unsupported(
                    "system.refresh_policy",
                    "BANK_LEVEL_STAGGERED (per-bank refresh) is not modelled",
                ))
            }
            Some(e) => return Err(r.bad(e, "is not a DRAMsim3 refresh policy")),
        };
        let row_buf_policy = match r.string_or("system", "row_buf_policy")? {
            None => RowBufferPolicy::OpenPage,
            Some(e) if e.value == "OPEN_PAGE" => RowBufferPolicy::OpenPage,
            Some(e) if e.value == "CLOSE_PAGE" => {
                return Err(unsupported(
                    "system.row_buf_policy",
                    "CLOSE_PAGE is not modelled; this is an open-page controller",
                ))
            }
            Some(e) => return Err(r.bad(e, "is not OPEN_PAGE or CLOSE_PAGE")),
        };
        for (key, what) in [
            ("unified_queue", "a unified read/write queue"),
            ("enable_self_refresh", "self-refresh"),
            ("aggressive_precharging_enabled", "aggressive precharging"),
        ] {
            if let Some(e) = ini.get("system", key) {
                if r.boolean(e)? {
                    return Err(unsupported(
                        &format!("system.{key}"),
                        &format!("true ({what}) is not modelled"),
                    ));
                }
            }
        }
        let system = System {
            channel_size: r.u32("system", "channel_size")?,
            channels: r.u32("system", "channels")?,
            bus_width: r.u32("system", "bus_width")?,
            address_mapping: r.string("system", "address_mapping")?.value.clone(),
            queue_structure,
            refresh_policy,
            row_buf_policy,
            cmd_queue_size: r.u32_or("system", "cmd_queue_size", 16)?,
            trans_queue_size: r.u32_or("system", "trans_queue_size", 32)?,
            command_bus: CommandBus::Shared,
            row_hit_cap: default_row_hit_cap(),
            write_drain_threshold: default_write_drain_threshold(),
            arbitration: default_arbitration(),
        };
        let cfg = DramConfig {
            id: id.to_string(),
            source: source.to_string(),
            dram_structure,
            timing,
            power,
            system,
        };
        cfg.validate().map_err(|e| match e {
            // Point a range error at the line of the `.ini` that set it.
            DramError::Config {
                origin,
                field,
                line: None,
                message,
            } => {
                let line = field
                    .split_once('.')
                    .and_then(|(s, k)| ini.get(s, k))
                    .map(|e| e.line);
                DramError::Config {
                    origin,
                    field,
                    line,
                    message,
                }
            }
            other => other,
        })?;
        Ok(cfg)
    }

    /// Check ranges and the relations between fields; every error names
    /// the field.
    pub fn validate(&self) -> Result<(), DramError> {
        let s = &self.dram_structure;
        for (name, v) in [
            ("dram_structure.bankgroups", s.bankgroups),
            ("dram_structure.banks_per_group", s.banks_per_group),
            ("dram_structure.rows", s.rows),
            ("dram_structure.columns", s.columns),
            ("dram_structure.device_width", s.device_width),
            ("dram_structure.BL", s.bl),
            ("system.channels", self.system.channels),
        ] {
            if v == 0 || !v.is_power_of_two() {
                return Err(field_error(name, format!("{v} is not a power of two")));
            }
        }
        if s.bl < 2 {
            return Err(field_error(
                "dram_structure.BL",
                "must be at least 2".into(),
            ));
        }
        if s.bl > s.columns {
            return Err(field_error(
                "dram_structure.BL",
                format!("{} exceeds the {} columns of a row", s.bl, s.columns),
            ));
        }
        if s.protocol == Standard::DDR4 && s.bankgroups == 1 {
            return Err(field_error(
                "dram_structure.bankgroups",
                "DDR4 has bank groups (2 or 4)".into(),
            ));
        }
        if s.bankgroups * s.banks_per_group > 1024 {
            return Err(field_error(
                "dram_structure.banks_per_group",
                "more than 1024 banks per device are not supported".into(),
            ));
        }
        let t = &self.timing;
        if !(t.tCK.is_finite() && t.tCK > 0.0) {
            return Err(field_error(
                "timing.tCK",
                format!("{} is not a positive period in ns", t.tCK),
            ));
        }
        for (name, v) in [
            ("timing.CL", t.CL),
            ("timing.CWL", t.CWL),
            ("timing.tRCD", t.tRCD),
            ("timing.tRP", t.tRP),
            ("timing.tRAS", t.tRAS),
            ("timing.tRFC", t.tRFC),
            ("timing.tREFI", t.tREFI),
            ("timing.tCCD_S", t.tCCD_S),
            ("timing.tCCD_L", t.tCCD_L),
        ] {
            if v == 0 {
                return Err(field_error(name, "must be at least 1 cycle".into()));
            }
        }
        if t.AL > t.tRCD {
            return Err(field_error(
                "timing.AL",
                format!(
                    "{} exceeds tRCD ({}): a posted CAS cannot wait less than zero",
                    t.AL, t.tRCD
                ),
            ));
        }
        if t.tCCD_L < t.tCCD_S {
            return Err(field_error(
                "timing.tCCD_L",
                format!("{} is shorter than tCCD_S ({})", t.tCCD_L, t.tCCD_S),
            ));
        }
        if t.tRRD_L < t.tRRD_S {
            return Err(field_error(
                "timing.tRRD_L",
                format!("{} is shorter than tRRD_S ({})", t.tRRD_L, t.tRRD_S),
            ));
        }
        if t.tWTR_L < t.tWTR_S {
            return Err(field_error(
                "timing.tWTR_L",
                format!("{} is shorter than tWTR_S ({})", t.tWTR_L, t.tWTR_S),
            ));
        }
        if t.tREFI <= t.tRFC {
            return Err(field_error(
                "timing.tREFI",
                format!(
                    "{} leaves no time between refreshes (tRFC = {})",
                    t.tREFI, t.tRFC
                ),
            ));
        }
        let p = &self.power;
        for (name, v) in [
            ("power.VDD", p.VDD),
            ("power.IDD0", p.IDD0),
            ("power.IDD2N", p.IDD2N),
            ("power.IDD3N", p.IDD3N),
            ("power.IDD4R", p.IDD4R),
            ("power.IDD4W", p.IDD4W),
            ("power.IDD5AB", p.IDD5AB),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(field_error(
                    name,
                    format!("{v} is not a non-negative number"),
                ));
            }
        }
        let sys = &self.system;
        if sys.bus_width == 0 || sys.bus_width % s.device_width != 0 {
            return Err(field_error(
                "system.bus_width",
                format!(
                    "{} bits is not a whole number of {}-bit devices",
                    sys.bus_width, s.device_width
                ),
            ));
        }
        let request_bytes = sys.bus_width as u64 / 8 * s.bl as u64;
        if request_bytes == 0 || !request_bytes.is_power_of_two() {
            return Err(field_error(
                "system.bus_width",
                format!("a burst of {request_bytes} bytes is not a power of two"),
            ));
        }
        let rank_mb = self.rank_megabytes();
        if rank_mb == 0 {
            return Err(field_error(
                "dram_structure.rows",
                "a rank of less than 1 MB is not supported".into(),
            ));
        }
        if sys.channel_size == 0 || sys.channel_size as u64 % rank_mb != 0 {
            return Err(field_error(
                "system.channel_size",
                format!(
                    "{} MB is not a whole number of {rank_mb} MB ranks",
                    sys.channel_size
                ),
            ));
        }
        let ranks = sys.channel_size as u64 / rank_mb;
        if !ranks.is_power_of_two() || ranks > 64 {
            return Err(field_error(
                "system.channel_size",
                format!(
                    "{} MB makes {ranks} ranks; 1, 2, 4 ... 64 are supported",
                    sys.channel_size
                ),
            ));
        }
        // The scheduler keeps bit masks over each command queue (one bit
        // per queued request, in a 64-bit word).
        if sys.cmd_queue_size == 0 || sys.cmd_queue_size > 64 {
            return Err(field_error(
                "system.cmd_queue_size",
                format!("is {}; 1 to 64 are supported", sys.cmd_queue_size),
            ));
        }
        if sys.trans_queue_size == 0 {
            return Err(field_error(
                "system.trans_queue_size",
                "must be at least 1".into(),
            ));
        }
        if let CommandBus::PerDimm(n) = sys.command_bus {
            if n == 0 || ranks % n as u64 != 0 {
                return Err(field_error(
                    "system.command_bus",
                    format!("PerDimm({n}) does not divide the {ranks} ranks into DIMMs"),
                ));
            }
        }
        AddressMapping::parse(&sys.address_mapping, &self.geometry())
            .map_err(|m| field_error("system.address_mapping", m))?;
        Ok(())
    }

    fn rank_megabytes(&self) -> u64 {
        let s = &self.dram_structure;
        let devices = (self.system.bus_width / s.device_width.max(1)) as u64;
        let page_bytes = s.columns as u64 * s.device_width as u64 / 8;
        let bank_bytes = page_bytes * s.rows as u64;
        bank_bytes * (s.bankgroups * s.banks_per_group) as u64 * devices / (1 << 20)
    }

    /// The sizes this configuration implies (ranks from `channel_size`, as
    /// DRAMsim3 computes them).
    pub fn geometry(&self) -> Geometry {
        let s = &self.dram_structure;
        let rank_mb = self.rank_megabytes().max(1);
        Geometry {
            channels: self.system.channels,
            ranks: (self.system.channel_size as u64 / rank_mb).max(1) as u32,
            bankgroups: s.bankgroups,
            banks_per_group: s.banks_per_group,
            rows: s.rows,
            columns: (s.columns / s.bl.max(1)).max(1),
            devices_per_rank: self.system.bus_width / s.device_width.max(1),
            request_bytes: self.system.bus_width / 8 * s.bl,
            burst_cycles: s.bl / 2,
        }
    }

    /// The address mapping named by `system.address_mapping`.
    pub fn address_mapping(&self) -> Result<AddressMapping, DramError> {
        AddressMapping::parse(&self.system.address_mapping, &self.geometry())
            .map_err(|m| field_error("system.address_mapping", m))
    }

    /// The clock period.
    pub fn tck(&self) -> pimzoo_core::units::Seconds {
        pimzoo_core::units::Seconds::from_ns(self.timing.tCK)
    }

    /// Write this configuration as a RON preset.
    pub fn to_ron(&self) -> String {
        ron::ser::to_string_pretty(self, ron::ser::PrettyConfig::default().struct_names(true))
            .unwrap_or_default()
    }
}

fn field_error(field: &str, message: String) -> DramError {
    DramError::Config {
        origin: Origin::default(),
        field: field.to_string(),
        line: None,
        message,
    }
}

fn unsupported(field: &str, message: &str) -> DramError {
    DramError::Unsupported {
        origin: Origin::default(),
        field: field.to_string(),
        message: message.to_string(),
    }
}

/// Typed access to an `.ini` file with errors that name the field.
struct Reader<'a> {
    ini: &'a IniFile,
}

impl<'a> Reader<'a> {
    fn missing(&self, section: &str, key: &str) -> DramError {
        DramError::Config {
            origin: Origin::default(),
            field: format!("{section}.{key}"),
            line: None,
            message: format!("missing (add `{key} = ...` to the [{section}] section)"),
        }
    }
    fn bad(&self, e: &IniEntry, what: &str) -> DramError {
        DramError::Config {
            origin: Origin::default(),
            field: format!("{}.{}", e.section, canonical_key(&e.section, &e.key)),
            line: Some(e.line),
            message: format!("`{}` {what}", e.value),
        }
    }
    fn string(&self, section: &str, key: &str) -> Result<&'a IniEntry, DramError> {
        let e = self
            .ini
            .get(section, key)
            .ok_or_else(|| self.missing(section, key))?;
        if e.value.is_empty() {
            return Err(self.bad(e, "is empty"));
        }
        Ok(e)
    }
    fn string_or(&self, section: &str, key: &str) -> Result<Option<&'a IniEntry>, DramError> {
        match self.ini.get(section, key) {
            None => Ok(None),
            Some(_) => self.string(section, key).map(Some),
        }
    }
    fn u32(&self, section: &str, key: &str) -> Result<u32, DramError> {
        let e = self.string(section, key)?;
        e.value
            .parse::<u32>()
            .map_err(|_| self.bad(e, "is not a non-negative integer"))
    }
    fn u32_or(&self, section: &str, key: &str, default: u32) -> Result<u32, DramError> {
        match self.ini.get(section, key) {
            None => Ok(default),
            Some(_) => self.u32(section, key),
        }
    }
    fn f64(&self, section: &str, key: &str) -> Result<f64, DramError> {
        let e = self.string(section, key)?;
        match e.value.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(self.bad(e, "is not a number")),
        }
    }
    fn boolean(&self, e: &IniEntry) -> Result<bool, DramError> {
        match e.value.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok(true),
            "false" | "no" | "off" | "0" => Ok(false),
            _ => Err(self.bad(e, "is not true or false")),
        }
    }
}

/// Every key DRAMsim3 reads or ships in its `configs/`, by section. The
/// `[thermal]` section is accepted whole.
const KNOWN_KEYS: &[(&str, &[&str])] = &[
    (
        "dram_structure",
        &[
            "protocol",
            "bankgroups",
            "banks_per_group",
            "bankgroup_enable",
            "rows",
            "columns",
            "device_width",
            "BL",
            "num_dies",
            "hbm_dual_cmd",
        ],
    ),
    (
        "timing",
        &[
            "tCK",
            "AL",
            "CL",
            "CWL",
            "tCCD_L",
            "tCCD_S",
            "tRTRS",
            "tRTP",
            "tRTP_L",
            "tRTP_S",
            "tWTR_L",
            "tWTR_S",
            "tWR",
            "tWR2",
            "tRP",
            "tRRD_L",
            "tRRD_S",
            "tRAS",
            "tRCD",
            "tRFC",
            "tRFC2",
            "tRFC4",
            "tRFCb",
            "tREFI",
            "tREFIb",
            "tFAW",
            "tRPRE",
            "tWPRE",
            "tPPD",
            "t32AW",
            "tRCDRD",
            "tRCDWR",
            "tCKE",
            "tCKESR",
            "tCKSRE",
            "tXS",
            "tXP",
            "ideal_memory_latency",
        ],
    ),
    (
        "power",
        &[
            "VDD", "IDD0", "IPP0", "IDD2P", "IDD2N", "IDD3P", "IDD3N", "IDD4W", "IDD4R", "IDD5AB",
            "IDD5PB", "IDD6x",
        ],
    ),
    (
        "system",
        &[
            "channel_size",
            "channels",
            "bus_width",
            "address_mapping",
            "queue_structure",
            "row_buf_policy",
            "cmd_queue_size",
            "trans_queue_size",
            "unified_queue",
            "write_buf_size",
            "refresh_policy",
            "enable_self_refresh",
            "sref_threshold",
            "aggressive_precharging_enabled",
        ],
    ),
    ("other", &["epoch_period", "output_level", "output_prefix"]),
    (
        "hmc",
        &[
            "num_links",
            "link_width",
            "link_speed",
            "block_size",
            "xbar_queue_depth",
        ],
    ),
];

fn canonical_key<'k>(section: &str, key: &'k str) -> &'k str {
    KNOWN_KEYS
        .iter()
        .find(|(s, _)| *s == section)
        .and_then(|(_, keys)| keys.iter().find(|k| k.eq_ignore_ascii_case(key)))
        .copied()
        .unwrap_or(key)
}

fn check_known(e: &IniEntry) -> Result<(), DramError> {
    if e.section == "thermal" {
        return Ok(());
    }
    let Some((_, keys)) = KNOWN_KEYS.iter().find(|(s, _)| *s == e.section) else {
        return Err(DramError::Syntax {
            origin: Origin::default(),
            line: Some(e.line),
            message: format!(
                "unknown section [{}] (DRAMsim3 has dram_structure, timing, power, system, other, hmc, thermal)",
                e.section
            ),
        });
    };
    if keys.iter().any(|k| k.eq_ignore_ascii_case(&e.key)) {
        Ok(())
    } else {
        Err(DramError::Config {
            origin: Origin::default(),
            field: format!("{}.{}", e.section, e.key),
            line: Some(e.line),
            message: "unknown field (not a DRAMsim3 key)".to_string(),
        })
    }
}
