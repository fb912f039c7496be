//! The JSON rows of `compare`: the schema of docs/cli.md, breakdowns summing to totals.
use pimzoo::builtin_registry;
use pimzoo::compare::compare;
use pimzoo::ir::zoo;
use pimzoo::Workload;
use std::sync::Arc;

#[test]
fn json_rows_have_the_documented_fields_and_sum_up() {
    let registry = builtin_registry();
    let models: Vec<_> = registry.iter().collect();
    let net = Arc::new(zoo::get("resnet18").unwrap());
    let rows = compare(&models, &[Workload::inference(net, 1)]);
    let json: serde_json::Value = serde_json::to_value(&rows).unwrap();
    let rows = json.as_array().unwrap();
    assert_eq!(rows.len(), models.len());
    for row in rows {
        for field in [
            "id",
            "network",
            "latency_s",
            "energy_j",
            "energy_breakdown_j",
            "area_mm2",
            "throughput_samples_per_s",
            "ops_per_s",
            "ops_per_j",
            "metrics",
            "layers",
            "unsupported",
        ] {
            assert!(row.get(field).is_some(), "row lacks `{field}`: {row}");
        }
        if row["unsupported"].is_null() {
            let total = row["energy_j"].as_f64().unwrap();
            let sum: f64 = row["energy_breakdown_j"]
                .as_object()
                .unwrap()
                .values()
                .map(|v| v.as_f64().unwrap())
                .sum();
            assert!((sum - total).abs() <= 1e-9 * total, "{}", row["id"]);
        }
    }
}
