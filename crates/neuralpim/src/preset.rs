//! The preset format (`fixtures/configs/neuralpim/*.ron`) and the embedded presets.
use crate::model::NeuralPim;
use pimzoo_core::units::{Seconds, SquareMm};
use pimzoo_core::Accelerator;
use pimzoo_tech::crossbar::parts::RegisterTable;
use pimzoo_tech::crossbar::{ArrayGeometry, Operands};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The body of a `fixtures/configs/neuralpim/*.ron` preset: one design of
/// RRAM crossbars, its peripherals, its dataflow and its chip.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `neuralpim/<name>`.
    pub id: String,
    pub name: String,
    /// The publication the preset follows.
    pub source: String,
    /// Technology node in nm; the 32 nm tables scale to it (`TechNode`).
    pub node_nm: f64,
    pub operands: Operands,
    pub array: ArrayGeometry,
    /// One crossbar read with one DAC input slice (100 ns in ISAAC and Neural-PIM).
    pub input_cycle: Seconds,
    pub dataflow: Dataflow,
    pub arrays_per_pe: u32,
    pub pes_per_tile: u32,
    /// Which published input register the PEs use.
    pub input_register: RegisterTable,
    pub tile: TileParts,
    pub tiles: Tiles,
    /// Four HyperTransport links at constant power (ISAAC Table I).
    pub hypertransport: bool,
    /// Chips on the board every network runs on (ISAAC §VIII-B evaluates
    /// boards of 8 to 64 chips); a network whose weights do not fit is a
    /// configuration error.
    pub chips: u32,
    /// The source of each parameter above, by field name; shown by `explain`.
    pub sources: BTreeMap<String, String>,
}

/// How partial sums are accumulated (Neural-PIM §3.1, Fig. 3).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub enum Dataflow {
    /// Strategy A (ISAAC): every bitline is converted in every input cycle and
    /// shifted and added digitally.
    DigitalAccumulation {
        adcs_per_pe: u32,
        /// Sample rate of one ADC, for the pipeline timing.
        adc_rate_hz: f64,
    },
    /// Strategy B (CASCADE): bitline values go through TIAs into RRAM buffer
    /// arrays; the buffer bitlines are converted once all input cycles are done.
    AnalogBuffering {
        adcs_per_pe: u32,
        adc_rate_hz: f64,
        /// Levels a buffer cell holds, in bits (CASCADE §3.2: 6-bit MLC).
        buffer_cell_bits: u32,
        buffer_arrays_per_array: u32,
        /// Area of the TIAs, summing amplifiers and buffer arrays of one
        /// computing array (no source gives it).
        front_end_area_per_array: SquareMm,
        /// Conversions per weight vector when the design groups low-order
        /// buffer bitlines through summing amplifiers (CASCADE §3.4: 10 per
        /// 16-bit subsection); `None` takes Neural-PIM Eq. 6.
        #[serde(default)]
        conversions_per_weight_vector: Option<u32>,
    },
    /// Strategy C (Neural-PIM): NNS+A circuits accumulate across weight bits
    /// and input cycles in the analog domain; one NNADC conversion per output.
    AnalogAccumulation {
        nnadcs_per_pe: u32,
        nnadc_rate_hz: f64,
        nnsa_per_pe: u32,
        nnsa_rate_hz: f64,
        /// Input cycles the final conversion adds to a VMM (NP Fig. 8: 1).
        conversion_cycles: u32,
    },
}

/// The tile-level parts of one tile (the ISAAC Table I rows above the IMAs).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TileParts {
    /// 64 KB eDRAM buffers.
    pub edram_buffers: u32,
    /// Wires of the eDRAM-to-PE bus (0: none).
    pub bus_wires: u32,
    /// Tiles sharing one router (0: no router).
    pub tiles_per_router: u32,
    pub sigmoid_units: u32,
    pub maxpool_units: u32,
    pub shift_add_units: u32,
    /// The tile's 3 KB output register.
    pub output_register: bool,
}

/// How many tiles a chip has.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
pub enum Tiles {
    /// A published tile count.
    Fixed(u32),
    /// As many tiles as fit in this chip area next to the HyperTransport
    /// links (the equal-area comparison of Neural-PIM §7.2).
    FillArea(SquareMm),
}

/// The fields that must name their source in `sources`.
pub(crate) const SOURCED_FIELDS: [&str; 12] = [
    "node_nm",
    "operands",
    "array",
    "input_cycle",
    "dataflow",
    "arrays_per_pe",
    "pes_per_tile",
    "input_register",
    "tile",
    "tiles",
    "hypertransport",
    "chips",
];

impl Config {
    /// Build the model the preset describes.
    pub fn build(self) -> Result<Box<dyn Accelerator>, String> {
        Ok(Box::new(NeuralPim::new(self)?))
    }
}

/// `(origin, RON text)` of the built-in presets.
pub const FILES: &[(&str, &str)] = &[
    (
        "fixtures/configs/neuralpim/isaac.ron",
        include_str!("../../../fixtures/configs/neuralpim/isaac.ron"),
    ),
    (
        "fixtures/configs/neuralpim/cascade.ron",
        include_str!("../../../fixtures/configs/neuralpim/cascade.ron"),
    ),
    (
        "fixtures/configs/neuralpim/neuralpim.ron",
        include_str!("../../../fixtures/configs/neuralpim/neuralpim.ron"),
    ),
    (
        "fixtures/configs/neuralpim/isaac-ce.ron",
        include_str!("../../../fixtures/configs/neuralpim/isaac-ce.ron"),
    ),
    (
        "fixtures/configs/neuralpim/cascade-published.ron",
        include_str!("../../../fixtures/configs/neuralpim/cascade-published.ron"),
    ),
];

/// Parse one preset file's text (`NeuralPim(...)`), for tests and tools.
pub fn parse(text: &str, origin: &str) -> Result<Config, String> {
    #[derive(Deserialize)]
    enum File {
        NeuralPim(Box<Config>),
    }
    let File::NeuralPim(c) =
        pimzoo_ir::parse_ron::<File>(text, origin).map_err(|e| e.to_string())?;
    Ok(*c)
}

/// The embedded preset with this id.
pub fn builtin(id: &str) -> Result<Config, String> {
    for (origin, text) in FILES {
        let c = parse(text, origin)?;
        if c.id == id {
            return Ok(c);
        }
    }
    Err(format!("`{id}` is not a built-in neuralpim preset"))
}
