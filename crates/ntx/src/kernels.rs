//! Kernels beyond whole networks, for the DATE 2019 claim that NTX reaches
//! "up to 87 % of peak" on reduction kernels: each kernel runs from the TCDM
//! (no DMA) on one cluster, as one tile, and its efficiency is what the
//! command model gives, `flops / (peak x cycles)`. The kernel list and sizes
//! are an assumption (the DATE paper's list was not available); each fits
//! a 64 kB TCDM.
use crate::cluster::{ClusterSpec, TileWork};
use crate::engine::{Command, CommandError, Opcode};

/// One kernel: its name, command and command count on one cluster.
struct Kernel {
    name: &'static str,
    cmd: Command,
    commands: u64,
}

fn suite() -> Result<Vec<Kernel>, CommandError> {
    Ok(vec![
        // C[64 x 64] = A[64 x 64] B[64 x 64]: 512 outputs per engine, K = 64.
        Kernel {
            name: "gemm-64",
            cmd: Command::new(Opcode::Mac, &[64, 512], 1, 1, false)?,
            commands: 8,
        },
        // 3x3 convolution, 16 -> 16 channels, 16 x 16 outputs: two output
        // channels per engine.
        Kernel {
            name: "conv3x3-16",
            cmd: Command::new(Opcode::Mac, &[3, 3, 16, 16, 16], 3, 3, false)?,
            commands: 16,
        },
        // y[128] = A[128 x 64] x[64]: 16 rows per engine.
        Kernel {
            name: "gemv-128x64",
            cmd: Command::new(Opcode::Mac, &[64, 16], 1, 1, false)?,
            commands: 8,
        },
        // Dot product of 4096 elements: 512 per engine, partial sums added by the core.
        Kernel {
            name: "dot-4096",
            cmd: Command::new(Opcode::Mac, &[512], 1, 1, false)?,
            commands: 8,
        },
        // y = a x + y over 4096 elements: init loads y, one FMA, write-back.
        Kernel {
            name: "axpy-4096",
            cmd: Command::new(Opcode::Mac, &[1, 512], 1, 1, true)?,
            commands: 8,
        },
    ])
}

/// `(kernel, achieved / peak)` for each kernel of the suite on `cluster`.
pub fn kernel_efficiencies(cluster: &ClusterSpec) -> Vec<(&'static str, f64)> {
    let peak_per_cycle = 2.0 * cluster.engines as f64;
    suite()
        .unwrap_or_default()
        .into_iter()
        .map(|k| {
            let cost = cluster.tile_cost(&TileWork {
                cmd: k.cmd,
                commands: k.commands,
                dependent: false,
                changed_registers: 2,
                dma_bytes: 0.0,
                own_tile: true,
            });
            (k.name, cost.flops / (peak_per_cycle * cost.cycles))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kernel_stays_below_peak_and_reductions_beat_element_wise_work() {
        let c = crate::cluster::tests::spec();
        let e = kernel_efficiencies(&c);
        assert_eq!(e.len(), 5);
        for (name, eta) in &e {
            assert!(*eta > 0.0 && *eta < 1.0, "{name}: {eta}");
        }
        let get = |n: &str| e.iter().find(|(k, _)| *k == n).map(|(_, v)| *v).unwrap();
        // AXPY spends an init cycle per element: at most half of peak.
        assert!(get("axpy-4096") < 0.5);
        assert!(get("gemm-64") > get("axpy-4096"));
    }
}
