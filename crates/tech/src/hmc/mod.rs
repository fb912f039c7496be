//! The Hybrid Memory Cube (HMC) as a host for near-memory compute: vaults and
//! their internal bandwidth, serial links, energy per bit moved and static
//! power. Architecture models (NTX, any logic-die PIM) count bytes and time;
//! this module turns them into bandwidth limits, joules and watts.
//!
//! Sources of the figures are in the presets that fill [`HmcSpec`] (for NTX:
//! `fixtures/configs/ntx/*.ron`) and in `docs/models/ntx.md`; the structure of
//! a cube (vaults, TSV width, vault clock, links, standby currents) can be read
//! from a DRAMsim3 HMC configuration with [`Dramsim3Hmc::parse`].
//!
//! ```text
//! B_vault    = TSV bits x 2 / tCK / 8            (DDR on the TSVs)
//! B_internal = vaults x B_vault x eta_vault
//! B_link     = lanes x lane rate / 8 x eta_link  (per direction, payload)
//! E_local    = bits x (e_dram + e_vault_ctrl + e_lob_xbar)   (data consumed on the logic die)
//! E_link     = bits x e_link                               (data leaving the cube)
//! P_static   = vaults x VDD x (I_standby + (I_refresh - I_standby) x tRFC / tREFI)
//!            + P_lob_static + [links up] P_link_idle
//! ```
use pimzoo_core::units::{Bytes, BytesPerSecond, Hertz, Joules, Seconds, Watts};
use serde::{Deserialize, Serialize};

mod ini;
pub use ini::Dramsim3Hmc;

/// A configuration that cannot describe a cube; the message names the field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HmcError {
    #[error("HMC `{name}`: {message}")]
    Invalid { name: String, message: String },
    #[error("DRAMsim3 HMC configuration: {0}")]
    Ini(String),
}

/// Energy per bit of the paths data takes in and out of a cube.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HmcEnergy {
    /// DRAM array plus TSV, per bit read or written.
    pub dram_per_bit: Joules,
    /// Vault controller on the logic die, per bit.
    pub vault_controller_per_bit: Joules,
    /// Logic-die interconnect between vault controllers and the compute, per bit.
    pub interconnect_per_bit: Joules,
    /// Serial link (SerDes and channel), per bit sent to another device.
    pub link_per_bit: Joules,
}

/// DRAM standby and refresh currents of one vault, as a DRAMsim3 `[power]`
/// and `[timing]` section gives them (currents per vault device).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultStandby {
    /// Supply voltage, volts.
    pub vdd_volts: f64,
    /// Standby current with all banks precharged (IDD2N), milliamperes. The
    /// vaults run a closed-page policy, so banks idle precharged.
    pub standby_ma: f64,
    /// All-bank refresh current (IDD5AB), milliamperes.
    pub refresh_ma: f64,
    /// Refresh cycle time tRFC, in vault clock cycles.
    pub t_rfc_cycles: f64,
    /// Average refresh interval tREFI, in vault clock cycles.
    pub t_refi_cycles: f64,
}

/// The parameters of one cube.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HmcSpec {
    /// Human-readable name (`HMC 2.1, 8 GB, 4 links x 16 lanes`).
    pub name: String,
    /// Independent vaults (memory controllers with their TSV bus).
    pub vaults: u32,
    /// Data TSVs per vault.
    pub vault_bus_bits: u32,
    /// Vault clock period; data move on both edges.
    pub vault_clock_period: Seconds,
    /// Achieved fraction of the peak vault bandwidth under streaming access.
    pub vault_efficiency: f64,
    /// DRAM capacity of the cube.
    pub capacity: Bytes,
    /// Serial links of the cube.
    pub links: u32,
    /// Lanes per link and direction.
    pub lanes_per_link: u32,
    /// Lane rate, bits per second.
    pub lane_rate_bps: f64,
    /// Payload fraction of the raw link rate (packet headers, tails, flow control).
    pub link_efficiency: f64,
    pub energy: HmcEnergy,
    /// Power of all links kept up while idle (null flits).
    pub link_idle_power: Watts,
    pub vault_standby: VaultStandby,
    /// Static power of the logic die besides the links (vault controllers,
    /// interconnect) when it is not folded into the per-bit energies.
    pub logic_static_power: Watts,
}

/// A validated cube.
#[derive(Clone, Debug, PartialEq)]
pub struct Hmc {
    spec: HmcSpec,
}

fn check_positive(name: &str, v: f64) -> Result<(), String> {
    if v.is_finite() && v > 0.0 {
        Ok(())
    } else {
        Err(format!(
            "`{name}` must be a positive finite number, found {v}"
        ))
    }
}

fn check_non_negative(name: &str, v: f64) -> Result<(), String> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        Err(format!(
            "`{name}` must be a non-negative finite number, found {v}"
        ))
    }
}

fn check_fraction(name: &str, v: f64) -> Result<(), String> {
    if v.is_finite() && v > 0.0 && v <= 1.0 {
        Ok(())
    } else {
        Err(format!("`{name}` must lie in (0, 1], found {v}"))
    }
}

impl Hmc {
    /// Validate a specification; the error names the offending field.
    pub fn new(spec: HmcSpec) -> Result<Hmc, HmcError> {
        let check = || -> Result<(), String> {
            for (name, v) in [
                ("vaults", spec.vaults),
                ("vault_bus_bits", spec.vault_bus_bits),
                ("lanes_per_link", spec.lanes_per_link),
            ] {
                if v == 0 {
                    return Err(format!("`{name}` must be at least 1"));
                }
            }
            check_positive("vault_clock_period", spec.vault_clock_period.value())?;
            check_fraction("vault_efficiency", spec.vault_efficiency)?;
            check_positive("capacity", spec.capacity.value())?;
            check_positive("lane_rate_bps", spec.lane_rate_bps)?;
            check_fraction("link_efficiency", spec.link_efficiency)?;
            let e = &spec.energy;
            check_non_negative("energy.dram_per_bit", e.dram_per_bit.value())?;
            check_non_negative(
                "energy.vault_controller_per_bit",
                e.vault_controller_per_bit.value(),
            )?;
            check_non_negative(
                "energy.interconnect_per_bit",
                e.interconnect_per_bit.value(),
            )?;
            check_non_negative("energy.link_per_bit", e.link_per_bit.value())?;
            check_non_negative("link_idle_power", spec.link_idle_power.value())?;
            check_non_negative("logic_static_power", spec.logic_static_power.value())?;
            let s = &spec.vault_standby;
            check_non_negative("vault_standby.vdd_volts", s.vdd_volts)?;
            check_non_negative("vault_standby.standby_ma", s.standby_ma)?;
            check_non_negative("vault_standby.refresh_ma", s.refresh_ma)?;
            check_non_negative("vault_standby.t_rfc_cycles", s.t_rfc_cycles)?;
            check_positive("vault_standby.t_refi_cycles", s.t_refi_cycles)?;
            if s.t_rfc_cycles > s.t_refi_cycles {
                return Err(format!(
                    "`vault_standby.t_rfc_cycles` ({}) exceeds `t_refi_cycles` ({}): the vault would refresh all the time",
                    s.t_rfc_cycles, s.t_refi_cycles
                ));
            }
            Ok(())
        };
        check().map_err(|message| HmcError::Invalid {
            name: spec.name.clone(),
            message,
        })?;
        Ok(Hmc { spec })
    }

    pub fn spec(&self) -> &HmcSpec {
        &self.spec
    }

    /// Vault clock frequency.
    pub fn vault_clock(&self) -> Hertz {
        Hertz(1.0 / self.spec.vault_clock_period.value())
    }

    /// Peak bandwidth of one vault: TSV bits x 2 transfers per clock / 8.
    pub fn vault_bandwidth(&self) -> BytesPerSecond {
        BytesPerSecond(self.spec.vault_bus_bits as f64 * 2.0 * self.vault_clock().value() / 8.0)
    }

    /// Peak bandwidth of all vaults together (the logic die's view of the DRAM).
    pub fn internal_bandwidth(&self) -> BytesPerSecond {
        self.vault_bandwidth() * self.spec.vaults as f64
    }

    /// Bandwidth the logic die achieves from `vaults` vaults under streaming
    /// access (peak x `vault_efficiency`).
    pub fn achieved_bandwidth(&self, vaults: u32) -> BytesPerSecond {
        self.vault_bandwidth() * (vaults as f64 * self.spec.vault_efficiency)
    }

    /// Raw rate of one link in one direction: lanes x lane rate / 8.
    pub fn link_raw_bandwidth(&self) -> BytesPerSecond {
        BytesPerSecond(self.spec.lanes_per_link as f64 * self.spec.lane_rate_bps / 8.0)
    }

    /// Payload bandwidth of one link in one direction.
    pub fn link_bandwidth(&self) -> BytesPerSecond {
        self.link_raw_bandwidth() * self.spec.link_efficiency
    }

    /// Raw external bandwidth of the cube, all links, both directions.
    pub fn external_raw_bandwidth(&self) -> BytesPerSecond {
        self.link_raw_bandwidth() * (2.0 * self.spec.links as f64)
    }

    /// Energy per bit of data read or written by logic on the die: DRAM
    /// array and TSV, vault controller, logic-die interconnect.
    pub fn local_energy_per_bit(&self) -> Joules {
        let e = &self.spec.energy;
        e.dram_per_bit + e.vault_controller_per_bit + e.interconnect_per_bit
    }

    /// Energy of moving `bytes` between the DRAM and logic on the die.
    pub fn local_access_energy(&self, bytes: Bytes) -> Joules {
        self.local_energy_per_bit() * (8.0 * bytes.value())
    }

    /// Energy of sending `bytes` over serial links (one hop).
    pub fn link_transfer_energy(&self, bytes: Bytes) -> Joules {
        self.spec.energy.link_per_bit * (8.0 * bytes.value())
    }

    /// DRAM background and refresh power of all vaults, from the standby
    /// and refresh currents: `VDD x (I_standby + (I_refresh - I_standby) x tRFC / tREFI)`.
    pub fn dram_static_power(&self) -> Watts {
        let s = &self.spec.vault_standby;
        let refresh_share = s.t_rfc_cycles / s.t_refi_cycles;
        let amps = (s.standby_ma + (s.refresh_ma - s.standby_ma).max(0.0) * refresh_share) * 1e-3;
        Watts(self.spec.vaults as f64 * s.vdd_volts * amps)
    }

    /// Power drawn whatever the traffic: DRAM standby and refresh, logic-die
    /// static power and, when `links_up`, the idle power of the serial links
    /// (a cube that computes on its own data can power-gate them).
    pub fn static_power(&self, links_up: bool) -> Watts {
        let links = if links_up {
            self.spec.link_idle_power
        } else {
            Watts::ZERO
        };
        self.dram_static_power() + self.spec.logic_static_power + links
    }

    /// Idle power of one serial link.
    pub fn link_idle_power_each(&self) -> Watts {
        if self.spec.links == 0 {
            Watts::ZERO
        } else {
            self.spec.link_idle_power / self.spec.links as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A round-number cube: 32 vaults of 32 TSVs at 0.8 ns (10 GB/s each).
    pub(crate) fn spec() -> HmcSpec {
        HmcSpec {
            name: "test cube".into(),
            vaults: 32,
            vault_bus_bits: 32,
            vault_clock_period: Seconds::from_ns(0.8),
            vault_efficiency: 0.9,
            capacity: Bytes(8.0 * (1u64 << 30) as f64),
            links: 4,
            lanes_per_link: 16,
            lane_rate_bps: 30e9,
            link_efficiency: 0.5,
            energy: HmcEnergy {
                dram_per_bit: Joules::from_pj(3.7),
                vault_controller_per_bit: Joules::from_pj(0.75),
                interconnect_per_bit: Joules::from_pj(0.4),
                link_per_bit: Joules::from_pj(13.7),
            },
            link_idle_power: Watts(1.98),
            vault_standby: VaultStandby {
                vdd_volts: 1.2,
                standby_ma: 19.0,
                refresh_ma: 150.0,
                t_rfc_cycles: 420.0,
                t_refi_cycles: 9364.0,
            },
            logic_static_power: Watts::ZERO,
        }
    }

    #[test]
    fn bandwidths_follow_the_tsv_and_lane_arithmetic() {
        let h = Hmc::new(spec()).unwrap();
        // 32 bits x 2 / 0.8 ns / 8 = 10 GB/s per vault, 320 GB/s in all.
        assert!((h.vault_bandwidth().value() - 10e9).abs() < 1.0);
        assert!((h.internal_bandwidth().value() - 320e9).abs() < 1.0);
        assert!((h.achieved_bandwidth(32).value() - 288e9).abs() < 1.0);
        // 16 lanes x 30 Gb/s / 8 = 60 GB/s per direction; 4 links both ways 480 GB/s.
        assert!((h.link_raw_bandwidth().value() - 60e9).abs() < 1.0);
        assert!((h.link_bandwidth().value() - 30e9).abs() < 1.0);
        assert!((h.external_raw_bandwidth().value() - 480e9).abs() < 1.0);
    }

    #[test]
    fn energies_and_static_power() {
        let h = Hmc::new(spec()).unwrap();
        // 1 kB on the die: 8000 bits x 4.85 pJ.
        let e = h.local_access_energy(Bytes(1000.0)).value();
        assert!((e - 8000.0 * 4.85e-12).abs() < 1e-18);
        let l = h.link_transfer_energy(Bytes(1000.0)).value();
        assert!((l - 8000.0 * 13.7e-12).abs() < 1e-18);
        // 32 x 1.2 V x (19 + 131 x 420/9364) mA
        let expect = 32.0 * 1.2 * (19.0 + 131.0 * 420.0 / 9364.0) * 1e-3;
        assert!((h.dram_static_power().value() - expect).abs() < 1e-12);
        assert!(
            (h.static_power(true).value() - h.static_power(false).value() - 1.98).abs() < 1e-12
        );
    }

    #[test]
    fn validation_names_the_field() {
        let mut s = spec();
        s.vault_efficiency = 1.5;
        let e = Hmc::new(s).unwrap_err().to_string();
        assert!(e.contains("vault_efficiency"), "{e}");
        let mut s = spec();
        s.vaults = 0;
        assert!(Hmc::new(s).unwrap_err().to_string().contains("vaults"));
        let mut s = spec();
        s.vault_standby.t_rfc_cycles = 1e6;
        assert!(Hmc::new(s)
            .unwrap_err()
            .to_string()
            .contains("t_rfc_cycles"));
        let mut s = spec();
        s.energy.link_per_bit = Joules(f64::NAN);
        assert!(Hmc::new(s)
            .unwrap_err()
            .to_string()
            .contains("link_per_bit"));
    }
}
