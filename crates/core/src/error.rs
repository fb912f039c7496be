/// Why an accelerator could not produce a report.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// The model cannot run this workload (task, layer type, number format...).
    /// Shown to the user as a row with the reason, never as a crash.
    #[error("unsupported: {reason}")]
    Unsupported { reason: String },
    /// The configuration is invalid for this workload (for example a network
    /// that does not fit the memory the preset gives it).
    #[error("invalid configuration: {message}")]
    Config { message: String },
}

impl EvalError {
    pub fn unsupported(reason: impl Into<String>) -> Self {
        EvalError::Unsupported {
            reason: reason.into(),
        }
    }
}
