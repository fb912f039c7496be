//! One NTX cluster: a RISC-V control core, `n` NTX engines, a banked TCDM
//! (tightly coupled data memory) fed by a DMA engine, and the cost of running
//! one tile of work on it.
//!
//! A tile is a set of alike commands, spread over the engines in rounds of
//! one command per engine. The core writes each round's configuration into
//! the engines' staging registers while the previous command runs (one
//! command running, one staged), so a round takes
//!
//! ```text
//! t_round = max(C_cmd / eta_tcdm + [dependent] t_drain,  r x (W_round x c_store + c_round))
//! ```
//!
//! NTX cycles, with `r` the NTX-to-core clock ratio (2) and `W_round` the
//! register writes of one round (broadcast writes count once, per-engine
//! writes once per engine). A tile adds its configuration, the pipeline
//! drain before the double buffers swap and the core's synchronisation.
//! Bank conflicts follow Strecker's interleaved-memory model: `M` requests
//! per cycle spread uniformly over `B` banks are served at
//! `E = B (1 - (1 - 1/B)^M)` per cycle, so `eta_tcdm = E / M`.
use crate::engine::Command;
use pimzoo_core::units::{Bytes, Hertz, SquareMm, Watts};
use serde::{Deserialize, Serialize};

/// How the control core hands commands to the engines.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OffloadScheme {
    /// Engines one core drives.
    pub engines_per_core: u32,
    /// A write to the broadcast alias reaches every engine's staging area.
    pub broadcast: bool,
    /// The staging registers keep their values between commands, so only
    /// what changes is rewritten.
    pub persistent_config: bool,
}

/// Costs of the control core, in core cycles.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoreCosts {
    /// One store to a staging register.
    pub store_cycles: f64,
    /// Loop bookkeeping and the ready poll of one round.
    pub round_overhead_cycles: f64,
    /// Per tile: wait for the engines, barrier, program the DMA transfers.
    pub tile_sync_cycles: f64,
    /// One element of a function the engines cannot compute (exp, division,
    /// square root), in software on the core.
    pub special_function_cycles: f64,
}

/// The parameters of one cluster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSpec {
    /// NTX engines per cluster.
    pub engines: u32,
    /// NTX clock.
    pub clock: Hertz,
    /// NTX cycles per core cycle (the staging interface runs at half rate).
    pub core_clock_ratio: f64,
    /// Cluster power with every engine busy.
    pub power: Watts,
    /// Fraction of `power` drawn while the engines wait (clock-gated
    /// datapaths; leakage, clock tree and the core remain).
    pub idle_power_fraction: f64,
    pub area: SquareMm,
    /// TCDM capacity; tiles are double-buffered in it.
    pub tcdm: Bytes,
    /// TCDM banks (32-bit words, word-interleaved).
    pub tcdm_banks: u32,
    /// DMA bandwidth between the vaults and the TCDM, bytes per NTX cycle.
    pub dma_bytes_per_cycle: f64,
    /// FMAC pipeline depth, cycles.
    pub mac_latency: u32,
    /// Normaliser (rounding of the wide accumulator), cycles.
    pub normalizer_latency: u32,
    /// Output FIFO to TCDM write, cycles.
    pub writeback_latency: u32,
    pub core: CoreCosts,
    pub offload: OffloadScheme,
}

impl ClusterSpec {
    /// Validate; the message names the field.
    pub fn check(&self) -> Result<(), String> {
        let pos = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(format!(
                    "`cluster.{name}` must be a positive finite number, found {v}"
                ))
            }
        };
        let non_neg = |name: &str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(format!(
                    "`cluster.{name}` must be a non-negative finite number, found {v}"
                ))
            }
        };
        if self.engines == 0 {
            return Err("`cluster.engines` must be at least 1".into());
        }
        if self.tcdm_banks == 0 {
            return Err("`cluster.tcdm_banks` must be at least 1".into());
        }
        pos("clock", self.clock.value())?;
        pos("core_clock_ratio", self.core_clock_ratio)?;
        pos("power", self.power.value())?;
        if !(0.0..=1.0).contains(&self.idle_power_fraction) {
            return Err(format!(
                "`cluster.idle_power_fraction` must lie in [0, 1], found {}",
                self.idle_power_fraction
            ));
        }
        pos("area", self.area.value())?;
        pos("dma_bytes_per_cycle", self.dma_bytes_per_cycle)?;
        // The smallest useful tile: a few hundred words double-buffered.
        if self.tcdm.value() < 4096.0 || !self.tcdm.value().is_finite() {
            return Err(format!(
                "`cluster.tcdm` must be at least 4 kB, found {}",
                self.tcdm
            ));
        }
        non_neg("core.store_cycles", self.core.store_cycles)?;
        non_neg(
            "core.round_overhead_cycles",
            self.core.round_overhead_cycles,
        )?;
        non_neg("core.tile_sync_cycles", self.core.tile_sync_cycles)?;
        non_neg(
            "core.special_function_cycles",
            self.core.special_function_cycles,
        )?;
        check_scheme("cluster.offload", &self.offload, self.engines)
    }

    /// Peak floating-point operations per second (one FMAC per engine and cycle).
    pub fn peak_flops(&self) -> f64 {
        2.0 * self.engines as f64 * self.clock.value()
    }

    /// Cycles from the last step of a command to its result in the TCDM:
    /// exposed when the next command needs that result, and before a tile's
    /// buffers swap.
    pub fn drain_cycles(&self) -> f64 {
        (self.mac_latency + self.normalizer_latency + self.writeback_latency) as f64
    }

    /// TCDM words usable by one of the two tile buffers.
    pub fn tile_words(&self) -> f64 {
        (self.tcdm.value() / 2.0 / 4.0).floor()
    }
}

/// Validate an offload scheme for a cluster of `engines` engines.
pub fn check_scheme(name: &str, s: &OffloadScheme, engines: u32) -> Result<(), String> {
    if s.engines_per_core == 0 || s.engines_per_core > engines {
        return Err(format!(
            "`{name}.engines_per_core` must lie in 1..={engines}, found {}",
            s.engines_per_core
        ));
    }
    Ok(())
}

/// Strecker's interleaved-memory model: the fraction of `requests` (per
/// cycle, spread uniformly over `banks`) served in a cycle.
pub fn bank_service_fraction(requests: f64, banks: u32) -> f64 {
    if requests <= 1.0 {
        return 1.0;
    }
    let b = banks as f64;
    let served = b * (1.0 - (1.0 - 1.0 / b).powf(requests));
    (served / requests).min(1.0)
}

/// One tile of work on one cluster: `commands` alike commands.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TileWork {
    pub cmd: Command,
    pub commands: u64,
    /// Consecutive commands on an engine depend on each other's result.
    pub dependent: bool,
    /// Staging registers that change between consecutive commands of an
    /// engine (base addresses).
    pub changed_registers: u32,
    /// Bytes the DMA moves between the vaults and the TCDM for this tile.
    pub dma_bytes: f64,
    /// The tile is configured, synchronised and double-buffered on its own
    /// (`false`: a further pass over a tile already in the TCDM).
    pub own_tile: bool,
}

/// The cost of one tile on one cluster.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TileCost {
    /// NTX cycles from the tile's configuration to its last result, with
    /// the synchronisation before the buffers swap.
    pub cycles: f64,
    /// Engine-cycles spent executing commands (including bank stalls).
    pub busy_engine_cycles: f64,
    /// Floating-point operations executed.
    pub flops: f64,
    /// Core cycles spent offloading (configuration and issue).
    pub offload_core_cycles: f64,
    pub commands: f64,
    pub dma_bytes: f64,
    /// Whether the core, not the engines, set the pace of the rounds.
    pub issue_bound: bool,
}

/// Register writes and core cycles to offload commands under a scheme.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IssueCost {
    /// Core cycles of one round (one command per engine of one core).
    pub round_core_cycles: f64,
    /// Core cycles of a tile's configuration.
    pub setup_core_cycles: f64,
    /// Commands in one round of one core.
    pub commands_per_round: f64,
}

/// What offloading commands of `cmd`'s shape costs one core under `scheme`.
pub fn issue_cost(
    scheme: &OffloadScheme,
    core: &CoreCosts,
    cmd: &Command,
    changed_registers: u32,
) -> IssueCost {
    let n = scheme.engines_per_core as f64;
    let full = cmd.config_registers() as f64;
    // The command word: one broadcast write, or one per engine.
    let cmd_writes = if scheme.broadcast { 1.0 } else { n };
    let (round_writes, setup_writes) = if scheme.persistent_config {
        // Loop bounds and strides are common to the engines: broadcast once
        // per tile, or written to each engine. Each engine has its own bases.
        let common = full - 3.0;
        let setup = if scheme.broadcast {
            common + 3.0 * n
        } else {
            full * n
        };
        (n * changed_registers as f64 + cmd_writes, setup)
    } else {
        // Every command carries its whole configuration.
        (n * (full + 1.0), 0.0)
    };
    IssueCost {
        round_core_cycles: round_writes * core.store_cycles + core.round_overhead_cycles,
        setup_core_cycles: setup_writes * core.store_cycles,
        commands_per_round: n,
    }
}

/// Core cycles (summed over the cores) to configure and issue the commands
/// of `tile` under `scheme`: the tile's configuration on every core, and one
/// round per `engines_per_core` commands.
pub fn offload_core_cycles(
    scheme: &OffloadScheme,
    core: &CoreCosts,
    engines: u32,
    tile: &TileWork,
) -> f64 {
    let issue = issue_cost(scheme, core, &tile.cmd, tile.changed_registers);
    let n = scheme.engines_per_core as f64;
    let cores = (engines as f64 / n)
        .ceil()
        .min((tile.commands as f64 / n).ceil());
    let rounds = tile.commands as f64 / n;
    cores * issue.setup_core_cycles + rounds * issue.round_core_cycles
}

impl ClusterSpec {
    /// The cost of `tile` on this cluster, given the bytes per NTX cycle
    /// the DMA streams meanwhile (it shares the TCDM banks).
    pub fn tile_cost(&self, tile: &TileWork) -> TileCost {
        if tile.commands == 0 {
            return TileCost::default();
        }
        let engines = self.engines as f64;
        let cmd_cycles = tile.cmd.cycles();
        let rounds = (tile.commands as f64 / engines).ceil();
        // Requests per cycle: each engine's accesses over its command, plus
        // the DMA's words if it streams this tile's data meanwhile.
        let per_engine = tile.cmd.accesses() as f64 / cmd_cycles;
        let dma_words =
            (tile.dma_bytes / 4.0 / (rounds * cmd_cycles)).min(self.dma_bytes_per_cycle / 4.0);
        let active = engines.min(tile.commands as f64);
        let eta = bank_service_fraction(active * per_engine + dma_words, self.tcdm_banks);
        let dependent = if tile.dependent {
            self.drain_cycles()
        } else {
            0.0
        };
        let t_cmd = cmd_cycles / eta + dependent;
        let issue = issue_cost(&self.offload, &self.core, &tile.cmd, tile.changed_registers);
        // All cores of the cluster issue in parallel, each to its engines.
        let t_issue = self.core_clock_ratio * issue.round_core_cycles;
        let t_round = t_cmd.max(t_issue);
        let (sync, setup) = if tile.own_tile {
            (
                self.drain_cycles() + self.core_clock_ratio * self.core.tile_sync_cycles,
                self.core_clock_ratio * issue.setup_core_cycles,
            )
        } else {
            // A further pass: its first round waits for the previous pass's
            // results (the `dependent` drain); the loop nest changes.
            (0.0, self.core_clock_ratio * issue.setup_core_cycles)
        };
        TileCost {
            cycles: setup + rounds * t_round + sync,
            busy_engine_cycles: tile.commands as f64 * cmd_cycles / eta,
            flops: (tile.commands * tile.cmd.flops()) as f64,
            offload_core_cycles: offload_core_cycles(&self.offload, &self.core, self.engines, tile),
            commands: tile.commands as f64,
            dma_bytes: tile.dma_bytes,
            issue_bound: t_issue > t_cmd,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::engine::Opcode;

    pub(crate) fn spec() -> ClusterSpec {
        ClusterSpec {
            engines: 8,
            clock: Hertz(1.25e9),
            core_clock_ratio: 2.0,
            power: Watts(0.168),
            idle_power_fraction: 0.2,
            area: SquareMm(1.0),
            tcdm: Bytes(65536.0),
            tcdm_banks: 32,
            dma_bytes_per_cycle: 8.0,
            mac_latency: 10,
            normalizer_latency: 5,
            writeback_latency: 2,
            core: CoreCosts {
                store_cycles: 1.0,
                round_overhead_cycles: 6.0,
                tile_sync_cycles: 40.0,
                special_function_cycles: 20.0,
            },
            offload: OffloadScheme {
                engines_per_core: 8,
                broadcast: true,
                persistent_config: true,
            },
        }
    }

    #[test]
    fn strecker_matches_its_limits() {
        assert_eq!(bank_service_fraction(0.5, 32), 1.0);
        // 16 requests on 32 banks: 32 (1 - (31/32)^16) / 16.
        let f = bank_service_fraction(16.0, 32);
        let expect = 32.0 * (1.0 - (31.0f64 / 32.0).powi(16)) / 16.0;
        assert!((f - expect).abs() < 1e-12);
        assert!(bank_service_fraction(16.0, 1024) > f);
    }

    #[test]
    fn long_commands_hide_the_issue_and_short_ones_do_not() {
        let c = spec();
        let long = Command::new(Opcode::Mac, &[3, 3, 64, 14, 14], 3, 3, false).unwrap();
        let t = c.tile_cost(&TileWork {
            cmd: long,
            commands: 64,
            dependent: false,
            changed_registers: 2,
            dma_bytes: 0.0,
            own_tile: true,
        });
        assert!(!t.issue_bound);
        // 8 rounds of the command, slowed by conflicts, plus setup and sync.
        assert!(t.cycles > 8.0 * long.cycles());
        let short = Command::new(Opcode::VAddSub, &[4], 0, 0, true).unwrap();
        let s = c.tile_cost(&TileWork {
            cmd: short,
            commands: 64,
            dependent: false,
            changed_registers: 2,
            dma_bytes: 0.0,
            own_tile: true,
        });
        assert!(s.issue_bound);
    }

    #[test]
    fn a_dependent_pass_waits_for_the_drain_but_not_for_a_new_tile() {
        let c = spec();
        let cmd = Command::new(Opcode::Mac, &[1, 64], 1, 1, true).unwrap();
        let tile = |dependent, own_tile| {
            c.tile_cost(&TileWork {
                cmd,
                commands: 8,
                dependent,
                changed_registers: 3,
                dma_bytes: 0.0,
                own_tile,
            })
        };
        let first = tile(false, true);
        let next = tile(true, false);
        let sync = c.drain_cycles() + 2.0 * c.core.tile_sync_cycles;
        // One round: the dependent pass adds the drain, saves the tile sync.
        assert!((next.cycles - (first.cycles - sync + c.drain_cycles())).abs() < 1e-9);
    }

    #[test]
    fn broadcast_and_persistent_registers_cut_the_offload() {
        let c = spec();
        let cmd = Command::new(Opcode::Mac, &[3, 3, 16, 8, 8], 3, 3, false).unwrap();
        let ntx = issue_cost(&c.offload, &c.core, &cmd, 2);
        // 8 engines x 2 bases + 1 broadcast command word + 6 overhead.
        assert_eq!(ntx.round_core_cycles, 23.0);
        let ns = OffloadScheme {
            engines_per_core: 2,
            broadcast: false,
            persistent_config: false,
        };
        let base = issue_cost(&ns, &c.core, &cmd, 2);
        // 2 engines x (5 bounds + 15 strides + 3 bases + 1 command) + 6.
        assert_eq!(base.round_core_cycles, 2.0 * 24.0 + 6.0);
    }

    #[test]
    fn validation_names_the_field() {
        let mut s = spec();
        s.idle_power_fraction = 2.0;
        assert!(s.check().unwrap_err().contains("idle_power_fraction"));
        let mut s = spec();
        s.offload.engines_per_core = 9;
        assert!(s.check().unwrap_err().contains("engines_per_core"));
        assert!(spec().check().is_ok());
    }
}
