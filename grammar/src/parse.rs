//! Text to [`ast::Module`]: pest parses, and one `lower_*` function per construct builds
//! the tree. Operator precedence is resolved here by a Pratt parser.

use std::sync::OnceLock;

use pest::Parser;
use pest::iterators::Pair;
use pest::pratt_parser::{Assoc, Op, PrattParser};

use crate::ast::*;
use crate::error::ParseError;
use crate::span::Span;

mod depth;

#[derive(pest_derive::Parser)]
#[grammar = "bylaw.pest"]
struct BylawParser;

/// Parses one file. Syntax errors stop at the first one, as pest does; the caller reports
/// it with the file's name.
///
/// Nesting is bounded once, here, by [`MAX_DEPTH`]: before pest runs, brackets and `if`s
/// are counted in the text (pest's recursive descent is then bounded), and before any tree
/// is built every expression's depth is measured on pest's flat token list. Every later
/// walk of an expression — lowering, printing, checking, evaluating, explaining, native
/// code generation — recurses at most that deep. The number of declarations, values and
/// variants is not limited.
pub fn parse(text: &str) -> Result<Module, ParseError> {
    pest::set_call_limit(None);
    if let Some(at) = depth::too_deep_text(text) {
        return Err(ParseError::too_deep(text, at, None));
    }
    // Tracking what was expected where costs a good part of the parse: a file is parsed
    // without it, and a file with a syntax error again with it, for the words.
    pest::set_error_detail(false);
    let mut pairs = match BylawParser::parse(Rule::file, text) {
        Ok(pairs) => pairs,
        Err(_) => {
            pest::set_error_detail(true);
            let detailed = BylawParser::parse(Rule::file, text);
            return Err(match detailed {
                Err(e) => ParseError::from_pest(&e),
                Ok(_) => ParseError::internal("a file that parses only with error detail"),
            });
        }
    };
    let file = pairs
        .next()
        .ok_or_else(|| ParseError::internal("empty parse"))?;
    if let Some((at, levels)) = depth::too_deep_expr(&file) {
        return Err(ParseError::too_deep(text, at, Some(levels)));
    }
    let mut module = Module::default();
    for pair in children(file) {
        if pair.as_rule() == Rule::EOI {
            break;
        }
        module.items.push(lower_item(pair)?);
    }
    Ok(module)
}

/// The deepest an expression may nest: levels of the syntax tree, counting each operator
/// of a chain (`a + b + c` is two levels over its terms), each `not` and `-`, each `if`,
/// call and bracket. Over it, `parse` refuses the file with a located error.
pub const MAX_DEPTH: usize = 256;

type Result<T, E = ParseError> = std::result::Result<T, E>;

/// The pair's span without the whitespace pest skipped after its last token (a failed
/// optional tail leaves it inside the pair), so underlines cover only the text.
fn span_of(pair: &Pair<Rule>) -> Span {
    let s = pair.as_span();
    let trimmed = s.as_str().trim_end_matches(|c: char| c.is_whitespace());
    Span::new(s.start(), s.start() + trimmed.len())
}

fn ident(pair: Pair<Rule>) -> Ident {
    Ident {
        span: span_of(&pair),
        name: pair.as_str().to_string(),
    }
}

fn string(pair: Pair<Rule>) -> Str {
    let span = span_of(&pair);
    let body = children(pair).next().map_or("", |p| p.as_str());
    let mut text = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => text.push('\n'),
                Some(other) => text.push(other),
                None => {}
            }
        } else {
            text.push(c);
        }
    }
    Str { text, span }
}

fn date(pair: Pair<Rule>) -> DateLit {
    DateLit {
        span: span_of(&pair),
        text: pair.as_str().to_string(),
    }
}

/// The children of `pair` without keyword tokens, which only mark where clauses start.
fn children(pair: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pair.into_inner().filter(|p| !is_keyword(p.as_rule()))
}

fn is_keyword(rule: Rule) -> bool {
    format!("{rule:?}").starts_with("kw_")
}

fn next<'a>(
    pairs: &mut impl Iterator<Item = Pair<'a, Rule>>,
    what: &str,
) -> Result<Pair<'a, Rule>> {
    pairs
        .next()
        .ok_or_else(|| ParseError::internal(&format!("missing {what}")))
}

fn lower_item(pair: Pair<Rule>) -> Result<Item> {
    Ok(match pair.as_rule() {
        Rule::use_decl => {
            let span = span_of(&pair);
            let path = string(next(&mut children(pair), "path")?);
            Item::Use(UseDecl { path, span })
        }
        Rule::policy_decl => Item::Policy(lower_policy(pair)?),
        Rule::enum_decl => Item::Enum(lower_enum(pair)?),
        Rule::entity_decl => Item::Entity(lower_entity(pair)?),
        Rule::parameter_decl => Item::Parameter(lower_parameter(pair)?),
        Rule::scale_decl => Item::Scale(lower_scale(pair)?),
        Rule::let_decl => Item::Def(lower_def(pair, DefKind::Let)?),
        Rule::rule_decl => Item::Def(lower_def(pair, DefKind::Rule)?),
        Rule::amount_decl => Item::Def(lower_def(pair, DefKind::Amount)?),
        Rule::fund_decl => Item::Def(lower_def(pair, DefKind::Fund)?),
        Rule::target_decl => Item::Target(lower_target(pair)?),
        Rule::exception_decl => Item::Exception(lower_exception(pair)?),
        Rule::test_decl => Item::Test(lower_test(pair)?),
        Rule::scenario_decl => {
            let span = span_of(&pair);
            let mut inner = children(pair);
            let name = ident(next(&mut inner, "name")?);
            let mut meta = Meta::default();
            for p in inner {
                meta_clause(&mut meta, p);
            }
            Item::Scenario(ScenarioDecl { name, meta, span })
        }
        Rule::set_decl => Item::Set(lower_set(pair)?),
        Rule::check_decl => {
            let span = span_of(&pair);
            let mut inner = children(pair);
            let name = ident(next(&mut inner, "name")?);
            let mut meta = Meta::default();
            let mut exprs = Vec::new();
            let mut about = false;
            for p in inner {
                match p.as_rule() {
                    Rule::expr => exprs.push(lower_expr(p)?),
                    Rule::check_about => about = true,
                    _ => {
                        meta_clause(&mut meta, p);
                    }
                }
            }
            let mut exprs = exprs.into_iter();
            Item::Check(CheckDecl {
                name,
                meta,
                lhs: exprs.next().ok_or_else(|| ParseError::internal("lhs"))?,
                about,
                rhs: exprs.next().ok_or_else(|| ParseError::internal("rhs"))?,
                span,
            })
        }
        Rule::catalogue_decl => Item::Catalogue(comply::lower_catalogue(pair)?),
        Rule::obligation_decl => Item::Obligation(comply::lower_obligation(pair)?),
        Rule::comply_test_decl => Item::ComplyTest(comply::lower_comply_test(pair)?),
        Rule::calendar_decl => Item::Calendar(lower_calendar(pair)?),
        other => return Err(ParseError::internal(&format!("unexpected {other:?}"))),
    })
}

/// Applies a label or metadata clause; returns false for other clauses.
fn meta_clause(meta: &mut Meta, pair: Pair<Rule>) -> bool {
    match pair.as_rule() {
        Rule::label => {
            if let Some(s) = children(pair).next() {
                meta.label = Some(string(s));
            }
        }
        Rule::en_clause => {
            if let Some(s) = children(pair).next() {
                meta.en = Some(string(s));
            }
        }
        Rule::source_clause => {
            let mut inner = children(pair);
            if let (Some(d), Some(q)) = (inner.next(), inner.next()) {
                meta.sources.push(Citation {
                    document: ident(d),
                    quote: string(q),
                });
            }
        }
        Rule::assumed_clause => {
            if let Some(s) = children(pair).next() {
                meta.assumed = Some(string(s));
            }
        }
        Rule::note_clause => {
            if let Some(s) = children(pair).next() {
                meta.notes.push(string(s));
            }
        }
        _ => return false,
    }
    true
}

/// `calendar C "label" from D until D meta* { entry* }`.
fn lower_calendar(pair: Pair<Rule>) -> Result<CalendarDecl> {
    let span = span_of(&pair);
    let mut inner = children(pair);
    let name = ident(next(&mut inner, "name")?);
    let mut meta = Meta::default();
    let mut from = None;
    let mut until = None;
    let mut entries = Vec::new();
    for p in inner {
        match p.as_rule() {
            Rule::from_clause => from = first_inner(p).map(date),
            Rule::until_clause => until = first_inner(p).map(date),
            Rule::calendar_entry => entries.push(lower_calendar_entry(p)?),
            _ => {
                meta_clause(&mut meta, p);
            }
        }
    }
    Ok(CalendarDecl {
        name,
        meta,
        from: from.ok_or_else(|| ParseError::internal("calendar start"))?,
        until: until.ok_or_else(|| ParseError::internal("calendar end"))?,
        entries,
        span,
    })
}

fn lower_calendar_entry(pair: Pair<Rule>) -> Result<CalendarEntry> {
    let span = span_of(&pair);
    let mut inner = children(pair);
    let working = next(&mut inner, "kind")?.as_str() == "working";
    let first = date(next(&mut inner, "date")?);
    let mut last = None;
    let mut meta = Meta::default();
    for p in inner {
        if p.as_rule() == Rule::date {
            last = Some(date(p));
        } else {
            meta_clause(&mut meta, p);
        }
    }
    Ok(CalendarEntry {
        working,
        first,
        last,
        meta,
        span,
    })
}

fn first_inner(pair: Pair<Rule>) -> Option<Pair<Rule>> {
    children(pair).next()
}

fn lower_policy(pair: Pair<Rule>) -> Result<PolicyDecl> {
    let span = span_of(&pair);
    let mut inner = children(pair);
    let name = ident(next(&mut inner, "name")?);
    let mut meta = Meta::default();
    let mut effective = None;
    for p in inner {
        if p.as_rule() == Rule::effective_clause {
            effective = first_inner(p).map(date);
        } else {
            meta_clause(&mut meta, p);
        }
    }
    Ok(PolicyDecl {
        name,
        meta,
        effective,
        span,
    })
}

fn lower_enum(pair: Pair<Rule>) -> Result<EnumDecl> {
    let span = span_of(&pair);
    let mut inner = children(pair);
    let name = ident(next(&mut inner, "name")?);
    let mut meta = Meta::default();
    let mut variants = Vec::new();
    for p in inner {
        if p.as_rule() == Rule::variant {
            let mut vi = children(p);
            let vname = ident(next(&mut vi, "variant")?);
            let mut variant = Variant {
                name: vname,
                meta: Meta::default(),
                parent: None,
                level: None,
                code: None,
            };
            for c in vi {
                match c.as_rule() {
                    Rule::parent_clause => variant.parent = first_inner(c).map(ident),
                    Rule::level_clause => variant.level = first_inner(c).map(ident),
                    Rule::code_clause => {
                        variant.code = first_inner(c).map(|v| {
                            if v.as_rule() == Rule::string {
                                string(v)
                            } else {
                                Str {
                                    span: span_of(&v),
                                    text: v.as_str().to_string(),
                                }
                            }
                        })
                    }
                    _ => {
                        meta_clause(&mut variant.meta, c);
                    }
                }
            }
            variants.push(variant);
        } else {
            meta_clause(&mut meta, p);
        }
    }
    Ok(EnumDecl {
        name,
        meta,
        variants,
        span,
    })
}

fn lower_type(pair: Pair<Rule>) -> Result<TypeExpr> {
    let inner = next(&mut children(pair), "type")?;
    Ok(match inner.as_rule() {
        Rule::money_type => {
            let span = span_of(&inner);
            let mut period = None;
            let mut per_person = false;
            for c in children(inner) {
                match c.as_rule() {
                    Rule::per_person => per_person = true,
                    _ => period = lower_per(c),
                }
            }
            TypeExpr::Money {
                period,
                per_person,
                span,
            }
        }
        _ => TypeExpr::Named(ident(inner)),
    })
}

fn lower_per(pair: Pair<Rule>) -> Option<Period> {
    let p = children(pair).next()?;
    Some(match p.as_rule() {
        Rule::period_year => Period::Year,
        _ => Period::Month,
    })
}

fn lower_entity(pair: Pair<Rule>) -> Result<EntityDecl> {
    let span = span_of(&pair);
    let mut inner = children(pair);
    let name = ident(next(&mut inner, "name")?);
    let mut meta = Meta::default();
    let mut fields = Vec::new();
    let mut dated = None;
    for p in inner {
        if p.as_rule() == Rule::dated_clause {
            let mut names = children(p)
                .filter(|c| c.as_rule() == Rule::ident)
                .map(ident);
            let from = names.next();
            let until = names.next();
            dated = from.zip(until);
            continue;
        }
        if p.as_rule() != Rule::field {
            meta_clause(&mut meta, p);
            continue;
        }
        let mut fi = children(p);
        let fname = ident(next(&mut fi, "field name")?);
        let tpair = next(&mut fi, "field type")?;
        let ty = if tpair.as_rule() == Rule::relation_type {
            FieldType::Many(ident(next(&mut children(tpair), "entity")?))
        } else {
            FieldType::Value(lower_type(tpair)?)
        };
        let mut field = FieldDecl {
            name: fname,
            ty,
            meta: Meta::default(),
            default: None,
            key: false,
            fixed: false,
            at_least: None,
        };
        for c in fi {
            match c.as_rule() {
                Rule::default_clause => {
                    field.default = Some(lower_literal(next(&mut children(c), "default")?)?)
                }
                Rule::key_clause => field.key = true,
                Rule::fixed_clause => field.fixed = true,
                Rule::at_least_clause => {
                    field.at_least = Some(lower_literal(next(&mut children(c), "bound")?)?);
                }
                _ => {
                    meta_clause(&mut field.meta, c);
                }
            }
        }
        fields.push(field);
    }
    Ok(EntityDecl {
        name,
        meta,
        dated,
        fields,
        span,
    })
}

fn lower_parameter(pair: Pair<Rule>) -> Result<ParameterDecl> {
    let span = span_of(&pair);
    let mut inner = children(pair);
    let name = ident(next(&mut inner, "name")?);
    let mut meta = Meta::default();
    let mut ty = None;
    let mut by = None;
    let mut values = Vec::new();
    for p in inner {
        match p.as_rule() {
            Rule::type_expr => ty = Some(lower_type(p)?),
            Rule::by_clause => by = first_inner(p).map(ident),
            Rule::param_value => {
                let mut key = None;
                let mut value = None;
                let mut from = None;
                let mut vmeta = Meta::default();
                for c in children(p) {
                    match c.as_rule() {
                        Rule::param_key => key = first_inner(c).map(ident),
                        Rule::literal => value = Some(lower_literal(c)?),
                        Rule::date => from = Some(date(c)),
                        Rule::kw_from => {}
                        _ => {
                            meta_clause(&mut vmeta, c);
                        }
                    }
                }
                values.push(ParamValue {
                    key,
                    value: value.ok_or_else(|| ParseError::internal("value"))?,
                    from: from.ok_or_else(|| ParseError::internal("from"))?,
                    meta: vmeta,
                });
            }
            _ => {
                meta_clause(&mut meta, p);
            }
        }
    }
    Ok(ParameterDecl {
        name,
        ty: ty.ok_or_else(|| ParseError::internal("type"))?,
        by,
        meta,
        values,
        span,
    })
}

fn lower_scale(pair: Pair<Rule>) -> Result<ScaleDecl> {
    let span = span_of(&pair);
    let mut inner = children(pair);
    let name = ident(next(&mut inner, "name")?);
    let mut meta = Meta::default();
    let mut kind = ScaleKind::Single;
    let mut types = Vec::new();
    let mut versions = Vec::new();
    for p in inner {
        match p.as_rule() {
            Rule::scale_kind => {
                kind = if p.as_str() == "marginal" {
                    ScaleKind::Marginal
                } else {
                    ScaleKind::Single
                }
            }
            Rule::type_expr => types.push(lower_type(p)?),
            Rule::scale_version => {
                let mut from = None;
                let mut vmeta = Meta::default();
                let mut brackets = Vec::new();
                for c in children(p) {
                    match c.as_rule() {
                        Rule::date => from = Some(date(c)),
                        Rule::kw_from => {}
                        Rule::bracket => {
                            let mut bi = children(c);
                            let threshold = lower_literal(next(&mut bi, "threshold")?)?;
                            let value = lower_literal(next(&mut bi, "value")?)?;
                            let mut bmeta = Meta::default();
                            for m in bi {
                                meta_clause(&mut bmeta, m);
                            }
                            brackets.push(Bracket {
                                threshold,
                                value,
                                meta: bmeta,
                            });
                        }
                        _ => {
                            meta_clause(&mut vmeta, c);
                        }
                    }
                }
                versions.push(ScaleVersion {
                    from: from.ok_or_else(|| ParseError::internal("from"))?,
                    meta: vmeta,
                    brackets,
                });
            }
            _ => {
                meta_clause(&mut meta, p);
            }
        }
    }
    let mut types = types.into_iter();
    Ok(ScaleDecl {
        name,
        kind,
        input: types.next().ok_or_else(|| ParseError::internal("input"))?,
        output: types.next().ok_or_else(|| ParseError::internal("output"))?,
        meta,
        versions,
        span,
    })
}

fn lower_def(pair: Pair<Rule>, kind: DefKind) -> Result<DefDecl> {
    let span = span_of(&pair);
    let mut inner = children(pair);
    let name = ident(next(&mut inner, "name")?);
    let mut def = DefDecl {
        kind,
        name,
        ty: None,
        meta: Meta::default(),
        entity: None,
        rounding: None,
        from: None,
        until: None,
        body: Expr {
            kind: ExprKind::Literal(LitKind::None),
            span,
        },
        limits: Vec::new(),
        span,
    };
    for p in inner {
        match p.as_rule() {
            Rule::type_expr => def.ty = Some(lower_type(p)?),
            Rule::for_clause => def.entity = first_inner(p).map(ident),
            Rule::rounding_clause => def.rounding = first_inner(p).map(ident),
            Rule::from_clause => {
                def.from = children(p).find(|c| c.as_rule() == Rule::date).map(date)
            }
            Rule::until_clause => def.until = first_inner(p).map(date),
            Rule::expr => def.body = lower_expr(p)?,
            Rule::limit_clause => def.limits.push(lower_limit(p)?),
            _ => {
                meta_clause(&mut def.meta, p);
            }
        }
    }
    Ok(def)
}

fn lower_limit(pair: Pair<Rule>) -> Result<Limit> {
    let span = span_of(&pair);
    let mut limit = Limit {
        principle: false,
        at_most: true,
        value: Expr {
            kind: ExprKind::Literal(LitKind::None),
            span,
        },
        meta: Meta::default(),
        span,
    };
    for p in children(pair) {
        match p.as_rule() {
            Rule::limit_principle => limit.principle = true,
            Rule::limit_bound => limit.at_most = p.as_str() == "most",
            Rule::expr => limit.value = lower_expr(p)?,
            _ => {
                meta_clause(&mut limit.meta, p);
            }
        }
    }
    Ok(limit)
}

fn lower_target(pair: Pair<Rule>) -> Result<TargetDecl> {
    let span = span_of(&pair);
    let mut inner = children(pair);
    let name = ident(next(&mut inner, "name")?);
    let mut target = TargetDecl {
        name,
        meta: Meta::default(),
        entity: None,
        body: Expr {
            kind: ExprKind::Literal(LitKind::None),
            span,
        },
        cost: None,
        milestones: Vec::new(),
        span,
    };
    for p in inner {
        match p.as_rule() {
            Rule::for_clause => target.entity = first_inner(p).map(ident),
            Rule::expr => target.body = lower_expr(p)?,
            Rule::target_cost => {
                target.cost = Some(lower_expr(next(&mut children(p), "cost")?)?);
            }
            Rule::milestone => {
                let span = span_of(&p);
                let mut parts = children(p);
                let value = lower_literal(next(&mut parts, "share")?)?;
                let by = date(next(&mut parts, "date")?);
                let mut meta = Meta::default();
                for m in parts {
                    meta_clause(&mut meta, m);
                }
                target.milestones.push(Milestone {
                    value,
                    by,
                    meta,
                    span,
                });
            }
            _ => {
                meta_clause(&mut target.meta, p);
            }
        }
    }
    Ok(target)
}

fn lower_exception(pair: Pair<Rule>) -> Result<ExceptionDecl> {
    let span = span_of(&pair);
    let mut name = None;
    let mut target = None;
    let mut meta = Meta::default();
    let mut before = Vec::new();
    let mut exprs = Vec::new();
    let mut seen_to = false;
    for p in pair.into_inner() {
        match p.as_rule() {
            Rule::kw_to => seen_to = true,
            Rule::ident if !seen_to => name = Some(ident(p)),
            Rule::ident => target = Some(ident(p)),
            Rule::before_clause => before.extend(first_inner(p).map(ident)),
            Rule::expr => exprs.push(lower_expr(p)?),
            _ => {
                meta_clause(&mut meta, p);
            }
        }
    }
    let mut exprs = exprs.into_iter();
    Ok(ExceptionDecl {
        name,
        target: target.ok_or_else(|| ParseError::internal("target"))?,
        meta,
        before,
        condition: exprs
            .next()
            .ok_or_else(|| ParseError::internal("condition"))?,
        value: exprs.next().ok_or_else(|| ParseError::internal("value"))?,
        span,
    })
}

fn lower_test(pair: Pair<Rule>) -> Result<TestDecl> {
    let span = span_of(&pair);
    let mut inner = children(pair);
    let name = string(next(&mut inner, "name")?);
    let at = date(next(&mut inner, "date")?);
    let mut inputs = Vec::new();
    let mut expects = Vec::new();
    for p in inner {
        match p.as_rule() {
            Rule::test_input => {
                let mut ti = children(p);
                let entity = ident(next(&mut ti, "entity")?);
                let record = lower_record(next(&mut ti, "record")?)?;
                inputs.push(TestInput { entity, record });
            }
            Rule::expect => {
                let e = next(&mut children(p), "expectation")?;
                let is_error = e.as_rule() == Rule::expect_error;
                let mut ei = children(e);
                let first = ident(next(&mut ei, "name")?);
                if is_error {
                    expects.push(Expectation::Error {
                        code: first,
                        within: ei.next().map(ident),
                    });
                } else {
                    let value = lower_literal(next(&mut ei, "value")?)?;
                    expects.push(Expectation::Value { name: first, value });
                }
            }
            _ => {}
        }
    }
    Ok(TestDecl {
        name,
        at,
        inputs,
        expects,
        span,
    })
}

fn lower_record(pair: Pair<Rule>) -> Result<Record> {
    let span = span_of(&pair);
    let mut fields = Vec::new();
    for f in children(pair) {
        let mut fi = children(f);
        let name = ident(next(&mut fi, "field")?);
        let v = next(&mut fi, "value")?;
        let value = if v.as_rule() == Rule::record_list {
            let lspan = span_of(&v);
            let records = children(v).map(lower_record).collect::<Result<Vec<_>>>()?;
            RecordValue::List(records, lspan)
        } else {
            RecordValue::Literal(lower_literal(v)?)
        };
        fields.push(RecordField { name, value });
    }
    Ok(Record { fields, span })
}

fn lower_set(pair: Pair<Rule>) -> Result<SetDecl> {
    let span = span_of(&pair);
    let mut idents = Vec::new();
    let mut value = None;
    let mut from = None;
    let mut meta = Meta::default();
    for p in children(pair) {
        match p.as_rule() {
            Rule::ident => idents.push(ident(p)),
            Rule::literal => value = Some(lower_literal(p)?),
            Rule::date => from = Some(date(p)),
            Rule::kw_from => {}
            _ => {
                meta_clause(&mut meta, p);
            }
        }
    }
    let mut idents = idents.into_iter();
    Ok(SetDecl {
        parameter: idents
            .next()
            .ok_or_else(|| ParseError::internal("parameter"))?,
        key: idents.next(),
        value: value.ok_or_else(|| ParseError::internal("value"))?,
        from: from.ok_or_else(|| ParseError::internal("from"))?,
        meta,
        span,
    })
}

// ---------------------------------------------------------------------------------------
// Literals and expressions
// ---------------------------------------------------------------------------------------

fn lower_literal(pair: Pair<Rule>) -> Result<Literal> {
    let pair = if pair.as_rule() == Rule::literal {
        next(&mut children(pair), "literal")?
    } else {
        pair
    };
    let span = span_of(&pair);
    Ok(Literal {
        kind: lit_kind(pair)?,
        span,
    })
}

fn lit_kind(pair: Pair<Rule>) -> Result<LitKind> {
    Ok(match pair.as_rule() {
        Rule::date => LitKind::Date(pair.as_str().to_string()),
        Rule::bool_literal => LitKind::Bool(pair.as_str() == "true"),
        Rule::none_literal => LitKind::None,
        Rule::string => LitKind::Text(string(pair).text),
        Rule::path => LitKind::Path(children(pair).map(ident).collect()),
        Rule::number_literal => {
            let mut negative = false;
            let mut digits = String::new();
            let mut unit = None;
            let mut per = None;
            for p in children(pair) {
                match p.as_rule() {
                    Rule::neg => negative = true,
                    Rule::number => digits = p.as_str().to_string(),
                    Rule::unit_yuan => unit = Some(Unit::Yuan),
                    Rule::unit_wan => unit = Some(Unit::Wan),
                    Rule::unit_yi => unit = Some(Unit::Yi),
                    Rule::unit_percent => unit = Some(Unit::Percent),
                    Rule::unit_days => unit = Some(Unit::Days),
                    Rule::unit_months => unit = Some(Unit::Months),
                    Rule::unit_years => unit = Some(Unit::Years),
                    Rule::unit_age => unit = Some(Unit::Age),
                    Rule::per_period => per = lower_per(p),
                    _ => {}
                }
            }
            LitKind::Number {
                negative,
                digits,
                unit,
                per,
            }
        }
        other => return Err(ParseError::internal(&format!("literal {other:?}"))),
    })
}

fn pratt() -> &'static PrattParser<Rule> {
    static PRATT: OnceLock<PrattParser<Rule>> = OnceLock::new();
    PRATT.get_or_init(|| {
        PrattParser::new()
            .op(Op::infix(Rule::op_or, Assoc::Left))
            .op(Op::infix(Rule::op_and, Assoc::Left))
            .op(Op::prefix(Rule::op_not))
            .op(Op::infix(Rule::op_eq, Assoc::Left)
                | Op::infix(Rule::op_ne, Assoc::Left)
                | Op::infix(Rule::op_lt, Assoc::Left)
                | Op::infix(Rule::op_le, Assoc::Left)
                | Op::infix(Rule::op_gt, Assoc::Left)
                | Op::infix(Rule::op_ge, Assoc::Left))
            .op(Op::infix(Rule::op_add, Assoc::Left) | Op::infix(Rule::op_sub, Assoc::Left))
            .op(Op::infix(Rule::op_mul, Assoc::Left) | Op::infix(Rule::op_div, Assoc::Left))
            .op(Op::prefix(Rule::op_neg))
            .op(Op::postfix(Rule::index))
    })
}

fn lower_expr(pair: Pair<Rule>) -> Result<Expr> {
    pratt()
        .map_primary(lower_primary)
        .map_prefix(|op, operand| {
            let operand = operand?;
            let span = span_of(&op).to(operand.span);
            let op = if op.as_rule() == Rule::op_not {
                UnOp::Not
            } else {
                UnOp::Neg
            };
            Ok(Expr {
                kind: ExprKind::Unary {
                    op,
                    operand: Box::new(operand),
                },
                span,
            })
        })
        .map_postfix(|base, index| {
            let base = base?;
            let span = base.span.to(span_of(&index));
            let inner = next(&mut children(index), "index")?;
            if inner.as_rule() == Rule::last_year {
                return Ok(Expr {
                    kind: ExprKind::LastYear(Box::new(base)),
                    span,
                });
            }
            let index = lower_expr(inner)?;
            Ok(Expr {
                kind: ExprKind::Index {
                    base: Box::new(base),
                    index: Box::new(index),
                },
                span,
            })
        })
        .map_infix(|lhs, op, rhs| {
            let (lhs, rhs) = (lhs?, rhs?);
            let op = match op.as_rule() {
                Rule::op_or => BinOp::Or,
                Rule::op_and => BinOp::And,
                Rule::op_eq => BinOp::Eq,
                Rule::op_ne => BinOp::Ne,
                Rule::op_lt => BinOp::Lt,
                Rule::op_le => BinOp::Le,
                Rule::op_gt => BinOp::Gt,
                Rule::op_ge => BinOp::Ge,
                Rule::op_add => BinOp::Add,
                Rule::op_sub => BinOp::Sub,
                Rule::op_mul => BinOp::Mul,
                _ => BinOp::Div,
            };
            let span = lhs.span.to(rhs.span);
            Ok(Expr {
                kind: ExprKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                span,
            })
        })
        .parse(pair.into_inner())
}

fn lower_primary(pair: Pair<Rule>) -> Result<Expr> {
    let span = span_of(&pair);
    let kind = match pair.as_rule() {
        Rule::paren => ExprKind::Paren(Box::new(lower_expr(next(&mut children(pair), "expr")?)?)),
        Rule::if_expr => {
            let mut inner = children(pair);
            let condition = lower_expr(next(&mut inner, "condition")?)?;
            let then = lower_expr(next(&mut inner, "then")?)?;
            let otherwise = lower_expr(next(&mut inner, "else")?)?;
            ExprKind::If {
                condition: Box::new(condition),
                then: Box::new(then),
                otherwise: Box::new(otherwise),
            }
        }
        Rule::call => lower_call(pair)?,
        Rule::path => ExprKind::Path(children(pair).map(ident).collect()),
        _ => ExprKind::Literal(lit_kind(pair)?),
    };
    Ok(Expr { kind, span })
}

/// The functions over a relation of dated records: they take the relation, a filter and
/// dates (`continuous_months(stays where …, applied_on)`).
pub const HISTORY_FUNCTIONS: [&str; 3] = ["continuous_months", "longest_months", "days_within"];

fn lower_call(pair: Pair<Rule>) -> Result<ExprKind> {
    let mut inner = children(pair);
    let function = ident(next(&mut inner, "function")?);
    let Some(args) = inner.next() else {
        return Ok(ExprKind::Call {
            function,
            args: Vec::new(),
        });
    };
    if args.as_rule() == Rule::args {
        let args = children(args).map(lower_expr).collect::<Result<Vec<_>>>()?;
        return Ok(ExprKind::Call { function, args });
    }
    // The aggregate form: `f(rel [: body] [where filter] [else default])`.
    let agg_span = span_of(&args);
    let mut ai = children(args);
    let relation = ident(next(&mut ai, "relation")?);
    let mut body = None;
    let mut filter = None;
    let mut default = None;
    let mut dates = Vec::new();
    for clause in ai {
        let rule = clause.as_rule();
        if rule == Rule::agg_dates {
            dates = children(clause)
                .map(lower_expr)
                .collect::<Result<Vec<_>>>()?;
            continue;
        }
        let e = Box::new(lower_expr(next(&mut children(clause), "expression")?)?);
        match rule {
            Rule::agg_body => body = Some(e),
            Rule::agg_filter => filter = Some(e),
            _ => default = Some(e),
        }
    }
    if HISTORY_FUNCTIONS.contains(&function.name.as_str()) {
        if let Some(e) = body.as_ref().or(default.as_ref()) {
            return Err(ParseError::at(
                e.span,
                &format!("`{}` takes no `:` value and no `else`", function.name),
                Some(&format!(
                    "write `{}({} where condition, date)`: it reads the records' dates",
                    function.name, relation.name
                )),
            ));
        }
        return Ok(ExprKind::History(Box::new(HistoryCall {
            function,
            relation,
            filter: filter.map(|f| *f),
            dates,
        })));
    }
    if !dates.is_empty() {
        if body.is_some() || filter.is_some() || default.is_some() {
            let at = dates.first().map_or(agg_span, |d| d.span);
            return Err(ParseError::at(
                at,
                &format!(
                    "`{}` takes nothing after its relation's clauses",
                    function.name
                ),
                Some(
                    "only `continuous_months`, `longest_months` and `days_within` take dates after `where`",
                ),
            ));
        }
        // `months_between(a, b)`: a call whose first argument is a bare name.
        let first = Expr {
            span: relation.span,
            kind: ExprKind::Path(vec![relation]),
        };
        let mut args = vec![first];
        args.extend(dates);
        return Ok(ExprKind::Call { function, args });
    }
    match AggFn::from_name(&function.name) {
        Some(agg) => Ok(ExprKind::Aggregate {
            function: agg,
            function_span: function.span,
            relation,
            body,
            filter,
            default,
        }),
        None if body.is_none() && filter.is_none() && default.is_none() => {
            // `round_fen(x)`: a one-argument call that looked like an aggregate.
            let span = relation.span;
            Ok(ExprKind::Call {
                function,
                args: vec![Expr {
                    kind: ExprKind::Path(vec![relation]),
                    span,
                }],
            })
        }
        None => {
            let help = if matches!(function.name.as_str(), "average" | "avg" | "mean") {
                format!(
                    "there is no average aggregate: divide, `sum({0}: …) / count({0})`",
                    relation.name
                )
            } else {
                "`:`, `where` and `else` are written only in `count`, `sum`, `min`, `max`, `any` and `all`".to_string()
            };
            Err(ParseError::at(
                agg_span,
                &format!("`{}` is not an aggregate", function.name),
                Some(&help),
            ))
        }
    }
}

#[path = "parse_comply.rs"]
mod comply;
