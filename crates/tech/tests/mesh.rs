//! Properties of the all-reduce and data-parallel model.
use pimzoo_core::units::{Bytes, BytesPerSecond, Joules, Seconds, Watts};
use pimzoo_tech::mesh::{LinkSpec, Mesh, NodeStep, Topology};
use proptest::prelude::*;

fn link(bw: f64, alpha: f64) -> LinkSpec {
    LinkSpec {
        bandwidth: BytesPerSecond(bw),
        step_latency: Seconds(alpha),
        energy_per_bit: Joules::from_pj(13.7),
        idle_power: Watts(0.5),
    }
}

proptest! {
    #[test]
    fn efficiencies_lie_in_zero_one_and_fall_with_the_mesh(
        nodes in 1u32..2048,
        bytes in 1e3f64..1e9,
        compute in 1e-3f64..1.0,
        overlap_share in 0.0f64..1.0,
        torus in any::<bool>(),
        overlap in any::<bool>(),
    ) {
        let topology = if torus { Topology::Torus2d } else { Topology::Ring };
        let node = NodeStep {
            time: Seconds(compute),
            overlappable: Seconds(compute * overlap_share),
            energy: Joules(10.0 * compute),
            idle_power: Watts(3.0),
        };
        let m = Mesh::new(nodes, topology, 4, link(30e9, 1e-6)).unwrap();
        let s = m.step(&node, Bytes(bytes), overlap);
        prop_assert!(s.parallel_efficiency > 0.0 && s.parallel_efficiency <= 1.0);
        prop_assert!(s.energy_efficiency > 0.0 && s.energy_efficiency <= 1.0);
        prop_assert!(s.time >= node.time);
        // Twice the nodes never step faster nor more efficiently.
        let bigger = Mesh::new(nodes * 2, topology, 4, link(30e9, 1e-6)).unwrap();
        let b = bigger.step(&node, Bytes(bytes), overlap);
        prop_assert!(b.parallel_efficiency <= s.parallel_efficiency + 1e-12);
        prop_assert!(b.allreduce.time >= s.allreduce.time * (1.0 - 1e-12) || nodes == 1);
    }

    #[test]
    fn the_bandwidth_term_approaches_s_over_b(bytes in 1e6f64..1e9) {
        // A large ring with no step latency: T -> 2 S / (2 B) = S / B.
        let m = Mesh::new(4096, Topology::Ring, 2, link(10e9, 0.0)).unwrap();
        let t = m.allreduce(Bytes(bytes)).time.value();
        let limit = bytes / 10e9;
        prop_assert!(t <= limit && t > 0.999 * limit);
    }
}

#[test]
fn overlap_hides_an_all_reduce_shorter_than_the_backward_pass() {
    let m = Mesh::new(256, Topology::Torus2d, 4, link(40e9, 1e-6)).unwrap();
    let node = NodeStep {
        time: Seconds(0.4),
        overlappable: Seconds(0.25),
        energy: Joules(5.0),
        idle_power: Watts(3.0),
    };
    // 100 MB over 40 GB/s: a few ms, far below the 250 ms backward pass.
    let s = m.step(&node, Bytes(1e8), true);
    assert_eq!(s.exposed, Seconds::ZERO);
    assert_eq!(s.parallel_efficiency, 1.0);
    let plain = m.step(&node, Bytes(1e8), false);
    assert!(plain.parallel_efficiency < 1.0);
}
