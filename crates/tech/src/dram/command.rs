//! Command kinds and the timing rules between them.
//!
//! A [`CommandSet`] holds the kinds a channel knows (ACT, PRE, RD, WR, REF,
//! then any added by a user) and the rules "after a `from` command, a `to`
//! command in `scope` must wait `cycles`". The channel enforces every rule
//! plus the shared resources a kind declares: command-bus slots, a data
//! burst at a fixed delay, the four-activate window for kinds that open a
//! row. A user kind (a PIM operation issued in a DDR4 RFU slot, say) is a
//! [`KindSpec`] and a few rules, often inherited from a built-in kind with
//! [`CommandSet::inherit_rules`].
use super::config::{DramConfig, Standard};
use super::energy::ActionEnergy;
use super::error::DramError;
use pimzoo_core::units::Joules;
use serde::Serialize;

/// A command kind: an index into its [`CommandSet`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct CommandKind(pub(crate) u8);

impl CommandKind {
    /// Activate (open) a row.
    pub const ACT: CommandKind = CommandKind(0);
    /// Precharge (close) one bank.
    pub const PRE: CommandKind = CommandKind(1);
    /// Read burst from the open row.
    pub const RD: CommandKind = CommandKind(2);
    /// Write burst to the open row.
    pub const WR: CommandKind = CommandKind(3);
    /// All-bank refresh of one rank.
    pub const REF: CommandKind = CommandKind(4);

    /// The position of this kind in its set (built-ins first).
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

pub(crate) const BUILTIN_KINDS: usize = 5;
/// At most this many kinds in one set.
pub const MAX_KINDS: usize = 64;

/// What a command needs from, and does to, the rows of its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum RowUse {
    /// Nothing: a command that only takes command-bus slots and timing
    /// (a PIM ALU step).
    Free,
    /// Opens `row` in a closed bank (ACT). Counts toward tFAW.
    Opens,
    /// Closes the bank (PRE); allowed on a closed bank.
    Closes,
    /// A column access: `row` must be open in the bank (RD, WR, a PIM
    /// column read or write-back). Requests and command streams open it.
    NeedsOpen,
    /// A rank command that needs every bank of the rank closed (REF).
    NeedsAllClosed,
}

/// Which commands a rule constrains, relative to the earlier command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Scope {
    /// The same bank.
    Bank,
    /// Any bank of the same bank group (the same bank included).
    BankGroup,
    /// Any bank of the same rank.
    Rank,
    /// Any bank of any other rank.
    OtherRanks,
    /// Every bank of the channel.
    Channel,
}

/// The data-bus occupancy of a kind: `cycles` cycles starting `delay`
/// cycles after the command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct DataBurst {
    pub delay: u32,
    pub cycles: u32,
}

/// Where a kind's energy is booked in the breakdown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum EnergyComponent {
    /// ACT and PRE (the IDD0 term, booked per ACT).
    ActivatePrecharge,
    Read,
    Write,
    Refresh,
    /// A user kind: booked under its own name.
    Own,
}

/// A command kind.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KindSpec {
    /// Unique name (`ACT`, `PIM_RD`).
    pub name: String,
    pub row: RowUse,
    /// Command-bus cycles the command occupies (1 for every DDR4 command).
    pub command_slots: u32,
    /// Data-bus occupancy, `None` for commands that move no data on the
    /// channel (ACT, PRE, REF, a PIM operation inside the device).
    pub data_bus: Option<DataBurst>,
    /// Energy per command.
    pub energy: Joules,
    pub component: EnergyComponent,
}

/// After a `from` command, a `to` command in `scope` waits `cycles`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub from: CommandKind,
    pub to: CommandKind,
    pub scope: Scope,
    pub cycles: u32,
}

/// The kinds and rules of one channel.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CommandSet {
    kinds: Vec<KindSpec>,
    rules: Vec<Rule>,
    /// tFAW for kinds that open rows (0 disables the window).
    pub(crate) t_faw: u32,
}

impl CommandSet {
    /// ACT, PRE, RD, WR and REF with the JEDEC rules of `config`'s standard,
    /// written as DRAMsim3 writes them (`docs/models/ddr4.md` lists them).
    pub fn standard(config: &DramConfig) -> CommandSet {
        let t = &config.timing;
        let g = config.geometry();
        let e = ActionEnergy::from_config(config);
        let burst = g.burst_cycles;
        let rl = t.AL + t.CL;
        let wl = t.AL + t.CWL;
        // With one bank group (DDR3) the "_L" values are the "_S" ones.
        let one_group = g.bankgroups == 1;
        let (ccd_l, wtr_l, rrd_l) = if one_group {
            (t.tCCD_S, t.tWTR_S, t.tRRD_S)
        } else {
            (t.tCCD_L, t.tWTR_L, t.tRRD_L)
        };
        let kinds = vec![
            KindSpec {
                name: "ACT".into(),
                row: RowUse::Opens,
                command_slots: 1,
                data_bus: None,
                energy: e.activate,
                component: EnergyComponent::ActivatePrecharge,
            },
            KindSpec {
                name: "PRE".into(),
                row: RowUse::Closes,
                command_slots: 1,
                data_bus: None,
                energy: Joules::ZERO,
                component: EnergyComponent::ActivatePrecharge,
            },
            KindSpec {
                name: "RD".into(),
                row: RowUse::NeedsOpen,
                command_slots: 1,
                data_bus: Some(DataBurst {
                    delay: rl,
                    cycles: burst,
                }),
                energy: e.read,
                component: EnergyComponent::Read,
            },
            KindSpec {
                name: "WR".into(),
                row: RowUse::NeedsOpen,
                command_slots: 1,
                data_bus: Some(DataBurst {
                    delay: wl,
                    cycles: burst,
                }),
                energy: e.write,
                component: EnergyComponent::Write,
            },
            KindSpec {
                name: "REF".into(),
                row: RowUse::NeedsAllClosed,
                command_slots: 1,
                data_bus: None,
                energy: e.refresh,
                component: EnergyComponent::Refresh,
            },
        ];
        use CommandKind as K;
        use Scope::*;
        let sub = |a: u32, b: u32| a.saturating_sub(b);
        let mut rules = vec![
            // Column to column: tCCD, and a burst never overlaps another.
            Rule::new(K::RD, K::RD, BankGroup, ccd_l.max(burst)),
            Rule::new(K::RD, K::RD, Rank, t.tCCD_S.max(burst)),
            Rule::new(K::RD, K::RD, OtherRanks, burst + t.tRTRS),
            Rule::new(K::WR, K::WR, BankGroup, ccd_l.max(burst)),
            Rule::new(K::WR, K::WR, Rank, t.tCCD_S.max(burst)),
            Rule::new(K::WR, K::WR, OtherRanks, burst),
            // Read to write: the write data must follow the read data on the
            // bus with a turnaround of tRTRS.
            Rule::new(K::RD, K::WR, Channel, sub(rl + burst + t.tRTRS, wl)),
            // Write to read: tWTR after the end of the write data, or on
            // another rank the bus turnaround.
            Rule::new(K::WR, K::RD, BankGroup, wl + burst + wtr_l),
            Rule::new(K::WR, K::RD, Rank, wl + burst + t.tWTR_S),
            Rule::new(K::WR, K::RD, OtherRanks, sub(wl + burst + t.tRTRS, rl)),
            // Row commands.
            Rule::new(K::ACT, K::ACT, Bank, t.tRAS + t.tRP),
            Rule::new(K::ACT, K::ACT, BankGroup, rrd_l),
            Rule::new(K::ACT, K::ACT, Rank, t.tRRD_S),
            Rule::new(K::ACT, K::RD, Bank, t.tRCD - t.AL),
            Rule::new(K::ACT, K::WR, Bank, t.tRCD - t.AL),
            Rule::new(K::ACT, K::PRE, Bank, t.tRAS),
            Rule::new(K::RD, K::PRE, Bank, t.AL + t.tRTP),
            Rule::new(K::WR, K::PRE, Bank, wl + burst + t.tWR),
            Rule::new(K::PRE, K::ACT, Bank, t.tRP),
            // REF needs every bank closed, so the last PRE of the rank binds.
            Rule::new(K::PRE, K::REF, Rank, t.tRP),
            Rule::new(K::REF, K::ACT, Rank, t.tRFC),
            Rule::new(K::REF, K::REF, Rank, t.tRFC),
        ];
        if t.tPPD > 0 || config.dram_structure.protocol == Standard::LPDDR4 {
            rules.push(Rule::new(K::PRE, K::PRE, Rank, t.tPPD));
        }
        rules.retain(|r| r.cycles > 0);
        CommandSet {
            kinds,
            rules,
            t_faw: t.tFAW,
        }
    }

    /// Add a kind; its name must be new. Returns its handle.
    pub fn add_kind(&mut self, spec: KindSpec) -> Result<CommandKind, DramError> {
        if self.kinds.len() >= MAX_KINDS {
            return Err(DramError::protocol(format!(
                "a command set holds at most {MAX_KINDS} kinds"
            )));
        }
        if spec.name.is_empty() || self.by_name(&spec.name).is_some() {
            return Err(DramError::protocol(format!(
                "command kind name `{}` is empty or already taken",
                spec.name
            )));
        }
        if spec.row == RowUse::NeedsAllClosed && spec.data_bus.is_some() {
            return Err(DramError::protocol(format!(
                "`{}`: a rank command cannot move data",
                spec.name
            )));
        }
        self.kinds.push(spec);
        Ok(CommandKind((self.kinds.len() - 1) as u8))
    }

    /// Add a rule between two known kinds.
    pub fn add_rule(&mut self, rule: Rule) -> Result<(), DramError> {
        for k in [rule.from, rule.to] {
            if k.index() >= self.kinds.len() {
                return Err(DramError::protocol(format!(
                    "rule names command kind #{} of a set of {}",
                    k.index(),
                    self.kinds.len()
                )));
            }
        }
        self.rules.push(rule);
        Ok(())
    }

    /// Copy every rule that involves `like` (in the given scopes) to `kind`:
    /// `kind` then waits for, and holds off, other commands as `like` does,
    /// and two `kind` commands are spaced as two `like` commands. A PIM
    /// column read that uses the bank array like a RD but not the data bus
    /// inherits RD's rules in `[Bank, BankGroup]`, for example, and none of
    /// the rank-wide or bus rules.
    pub fn inherit_rules(
        &mut self,
        kind: CommandKind,
        like: CommandKind,
        scopes: &[Scope],
    ) -> Result<(), DramError> {
        if kind.index() >= self.kinds.len() || like.index() >= self.kinds.len() {
            return Err(DramError::protocol("inherit_rules: unknown command kind"));
        }
        let mut added = Vec::new();
        for r in self.rules.iter().filter(|r| scopes.contains(&r.scope)) {
            let f = r.from == like;
            let t = r.to == like;
            if f {
                added.push(Rule { from: kind, ..*r });
            }
            if t {
                added.push(Rule { to: kind, ..*r });
            }
            if f && t {
                added.push(Rule {
                    from: kind,
                    to: kind,
                    ..*r
                });
            }
        }
        self.rules.extend(added);
        Ok(())
    }

    /// The kind called `name`.
    pub fn by_name(&self, name: &str) -> Option<CommandKind> {
        self.kinds
            .iter()
            .position(|k| k.name == name)
            .map(|i| CommandKind(i as u8))
    }

    /// The spec of `kind`.
    pub fn spec(&self, kind: CommandKind) -> &KindSpec {
        &self.kinds[kind.index()]
    }

    pub fn kinds(&self) -> &[KindSpec] {
        &self.kinds
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The four-activate window, cycles.
    pub fn t_faw(&self) -> u32 {
        self.t_faw
    }
}

impl Rule {
    pub const fn new(from: CommandKind, to: CommandKind, scope: Scope, cycles: u32) -> Rule {
        Rule {
            from,
            to,
            scope,
            cycles,
        }
    }
}
