//! An impact for people and files: a terminal [`Text`], JSON, one CSV line per
//! household and a self-contained HTML page with the distribution of changes.

use std::fmt::Write as _;

use super::Impact;
use super::summary::{ONE, Tally};
use crate::EngineError;
use crate::report::format::{Style, money, money_change, weighted_count, weighted_money};
use crate::report::{Table, Text, charts, csv, html};

const HEADER: [&str; 10] = [
    "",
    "households",
    "eligible before",
    "eligible after",
    "gain",
    "lose",
    "cost before (元)",
    "cost after (元)",
    "change (元)",
    "errors",
];

fn tally_row(name: &str, t: &Tally) -> Vec<String> {
    let sum = |v| weighted_money(v, Style::Human);
    vec![
        name.to_string(),
        weighted_count(t.households),
        weighted_count(t.eligible_before),
        weighted_count(t.eligible_after),
        weighted_count(t.gain),
        weighted_count(t.lose),
        sum(t.cost_before),
        sum(t.cost_after),
        sum(t.cost_after - t.cost_before),
        weighted_count(t.errors),
    ]
}

impl Impact {
    fn table(&self) -> Table {
        let mut rows = vec![tally_row("all 全部", &self.summary.all)];
        rows.extend(self.groups().map(|(name, t)| tally_row(name, t)));
        Table {
            header: HEADER.iter().map(|h| (*h).to_string()).collect(),
            rows,
        }
    }

    /// The summary for a terminal: a title (`old → new`), the table of tallies, and the
    /// quantiles of the change of the amount.
    pub fn text(&self, old: &str, new: &str) -> Text {
        let s = &self.summary;
        let mut text = Text::default();
        let weighted = if s.weighted { " (weighted)" } else { "" };
        text.line(format!("{old} → {new}{weighted}"));
        if let Some(over) = self.over() {
            text.line(over);
        }
        text.table(self.table());
        if s.quantiles.is_empty() {
            text.line("no household's amount changed");
        } else {
            let parts: Vec<String> = s
                .quantiles
                .iter()
                .map(|(n, v)| format!("{n} {}", money_change(*v, Style::Human)))
                .collect();
            text.line(format!(
                "change of the amount where it changed ({} households, {} up, {} down): {}",
                weighted_count(s.all.amount_up + s.all.amount_down),
                weighted_count(s.all.amount_up),
                weighted_count(s.all.amount_down),
                parts.join(", ")
            ));
        }
        text
    }

    /// What a comparison over a period counts, in a sentence.
    fn over(&self) -> Option<String> {
        let period = self.period()?;
        let months = crate::period::months_of(period).len();
        Some(format!(
            "over {} ({months} month{}, each on its first day): eligible means eligible in some month; a monthly amount is summed over the months",
            period.text,
            if months == 1 { "" } else { "s" }
        ))
    }

    /// The summary as a JSON document (counts and money as exact decimal strings).
    pub fn json(&self, old: &str, new: &str) -> String {
        let tally = |t: &Tally| {
            serde_json::json!({
                "households": weighted_count(t.households),
                "eligible_before": weighted_count(t.eligible_before),
                "eligible_after": weighted_count(t.eligible_after),
                "gain": weighted_count(t.gain),
                "lose": weighted_count(t.lose),
                "amount_up": weighted_count(t.amount_up),
                "amount_down": weighted_count(t.amount_down),
                "cost_before": weighted_money(t.cost_before, Style::File),
                "cost_after": weighted_money(t.cost_after, Style::File),
                "errors": weighted_count(t.errors),
            })
        };
        let groups: serde_json::Map<String, serde_json::Value> = self
            .groups()
            .map(|(name, t)| (name.to_string(), tally(t)))
            .collect();
        let quantiles: serde_json::Map<String, serde_json::Value> = self
            .summary
            .quantiles
            .iter()
            .map(|(n, v)| ((*n).to_string(), money(*v, Style::File).into()))
            .collect();
        let (old_ran, new_ran) = self.backends();
        let doc = serde_json::json!({
            "old": old,
            "new": new,
            "weighted": self.summary.weighted,
            "period": self.period().map(|p| p.text.clone()),
            "backends": {"old": old_ran.backend.name(), "new": new_ran.backend.name()},
            "all": tally(&self.summary.all),
            "by_group": groups,
            "amount_change_quantiles": quantiles,
        });
        let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
        text.push('\n');
        text
    }

    /// One line per household: its key, decision and amount before and after, the
    /// change, and which version failed for a household that did.
    pub fn csv(&self) -> String {
        let header = [
            "id",
            "eligible_before",
            "eligible_after",
            "amount_before",
            "amount_after",
            "change",
            "error",
        ];
        let rows = self.pairs.iter().enumerate().map(|(i, p)| {
            let id = self
                .keys
                .get(i)
                .map_or_else(|| (i + 1).to_string(), Clone::clone);
            match p {
                (Some((d0, a0)), Some((d1, a1))) => vec![
                    id,
                    d0.to_string(),
                    d1.to_string(),
                    money(*a0, Style::File),
                    money(*a1, Style::File),
                    money(a1.saturating_sub(*a0), Style::File),
                    String::new(),
                ],
                (old, new) => {
                    let which = match (old, new) {
                        (None, None) => "both",
                        (None, _) => "old",
                        _ => "new",
                    };
                    let mut row = vec![id];
                    row.extend((0..5).map(|_| String::new()));
                    row.push(format!("evaluation failed under {which} version"));
                    row
                }
            }
        });
        csv::to_string(&header, rows)
    }

    /// A self-contained HTML page: the tallies, a histogram of the changes and their
    /// quantiles.
    ///
    /// # Errors
    /// If the chart cannot be drawn.
    pub fn html(&self, old: &str, new: &str) -> Result<String, EngineError> {
        let s = &self.summary;
        let mut body = format!(
            "<p class=\"note\">Old: <code>{}</code>; new: <code>{}</code>{}. Money in 元, exact to the fen. Evaluated with {} and {}.</p>\n",
            html::esc(old),
            html::esc(new),
            if s.weighted {
                "; counts and costs are weighted"
            } else {
                ""
            },
            html::esc(&self.backends.0.to_string()),
            html::esc(&self.backends.1.to_string()),
        );
        if let Some(over) = self.over() {
            let _ = writeln!(body, "<p class=\"note\">{}</p>", html::esc(&over));
        }
        let table = self.table();
        let _ = writeln!(
            body,
            "<h2>Summary</h2>\n{}",
            html::table(&table.header, &table.rows, 1)
        );
        if !s.histogram.is_empty() {
            let change = |v: i64| money_change(v, Style::Human);
            let cats: Vec<String> = s
                .histogram
                .iter()
                .map(|(a, b, _)| format!("{}…{}", change(*a), change(*b)))
                .collect();
            // Whole households, for the chart's heights only.
            let heights: Vec<i64> = s
                .histogram
                .iter()
                .map(|(_, _, w)| i64::try_from(*w / i128::from(ONE)).unwrap_or(i64::MAX))
                .collect();
            let svg = charts::stacked_bars(
                "Households by change of the amount (元)",
                "households",
                &cats,
                &[("households".to_string(), heights)],
            )?;
            let _ = writeln!(
                body,
                "<h2>Distribution of changes</h2>\n<figure>{svg}</figure>"
            );
            let q: Vec<Vec<String>> = s
                .quantiles
                .iter()
                .map(|(n, v)| vec![(*n).to_string(), change(*v)])
                .collect();
            let _ = writeln!(
                body,
                "{}",
                html::table(&[String::new(), "change (元)".into()], &q, 1)
            );
        }
        Ok(html::page(&format!("Reform impact: {old} → {new}"), &body))
    }
}
