//! Lowering of the service constructs: catalogues, obligations and compliance tests.

use pest::iterators::Pair;

use super::{
    Result, Rule, children, first_inner, ident, lower_expr, lower_record, meta_clause, next,
    span_of, string,
};
use crate::ast::*;

fn code_of(pair: Pair<Rule>) -> Option<Str> {
    first_inner(pair).map(|v| {
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

fn digits(pair: Pair<Rule>) -> Str {
    Str {
        span: span_of(&pair),
        text: pair.as_str().to_string(),
    }
}

pub(super) fn lower_catalogue(pair: Pair<Rule>) -> Result<CatalogueDecl> {
    let span = span_of(&pair);
    let mut inner = children(pair);
    let name = ident(next(&mut inner, "name")?);
    let mut meta = Meta::default();
    let mut categories = Vec::new();
    for p in inner {
        if p.as_rule() == Rule::category_decl {
            categories.push(lower_category(p)?);
        } else {
            meta_clause(&mut meta, p);
        }
    }
    Ok(CatalogueDecl {
        name,
        meta,
        categories,
        span,
    })
}

fn lower_category(pair: Pair<Rule>) -> Result<CategoryDecl> {
    let span = span_of(&pair);
    let mut inner = children(pair);
    let name = ident(next(&mut inner, "name")?);
    let mut meta = Meta::default();
    let mut code = None;
    let mut services = Vec::new();
    for p in inner {
        match p.as_rule() {
            Rule::service_decl => services.push(lower_service(p)?),
            Rule::code_clause => code = code_of(p),
            _ => {
                meta_clause(&mut meta, p);
            }
        }
    }
    Ok(CategoryDecl {
        name,
        meta,
        code,
        services,
        span,
    })
}

fn lower_service(pair: Pair<Rule>) -> Result<ServiceDecl> {
    let span = span_of(&pair);
    let mut inner = children(pair);
    let name = ident(next(&mut inner, "name")?);
    let mut meta = Meta::default();
    let mut code = None;
    let mut serves = Vec::new();
    for p in inner {
        match p.as_rule() {
            Rule::code_clause => code = code_of(p),
            Rule::serves_clause => serves.extend(children(p).map(ident)),
            _ => {
                meta_clause(&mut meta, p);
            }
        }
    }
    Ok(ServiceDecl {
        name,
        meta,
        code,
        serves,
        span,
    })
}

pub(super) fn lower_obligation(pair: Pair<Rule>) -> Result<ObligationDecl> {
    let span = span_of(&pair);
    let mut inner = children(pair);
    let name = ident(next(&mut inner, "name")?);
    let mut meta = Meta::default();
    let mut entity = None;
    let mut filter = None;
    let mut parts = Vec::new();
    for p in inner {
        match p.as_rule() {
            Rule::scope_clause => {
                let mut si = children(p);
                entity = Some(ident(next(&mut si, "entity")?));
                if let Some(e) = si.next() {
                    filter = Some(lower_expr(e)?);
                }
            }
            Rule::require_part => {
                let mut pi = children(p);
                let name = ident(next(&mut pi, "name")?);
                let mut meta = Meta::default();
                let mut condition = None;
                for c in pi {
                    if c.as_rule() == Rule::expr {
                        condition = Some(lower_expr(c)?);
                    } else {
                        meta_clause(&mut meta, c);
                    }
                }
                parts.push(ObligationPart::Require {
                    name,
                    meta,
                    condition: condition.ok_or_else(|| super::ParseError::internal("condition"))?,
                });
            }
            Rule::deliver_part => {
                let mut pi = children(p);
                let name = ident(next(&mut pi, "name")?);
                let mut meta = Meta::default();
                let mut standard = None;
                for c in pi {
                    match c.as_rule() {
                        Rule::frequency | Rule::deadline => standard = Some(lower_delivery(c)?),
                        _ => {
                            meta_clause(&mut meta, c);
                        }
                    }
                }
                parts.push(ObligationPart::Deliver {
                    name,
                    meta,
                    standard: standard.ok_or_else(|| super::ParseError::internal("standard"))?,
                });
            }
            Rule::light_part => {
                let lspan = span_of(&p);
                let mut pi = children(p);
                let colour = match next(&mut pi, "colour")?.as_str() {
                    "red" => Colour::Red,
                    "yellow" => Colour::Yellow,
                    _ => Colour::Green,
                };
                let mut meta = Meta::default();
                let mut condition = None;
                for c in pi {
                    if c.as_rule() == Rule::expr {
                        condition = Some(lower_expr(c)?);
                    } else {
                        meta_clause(&mut meta, c);
                    }
                }
                parts.push(ObligationPart::Light {
                    colour,
                    condition,
                    meta,
                    span: lspan,
                });
            }
            Rule::coverage_part => {
                let cspan = span_of(&p);
                let mut pi = children(p);
                let number = next(&mut pi, "rate")?.as_str().to_string();
                let mut meta = Meta::default();
                for c in pi {
                    meta_clause(&mut meta, c);
                }
                parts.push(ObligationPart::Coverage {
                    digits: number,
                    meta,
                    span: cspan,
                });
            }
            _ => {
                meta_clause(&mut meta, p);
            }
        }
    }
    Ok(ObligationDecl {
        name,
        meta,
        entity: entity.ok_or_else(|| super::ParseError::internal("scope"))?,
        filter,
        parts,
        span,
    })
}

fn service_set(pair: Pair<Rule>) -> Vec<Ident> {
    children(pair).map(ident).collect()
}

fn lower_delivery(pair: Pair<Rule>) -> Result<Delivery> {
    let span = span_of(&pair);
    let is_frequency = pair.as_rule() == Rule::frequency;
    let mut inner = children(pair);
    if is_frequency {
        let bound = if next(&mut inner, "bound")?.as_str() == "most" {
            Bound::AtMost
        } else {
            Bound::AtLeast
        };
        let count = digits(next(&mut inner, "count")?);
        let services = service_set(next(&mut inner, "services")?);
        let window = Window::from_name(next(&mut inner, "window")?.as_str())
            .ok_or_else(|| super::ParseError::internal("window"))?;
        Ok(Delivery::Frequency {
            bound,
            count,
            services,
            window,
            span,
        })
    } else {
        let services = service_set(next(&mut inner, "services")?);
        let days = digits(next(&mut inner, "days")?);
        let working = next(&mut inner, "unit")?.as_rule() == Rule::working_days;
        let event = ident(next(&mut inner, "event")?);
        let calendar = inner.next().map(ident);
        Ok(Delivery::Deadline {
            services,
            days,
            working,
            calendar,
            event,
            span,
        })
    }
}

pub(super) fn lower_comply_test(pair: Pair<Rule>) -> Result<ComplyTestDecl> {
    let span = span_of(&pair);
    let mut inner = children(pair);
    let name = string(next(&mut inner, "name")?);
    let period = digits(next(&mut inner, "period")?);
    let mut inputs = Vec::new();
    let mut log = Vec::new();
    let mut expects = Vec::new();
    for p in inner {
        match p.as_rule() {
            Rule::test_input => {
                let mut ti = children(p);
                let entity = ident(next(&mut ti, "entity")?);
                let record = lower_record(next(&mut ti, "record")?)?;
                inputs.push(TestInput { entity, record });
            }
            Rule::log_entry => log.push(lower_record(next(&mut children(p), "record")?)?),
            Rule::comply_expect => {
                let parts: Vec<Pair<Rule>> = children(p).collect();
                let mut idents = Vec::new();
                let mut key = None;
                for x in parts {
                    if x.as_rule() == Rule::string {
                        key = Some(string(x));
                    } else {
                        idents.push(ident(x));
                    }
                }
                let outcome = idents
                    .pop()
                    .ok_or_else(|| super::ParseError::internal("outcome"))?;
                let mut idents = idents.into_iter();
                let obligation = idents
                    .next()
                    .ok_or_else(|| super::ParseError::internal("obligation"))?;
                expects.push(ComplyExpect {
                    obligation,
                    part: idents.next(),
                    key: key.ok_or_else(|| super::ParseError::internal("key"))?,
                    outcome,
                });
            }
            _ => {}
        }
    }
    Ok(ComplyTestDecl {
        name,
        period,
        inputs,
        log,
        expects,
        span,
    })
}
