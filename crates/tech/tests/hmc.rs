//! The HMC part against the public facts it should reproduce: a DRAMsim3
//! HMC 1 configuration read with `Dramsim3Hmc`, and the bandwidths the
//! brief derives from it (shared/papers/hmc-logic-die.md, section 1).
use pimzoo_core::units::{Joules, Watts};
use pimzoo_tech::hmc::{Dramsim3Hmc, Hmc, HmcEnergy, HmcSpec};

/// DRAMsim3 `configs/HMC_2GB_4Lx16.ini` (github.com/umd-memsys/DRAMsim3, MIT
/// licence), as copied into `fixtures/dram/`.
const HMC1_INI: &str = include_str!("../../../fixtures/dram/HMC_2GB_4Lx16.ini");

fn spec_from(ini: &Dramsim3Hmc) -> HmcSpec {
    HmcSpec {
        name: "HMC 1, 2 GB".into(),
        vaults: ini.vaults,
        vault_bus_bits: ini.vault_bus_bits,
        vault_clock_period: ini.vault_clock_period,
        vault_efficiency: 0.95,
        capacity: ini.capacity,
        links: ini.links,
        lanes_per_link: ini.lanes_per_link,
        lane_rate_bps: ini.lane_rate_bps,
        link_efficiency: 1.0,
        energy: HmcEnergy {
            dram_per_bit: Joules::from_pj(3.7),
            vault_controller_per_bit: Joules::from_pj(0.75),
            interconnect_per_bit: Joules::from_pj(0.4),
            link_per_bit: Joules::from_pj(13.7),
        },
        link_idle_power: Watts(1.98),
        vault_standby: ini.vault_standby.clone(),
        logic_static_power: Watts::ZERO,
    }
}

#[test]
fn an_hmc1_configuration_gives_the_published_bandwidths() {
    let ini = Dramsim3Hmc::parse(HMC1_INI).unwrap();
    assert_eq!((ini.vaults, ini.links, ini.lanes_per_link), (16, 4, 16));
    assert_eq!(ini.capacity.value(), 2.0 * (1u64 << 30) as f64);
    let h = Hmc::new(spec_from(&ini)).unwrap();
    // Micron: "up to 10 GB/sec ... from each of the 16 vaults" (PCPER).
    assert!((h.vault_bandwidth().value() - 10e9).abs() < 1.0);
    assert!((h.internal_bandwidth().value() - 160e9).abs() < 1.0);
    // A 16-lane link at 10 Gb/s carries 20 GB/s per direction; four links
    // both ways make the 160 GB/s of HMC 1.0 (TT).
    assert!((h.link_raw_bandwidth().value() - 20e9).abs() < 1.0);
    assert!((h.external_raw_bandwidth().value() - 160e9).abs() < 1.0);
}

#[test]
fn on_die_and_off_cube_energies_match_the_whole_cube_figure() {
    let h = Hmc::new(spec_from(&Dramsim3Hmc::parse(HMC1_INI).unwrap())).unwrap();
    // Data consumed on the logic die: 3.7 + 0.75 + 0.4 = 4.85 pJ/bit.
    assert!((h.local_energy_per_bit().value() - 4.85e-12).abs() < 1e-18);
    // Sent out over a link it costs 13.7 pJ/bit more: more than the die.
    assert!(h.spec().energy.link_per_bit > h.local_energy_per_bit());
    // Standby and refresh of 16 vaults from the currents: well under a watt,
    // an order below the 11 W of a working cube (hmc-logic-die.md section 4).
    let p = h.dram_static_power().value();
    assert!(p > 0.3 && p < 1.0, "{p}");
}

#[test]
fn malformed_configurations_name_what_is_wrong() {
    let e = Dramsim3Hmc::parse(&HMC1_INI.replace("channels = 16", "channels = 0"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("channels"), "{e}");
    let e = Dramsim3Hmc::parse(&HMC1_INI.replace("tCK = 0.8", "tCK = fast"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("tCK"), "{e}");
}
