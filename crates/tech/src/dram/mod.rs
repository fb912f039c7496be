//! A command-level DDR4 (also DDR3 and LPDDR4) timing and energy model:
//! ranks, bank groups, banks and rows with their state; ACT, PRE, RD, WR and
//! REF under the JEDEC timing rules; a command bus with one slot per clock
//! (shared, or one per DIMM) and a data bus; an open-page FR-FCFS
//! controller; IDD-based energy; event-driven, so idle cycles cost nothing.
//! Checked against DRAMsim3 (`tests/dram_dramsim3.rs`, feature `dramsim3`).
//! Equations, rules and simplifications: `docs/models/ddr4.md`.
//!
//! The parts a model that uses DRAM calls:
//!
//! - [`DramConfig`], from a DRAMsim3 `.ini` ([`DramConfig::from_ini`]) or a
//!   RON preset ([`DramConfig::from_ron`]), or [`DramConfig::load`] for a file.
//! - [`AddressMapping`], addresses to [`Location`]s and back, in DRAMsim3's
//!   notation (`rochrababgco`, or GradPIM's [`AddressMapping::GRADPIM`]).
//! - [`CommandSet`], the built-in kinds and rules, to which a user adds its
//!   own kinds ([`KindSpec`]: command-bus slots, data-bus use, row use,
//!   energy) and rules ([`Rule`], [`CommandSet::inherit_rules`]).
//! - [`Channel`], requests ([`Channel::enqueue`], [`Channel::run_source`])
//!   through the controller, explicit [`Command`]s through in-order streams
//!   ([`Channel::push_command`]), run to completion ([`Channel::run`]) or to
//!   a cycle ([`Channel::run_until`]); a [`ChannelReport`] with cycles, the
//!   count of each kind, bus utilisation and an [`EnergyBreakdown`].
//! - [`MemorySystem`], several channels of one configuration.
//!
//! ```
//! use pimzoo_tech::dram::*;
//!
//! let cfg = DramConfig::from_ron(include_str!(
//!     "../../../../fixtures/configs/dram/ddr4-2133-x8-8gb.ron")).unwrap();
//! let mut set = CommandSet::standard(&cfg);
//! // A PIM column read: bank-array timing of a RD within its bank group,
//! // one command slot, no data on the channel.
//! let pim_rd = set.add_kind(KindSpec {
//!     name: "PIM_RD".into(),
//!     row: RowUse::NeedsOpen,
//!     command_slots: 1,
//!     data_bus: None,
//!     energy: cfg_read_energy(&cfg),
//!     component: EnergyComponent::Own,
//! }).unwrap();
//! set.inherit_rules(pim_rd, CommandKind::RD, &[Scope::Bank, Scope::BankGroup]).unwrap();
//! let mut ch = Channel::with_commands(&cfg, set).unwrap();
//! // Four bank groups, 16 column reads each, one stream per bank group.
//! for bg in 0..4 {
//!     for col in 0..16 {
//!         let loc = Location { bankgroup: bg, column: col, ..Default::default() };
//!         ch.push_command(bg as usize, Command::new(pim_rd, &loc)).unwrap();
//!     }
//! }
//! let r = ch.run().unwrap();
//! assert_eq!(r.count(pim_rd), 64);
//! assert_eq!(r.count(CommandKind::ACT), 4);
//! assert_eq!(r.data_bus_utilization, 0.0);
//! # fn cfg_read_energy(c: &DramConfig) -> pimzoo_core::units::Joules {
//! #     ActionEnergy::from_config(c).read }
//! ```

mod address;
mod channel;
mod command;
mod config;
mod device;
mod energy;
mod error;
pub mod ini;
mod lanes;
mod report;
mod system;
mod trace;

#[cfg(feature = "dramsim3")]
pub mod dramsim3;

pub use address::{AddressMapping, Field, Location};
pub use channel::{Channel, Command, IssuedCommand, Request};
pub use command::{
    CommandKind, CommandSet, DataBurst, EnergyComponent, KindSpec, RowUse, Rule, Scope, MAX_KINDS,
};
pub use config::{
    Arbitration, CommandBus, DramConfig, DramStructure, Geometry, Power, QueueStructure,
    RefreshPolicy, RowBufferPolicy, Standard, System, Timing,
};
pub use energy::ActionEnergy;
pub use error::{DramError, Origin};
pub use report::{ChannelReport, CommandCount, EnergyBreakdown, NamedEnergy, SystemReport};
pub use system::MemorySystem;
pub use trace::{parse_trace, parse_trace_within, Pattern, Requests, SplitMix64};

/// The two presets shipped in `fixtures/configs/dram/`, embedded:
/// `(file name, RON text)`.
pub const PRESETS: [(&str, &str); 2] = [
    (
        "ddr4-2133-x8-8gb.ron",
        include_str!("../../../../fixtures/configs/dram/ddr4-2133-x8-8gb.ron"),
    ),
    (
        "ddr4-3200-x8-8gb.ron",
        include_str!("../../../../fixtures/configs/dram/ddr4-3200-x8-8gb.ron"),
    ),
];

/// The embedded preset whose id or file name is `name`.
pub fn preset(name: &str) -> Result<DramConfig, DramError> {
    for (file, text) in PRESETS {
        let cfg = DramConfig::from_ron(text).map_err(|e| e.with_origin(file))?;
        if cfg.id == name || file == name || file.trim_end_matches(".ron") == name {
            return Ok(cfg);
        }
    }
    Err(DramError::Io {
        path: name.to_string(),
        message: format!(
            "no such DRAM preset (have: {})",
            PRESETS
                .iter()
                .map(|(f, _)| f.trim_end_matches(".ron"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })
}
