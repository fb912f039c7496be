//! The weight layers of a network as the authors' simulator sees them: one row
//! per convolution or fully connected layer, in execution order, with
//! NeuroSim's `H, W, Cin, K, K, Cout, pool` (H x W = kernel positions).
//!
//! Everything else (batch norm, which folds into the weights at inference;
//! residual additions; concatenations; activations other than the ReLU after
//! each layer) has no row and no cost, as in the authors' tables.
use pimzoo_core::EvalError;
use pimzoo_ir::{Network, Op, PoolWindow};

/// One weight layer.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerShape {
    pub name: String,
    /// Index of the layer in the IR network (`None` for a table row).
    pub ir_index: Option<usize>,
    /// `H, W`: kernel positions (the convolution's output size; 1 x 1, or the
    /// sequence length x 1, for a fully connected layer).
    pub positions: (u64, u64),
    /// `Cin` (all groups of a grouped convolution).
    pub in_channels: u64,
    /// `K x K`.
    pub kernel_area: u64,
    /// `Cout`.
    pub outputs: u64,
    /// The pooling after the layer, as the ratio of its input to its output
    /// elements (1: no pooling).
    pub pool_factor: f64,
    /// Elements of the layer's input tensor (per sample).
    pub input_elements: u64,
    /// Multiply-accumulates per sample.
    pub macs: u64,
}

impl LayerShape {
    /// Rows of the unrolled weight matrix: `K^2 Cin` (a grouped convolution
    /// is laid out block-diagonally, so it occupies every row).
    pub fn rows(&self) -> u64 {
        self.kernel_area * self.in_channels
    }

    /// Input vectors per sample: `H x W` (NeuroSim's `numInVector`).
    pub fn vectors(&self) -> u64 {
        self.positions.0 * self.positions.1
    }

    /// Output elements per sample, before pooling.
    pub fn output_elements(&self) -> u64 {
        self.vectors() * self.outputs
    }

    pub fn pooled(&self) -> bool {
        self.pool_factor > 1.0
    }

    /// A row of the authors' NeuroSim table: `H, W, Cin, K, K, Cout, pool`
    /// (pooling 2x2, as NeuroSim's max-pool unit assumes).
    pub fn from_table_row(name: &str, row: [u64; 7]) -> LayerShape {
        let [h, w, cin, kh, kw, cout, pool] = row;
        LayerShape {
            name: name.to_string(),
            ir_index: None,
            positions: (h, w),
            in_channels: cin,
            kernel_area: kh * kw,
            outputs: cout,
            pool_factor: if pool != 0 { 4.0 } else { 1.0 },
            // Padded stride-1 input of the same size (the table gives no more).
            input_elements: h * w * cin,
            macs: h * w * cin * kh * kw * cout,
        }
    }
}

/// The weight layers of `network`, or why the chip cannot run it.
pub fn weight_layers(network: &Network) -> Result<Vec<LayerShape>, EvalError> {
    let layers = network.layers();
    // Consumers of every layer, to find the pooling that follows a layer.
    let mut consumers: Vec<Vec<usize>> = vec![Vec::new(); layers.len()];
    for (i, l) in layers.iter().enumerate() {
        for j in l.inputs.iter().flatten() {
            consumers[*j].push(i);
        }
    }
    let mut out = Vec::new();
    for (i, layer) in layers.iter().enumerate() {
        let input_elements: u64 = layer
            .input_shapes
            .first()
            .map(|s| s.elements())
            .unwrap_or(0);
        let (positions, in_channels, kernel_area, outputs) = match &layer.op {
            Op::Conv2d(c) => {
                let dims = layer.output.dims();
                let (h, w) = match dims {
                    [_, h, w] => (*h as u64, *w as u64),
                    _ => {
                        return Err(EvalError::unsupported(format!(
                            "layer `{}`: a convolution output of shape {} is not [C, H, W]",
                            layer.name, layer.output
                        )))
                    }
                };
                let cin = layer
                    .input_shapes
                    .first()
                    .and_then(|s| s.dims().first().copied())
                    .unwrap_or(0) as u64;
                (
                    (h, w),
                    cin,
                    c.kernel.h as u64 * c.kernel.w as u64,
                    c.out as u64,
                )
            }
            Op::Linear { out, .. } => {
                let dims = layer
                    .input_shapes
                    .first()
                    .map(|s| s.dims().to_vec())
                    .unwrap_or_default();
                let (features, rows) = match dims.as_slice() {
                    [d] => (*d as u64, 1),
                    [s, d] => (*d as u64, *s as u64),
                    _ => {
                        return Err(EvalError::unsupported(format!(
                        "layer `{}`: a fully connected input of shape {:?} is not [D] or [S, D]",
                        layer.name, dims
                    )))
                    }
                };
                ((rows, 1), features, 1, *out as u64)
            }
            Op::MatMul(_) => {
                return Err(EvalError::unsupported(format!(
                    "layer `{}` multiplies two activations; the compact chip's arrays hold \
                     stationary weights (attention would need a weight reload per input)",
                    layer.name
                )))
            }
            Op::Lstm(_) => {
                return Err(EvalError::unsupported(format!(
                    "layer `{}` is an LSTM: its recurrence (one step's output is the next \
                     step's input) is not in the authors' mapping, which pipelines independent \
                     images through conv and fully connected layers",
                    layer.name
                )))
            }
            Op::Embedding { .. } => {
                return Err(EvalError::unsupported(format!(
                    "layer `{}` is an embedding table lookup, which has no matrix-vector product \
                     to map onto the arrays",
                    layer.name
                )))
            }
            _ => continue,
        };
        out.push(LayerShape {
            name: layer.name.clone(),
            ir_index: Some(i),
            positions,
            in_channels,
            kernel_area,
            outputs,
            pool_factor: pool_after(network, &consumers, i),
            input_elements,
            macs: layer.work.macs,
        });
    }
    if out.is_empty() {
        return Err(EvalError::unsupported(format!(
            "{} has no convolution or fully connected layer to map",
            network.name()
        )));
    }
    Ok(out)
}

/// The pooling that follows layer `i`: NeuroSim pools a layer's outputs right
/// after its activation when every path from it through element-wise layers
/// (activation, norm, add, concat) reaches the same pooling before any weight
/// layer. Returns the pooling's input to output ratio (1: none).
fn pool_after(network: &Network, consumers: &[Vec<usize>], i: usize) -> f64 {
    let mut memo: Vec<Option<Option<f64>>> = vec![None; network.layers().len()];
    all_paths_pool(network, consumers, &consumers[i], &mut memo).unwrap_or(1.0)
}

fn all_paths_pool(
    network: &Network,
    consumers: &[Vec<usize>],
    next: &[usize],
    memo: &mut Vec<Option<Option<f64>>>,
) -> Option<f64> {
    if next.is_empty() {
        return None;
    }
    let mut found: Option<f64> = None;
    for &j in next {
        let r = match memo[j] {
            Some(r) => r,
            None => {
                let l = &network.layers()[j];
                let r = match &l.op {
                    Op::Pool(p) => {
                        let input =
                            l.input_shapes.first().map(|s| s.elements()).unwrap_or(1) as f64;
                        let output = l.output.elements() as f64;
                        let identity = matches!(p.window(), Ok(PoolWindow::Sliding { kernel, .. }) if kernel.area() == 1);
                        (output > 0.0 && !identity && input > output).then(|| input / output)
                    }
                    Op::Activation(_) | Op::Norm(_) | Op::Add | Op::Concat { .. } => {
                        all_paths_pool(network, consumers, &consumers[j], memo)
                    }
                    _ => None,
                };
                memo[j] = Some(r);
                r
            }
        };
        match (r, found) {
            (None, _) => return None,
            (Some(v), None) => found = Some(v),
            (Some(v), Some(f)) if (v - f).abs() > 1e-9 => return None,
            _ => {}
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vgg8_rows_match_the_authors_table() {
        let net = pimzoo_ir::zoo::get("vgg8-cifar10").unwrap();
        let l = weight_layers(&net).unwrap();
        let table = crate::calibration::VGG8_TABLE;
        assert_eq!(l.len(), table.len());
        for (shape, row) in l.iter().zip(table) {
            assert_eq!(shape.positions, (row[0], row[1]), "{}", shape.name);
            assert_eq!(shape.in_channels, row[2], "{}", shape.name);
            assert_eq!(shape.kernel_area, row[3] * row[4], "{}", shape.name);
            assert_eq!(shape.outputs, row[5], "{}", shape.name);
            assert_eq!(shape.pooled(), row[6] != 0, "{}", shape.name);
        }
        assert_eq!(l[1].pool_factor, 4.0);
    }

    #[test]
    fn attention_and_recurrence_are_refused_with_reasons() {
        for name in ["bert-base", "neuraltalk"] {
            let net = pimzoo_ir::zoo::get(name).unwrap();
            let e = weight_layers(&net).unwrap_err().to_string();
            assert!(e.contains("layer `"), "{name}: {e}");
        }
    }
}
