//! The canonical form of catalogues, obligations and compliance tests.

use std::fmt::Write;

use super::{Printer, expr, quote};
use crate::ast::*;

fn code(c: &Str) -> String {
    if !c.text.is_empty() && c.text.chars().all(|ch| ch.is_ascii_digit()) {
        format!(" code {}", c.text)
    } else {
        format!(" code {}", quote(&c.text))
    }
}

fn services(s: &[Ident]) -> String {
    match s {
        [one] => one.name.clone(),
        many => {
            let names: Vec<&str> = many.iter().map(|i| i.name.as_str()).collect();
            format!("({})", names.join(", "))
        }
    }
}

pub(super) fn delivery(d: &Delivery) -> String {
    match d {
        Delivery::Frequency {
            bound,
            count,
            services: s,
            window,
            ..
        } => {
            let b = match bound {
                Bound::AtLeast => "at least",
                Bound::AtMost => "at most",
            };
            format!("{b} {} {} per {}", count.text, services(s), window.as_str())
        }
        Delivery::Deadline {
            services: s,
            days,
            working,
            calendar,
            event,
            ..
        } => {
            let unit = if *working { "working days" } else { "days" };
            let mut text = format!(
                "{} within {} {unit} of {}",
                services(s),
                days.text,
                event.name
            );
            if let Some(c) = calendar {
                text.push_str(" in ");
                text.push_str(&c.name);
            }
            text
        }
    }
}

fn has_lines(meta: &Meta) -> bool {
    meta.en.is_some()
        || !meta.sources.is_empty()
        || meta.assumed.is_some()
        || !meta.notes.is_empty()
}

impl Printer {
    pub(super) fn catalogue(&mut self, d: &CatalogueDecl) {
        let _ = write!(self.out, "catalogue {}", d.name.name);
        self.label(&d.meta);
        self.out.push('\n');
        self.meta_lines(&d.meta, "  ");
        self.out.push_str("{\n");
        for c in &d.categories {
            self.comments_before(c.span.start, "  ");
            let _ = write!(self.out, "  category {}", c.name.name);
            self.label(&c.meta);
            if let Some(k) = &c.code {
                self.out.push_str(&code(k));
            }
            if has_lines(&c.meta) {
                self.out.push('\n');
                self.meta_lines(&c.meta, "    ");
                self.out.push_str("  {\n");
            } else {
                self.out.push_str(" {\n");
            }
            for s in &c.services {
                self.comments_before(s.span.start, "    ");
                let _ = write!(self.out, "    service {}", s.name.name);
                self.label(&s.meta);
                if let Some(k) = &s.code {
                    self.out.push_str(&code(k));
                }
                if !s.serves.is_empty() {
                    let names: Vec<&str> = s.serves.iter().map(|i| i.name.as_str()).collect();
                    let _ = write!(self.out, " for {}", names.join(", "));
                }
                self.out.push('\n');
                self.meta_lines(&s.meta, "      ");
            }
            self.comments_before(c.span.end, "    ");
            self.out.push_str("  }\n");
        }
        self.comments_before(d.span.end, "  ");
        self.out.push_str("}\n");
    }

    pub(super) fn obligation(&mut self, d: &ObligationDecl) {
        let _ = write!(self.out, "obligation {}", d.name.name);
        self.label(&d.meta);
        self.out.push('\n');
        self.meta_lines(&d.meta, "  ");
        let _ = write!(self.out, "  for every {}", d.entity.name);
        if let Some(f) = &d.filter {
            let _ = write!(self.out, " where {}", expr(f));
        }
        self.out.push_str("\n{\n");
        for part in &d.parts {
            let start = match part {
                ObligationPart::Require { name, .. } | ObligationPart::Deliver { name, .. } => {
                    name.span.start
                }
                ObligationPart::Light { span, .. } | ObligationPart::Coverage { span, .. } => {
                    span.start
                }
            };
            self.comments_before(start, "  ");
            match part {
                ObligationPart::Require {
                    name,
                    meta,
                    condition,
                } => self.named_part("require", name, meta, &expr(condition)),
                ObligationPart::Deliver {
                    name,
                    meta,
                    standard,
                } => self.named_part("deliver", name, meta, &delivery(standard)),
                ObligationPart::Light {
                    colour,
                    condition,
                    meta,
                    ..
                } => {
                    let _ = write!(self.out, "  light {}", colour.as_str());
                    if let Some(c) = condition {
                        let _ = write!(self.out, " when {}", expr(c));
                    }
                    self.out.push('\n');
                    self.meta_lines(meta, "    ");
                }
                ObligationPart::Coverage { digits, meta, .. } => {
                    let _ = writeln!(self.out, "  coverage at least {digits}%");
                    self.meta_lines(meta, "    ");
                }
            }
        }
        self.comments_before(d.span.end, "  ");
        self.out.push_str("}\n");
    }

    fn named_part(&mut self, keyword: &str, name: &Ident, meta: &Meta, body: &str) {
        let _ = write!(self.out, "  {keyword} {}", name.name);
        self.label(meta);
        if has_lines(meta) {
            self.out.push('\n');
            self.meta_lines(meta, "    ");
            let _ = writeln!(self.out, "    = {body}");
        } else {
            let _ = writeln!(self.out, " = {body}");
        }
    }

    pub(super) fn comply_test(&mut self, d: &ComplyTestDecl) {
        let _ = writeln!(
            self.out,
            "test {} period {} {{",
            quote(&d.name.text),
            d.period.text
        );
        for input in &d.inputs {
            self.comments_before(input.entity.span.start, "  ");
            let _ = write!(self.out, "  {} ", input.entity.name);
            self.record(&input.record, 1);
            self.out.push('\n');
        }
        for r in &d.log {
            self.comments_before(r.span.start, "  ");
            self.out.push_str("  log ");
            self.record(r, 1);
            self.out.push('\n');
        }
        for e in &d.expects {
            self.comments_before(e.obligation.span.start, "  ");
            let _ = write!(self.out, "  expect {}", e.obligation.name);
            if let Some(p) = &e.part {
                let _ = write!(self.out, ".{}", p.name);
            }
            let _ = writeln!(self.out, " for {} = {}", quote(&e.key.text), e.outcome.name);
        }
        self.comments_before(d.span.end, "  ");
        self.out.push_str("}\n");
    }
}
