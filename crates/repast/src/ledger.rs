//! Energy by component, accumulated per report row.
use std::collections::BTreeMap;

/// Component names of this crate that `pimzoo_core::component` lacks.
pub mod names {
    /// PipeLayer's integrate-and-fire circuits and counters.
    pub const INTEGRATE_FIRE: &str = "integrate-fire";
    /// The op-amps and voltage followers of the INV loops.
    pub const LOOP_AMPLIFIER: &str = "loop-amplifier";
    /// The switches that join INV crossbars into one loop.
    pub const LOOP_SWITCH: &str = "loop-switch";
    /// Reads of ReRAM memory subarrays (activations and errors between stages).
    pub const MEMORY_READ: &str = "memory-read";
    /// Input and output registers of the arrays.
    pub const REGISTER: &str = "register";
}

/// Joules by component.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ledger(BTreeMap<&'static str, f64>);

impl Ledger {
    pub fn add(&mut self, component: &'static str, joules: f64) {
        if joules != 0.0 {
            *self.0.entry(component).or_default() += joules;
        }
    }

    /// Add `k` times another ledger.
    pub fn add_scaled(&mut self, other: &Ledger, k: f64) {
        for (c, j) in &other.0 {
            self.add(c, j * k);
        }
    }

    pub fn scaled(&self, k: f64) -> Ledger {
        let mut out = Ledger::default();
        out.add_scaled(self, k);
        out
    }

    pub fn total(&self) -> f64 {
        self.0.values().sum()
    }

    #[cfg(test)]
    pub fn get(&self, component: &str) -> f64 {
        self.0.get(component).copied().unwrap_or(0.0)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'static str, f64)> + '_ {
        self.0.iter().map(|(c, j)| (*c, *j))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ledger_sums_and_scales() {
        let mut a = Ledger::default();
        a.add("adc", 1.0);
        a.add("adc", 2.0);
        a.add("dac", 0.0);
        assert_eq!(a.iter().count(), 1);
        let mut b = Ledger::default();
        b.add("dac", 1.0);
        b.add_scaled(&a, 2.0);
        assert_eq!(b.total(), 7.0);
        assert_eq!(b.scaled(0.5).get("adc"), 3.0);
    }
}
