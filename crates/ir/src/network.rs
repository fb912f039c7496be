use crate::infer::infer_layer;
use crate::work::{LayerWork, NetworkWork};
use crate::{IrError, Op, TensorShape};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The name by which a layer refers to the network's input.
pub const INPUT: &str = "input";

/// A network as written in RON: what a user or the zoo supplies.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename = "Network", deny_unknown_fields)]
pub struct NetworkSpec {
    pub name: String,
    /// One sample's input shape: `[C, H, W]` for images, `[S]` for token ids,
    /// `[T, D]` for sequences of vectors, `[D]` for vectors.
    pub input: TensorShape,
    /// Where the definition comes from (paper, table, library); free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub layers: Vec<LayerSpec>,
}

/// One layer as written in RON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerSpec {
    pub name: String,
    pub op: Op,
    /// Names of the layers (or `"input"`) this one reads; empty means the
    /// previous layer (the network input for the first layer).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<String>,
}

/// A validated network: every input resolved, every shape inferred, every
/// work count computed. Built by [`Network::new`] or [`crate::parse_network`].
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    spec: NetworkSpec,
    layers: Vec<Layer>,
}

/// A layer of a validated network.
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    pub name: String,
    pub op: Op,
    /// Index of each input layer; `None` is the network input.
    pub inputs: Vec<Option<usize>>,
    pub input_shapes: Vec<TensorShape>,
    pub output: TensorShape,
    /// Per-sample work of this layer in every phase.
    pub work: LayerWork,
}

impl Network {
    /// Validate a specification: names unique and lowercase-safe, inputs
    /// defined before use, parameters positive, shapes consistent.
    pub fn new(spec: NetworkSpec) -> Result<Network, IrError> {
        let net_error = |message: String| IrError::Network {
            origin: None,
            name: spec.name.clone(),
            message,
        };
        if spec.layers.is_empty() {
            return Err(net_error("has no layers".into()));
        }
        if spec.input.rank() == 0 || spec.input.dims().contains(&0) {
            return Err(net_error(format!(
                "input shape {} must have at least one dimension and no zero sizes",
                spec.input
            )));
        }
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut layers: Vec<Layer> = Vec::with_capacity(spec.layers.len());
        for (i, ls) in spec.layers.iter().enumerate() {
            let op_kind = ls.op.kind();
            if ls.name.is_empty() || ls.name == INPUT {
                return Err(IrError::layer(
                    &ls.name,
                    op_kind,
                    format!("layer {i} needs a name other than `\"\"` or `{INPUT}`"),
                ));
            }
            if index.contains_key(ls.name.as_str()) {
                return Err(IrError::layer(
                    &ls.name,
                    op_kind,
                    "the name is used by an earlier layer",
                ));
            }
            let inputs: Vec<Option<usize>> = if ls.inputs.is_empty() {
                vec![i.checked_sub(1)]
            } else {
                ls.inputs
                    .iter()
                    .map(|n| {
                        if n == INPUT {
                            Ok(None)
                        } else {
                            index.get(n.as_str()).copied().map(Some).ok_or_else(|| {
                                IrError::layer(
                                    &ls.name,
                                    op_kind,
                                    format!(
                                        "input `{n}` is not the network input nor an earlier layer"
                                    ),
                                )
                            })
                        }
                    })
                    .collect::<Result<_, _>>()?
            };
            let sources: Vec<(&str, &TensorShape)> = inputs
                .iter()
                .map(|src| match src {
                    None => (INPUT, &spec.input),
                    Some(j) => (layers[*j].name.as_str(), &layers[*j].output),
                })
                .collect();
            let (output, work) = infer_layer(&ls.name, &ls.op, &sources)?;
            let input_shapes = sources.iter().map(|(_, s)| (*s).clone()).collect();
            index.insert(ls.name.as_str(), i);
            layers.push(Layer {
                name: ls.name.clone(),
                op: ls.op.clone(),
                inputs,
                input_shapes,
                output,
                work,
            });
        }
        // A layer needs its data gradient in training only if some path from
        // a weight layer reaches its input; the first weight layer's does not.
        let mut needs_grad = vec![false; layers.len()];
        for i in 0..layers.len() {
            needs_grad[i] = layers[i].op.has_weights()
                || layers[i]
                    .inputs
                    .iter()
                    .any(|src| src.is_some_and(|j| needs_grad[j]));
        }
        for layer in &mut layers {
            let upstream_trainable = layer
                .inputs
                .iter()
                .any(|src| src.is_some_and(|j| needs_grad[j]));
            layer.work.finish_backward(upstream_trainable);
        }
        Ok(Network { spec, layers })
    }

    pub fn name(&self) -> &str {
        &self.spec.name
    }
    pub fn input(&self) -> &TensorShape {
        &self.spec.input
    }
    pub fn source(&self) -> Option<&str> {
        self.spec.source.as_deref()
    }
    pub fn layers(&self) -> &[Layer] {
        &self.layers
    }
    pub fn spec(&self) -> &NetworkSpec {
        &self.spec
    }
    /// The output of the last layer.
    pub fn output(&self) -> &TensorShape {
        &self.layers[self.layers.len() - 1].output
    }

    /// Per-sample totals over all layers.
    pub fn work(&self) -> NetworkWork {
        NetworkWork::sum(self.layers.iter().map(|l| &l.work))
    }

    /// The same network on another input shape (for example BERT at another
    /// sequence length); every shape and count is inferred again.
    pub fn with_input(&self, input: TensorShape) -> Result<Network, IrError> {
        let mut spec = self.spec.clone();
        spec.input = input;
        Network::new(spec)
    }

    /// The network as RON text in the format [`crate::parse_network`] reads.
    pub fn to_ron(&self) -> String {
        let cfg = ron::ser::PrettyConfig::new()
            .depth_limit(2)
            .compact_arrays(true)
            .extensions(
                ron::extensions::Extensions::IMPLICIT_SOME
                    | ron::extensions::Extensions::UNWRAP_VARIANT_NEWTYPES,
            );
        ron::ser::to_string_pretty(&self.spec, cfg).unwrap_or_else(|e| format!("// {e}"))
    }
}
