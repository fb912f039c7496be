//! Parameter sweeps (`pimzoo::sweep`): the grid, its order, shards, resume
//! keys, the file formats and merges, on a crossbar model and on a toy
//! family whose behaviour the tests control.
use pimzoo::ir::zoo;
use pimzoo::sweep::{Format, Job, Shard, Sweep, SweepError, SweepFile, SweepRow};
use pimzoo::units::{Joules, Seconds};
use pimzoo::{
    component, Accelerator, ArchInfo, Catalog, EvalError, Family, PresetData, Report, Workload,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::Arc;

fn workloads(networks: &[&str], batches: &[u64]) -> Vec<Workload> {
    let mut out = Vec::new();
    for n in networks {
        let net = Arc::new(zoo::get(n).unwrap());
        for &b in batches {
            out.push(Workload::inference(net.clone(), b));
        }
    }
    out
}

/// The embedded preset with this id, as data.
fn preset(catalog: &Catalog, id: &str) -> PresetData {
    let (origin, text) = catalog
        .files()
        .find(|(o, t)| catalog.load(t, o).is_ok_and(|m| m.id() == id))
        .unwrap();
    catalog.read(text, origin).unwrap()
}

fn sets(spec: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
    spec.iter()
        .map(|(p, v)| (p.to_string(), v.iter().map(|s| s.to_string()).collect()))
        .collect()
}

/// Every row of the given points, in the order `run_job` gives them.
fn rows(
    sweep: &Sweep,
    catalog: &Catalog,
    points: impl IntoIterator<Item = usize>,
) -> Vec<SweepRow> {
    let mut out = Vec::new();
    for job in sweep.jobs(points) {
        sweep
            .run_job(catalog, &job, |r| -> Result<(), ()> {
                out.push(r);
                Ok(())
            })
            .unwrap();
    }
    out
}

/// A file's text from rows in any order: parsed back and sorted.
fn file_text(sweep: &Sweep, rows: &[SweepRow], format: Format) -> String {
    let mut text = match format {
        Format::Csv => sweep.csv_header(),
        Format::JsonLines => String::new(),
    };
    for r in rows {
        text.push_str(&sweep.encode(r, format));
    }
    let mut f = SweepFile::parse(&text, "rows", format).unwrap();
    f.sort();
    f.to_text()
}

fn isaac_sweep(catalog: &Catalog) -> Sweep {
    Sweep::new(
        catalog,
        vec![preset(catalog, "neuralpim/isaac")],
        sets(&[
            ("array.dac_bits", &["1", "2", "4"]),
            ("chips", &["16", "32"]),
        ]),
        workloads(&["lenet5", "resnet18"], &[1, 4]),
    )
    .unwrap()
}

#[test]
fn the_grid_order_is_base_then_parameters_then_workloads() {
    let catalog = Catalog::builtin();
    let sweep = Sweep::new(
        &catalog,
        vec![
            preset(&catalog, "neuralpim/isaac"),
            preset(&catalog, "neuralpim/neuralpim"),
        ],
        sets(&[
            ("array.dac_bits", &["1", "2"]),
            ("chips", &["16", "32", "64"]),
        ]),
        workloads(&["lenet5", "resnet18"], &[1]),
    )
    .unwrap();
    assert_eq!(sweep.len(), 2 * 2 * 3 * 2);
    assert_eq!(sweep.configs(), 12);
    let key = |i: usize| sweep.key(i).join(" ");
    assert_eq!(key(0), "neuralpim/isaac 1 16 lenet5 inference 1 fp32");
    assert_eq!(key(1), "neuralpim/isaac 1 16 resnet18 inference 1 fp32");
    assert_eq!(key(2), "neuralpim/isaac 1 32 lenet5 inference 1 fp32");
    assert_eq!(key(6), "neuralpim/isaac 2 16 lenet5 inference 1 fp32");
    assert_eq!(key(12), "neuralpim/neuralpim 1 16 lenet5 inference 1 fp32");
    assert_eq!(
        key(23),
        "neuralpim/neuralpim 2 64 resnet18 inference 1 fp32"
    );
    // Every key is distinct.
    let keys: BTreeSet<Vec<String>> = (0..sweep.len()).map(|i| sweep.key(i)).collect();
    assert_eq!(keys.len(), sweep.len());
}

#[test]
fn a_swept_value_reaches_the_model() {
    let catalog = Catalog::builtin();
    let sweep = isaac_sweep(&catalog);
    let all = rows(&sweep, &catalog, 0..sweep.len());
    assert_eq!(all.len(), sweep.len());
    let energy = |dac: &str, chips: &str, net: &str, batch: &str| {
        all.iter()
            .find(|r| r.key[1..5] == [dac, chips, net, "inference"] && r.key[5] == batch)
            .and_then(|r| r.row.energy_j)
            .unwrap()
    };
    // Wider DACs need fewer input cycles, so fewer conversions: ISAAC spends less.
    assert!(energy("4", "16", "resnet18", "1") < energy("1", "16", "resnet18", "1"));
    // A row equals `compare` on the same preset changed by hand.
    let mut data = preset(&catalog, "neuralpim/isaac");
    data.set("array.dac_bits", "2").unwrap();
    data.set("chips", "32").unwrap();
    let model = catalog.build(&data).unwrap();
    let w = &workloads(&["resnet18"], &[4])[0];
    let direct = pimzoo::compare::row(model.as_ref(), w);
    assert_eq!(Some(energy("2", "32", "resnet18", "4")), direct.energy_j);
}

#[test]
fn every_built_in_preset_reads_as_data() {
    let catalog = Catalog::builtin();
    for (origin, text) in catalog.files() {
        let data = catalog.read(text, origin).unwrap();
        assert!(!data.paths().is_empty(), "{origin}");
        assert!(catalog.build(&data).is_ok(), "{origin}");
    }
}

#[test]
fn an_optional_field_left_unset_is_listed_and_can_be_swept() {
    // ntx/cube derives its cluster count from the logic die's power budget
    // unless `clusters` is given.
    let catalog = Catalog::builtin();
    let cube = preset(&catalog, "ntx/cube");
    assert!(cube.paths().iter().any(|p| p == "clusters"));
    assert_eq!(
        cube.get("clusters")
            .map(pimzoo::sweep::value_text)
            .as_deref(),
        Some("unset")
    );
    let sweep = Sweep::new(
        &catalog,
        vec![cube],
        sets(&[("clusters", &["4", "16"])]),
        workloads(&["lenet5"], &[1]),
    )
    .unwrap();
    let r = rows(&sweep, &catalog, 0..sweep.len());
    let latency = |i: usize| r[i].row.latency_s.unwrap();
    assert!(latency(0) > latency(1), "4 clusters are slower than 16");
}

#[test]
fn shards_cover_the_grid_once() {
    let catalog = Catalog::builtin();
    let sweep = isaac_sweep(&catalog);
    for n in 1..=5 {
        let mut seen = vec![0; sweep.len()];
        for k in 1..=n {
            for i in sweep.shard(Shard { k, n }) {
                seen[i] += 1;
            }
        }
        assert!(seen.iter().all(|&c| c == 1), "{n} shards: {seen:?}");
    }
}

#[test]
fn two_shards_merge_into_exactly_the_unsharded_file() {
    let catalog = Catalog::builtin();
    let sweep = isaac_sweep(&catalog);
    for format in [Format::Csv, Format::JsonLines] {
        let whole = file_text(&sweep, &rows(&sweep, &catalog, 0..sweep.len()), format);
        let parts: Vec<(String, SweepFile)> = (1..=2)
            .map(|k| {
                let shard = Shard { k, n: 2 };
                let text = file_text(&sweep, &rows(&sweep, &catalog, sweep.shard(shard)), format);
                let file = SweepFile::parse(&text, &format!("shard{k}"), format).unwrap();
                assert!(!file.records.is_empty() && file.records.len() < sweep.len());
                (format!("shard{k}"), file)
            })
            .collect();
        let merged = SweepFile::merge(parts).unwrap();
        assert_eq!(merged.to_text(), whole, "{format:?}");
        assert_eq!(merged.records.len(), sweep.len());
    }
}

#[test]
fn a_file_gives_back_the_keys_of_its_points() {
    let catalog = Catalog::builtin();
    let sweep = isaac_sweep(&catalog);
    let done = rows(&sweep, &catalog, [0, 5, 7]);
    for format in [Format::Csv, Format::JsonLines] {
        let mut text = if format == Format::Csv {
            sweep.csv_header()
        } else {
            String::new()
        };
        for r in &done {
            text.push_str(&sweep.encode(r, format));
        }
        // An interrupted write leaves half a row behind.
        let complete = text.len();
        text.push_str("neuralpim/isaac,4,");
        let file = SweepFile::parse(&text, "f", format).unwrap();
        assert_eq!(file.complete_len, complete);
        assert_eq!(file.params, ["array.dac_bits", "chips"]);
        let keys = file.keys();
        let todo: Vec<usize> = (0..sweep.len())
            .filter(|&i| !keys.contains(sweep.key(i).as_slice()))
            .collect();
        assert_eq!(todo.len(), sweep.len() - 3, "{format:?}");
        assert!(!todo.contains(&5));
        // Figures come back exactly.
        let r5 = file.records.iter().find(|r| r.key == sweep.key(5)).unwrap();
        assert_eq!(r5.figures.latency_s, done[1].row.latency_s);
        assert_eq!(r5.figures.ops_per_j, done[1].row.ops_per_j);
    }
}

#[test]
fn merges_refuse_conflicting_rows_and_foreign_files() {
    let catalog = Catalog::builtin();
    let sweep = isaac_sweep(&catalog);
    let text = file_text(&sweep, &rows(&sweep, &catalog, [0, 1]), Format::Csv);
    let parse = |t: &str, o: &str| (o.to_string(), SweepFile::parse(t, o, Format::Csv).unwrap());
    // The same rows twice: kept once.
    let merged = SweepFile::merge(vec![parse(&text, "a"), parse(&text, "b")]).unwrap();
    assert_eq!(merged.records.len(), 2);
    // The same point with another result: an error naming both files.
    let line = text.lines().nth(1).unwrap();
    let mut cells: Vec<&str> = line.split(',').collect();
    cells[7] = "1.0";
    let changed = format!("{}\n{}\n", text.lines().next().unwrap(), cells.join(","));
    let e = SweepFile::merge(vec![parse(&text, "a"), parse(&changed, "b")]).unwrap_err();
    assert!(e.to_string().contains("b and a give different rows"), "{e}");
    // A file of another sweep.
    let other = text.replace("base,array.dac_bits,chips", "base,array.rows,chips");
    let e = SweepFile::merge(vec![parse(&text, "a"), parse(&other, "b")]).unwrap_err();
    assert!(e.to_string().contains("array.rows"), "{e}");
    // Not a sweep file at all.
    let e = SweepFile::parse("a,b\n1,2\n", "x.csv", Format::Csv).unwrap_err();
    assert!(e.to_string().starts_with("x.csv:1:"), "{e}");
    let e = SweepFile::parse("{\"a\": 1}\n", "x.jsonl", Format::JsonLines).unwrap_err();
    assert!(e.to_string().starts_with("x.jsonl:1:"), "{e}");
}

#[test]
fn bad_paths_and_values_fail_before_any_work_with_the_valid_paths() {
    let catalog = Catalog::builtin();
    let isaac = || vec![preset(&catalog, "neuralpim/isaac")];
    let w = || workloads(&["lenet5"], &[1]);
    let e = Sweep::new(&catalog, isaac(), sets(&[("dac_bits", &["1"])]), w()).unwrap_err();
    assert!(matches!(e, SweepError::Path { .. }), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("`dac_bits` is not a parameter of `neuralpim/isaac`"),
        "{text}"
    );
    assert!(text.contains("array.dac_bits (1)"), "{text}");
    // A value of the wrong type, and one the model rejects.
    for bad in ["two", "1.5", "99"] {
        let e = Sweep::new(
            &catalog,
            isaac(),
            sets(&[("array.dac_bits", &["1", bad])]),
            w(),
        )
        .unwrap_err();
        assert!(matches!(e, SweepError::Value { .. }), "{bad}: {e}");
        assert!(e.to_string().contains("valid paths"), "{e}");
    }
    let e = Sweep::new(&catalog, isaac(), sets(&[("chips", &["16", "16"])]), w()).unwrap_err();
    assert!(e.to_string().contains("given twice"), "{e}");
    let e = Sweep::new(
        &catalog,
        isaac(),
        sets(&[("chips", &["16"]), ("chips", &["32"])]),
        w(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("given twice"), "{e}");
}

// A toy family: two knobs, a model that cannot be built when a * b > 8.

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ToyConfig {
    id: String,
    a: u32,
    b: u32,
}

struct Toy(ToyConfig);

impl Accelerator for Toy {
    fn id(&self) -> &str {
        &self.0.id
    }
    fn info(&self) -> ArchInfo {
        ArchInfo::default()
    }
    fn evaluate(&self, w: &Workload) -> Result<Report, EvalError> {
        let mut r = Report::new(w);
        r.latency = Seconds(1e-3 * self.0.a as f64 * w.batch as f64);
        r.add_energy(component::COMPUTE, Joules(1e-3 * self.0.b as f64));
        Ok(r)
    }
}

const TOY: &[(&str, &str)] = &[("toy.ron", "Toy(id: \"toy/one\", a: 1, b: 1)")];

fn toy_catalog() -> Catalog {
    let mut c = Catalog::default();
    c.add(Family::sweepable::<ToyConfig>("Toy", TOY, |c| {
        if c.a * c.b > 8 {
            return Err(format!("a * b = {} exceeds 8", c.a * c.b));
        }
        Ok(Box::new(Toy(c)))
    }));
    c
}

#[test]
fn a_combination_that_does_not_build_is_a_row_with_the_reason() {
    let catalog = toy_catalog();
    let base = catalog.read(TOY[0].1, TOY[0].0).unwrap();
    let sweep = Sweep::new(
        &catalog,
        vec![base],
        sets(&[("a", &["1", "4"]), ("b", &["1", "4"])]),
        workloads(&["lenet5"], &[1]),
    )
    .unwrap();
    let all = rows(&sweep, &catalog, 0..sweep.len());
    assert_eq!(all.len(), 4);
    let bad: Vec<&SweepRow> = all.iter().filter(|r| r.row.unsupported.is_some()).collect();
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].key[1..3], ["4", "4"]);
    let reason = bad[0].row.unsupported.as_deref().unwrap();
    assert!(reason.contains("exceeds 8"), "{reason}");
    let line = sweep.encode(bad[0], Format::Csv);
    assert_eq!(
        line,
        "toy/one,4,4,lenet5,inference,1,fp32,,,,,,,,invalid configuration: toy.ron: a * b = 16 exceeds 8\n"
    );
}

#[test]
fn a_family_that_is_not_data_cannot_be_swept_and_says_so() {
    let mut catalog = Catalog::default();
    catalog.add(Family::new::<ToyConfig>("Toy", TOY, |c| {
        Ok(Box::new(Toy(c)))
    }));
    assert!(catalog.load(TOY[0].1, TOY[0].0).is_ok());
    let e = catalog.read(TOY[0].1, TOY[0].0).unwrap_err();
    assert!(e.to_string().contains("cannot be read as data"), "{e}");
}

#[test]
fn jobs_group_points_by_model() {
    let catalog = Catalog::builtin();
    let sweep = isaac_sweep(&catalog);
    // Four workloads per model: points 0-3 share model 0, 4-7 model 1.
    assert_eq!(
        sweep.jobs([5, 0, 3, 4, 9]),
        [
            Job {
                config: 0,
                points: vec![0, 3]
            },
            Job {
                config: 1,
                points: vec![5, 4]
            },
            Job {
                config: 2,
                points: vec![9]
            },
        ]
    );
}
