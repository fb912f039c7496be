//! Work counts per layer and per training phase (rules in `docs/ir.md`).
use serde::Serialize;

/// The phases of one training step; inference is the forward phase alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    Forward,
    BackwardData,
    BackwardWeight,
    Update,
}

impl Phase {
    pub const ALL: [Phase; 4] = [
        Phase::Forward,
        Phase::BackwardData,
        Phase::BackwardWeight,
        Phase::Update,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Phase::Forward => "forward",
            Phase::BackwardData => "backward-data",
            Phase::BackwardWeight => "backward-weight",
            Phase::Update => "update",
        }
    }
}

/// One layer's work for one sample. All counts are elements or operations,
/// not bytes: the number format belongs to the workload, not the network.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LayerWork {
    /// Forward multiply-accumulates.
    pub macs: u64,
    /// Multiplicative weights (conv kernels, linear and LSTM matrices).
    pub weights: u64,
    /// All trainable parameters: weights, biases, norm scale and shift,
    /// PReLU slopes, embedding tables.
    pub params: u64,
    /// Elements read from the inputs.
    pub input_activations: u64,
    /// Elements written to the output.
    pub output_activations: u64,
    /// Forward element-wise operations that are not MACs (comparisons,
    /// nonlinearities, normalisation, additions, softmax).
    pub vector_ops: u64,
    /// Multiply-accumulates of the gradient with respect to the inputs.
    pub backward_data_macs: u64,
    /// Element-wise operations of the input gradient (pool, activation, norm...).
    pub backward_data_vector_ops: u64,
    /// Multiply-accumulates of the gradient with respect to the weights.
    pub backward_weight_macs: u64,
}

impl LayerWork {
    /// The multiply-accumulates of one phase. The update has none: it is
    /// element-wise over [`LayerWork::params`].
    pub fn phase_macs(&self, phase: Phase) -> u64 {
        match phase {
            Phase::Forward => self.macs,
            Phase::BackwardData => self.backward_data_macs,
            Phase::BackwardWeight => self.backward_weight_macs,
            Phase::Update => 0,
        }
    }

    /// Element-wise operations of one phase (for the update: one per parameter;
    /// the optimizer multiplies this by its operations per parameter).
    pub fn phase_vector_ops(&self, phase: Phase) -> u64 {
        match phase {
            Phase::Forward => self.vector_ops,
            Phase::BackwardData => self.backward_data_vector_ops,
            Phase::BackwardWeight => 0,
            Phase::Update => self.params,
        }
    }

    /// Fill in the backward counts once the graph tells whether a gradient
    /// has to flow into this layer's inputs at all.
    pub(crate) fn finish_backward(&mut self, upstream_trainable: bool) {
        if !upstream_trainable {
            self.backward_data_macs = 0;
            self.backward_data_vector_ops = 0;
        }
    }
}

/// Per-sample totals of a network.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct NetworkWork {
    pub macs: u64,
    pub weights: u64,
    pub params: u64,
    pub activations: u64,
    pub vector_ops: u64,
    pub backward_data_macs: u64,
    pub backward_weight_macs: u64,
    pub layers: usize,
    /// Layers with weights (conv, linear, LSTM).
    pub weight_layers: usize,
}

impl NetworkWork {
    pub(crate) fn sum<'a>(layers: impl Iterator<Item = &'a LayerWork>) -> Self {
        let mut t = NetworkWork::default();
        for w in layers {
            t.macs += w.macs;
            t.weights += w.weights;
            t.params += w.params;
            t.activations += w.output_activations;
            t.vector_ops += w.vector_ops;
            t.backward_data_macs += w.backward_data_macs;
            t.backward_weight_macs += w.backward_weight_macs;
            t.layers += 1;
            t.weight_layers += usize::from(w.weights > 0);
        }
        t
    }

    /// Multiply-accumulates of one training step per sample (forward and both
    /// backward phases).
    pub fn training_macs(&self) -> u64 {
        self.macs + self.backward_data_macs + self.backward_weight_macs
    }
}
