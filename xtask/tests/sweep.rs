//! `cargo xtask sweep` as a user meets it: files, shards, resume, merge,
//! errors before work, and the files it must not overwrite.
mod common;

use std::path::{Path, PathBuf};

fn xtask(args: &[&str], dir: &Path) -> (bool, String, String) {
    common::run(args, Some(dir))
}

/// A fresh directory per test.
fn dir(name: &str) -> PathBuf {
    common::fresh_dir("sweep", name)
}

fn read(d: &Path, f: &str) -> String {
    std::fs::read_to_string(d.join(f)).unwrap()
}

const GRID: [&str; 6] = [
    "sweep",
    "--arch",
    "neuralpim/isaac",
    "--set",
    "array.dac_bits=1,2,4",
    "--network",
];

fn grid(extra: &[&str]) -> Vec<String> {
    GRID.iter()
        .chain(["lenet5,resnet18"].iter())
        .chain(extra)
        .map(|s| s.to_string())
        .collect()
}

fn run(d: &Path, args: &[String]) -> (bool, String, String) {
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    xtask(&a, d)
}

#[test]
fn three_values_give_three_rows_and_a_plot() {
    let d = dir("done-when");
    let (ok, _, err) = xtask(
        &[
            "sweep",
            "--arch",
            "neuralpim/isaac",
            "--set",
            "array.dac_bits=1,2,4",
            "--network",
            "resnet18",
            "--plot",
            "s.svg",
            "-o",
            "s.csv",
        ],
        &d,
    );
    assert!(ok, "{err}");
    let csv = read(&d, "s.csv");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[0].starts_with("base,array.dac_bits,network,task,batch,precision,latency_s"));
    for (line, v) in lines[1..].iter().zip(["1", "2", "4"]) {
        assert!(line.starts_with(&format!("neuralpim/isaac,{v},resnet18,inference,1,fp32,")));
    }
    let svg = read(&d, "s.svg");
    assert!(svg.starts_with("<svg") && svg.contains("pimzoo-plot"));
    assert!(svg.contains("array.dac_bits") && svg.contains("energy efficiency (op/J)"));
    // Not a terminal: no progress bar, only the summary line.
    assert!(!err.contains("eta"), "{err}");
    assert!(err.contains("3 point(s) evaluated"), "{err}");
}

#[test]
fn two_shards_give_the_rows_of_the_whole_grid() {
    let d = dir("shards");
    for format in ["csv", "jsonl"] {
        let whole = format!("whole.{format}");
        let (ok, _, err) = run(&d, &grid(&["--batch", "1,8", "-o", &whole]));
        assert!(ok, "{err}");
        let mut parts = Vec::new();
        for k in 1..=2 {
            let part = format!("part{k}.{format}");
            let (ok, _, err) = run(
                &d,
                &grid(&["--batch", "1,8", "--shard", &format!("{k}/2"), "-o", &part]),
            );
            assert!(ok, "{err}");
            parts.push(part);
        }
        let rows = |f: &str| -> Vec<String> {
            let mut r: Vec<String> = read(&d, f)
                .lines()
                .filter(|l| !l.starts_with("base,"))
                .map(String::from)
                .collect();
            r.sort();
            r
        };
        let (a, b) = (rows(&parts[0]), rows(&parts[1]));
        assert_eq!(a.len() + b.len(), 12);
        assert!(a.iter().all(|r| !b.contains(r)), "the shards overlap");
        let mut union = [a, b].concat();
        union.sort();
        assert_eq!(union, rows(&whole), "{format}");
        // `sweep merge` gives the same file, byte for byte.
        let merged = format!("merged.{format}");
        let (ok, _, err) = xtask(&["sweep", "merge", &parts[0], &parts[1], "-o", &merged], &d);
        assert!(ok, "{err}");
        assert_eq!(read(&d, &merged), read(&d, &whole), "{format}");
    }
}

#[test]
fn resume_computes_only_what_is_missing() {
    let d = dir("resume");
    let (ok, _, err) = run(&d, &grid(&["-o", "full.csv"]));
    assert!(ok, "{err}");
    let full = read(&d, "full.csv");
    // An interrupted run: two rows, then half of a third.
    let lines: Vec<&str> = full.lines().collect();
    let partial = format!(
        "{}\n{}\n{}\n{}",
        lines[0],
        lines[4],
        lines[1],
        &lines[2][..20]
    );
    std::fs::write(d.join("s.csv"), &partial).unwrap();
    let (ok, _, err) = run(&d, &grid(&["-o", "s.csv", "--resume"]));
    assert!(ok, "{err}");
    assert!(
        err.contains("4 point(s) evaluated") && err.contains("2 were already"),
        "{err}"
    );
    assert_eq!(read(&d, "s.csv"), full);
    // Nothing left to do.
    let (ok, _, err) = run(&d, &grid(&["-o", "s.csv", "--resume"]));
    assert!(ok && err.contains("nothing to evaluate"), "{err}");
    // A file of another sweep is not resumed.
    let (ok, _, err) = xtask(
        &[
            "sweep",
            "--arch",
            "neuralpim/isaac",
            "--set",
            "chips=16,32",
            "-o",
            "s.csv",
            "--resume",
        ],
        &d,
    );
    assert!(
        !ok && err.contains("holds a sweep over [array.dac_bits]"),
        "{err}"
    );
    assert_eq!(read(&d, "s.csv"), full);
}

#[test]
fn an_existing_file_is_never_overwritten_without_resume_or_force() {
    let d = dir("overwrite");
    std::fs::write(d.join("mine.csv"), "my data\n").unwrap();
    let (ok, _, err) = run(&d, &grid(&["-o", "mine.csv"]));
    assert!(
        !ok && err.contains("--resume") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(read(&d, "mine.csv"), "my data\n");
    // --resume on a file that is not a sweep: an error, the file intact.
    let (ok, _, err) = run(&d, &grid(&["-o", "mine.csv", "--resume"]));
    assert!(!ok, "{err}");
    assert_eq!(read(&d, "mine.csv"), "my data\n");
    // A plot over a file of the user's.
    std::fs::write(d.join("notes.svg"), "<svg>mine</svg>").unwrap();
    let (ok, _, err) = run(&d, &grid(&["-o", "new.csv", "--plot", "notes.svg"]));
    assert!(!ok && err.contains("notes.svg"), "{err}");
    assert_eq!(read(&d, "notes.svg"), "<svg>mine</svg>");
    assert!(!d.join("new.csv").exists(), "checked before any work");
    // --force replaces.
    let (ok, _, err) = run(&d, &grid(&["-o", "mine.csv", "--force"]));
    assert!(ok, "{err}");
    assert!(read(&d, "mine.csv").starts_with("base,"));
    // merge -o also refuses.
    let (ok, _, err) = xtask(&["sweep", "merge", "mine.csv", "-o", "notes.svg"], &d);
    assert!(!ok && err.contains("--force"), "{err}");
}

#[test]
fn bad_arguments_fail_before_any_work() {
    let d = dir("errors");
    let (ok, _, err) = xtask(
        &[
            "sweep",
            "--arch",
            "neuralpim/isaac",
            "--set",
            "dac_bits=1,2",
            "-o",
            "x.csv",
        ],
        &d,
    );
    assert!(!ok, "{err}");
    assert!(
        err.contains("`dac_bits` is not a parameter of `neuralpim/isaac`"),
        "{err}"
    );
    assert!(
        err.contains("array.dac_bits (1)") && err.contains("chips (16)"),
        "{err}"
    );
    let (ok, _, err) = xtask(
        &[
            "sweep",
            "--arch",
            "neuralpim/isaac",
            "--set",
            "array.dac_bits=1,many",
            "-o",
            "x.csv",
        ],
        &d,
    );
    assert!(
        !ok && err.contains("array.dac_bits=many") && err.contains("valid paths"),
        "{err}"
    );
    assert!(!d.join("x.csv").exists());
    for (args, expect) in [
        (&["--shard", "3/2"][..], "--shard"),
        (&["--set", "chips"][..], "PATH=V1"),
        (&["--metric", "speed"][..], "ops_per_j"),
        (&["-o", "x.txt"][..], ".jsonl"),
    ] {
        let mut a = vec!["sweep", "--arch", "neuralpim/isaac"];
        a.extend(args);
        let (ok, _, err) = xtask(&a, &d);
        assert!(!ok && err.contains(expect), "{args:?}: {err}");
    }
    let (ok, _, err) = xtask(&["sweep", "--set", "chips=1"], &d);
    assert!(!ok && err.contains("--arch"), "{err}");
}

#[test]
fn rows_stream_to_standard_output_and_the_third_party_model_sweeps() {
    let d = dir("stdout");
    let (ok, out, err) = xtask(
        &[
            "sweep",
            "--arch",
            "systolic/tpu-v1",
            "--set",
            "array_rows=64,128,256",
            "--precision",
            "int8",
            "--format",
            "jsonl",
        ],
        &d,
    );
    assert!(ok, "{err}");
    let rows: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 3);
    let mut rows_seen: Vec<u64> = rows
        .iter()
        .map(|r| r["params"]["array_rows"].as_u64().unwrap())
        .collect();
    rows_seen.sort();
    assert_eq!(rows_seen, [64, 128, 256]);
    assert!(rows.iter().all(|r| r["base"] == "systolic/tpu-v1"));
    assert!(rows.iter().all(|r| r["latency_s"].as_f64().unwrap() > 0.0));
    // --list-paths shows the parameters with their values.
    let (ok, out, _) = xtask(&["sweep", "--arch", "systolic/tpu-v1", "--list-paths"], &d);
    assert!(
        ok && out.contains("  array_rows = 256") && out.contains("  clock = 700000000.0"),
        "{out}"
    );
}
