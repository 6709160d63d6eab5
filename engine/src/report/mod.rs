//! What reports are made of: one value formatter ([`format`](mod@format)), one CSV writer
//! ([`csv`]), the frame of the self-contained HTML reports ([`html`]) and their SVG
//! charts ([`charts`]), and [`Text`] — a report for a terminal as lines and tables,
//! drawn with box-drawing characters by [`Text::render`] for every front end alike.

pub mod charts;
pub mod csv;
pub mod format;
pub mod html;

/// A table: header cells, then rows of cells (all text, already formatted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    /// The header cells; a cell may hold two lines (`label\nname`).
    pub header: Vec<String>,
    /// The rows, each as long as the header or shorter.
    pub rows: Vec<Vec<String>>,
}

/// A piece of a terminal report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A line of text.
    Line(String),
    /// A table.
    Table(Table),
}

/// A report for a terminal: lines and tables, in order.
///
/// ```
/// use bylaw_engine::report::{Block, Table, Text};
/// let mut text = Text::default();
/// text.line("2 households");
/// text.table(Table { header: vec!["id".into()], rows: vec![vec!["a".into()]] });
/// assert!(matches!(&text.blocks[0], Block::Line(l) if l == "2 households"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Text {
    /// The lines and tables.
    pub blocks: Vec<Block>,
}

impl Text {
    /// The lines, and the tables drawn with box-drawing characters.
    pub fn render(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        for block in &self.blocks {
            match block {
                Block::Line(line) => {
                    out.push_str(line);
                    out.push('\n');
                }
                Block::Table(t) => {
                    let mut table = comfy_table::Table::new();
                    table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
                    table.set_header(t.header.clone());
                    for row in &t.rows {
                        table.add_row(row.clone());
                    }
                    let _ = writeln!(out, "{table}");
                }
            }
        }
        out
    }

    /// Adds a line.
    pub fn line(&mut self, line: impl Into<String>) {
        self.blocks.push(Block::Line(line.into()));
    }

    /// Adds a table.
    pub fn table(&mut self, table: Table) {
        self.blocks.push(Block::Table(table));
    }
}

/// The items of `items` in first-seen order, each once.
pub(crate) fn distinct(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}
