//! Resistive (RRAM) crossbar parts shared by the crossbar architecture models
//! (Neural-PIM and its ISAAC and CASCADE baselines, the compact CIM chip,
//! RePAST).
//!
//! * [`mapping`]: how a fixed-point vector-matrix multiply (VMM) is sliced
//!   onto crossbar arrays: input cycles, cells per weight, weight vectors per
//!   array, bitline resolution (ISAAC Eqs. 1-2 = Neural-PIM Eq. 2), and the
//!   tiling of a layer's weight matrix onto arrays.
//! * [`parts`]: per-unit energy, area and power of the peripheral parts
//!   (ADC against resolution, DAC against resolution, sample-and-hold,
//!   crossbar array, shift-and-add, input/output registers, eDRAM buffer,
//!   eDRAM bus, router, HyperTransport link), each with its source, and the
//!   rule that scales them from the 32 nm tables to another node.
//!
//! The architecture crates count actions; the energy and area of an action
//! live here (the Accelergy split). Everything is a parameter: rows, columns,
//! cell bits, DAC bits, how signed weights are encoded.
pub mod cell_write;
pub mod htree;
pub mod inversion;
pub mod mapping;
pub mod parts;

pub use mapping::{ArrayGeometry, MatrixTiling, Operands, SignedWeights, Slicing};
pub use parts::{Adc, Part, TechNode};

/// A crossbar configuration or lookup that cannot be built; the message
/// names the parameter and the value at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CrossbarError {
    #[error("crossbar parameter `{name}`: {message}")]
    Parameter { name: &'static str, message: String },
    #[error("no {part} table entry for {bits}-bit resolution (the sources cover {range})")]
    NoTableEntry {
        part: &'static str,
        bits: u32,
        range: &'static str,
    },
}

impl CrossbarError {
    pub(crate) fn parameter(name: &'static str, message: impl Into<String>) -> Self {
        CrossbarError::Parameter {
            name,
            message: message.into(),
        }
    }
}
