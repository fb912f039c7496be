//! What an accelerator is asked to run.
use pimzoo_ir::{Network, Phase};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// A network, a task, a batch size and the number formats.
#[derive(Clone, Debug)]
pub struct Workload {
    pub network: Arc<Network>,
    pub task: Task,
    /// Samples per batch (per step in training). At least 1.
    pub batch: u64,
    pub precision: Precision,
}

impl Workload {
    pub fn inference(network: Arc<Network>, batch: u64) -> Self {
        Workload {
            network,
            task: Task::Inference,
            batch: batch.max(1),
            precision: Precision::uniform(NumberFormat::Fp32),
        }
    }

    pub fn training(network: Arc<Network>, batch: u64, optimizer: Optimizer) -> Self {
        Workload {
            network,
            task: Task::Training { optimizer },
            batch: batch.max(1),
            precision: Precision::uniform(NumberFormat::Fp32),
        }
    }

    pub fn with_precision(mut self, precision: Precision) -> Self {
        self.precision = precision;
        self
    }

    /// The phases the task runs, in order.
    pub fn phases(&self) -> &'static [Phase] {
        match self.task {
            Task::Inference => &Phase::ALL[..1],
            Task::Training { .. } => &Phase::ALL,
        }
    }

    /// Operations of one batch, counted the same way for every model:
    /// 2 x the multiply-accumulates of every phase the task runs (forward
    /// only for inference; forward and both backward phases for training).
    /// The update and other element-wise work are not counted as ops, as in
    /// the papers (`../docs/ir.md`, "Ops").
    pub fn ops(&self) -> f64 {
        let w = self.network.work();
        let macs = match self.task {
            Task::Inference => w.macs,
            Task::Training { .. } => w.training_macs(),
        };
        2.0 * macs as f64 * self.batch as f64
    }
}

/// Inference, or one training step with an optimizer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Task {
    Inference,
    Training { optimizer: Optimizer },
}

impl Task {
    pub fn is_training(&self) -> bool {
        matches!(self, Task::Training { .. })
    }
    pub fn optimizer(&self) -> Option<&Optimizer> {
        match self {
            Task::Training { optimizer } => Some(optimizer),
            Task::Inference => None,
        }
    }
}

impl fmt::Display for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Task::Inference => f.write_str("inference"),
            Task::Training { optimizer } => write!(f, "training ({})", optimizer.name()),
        }
    }
}

/// The weight update rule of a training step.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Optimizer {
    /// `w -= lr * g`
    Sgd { lr: f64 },
    /// `v = momentum * v + g + weight_decay * w; w -= lr * v`
    Momentum {
        lr: f64,
        momentum: f64,
        weight_decay: f64,
    },
    /// Adam (Kingma & Ba 2015) with decoupled weight decay when non-zero.
    Adam {
        lr: f64,
        beta1: f64,
        beta2: f64,
        eps: f64,
        weight_decay: f64,
    },
    /// K-FAC (Martens & Grosse 2015): per layer, Kronecker factors A (input
    /// covariance) and G (output-gradient covariance), recomputed every
    /// `factor_interval` steps and inverted (with `damping`) every
    /// `inversion_interval` steps; the preconditioned gradient then takes a
    /// momentum step.
    Kfac {
        lr: f64,
        momentum: f64,
        damping: f64,
        factor_interval: u32,
        inversion_interval: u32,
    },
}

impl Optimizer {
    /// The names accepted by [`Optimizer::from_name`].
    pub const NAMES: [&'static str; 4] = ["sgd", "momentum", "adam", "kfac"];

    /// The optimizer with common default hyper-parameters (those of the
    /// torchvision ImageNet recipe for SGD/momentum, of the Adam paper, and
    /// of the K-FAC paper's intervals).
    pub fn from_name(name: &str) -> Option<Optimizer> {
        Some(
            match name.to_ascii_lowercase().replace(['-', '_'], "").as_str() {
                "sgd" => Optimizer::Sgd { lr: 0.1 },
                "momentum" => Optimizer::Momentum {
                    lr: 0.1,
                    momentum: 0.9,
                    weight_decay: 1e-4,
                },
                "adam" => Optimizer::Adam {
                    lr: 1e-3,
                    beta1: 0.9,
                    beta2: 0.999,
                    eps: 1e-8,
                    weight_decay: 0.0,
                },
                "kfac" => Optimizer::Kfac {
                    lr: 0.1,
                    momentum: 0.9,
                    damping: 1e-3,
                    factor_interval: 10,
                    inversion_interval: 100,
                },
                _ => return None,
            },
        )
    }

    pub fn name(&self) -> &'static str {
        match self {
            Optimizer::Sgd { .. } => "sgd",
            Optimizer::Momentum { .. } => "momentum",
            Optimizer::Adam { .. } => "adam",
            Optimizer::Kfac { .. } => "kfac",
        }
    }

    /// Optimizer state kept per parameter, in values (momentum, Adam moments).
    pub fn state_per_param(&self) -> u32 {
        match self {
            Optimizer::Sgd { .. } => 0,
            Optimizer::Momentum { .. } | Optimizer::Kfac { .. } => 1,
            Optimizer::Adam { .. } => 2,
        }
    }

    /// Arithmetic operations per parameter of the element-wise update:
    /// SGD 2 (scale, subtract); momentum with weight decay 5 (two scales,
    /// two adds, the step); Adam about 12 (two moment updates of 3 each, the
    /// square, the square root, the divide, the bias corrections and the step).
    /// K-FAC's preconditioning is matrix work, counted by the models; its
    /// final step is a momentum step.
    pub fn update_ops_per_param(&self) -> u32 {
        match self {
            Optimizer::Sgd { .. } => 2,
            Optimizer::Momentum { .. } | Optimizer::Kfac { .. } => 5,
            Optimizer::Adam { .. } => 12,
        }
    }
}

/// A number format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NumberFormat {
    Fp32,
    Bf16,
    Fp16,
    /// An n-bit integer or fixed-point format.
    Fixed(u8),
}

impl NumberFormat {
    pub fn bits(self) -> u32 {
        match self {
            NumberFormat::Fp32 => 32,
            NumberFormat::Bf16 | NumberFormat::Fp16 => 16,
            NumberFormat::Fixed(n) => n as u32,
        }
    }
    pub fn bytes(self) -> f64 {
        self.bits() as f64 / 8.0
    }
    pub fn is_float(self) -> bool {
        !matches!(self, NumberFormat::Fixed(_))
    }
}

impl fmt::Display for NumberFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NumberFormat::Fp32 => f.write_str("fp32"),
            NumberFormat::Bf16 => f.write_str("bf16"),
            NumberFormat::Fp16 => f.write_str("fp16"),
            NumberFormat::Fixed(8) => f.write_str("int8"),
            NumberFormat::Fixed(n) => write!(f, "fx{n}"),
        }
    }
}

impl FromStr for NumberFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_lowercase();
        let fixed = |digits: &str| -> Result<NumberFormat, String> {
            match digits.parse::<u8>() {
                Ok(n) if (1..=64).contains(&n) => Ok(NumberFormat::Fixed(n)),
                _ => Err(format!("`{s}`: the bit width must be 1 to 64")),
            }
        };
        match t.as_str() {
            "fp32" | "32" | "float32" | "f32" => Ok(NumberFormat::Fp32),
            "bf16" => Ok(NumberFormat::Bf16),
            "fp16" | "f16" | "half" => Ok(NumberFormat::Fp16),
            "int8" => Ok(NumberFormat::Fixed(8)),
            _ => {
                if let Some(d) = t.strip_prefix("int").or_else(|| t.strip_prefix("fx")) {
                    fixed(d)
                } else if t.chars().all(|c| c.is_ascii_digit()) && !t.is_empty() {
                    // A bare width: 16 means fp16 and 32 fp32 in GradPIM's
                    // "8/32" notation; other widths are fixed point.
                    if t == "16" {
                        Ok(NumberFormat::Fp16)
                    } else {
                        fixed(&t)
                    }
                } else {
                    Err(format!(
                        "unknown number format `{s}`; use fp32, bf16, fp16, int8, intN or fxN"
                    ))
                }
            }
        }
    }
}

/// The number formats of a workload. In mixed-precision training the
/// weights copy, activations and gradients use the low format and the master
/// weights and optimizer state the high one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Precision {
    pub weights: NumberFormat,
    pub activations: NumberFormat,
    pub gradients: NumberFormat,
    /// Master weights and optimizer state.
    pub master: NumberFormat,
}

impl Precision {
    pub fn uniform(f: NumberFormat) -> Self {
        Precision {
            weights: f,
            activations: f,
            gradients: f,
            master: f,
        }
    }

    /// Low-precision compute with high-precision master weights (`8/32`).
    pub fn mixed(low: NumberFormat, high: NumberFormat) -> Self {
        Precision {
            weights: low,
            activations: low,
            gradients: low,
            master: high,
        }
    }

    /// The format of the arithmetic (weights and activations).
    pub fn compute(&self) -> NumberFormat {
        self.weights
    }
}

impl Default for Precision {
    fn default() -> Self {
        Precision::uniform(NumberFormat::Fp32)
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Precision::uniform(self.weights) {
            write!(f, "{}", self.weights)
        } else if *self == Precision::mixed(self.weights, self.master) {
            write!(f, "{}/{}", self.weights, self.master)
        } else {
            write!(
                f,
                "w:{} a:{} g:{} master:{}",
                self.weights, self.activations, self.gradients, self.master
            )
        }
    }
}

impl FromStr for Precision {
    type Err = String;
    /// `fp32`, `bf16` (bf16 compute, fp32 master weights, as PyTorch's
    /// autocast), `int8`, or `LOW/HIGH` such as `8/32` or `bf16/fp32`.
    fn from_str(s: &str) -> Result<Self, String> {
        if let Some((low, high)) = s.split_once('/') {
            return Ok(Precision::mixed(low.parse()?, high.parse()?));
        }
        let f: NumberFormat = s.parse()?;
        Ok(match f {
            NumberFormat::Bf16 | NumberFormat::Fp16 => Precision::mixed(f, NumberFormat::Fp32),
            _ => Precision::uniform(f),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_parses_mixed_notation() {
        let p: Precision = "8/32".parse().unwrap();
        assert_eq!(p.gradients, NumberFormat::Fixed(8));
        assert_eq!(p.master, NumberFormat::Fp32);
        assert_eq!(p.to_string(), "int8/fp32");
        let b: Precision = "bf16".parse().unwrap();
        assert_eq!(b.master, NumberFormat::Fp32);
        assert_eq!(
            "16/32".parse::<Precision>().unwrap().weights,
            NumberFormat::Fp16
        );
        assert!("fp7".parse::<Precision>().is_err());
        assert!("int0".parse::<Precision>().is_err());
    }

    #[test]
    fn optimizers_by_name() {
        for n in Optimizer::NAMES {
            assert_eq!(Optimizer::from_name(n).unwrap().name(), n);
        }
        assert!(Optimizer::from_name("lbfgs").is_none());
    }
}
