//! The Kronecker factors K-FAC keeps per weight layer, read off the IR.
use pimzoo_ir::{Network, Op};

/// The two Kronecker factors of one weight layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KfacFactors {
    /// Index of the layer in [`Network::layers`].
    pub layer: usize,
    /// Dimension of A, the input (patch) covariance: `C_in / groups x kh x kw`
    /// for a convolution, `in_features` for a linear layer, `D + hidden` for
    /// an LSTM, each +1 with a bias.
    pub a_dim: u64,
    /// Dimension of G, the output-gradient covariance: `C_out`, or
    /// `4 x hidden` for an LSTM.
    pub g_dim: u64,
    /// Rows of the covariances per sample: output positions `Ho x Wo` of a
    /// convolution, sequence positions of a linear layer (1 on a vector),
    /// time steps of an LSTM.
    pub rows_per_sample: u64,
    /// Whether forming A needs an unfold (im2col) of the input: a
    /// convolution kernel larger than 1x1 or strided.
    pub unfold: bool,
}

/// The factors of every Conv2d, Linear and LSTM layer, in layer order.
///
/// An LSTM is treated as one linear map of `[x_t, h_{t-1}, 1]` to the four
/// gates, with the time steps as independent rows (the simplest of the
/// approximations of Martens, Ba & Johnson, ICLR 2018). Layers without
/// multiplicative weights (norms, embeddings, PReLU) are not preconditioned.
pub fn kfac_factors(network: &Network) -> Vec<KfacFactors> {
    let mut out = Vec::new();
    for (i, layer) in network.layers().iter().enumerate() {
        let input = layer.input_shapes.first();
        let f = match (&layer.op, input) {
            (Op::Conv2d(c), Some(x)) => {
                let cin = x.dims().first().copied().unwrap_or(0) as u64;
                let groups = c.groups.max(1) as u64;
                let positions = layer.output.elements() / (c.out.max(1) as u64);
                Some(KfacFactors {
                    layer: i,
                    a_dim: cin / groups * c.kernel.area() + u64::from(c.bias),
                    g_dim: c.out as u64,
                    rows_per_sample: positions,
                    unfold: c.kernel.area() > 1 || c.stride.area() > 1,
                })
            }
            (Op::Linear { out, bias, .. }, Some(x)) => Some(KfacFactors {
                layer: i,
                a_dim: x.last() as u64 + u64::from(*bias),
                g_dim: *out as u64,
                rows_per_sample: layer.output.elements() / (*out).max(1) as u64,
                unfold: false,
            }),
            (Op::Lstm(l), Some(x)) => Some(KfacFactors {
                layer: i,
                a_dim: (x.last() + l.hidden + 1) as u64,
                g_dim: 4 * l.hidden as u64,
                rows_per_sample: layer.output.elements() / l.hidden.max(1) as u64,
                unfold: false,
            }),
            _ => None,
        };
        out.extend(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resnet50_factor_dimensions_match_the_measured_run() {
        // gpu-h200.json, kfac_resnet50: factor_dims_A and factor_dims_G of
        // the 54 weight layers (53 convs, fc with bias).
        let net = pimzoo_ir::zoo::get("resnet50").unwrap();
        let f = kfac_factors(&net);
        assert_eq!(f.len(), 54);
        let a: Vec<u64> = f.iter().map(|f| f.a_dim).collect();
        let g: Vec<u64> = f.iter().map(|f| f.g_dim).collect();
        let measured_a = [
            147, 64, 576, 64, 64, 256, 576, 64, 256, 576, 64, 256, 1152, 128, 256, 512, 1152, 128,
            512, 1152, 128, 512, 1152, 128, 512, 2304, 256, 512, 1024, 2304, 256, 1024, 2304, 256,
            1024, 2304, 256, 1024, 2304, 256, 1024, 2304, 256, 1024, 4608, 512, 1024, 2048, 4608,
            512, 2048, 4608, 512, 2049,
        ];
        let measured_g = [
            64, 64, 64, 256, 256, 64, 64, 256, 64, 64, 256, 128, 128, 512, 512, 128, 128, 512, 128,
            128, 512, 128, 128, 512, 256, 256, 1024, 1024, 256, 256, 1024, 256, 256, 1024, 256,
            256, 1024, 256, 256, 1024, 256, 256, 1024, 512, 512, 2048, 2048, 512, 512, 2048, 512,
            512, 2048, 1000,
        ];
        assert_eq!(a, measured_a);
        assert_eq!(g, measured_g);
        assert_eq!(f[0].rows_per_sample, 112 * 112);
        assert_eq!(f.last().unwrap().rows_per_sample, 1);
    }

    #[test]
    fn depthwise_conv_has_a_small_a_factor() {
        let net = pimzoo_ir::zoo::get("mobilenet-v2").unwrap();
        let f = kfac_factors(&net);
        assert!(f.iter().any(|f| f.a_dim == 9 && f.unfold));
    }
}
