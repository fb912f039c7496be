//! The examples in docs/ir.md are real: they parse and give what the page says.
use pimzoo_ir::{parse_network, TensorShape};

const PAGE: &str = include_str!("../../../docs/ir.md");

#[test]
fn the_example_network_of_docs_ir_parses() {
    let start = PAGE.find("```ron\n").expect("docs/ir.md has a ron example") + 7;
    let len = PAGE[start..].find("```").expect("the example is closed");
    let net = parse_network(&PAGE[start..start + len], "docs/ir.md").unwrap();
    let cat = net.layers().iter().find(|l| l.name == "cat").unwrap();
    assert_eq!(cat.output, TensorShape::new(vec![64, 16, 16]));
    assert_eq!(net.output(), &TensorShape::new(vec![10]));
}
