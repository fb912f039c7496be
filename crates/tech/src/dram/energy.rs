//! IDD-based energy per action, in the style of Micron's DDR power notes
//! (TN-41-01) and DRAMsim3.
//!
//! With `n` devices per rank, VDD in volts, currents in amperes and times in
//! seconds (`c * tCK` for `c` cycles):
//!
//! ```text
//! E_act  = VDD * (IDD0 * tRC - (IDD3N * tRAS + IDD2N * tRP)) * n    per ACT (its PRE included)
//! E_rd   = VDD * (IDD4R - IDD3N) * tBURST * n                         per RD
//! E_wr   = VDD * (IDD4W - IDD3N) * tBURST * n                         per WR
//! E_ref  = VDD * (IDD5AB - IDD3N) * tRFC * n                          per REF
//! P_act_standby = VDD * IDD3N * n      per rank, while any bank is open
//! P_pre_standby = VDD * IDD2N * n      per rank, while all banks are closed
//! ```
//!
//! DRAMsim3 uses the same expressions but leaves times in cycles, so its
//! "pJ" are mA x V x cycles; multiply them by tCK in ns to compare.
use super::config::DramConfig;
use pimzoo_core::units::{Joules, Watts};
use serde::Serialize;

/// Energy of each action and the standby powers of one rank.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ActionEnergy {
    /// One ACT and the PRE that closes the row.
    pub activate: Joules,
    /// One RD burst (array and internal data path; IDD4R above active standby).
    pub read: Joules,
    /// One WR burst.
    pub write: Joules,
    /// One all-bank REF.
    pub refresh: Joules,
    /// A rank with at least one open bank.
    pub active_standby: Watts,
    /// A rank with every bank closed.
    pub precharge_standby: Watts,
}

impl ActionEnergy {
    pub fn from_config(c: &DramConfig) -> ActionEnergy {
        let t = &c.timing;
        let p = &c.power;
        let g = c.geometry();
        let n = g.devices_per_rank as f64;
        let tck = t.tCK * 1e-9;
        let ma = 1e-3;
        let cycles = |x: u32| x as f64 * tck;
        let t_rc = t.tRAS + t.tRP;
        ActionEnergy {
            activate: Joules(
                p.VDD
                    * ma
                    * (p.IDD0 * cycles(t_rc)
                        - (p.IDD3N * cycles(t.tRAS) + p.IDD2N * cycles(t.tRP)))
                    * n,
            ),
            read: Joules(p.VDD * ma * (p.IDD4R - p.IDD3N) * cycles(g.burst_cycles) * n),
            write: Joules(p.VDD * ma * (p.IDD4W - p.IDD3N) * cycles(g.burst_cycles) * n),
            refresh: Joules(p.VDD * ma * (p.IDD5AB - p.IDD3N) * cycles(t.tRFC) * n),
            active_standby: Watts(p.VDD * ma * p.IDD3N * n),
            precharge_standby: Watts(p.VDD * ma * p.IDD2N * n),
        }
    }
}
