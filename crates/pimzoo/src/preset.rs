//! Parameter presets: the RON files of `fixtures/configs/<family>/`, and the
//! families that read them.
//!
//! A preset file opens with its family's tag, `Gpu(id: "gpu/v100", ...)`, and
//! every value carries its source in a comment. A [`Family`] knows its tag,
//! its embedded files, its configuration type and how to build a model from
//! it. [`Catalog::builtin`] lists the built-in families; a third-party crate
//! adds its own with [`Catalog::add`], the same way.
//!
//! Presets are also data: [`PresetData`] holds a parsed preset as a JSON
//! value whose fields can be read and changed by path (`dac_bits`,
//! `adc.bits`), which is what a parameter sweep does.
use pimzoo_core::{Accelerator, Registry};
use pimzoo_tech::gpu::{Gpu, GpuSpec};
use serde::de::{DeserializeOwned, EnumAccess, VariantAccess, Visitor};
use serde::Serialize;
use serde_json::Value;
use std::fmt;

/// A preset that cannot be read or built; the message names the file, and
/// the line and column where the text is at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PresetError {
    #[error(transparent)]
    Syntax(#[from] pimzoo_ir::SyntaxError),
    #[error("{origin}: {message}")]
    Invalid { origin: String, message: String },
    #[error("{origin}: unknown preset family `{tag}`; known: {}", .known.join(", "))]
    UnknownFamily {
        origin: String,
        tag: String,
        known: Vec<String>,
    },
    #[error("cannot read preset file `{path}`: {message}")]
    Io { path: String, message: String },
    #[error("{origin}: {message}; valid paths: {}", .valid.join(", "))]
    Path {
        origin: String,
        message: String,
        valid: Vec<String>,
    },
}

/// The operations of one family on its configuration type, behind a trait
/// object so that families of different types sit in one catalog.
trait FamilyOps: Send + Sync {
    fn build_text(&self, text: &str, origin: &str) -> Result<Box<dyn Accelerator>, PresetError>;
    fn to_value(&self, text: &str, origin: &str) -> Result<Value, PresetError>;
    fn build_value(&self, value: &Value, origin: &str)
        -> Result<Box<dyn Accelerator>, PresetError>;
}

type Builder<T> = fn(T) -> Result<Box<dyn Accelerator>, String>;

struct Typed<T> {
    tag: &'static str,
    build: Builder<T>,
    /// How to turn a configuration into data, for families that can be swept.
    to_json: Option<fn(&T) -> serde_json::Result<Value>>,
}

impl<T: DeserializeOwned> Typed<T> {
    fn parse(&self, text: &str, origin: &str) -> Result<T, PresetError> {
        let mut de = ron::Deserializer::from_str_with_options(text, &pimzoo_ir::ron_options())
            .map_err(|e| syntax(e, origin))?;
        let value = serde::Deserializer::deserialize_enum(
            &mut de,
            "Preset",
            &[],
            TagVisitor::<T> {
                tag: self.tag,
                config: std::marker::PhantomData,
            },
        )
        .map_err(|e| syntax(de.span_error(e), origin))?;
        de.end().map_err(|e| syntax(de.span_error(e), origin))?;
        Ok(value)
    }

    fn invalid(origin: &str, message: String) -> PresetError {
        PresetError::Invalid {
            origin: origin.to_string(),
            message,
        }
    }
}

fn syntax(e: ron::error::SpannedError, origin: &str) -> PresetError {
    PresetError::Syntax(pimzoo_ir::SyntaxError {
        origin: origin.to_string(),
        line: e.span.start.line,
        column: e.span.start.col,
        message: e.code.to_string(),
    })
}

impl<T: DeserializeOwned> FamilyOps for Typed<T> {
    fn build_text(&self, text: &str, origin: &str) -> Result<Box<dyn Accelerator>, PresetError> {
        (self.build)(self.parse(text, origin)?).map_err(|m| Self::invalid(origin, m))
    }

    fn to_value(&self, text: &str, origin: &str) -> Result<Value, PresetError> {
        let to_json = self.to_json.ok_or_else(|| {
            Self::invalid(
                origin,
                format!(
                    "`{}` presets cannot be read as data (their configuration is not serialisable)",
                    self.tag
                ),
            )
        })?;
        to_json(&self.parse(text, origin)?).map_err(|e| Self::invalid(origin, e.to_string()))
    }

    fn build_value(
        &self,
        value: &Value,
        origin: &str,
    ) -> Result<Box<dyn Accelerator>, PresetError> {
        let config: T = serde_json::from_value(value.clone())
            .map_err(|e| Self::invalid(origin, e.to_string()))?;
        (self.build)(config).map_err(|m| Self::invalid(origin, m))
    }
}

/// Reads `Tag(...)`, the tag already known to be this family's.
struct TagVisitor<T> {
    tag: &'static str,
    config: std::marker::PhantomData<fn() -> T>,
}

impl<'de, T: DeserializeOwned> Visitor<'de> for TagVisitor<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a `{}(...)` preset", self.tag)
    }
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<T, A::Error> {
        let (Ident(tag), variant) = data.variant()?;
        if tag != self.tag {
            return Err(serde::de::Error::custom(format!(
                "expected `{}(...)`, found `{tag}`",
                self.tag
            )));
        }
        variant.newtype_variant()
    }
}

/// A variant name, read as an identifier (RON writes tags unquoted).
struct Ident(String);

impl<'de> serde::Deserialize<'de> for Ident {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Ident, D::Error> {
        struct IdentVisitor;
        impl Visitor<'_> for IdentVisitor {
            type Value = Ident;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a preset family tag")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Ident, E> {
                Ok(Ident(v.to_string()))
            }
        }
        d.deserialize_identifier(IdentVisitor)
    }
}

/// One family of presets: a tag, embedded files and a model builder.
pub struct Family {
    tag: &'static str,
    files: &'static [(&'static str, &'static str)],
    ops: Box<dyn FamilyOps>,
}

impl Family {
    /// A family whose preset files read `tag(...)` around a `T`, and whose
    /// models `build` makes. `files` are its embedded presets.
    pub fn new<T: DeserializeOwned + 'static>(
        tag: &'static str,
        files: &'static [(&'static str, &'static str)],
        build: Builder<T>,
    ) -> Family {
        Family {
            tag,
            files,
            ops: Box::new(Typed {
                tag,
                build,
                to_json: None,
            }),
        }
    }

    /// As [`Family::new`], for a configuration that can also be read and
    /// changed as data ([`PresetData`]), which parameter sweeps need.
    pub fn sweepable<T: DeserializeOwned + Serialize + 'static>(
        tag: &'static str,
        files: &'static [(&'static str, &'static str)],
        build: Builder<T>,
    ) -> Family {
        Family {
            tag,
            files,
            ops: Box::new(Typed {
                tag,
                build,
                to_json: Some(|c: &T| serde_json::to_value(c)),
            }),
        }
    }
    pub fn tag(&self) -> &'static str {
        self.tag
    }
    pub fn files(&self) -> &'static [(&'static str, &'static str)] {
        self.files
    }
}

/// The preset families a program knows.
#[derive(Default)]
pub struct Catalog {
    families: Vec<Family>,
}

impl Catalog {
    /// The built-in families: the GPU baseline and the five architectures.
    pub fn builtin() -> Catalog {
        let mut c = Catalog::default();
        c.add(Family::sweepable::<GpuSpec>(
            "Gpu",
            pimzoo_tech::gpu::PRESET_FILES,
            |spec| Ok(Box::new(Gpu::new(spec)?)),
        ));
        c.add(Family::sweepable::<pimzoo_gradpim::preset::Config>(
            "GradPim",
            pimzoo_gradpim::preset::FILES,
            |c| c.build(),
        ));
        c.add(Family::sweepable::<pimzoo_compact::preset::Config>(
            "Compact",
            pimzoo_compact::preset::FILES,
            |c| c.build(),
        ));
        c.add(Family::sweepable::<pimzoo_neuralpim::preset::Config>(
            "NeuralPim",
            pimzoo_neuralpim::preset::FILES,
            |c| c.build(),
        ));
        c.add(Family::sweepable::<pimzoo_repast::preset::Config>(
            "Repast",
            pimzoo_repast::preset::FILES,
            |c| c.build(),
        ));
        c.add(Family::sweepable::<pimzoo_ntx::preset::Config>(
            "Ntx",
            pimzoo_ntx::preset::FILES,
            |c| c.build(),
        ));
        c
    }

    /// Add a family (a third-party model's, for example).
    pub fn add(&mut self, family: Family) {
        self.families.push(family);
    }

    /// Every embedded preset file of every family, `(origin, text)`.
    pub fn files(&self) -> impl Iterator<Item = &'static (&'static str, &'static str)> + '_ {
        self.families.iter().flat_map(|f| f.files.iter())
    }

    fn family(&self, text: &str, origin: &str) -> Result<&Family, PresetError> {
        let tag = leading_tag(text).unwrap_or_default();
        self.families
            .iter()
            .find(|f| f.tag == tag)
            .ok_or_else(|| PresetError::UnknownFamily {
                origin: origin.to_string(),
                tag: tag.to_string(),
                known: self.families.iter().map(|f| f.tag.to_string()).collect(),
            })
    }

    /// Parse and build a preset from RON text; `origin` names it in errors.
    pub fn load(&self, text: &str, origin: &str) -> Result<Box<dyn Accelerator>, PresetError> {
        self.family(text, origin)?.ops.build_text(text, origin)
    }

    /// Load a preset file from disk.
    pub fn load_file(&self, path: &std::path::Path) -> Result<Box<dyn Accelerator>, PresetError> {
        let (text, origin) = read(path)?;
        self.load(&text, &origin)
    }

    /// A preset as data, for reading and changing its fields by path.
    pub fn read(&self, text: &str, origin: &str) -> Result<PresetData, PresetError> {
        let family = self.family(text, origin)?;
        Ok(PresetData {
            tag: family.tag,
            origin: origin.to_string(),
            value: family.ops.to_value(text, origin)?,
        })
    }

    /// A registry of every embedded preset of every family. The presets are
    /// embedded and tested (`tests/presets.rs`); one that fails to build is a
    /// bug, left out here rather than taking every other model down with it.
    pub fn registry(&self) -> Registry {
        let mut registry = Registry::new();
        for (origin, text) in self.files() {
            if let Ok(model) = self.load(text, origin) {
                let _ = registry.register(model);
            }
        }
        registry
    }

    /// Build the model a [`PresetData`] describes.
    pub fn build(&self, data: &PresetData) -> Result<Box<dyn Accelerator>, PresetError> {
        let family = self
            .families
            .iter()
            .find(|f| f.tag == data.tag)
            .ok_or_else(|| PresetError::UnknownFamily {
                origin: data.origin.clone(),
                tag: data.tag.to_string(),
                known: self.families.iter().map(|f| f.tag.to_string()).collect(),
            })?;
        family.ops.build_value(&data.value, &data.origin)
    }
}

fn read(path: &std::path::Path) -> Result<(String, String), PresetError> {
    let origin = path.display().to_string();
    std::fs::read_to_string(path)
        .map(|t| (t, origin.clone()))
        .map_err(|e| PresetError::Io {
            path: origin,
            message: e.to_string(),
        })
}

/// The identifier that opens a RON document, after comments and `#![...]`
/// attributes: `Gpu` of `// c\nGpu(id: ...)`.
fn leading_tag(text: &str) -> Option<&str> {
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix("//") {
            rest = r.split_once('\n').map_or("", |(_, after)| after);
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.split_once("*/").map_or("", |(_, after)| after);
        } else if let Some(r) = rest.strip_prefix("#!") {
            rest = r.split_once(']').map_or("", |(_, after)| after);
        } else {
            break;
        }
    }
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

/// A parsed preset whose fields can be read and set by path.
#[derive(Clone, Debug, PartialEq)]
pub struct PresetData {
    tag: &'static str,
    origin: String,
    value: Value,
}

impl PresetData {
    /// The family tag (`Gpu`).
    pub fn tag(&self) -> &str {
        self.tag
    }
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Every path to a number, boolean or string field, or to an optional
    /// field left unset: `fp32_efficiency`, `adc.bits`, `tiles.0.rows`.
    pub fn paths(&self) -> Vec<String> {
        let mut out = Vec::new();
        leaf_paths(&self.value, String::new(), &mut out);
        out
    }

    /// The value at a path.
    pub fn get(&self, path: &str) -> Option<&Value> {
        path.split('.').try_fold(&self.value, |v, key| match v {
            Value::Object(m) => m.get(key),
            Value::Array(a) => key.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        })
    }

    /// Set the field at `path` to `text`, read as JSON (`4`, `2.5e-12`,
    /// `true`, `"x"`) or, failing that, as a bare string (an enum variant
    /// such as `Rram`). The path must be one of [`PresetData::paths`].
    pub fn set(&mut self, path: &str, text: &str) -> Result<(), PresetError> {
        let valid = self.paths();
        let err = |message: String| PresetError::Path {
            origin: self.origin.clone(),
            message,
            valid: valid.clone(),
        };
        if !valid.iter().any(|p| p == path) {
            return Err(err(format!("`{path}` is not a parameter of this preset")));
        }
        let new: Value =
            serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()));
        let slot = path
            .split('.')
            .try_fold(&mut self.value, |v, key| match v {
                Value::Object(m) => m.get_mut(key),
                Value::Array(a) => key.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
                _ => None,
            })
            .ok_or_else(|| err(format!("`{path}` is not a parameter of this preset")))?;
        *slot = new;
        Ok(())
    }
}

fn leaf_paths(v: &Value, prefix: String, out: &mut Vec<String>) {
    let join = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                leaf_paths(child, join(k), out);
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                leaf_paths(child, join(&i.to_string()), out);
            }
        }
        // An optional field the preset leaves out (the model then derives
        // or defaults it): listed, so that a sweep can set it.
        _ => out.push(prefix),
    }
}
