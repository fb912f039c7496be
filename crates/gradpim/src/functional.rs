//! The functional model: the command sequence of [`Program`] executed on
//! real arrays, register by register, and a plain reference optimizer to
//! compare it with.
//!
//! Arrays are stored in their formats (`f32`, binary16 bits, int8 codes).
//! A burst is `lanes` master values (64 bytes of the rank); group `i` covers
//! the parameters `[i * group * lanes, (i + 1) * group * lanes)` and its
//! low-precision burst the same parameters. A tensor whose length is not a
//! whole number of groups is padded with zeros that are never written back.
//!
//! Every sub-operation computes its exact result and rounds it once to the
//! destination's format: the scaled read `x * (2^m +- 2^n)` is the exact sum
//! `x 2^m +- x 2^n` (at most `max_span` + 24 bits wide, exact in an f64),
//! then rounded. So with factors that equal the requested hyper-parameters
//! the unit computes the reference bit for bit, and otherwise differs from
//! it only by the factor error.
use crate::compiler::{Array, Program};
use crate::formats::{dequantize_int8, f16_bits, f16_value, quantize_int8, round_to_f16, Format};
use crate::isa::SubOp;
use ndarray::Array1;

/// One array in its format.
#[derive(Clone, Debug, PartialEq)]
pub enum Store {
    F32(Array1<f32>),
    /// binary16 bit patterns.
    F16(Array1<u16>),
    /// Codes of a power-of-two-scaled int8 format.
    I8(Array1<i8>),
}

impl Store {
    /// `values` rounded into `format` (int8 at scale 2^exp).
    pub fn encode(format: Format, values: &[f64], exp: i32) -> Store {
        match format {
            Format::Fp32 => Store::F32(values.iter().map(|&x| x as f32).collect()),
            Format::Fp16 => Store::F16(values.iter().map(|&x| f16_bits(round_to_f16(x))).collect()),
            Format::Int8 => Store::I8(values.iter().map(|&x| quantize_int8(x, exp)).collect()),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Store::F32(a) => a.len(),
            Store::F16(a) => a.len(),
            Store::I8(a) => a.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn format(&self) -> Format {
        match self {
            Store::F32(_) => Format::Fp32,
            Store::F16(_) => Format::Fp16,
            Store::I8(_) => Format::Int8,
        }
    }

    /// The values (int8 codes times 2^exp).
    pub fn values(&self, exp: i32) -> Vec<f64> {
        (0..self.len()).map(|i| self.decoded(i, exp)).collect()
    }

    /// The raw content of element `i`: the value, or the int8 code.
    fn raw(&self, i: usize) -> f64 {
        match self {
            Store::F32(a) => a[i] as f64,
            Store::F16(a) => f16_value(a[i]),
            Store::I8(a) => a[i] as f64,
        }
    }

    fn decoded(&self, i: usize, exp: i32) -> f64 {
        match self {
            Store::I8(a) => dequantize_int8(a[i], exp),
            _ => self.raw(i),
        }
    }

    /// Store a raw content (a value already in the format, or a code).
    fn set_raw(&mut self, i: usize, x: f64) {
        match self {
            Store::F32(a) => a[i] = x as f32,
            Store::F16(a) => a[i] = f16_bits(x),
            Store::I8(a) => a[i] = x as i8,
        }
    }
}

/// The arrays of one tensor's update.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensors {
    pub theta: Store,
    pub momentum: Store,
    pub gradient: Store,
    /// The low-precision weight copy (unused in full precision).
    pub q_theta: Store,
    /// Scale 2^exp of int8 gradients (the dequantizer's setting).
    pub gradient_exp: i32,
    /// Scale 2^exp of the int8 weight copy (the quantizer's setting).
    pub q_theta_exp: i32,
}

/// A tensor set that does not fit the program.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("functional model: {0}")]
pub struct FunctionalError(String);

impl Tensors {
    /// Encode real values for `program`: theta and v in the high format,
    /// g in the low one, Q(theta) zero.
    pub fn new(
        program: &Program,
        theta: &[f64],
        momentum: &[f64],
        gradient: &[f64],
        gradient_exp: i32,
        q_theta_exp: i32,
    ) -> Result<Tensors, FunctionalError> {
        let n = theta.len();
        if momentum.len() != n || gradient.len() != n {
            return Err(FunctionalError(format!(
                "theta, v and g have {n}, {} and {} elements",
                momentum.len(),
                gradient.len()
            )));
        }
        let g_format = if program.quantized() {
            program.low
        } else {
            program.high
        };
        Ok(Tensors {
            theta: Store::encode(program.high, theta, 0),
            momentum: Store::encode(program.high, momentum, 0),
            gradient: Store::encode(g_format, gradient, gradient_exp),
            q_theta: Store::encode(program.low, &vec![0.0; n], q_theta_exp),
            gradient_exp,
            q_theta_exp,
        })
    }

    fn array(&self, a: Array) -> &Store {
        match a {
            Array::Theta => &self.theta,
            Array::Momentum => &self.momentum,
            Array::Gradient => &self.gradient,
            Array::QTheta => &self.q_theta,
        }
    }

    fn array_mut(&mut self, a: Array) -> &mut Store {
        match a {
            Array::Theta => &mut self.theta,
            Array::Momentum => &mut self.momentum,
            Array::Gradient => &mut self.gradient,
            Array::QTheta => &mut self.q_theta,
        }
    }
}

/// Sub-operations executed, by kind name.
pub type OpCounts = std::collections::BTreeMap<&'static str, u64>;

/// Execute `program` over every group of `t`: the unit's registers, step by
/// step, as the memory controller would issue the commands.
pub fn execute(program: &Program, t: &mut Tensors) -> Result<OpCounts, FunctionalError> {
    let n = t.theta.len();
    let expect = |s: &Store, f: Format, what: &str| -> Result<(), FunctionalError> {
        if s.len() != n || s.format() != f {
            return Err(FunctionalError(format!(
                "{what} is {} elements of {}, the program needs {n} of {}",
                s.len(),
                s.format().name(),
                f.name()
            )));
        }
        Ok(())
    };
    expect(&t.theta, program.high, "theta")?;
    expect(&t.momentum, program.high, "v")?;
    let g_format = if program.quantized() {
        program.low
    } else {
        program.high
    };
    expect(&t.gradient, g_format, "g")?;
    if program.quantized() {
        expect(&t.q_theta, program.low, "Q(theta)")?;
    }
    // Lanes of a burst: 64 bytes of the master format.
    let lanes = program.lanes(64) as usize;
    let k = program.group as usize;
    let per_group = lanes * k;
    let high = program.high;
    let mut counts = OpCounts::new();
    let mut regs = [vec![0.0f64; lanes], vec![0.0f64; lanes]];
    let mut q = vec![0.0f64; per_group];
    for base in (0..n).step_by(per_group) {
        for step in &program.steps {
            *counts.entry(step.op.name()).or_default() += 1;
            // First parameter of the step's burst.
            let at = base + step.burst as usize * lanes;
            match step.op {
                SubOp::ScaledRead { scale, dst } => {
                    let array = step.array.ok_or_else(|| missing(step.op))?;
                    let s = program
                        .scales
                        .iter()
                        .find(|u| u.id == scale)
                        .ok_or_else(|| FunctionalError(format!("no scale with id {}", scale.0)))?
                        .used;
                    let (a, b) = (2f64.powi(s.m), 2f64.powi(s.n));
                    let store = t.array(array);
                    for (i, r) in regs[dst.index()].iter_mut().enumerate() {
                        let x = if at + i < n { store.raw(at + i) } else { 0.0 };
                        let exact = if s.minus {
                            x * a - x * b
                        } else {
                            x * a + x * b
                        };
                        *r = high.round(exact);
                    }
                }
                SubOp::DeQuant { pos, dst } => {
                    let from = pos as usize * lanes;
                    for (i, r) in regs[dst.index()].iter_mut().enumerate() {
                        let raw = q[from + i];
                        let v = match program.low {
                            Format::Int8 => dequantize_int8(raw as i8, t.gradient_exp),
                            _ => raw,
                        };
                        *r = high.round(v);
                    }
                }
                SubOp::Quant { src, pos } => {
                    let from = pos as usize * lanes;
                    for (i, &x) in regs[src.index()].iter().enumerate() {
                        q[from + i] = match program.low {
                            Format::Int8 => quantize_int8(x, t.q_theta_exp) as f64,
                            f => f.round(x),
                        };
                    }
                }
                SubOp::Writeback { src } => {
                    let array = step.array.ok_or_else(|| missing(step.op))?;
                    let store = t.array_mut(array);
                    for (i, &x) in regs[src.index()].iter().enumerate() {
                        if at + i < n {
                            store.set_raw(at + i, x);
                        }
                    }
                }
                SubOp::QReg { write } => {
                    let array = step.array.ok_or_else(|| missing(step.op))?;
                    let store = t.array_mut(array);
                    for (i, slot) in q.iter_mut().enumerate() {
                        if base + i < n {
                            if write {
                                store.set_raw(base + i, *slot);
                            } else {
                                *slot = store.raw(base + i);
                            }
                        } else if !write {
                            *slot = 0.0;
                        }
                    }
                }
                SubOp::Add { dst } | SubOp::Sub { dst } => {
                    let sub = matches!(step.op, SubOp::Sub { .. });
                    let [t0, t1] = &regs;
                    let out: Vec<f64> = t0
                        .iter()
                        .zip(t1)
                        .map(|(&a, &b)| high.round(if sub { a - b } else { a + b }))
                        .collect();
                    regs[dst.index()] = out;
                }
            }
        }
    }
    Ok(counts)
}

fn missing(op: SubOp) -> FunctionalError {
    FunctionalError(format!("{op} names no array"))
}

/// Hyper-parameters of momentum SGD with weight decay.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hyper {
    pub lr: f64,
    pub momentum: f64,
    pub weight_decay: f64,
}

/// Plain momentum SGD with weight decay as PyTorch's `torch.optim.SGD`
/// writes it (zero terms skipped), in the master format: every operation
/// rounded once (binary32: native `f32` arithmetic; binary16: exact in f64,
/// then rounded). `g` holds the gradient values (already dequantized).
pub fn reference_step(high: Format, h: Hyper, theta: &mut [f64], v: &mut [f64], g: &[f64]) {
    match high {
        Format::Fp32 => {
            let (lr, mu, wd) = (h.lr as f32, h.momentum as f32, h.weight_decay as f32);
            for i in 0..theta.len() {
                let (mut w, mut m, grad) = (theta[i] as f32, v[i] as f32, g[i] as f32);
                let mut d = grad;
                if wd != 0.0 {
                    d += wd * w;
                }
                if mu != 0.0 {
                    m = mu * m + d;
                    d = m;
                }
                w -= lr * d;
                theta[i] = w as f64;
                v[i] = m as f64;
            }
        }
        _ => {
            let r = |x: f64| high.round(x);
            let (lr, mu, wd) = (r(h.lr), r(h.momentum), r(h.weight_decay));
            for i in 0..theta.len() {
                let mut d = r(g[i]);
                if wd != 0.0 {
                    d = r(d + r(wd * theta[i]));
                }
                if mu != 0.0 {
                    v[i] = r(r(mu * v[i]) + d);
                    d = v[i];
                }
                theta[i] = r(theta[i] - r(lr * d));
            }
        }
    }
}

/// The largest absolute and relative differences between two arrays.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Deviation {
    pub max_abs: f64,
    /// Relative to |b|, over elements where b is not zero.
    pub max_rel: f64,
    /// Elements whose bits differ.
    pub differing: usize,
}

pub fn deviation(a: &[f64], b: &[f64]) -> Deviation {
    let mut d = Deviation::default();
    for (&x, &y) in a.iter().zip(b) {
        if x.to_bits() != y.to_bits() {
            d.differing += 1;
        }
        let e = (x - y).abs();
        d.max_abs = d.max_abs.max(e);
        if y != 0.0 {
            d.max_rel = d.max_rel.max(e / y.abs());
        }
    }
    d
}
