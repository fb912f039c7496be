//! The update compiler: an optimizer and a precision mode to the command
//! sequence the memory controller issues to one GradPIM unit for one group
//! of parameter bursts, derived from the truth table alone.
//!
//! A *burst* is one column of one array in one bank group, 8 bytes per chip
//! and 64 bytes per rank: 16 fp32 or 32 fp16 master values, the content of
//! one `T` register. A *group* is as many bursts as the `Q` register has
//! positions in use (the high/low width ratio: 4 for 8/32, 2 for 16/32 and
//! 8/16), so that one Q-register load brings the gradients of the group and
//! one store writes its low-precision weights. In full precision (32/32) a
//! group is one burst and the gradient is read through the scaler.
//!
//! The sequence follows the optimizer as PyTorch's `torch.optim.SGD` writes
//! it, term by term and in its order of rounding:
//!
//! ```text
//! d  = g + lambda * theta        (weight decay, skipped when lambda = 0)
//! v' = mu * v + d                (momentum, skipped when mu = 0)
//! theta' = theta - eta * v'      (eta * d without momentum)
//! Q(theta') = quantize(theta')   (mixed precision only)
//! ```
//!
//! Each multiplication needs the scaler, which sits on the read path only,
//! so `eta * v'` is a write-back of `v'` and a scaled read of it (for plain
//! SGD the momentum bank holds `d` for that purpose). No two sub-operations
//! are merged: the truth table has no fused form.
use crate::formats::Format;
use crate::isa::{Reg, Scale, ScaleId, ScalerRange, SubOp, Q_POSITIONS, SCALE_IDS};
use pimzoo_core::{Optimizer, Precision};
use serde::Serialize;

/// The arrays of the update. Each lives in one bank index of every bank
/// group (the data layout of slide 12).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Array {
    /// Master weights, high precision: bank 0.
    Theta,
    /// Momentum (or, for plain SGD, a scratch copy of the step), high
    /// precision: bank 1.
    Momentum,
    /// Gradients, low precision (high in full precision): bank 2.
    Gradient,
    /// The low-precision copy of the weights used by forward and backward: bank 3.
    QTheta,
}

impl Array {
    pub const ALL: [Array; 4] = [
        Array::Theta,
        Array::Momentum,
        Array::Gradient,
        Array::QTheta,
    ];

    /// The bank (within its bank group) that holds the array.
    pub fn bank(self) -> u32 {
        match self {
            Array::Theta => 0,
            Array::Momentum => 1,
            Array::Gradient => 2,
            Array::QTheta => 3,
        }
    }

    /// Whether the array holds the high-precision format.
    pub fn is_high(self, program: &Program) -> bool {
        match self {
            Array::Theta | Array::Momentum => true,
            Array::Gradient => !program.quantized(),
            Array::QTheta => false,
        }
    }
}

/// One command of a group: a sub-operation and, for a column access, the
/// array and the burst of the group it touches (for a low-precision array
/// the group has one burst, index 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Step {
    pub op: SubOp,
    pub array: Option<Array>,
    pub burst: u8,
}

/// What a scale factor stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Role {
    LearningRate,
    Momentum,
    WeightDecay,
    /// The factor 1 (an unscaled read).
    One,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::LearningRate => "lr",
            Role::Momentum => "momentum",
            Role::WeightDecay => "weight_decay",
            Role::One => "one",
        }
    }
}

/// A hyper-parameter as requested and as the scaler represents it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ScaleUse {
    pub role: Role,
    pub requested: f64,
    pub used: Scale,
    pub id: ScaleId,
}

impl ScaleUse {
    /// (used - requested) / requested.
    pub fn rel_error(&self) -> f64 {
        (self.used.value() - self.requested) / self.requested
    }
    pub fn exact(&self) -> bool {
        self.used.value() == self.requested
    }
}

/// The command sequence of one group and what it needs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Program {
    /// Format of the master weights, the momentum and the `T` registers.
    pub high: Format,
    /// Format of the gradients and the weight copy; equal to `high` in full
    /// precision, where there is no copy and no Q register traffic.
    pub low: Format,
    /// Bursts per group.
    pub group: u32,
    /// Whether the optimizer keeps a momentum array (SGD uses its bank as scratch).
    pub momentum_state: bool,
    pub steps: Vec<Step>,
    /// The scale factors, by id.
    pub scales: Vec<ScaleUse>,
}

/// Why an optimizer or a precision cannot run on the unit.
pub type Unsupported = String;

impl Program {
    /// Compile the update of `optimizer` in `precision` for a unit whose
    /// scaler covers `range`.
    pub fn compile(
        optimizer: &Optimizer,
        precision: &Precision,
        range: &ScalerRange,
    ) -> Result<Program, Unsupported> {
        let (high, low) = formats(precision)?;
        let (lr, mu, wd, momentum_state) =
            match *optimizer {
                Optimizer::Sgd { lr } => (lr, 0.0, 0.0, false),
                Optimizer::Momentum {
                    lr,
                    momentum,
                    weight_decay,
                } => (lr, momentum, weight_decay, true),
                Optimizer::Adam { .. } => return Err(
                    "GradPIM's unit cannot run Adam: its ALU adds, subtracts, (de)quantizes and \
                     scales by 2^m +- 2^n, and Adam needs a square, a square root and a division \
                     per parameter (slides 13-14)"
                        .into(),
                ),
                Optimizer::Kfac { .. } => return Err(
                    "GradPIM's unit cannot run K-FAC: the Kronecker factors, their inverses and \
                     the preconditioning are matrix products, not element-wise steps"
                        .into(),
                ),
            };
        for (name, v, positive) in [
            ("learning rate", lr, true),
            ("momentum", mu, false),
            ("weight decay", wd, false),
        ] {
            let ok = v.is_finite() && if positive { v > 0.0 } else { v >= 0.0 };
            if !ok {
                return Err(format!(
                    "the {name} {v} cannot be a factor of the scaler (2^m +- 2^n, positive)"
                ));
            }
        }
        let mut scales: Vec<ScaleUse> = Vec::new();
        let mut scale = |role: Role, requested: f64| -> Result<ScaleId, Unsupported> {
            let used = if role == Role::One {
                Scale::ONE
            } else {
                Scale::nearest(requested, range).map_err(|e| format!("{}: {e}", role.name()))?
            };
            // Factors equal in value share an id.
            if let Some(s) = scales.iter().find(|s| s.used.value() == used.value()) {
                let id = s.id;
                scales.push(ScaleUse {
                    role,
                    requested,
                    used,
                    id,
                });
                return Ok(id);
            }
            let distinct = scales
                .iter()
                .map(|s| s.id.0 as usize + 1)
                .max()
                .unwrap_or(0);
            if distinct >= SCALE_IDS {
                return Err(format!(
                    "the update needs more than the unit's {SCALE_IDS} scale factors"
                ));
            }
            let id = ScaleId(distinct as u8);
            scales.push(ScaleUse {
                role,
                requested,
                used,
                id,
            });
            Ok(id)
        };
        let quantized = low != high;
        let group = if quantized {
            high.bits() / low.bits()
        } else {
            1
        };
        let s_wd = (wd > 0.0)
            .then(|| scale(Role::WeightDecay, wd))
            .transpose()?;
        let s_mu = (mu > 0.0).then(|| scale(Role::Momentum, mu)).transpose()?;
        let s_lr = scale(Role::LearningRate, lr)?;
        let s_one = scale(Role::One, 1.0)?;

        let mut steps = Vec::new();
        let mut push = |op: SubOp, array: Option<Array>, burst: u32| {
            steps.push(Step {
                op,
                array,
                burst: burst as u8,
            })
        };
        use Reg::{T0, T1};
        for b in 0..group {
            let pos = b as u8;
            // Plain SGD in full precision: the gradient goes through the scaler directly.
            if !quantized && s_wd.is_none() && s_mu.is_none() {
                push(
                    SubOp::ScaledRead {
                        scale: s_lr,
                        dst: T1,
                    },
                    Some(Array::Gradient),
                    b,
                );
            } else {
                // d = g (+ lambda theta) into T0.
                if quantized {
                    if b == 0 {
                        push(SubOp::QReg { write: false }, Some(Array::Gradient), 0);
                    }
                    push(SubOp::DeQuant { pos, dst: T0 }, None, b);
                } else {
                    push(
                        SubOp::ScaledRead {
                            scale: s_one,
                            dst: T0,
                        },
                        Some(Array::Gradient),
                        b,
                    );
                }
                if let Some(s) = s_wd {
                    push(
                        SubOp::ScaledRead { scale: s, dst: T1 },
                        Some(Array::Theta),
                        b,
                    );
                    push(SubOp::Add { dst: T0 }, None, b);
                }
                // v' = mu v + d.
                if let Some(s) = s_mu {
                    push(
                        SubOp::ScaledRead { scale: s, dst: T1 },
                        Some(Array::Momentum),
                        b,
                    );
                    push(SubOp::Add { dst: T0 }, None, b);
                }
                // eta v' needs v' in a bank: write it back, read it through the scaler.
                push(SubOp::Writeback { src: T0 }, Some(Array::Momentum), b);
                push(
                    SubOp::ScaledRead {
                        scale: s_lr,
                        dst: T1,
                    },
                    Some(Array::Momentum),
                    b,
                );
            }
            // theta' = theta - eta v'.
            push(
                SubOp::ScaledRead {
                    scale: s_one,
                    dst: T0,
                },
                Some(Array::Theta),
                b,
            );
            push(SubOp::Sub { dst: T0 }, None, b);
            push(SubOp::Writeback { src: T0 }, Some(Array::Theta), b);
            if quantized {
                push(SubOp::Quant { src: T0, pos }, None, b);
                if b + 1 == group {
                    push(SubOp::QReg { write: true }, Some(Array::QTheta), 0);
                }
            }
        }
        Ok(Program {
            high,
            low,
            group,
            momentum_state,
            steps,
            scales,
        })
    }

    /// Whether the gradients and the weight copy are in a low-precision format.
    pub fn quantized(&self) -> bool {
        self.low != self.high
    }

    /// Master values in one burst (64 bytes per rank).
    pub fn lanes(&self, burst_bytes: u32) -> u32 {
        burst_bytes / self.high.bytes()
    }

    /// Bytes of the optimizer's own data per parameter: theta read and
    /// written, v read and written (momentum), g read, Q(theta) written
    /// (mixed precision). What any system must move, whatever its commands.
    pub fn data_bytes_per_param(&self) -> f64 {
        let h = self.high.bytes() as f64;
        let l = self.low.bytes() as f64;
        let state = if self.momentum_state { 2.0 * h } else { 0.0 };
        let copy = if self.quantized() { l } else { 0.0 };
        2.0 * h + state + l + copy
    }

    /// Command-bus slots per master-weight burst.
    pub fn slots_per_burst(&self) -> f64 {
        self.steps.len() as f64 / self.group as f64
    }

    /// Steps of each class per group: (column reads, column writes, compute).
    pub fn class_counts(&self) -> (usize, usize, usize) {
        use crate::isa::Class;
        let mut c = (0, 0, 0);
        for s in &self.steps {
            match s.op.class() {
                Class::ColumnRead => c.0 += 1,
                Class::ColumnWrite => c.1 += 1,
                Class::Compute => c.2 += 1,
            }
        }
        c
    }

    /// The scale of a role, if the update uses it.
    pub fn scale(&self, role: Role) -> Option<&ScaleUse> {
        self.scales.iter().find(|s| s.role == role)
    }

    /// The sequence as text, one command per line.
    pub fn listing(&self) -> String {
        let mut out = String::new();
        for s in &self.steps {
            let target = match s.array {
                Some(a) => format!("  [{a:?}, burst {}]", s.burst),
                None => String::new(),
            };
            out.push_str(&format!("{}{target}\n", s.op));
        }
        out
    }
}

/// The unit's (high, low) formats for a workload's precision.
pub fn formats(p: &Precision) -> Result<(Format, Format), Unsupported> {
    let name = |f| format!("{f}");
    let high = Format::of(p.master)
        .filter(|f| *f != Format::Int8)
        .ok_or_else(|| {
            format!(
                "master weights in {} are not one of GradPIM's high-precision formats (fp32, fp16)",
                name(p.master)
            )
        })?;
    if p.weights != p.gradients {
        return Err(format!(
            "GradPIM keeps the gradients and the weight copy in one low-precision format; \
             this workload has {} weights and {} gradients",
            name(p.weights),
            name(p.gradients)
        ));
    }
    let low = Format::of(p.gradients).ok_or_else(|| {
        format!(
            "gradients in {} are not one of GradPIM's formats (int8, fp16, fp32; \
             precision modes 8/32, 16/32, 8/16, 32/32)",
            name(p.gradients)
        )
    })?;
    if low.bits() > high.bits() {
        return Err(format!(
            "low precision {} is wider than the master format {}",
            low.name(),
            high.name()
        ));
    }
    let ratio = (high.bits() / low.bits()) as usize;
    if ratio > Q_POSITIONS {
        return Err(format!(
            "{}/{} needs more than the Q register's {Q_POSITIONS} positions",
            low.name(),
            high.name()
        ));
    }
    Ok((high, low))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pimzoo_core::NumberFormat;

    fn range() -> ScalerRange {
        ScalerRange {
            min_exp: -32,
            max_exp: 8,
            max_span: 24,
        }
    }

    fn mixed(low: NumberFormat, high: NumberFormat) -> Precision {
        Precision::mixed(low, high)
    }

    #[test]
    fn momentum_with_weight_decay_in_8_32_is_the_briefs_template() {
        let p = Program::compile(
            &Optimizer::from_name("momentum").unwrap(),
            &mixed(NumberFormat::Fixed(8), NumberFormat::Fp32),
            &range(),
        )
        .unwrap();
        assert_eq!(p.group, 4);
        // Per burst: dequant, 2 x (scaled read + add), write-back, scaled read,
        // scaled read, sub, write-back, quant = 11; plus one Q load and one Q
        // store per group of 4: 11.5 slots per burst.
        assert_eq!(p.steps.len(), 46);
        assert_eq!(p.slots_per_burst(), 11.5);
        // theta and v read and written (16 B), g read, Q(theta) written: 18 B.
        assert_eq!(p.data_bytes_per_param(), 18.0);
        // 6.5 column accesses per burst, 5 compute steps.
        assert_eq!(p.class_counts(), (17, 9, 20));
        assert_eq!(p.scales.len(), 4);
        let ids: std::collections::HashSet<u8> = p.scales.iter().map(|s| s.id.0).collect();
        assert_eq!(ids.len(), 4);
    }

    #[test]
    fn the_sequences_of_other_modes() {
        let r = range();
        let sgd = Optimizer::Sgd { lr: 0.1 };
        let mom = Optimizer::from_name("momentum").unwrap();
        let fp32 = Precision::uniform(NumberFormat::Fp32);
        // Full-precision SGD: read g through the scaler, read theta, subtract, write back.
        let p = Program::compile(&sgd, &fp32, &r).unwrap();
        assert_eq!((p.group, p.steps.len()), (1, 4));
        // Full-precision momentum: g read unscaled instead of Q load + dequant, no quant.
        let p = Program::compile(&mom, &fp32, &r).unwrap();
        assert_eq!((p.group, p.steps.len()), (1, 10));
        // 16/32 and 8/16: groups of two.
        let p = Program::compile(&mom, &mixed(NumberFormat::Fp16, NumberFormat::Fp32), &r).unwrap();
        assert_eq!((p.group, p.steps.len()), (2, 24));
        let p =
            Program::compile(&mom, &mixed(NumberFormat::Fixed(8), NumberFormat::Fp16), &r).unwrap();
        assert_eq!((p.group, p.low, p.high), (2, Format::Int8, Format::Fp16));
        // Mixed-precision SGD: the dequantized gradient is written to the
        // scratch bank and read back through the scaler.
        let p =
            Program::compile(&sgd, &mixed(NumberFormat::Fixed(8), NumberFormat::Fp32), &r).unwrap();
        assert_eq!(p.slots_per_burst(), 7.5);
        assert_eq!(p.data_bytes_per_param(), 4.0 + 4.0 + 1.0 + 1.0);
    }

    #[test]
    fn what_the_unit_cannot_run_is_unsupported_with_a_reason() {
        let r = range();
        let p = mixed(NumberFormat::Fixed(8), NumberFormat::Fp32);
        for name in ["adam", "kfac"] {
            let e = Program::compile(&Optimizer::from_name(name).unwrap(), &p, &r).unwrap_err();
            assert!(e.contains("cannot run"), "{e}");
        }
        let mom = Optimizer::from_name("momentum").unwrap();
        let bf16 = mixed(NumberFormat::Bf16, NumberFormat::Fp32);
        assert!(Program::compile(&mom, &bf16, &r)
            .unwrap_err()
            .contains("bf16"));
        let int8 = Precision::uniform(NumberFormat::Fixed(8));
        assert!(Program::compile(&mom, &int8, &r)
            .unwrap_err()
            .contains("master"));
        let neg = Optimizer::Momentum {
            lr: 0.1,
            momentum: -0.5,
            weight_decay: 0.0,
        };
        assert!(Program::compile(&neg, &p, &r).is_err());
    }
}
