//! Properties of the crossbar mapping: every weight has a cell, the counts
//! of driven rows and used weight vectors add up, and the equations of
//! ISAAC §V / Neural-PIM §3.2 hold for any geometry.
use pimzoo_tech::crossbar::parts;
use pimzoo_tech::crossbar::{ArrayGeometry, Operands, SignedWeights, Slicing};
use proptest::prelude::*;

fn geometry() -> impl Strategy<Value = (ArrayGeometry, Operands)> {
    (
        3u32..10,
        16u32..300,
        1u32..5,
        1u32..5,
        prop_oneof![
            Just(SignedWeights::Differential),
            Just(SignedWeights::Offset),
            Just(SignedWeights::Plain)
        ],
        0u32..2,
        1u32..17,
        1u32..17,
    )
        .prop_map(|(n, cols, cell, dac, s, enc, pi, pw)| {
            (
                ArrayGeometry {
                    rows: 1 << n,
                    columns: cols,
                    cell_bits: cell,
                    dac_bits: dac,
                    signed_weights: s,
                    encoding_saves_bits: enc,
                },
                Operands {
                    input_bits: pi,
                    weight_bits: pw,
                    output_bits: 8,
                },
            )
        })
}

proptest! {
    #[test]
    fn slicing_and_tiling_are_consistent(
        (g, o) in geometry(),
        k in 1u64..5000,
        n in 1u64..3000,
        groups in 1u64..64,
    ) {
        let Ok(s) = Slicing::new(&g, &o) else {
            // Only a row too narrow for one weight is refused here.
            prop_assert!(g.columns < o.weight_bits.div_ceil(g.cell_bits) * 2 + 1);
            return Ok(());
        };
        prop_assert!(s.input_cycles * g.dac_bits >= o.input_bits);
        prop_assert!((s.input_cycles - 1) * g.dac_bits < o.input_bits);
        prop_assert!(s.weight_slices * g.cell_bits >= o.weight_bits);
        prop_assert!(s.columns_used() <= g.columns);
        // Eq. 2: the bitline holds rows x (2^P_D - 1) x (2^P_R - 1), less the encoding bit.
        let levels = g.rows as f64 * ((1u64 << g.dac_bits) - 1) as f64 * ((1u64 << g.cell_bits) - 1) as f64;
        prop_assert!(s.bitline_bits + g.encoding_saves_bits >= levels.log2().ceil() as u32);
        let t = s.tile(k, n, groups);
        // Every weight has a cell in one copy.
        prop_assert!(t.arrays * s.macs_per_vmm() >= k * n * groups);
        prop_assert_eq!(t.vectors_used, n * groups * t.row_blocks);
        prop_assert_eq!(t.row_blocks, k.div_ceil(g.rows as u64));
        prop_assert_eq!(t.rows_driven % k, 0);
    }
}

#[test]
fn isaac_table_i_tile_and_chip_sums() {
    // One tile: 12 IMAs (see parts::tests for the IMA) plus the tile rows.
    let tile_rows = parts::edram_64kb().power.value()
        + parts::edram_bus(parts::ISAAC_BUS_WIRES).power.value()
        + parts::router().power.value() / parts::TILES_PER_ROUTER as f64
        + 2.0 * parts::sigmoid().power.value()
        + parts::maxpool().power.value()
        + parts::tile_shift_add().power.value()
        + parts::tile_output_register().power.value();
    assert!((tile_rows - 40.9e-3).abs() < 0.1e-3, "{tile_rows}");
    let tile_area = parts::edram_64kb().area.value()
        + parts::edram_bus(parts::ISAAC_BUS_WIRES).area.value()
        + parts::router().area.value() / 4.0
        + 2.0 * parts::sigmoid().area.value()
        + parts::maxpool().area.value()
        + parts::tile_shift_add().area.value()
        + parts::tile_output_register().area.value();
    assert!((tile_area - 0.215).abs() < 0.001, "{tile_area}");
    let ht = parts::hypertransport();
    assert_eq!((ht.power.value(), ht.area.value()), (10.4, 22.88));
}
