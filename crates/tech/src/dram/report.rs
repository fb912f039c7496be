//! What a simulation reports: cycles, commands, buses and energy.
use super::command::CommandKind;
use pimzoo_core::units::{Bytes, BytesPerSecond, Joules, Seconds, Watts};
use serde::Serialize;

/// Energy by component. The total is the sum of the parts.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct EnergyBreakdown {
    /// ACT and PRE (IDD0 above standby, per ACT).
    pub activate_precharge: Joules,
    /// RD bursts (IDD4R above active standby).
    pub read: Joules,
    /// WR bursts (IDD4W above active standby).
    pub write: Joules,
    /// REF (IDD5AB above active standby, for tRFC).
    pub refresh: Joules,
    /// Active and precharge standby of every rank over the whole run.
    pub background: Joules,
    /// User command kinds, each under its own name, in kind order.
    pub user: Vec<NamedEnergy>,
}

/// The energy of one user command kind.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NamedEnergy {
    pub name: String,
    pub energy: Joules,
}

impl EnergyBreakdown {
    pub fn total(&self) -> Joules {
        self.activate_precharge
            + self.read
            + self.write
            + self.refresh
            + self.background
            + self.user.iter().map(|u| u.energy).sum::<Joules>()
    }

    /// Every component with its name, built-ins first.
    pub fn components(&self) -> Vec<(&str, Joules)> {
        let mut v = vec![
            ("activate/precharge", self.activate_precharge),
            ("read", self.read),
            ("write", self.write),
            ("refresh", self.refresh),
            ("background", self.background),
        ];
        v.extend(self.user.iter().map(|u| (u.name.as_str(), u.energy)));
        v
    }

    /// The sum of two breakdowns (user kinds matched by name).
    pub fn add(&mut self, o: &EnergyBreakdown) {
        self.activate_precharge += o.activate_precharge;
        self.read += o.read;
        self.write += o.write;
        self.refresh += o.refresh;
        self.background += o.background;
        for u in &o.user {
            match self.user.iter_mut().find(|m| m.name == u.name) {
                Some(m) => m.energy += u.energy,
                None => self.user.push(u.clone()),
            }
        }
    }
}

/// Commands of one kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CommandCount {
    pub kind: String,
    pub count: u64,
}

/// The outcome of running one channel.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChannelReport {
    /// Memory-clock cycles from 0 to the end of the last data burst (or to
    /// the end of the interval asked for).
    pub cycles: u64,
    pub tck: Seconds,
    /// `cycles * tck`.
    pub time: Seconds,
    /// Read requests served (from DRAM or from the write buffer).
    pub reads: u64,
    /// Write requests accepted (merged ones included).
    pub writes: u64,
    /// Reads served from the write buffer, with no DRAM command.
    pub forwarded_reads: u64,
    /// Writes merged into a pending write to the same burst.
    pub merged_writes: u64,
    /// Bytes of the requests served: (reads + writes) x burst size.
    pub bytes: Bytes,
    /// `bytes / time`.
    pub bandwidth: BytesPerSecond,
    /// Mean cycles from a read's admission to its last data beat.
    pub mean_read_latency: f64,
    /// Count of each command kind, in kind order (ACT, PRE, RD, WR, REF, user...).
    pub commands: Vec<CommandCount>,
    /// Column commands to a row already accessed since its ACT.
    pub row_hits: u64,
    /// Column commands that were the first to their row after an ACT.
    pub row_misses: u64,
    /// Busy fraction of each command bus (slots used / cycles).
    pub command_bus_utilization: Vec<f64>,
    /// Busy fraction of the data bus.
    pub data_bus_utilization: f64,
    pub energy: EnergyBreakdown,
    /// Scheduler steps taken: each jumps from one event to the next, so
    /// idle cycles cost none.
    pub events: u64,
}

impl ChannelReport {
    /// Commands of `kind`.
    pub fn count(&self, kind: CommandKind) -> u64 {
        self.commands.get(kind.index()).map_or(0, |c| c.count)
    }

    /// Commands of the kind named `name`.
    pub fn count_named(&self, name: &str) -> u64 {
        self.commands
            .iter()
            .find(|c| c.kind == name)
            .map_or(0, |c| c.count)
    }

    /// Mean power over the run.
    pub fn power(&self) -> Watts {
        if self.time.value() > 0.0 {
            self.energy.total() / self.time
        } else {
            Watts::ZERO
        }
    }
}

/// The outcome of running every channel of a memory system.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SystemReport {
    /// The slowest channel's cycles.
    pub cycles: u64,
    pub time: Seconds,
    pub reads: u64,
    pub writes: u64,
    pub bytes: Bytes,
    pub bandwidth: BytesPerSecond,
    /// Summed over channels.
    pub commands: Vec<CommandCount>,
    pub energy: EnergyBreakdown,
    pub channels: Vec<ChannelReport>,
}

impl SystemReport {
    pub fn from_channels(channels: Vec<ChannelReport>) -> SystemReport {
        let cycles = channels.iter().map(|c| c.cycles).max().unwrap_or(0);
        let time = channels
            .iter()
            .map(|c| c.time)
            .fold(Seconds::ZERO, Seconds::max);
        let reads = channels.iter().map(|c| c.reads).sum();
        let writes = channels.iter().map(|c| c.writes).sum();
        let bytes: Bytes = channels.iter().map(|c| c.bytes).sum();
        let mut commands: Vec<CommandCount> = Vec::new();
        let mut energy = EnergyBreakdown::default();
        for c in &channels {
            for cc in &c.commands {
                match commands.iter_mut().find(|m| m.kind == cc.kind) {
                    Some(m) => m.count += cc.count,
                    None => commands.push(cc.clone()),
                }
            }
            energy.add(&c.energy);
        }
        let bandwidth = if time.value() > 0.0 {
            bytes / time
        } else {
            BytesPerSecond::ZERO
        };
        SystemReport {
            cycles,
            time,
            reads,
            writes,
            bytes,
            bandwidth,
            commands,
            energy,
            channels,
        }
    }

    /// Commands of the kind named `name`, every channel.
    pub fn count_named(&self, name: &str) -> u64 {
        self.commands
            .iter()
            .find(|c| c.kind == name)
            .map_or(0, |c| c.count)
    }
}
