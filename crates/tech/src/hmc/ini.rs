//! Reading the structure of a cube from a DRAMsim3 HMC configuration
//! (`configs/HMC*.ini` of github.com/umd-memsys/DRAMsim3): links, lanes, lane
//! rate, vaults (DRAMsim3 channels), TSV width, clock, capacity and the
//! standby and refresh currents. Energy per bit and efficiencies are not in
//! these files; they come from the preset.
use super::{HmcError, VaultStandby};
use pimzoo_core::units::{Bytes, Seconds};
use std::collections::HashMap;

/// The fields of a DRAMsim3 HMC configuration that describe the cube.
#[derive(Clone, Debug, PartialEq)]
pub struct Dramsim3Hmc {
    pub links: u32,
    pub lanes_per_link: u32,
    /// `link_speed` (Mb/s in the file), in bits per second.
    pub lane_rate_bps: f64,
    /// `channels`: one DRAMsim3 channel per vault.
    pub vaults: u32,
    /// `bus_width`: data TSVs per vault.
    pub vault_bus_bits: u32,
    /// `tCK`.
    pub vault_clock_period: Seconds,
    /// `channel_size` (MB) x `channels`.
    pub capacity: Bytes,
    /// `VDD`, `IDD2N`, `IDD5AB`, `tRFC`, `tREFI`.
    pub vault_standby: VaultStandby,
}

impl Dramsim3Hmc {
    /// Parse the text of a configuration; the error names the missing or
    /// malformed key and its section.
    pub fn parse(text: &str) -> Result<Dramsim3Hmc, HmcError> {
        let mut values: HashMap<(String, String), String> = HashMap::new();
        let mut section = String::new();
        for (n, raw) in text.lines().enumerate() {
            // A `;` starts a comment, as in DRAMsim3's own files.
            let line = raw.split(';').next().unwrap_or("").trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = name.trim().to_string();
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                return Err(HmcError::Ini(format!(
                    "line {}: `{line}` is neither a [section] nor key = value",
                    n + 1
                )));
            };
            values.insert(
                (section.clone(), key.trim().to_string()),
                value.trim().to_string(),
            );
        }
        let get = |section: &str, key: &str| -> Result<f64, HmcError> {
            let v = values
                .get(&(section.to_string(), key.to_string()))
                .ok_or_else(|| HmcError::Ini(format!("[{section}] has no `{key}`")))?;
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| {
                    HmcError::Ini(format!("[{section}] `{key}` = `{v}` is not a number"))
                })
        };
        let count = |section: &str, key: &str| -> Result<u32, HmcError> {
            let v = get(section, key)?;
            if v >= 1.0 && v.fract() == 0.0 && v <= u32::MAX as f64 {
                Ok(v as u32)
            } else {
                Err(HmcError::Ini(format!(
                    "[{section}] `{key}` = {v} must be a positive whole number"
                )))
            }
        };
        if values
            .get(&("dram_structure".to_string(), "protocol".to_string()))
            .map(String::as_str)
            != Some("HMC")
        {
            return Err(HmcError::Ini(
                "[dram_structure] `protocol` must be HMC".into(),
            ));
        }
        let vaults = count("system", "channels")?;
        Ok(Dramsim3Hmc {
            links: count("hmc", "num_links")?,
            lanes_per_link: count("hmc", "link_width")?,
            lane_rate_bps: get("hmc", "link_speed")? * 1e6,
            vaults,
            vault_bus_bits: count("system", "bus_width")?,
            vault_clock_period: Seconds::from_ns(get("timing", "tCK")?),
            capacity: Bytes(get("system", "channel_size")? * vaults as f64 * (1u64 << 20) as f64),
            vault_standby: VaultStandby {
                vdd_volts: get("power", "VDD")?,
                standby_ma: get("power", "IDD2N")?,
                refresh_ma: get("power", "IDD5AB")?,
                t_rfc_cycles: get("timing", "tRFC")?,
                t_refi_cycles: get("timing", "tREFI")?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_key() {
        let e = Dramsim3Hmc::parse("[dram_structure]\nprotocol = HMC\n[hmc]\nnum_links = 4\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("[system] has no `channels`"), "{e}");
        let e = Dramsim3Hmc::parse("[dram_structure]\nprotocol = DDR4\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("protocol"), "{e}");
        let e = Dramsim3Hmc::parse("[hmc]\nnonsense\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2"), "{e}");
    }
}
