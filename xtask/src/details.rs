//! The detail tables printed under a workload's compare table: each model's
//! energy by component and its named metrics, one column per model.
//!
//! Models name their own components and metrics, so the rows are the union
//! over the models that ran; a model without a row's figure shows `-`.
use crate::table::Table;
use anyhow::{bail, Result};
use pimzoo::compare::Row;
use std::collections::BTreeSet;

/// When the detail tables are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Details {
    /// For at most 6 models on at most 3 workloads.
    Auto,
    /// Always.
    On,
    /// Never.
    Off,
}

/// Above this many models a workload's detail tables would be wider than a
/// terminal; `--details on` prints them anyway. (The help text of
/// [`Details::Auto`] says the number too.)
pub const AUTO_MAX_MODELS: usize = 6;

/// Above this many workloads (`--network all`, say) the detail tables would
/// bury the comparison; `--details on` prints them anyway.
pub const AUTO_MAX_WORKLOADS: usize = 3;

/// Which metrics to show: every one, or those matching the `--metrics`
/// patterns (a name, or a name with one `*` standing for any text:
/// `update_*`, `*_share`).
#[derive(Clone, Debug, Default)]
pub struct MetricFilter {
    patterns: Vec<String>,
}

impl MetricFilter {
    pub fn new(patterns: &[String]) -> Self {
        MetricFilter {
            patterns: patterns.to_vec(),
        }
    }

    /// True when the user named metrics (and so asked for them).
    pub fn is_explicit(&self) -> bool {
        !self.patterns.is_empty()
    }

    pub fn matches(&self, name: &str) -> bool {
        self.patterns.is_empty() || self.patterns.iter().any(|p| pattern_matches(p, name))
    }

    /// The selected metric names over all rows, sorted. A pattern that
    /// matches no metric of any row is an error listing the metrics there are,
    /// so that a typo does not silently print nothing.
    pub fn select(&self, rows: &[Row]) -> Result<Vec<String>> {
        let all: BTreeSet<&str> = rows
            .iter()
            .flat_map(|r| r.metrics.keys().map(String::as_str))
            .collect();
        for p in &self.patterns {
            if !all.iter().any(|n| pattern_matches(p, n)) {
                let names: Vec<&str> = all.iter().copied().collect();
                bail!(
                    "--metrics: `{p}` matches no metric of these models; they report: {}",
                    if names.is_empty() {
                        "(none)".to_string()
                    } else {
                        names.join(", ")
                    }
                );
            }
        }
        Ok(all
            .into_iter()
            .filter(|n| self.matches(n))
            .map(str::to_string)
            .collect())
    }
}

/// `name` against one pattern: the name itself, or one `*` for any text.
fn pattern_matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        Some((head, tail)) => {
            name.len() >= head.len() + tail.len() && name.starts_with(head) && name.ends_with(tail)
        }
        None => name == pattern,
    }
}

/// The detail tables of one workload's rows, or nothing when none ran.
pub fn render(rows: &[Row], metrics: &[String]) -> String {
    let ran: Vec<&Row> = rows.iter().filter(|r| r.unsupported.is_none()).collect();
    if ran.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    out.push_str(&energy_table(&ran).render());
    let shown: Vec<&String> = metrics
        .iter()
        .filter(|m| ran.iter().any(|r| r.metrics.contains_key(*m)))
        .collect();
    if !shown.is_empty() {
        out.push('\n');
        out.push_str(&metric_table(&ran, &shown).render());
    }
    out
}

fn header<'a>(first: &'a str, ran: &'a [&Row]) -> Vec<&'a str> {
    std::iter::once(first)
        .chain(ran.iter().map(|r| r.id.as_str()))
        .collect()
}

fn numeric_columns(ran: &[&Row]) -> Vec<usize> {
    (1..=ran.len()).collect()
}

/// Energy by component: joules and share of the model's total.
fn energy_table(ran: &[&Row]) -> Table {
    let components: BTreeSet<&str> = ran
        .iter()
        .flat_map(|r| r.energy_breakdown_j.keys().map(String::as_str))
        .collect();
    let mut t = Table::new(&header("energy by component", ran)).right(&numeric_columns(ran));
    for c in components {
        let mut cells = vec![c.to_string()];
        for r in ran {
            let total = r.energy_j.unwrap_or(0.0);
            cells.push(match r.energy_breakdown_j.get(c) {
                Some(&e) if total > 0.0 => format!(
                    "{} ({:4.1} %)",
                    pimzoo::units::engineering(e, "J"),
                    100.0 * e / total
                ),
                Some(&e) => pimzoo::units::engineering(e, "J"),
                None => "-".into(),
            });
        }
        t.push(cells);
    }
    t
}

fn metric_table(ran: &[&Row], names: &[&String]) -> Table {
    let mut t = Table::new(&header("metric", ran)).right(&numeric_columns(ran));
    for name in names {
        let mut cells = vec![name.to_string()];
        for r in ran {
            cells.push(
                r.metrics
                    .get(*name)
                    .map(|&v| metric_value(name, v))
                    .unwrap_or_else(|| "-".into()),
            );
        }
        t.push(cells);
    }
    t
}

/// A metric's value in the unit its name carries (`_s`, `_j`, `_bytes`,
/// `_per_s`, `_share`...; the naming rule of `Report::metrics`).
pub fn metric_value(name: &str, v: f64) -> String {
    let eng = pimzoo::units::engineering;
    const PERCENT: [&str; 6] = [
        "_share",
        "_fraction",
        "_utilization",
        "_efficiency",
        "_rel_error",
        "_change",
    ];
    if PERCENT.iter().any(|s| name.ends_with(s)) {
        return format!("{:.1} %", 100.0 * v);
    }
    for (suffix, unit) in [
        ("_bytes_per_s", "B/s"),
        ("_ops_per_s_per_mm2", "op/s/mm^2"),
        ("_ops_per_s", "op/s"),
        ("_ops_per_j", "op/J"),
        ("_per_s", "/s"),
        ("_s", "s"),
        ("_j", "J"),
        ("_bytes", "B"),
        ("_bits", "b"),
        ("_w", "W"),
    ] {
        if name.ends_with(suffix) {
            return eng(v, unit).trim_end().to_string();
        }
    }
    // A count or a ratio: integers as they are up to a million, then with
    // an SI prefix; fractions to four significant digits.
    if v.fract() == 0.0 && v.abs() < 1e6 {
        format!("{v:.0}")
    } else if v.abs() >= 1e6 || (v != 0.0 && v.abs() < 1e-3) {
        eng(v, "").trim_end().to_string()
    } else {
        let digits = (3 - v.abs().log10().floor() as i32).clamp(0, 6) as usize;
        format!("{v:.digits$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_units_follow_the_name() {
        assert_eq!(metric_value("update_time_s", 0.0153), "15.3 ms");
        assert_eq!(metric_value("epoch_j", 334_049.0), "334 kJ");
        assert_eq!(metric_value("dram_traffic_bytes", 1.77e9), "1.77 GB");
        assert_eq!(
            metric_value("internal_bandwidth_bytes_per_s", 4.69e10),
            "46.9 GB/s"
        );
        assert_eq!(metric_value("update_params_per_s", 1.67e9), "1.67 G/s");
        assert_eq!(metric_value("inversion_share", 0.0128), "1.3 %");
        assert_eq!(metric_value("command_bus_utilization", 0.9995), "100.0 %");
        assert_eq!(metric_value("groups", 3.0), "3");
        assert_eq!(metric_value("cell_writes", 2.0566e9), "2.06 G");
        assert_eq!(metric_value("epoch_reduction", 2.48), "2.480");
        assert_eq!(metric_value("scale_lr_used", 0.09375), "0.09375");
    }

    #[test]
    fn the_help_text_states_the_auto_limit() {
        use clap::ValueEnum;
        let auto = Details::Auto.to_possible_value().unwrap();
        let help = auto.get_help().map(|h| h.to_string()).unwrap_or_default();
        assert!(
            help.contains(&format!(
                "at most {AUTO_MAX_MODELS} models on at most {AUTO_MAX_WORKLOADS} workloads"
            )),
            "{help}"
        );
    }

    #[test]
    fn patterns_select_names_and_prefixes() {
        let f = MetricFilter::new(&["update_*".into(), "epoch_s".into(), "*_share".into()]);
        assert!(f.matches("update_time_s"));
        assert!(f.matches("epoch_s"));
        assert!(f.matches("inversion_share"));
        assert!(!f.matches("epoch_j"));
        assert!(!MetricFilter::new(&["ab*ba".into()]).matches("aba"));
        assert!(MetricFilter::default().matches("anything"));
    }
}
