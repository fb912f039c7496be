//! Plain-text tables with aligned columns, and CSV.

/// A table: a header and rows of cells.
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    /// Columns aligned to the right (numbers).
    right: Vec<bool>,
    /// A column whose long cells continue on the next lines, and its width.
    wrap: Option<(usize, usize)>,
}

impl Table {
    pub fn new(header: &[&str]) -> Self {
        Table {
            header: header.iter().map(|s| s.to_string()).collect(),
            rows: Vec::new(),
            right: vec![false; header.len()],
            wrap: None,
        }
    }

    /// Wrap the cells of column `col` at word boundaries to `width` characters
    /// (a word longer than that stays whole); in CSV they stay one cell.
    pub fn wrap(mut self, col: usize, width: usize) -> Self {
        self.wrap = Some((col, width.max(1)));
        self
    }

    /// Align these columns to the right.
    pub fn right(mut self, cols: &[usize]) -> Self {
        for &c in cols {
            if let Some(r) = self.right.get_mut(c) {
                *r = true;
            }
        }
        self
    }

    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    pub fn render(&self) -> String {
        let n = self.header.len();
        let rows: Vec<Vec<String>> = self.rows.iter().flat_map(|r| self.wrapped(r)).collect();
        let mut width: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for r in &rows {
            for (i, c) in r.iter().enumerate().take(n) {
                width[i] = width[i].max(c.chars().count());
            }
        }
        let line = |cells: &[String]| -> String {
            let mut s = String::new();
            for (i, c) in cells.iter().enumerate().take(n) {
                let pad = width[i] - c.chars().count();
                if i > 0 {
                    s.push_str("  ");
                }
                if self.right[i] {
                    s.push_str(&" ".repeat(pad));
                    s.push_str(c);
                } else {
                    s.push_str(c);
                    if i + 1 < n {
                        s.push_str(&" ".repeat(pad));
                    }
                }
            }
            s.trim_end().to_string()
        };
        let mut out = line(&self.header);
        out.push('\n');
        let rule: Vec<String> = width.iter().map(|w| "-".repeat(*w)).collect();
        out.push_str(&line(&rule));
        out.push('\n');
        for r in &rows {
            out.push_str(&line(r));
            out.push('\n');
        }
        out
    }

    /// A row as printed lines: one, or more when its wrapped cell is long.
    fn wrapped(&self, row: &[String]) -> Vec<Vec<String>> {
        let Some((col, width)) = self.wrap else {
            return vec![row.to_vec()];
        };
        let Some(cell) = row.get(col) else {
            return vec![row.to_vec()];
        };
        let mut pieces: Vec<String> = Vec::new();
        for word in cell.split(' ') {
            match pieces.last_mut() {
                Some(p) if p.chars().count() + 1 + word.chars().count() <= width => {
                    p.push(' ');
                    p.push_str(word);
                }
                _ => pieces.push(word.to_string()),
            }
        }
        pieces
            .into_iter()
            .enumerate()
            .map(|(i, piece)| {
                let mut r = if i == 0 {
                    row.to_vec()
                } else {
                    vec![String::new(); row.len()]
                };
                r[col] = piece;
                r
            })
            .collect()
    }

    pub fn csv(&self) -> String {
        let mut out = csv_line(&self.header);
        for r in &self.rows {
            out.push_str(&csv_line(r));
        }
        out
    }
}

fn csv_line(cells: &[String]) -> String {
    let quoted: Vec<String> = cells
        .iter()
        .map(|c| {
            if c.contains([',', '"', '\n']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.clone()
            }
        })
        .collect();
    format!("{}\n", quoted.join(","))
}

/// `1234567` as `1,234,567`.
pub fn group_digits(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A number in engineering notation, or `-`.
pub fn eng(v: Option<f64>, unit: &str) -> String {
    v.map(|v| pimzoo::units::engineering(v, unit))
        .unwrap_or_else(|| "-".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_cell_continues_on_the_next_lines() {
        let mut t = Table::new(&["model", "note"]).wrap(1, 12);
        t.push(vec!["a".into(), "one two three four".into()]);
        t.push(vec!["b".into(), "short".into()]);
        assert_eq!(
            t.render(),
            "model  note\n-----  ----------\na      one two\n       three four\nb      short\n"
        );
        assert_eq!(t.csv(), "model,note\na,one two three four\nb,short\n");
    }
}
