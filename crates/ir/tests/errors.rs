//! Bad input gets an error that says what and where; never a panic.
use pimzoo_ir::{load_network_file, parse_network, zoo, IrError};
use proptest::prelude::*;

fn err(text: &str) -> String {
    parse_network(text, "net.ron").unwrap_err().to_string()
}

fn one_layer(op: &str) -> String {
    format!("Network(name: \"t\", input: [3, 8, 8], layers: [\n    (name: \"x\", op: {op}),\n])")
}

#[test]
fn malformed_ron_gives_file_line_and_column() {
    let text = "Network(\n    name: \"t\",\n    input: [3, 8, 8]\n    layers: [],\n)";
    let e = parse_network(text, "net.ron").unwrap_err();
    match &e {
        IrError::Syntax(pimzoo_ir::SyntaxError { line, column, .. }) => {
            assert_eq!(*line, 4, "{e}");
            assert!(*column > 0);
        }
        other => panic!("expected a syntax error, got {other:?}"),
    }
    assert!(e.to_string().starts_with("net.ron:4:"), "{e}");
}

#[test]
fn unknown_op_is_named_with_the_valid_ones() {
    let e = err(&one_layer("Conv3d(out: 4, kernel: 3)"));
    assert!(e.starts_with("net.ron:2:"), "{e}");
    assert!(e.contains("Conv3d") && e.contains("Conv2d"), "{e}");
}

#[test]
fn unknown_field_is_named() {
    let e = err(&one_layer("Conv2d(out: 4, kernal: 3)"));
    assert!(e.contains("kernal"), "{e}");
}

#[test]
fn zero_sizes_are_rejected_with_the_layer_name() {
    for (op, field) in [
        ("Conv2d(out: 0, kernel: 3)", "out"),
        ("Conv2d(out: 4, kernel: 0)", "kernel"),
        ("Conv2d(out: 4, kernel: 3, stride: 0)", "stride"),
        ("Conv2d(out: 4, kernel: 3, groups: 0)", "groups"),
        ("Pool(kind: Max, kernel: 0)", "kernel"),
    ] {
        let e = err(&one_layer(op));
        assert!(e.contains("layer `x`") && e.contains(field), "{op}: {e}");
        assert!(e.starts_with("net.ron:2: "), "{op}: {e}");
    }
    let e = err("Network(name: \"t\", input: [3, 0, 8], layers: [(name: \"x\", op: Flatten)])");
    assert!(e.contains("zero"), "{e}");
}

#[test]
fn negative_sizes_are_syntax_errors() {
    let e = err(&one_layer("Conv2d(out: -4, kernel: 3)"));
    assert!(e.starts_with("net.ron:2:"), "{e}");
}

#[test]
fn channel_mismatch_names_both_layers() {
    let text = r#"Network(name: "t", input: [3, 8, 8], layers: [
        (name: "a", op: Conv2d(out: 8, kernel: 3, padding: 1)),
        (name: "b", op: Conv2d(out: 16, kernel: 3, padding: 1)),
        (name: "sum", op: Add, inputs: ["a", "b"]),
    ])"#;
    let e = err(text);
    assert!(
        e.contains("`a`") && e.contains("`b`") && e.contains("layer `sum`"),
        "{e}"
    );
    assert!(e.starts_with("net.ron:4:"), "{e}");

    let text = r#"Network(name: "t", input: [3, 8, 8], layers: [
        (name: "a", op: Conv2d(out: 8, kernel: 3)),
        (name: "b", op: Conv2d(out: 16, kernel: 3, in_channels: 4)),
    ])"#;
    let e = err(text);
    assert!(e.contains("layer `b`") && e.contains("`a` gives 8"), "{e}");
}

#[test]
fn unknown_inputs_and_duplicates_are_named() {
    let text = r#"Network(name: "t", input: [3, 8, 8], layers: [
        (name: "a", op: Flatten, inputs: ["nowhere"]),
    ])"#;
    assert!(err(text).contains("`nowhere`"));
    let text = r#"Network(name: "t", input: [3, 8, 8], layers: [
        (name: "a", op: Flatten),
        (name: "a", op: Flatten),
    ])"#;
    assert!(err(text).contains("earlier layer"));
}

#[test]
fn linear_on_a_feature_map_asks_for_flatten() {
    assert!(err(&one_layer("Linear(out: 10)")).contains("Flatten"));
}

#[test]
fn unknown_network_lists_the_zoo() {
    let e = zoo::get("resnet99").unwrap_err().to_string();
    assert!(
        e.contains("resnet99") && e.contains("resnet18") && e.contains("bert-base"),
        "{e}"
    );
}

#[test]
fn missing_file_names_the_path() {
    let e = load_network_file(std::path::Path::new("no/such/net.ron"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("no/such/net.ron"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse_network(&text, "fuzz.ron");
    }

    #[test]
    fn mutated_zoo_files_never_panic(
        file in 0..zoo::FILES.len(),
        at in any::<proptest::sample::Index>(),
        len in 0usize..12,
        insert in "[0-9a-z(),:\\[\\]\" -]{0,8}",
    ) {
        let text = zoo::FILES[file].1;
        let start = at.index(text.len());
        let start = (0..=start).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
        let end = (start + len..=text.len()).find(|i| text.is_char_boundary(*i)).unwrap_or(text.len());
        let mutated = format!("{}{}{}", &text[..start], insert, &text[end..]);
        let _ = parse_network(&mutated, "fuzz.ron");
    }

    #[test]
    fn numbers_changed_in_lenet_never_panic(
        out in 0usize..100_000, kernel in 0usize..64, stride in 0usize..8, pad in 0usize..8,
    ) {
        let text = format!(
            "Network(name: \"t\", input: [1, 32, 32], layers: [(name: \"c\", op: Conv2d(out: {out}, kernel: {kernel}, stride: {stride}, padding: {pad})), (name: \"p\", op: Pool(kind: Max, kernel: {kernel}, stride: {stride}, padding: {pad}, ceil_mode: true))])"
        );
        let _ = parse_network(&text, "fuzz.ron");
    }
}

#[test]
fn absurd_sizes_are_errors_not_overflows() {
    for op in [
        "Conv2d(out: 18446744073709551615, kernel: 3)",
        "Conv2d(out: 4294967297, kernel: 1)",
        "Conv2d(out: 4, kernel: 3, dilation: 4294967295)",
        "Pool(kind: Max, kernel: 2, stride: 4294967297, ceil_mode: true)",
    ] {
        let e = err(&one_layer(op));
        assert!(e.contains("layer `x`"), "{op}: {e}");
    }
    let e = err("Network(name: \"t\", input: [4294967295, 4294967295, 2], layers: [(name: \"x\", op: Flatten)])");
    assert!(e.contains("larger"), "{e}");
}
