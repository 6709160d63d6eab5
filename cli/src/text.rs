//! A report's terminal [`Text`] drawn with comfy-table.

use std::fmt::Write as _;

use bylaw_engine::report::{Block, Text};

/// Lines as they are, tables drawn with box characters.
pub fn render(text: &Text) -> String {
    let mut out = String::new();
    for block in &text.blocks {
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
