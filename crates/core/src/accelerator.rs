use crate::units::SquareMm;
use crate::{EvalError, Report, Workload};
use serde::Serialize;

/// One model of one hardware configuration.
///
/// An implementation is cheap to call and pure: the same workload gives the
/// same report. A workload the model cannot run returns
/// [`EvalError::Unsupported`] with the reason; it never panics and never guesses.
pub trait Accelerator: Send + Sync {
    /// `family/preset`, lowercase: `gpu/v100`, `neuralpim/isaac`.
    fn id(&self) -> &str;
    fn info(&self) -> ArchInfo;
    fn evaluate(&self, workload: &Workload) -> Result<Report, EvalError>;
}

/// What a model is, for listings and `explain`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ArchInfo {
    /// The part of the id before `/`: `gpu`, `gradpim`, `neuralpim`.
    pub family: String,
    /// Human-readable name of this configuration.
    pub name: String,
    /// Memory or compute technology: `GPU (HBM2)`, `RRAM crossbar`, `DDR4 PIM`.
    pub technology: String,
    /// The publication or datasheet the model follows.
    pub source: String,
    pub area: Option<SquareMm>,
    /// Peak operations per second (2 x MACs) at the default precision.
    pub peak_ops_per_s: Option<f64>,
    /// Which tasks the model runs, in words.
    pub supports: String,
    /// The model in words: what it computes and how, its equations and its
    /// assumptions. Shared by every preset of a family.
    pub explanation: String,
    /// The parameters of this preset as `(name, value with unit, source)`.
    pub parameters: Vec<(String, String, String)>,
    /// Named architecture-level figures that need no workload, the unit in
    /// the name: `chip_power_w`, `adc_share_of_tile_power`,
    /// `conversions_per_weight_vector`. Reference files check them with
    /// `Arch(figure: Named("..."))`.
    pub figures: Vec<(String, f64)>,
}
