//! Replays requests through DRAMsim3 (the C++ simulator, through the
//! `dramsim3` crate) for the cross-check and the speed comparison. Only with
//! the `dramsim3` feature, which needs cmake and a C++ compiler.
//!
//! The harness is the one DRAMsim3's own trace front end uses: each cycle,
//! add requests in order while DRAMsim3 accepts them (and they have arrived),
//! then tick. The run ends when every request has been added and has
//! completed (DRAMsim3 completes a write when it accepts it, a read when its
//! data has been returned).
//!
//! The crate exposes no statistics call, so counts and energies come from
//! DRAMsim3's epoch file: [`run_with_stats`] ticks on, idle, to the end of the
//! epoch in which the requests finished, and sums the epochs.
use super::channel::Request;
use super::config::DramConfig;
use super::error::DramError;
use super::ini::IniFile;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// What DRAMsim3 did with the requests.
#[derive(Clone, Debug, PartialEq)]
pub struct Dramsim3Run {
    /// Cycles until the last request completed.
    pub cycles: u64,
    pub requests: u64,
    /// Statistics to the end of the epoch (with [`run_with_stats`]).
    pub stats: Option<Dramsim3Stats>,
}

/// DRAMsim3's counters over whole epochs. Energies are in DRAMsim3's unit,
/// mA x V x cycles (multiply by tCK in ns for pJ).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dramsim3Stats {
    /// Cycles covered (a multiple of the epoch period).
    pub cycles: u64,
    pub act: u64,
    pub pre: u64,
    pub read: u64,
    pub write: u64,
    pub refresh: u64,
    pub act_energy: f64,
    pub read_energy: f64,
    pub write_energy: f64,
    pub ref_energy: f64,
    /// Active plus precharge standby energy of every rank.
    pub background_energy: f64,
    pub total_energy: f64,
}

/// Run `requests` through DRAMsim3 with the `.ini` at `config`.
pub fn run(
    config: &Path,
    requests: impl IntoIterator<Item = Request>,
) -> Result<Dramsim3Run, DramError> {
    replay(config, requests, false)
}

/// As [`run`], then tick idle to the end of the epoch and read DRAMsim3's
/// statistics.
pub fn run_with_stats(
    config: &Path,
    requests: impl IntoIterator<Item = Request>,
) -> Result<Dramsim3Run, DramError> {
    replay(config, requests, true)
}

static RUNS: AtomicU64 = AtomicU64::new(0);

fn io(path: &Path, e: impl ToString) -> DramError {
    DramError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

fn replay(
    config: &Path,
    requests: impl IntoIterator<Item = Request>,
    stats: bool,
) -> Result<Dramsim3Run, DramError> {
    // DRAMsim3 exits the process on a file it cannot read; check it first.
    let parsed = DramConfig::load(config)?;
    let text = std::fs::read_to_string(config).map_err(|e| io(config, e))?;
    let ini = IniFile::parse(&text)?;
    let epoch = ini
        .get("other", "epoch_period")
        .and_then(|e| e.value.parse::<u64>().ok())
        .unwrap_or(100_000)
        .max(1);
    let dir: PathBuf = std::env::temp_dir().join(format!(
        "pimzoo-dramsim3-{}-{}",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
    let result = (|| {
        let mut sys = ::dramsim3::MemorySystem::new(config, &dir)
            .map_err(|e| io(config, format!("DRAMsim3 could not start: {e:?}")))?;
        let burst = parsed.geometry().request_bytes as u64;
        let mut it = requests.into_iter().peekable();
        let mut added = 0u64;
        let mut done = 0u64;
        let mut clk = 0u64;
        loop {
            while let Some(r) = it.peek() {
                let addr = r.addr & !(burst - 1);
                if r.arrival > clk || !sys.can_add(addr, r.write) {
                    break;
                }
                sys.add(addr, r.write);
                added += 1;
                it.next();
            }
            if it.peek().is_none() && done == added {
                break;
            }
            sys.tick(|_, _| done += 1);
            clk += 1;
        }
        let cycles = clk;
        let stats = if stats {
            // Tick on to the end of the epoch so DRAMsim3 writes it out.
            let end = (cycles / epoch + 1) * epoch;
            while clk < end {
                sys.tick(|_, _| {});
                clk += 1;
            }
            drop(sys);
            Some(read_epochs(&dir.join("dramsim3epoch.json"), end)?)
        } else {
            None
        };
        Ok(Dramsim3Run {
            cycles,
            requests: added,
            stats,
        })
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn read_epochs(path: &Path, cycles: u64) -> Result<Dramsim3Stats, DramError> {
    let text = std::fs::read_to_string(path).map_err(|e| io(path, e))?;
    // The file is `[` then `{epoch},\n` per epoch: close the array.
    let body = text.trim_end().trim_end_matches(',');
    let json: serde_json::Value =
        serde_json::from_str(&format!("{body}]")).map_err(|e| io(path, e))?;
    let epochs = json
        .as_array()
        .ok_or_else(|| io(path, "not a list of epochs"))?;
    let mut s = Dramsim3Stats {
        cycles,
        ..Default::default()
    };
    let num = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_f64()).unwrap_or(0.0);
    let sum_ranks = |v: &serde_json::Value, k: &str| {
        v.get(k)
            .and_then(|x| x.as_object())
            .map(|o| o.values().filter_map(|x| x.as_f64()).sum::<f64>())
            .unwrap_or(0.0)
    };
    for e in epochs {
        s.act += num(e, "num_act_cmds") as u64;
        s.pre += num(e, "num_pre_cmds") as u64;
        s.read += num(e, "num_read_cmds") as u64;
        s.write += num(e, "num_write_cmds") as u64;
        s.refresh += num(e, "num_ref_cmds") as u64;
        s.act_energy += num(e, "act_energy");
        s.read_energy += num(e, "read_energy");
        s.write_energy += num(e, "write_energy");
        s.ref_energy += num(e, "ref_energy");
        s.background_energy += sum_ranks(e, "act_stb_energy") + sum_ranks(e, "pre_stb_energy");
        s.total_energy += num(e, "total_energy");
    }
    Ok(s)
}
