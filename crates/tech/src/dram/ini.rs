//! A reader for the INI dialect of DRAMsim3's configuration files.
//!
//! DRAMsim3 reads its `configs/*.ini` with `inih`: `[section]` headers,
//! `key = value` lines, `;` or `#` comments, section and key names compared
//! without regard to case. Its files also carry comments after a value with
//! no space before the `;` (`tREFI = 9364; average periodic refresh
//! interval`), which `inih` keeps in the value and `strtol` then ignores;
//! here everything from the first `;` (or a `#` after white space) is a
//! comment. A repeated key is an error rather than a silent override.
use super::error::{DramError, Origin};

/// One `key = value` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IniEntry {
    /// The section, lowercase (`timing`).
    pub section: String,
    /// The key as written (`tRCD`).
    pub key: String,
    /// The value with comments and surrounding white space removed.
    pub value: String,
    /// 1-based line number.
    pub line: usize,
}

/// A parsed INI file: its entries in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IniFile {
    entries: Vec<IniEntry>,
}

impl IniFile {
    /// Parse `text`. Syntax errors carry their line number.
    pub fn parse(text: &str) -> Result<IniFile, DramError> {
        let mut entries: Vec<IniEntry> = Vec::new();
        let mut section: Option<String> = None;
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let content = strip_comment(raw).trim();
            if content.is_empty() {
                continue;
            }
            if let Some(rest) = content.strip_prefix('[') {
                let Some(name) = rest.strip_suffix(']') else {
                    return Err(syntax(
                        line,
                        format!("`{content}`: a section header ends with `]`"),
                    ));
                };
                let name = name.trim();
                if name.is_empty() {
                    return Err(syntax(line, "empty section name".to_string()));
                }
                section = Some(name.to_ascii_lowercase());
                continue;
            }
            let Some((key, value)) = content.split_once('=') else {
                return Err(syntax(line, format!("`{content}`: expected `key = value`")));
            };
            let key = key.trim();
            if key.is_empty() {
                return Err(syntax(line, format!("`{content}`: the key is empty")));
            }
            let Some(section) = section.clone() else {
                return Err(syntax(line, format!("`{key}` comes before any [section]")));
            };
            if let Some(first) = entries
                .iter()
                .find(|e| e.section == section && e.key.eq_ignore_ascii_case(key))
            {
                return Err(DramError::Config {
                    origin: Origin::default(),
                    field: format!("{section}.{key}"),
                    line: Some(line),
                    message: format!("given twice (first on line {})", first.line),
                });
            }
            entries.push(IniEntry {
                section,
                key: key.to_string(),
                value: value.trim().to_string(),
                line,
            });
        }
        Ok(IniFile { entries })
    }

    /// The entry `section.key`, both compared without regard to case.
    pub fn get(&self, section: &str, key: &str) -> Option<&IniEntry> {
        self.entries
            .iter()
            .find(|e| e.section.eq_ignore_ascii_case(section) && e.key.eq_ignore_ascii_case(key))
    }

    /// Every entry, in file order.
    pub fn entries(&self) -> &[IniEntry] {
        &self.entries
    }

    /// The section names, lowercase, in order of first appearance.
    pub fn sections(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for e in &self.entries {
            if !out.contains(&e.section.as_str()) {
                out.push(&e.section);
            }
        }
        out
    }
}

fn syntax(line: usize, message: String) -> DramError {
    DramError::Syntax {
        origin: Origin::default(),
        line: Some(line),
        message,
    }
}

/// The line up to its comment: a `;` anywhere or a `#` at the start or after
/// white space.
fn strip_comment(line: &str) -> &str {
    let mut prev_space = true;
    for (i, c) in line.char_indices() {
        if c == ';' || (c == '#' && prev_space) {
            return &line[..i];
        }
        prev_space = c.is_whitespace();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_keys_and_comments() {
        let ini = IniFile::parse(
            "; header\n[Timing]\ntCK = 0.94\ntREFI = 9364; average interval\n# note\nCL=16 # sixteen\n",
        )
        .unwrap();
        assert_eq!(ini.get("timing", "TCK").unwrap().value, "0.94");
        assert_eq!(ini.get("timing", "tREFI").unwrap().value, "9364");
        assert_eq!(ini.get("timing", "CL").unwrap().value, "16");
        assert_eq!(ini.get("timing", "CL").unwrap().line, 6);
        assert_eq!(ini.sections(), vec!["timing"]);
    }

    #[test]
    fn errors_carry_lines() {
        let e = IniFile::parse("[a]\nx = 1\nnonsense\n").unwrap_err();
        assert!(e.to_string().starts_with("line 3:"), "{e}");
        let e = IniFile::parse("x = 1\n").unwrap_err();
        assert!(e.to_string().contains("before any [section]"), "{e}");
        let e = IniFile::parse("[a]\nx = 1\nX = 2\n").unwrap_err();
        assert_eq!(e.to_string(), "line 3: a.X: given twice (first on line 2)");
        let e = IniFile::parse("[a\n").unwrap_err();
        assert!(e.to_string().contains("ends with `]`"), "{e}");
    }
}
