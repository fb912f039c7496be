//! The one error type of the DRAM model.
use std::fmt;

/// Why a configuration, a trace or a simulation was rejected. Every variant
/// names what is wrong (a field, a line, a command) so the message can be
/// shown to a user as is.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DramError {
    /// A configuration field is missing, malformed or out of range.
    /// `field` is written `section.key` (`timing.tRCD`), the name used by
    /// both the DRAMsim3 `.ini` files and the RON presets.
    #[error("{origin}{}{field}: {message}", line_prefix(*line))]
    Config {
        origin: Origin,
        field: String,
        line: Option<usize>,
        message: String,
    },
    /// A syntax error in a configuration file (not tied to one field).
    #[error("{origin}{}{message}", line_prefix(*line))]
    Syntax {
        origin: Origin,
        line: Option<usize>,
        message: String,
    },
    /// A well-formed value that this model does not implement (a protocol, a
    /// queue structure, a refresh policy...).
    #[error("{origin}{field}: {message}")]
    Unsupported {
        origin: Origin,
        field: String,
        message: String,
    },
    /// A bad line of a request trace.
    #[error("{origin}line {line}: {message}")]
    Trace {
        origin: Origin,
        line: usize,
        message: String,
    },
    /// A command set or an explicit command that breaks the protocol (an
    /// explicit ACT to an open bank, a bank outside the geometry, a rule
    /// between unknown kinds...).
    #[error("{message}")]
    Protocol { message: String },
    /// A file could not be read.
    #[error("{path}: {message}")]
    Io { path: String, message: String },
}

/// Where an error comes from (a file path or a preset name); empty when the
/// text was given directly. Displayed as `origin: `.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin(pub String);

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            Ok(())
        } else {
            write!(f, "{}: ", self.0)
        }
    }
}

fn line_prefix(line: Option<usize>) -> String {
    match line {
        Some(l) => format!("line {l}: "),
        None => String::new(),
    }
}

impl DramError {
    pub(crate) fn protocol(message: impl Into<String>) -> Self {
        DramError::Protocol {
            message: message.into(),
        }
    }

    /// The same error, attributed to `origin` (a file path).
    pub fn with_origin(self, origin: &str) -> Self {
        let o = Origin(origin.to_string());
        match self {
            DramError::Config {
                field,
                line,
                message,
                ..
            } => DramError::Config {
                origin: o,
                field,
                line,
                message,
            },
            DramError::Syntax { line, message, .. } => DramError::Syntax {
                origin: o,
                line,
                message,
            },
            DramError::Unsupported { field, message, .. } => DramError::Unsupported {
                origin: o,
                field,
                message,
            },
            DramError::Trace { line, message, .. } => DramError::Trace {
                origin: o,
                line,
                message,
            },
            other => other,
        }
    }
}
