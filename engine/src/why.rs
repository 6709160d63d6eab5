//! One household's decision explained: every output, the conditions that held and
//! failed with their values, the parameters and citations behind them, and the
//! smallest single-input changes that would change the decision. For a yearly table,
//! one region-year row, traced over the whole table so that `x[last year]` reads the
//! region's previous row (no what-if: fund rules have no applicant).

use bylaw_compiler::explain::decision::render_decision;
use bylaw_compiler::explain::trace::{self, DecisionTrace};
use bylaw_compiler::explain::whatif::{self, WhatIf};
use bylaw_compiler::explain::{Format, Lang, doc, words};
use bylaw_compiler::interp::Evaluator;
use bylaw_compiler::ir::DefId;
use bylaw_compiler::types::Ty;
use bylaw_runtime::batch::Batch;

use crate::{Date, EngineError, Policy};

/// A decision explained.
#[derive(Debug, Clone)]
pub struct Why {
    id: String,
    traced: DecisionTrace,
    what_if: WhatIf,
    decision: Option<String>,
    /// A yearly table's row: no what-if.
    yearly: bool,
}

impl Why {
    /// Explains the household keyed `id` of `batch` (for a yearly table, the row
    /// `REGION:YEAR`), and what would change `decision` (a yes/no output; default the
    /// rule `eligible`, else the last rule).
    ///
    /// # Errors
    /// `bylaw::why::no_row` when no household has the key (with the nearest key as a
    /// hint), `bylaw::why::decision` when `decision` is not a yes/no output.
    pub fn explain(
        policy: &Policy,
        date: Date,
        batch: &Batch,
        id: &str,
        decision: Option<&str>,
        lang: Lang,
    ) -> Result<Why, EngineError> {
        let program = policy.program();
        if let Some(cols) = bylaw_compiler::years::yearly_columns(program) {
            let keys = bylaw_compiler::years::region_years(batch, cols);
            let region_enum = bylaw_compiler::years::region_enum(program, cols);
            let wanted = id.rsplit_once(':').and_then(|(r, y)| {
                let code = region_enum.as_ref()?.lookup(r)?;
                Some((code, y.parse::<i64>().ok()?))
            });
            let Some(row) = wanted.and_then(|w| keys.iter().position(|k| *k == w)) else {
                return Err(EngineError::input(
                    "bylaw::why::no_row",
                    format!("no row `{id}` in the table"),
                )
                .with_hint(
                    "a yearly table's rows are named REGION:YEAR, e.g. `--id jingshan:2023`",
                ));
            };
            let (previous, _) = bylaw_compiler::years::previous_rows(batch, cols);
            let evaluator = Evaluator::new(program, date.days()).with_previous_rows(previous);
            let mut traced = trace::trace(&evaluator, batch, row);
            traced.id = id.to_string();
            return Ok(Why {
                id: id.to_string(),
                traced,
                what_if: WhatIf::default(),
                decision: None,
                yearly: true,
            });
        }
        let root = batch.entities.get(batch.root.0 as usize);
        let Some(row) = root.and_then(|e| e.keys.iter().position(|k| k == id)) else {
            let near = root.and_then(|e| {
                bylaw_compiler::diagnostics::suggest(id, e.keys.iter().map(String::as_str))
            });
            let e = EngineError::input(
                "bylaw::why::no_row",
                format!("no household has the key `{id}`"),
            );
            return Err(match near {
                Some(n) => e.with_hint(format!("did you mean `{n}`?")),
                None => e,
            });
        };
        let decision: Option<DefId> = match decision {
            Some(name) => match program.def_by_name(name) {
                Some(d) if program.outputs.contains(&d) && program.def(d).ty == Ty::Bool => Some(d),
                _ => {
                    return Err(EngineError::input(
                        "bylaw::why::decision",
                        format!("`{name}` is not a yes/no output of the policy"),
                    )
                    .with_hint("`bylaw explain` lists the rules"));
                }
            },
            None => whatif::default_decision(program),
        };
        let household = whatif::extract(batch, &program.schema, row);
        let evaluator = Evaluator::new(program, date.days());
        let traced = trace::trace(&evaluator, &household, 0);
        let what_if = decision
            .map(|d| whatif::what_would_change(&evaluator, &household, d))
            .unwrap_or_default();
        Ok(Why {
            id: id.to_string(),
            traced,
            what_if,
            decision: decision.map(|d| words::def_label(program, d).get(lang).to_string()),
            yearly: false,
        })
    }

    /// The trace and the changes as JSON (`decision`, and `what_would_change` with
    /// `what_if_untried`, what the bounded search left out, unless a yearly table's row).
    pub fn json(&self) -> serde_json::Value {
        match self.yearly {
            true => serde_json::json!({ "decision": self.traced }),
            false => serde_json::json!({
                "decision": self.traced,
                "what_would_change": self.what_if.changes,
                "what_if_untried": self.what_if.untried,
            }),
        }
    }

    /// The explanation as text, Markdown or HTML in `lang`.
    pub fn render(&self, format: Format, lang: Lang) -> String {
        let blocks = render_decision(&self.traced, &self.what_if, self.decision.as_deref(), lang);
        doc::render(&blocks, format, &self.id)
    }
}
