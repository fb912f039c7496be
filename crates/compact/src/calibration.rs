//! The one calibration of the model: every unit cost of [`Circuit`] is fitted
//! once to the per-layer results of the authors' VGG-8 run on the compact
//! 4x4-tile chip (partial pipeline with duplication, batch 1), committed as
//! `simulation_result/PPP_VGG8_4_4_4_4_4_4_128_128` in
//! github.com/peilin-chen/Compact-PIM-based-Design (commit 6915876), the
//! source of the per-layer table in the modelling brief.
//!
//! Each group of constants is fitted to its own column of that table by least
//! squares on the relative error (every layer counts the same):
//!
//! | constants | column |
//! |---|---|
//! | read step | computation latency |
//! | activation, pooling cycles | activation and pool latency |
//! | tile, global accumulation | read latency minus the other latencies |
//! | tile in/out buffer, global buffer | buffer latency |
//! | chip H-tree, tile H-tree | ic latency |
//! | ADC, accumulation, periphery | ADC energy, accumulation energy, other energy minus ic and buffer |
//! | chip wire, tile wire | ic energy |
//! | tile buffer, global buffer energy | buffer energy |
//! | tile leakage in use, idle | leakage power (with the authors' running-maximum stage time) |
//! | SRAM sub-array write time, energy | write latency, write energy |
//! | tile area by component | the chip area breakdown, divided by the 16 tiles |
//!
//! The same constants are then used, unchanged, for every other network, chip
//! size and mode. [`fit`] returns the per-layer residuals; the test
//! `calibration` prints them.
use crate::chip::Chip;
use crate::circuit::{Circuit, Features, TileArea};
use crate::layers::LayerShape;
use crate::mapping::LayerMap;
use crate::preset::{ChipConfig, DuplicationLoop, Mode, Split};
use crate::schedule::Schedule;
use pimzoo_core::units::{Joules, Seconds, SquareMm, Watts};
use pimzoo_tech::crossbar::{ArrayGeometry, Operands, SignedWeights};
use std::sync::OnceLock;

/// The authors' VGG-8 rows (`layer_record_VGG8/NetWork_VGG8.csv`):
/// `H, W, Cin, K, K, Cout, pool`.
pub const VGG8_TABLE: [[u64; 7]; 8] = [
    [32, 32, 3, 3, 3, 128, 0],
    [32, 32, 128, 3, 3, 128, 1],
    [16, 16, 128, 3, 3, 256, 0],
    [16, 16, 256, 3, 3, 256, 1],
    [8, 8, 256, 3, 3, 512, 0],
    [8, 8, 512, 3, 3, 512, 1],
    [1, 1, 8192, 1, 1, 1024, 0],
    [1, 1, 1024, 1, 1, 10, 0],
];

/// One layer of `PPP_VGG8_4_4_4_4_4_4_128_128`, as printed (ns, pJ, uW).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MeasuredLayer {
    pub read_ns: f64,
    pub buffer_ns: f64,
    pub ic_ns: f64,
    pub computation_ns: f64,
    pub activation_pool_ns: f64,
    pub read_pj: f64,
    pub buffer_pj: f64,
    pub ic_pj: f64,
    pub adc_pj: f64,
    pub accumulation_pj: f64,
    pub other_pj: f64,
    pub write_ns: f64,
    pub write_pj: f64,
    pub leakage_uw: f64,
}

const fn m(v: [f64; 14]) -> MeasuredLayer {
    MeasuredLayer {
        read_ns: v[0],
        buffer_ns: v[1],
        ic_ns: v[2],
        computation_ns: v[3],
        activation_pool_ns: v[4],
        read_pj: v[5],
        buffer_pj: v[6],
        ic_pj: v[7],
        adc_pj: v[8],
        accumulation_pj: v[9],
        other_pj: v[10],
        write_ns: v[11],
        write_pj: v[12],
        leakage_uw: v[13],
    }
}

/// The per-layer table the constants are fitted to.
pub const VGG8_PPP_4X4: [MeasuredLayer; 8] = [
    m([
        61517.3, 12372.0, 44962.9, 3926.42, 256.0, 2.26861e6, 17090.7, 700786.0, 1.21848e6,
        136972.0, 913158.0, 61.0908, 831.728, 13.7259,
    ]),
    m([
        221778.0, 19229.5, 169859.0, 31439.8, 325.916, 1.28352e7, 100406.0, 1.98183e6, 8.13815e6,
        1.27887e6, 3.41823e6, 549.818, 935.694, 27.4517,
    ]),
    m([
        145149.0, 11805.1, 101342.0, 31439.8, 128.0, 6.43079e6, 38622.0, 772419.0, 4.29189e6,
        630631.0, 1.50827e6, 1099.64, 467.847, 28.3843,
    ]),
    m([
        134305.0, 15779.4, 86084.5, 31439.8, 162.958, 1.20022e7, 70393.9, 1.22324e6, 8.11315e6,
        1.26448e6, 2.62454e6, 2199.27, 935.694, 63.1939,
    ]),
    m([
        25341.1, 4058.11, 13048.1, 7859.95, 64.0, 5.99708e6, 31398.7, 536581.0, 4.12349e6,
        632239.0, 1.24135e6, 4398.54, 1871.39, 215.436,
    ]),
    m([
        27422.4, 4600.65, 14555.1, 7859.95, 81.4789, 1.13551e7, 57874.1, 841260.0, 7.89356e6,
        1.26172e6, 2.19979e6, 8797.08, 3742.78, 351.677,
    ]),
    m([
        392.479, 90.6633, 168.536, 122.812, 2.0, 624824.0, 2823.03, 38401.8, 440909.0, 70019.3,
        113895.0, 31278.5, 13307.7, 219.614,
    ]),
    m([
        435.724, 20.2317, 290.487, 122.812, 0.5, 2318.06, 59.9471, 1354.75, 596.02, 163.244,
        1558.8, 61.0908, 25.9915, 13.7259,
    ]),
];

/// The chip area breakdown of the same output (um^2): total, CIM arrays,
/// interconnect, ADC, accumulation, other periphery.
pub const AREA_4X4_UM2: [f64; 6] = [
    3.05869e7, 9.09459e6, 2.08927e6, 6.65271e6, 6.94014e6, 4.17898e6,
];

/// Resolution of the calibration chip's sense amplifiers (`levelOutput = 32`).
pub const CALIBRATION_ADC_BITS: u32 = 5;

/// The authors' chip (`Param.cpp` and the result file names
/// `*_T_T_4_4_4_4_128_128`) with `tiles` tiles.
pub fn authors_chip(tiles: (u32, u32)) -> ChipConfig {
    ChipConfig {
        tiles,
        pes_per_tile: (4, 4),
        subarrays_per_pe: (4, 4),
        subarray: ArrayGeometry {
            rows: 128,
            columns: 128,
            cell_bits: 1,
            dac_bits: 1,
            signed_weights: SignedWeights::Plain,
            encoding_saves_bits: 0,
        },
        operands: Operands {
            input_bits: 8,
            weight_bits: 8,
            output_bits: 8,
        },
        columns_per_adc: 8,
        adc_bits: CALIBRATION_ADC_BITS,
        max_global_bus_bits: 2048,
        global_buffer_core: (128, 128),
        input_toggle: 0.18,
        output_toggle: 0.5,
    }
}

/// The VGG-8 table as layer shapes.
pub fn vgg8_layers() -> Vec<LayerShape> {
    VGG8_TABLE
        .iter()
        .enumerate()
        .map(|(i, row)| LayerShape::from_table_row(&format!("layer{}", i + 1), *row))
        .collect()
}

/// The fitted constants and how well they reproduce the table.
#[derive(Clone, Debug)]
pub struct Fit {
    pub circuit: Circuit,
    /// One row per layer: (layer, column, table value, model value).
    pub residuals: Vec<Residual>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Residual {
    pub layer: String,
    pub column: &'static str,
    pub table: f64,
    pub model: f64,
}

impl Residual {
    pub fn relative(&self) -> f64 {
        (self.model - self.table) / self.table
    }
}

/// The constants fitted once, shared by every model built in this process.
pub fn fitted() -> Result<&'static Fit, String> {
    static FIT: OnceLock<Result<Fit, String>> = OnceLock::new();
    FIT.get_or_init(fit).as_ref().map_err(Clone::clone)
}

/// Fit every constant to [`VGG8_PPP_4X4`].
pub fn fit() -> Result<Fit, String> {
    let chip = Chip::new(authors_chip((4, 4)))?;
    let layers = vgg8_layers();
    let maps: Vec<LayerMap> = layers
        .iter()
        .map(|l| LayerMap::new(&chip, l, Split::Authors))
        .collect();
    let schedule = Schedule::new(
        Mode::Pipeline {
            dynamic_duplication: true,
        },
        &layers,
        &maps,
        chip.tiles,
        (4, 4),
        (chip.tile_rows, chip.tile_cols),
        DuplicationLoop::Authors,
    );
    let ctx = crate::model::context(&chip, &layers, &maps, &schedule);
    let feats: Vec<Features> = layers
        .iter()
        .zip(&maps)
        .zip(&schedule.tile_dup)
        .map(|((l, m), &td)| Features::new(&chip, &ctx, l, m, td, m.tiles * td))
        .collect();
    let t = &VGG8_PPP_4X4;
    let col = |f: fn(&MeasuredLayer) -> f64| -> Vec<f64> { t.iter().map(f).collect() };
    let x = |f: fn(&Features) -> f64| -> Vec<f64> { feats.iter().map(f).collect() };

    let ns = |v: f64| Seconds(v * 1e-9);
    let pj = |v: f64| Joules(v * 1e-12);

    let [read_step] = solve(
        [&x(|f| f.compute_steps)],
        &col(|m| m.computation_ns),
        "compute",
    )?;
    let [act, pool] = solve(
        [&x(|f| f.activation_cycles), &x(|f| f.pool_cycles)],
        &col(|m| m.activation_pool_ns),
        "activation and pooling",
    )?;
    let accumulation_ns: Vec<f64> = t
        .iter()
        .map(|m| m.read_ns - m.buffer_ns - m.ic_ns - m.computation_ns - m.activation_pool_ns)
        // Below a nanosecond the difference is the table's rounding, not an
        // accumulation (layer 1 has none): such rows are left out.
        .map(|v| if v < 1.0 { 0.0 } else { v })
        .collect();
    let [tile_acc, global_acc] = solve(
        [&x(|f| f.tile_accumulations), &x(|f| f.global_accumulations)],
        &accumulation_ns,
        "accumulation",
    )?;
    let [buf_in, buf_out, buf_global] = solve(
        [
            &x(|f| f.tile_buffer_in_bits),
            &x(|f| f.tile_buffer_out_bits),
            &x(|f| f.global_buffer_bits),
        ],
        &col(|m| m.buffer_ns),
        "buffer latency",
    )?;
    let [chip_htree, tile_htree] = solve(
        [
            &x(|f| f.chip_htree_pitch_transfers),
            &x(|f| f.tile_htree_pitch_transfers),
        ],
        &col(|m| m.ic_ns),
        "interconnect latency",
    )?;
    let [adc] = solve([&x(|f| f.conversions)], &col(|m| m.adc_pj), "ADC energy")?;
    let [acc_e] = solve(
        [&x(|f| f.conversions)],
        &col(|m| m.accumulation_pj),
        "accumulation energy",
    )?;
    let periphery_pj: Vec<f64> = t
        .iter()
        .map(|m| m.other_pj - m.ic_pj - m.buffer_pj)
        .collect();
    let [periphery] = solve([&x(|f| f.conversions)], &periphery_pj, "periphery energy")?;
    let [chip_wire, tile_wire] = solve(
        [
            &x(|f| f.chip_wire_bit_pitches),
            &x(|f| f.tile_wire_bit_pitches),
        ],
        &col(|m| m.ic_pj),
        "interconnect energy",
    )?;
    let [tile_buf_e, global_buf_e] = solve(
        [&x(|f| f.tile_buffered_bits), &x(|f| f.global_buffered_bits)],
        &col(|m| m.buffer_pj),
        "buffer energy",
    )?;

    // Leakage power per layer, as the authors' PPP loop computes it: the
    // layer's tiles in use for its read latency and idle for the rest of the
    // running maximum stage time of its group.
    let mut in_use = Vec::new();
    let mut idle = Vec::new();
    for g in &schedule.groups {
        let mut running = 0.0f64;
        for i in g.clone() {
            let read = t[i].read_ns;
            running = running.max(read);
            let n = (maps[i].tiles * schedule.tile_dup[i]) as f64;
            in_use.push(n * read / running);
            idle.push(n * (running - read) / running);
        }
    }
    let [p_use, p_idle] = solve([&in_use, &idle], &col(|m| m.leakage_uw), "leakage power")?;

    let subarrays: Vec<f64> = maps
        .iter()
        .map(|m| (m.rows.div_ceil(chip.subarray_rows) * m.cols.div_ceil(chip.subarray_cols)) as f64)
        .collect();
    let copies: Vec<f64> = maps
        .iter()
        .zip(&schedule.tile_dup)
        .map(|(m, td)| (m.subarray_dup * m.pe_dup * td) as f64)
        .collect();
    let written: Vec<f64> = subarrays.iter().zip(&copies).map(|(s, c)| s * c).collect();
    let [write_ns] = solve([&subarrays], &col(|m| m.write_ns), "write latency")?;
    let [write_pj] = solve([&written], &col(|m| m.write_pj), "write energy")?;

    let per_tile = |um2: f64| SquareMm(um2 * 1e-6 / chip.tiles as f64);
    let [total, arrays, ic, adc_area, acc_area, other] = AREA_4X4_UM2;
    let tile_area = TileArea {
        arrays: per_tile(arrays),
        adc: per_tile(adc_area),
        accumulation: per_tile(acc_area),
        interconnect: per_tile(ic),
        other: per_tile(other),
        unattributed: per_tile(total - arrays - ic - adc_area - acc_area - other),
    };

    let circuit = Circuit {
        read_step: ns(read_step),
        activation_cycle: ns(act),
        pool_cycle: ns(pool),
        tile_accumulation: ns(tile_acc),
        global_accumulation: ns(global_acc),
        tile_buffer_in: ns(buf_in),
        tile_buffer_out: ns(buf_out),
        global_buffer: ns(buf_global),
        chip_htree: ns(chip_htree),
        tile_htree: ns(tile_htree),
        adc: pj(adc),
        accumulation: pj(acc_e),
        periphery: pj(periphery),
        chip_wire: pj(chip_wire),
        tile_wire: pj(tile_wire),
        tile_buffer_energy: pj(tile_buf_e),
        global_buffer_energy: pj(global_buf_e),
        tile_in_use: Watts(p_use * 1e-6),
        tile_idle: Watts(p_idle * 1e-6),
        sram_subarray_write_time: ns(write_ns),
        sram_subarray_write_energy: pj(write_pj),
        tile_area,
    };

    let mut residuals = Vec::new();
    for (i, (f, m)) in feats.iter().zip(t).enumerate() {
        let lat = circuit.latency(f);
        let en = circuit.energy(f);
        let layer = layers[i].name.clone();
        let mut push = |column: &'static str, table: f64, model: f64| {
            residuals.push(Residual {
                layer: layer.clone(),
                column,
                table,
                model,
            })
        };
        push("read latency (ns)", m.read_ns, lat.total().value() * 1e9);
        push("ic latency (ns)", m.ic_ns, lat.interconnect.value() * 1e9);
        push("buffer latency (ns)", m.buffer_ns, lat.buffer.value() * 1e9);
        push(
            "computation latency (ns)",
            m.computation_ns,
            lat.compute.value() * 1e9,
        );
        push("read energy (pJ)", m.read_pj, en.total().value() * 1e12);
        push("ADC energy (pJ)", m.adc_pj, en.adc.value() * 1e12);
        push("ic energy (pJ)", m.ic_pj, en.interconnect.value() * 1e12);
        push(
            "write latency (ns)",
            m.write_ns,
            subarrays[i] * circuit.sram_subarray_write_time.value() * 1e9,
        );
        push(
            "write energy (pJ)",
            m.write_pj,
            written[i] * circuit.sram_subarray_write_energy.value() * 1e12,
        );
        push(
            "leakage power (uW)",
            m.leakage_uw,
            (in_use[i] * circuit.tile_in_use.value() + idle[i] * circuit.tile_idle.value()) * 1e6,
        );
    }
    Ok(Fit { circuit, residuals })
}

/// Least squares on the relative error: minimise `sum_i ((x_i . c - y_i) / y_i)^2`
/// over the rows with `y_i != 0`. Every constant must come out non-negative.
fn solve<const K: usize>(x: [&[f64]; K], y: &[f64], what: &str) -> Result<[f64; K], String> {
    // Normal equations of the scaled system A c = 1, A_ij = x_j(i) / y_i.
    let mut ata = [[0.0f64; K]; K];
    let mut atb = [0.0f64; K];
    for (i, &yi) in y.iter().enumerate() {
        if yi.abs() < 1e-12 {
            continue;
        }
        let a: [f64; K] = std::array::from_fn(|j| x[j][i] / yi);
        for r in 0..K {
            atb[r] += a[r];
            for c in 0..K {
                ata[r][c] += a[r] * a[c];
            }
        }
    }
    // Gaussian elimination with partial pivoting.
    let mut m = ata;
    let mut b = atb;
    for col in 0..K {
        let pivot = (col..K)
            .max_by(|&a, &bb| m[a][col].abs().total_cmp(&m[bb][col].abs()))
            .unwrap_or(col);
        if m[pivot][col].abs() < 1e-300 {
            return Err(format!(
                "calibration of {what}: the counts do not determine the constants"
            ));
        }
        m.swap(col, pivot);
        b.swap(col, pivot);
        for r in col + 1..K {
            let f = m[r][col] / m[col][col];
            let pivot_row = m[col];
            for (c, v) in m[r].iter_mut().enumerate().skip(col) {
                *v -= f * pivot_row[c];
            }
            b[r] -= f * b[col];
        }
    }
    let mut c = [0.0f64; K];
    for r in (0..K).rev() {
        let s: f64 = (r + 1..K).map(|k| m[r][k] * c[k]).sum();
        c[r] = (b[r] - s) / m[r][r];
    }
    if c.iter().any(|v| !v.is_finite() || *v < 0.0) {
        return Err(format!(
            "calibration of {what}: a fitted constant is negative or not finite ({c:?})"
        ));
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solve_recovers_exact_constants() {
        let x = [vec![1.0, 2.0, 3.0], vec![0.5, 0.0, 1.0]];
        let y: Vec<f64> = (0..3).map(|i| 2.0 * x[0][i] + 4.0 * x[1][i]).collect();
        let c = solve([&x[0], &x[1]], &y, "test").unwrap();
        assert!(
            (c[0] - 2.0).abs() < 1e-9 && (c[1] - 4.0).abs() < 1e-9,
            "{c:?}"
        );
    }
}
