//! A regression test of the DDR4 model against its own past output.
//!
//! The numbers below were recorded once by running the model as it stood
//! before its speed work (the model that agrees with DRAMsim3 within 1.3 %,
//! `dram_dramsim3.rs`). They are not a check of accuracy (the DRAMsim3
//! cross-check is that): they pin down the simulated result itself, so
//! that a change meant only to make the simulator faster is proven to
//! change nothing. Cycles, command counts, row hits, forwarded reads,
//! merged writes and the hash of the full command log (cycle, kind, bank,
//! row of every command) must be exactly equal; energy and mean read
//! latency equal to 1e-12 relative (a different order of summation may move
//! the last bit). The same file passed on the model before the speed work.
//!
//! If a change is *meant* to alter the schedule, re-record the numbers
//! (`cargo test -p pimzoo-tech --test dram_golden -- --nocapture` prints
//! them) and say why in the change.
mod common;

use pimzoo_tech::dram::*;
use std::path::PathBuf;

/// Requests per trace.
const N: u64 = 40_000;

fn ini() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/dram/DDR4_8Gb_x8_2133.ini")
}

/// What must not change.
#[derive(Clone, Debug, PartialEq)]
struct Golden {
    cycles: u64,
    /// ACT, PRE, RD, WR, REF, then user kinds.
    counts: Vec<u64>,
    row_hits: u64,
    forwarded_reads: u64,
    merged_writes: u64,
    /// FNV-1a over (cycle, kind, rank, bank group, bank, row) of every
    /// command issued, in order.
    log_hash: u64,
    energy_j: f64,
    /// Mean read latency, cycles.
    read_latency: f64,
}

fn fnv(log: &[IssuedCommand]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |x: u64| {
        for b in x.to_le_bytes() {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for c in log {
        eat(c.cycle);
        eat(c.kind.index() as u64);
        eat(((c.rank as u64) << 48) | ((c.bankgroup as u64) << 32) | c.bank as u64);
        eat(c.row as u64);
    }
    h
}

fn measure(ch: &mut Channel, requests: Option<&[Request]>) -> Golden {
    ch.record_commands(true);
    let r = match requests {
        Some(reqs) => ch.run_source(reqs.iter().copied()).unwrap(),
        None => ch.run().unwrap(),
    };
    let log = ch.take_command_log();
    Golden {
        cycles: r.cycles,
        counts: r.commands.iter().map(|c| c.count).collect(),
        row_hits: r.row_hits,
        forwarded_reads: r.forwarded_reads,
        merged_writes: r.merged_writes,
        log_hash: fnv(&log),
        energy_j: r.energy.total().value(),
        read_latency: r.mean_read_latency,
    }
}

/// The cross-check's traces (`dram_dramsim3.rs`), shorter.
fn traces(cfg: &DramConfig) -> Vec<(&'static str, Vec<Request>)> {
    let m = cfg.address_mapping().unwrap();
    let (cap, burst) = (m.capacity(), m.burst_bytes());
    let seed = 2021;
    let make = |p: Pattern| p.requests(cap, burst).collect::<Vec<_>>();
    let params = N / 5 * burst / 4;
    vec![
        (
            "stream read",
            make(Pattern::Stream {
                n: N,
                write_fraction: 0.0,
            }),
        ),
        (
            "stream 40 % write",
            make(Pattern::Stream {
                n: N,
                write_fraction: 0.4,
            }),
        ),
        (
            "random read",
            make(Pattern::Random {
                n: N,
                write_fraction: 0.0,
                seed,
            }),
        ),
        (
            "random 33 % write",
            make(Pattern::Random {
                n: N,
                write_fraction: 0.33,
                seed,
            }),
        ),
        (
            "optimizer update",
            make(Pattern::OptimizerUpdate {
                params,
                bytes_per_param: 4,
                bases: [0; 3],
            }),
        ),
        (
            "update, one bank",
            make(Pattern::OptimizerUpdate {
                params,
                bytes_per_param: 4,
                bases: [0, 64 << 20, 128 << 20],
            }),
        ),
        // Not a cross-check trace: random within 256 KB, so that reads are
        // served from the write buffer, writes merge, rows are hit and
        // writes wait for reads of their burst.
        (
            "random 33 % write, 256 KB",
            make(Pattern::Random {
                n: N,
                write_fraction: 0.33,
                seed,
            })
            .into_iter()
            .map(|r| Request {
                addr: r.addr % (256 << 10),
                ..r
            })
            .collect(),
        ),
    ]
}

/// GradPIM-like command streams: a PIM column read with RD's bank and
/// bank-group rules, a one-slot compute step, on four ranks with a command
/// bus per DIMM of two ranks, rows changing every 48 steps (so the streams
/// also issue their own PRE and ACT), plus random requests competing with
/// them.
fn pim_streams(cfg: &DramConfig) -> Golden {
    let mut cfg = cfg.clone();
    cfg.system.channel_size = 32768;
    cfg.system.command_bus = CommandBus::PerDimm(2);
    let (mut set, pim_rd, add) = common::pim_set(&cfg, 2);
    set.add_rule(Rule::new(add, pim_rd, Scope::BankGroup, 3))
        .unwrap();
    let mut ch = Channel::with_commands(&cfg, set).unwrap();
    for rank in 0..4u32 {
        for bg in 0..4u32 {
            let s = (rank * 4 + bg) as usize;
            for i in 0..600u32 {
                let c = Command {
                    kind: if i % 3 == 2 { add } else { pim_rd },
                    rank,
                    bankgroup: bg,
                    bank: i / 200,
                    row: 7 + i / 48,
                    column: i % 128,
                };
                ch.push_command(s, c).unwrap();
            }
        }
    }
    let m = ch.address_mapping().clone();
    let reqs: Vec<Request> = Pattern::Random {
        n: N / 4,
        write_fraction: 0.25,
        seed: 7,
    }
    .requests(m.capacity(), m.burst_bytes())
    .collect();
    measure(&mut ch, Some(&reqs))
}

fn check(name: &str, got: &Golden, want: &Golden, failures: &mut Vec<String>) {
    // As it would be written below, for re-recording.
    println!(
        "// {name}\ngolden({}, &{:?}, {}, {}, {}, {}, {:?}, {:?}),",
        got.cycles,
        got.counts,
        got.row_hits,
        got.forwarded_reads,
        got.merged_writes,
        got.log_hash,
        got.energy_j,
        got.read_latency
    );
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs();
    let exact = Golden {
        energy_j: want.energy_j,
        read_latency: want.read_latency,
        ..got.clone()
    };
    if exact != *want
        || !close(got.energy_j, want.energy_j)
        || !close(got.read_latency, want.read_latency)
    {
        failures.push(format!("{name}: got {got:?}, recorded {want:?}"));
    }
}

#[test]
fn the_model_reproduces_its_recorded_results() {
    let cfg = DramConfig::load(&ini()).unwrap();
    let want = [
        // stream read
        Golden {
            cycles: 206763,
            counts: vec![349, 340, 40000, 0, 49],
            row_hits: 39653,
            forwarded_reads: 0,
            merged_writes: 0,
            log_hash: 10698559423640107208,
            energy_j: 0.00029922844032,
            read_latency: 239.804925,
        },
        // stream 40 % write
        Golden {
            cycles: 209094,
            counts: vec![360, 358, 24000, 16000, 50],
            row_hits: 39640,
            forwarded_reads: 0,
            merged_writes: 0,
            log_hash: 11350300354246316062,
            energy_j: 0.00029618266886399997,
            read_latency: 361.90775,
        },
        // random read
        Golden {
            cycles: 186746,
            counts: vec![40295, 40263, 40000, 0, 44],
            row_hits: 3,
            forwarded_reads: 0,
            merged_writes: 0,
            log_hash: 14002953497671562562,
            energy_j: 0.000422909859264,
            read_latency: 510.45985,
        },
        // random 33 % write
        Golden {
            cycles: 197663,
            counts: vec![40407, 40375, 26800, 13200, 47],
            row_hits: 2,
            forwarded_reads: 0,
            merged_writes: 0,
            log_hash: 10396389763112266685,
            energy_j: 0.00042845406048,
            read_latency: 708.9421268656716,
        },
        // optimizer update
        Golden {
            cycles: 189026,
            counts: vec![266, 260, 24000, 16000, 45],
            row_hits: 39736,
            forwarded_reads: 0,
            merged_writes: 0,
            log_hash: 3392482793575048701,
            energy_j: 0.00027742158336,
            read_latency: 341.34570833333333,
        },
        // update, one bank
        Golden {
            cycles: 467275,
            counts: vec![5900, 5899, 24000, 16000, 112],
            row_hits: 34111,
            forwarded_reads: 0,
            merged_writes: 0,
            log_hash: 1950712410098563947,
            energy_j: 0.000521119016832,
            read_latency: 737.308625,
        },
        // random 33 % write, 256 KB
        Golden {
            cycles: 160428,
            counts: vec![640, 608, 25795, 12938, 38],
            row_hits: 38093,
            forwarded_reads: 517,
            merged_writes: 262,
            log_hash: 6459773182207677635,
            energy_j: 0.00025812946252799996,
            read_latency: 418.4616291899707,
        },
    ];
    let mut failures = Vec::new();
    for ((name, requests), want) in traces(&cfg).into_iter().zip(&want) {
        let got = measure(&mut Channel::new(&cfg).unwrap(), Some(&requests));
        check(name, &got, want, &mut failures);
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// The same traces under oldest-first arbitration and GradPIM's address
/// mapping (the other scheduler path and another bank spread).
#[test]
fn oldest_first_and_gradpim_mapping_reproduce_their_recorded_results() {
    let mut cfg = DramConfig::load(&ini()).unwrap();
    cfg.system.arbitration = Arbitration::OldestFirst;
    let want_oldest = [
        // oldest-first, random 33 % write
        Golden {
            cycles: 184347,
            counts: vec![40437, 40409, 26800, 13200, 44],
            row_hits: 3,
            forwarded_reads: 0,
            merged_writes: 0,
            log_hash: 752803846494156519,
            energy_j: 0.00041688985862400006,
            read_latency: 818.177276119403,
        },
        // oldest-first, update, one bank
        Golden {
            cycles: 502492,
            counts: vec![6621, 6620, 24000, 16000, 120],
            row_hits: 33395,
            forwarded_reads: 0,
            merged_writes: 0,
            log_hash: 1018223598018765286,
            energy_j: 0.000553147909056,
            read_latency: 794.0467916666666,
        },
    ];
    let want_gradpim = [
        // GradPIM mapping, random 33 % write
        Golden {
            cycles: 196760,
            counts: vec![40417, 40389, 26800, 13200, 47],
            row_hits: 3,
            forwarded_reads: 0,
            merged_writes: 0,
            log_hash: 9144477614127144536,
            energy_j: 0.00042783611500800005,
            read_latency: 708.2463805970149,
        },
        // GradPIM mapping, update, one bank
        Golden {
            cycles: 467914,
            counts: vec![5932, 5930, 24000, 16000, 112],
            row_hits: 34080,
            forwarded_reads: 0,
            merged_writes: 0,
            log_hash: 10335306738316548629,
            energy_j: 0.000521337226176,
            read_latency: 738.8583333333333,
        },
    ];
    let mut failures = Vec::new();
    let picked: Vec<_> = traces(&cfg)
        .into_iter()
        .filter(|(n, _)| *n == "random 33 % write" || *n == "update, one bank")
        .collect();
    for ((name, requests), want) in picked.iter().zip(&want_oldest) {
        let got = measure(&mut Channel::new(&cfg).unwrap(), Some(requests));
        check(&format!("oldest-first, {name}"), &got, want, &mut failures);
    }
    let cfg = DramConfig::load(&ini()).unwrap();
    for ((name, requests), want) in picked.iter().zip(&want_gradpim) {
        let mut ch = Channel::new(&cfg).unwrap();
        ch.set_address_mapping(
            AddressMapping::parse(AddressMapping::GRADPIM, &cfg.geometry()).unwrap(),
        );
        let got = measure(&mut ch, Some(requests));
        check(
            &format!("GradPIM mapping, {name}"),
            &got,
            want,
            &mut failures,
        );
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn command_streams_reproduce_their_recorded_results() {
    let cfg = DramConfig::load(&ini()).unwrap();
    let want = // PIM streams
Golden {
 cycles: 52494,
 counts: vec![11108, 11058, 7500, 2500, 25, 6400, 3200],
 row_hits: 5907,
 forwarded_reads: 0,
 merged_writes: 0,
 log_hash: 6760337805161748747,
 energy_j: 0.000179577659648,
 read_latency: 832.8970666666667,
 };
    let mut failures = Vec::new();
    check("PIM streams", &pim_streams(&cfg), &want, &mut failures);
    assert!(failures.is_empty(), "{failures:#?}");
}
