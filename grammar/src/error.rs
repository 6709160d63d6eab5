//! Syntax errors. pest's error is turned into a byte [`Span`] and a sentence naming what was
//! expected, in words a policy author knows (pest's own miette adapter misplaces spans in
//! Chinese text, so it is not used).

use crate::parse::Rule;
use crate::span::Span;

/// A syntax error: where, what went wrong, and a hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub span: Span,
    pub message: String,
    pub help: Option<String>,
    /// What the parser would have accepted at `span`, in words.
    pub expected: Vec<String>,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParseError {}

impl ParseError {
    pub(crate) fn at(span: Span, message: &str, help: Option<&str>) -> ParseError {
        ParseError {
            span,
            message: message.to_string(),
            help: help.map(str::to_string),
            expected: Vec::new(),
        }
    }

    pub(crate) fn internal(what: &str) -> ParseError {
        ParseError::at(
            Span::default(),
            &format!("the parser could not build `{what}`"),
            Some("this is a bug in Bylaw; please report it with the file"),
        )
    }

    /// Nesting past [`crate::parse::MAX_DEPTH`] at byte `at`: `levels` is the expression's
    /// depth when it was measured on the tree, `None` when the text alone (brackets and
    /// `if`s) went too deep. The span covers the rest of the line from `at`.
    pub(crate) fn too_deep(text: &str, at: usize, levels: Option<usize>) -> ParseError {
        let max = crate::parse::MAX_DEPTH;
        let rest = text.get(at..).unwrap_or("");
        let line_end = at + rest.find('\n').unwrap_or(rest.len());
        let end = line_end.min(at + rest.chars().next().map_or(0, char::len_utf8).max(80));
        let end = (at..=end)
            .rev()
            .find(|&e| text.is_char_boundary(e))
            .unwrap_or(at);
        let message = match levels {
            Some(n) => format!("this expression nests {n} levels deep; at most {max} are allowed"),
            None => format!("brackets and `if`s are nested more than {max} levels deep here"),
        };
        ParseError::at(
            Span::new(at, end),
            &message,
            Some(
                "name parts of it with `let` definitions (each may nest as deep again): a long \
                 sum `a + b + … + z` becomes `let first = a + … + m` and `first + n + … + z`, \
                 a long `if … else if` chain a parameter `by` an enumeration or several `let`s",
            ),
        )
    }

    pub(crate) fn from_pest(e: &pest::error::Error<Rule>) -> ParseError {
        let span = match e.location {
            pest::error::InputLocation::Pos(p) => Span::new(p, p),
            pest::error::InputLocation::Span((s, t)) => Span::new(s, t),
        };
        match &e.variant {
            pest::error::ErrorVariant::ParsingError { positives, .. } => {
                let mut expected: Vec<String> = positives
                    .iter()
                    .filter_map(|r| describe(*r))
                    .map(str::to_string)
                    .collect();
                if let Some(attempts) = e.parse_attempts() {
                    expected.extend(
                        attempts
                            .expected_tokens()
                            .into_iter()
                            .filter_map(token_words),
                    );
                }
                expected.sort();
                expected.dedup();
                let message = if expected.is_empty() {
                    "unexpected input".to_string()
                } else {
                    format!("expected {}", join_or(&expected))
                };
                ParseError {
                    span,
                    message,
                    help: hint_for(&expected),
                    expected,
                }
            }
            pest::error::ErrorVariant::CustomError { message } => {
                ParseError::at(span, message, None)
            }
        }
    }
}

/// Punctuation and clause words the parser tried, in backticks; other tokens are covered by
/// the rule descriptions.
fn token_words(token: impl std::fmt::Display) -> Option<String> {
    const SHOWN: &[&str] = &[
        "=", "{", "}", ":", "(", ")", "[", "]", ",", "->", "then", "else", "when", "to", "at",
        "over", "least",
    ];
    let token = token.to_string();
    SHOWN
        .contains(&token.as_str())
        .then(|| format!("`{token}`"))
}

fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

fn hint_for(expected: &[String]) -> Option<String> {
    if expected.iter().any(|e| e == "a declaration") {
        return Some(
            "a file is a list of declarations: `policy`, `use`, `enum`, `entity`, `parameter`, \
             `scale`, `let`, `rule`, `amount`, `exception`, `test`, `scenario`, `set`, `check`"
                .to_string(),
        );
    }
    if expected.iter().any(|e| e == "`=`") {
        return Some("a definition's body follows `=`".to_string());
    }
    if expected.iter().any(|e| e == "`from` and a date") {
        return Some("every dated value says when it starts: `… from 2023-07-01`".to_string());
    }
    None
}

/// The words for a grammar rule in "expected …"; `None` hides a rule from the message.
fn describe(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::EOI => "end of file",
        Rule::use_decl
        | Rule::policy_decl
        | Rule::enum_decl
        | Rule::entity_decl
        | Rule::parameter_decl
        | Rule::scale_decl
        | Rule::let_decl
        | Rule::rule_decl
        | Rule::amount_decl
        | Rule::exception_decl
        | Rule::test_decl
        | Rule::scenario_decl
        | Rule::set_decl
        | Rule::check_decl => "a declaration",
        Rule::ident | Rule::path | Rule::param_key => "a name",
        Rule::string | Rule::label => "a quoted string",
        Rule::date => "a date (YYYY-MM-DD)",
        Rule::number | Rule::number_literal | Rule::integer => "a number",
        Rule::literal => "a value",
        Rule::expr | Rule::paren | Rule::if_expr | Rule::call | Rule::bool_literal => {
            "an expression"
        }
        Rule::op_or | Rule::op_and => "`and` or `or`",
        Rule::op_eq | Rule::op_ne | Rule::op_lt | Rule::op_le | Rule::op_gt | Rule::op_ge => {
            "a comparison"
        }
        Rule::op_add | Rule::op_sub | Rule::op_mul | Rule::op_div => "an operator",
        Rule::index => "`[`",
        Rule::type_expr | Rule::money_type | Rule::relation_type => "a type",
        Rule::unit_yuan
        | Rule::unit_wan
        | Rule::unit_yi
        | Rule::unit_percent
        | Rule::unit_days
        | Rule::unit_months
        | Rule::unit_years
        | Rule::unit_age => "a unit",
        Rule::per_period => "`per month` or `per year`",
        Rule::per_person => "`per person`",
        Rule::kw_from | Rule::from_clause => "`from` and a date",
        Rule::kw_to => "`to`",
        Rule::en_clause
        | Rule::source_clause
        | Rule::assumed_clause
        | Rule::note_clause
        | Rule::effective_clause
        | Rule::for_clause
        | Rule::rounding_clause
        | Rule::until_clause
        | Rule::before_clause
        | Rule::default_clause
        | Rule::key_clause
        | Rule::fixed_clause
        | Rule::at_least_clause
        | Rule::parent_clause
        | Rule::level_clause
        | Rule::code_clause
        | Rule::by_clause => "a clause",
        Rule::field => "a field",
        Rule::variant => "a variant",
        Rule::param_value => "a dated value",
        Rule::scale_version => "`from` and brackets",
        Rule::bracket => "a bracket",
        Rule::test_input => "an input record",
        Rule::expect => "`expect`",
        Rule::record | Rule::record_list => "a record",
        Rule::record_field => "a field value",
        Rule::args | Rule::aggregate => "arguments",
        Rule::agg_body => "`:`",
        Rule::agg_filter => "`where`",
        Rule::agg_default => "`else`",
        Rule::agg_dates => "dates",
        Rule::dated_clause => "`from FIELD until FIELD`",
        Rule::scale_kind => "`single` or `marginal`",
        _ => return None,
    })
}
