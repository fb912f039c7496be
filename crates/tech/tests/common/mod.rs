//! Set-ups shared by the DDR4 model's test files.
use pimzoo_core::units::Joules;
use pimzoo_tech::dram::*;

/// A GradPIM-like command set: a PIM column read that uses the bank array
/// (RD's bank and bank-group rules) but not the data bus, and a compute step
/// that takes `add_slots` command slots and nothing else.
pub fn pim_set(cfg: &DramConfig, add_slots: u32) -> (CommandSet, CommandKind, CommandKind) {
    let mut set = CommandSet::standard(cfg);
    let e = ActionEnergy::from_config(cfg);
    let pim_rd = set
        .add_kind(KindSpec {
            name: "PIM_RD".into(),
            row: RowUse::NeedsOpen,
            command_slots: 1,
            data_bus: None,
            energy: e.read,
            component: EnergyComponent::Own,
        })
        .unwrap();
    set.inherit_rules(pim_rd, CommandKind::RD, &[Scope::Bank, Scope::BankGroup])
        .unwrap();
    let add = set
        .add_kind(KindSpec {
            name: "PIM_ADD".into(),
            row: RowUse::Free,
            command_slots: add_slots,
            data_bus: None,
            energy: Joules::from_pj(1.0),
            component: EnergyComponent::Own,
        })
        .unwrap();
    (set, pim_rd, add)
}
