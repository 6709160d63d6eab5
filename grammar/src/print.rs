//! The canonical form of a module: what `bylaw fmt` writes. Printing keeps the tree exactly
//! (parentheses are nodes, never added or dropped), so `parse(format(m)) == m`. Comments
//! are not in the tree: they are re-inserted before the declaration, field, variant or value
//! that follows them, so formatting never loses one.

use std::fmt::Write;

use crate::ast::*;

/// Formats `module`, re-inserting the comments of `source` (the text it was parsed from;
/// pass `""` for a module built in code).
pub fn format(module: &Module, source: &str) -> String {
    let mut p = Printer {
        out: String::new(),
        comments: scan_comments(source),
        next_comment: 0,
    };
    let mut previous: Option<&Item> = None;
    for item in &module.items {
        if let Some(prev) = previous {
            let tight = matches!(
                (prev, item),
                (Item::Use(_), Item::Use(_)) | (Item::Set(_), Item::Set(_))
            );
            if !tight {
                p.out.push('\n');
            }
        }
        p.comments_before(item_start(item), "");
        p.item(item);
        previous = Some(item);
    }
    p.comments_before(u32::MAX, "");
    p.out
}

/// A comment's start offset and its text (from `#`, without the line end), followed by an
/// empty line when the source had one after it.
fn scan_comments(source: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    let mut offset = 0usize;
    let lines: Vec<&str> = source.split_inclusive('\n').collect();
    for (n, line) in lines.iter().enumerate() {
        let blank_after = lines.get(n + 1).is_some_and(|l| l.trim().is_empty());
        let mut in_string = false;
        let mut escaped = false;
        for (i, c) in line.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' if in_string => escaped = true,
                '"' => in_string = !in_string,
                '#' if !in_string => {
                    let mut text = line.get(i..).unwrap_or("").trim_end().to_string();
                    if blank_after && line.trim_start().starts_with('#') {
                        text.push('\n');
                    }
                    out.push((u32::try_from(offset + i).unwrap_or(u32::MAX), text));
                    break;
                }
                _ => {}
            }
        }
        offset += line.len();
    }
    out
}

fn item_start(item: &Item) -> u32 {
    match item {
        Item::Use(d) => d.span.start,
        Item::Policy(d) => d.span.start,
        Item::Enum(d) => d.span.start,
        Item::Entity(d) => d.span.start,
        Item::Parameter(d) => d.span.start,
        Item::Scale(d) => d.span.start,
        Item::Def(d) => d.span.start,
        Item::Exception(d) => d.span.start,
        Item::Test(d) => d.span.start,
        Item::Scenario(d) => d.span.start,
        Item::Set(d) => d.span.start,
        Item::Check(d) => d.span.start,
        Item::Catalogue(d) => d.span.start,
        Item::Obligation(d) => d.span.start,
        Item::ComplyTest(d) => d.span.start,
        Item::Target(d) => d.span.start,
        Item::Calendar(d) => d.span.start,
    }
}

struct Printer {
    out: String,
    comments: Vec<(u32, String)>,
    next_comment: usize,
}

/// Bodies longer than this are broken at their top-level `and` / `or`.
const LINE_WIDTH: usize = 90;

impl Printer {
    fn comments_before(&mut self, offset: u32, indent: &str) {
        while let Some((at, text)) = self.comments.get(self.next_comment) {
            if *at >= offset {
                break;
            }
            let _ = writeln!(self.out, "{indent}{text}");
            self.next_comment += 1;
        }
    }

    fn item(&mut self, item: &Item) {
        match item {
            Item::Use(d) => {
                let _ = writeln!(self.out, "use {}", quote(&d.path.text));
            }
            Item::Policy(d) => {
                let _ = write!(self.out, "policy {}", d.name.name);
                self.label(&d.meta);
                self.out.push('\n');
                self.meta_lines(&d.meta, "  ");
                if let Some(e) = &d.effective {
                    let _ = writeln!(self.out, "  effective {}", e.text);
                }
            }
            Item::Enum(d) => self.enum_decl(d),
            Item::Entity(d) => self.entity(d),
            Item::Parameter(d) => self.parameter(d),
            Item::Scale(d) => self.scale(d),
            Item::Def(d) => self.def(d),
            Item::Target(d) => self.target(d),
            Item::Calendar(d) => self.calendar(d),
            Item::Exception(d) => self.exception(d),
            Item::Test(d) => self.test(d),
            Item::Scenario(d) => {
                let _ = write!(self.out, "scenario {}", d.name.name);
                self.label(&d.meta);
                self.out.push('\n');
                self.meta_lines(&d.meta, "  ");
            }
            Item::Check(d) => {
                let _ = write!(self.out, "check {}", d.name.name);
                self.label(&d.meta);
                self.out.push('\n');
                self.meta_lines(&d.meta, "  ");
                let about = if d.about { "about " } else { "" };
                let _ = writeln!(self.out, "  {} = {about}{}", expr(&d.lhs), expr(&d.rhs));
            }
            Item::Catalogue(d) => self.catalogue(d),
            Item::Obligation(d) => self.obligation(d),
            Item::ComplyTest(d) => self.comply_test(d),
            Item::Set(d) => {
                let _ = write!(self.out, "set {}", d.parameter.name);
                if let Some(k) = &d.key {
                    let _ = write!(self.out, "[{}]", k.name);
                }
                let _ = writeln!(
                    self.out,
                    " = {} from {}",
                    literal(&d.value.kind),
                    d.from.text
                );
                self.meta_lines(&d.meta, "  ");
            }
        }
    }

    /// A declaration header ending in `{`: its clauses inline when the line stays short,
    /// else one per line.
    fn block_header(&mut self, head: String, meta: &Meta) {
        self.block_header_with(head, meta, "");
    }

    /// [`Self::block_header`] with `tail` (a clause written after the metadata, such as
    /// an entity's `from … until …`) before the brace.
    fn block_header_with(&mut self, head: String, meta: &Meta, tail: &str) {
        let mut inline = head.clone();
        let saved = std::mem::take(&mut self.out);
        self.meta_inline(meta);
        let clauses = std::mem::replace(&mut self.out, saved);
        inline.push_str(&clauses);
        inline.push_str(tail);
        if inline.chars().count() + 2 <= LINE_WIDTH {
            let _ = writeln!(self.out, "{inline} {{");
        } else {
            let _ = writeln!(self.out, "{head}");
            self.meta_lines(meta, "  ");
            if !tail.is_empty() {
                let _ = writeln!(self.out, "  {}", tail.trim_start());
            }
            self.out.push_str("{\n");
        }
    }

    /// Citations and notes of a field, variant or value: one per continuation line.
    fn trailing_lines(&mut self, meta: &Meta, indent: &str) {
        for s in &meta.sources {
            let _ = writeln!(
                self.out,
                "{indent}source {} {}",
                s.document.name,
                quote(&s.quote.text)
            );
        }
        if let Some(a) = &meta.assumed {
            let _ = writeln!(self.out, "{indent}assumed {}", quote(&a.text));
        }
        for n in &meta.notes {
            let _ = writeln!(self.out, "{indent}note {}", quote(&n.text));
        }
    }

    fn label(&mut self, meta: &Meta) {
        if let Some(l) = &meta.label {
            let _ = write!(self.out, " {}", quote(&l.text));
        }
    }

    /// The clauses after the label, one per line.
    fn meta_lines(&mut self, meta: &Meta, indent: &str) {
        if let Some(en) = &meta.en {
            let _ = writeln!(self.out, "{indent}en {}", quote(&en.text));
        }
        for s in &meta.sources {
            let _ = writeln!(
                self.out,
                "{indent}source {} {}",
                s.document.name,
                quote(&s.quote.text)
            );
        }
        if let Some(a) = &meta.assumed {
            let _ = writeln!(self.out, "{indent}assumed {}", quote(&a.text));
        }
        for n in &meta.notes {
            let _ = writeln!(self.out, "{indent}note {}", quote(&n.text));
        }
    }

    /// The clauses after the label, on the current line.
    fn meta_inline(&mut self, meta: &Meta) {
        if let Some(en) = &meta.en {
            let _ = write!(self.out, " en {}", quote(&en.text));
        }
        for s in &meta.sources {
            let _ = write!(
                self.out,
                " source {} {}",
                s.document.name,
                quote(&s.quote.text)
            );
        }
        if let Some(a) = &meta.assumed {
            let _ = write!(self.out, " assumed {}", quote(&a.text));
        }
        for n in &meta.notes {
            let _ = write!(self.out, " note {}", quote(&n.text));
        }
    }

    fn enum_decl(&mut self, d: &EnumDecl) {
        let head = match &d.meta.label {
            Some(l) => format!("enum {} {}", d.name.name, quote(&l.text)),
            None => format!("enum {}", d.name.name),
        };
        self.block_header(head, &d.meta);
        for v in &d.variants {
            self.comments_before(v.name.span.start, "  ");
            let _ = write!(self.out, "  {}", v.name.name);
            self.label(&v.meta);
            if let Some(en) = &v.meta.en {
                let _ = write!(self.out, " en {}", quote(&en.text));
            }
            if let Some(p) = &v.parent {
                let _ = write!(self.out, " in {}", p.name);
            }
            if let Some(l) = &v.level {
                let _ = write!(self.out, " level {}", l.name);
            }
            if let Some(c) = &v.code {
                if !c.text.is_empty() && c.text.chars().all(|ch| ch.is_ascii_digit()) {
                    let _ = write!(self.out, " code {}", c.text);
                } else {
                    let _ = write!(self.out, " code {}", quote(&c.text));
                }
            }
            self.out.push('\n');
            self.trailing_lines(&v.meta, "    ");
        }
        self.comments_before(d.span.end, "  ");
        self.out.push_str("}\n");
    }

    fn entity(&mut self, d: &EntityDecl) {
        let head = match &d.meta.label {
            Some(l) => format!("entity {} {}", d.name.name, quote(&l.text)),
            None => format!("entity {}", d.name.name),
        };
        let tail = d.dated.as_ref().map_or_else(String::new, |(f, u)| {
            format!(" from {} until {}", f.name, u.name)
        });
        self.block_header_with(head, &d.meta, &tail);
        for f in &d.fields {
            self.comments_before(f.name.span.start, "  ");
            let ty = match &f.ty {
                FieldType::Value(t) => type_expr(t),
                FieldType::Many(e) => format!("many {}", e.name),
            };
            let _ = write!(self.out, "  {}: {}", f.name.name, ty);
            self.label(&f.meta);
            if let Some(en) = &f.meta.en {
                let _ = write!(self.out, " en {}", quote(&en.text));
            }
            if let Some(v) = &f.default {
                let _ = write!(self.out, " default {}", literal(&v.kind));
            }
            if f.key {
                self.out.push_str(" key");
            }
            if f.fixed {
                self.out.push_str(" fixed");
            }
            if let Some(n) = &f.at_least {
                let _ = write!(self.out, " at least {}", literal(&n.kind));
            }
            self.out.push('\n');
            self.trailing_lines(&f.meta, "    ");
        }
        self.comments_before(d.span.end, "  ");
        self.out.push_str("}\n");
    }

    fn parameter(&mut self, d: &ParameterDecl) {
        let mut head = format!("parameter {}", d.name.name);
        if let Some(l) = &d.meta.label {
            let _ = write!(head, " {}", quote(&l.text));
        }
        let _ = write!(head, ": {}", type_expr(&d.ty));
        if let Some(b) = &d.by {
            let _ = write!(head, " by {}", b.name);
        }
        self.block_header(head, &d.meta);
        for v in &d.values {
            let start = v.key.as_ref().map_or(v.value.span.start, |k| k.span.start);
            self.comments_before(start, "  ");
            self.out.push_str("  ");
            if let Some(k) = &v.key {
                let _ = write!(self.out, "{}: ", k.name);
            }
            let _ = writeln!(self.out, "{} from {}", literal(&v.value.kind), v.from.text);
            self.meta_lines(&v.meta, "    ");
        }
        self.comments_before(d.span.end, "  ");
        self.out.push_str("}\n");
    }

    fn calendar(&mut self, d: &CalendarDecl) {
        let mut head = format!("calendar {}", d.name.name);
        if let Some(l) = &d.meta.label {
            let _ = write!(head, " {}", quote(&l.text));
        }
        let _ = write!(head, " from {} until {}", d.from.text, d.until.text);
        self.block_header(head, &d.meta);
        for e in &d.entries {
            self.comments_before(e.span.start, "  ");
            let kind = if e.working { "working" } else { "holiday" };
            let _ = write!(self.out, "  {kind} {}", e.first.text);
            if let Some(last) = &e.last {
                let _ = write!(self.out, " .. {}", last.text);
            }
            self.label(&e.meta);
            if let Some(en) = &e.meta.en {
                let _ = write!(self.out, " en {}", quote(&en.text));
            }
            self.out.push('\n');
            self.trailing_lines(&e.meta, "    ");
        }
        self.comments_before(d.span.end, "  ");
        self.out.push_str("}\n");
    }

    fn scale(&mut self, d: &ScaleDecl) {
        let _ = write!(self.out, "scale {}", d.name.name);
        self.label(&d.meta);
        let kind = match d.kind {
            ScaleKind::Single => "single",
            ScaleKind::Marginal => "marginal",
        };
        let _ = writeln!(
            self.out,
            ": {kind} over {} -> {}",
            type_expr(&d.input),
            type_expr(&d.output)
        );
        self.meta_lines(&d.meta, "  ");
        self.out.push_str("{\n");
        for v in &d.versions {
            self.comments_before(v.from.span.start, "  ");
            let _ = writeln!(self.out, "  from {}", v.from.text);
            self.meta_lines(&v.meta, "    ");
            self.out.push_str("  {\n");
            for b in &v.brackets {
                self.comments_before(b.threshold.span.start, "    ");
                let _ = write!(
                    self.out,
                    "    {}: {}",
                    literal(&b.threshold.kind),
                    literal(&b.value.kind)
                );
                self.meta_inline(&b.meta);
                self.out.push('\n');
            }
            self.out.push_str("  }\n");
        }
        self.comments_before(d.span.end, "  ");
        self.out.push_str("}\n");
    }

    fn def(&mut self, d: &DefDecl) {
        let kw = match d.kind {
            DefKind::Let => "let",
            DefKind::Rule => "rule",
            DefKind::Amount => "amount",
            DefKind::Fund => "fund",
        };
        let _ = write!(self.out, "{kw} {}", d.name.name);
        self.label(&d.meta);
        if let Some(t) = &d.ty {
            let _ = write!(self.out, ": {}", type_expr(t));
        }
        if let Some(e) = &d.entity {
            let _ = write!(self.out, " for {}", e.name);
        }
        self.out.push('\n');
        self.meta_lines(&d.meta, "  ");
        if let Some(r) = &d.rounding {
            let _ = writeln!(self.out, "  rounding {}", r.name);
        }
        if let Some(f) = &d.from {
            let _ = writeln!(self.out, "  from {}", f.text);
        }
        if let Some(u) = &d.until {
            let _ = writeln!(self.out, "  until {}", u.text);
        }
        self.comments_before(d.body.span.start, "  ");
        self.body("  = ", &d.body);
        for l in &d.limits {
            self.comments_before(l.span.start, "  ");
            let principle = if l.principle { "in principle " } else { "" };
            let bound = if l.at_most { "most" } else { "least" };
            let _ = write!(self.out, "  {principle}at {bound} {}", expr(&l.value));
            self.label(&l.meta);
            self.out.push('\n');
            self.meta_lines(&l.meta, "    ");
        }
    }

    fn target(&mut self, d: &TargetDecl) {
        let _ = write!(self.out, "target {}", d.name.name);
        self.label(&d.meta);
        if let Some(e) = &d.entity {
            let _ = write!(self.out, " for {}", e.name);
        }
        self.out.push('\n');
        self.meta_lines(&d.meta, "  ");
        self.comments_before(d.body.span.start, "  ");
        let _ = write!(self.out, "  = {}", expr(&d.body));
        if let Some(c) = &d.cost {
            let _ = write!(self.out, " cost {}", expr(c));
        }
        self.out.push_str(" {\n");
        for m in &d.milestones {
            self.comments_before(m.span.start, "  ");
            let _ = writeln!(self.out, "  {} by {}", literal(&m.value.kind), m.by.text);
            self.meta_lines(&m.meta, "    ");
        }
        self.comments_before(d.span.end, "  ");
        self.out.push_str("}\n");
    }

    /// A definition body: one line, or broken at its top-level `and`/`or` when long.
    fn body(&mut self, lead: &str, e: &Expr) {
        let one_line = expr(e);
        if lead.len() + one_line.chars().count() <= LINE_WIDTH {
            let _ = writeln!(self.out, "{lead}{one_line}");
            return;
        }
        if let ExprKind::Binary {
            op: op @ (BinOp::And | BinOp::Or),
            ..
        } = &e.kind
        {
            let mut operands = Vec::new();
            flatten(e, *op, &mut operands);
            let _ = writeln!(
                self.out,
                "{lead}{}",
                expr(operands.first().copied().unwrap_or(e))
            );
            for o in operands.iter().skip(1) {
                let _ = writeln!(self.out, "    {} {}", op.as_str(), expr(o));
            }
        } else if let ExprKind::Binary {
            op: BinOp::Add | BinOp::Sub,
            ..
        } = &e.kind
        {
            // A long sum: one term per line, each with its sign.
            let mut terms: Vec<(Option<BinOp>, &Expr)> = Vec::new();
            let mut at = e;
            while let ExprKind::Binary {
                op: op @ (BinOp::Add | BinOp::Sub),
                lhs,
                rhs,
            } = &at.kind
            {
                terms.push((Some(*op), rhs));
                at = lhs;
            }
            terms.push((None, at));
            terms.reverse();
            for (op, term) in terms {
                match op {
                    None => {
                        let _ = writeln!(self.out, "{lead}{}", expr(term));
                    }
                    Some(op) => {
                        let _ = writeln!(self.out, "    {} {}", op.as_str(), expr(term));
                    }
                }
            }
        } else {
            let _ = writeln!(self.out, "{lead}{one_line}");
        }
    }

    fn exception(&mut self, d: &ExceptionDecl) {
        self.out.push_str("exception ");
        if let Some(n) = &d.name {
            let _ = write!(self.out, "{} ", n.name);
        }
        let _ = write!(self.out, "to {}", d.target.name);
        self.label(&d.meta);
        self.out.push('\n');
        self.meta_lines(&d.meta, "  ");
        for b in &d.before {
            let _ = writeln!(self.out, "  before {}", b.name);
        }
        let _ = writeln!(self.out, "  when {}", expr(&d.condition));
        self.body("  = ", &d.value);
    }

    fn test(&mut self, d: &TestDecl) {
        let _ = writeln!(self.out, "test {} at {} {{", quote(&d.name.text), d.at.text);
        for input in &d.inputs {
            self.comments_before(input.entity.span.start, "  ");
            let _ = write!(self.out, "  {} ", input.entity.name);
            self.record(&input.record, 1);
            self.out.push('\n');
        }
        for e in &d.expects {
            let start = match e {
                Expectation::Value { name, .. } => name.span.start,
                Expectation::Error { code, .. } => code.span.start,
            };
            self.comments_before(start, "  ");
            match e {
                Expectation::Value { name, value } => {
                    let _ = writeln!(
                        self.out,
                        "  expect {} = {}",
                        name.name,
                        literal(&value.kind)
                    );
                }
                Expectation::Error { code, within } => {
                    let _ = write!(self.out, "  expect error {}", code.name);
                    if let Some(w) = within {
                        let _ = write!(self.out, " in {}", w.name);
                    }
                    self.out.push('\n');
                }
            }
        }
        self.comments_before(d.span.end, "  ");
        self.out.push_str("}\n");
    }

    fn record(&mut self, r: &Record, depth: usize) {
        let inline = record_inline(r);
        if inline.chars().count() + depth * 2 <= LINE_WIDTH {
            self.out.push_str(&inline);
            return;
        }
        let indent = "  ".repeat(depth + 1);
        self.out.push_str("{\n");
        for f in &r.fields {
            self.comments_before(f.name.span.start, &indent);
            let _ = write!(self.out, "{indent}{}: ", f.name.name);
            match &f.value {
                RecordValue::Literal(l) => self.out.push_str(&literal(&l.kind)),
                RecordValue::List(items, _) => {
                    self.out.push_str("[\n");
                    for item in items {
                        let _ = write!(self.out, "{indent}  ");
                        self.record(item, depth + 2);
                        self.out.push_str(",\n");
                    }
                    let _ = write!(self.out, "{indent}]");
                }
            }
            self.out.push_str(",\n");
        }
        let _ = write!(self.out, "{}}}", "  ".repeat(depth));
    }
}

fn record_inline(r: &Record) -> String {
    let fields: Vec<String> = r
        .fields
        .iter()
        .map(|f| {
            let v = match &f.value {
                RecordValue::Literal(l) => literal(&l.kind),
                RecordValue::List(items, _) => {
                    let items: Vec<String> = items.iter().map(record_inline).collect();
                    format!("[{}]", items.join(", "))
                }
            };
            format!("{}: {v}", f.name.name)
        })
        .collect();
    if fields.is_empty() {
        "{}".to_string()
    } else {
        format!("{{ {} }}", fields.join(", "))
    }
}

fn flatten<'a>(e: &'a Expr, op: BinOp, out: &mut Vec<&'a Expr>) {
    match &e.kind {
        ExprKind::Binary { op: o, lhs, rhs } if *o == op => {
            flatten(lhs, op, out);
            out.push(rhs);
        }
        _ => out.push(e),
    }
}

/// A string literal with `"`, `\` and line breaks escaped.
pub fn quote(text: &str) -> String {
    let mut s = String::with_capacity(text.len() + 2);
    s.push('"');
    for c in text.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            _ => s.push(c),
        }
    }
    s.push('"');
    s
}

pub(crate) fn type_expr(t: &TypeExpr) -> String {
    match t {
        TypeExpr::Money {
            period: p,
            per_person,
            ..
        } => {
            let mut s = "money".to_string();
            if *per_person {
                s.push_str(" per person");
            }
            if let Some(p) = p {
                s.push_str(" per ");
                s.push_str(period(*p));
            }
            s
        }
        TypeExpr::Named(i) => i.name.clone(),
    }
}

fn period(p: Period) -> &'static str {
    match p {
        Period::Month => "month",
        Period::Year => "year",
    }
}

pub fn literal(l: &LitKind) -> String {
    match l {
        LitKind::Number {
            negative,
            digits,
            unit,
            per,
        } => {
            let mut s = String::new();
            if *negative {
                s.push('-');
            }
            s.push_str(digits);
            match unit {
                Some(Unit::Percent) => s.push('%'),
                Some(u) => {
                    s.push(' ');
                    s.push_str(u.as_str());
                }
                None => {}
            }
            if let Some(p) = per {
                s.push_str(" per ");
                s.push_str(period(*p));
            }
            s
        }
        LitKind::Date(d) => d.clone(),
        LitKind::Bool(b) => b.to_string(),
        LitKind::Text(t) => quote(t),
        LitKind::None => "none".to_string(),
        LitKind::Path(parts) => path(parts),
    }
}

fn path(parts: &[Ident]) -> String {
    parts
        .iter()
        .map(|p| p.name.as_str())
        .collect::<Vec<_>>()
        .join(".")
}

/// An expression on one line, exactly as its tree says.
pub fn expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Literal(l) => literal(l),
        ExprKind::Path(parts) => path(parts),
        ExprKind::Index { base, index } => format!("{}[{}]", expr(base), expr(index)),
        ExprKind::Unary {
            op: UnOp::Not,
            operand,
        } => format!("not {}", expr(operand)),
        ExprKind::Unary {
            op: UnOp::Neg,
            operand,
        } => format!("-{}", expr(operand)),
        ExprKind::Binary { op, lhs, rhs } => {
            format!("{} {} {}", expr(lhs), op.as_str(), expr(rhs))
        }
        ExprKind::If {
            condition,
            then,
            otherwise,
        } => format!(
            "if {} then {} else {}",
            expr(condition),
            expr(then),
            expr(otherwise)
        ),
        ExprKind::Call { function, args } => {
            let args: Vec<String> = args.iter().map(expr).collect();
            format!("{}({})", function.name, args.join(", "))
        }
        ExprKind::Aggregate {
            function,
            relation,
            body,
            filter,
            default,
            ..
        } => {
            let mut s = format!("{}({}", function.as_str(), relation.name);
            if let Some(b) = body {
                let _ = write!(s, ": {}", expr(b));
            }
            if let Some(f) = filter {
                let _ = write!(s, " where {}", expr(f));
            }
            if let Some(d) = default {
                let _ = write!(s, " else {}", expr(d));
            }
            s.push(')');
            s
        }
        ExprKind::History(call) => {
            let mut s = format!("{}({}", call.function.name, call.relation.name);
            if let Some(f) = &call.filter {
                let _ = write!(s, " where {}", expr(f));
            }
            for d in &call.dates {
                let _ = write!(s, ", {}", expr(d));
            }
            s.push(')');
            s
        }
        ExprKind::Paren(inner) => format!("({})", expr(inner)),
        ExprKind::LastYear(base) => format!("{}[last year]", expr(base)),
    }
}

#[path = "print_comply.rs"]
mod comply;
