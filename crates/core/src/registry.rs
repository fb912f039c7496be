use crate::Accelerator;
use pimzoo_ir::normalize_name;

/// The accelerators a program knows. Built-in presets and third-party
/// models register the same way, with [`Registry::register`].
#[derive(Default)]
pub struct Registry {
    models: Vec<Box<dyn Accelerator>>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RegistryError {
    #[error("an accelerator with id `{0}` is already registered")]
    Duplicate(String),
    #[error("unknown accelerator `{name}`; registered: {}", .known.join(", "))]
    Unknown { name: String, known: Vec<String> },
}

impl Registry {
    pub fn new() -> Self {
        Registry::default()
    }

    pub fn register(&mut self, model: Box<dyn Accelerator>) -> Result<(), RegistryError> {
        if self.find(model.id()).is_some() {
            return Err(RegistryError::Duplicate(model.id().to_string()));
        }
        self.models.push(model);
        Ok(())
    }

    pub fn len(&self) -> usize {
        self.models.len()
    }
    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &dyn Accelerator> {
        self.models.iter().map(|m| m.as_ref())
    }

    pub fn ids(&self) -> Vec<String> {
        self.iter().map(|m| m.id().to_string()).collect()
    }

    /// Families in registration order, without repeats.
    pub fn families(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for m in self.iter() {
            let fam = family_of(m.id()).to_string();
            if !out.contains(&fam) {
                out.push(fam);
            }
        }
        out
    }

    fn find(&self, id: &str) -> Option<&dyn Accelerator> {
        let key = normalize_name(id);
        self.iter().find(|m| normalize_name(m.id()) == key)
    }

    /// The model with this id (case, `-` and `_` ignored).
    pub fn get(&self, id: &str) -> Result<&dyn Accelerator, RegistryError> {
        self.find(id).ok_or_else(|| self.unknown(id))
    }

    /// The models named by each selector: an id (`gpu/v100`) or a family
    /// (`gpu`, every preset of it). Order follows the selectors.
    pub fn select(&self, selectors: &[String]) -> Result<Vec<&dyn Accelerator>, RegistryError> {
        let mut out: Vec<&dyn Accelerator> = Vec::new();
        for sel in selectors {
            let matched: Vec<&dyn Accelerator> = match self.find(sel) {
                Some(m) => vec![m],
                None => {
                    let fam = normalize_name(sel);
                    self.iter()
                        .filter(|m| normalize_name(family_of(m.id())) == fam)
                        .collect()
                }
            };
            if matched.is_empty() {
                return Err(self.unknown(sel));
            }
            for m in matched {
                if !out.iter().any(|o| o.id() == m.id()) {
                    out.push(m);
                }
            }
        }
        Ok(out)
    }

    fn unknown(&self, name: &str) -> RegistryError {
        let mut known = self.families();
        known.extend(self.ids());
        RegistryError::Unknown {
            name: name.to_string(),
            known,
        }
    }
}

/// `gpu` of `gpu/v100`.
pub fn family_of(id: &str) -> &str {
    id.split('/').next().unwrap_or(id)
}
