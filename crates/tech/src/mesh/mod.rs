//! Synchronous data-parallel training on a mesh of nodes joined by
//! point-to-point links (HMC serial links, or a network between GPUs): the
//! all-reduce of the gradients after every step, and what it does to the
//! parallel and energy efficiency. Nothing here knows what a node computes:
//! a model hands in one node's step ([`NodeStep`]) and the gradient size.
//!
//! All-reduce (reduce-scatter then all-gather), `S` bytes per node, link
//! bandwidth `B` per direction, per-step latency `alpha`:
//!
//! ```text
//! ring of N (two links per node, the data split in halves that travel in
//! opposite directions):   T = 2 (N - 1) (alpha + S / (2 B N))
//! 2-D torus r x c (four links per node; rows first, then columns on 1/c of
//! the data, each dimension a bidirectional ring):
//!   T = 2 (c - 1) (alpha + S / (2 B c)) + 2 (r - 1) (alpha + S / (2 B c r))
//! ```
//!
//! A step of the mesh: `T_N = T_1 + max(0, T_allreduce - T_overlap)`, where
//! `T_overlap` is the part of the node's step the all-reduce can hide behind
//! (the backward pass, when gradients are sent as soon as they exist), or 0.
//! Weak scaling (the same samples per node): parallel efficiency
//! `T_1 / T_N`, energy efficiency `N E_1 / E_N` with
//! `E_N = N E_1 + E_links + N P_idle (T_N - T_1) + N L P_link_idle T_links`,
//! with `T_links = T_N`, or the all-reduce time when the links are power-gated
//! between all-reduces.
use pimzoo_core::units::{Bytes, BytesPerSecond, Joules, Seconds, Watts};
use serde::{Deserialize, Serialize};

/// How the nodes are wired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Topology {
    /// A ring: each node talks to two neighbours.
    Ring,
    /// A 2-D torus as close to square as the node count allows (a prime
    /// count degenerates to a ring).
    Torus2d,
}

impl Topology {
    pub fn name(self) -> &'static str {
        match self {
            Topology::Ring => "ring",
            Topology::Torus2d => "2-D torus",
        }
    }

    /// Links each node needs.
    pub fn links_needed(self) -> u32 {
        match self {
            Topology::Ring => 2,
            Topology::Torus2d => 4,
        }
    }
}

/// One point-to-point link.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    /// Payload bandwidth per direction.
    pub bandwidth: BytesPerSecond,
    /// Fixed cost of one all-reduce step: link latency plus the node's
    /// synchronisation and the start of the transfer.
    pub step_latency: Seconds,
    /// Energy per payload bit sent.
    pub energy_per_bit: Joules,
    /// Power of one link kept up while the mesh trains.
    pub idle_power: Watts,
}

/// A mesh that cannot exist; the message says why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("mesh: {0}")]
pub struct MeshError(pub String);

/// `nodes` nodes wired as `topology`, each with `links_per_node` links.
#[derive(Clone, Debug, PartialEq)]
pub struct Mesh {
    nodes: u32,
    topology: Topology,
    links_per_node: u32,
    link: LinkSpec,
    /// Links are powered only while an all-reduce runs (else for the whole step).
    power_gating: bool,
}

/// The cost of one all-reduce.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct AllReduce {
    pub time: Seconds,
    /// Communication steps on the critical path.
    pub steps: u32,
    /// Payload each node sends.
    pub bytes_sent_per_node: Bytes,
    /// Energy of all payload bits sent by all nodes.
    pub link_energy: Joules,
}

/// One node's training step, as its model computed it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NodeStep {
    pub time: Seconds,
    /// The part of `time` an all-reduce can overlap (the backward pass).
    pub overlappable: Seconds,
    pub energy: Joules,
    /// Power the node draws while it waits for the all-reduce.
    pub idle_power: Watts,
}

/// A step of the whole mesh.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MeshStep {
    pub time: Seconds,
    /// All-reduce time not hidden behind the node's step.
    pub exposed: Seconds,
    /// Energy of all nodes and links.
    pub energy: Joules,
    /// Link energy: payload plus idle power of the links over the step.
    pub link_energy: Joules,
    /// Node energy spent waiting for the exposed all-reduce.
    pub wait_energy: Joules,
    pub allreduce: AllReduce,
    pub parallel_efficiency: f64,
    pub energy_efficiency: f64,
}

/// The factorisation `rows x cols` of `n` closest to square (`rows <= cols`).
pub fn torus_grid(n: u32) -> (u32, u32) {
    let mut r = (n as f64).sqrt().floor() as u32;
    while r > 1 && n % r != 0 {
        r -= 1;
    }
    let r = r.max(1);
    (r, n / r)
}

impl Mesh {
    pub fn new(
        nodes: u32,
        topology: Topology,
        links_per_node: u32,
        link: LinkSpec,
    ) -> Result<Mesh, MeshError> {
        if nodes == 0 {
            return Err(MeshError("a mesh needs at least one node".into()));
        }
        if nodes > 1 && links_per_node < topology.links_needed() {
            return Err(MeshError(format!(
                "a {} needs {} links per node, the nodes have {links_per_node}",
                topology.name(),
                topology.links_needed()
            )));
        }
        let ok = |v: f64| v.is_finite() && v >= 0.0;
        if !(link.bandwidth.value().is_finite() && link.bandwidth.value() > 0.0) {
            return Err(MeshError(format!(
                "link bandwidth must be positive, found {}",
                link.bandwidth
            )));
        }
        if !ok(link.step_latency.value())
            || !ok(link.energy_per_bit.value())
            || !ok(link.idle_power.value())
        {
            return Err(MeshError(
                "link step latency, energy per bit and idle power must be non-negative".into(),
            ));
        }
        Ok(Mesh {
            nodes,
            topology,
            links_per_node,
            link,
            power_gating: false,
        })
    }

    /// Power the links only while an all-reduce runs, as a node that
    /// computes on its own data can (wake-up time folded into the step latency).
    pub fn with_power_gating(mut self, on: bool) -> Mesh {
        self.power_gating = on;
        self
    }

    pub fn nodes(&self) -> u32 {
        self.nodes
    }
    pub fn topology(&self) -> Topology {
        self.topology
    }
    pub fn link(&self) -> &LinkSpec {
        &self.link
    }

    /// `(rows, cols)` of the torus, or `(1, nodes)` for a ring.
    pub fn grid(&self) -> (u32, u32) {
        match self.topology {
            Topology::Ring => (1, self.nodes),
            Topology::Torus2d => torus_grid(self.nodes),
        }
    }

    /// All-reduce of `bytes` on every node.
    pub fn allreduce(&self, bytes: Bytes) -> AllReduce {
        if self.nodes <= 1 || bytes.value() <= 0.0 {
            return AllReduce::default();
        }
        let (r, c) = self.grid();
        let (alpha, b, s) = (
            self.link.step_latency.value(),
            self.link.bandwidth.value(),
            bytes.value(),
        );
        // One dimension of `k` nodes, a bidirectional ring over `data` bytes:
        // reduce-scatter and all-gather, k - 1 steps each, data / k per step
        // split over the two directions.
        let ring = |k: u32, data: f64| -> (f64, u32, f64) {
            if k <= 1 {
                return (0.0, 0, 0.0);
            }
            let k = k as f64;
            let steps = 2.0 * (k - 1.0);
            (
                steps * (alpha + data / (2.0 * b * k)),
                steps as u32,
                steps * data / k,
            )
        };
        let (t_row, n_row, sent_row) = ring(c, s);
        let (t_col, n_col, sent_col) = ring(r, s / c as f64);
        let sent = sent_row + sent_col;
        AllReduce {
            time: Seconds(t_row + t_col),
            steps: n_row + n_col,
            bytes_sent_per_node: Bytes(sent),
            link_energy: self.link.energy_per_bit * (8.0 * sent * self.nodes as f64),
        }
    }

    /// One training step of the mesh, every node running `node` on its own
    /// samples, with `gradient` bytes all-reduced per step; with `overlap`
    /// the all-reduce runs during the node's overlappable part.
    pub fn step(&self, node: &NodeStep, gradient: Bytes, overlap: bool) -> MeshStep {
        let ar = self.allreduce(gradient);
        let hidden = if overlap {
            node.overlappable.min(node.time)
        } else {
            Seconds::ZERO
        };
        let exposed = (ar.time - hidden).max(Seconds::ZERO);
        let time = node.time + exposed;
        let n = self.nodes as f64;
        // A single node powers its links down; a mesh keeps them up for the
        // whole step, or with power gating only while it communicates.
        let powered = if self.power_gating { ar.time } else { time };
        let idle_links = if self.nodes > 1 {
            self.link.idle_power * (n * self.links_per_node as f64) * powered
        } else {
            Joules::ZERO
        };
        let link_energy = ar.link_energy + idle_links;
        let wait_energy = node.idle_power * exposed * n;
        let compute = node.energy * n;
        let energy = compute + link_energy + wait_energy;
        MeshStep {
            time,
            exposed,
            energy,
            link_energy,
            wait_energy,
            allreduce: ar,
            parallel_efficiency: node.time / time,
            energy_efficiency: if energy.value() > 0.0 {
                compute / energy
            } else {
                1.0
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link() -> LinkSpec {
        LinkSpec {
            bandwidth: BytesPerSecond(10e9),
            step_latency: Seconds(1e-6),
            energy_per_bit: Joules::from_pj(10.0),
            idle_power: Watts(0.5),
        }
    }

    #[test]
    fn a_ring_all_reduce_follows_the_textbook_formula() {
        let m = Mesh::new(8, Topology::Ring, 2, link()).unwrap();
        let s = 80e6;
        let ar = m.allreduce(Bytes(s));
        let expect = 14.0 * (1e-6 + s / (2.0 * 10e9 * 8.0));
        assert!((ar.time.value() - expect).abs() < 1e-15);
        assert_eq!(ar.steps, 14);
        assert!((ar.bytes_sent_per_node.value() - 2.0 * 7.0 / 8.0 * s).abs() < 1e-6);
        assert_eq!(
            Mesh::new(1, Topology::Ring, 0, link())
                .unwrap()
                .allreduce(Bytes(s)),
            AllReduce::default()
        );
    }

    #[test]
    fn a_torus_cuts_the_latency_term_and_sends_as_much() {
        let ring = Mesh::new(1024, Topology::Ring, 4, link()).unwrap();
        let torus = Mesh::new(1024, Topology::Torus2d, 4, link()).unwrap();
        assert_eq!(torus.grid(), (32, 32));
        let (a, b) = (ring.allreduce(Bytes(1e8)), torus.allreduce(Bytes(1e8)));
        assert_eq!(a.steps, 2046);
        assert_eq!(b.steps, 124);
        assert!(b.time < a.time);
        // 2 (1 - 1/c) S + 2 (1 - 1/r) S / c = 2 (1 - 1/N) S: the same bytes.
        let ratio = b.bytes_sent_per_node.value() / a.bytes_sent_per_node.value();
        assert!((ratio - 1.0).abs() < 1e-12, "{ratio}");
        assert_eq!(torus_grid(12), (3, 4));
        assert_eq!(torus_grid(13), (1, 13));
    }

    #[test]
    fn overlap_hides_communication_and_efficiencies_stay_below_one() {
        let m = Mesh::new(64, Topology::Torus2d, 4, link()).unwrap();
        let node = NodeStep {
            time: Seconds(0.1),
            overlappable: Seconds(0.06),
            energy: Joules(2.0),
            idle_power: Watts(5.0),
        };
        let plain = m.step(&node, Bytes(1e8), false);
        let hidden = m.step(&node, Bytes(1e8), true);
        assert!(hidden.time <= plain.time);
        for s in [plain, hidden] {
            assert!(s.parallel_efficiency > 0.0 && s.parallel_efficiency <= 1.0);
            assert!(s.energy_efficiency > 0.0 && s.energy_efficiency <= 1.0);
            let sum = node.energy.value() * 64.0 + s.link_energy.value() + s.wait_energy.value();
            assert!((s.energy.value() - sum).abs() < 1e-9);
        }
        // Gated links draw power only while the all-reduce runs.
        let gated = m
            .clone()
            .with_power_gating(true)
            .step(&node, Bytes(1e8), true);
        assert!(gated.link_energy < hidden.link_energy);
        assert!(gated.energy_efficiency > hidden.energy_efficiency);
        // One node: nothing to reduce, no links up.
        let one = Mesh::new(1, Topology::Torus2d, 4, link()).unwrap();
        let s = one.step(&node, Bytes(1e8), false);
        assert_eq!(s.parallel_efficiency, 1.0);
        assert_eq!(s.energy_efficiency, 1.0);
    }

    #[test]
    fn invalid_meshes_are_errors() {
        assert!(Mesh::new(0, Topology::Ring, 2, link()).is_err());
        let e = Mesh::new(16, Topology::Torus2d, 2, link()).unwrap_err();
        assert!(e.to_string().contains("4 links"), "{e}");
        let mut l = link();
        l.bandwidth = BytesPerSecond(0.0);
        assert!(Mesh::new(4, Topology::Ring, 2, l).is_err());
    }
}
