use std::fmt;

/// RON text that does not parse: where, and what RON says. Shared by every
/// pimzoo file format (networks, presets, reference sets).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{origin}:{line}:{column}: {message}")]
pub struct SyntaxError {
    pub origin: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Everything that can be wrong with a network: its text, its structure or its shapes.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IrError {
    /// The RON text does not parse, or names an unknown op or field.
    #[error(transparent)]
    Syntax(#[from] SyntaxError),
    /// A layer is inconsistent: bad parameters, unknown inputs or shapes that do not fit.
    #[error("{}", layer_message(.origin, .line, .layer, .op, .message))]
    Layer {
        /// File or network the layer came from, when known.
        origin: Option<String>,
        /// Line of the layer in the file, when known.
        line: Option<usize>,
        layer: String,
        op: &'static str,
        message: String,
    },
    /// The network as a whole is malformed (no layers, bad input shape).
    #[error("{}network `{name}`: {message}", origin_prefix(.origin, &None))]
    Network {
        origin: Option<String>,
        name: String,
        message: String,
    },
    #[error("unknown network `{name}`; the zoo has: {}", .known.join(", "))]
    UnknownNetwork { name: String, known: Vec<String> },
    #[error("cannot read network file `{path}`: {message}")]
    Io { path: String, message: String },
}

fn origin_prefix(origin: &Option<String>, line: &Option<usize>) -> String {
    match (origin, line) {
        (Some(o), Some(l)) => format!("{o}:{l}: "),
        (Some(o), None) => format!("{o}: "),
        (None, Some(l)) => format!("line {l}: "),
        (None, None) => String::new(),
    }
}

fn layer_message(
    origin: &Option<String>,
    line: &Option<usize>,
    layer: &str,
    op: &str,
    message: &str,
) -> String {
    format!(
        "{}layer `{layer}` ({op}): {message}",
        origin_prefix(origin, line)
    )
}

impl IrError {
    pub(crate) fn layer(layer: &str, op: &'static str, message: impl fmt::Display) -> Self {
        IrError::Layer {
            origin: None,
            line: None,
            layer: layer.to_string(),
            op,
            message: message.to_string(),
        }
    }

    /// Attach the file (or other origin) the network came from and, where the
    /// text is at hand, the line on which the offending layer is defined.
    pub(crate) fn located(self, origin: &str, text: Option<&str>) -> Self {
        match self {
            IrError::Layer {
                layer,
                op,
                message,
                line,
                ..
            } => {
                let line = line.or_else(|| text.and_then(|t| line_of_layer(t, &layer)));
                IrError::Layer {
                    origin: Some(origin.to_string()),
                    line,
                    layer,
                    op,
                    message,
                }
            }
            IrError::Network { name, message, .. } => IrError::Network {
                origin: Some(origin.to_string()),
                name,
                message,
            },
            other => other,
        }
    }
}

/// The 1-based line on which `name: "<layer>"` appears.
fn line_of_layer(text: &str, layer: &str) -> Option<usize> {
    let quoted = format!("\"{layer}\"");
    text.lines()
        .position(|l| l.contains("name") && l.contains(&quoted))
        .map(|i| i + 1)
}
