//! Time to import ONNX files: the largest fixture with inline weights, the
//! BERT encoder layer, and that layer followed by 100 MB of weights (written
//! once to a temporary file), which the importer must seek past, not read.
use criterion::{criterion_group, criterion_main, Criterion};
use pimzoo_ir::onnx::{import_file, ImportOptions};
use std::hint::black_box;
use std::path::{Path, PathBuf};

fn fixture(file: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/onnx")).join(file)
}

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn field(number: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    varint(number << 3 | 2, &mut out);
    varint(payload.len() as u64, &mut out);
    out.extend_from_slice(payload);
    out
}

/// The BERT layer plus 16 unused float initializers of 6.25 MB each, in a
/// second `graph` field that protobuf merges into the first.
fn write_100_mb(path: &Path) {
    let mut graph = Vec::new();
    let n: u64 = 100 << 20 >> 4 >> 2;
    for i in 0..16 {
        let mut t = Vec::new();
        varint(1 << 3, &mut t);
        varint(n, &mut t);
        varint(2 << 3, &mut t);
        varint(1, &mut t);
        t.extend(field(8, format!("padding.{i}").as_bytes()));
        t.extend(field(9, &vec![0u8; (4 * n) as usize]));
        graph.extend(field(5, &t));
    }
    let mut bytes = std::fs::read(fixture("bert-encoder-layer.onnx")).expect("the fixture exists");
    bytes.extend(field(7, &graph));
    std::fs::write(path, bytes).expect("the temporary file can be written");
}

fn bench(c: &mut Criterion) {
    let options = ImportOptions::default();
    let mut group = c.benchmark_group("onnx import");
    group.sample_size(20);
    for file in ["resnet-basic-block.onnx", "bert-encoder-layer.onnx"] {
        let path = fixture(file);
        group.bench_function(file, |b| {
            b.iter(|| import_file(black_box(&path), &options).expect("the fixture imports"))
        });
    }
    let big = std::env::temp_dir().join(format!("pimzoo-bench-{}-100mb.onnx", std::process::id()));
    write_100_mb(&big);
    group.bench_function("bert layer + 100 MB of weights", |b| {
        b.iter(|| import_file(black_box(&big), &options).expect("the padded file imports"))
    });
    group.finish();
    let _ = std::fs::remove_file(&big);
}

criterion_group!(benches, bench);
criterion_main!(benches);
