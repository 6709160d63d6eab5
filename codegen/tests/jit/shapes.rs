//! Deep and wide generated programs through every phase: long operator chains, deep
//! `not`, `if` and bracket nesting, chains of definitions, hundreds of definitions, long
//! parameter histories, huge literals, very long and Chinese names and labels. Each
//! program carries the value every definition must have and how deep each nests, counted
//! as the parser (brackets included, a reference one level) and the checker (definitions
//! written in place, brackets gone) count. At or under [`MAX_DEPTH`] every phase accepts
//! it — format round trip, check, its test block in the interpreter, the JIT alike,
//! explanation, trace and what-if; over it, the checker refuses it at a location, naming
//! the bound. A name typo after a very long label is reported at its true column. Never a
//! panic, on an 8 MiB stack (a process's main thread).

use bylaw_compiler::diagnostics::render_human;
use bylaw_compiler::explain::{Format, Lang, decision, doc, policy, trace, whatif};
use bylaw_compiler::interp::Evaluator;
use bylaw_compiler::types::Ty;
use bylaw_grammar::MAX_DEPTH;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use super::differential::assert_same;

/// Money as the runtime stores it: ten-thousandths of a yuan, in an `i64`.
const UNITS_PER_FEN: i128 = 100;

/// Where a leaf's value comes from; its type is the position's.
#[derive(Clone, Debug)]
enum Leaf {
    /// The household's money field `x`, or bool field `b`.
    Field,
    /// A money literal in fen (`true` when odd, in a bool position).
    Literal(i128),
    /// An earlier definition of the same type (the `k`-th from the end), else the field.
    Ref(usize),
    /// The money parameter with a long history (a field in a bool position).
    Param,
}

/// A generated expression, untyped: the position it is built for gives each node its
/// meaning (money or bool).
#[derive(Clone, Debug)]
enum Tree {
    Leaf(Leaf),
    /// `not a`, or `-(a)` for money.
    Negate(Box<Tree>),
    /// `a + b` / `a - b`, or `a and b` / `a or b`.
    Binary(bool, Box<Tree>, Box<Tree>),
    /// `a > b` of two money values, or `min(a, b)` / `max(a, b)` for money.
    Compare(bool, Box<Tree>, Box<Tree>),
    If(Box<Tree>, Box<Tree>, Box<Tree>),
    Paren(Box<Tree>),
    /// A flat construct `n` levels deep.
    Spine(Spine, usize),
}

#[derive(Clone, Copy, Debug)]
enum Spine {
    /// `x + 1 元 + x + …`, or `b and b and …`.
    Chain,
    /// `not not … b`; for money, a chain.
    Not,
    /// `if b then 1 元 else if b then 2 元 else … x`.
    IfElse,
    /// `((…(x)…))`.
    Brackets,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Value {
    Money(i128),
    Bool(bool),
}

/// An expression's text with what it must evaluate to and how deep it nests.
#[derive(Clone, Debug)]
struct Built {
    text: String,
    value: Value,
    /// Levels as the parser counts them.
    syntax: usize,
    /// Levels as the checker counts them, definitions written in place.
    nested: usize,
    /// Whether it is more than a name or literal (an operand then needs brackets).
    compound: bool,
    /// Whether a value on the way is beyond an `i64` of storage units.
    overflow: bool,
}

/// A definition already generated, for references.
#[derive(Clone, Debug)]
struct Defined {
    name: String,
    money: bool,
    value: Value,
    nested: usize,
    overflow: bool,
}

/// The household a program's test block evaluates.
#[derive(Clone, Copy, Debug)]
struct Household {
    x_fen: i128,
    b: bool,
}

struct Scope<'a> {
    x: &'a str,
    b: &'a str,
    param: Option<(&'a str, i128)>,
    household: Household,
    defs: &'a [Defined],
}

fn overflows(units: i128) -> bool {
    units > i128::from(i64::MAX) || units < i128::from(i64::MIN)
}

/// `12.05 元`, `-3 元`: a value in fen as Bylaw text.
fn money_text(fen: i128) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let (whole, cents) = (fen.abs() / 100, fen.abs() % 100);
    if cents == 0 {
        format!("{sign}{whole} 元")
    } else {
        format!("{sign}{whole}.{cents:02} 元")
    }
}

fn leaf(text: String, value: Value, nested: usize, overflow: bool) -> Built {
    Built {
        text,
        value,
        syntax: 1,
        nested,
        compound: false,
        overflow,
    }
}

/// An operand: bracketed when compound, which the parser counts as a level.
fn operand(b: Built) -> Built {
    if !b.compound {
        return b;
    }
    Built {
        text: format!("({})", b.text),
        syntax: b.syntax + 1,
        compound: false,
        ..b
    }
}

fn money(value: &Value) -> i128 {
    match value {
        Value::Money(m) => *m,
        Value::Bool(b) => i128::from(*b),
    }
}

fn truth(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::Money(m) => *m != 0,
    }
}

fn build(tree: &Tree, is_money: bool, scope: &Scope<'_>) -> Built {
    match tree {
        Tree::Leaf(l) => build_leaf(l, is_money, scope),
        Tree::Negate(a) => {
            let a = build(a, is_money, scope);
            let overflow = a.overflow;
            if is_money {
                let m = -money(&a.value);
                Built {
                    text: format!("-({})", a.text),
                    value: Value::Money(m),
                    syntax: a.syntax + 2,
                    nested: a.nested + 1,
                    compound: true,
                    overflow: overflow || overflows(m),
                }
            } else {
                let a = operand(a);
                Built {
                    text: format!("not {}", a.text),
                    value: Value::Bool(!truth(&a.value)),
                    syntax: a.syntax + 1,
                    nested: a.nested + 1,
                    compound: true,
                    overflow,
                }
            }
        }
        Tree::Binary(first, a, b) => {
            let (a, b) = (
                operand(build(a, is_money, scope)),
                operand(build(b, is_money, scope)),
            );
            let (op, value, overflow) = if is_money {
                let (x, y) = (money(&a.value), money(&b.value));
                let v = if *first { x + y } else { x - y };
                (
                    if *first { "+" } else { "-" },
                    Value::Money(v),
                    overflows(v),
                )
            } else {
                let (x, y) = (truth(&a.value), truth(&b.value));
                (
                    if *first { "and" } else { "or" },
                    Value::Bool(if *first { x && y } else { x || y }),
                    false,
                )
            };
            Built {
                text: format!("{} {op} {}", a.text, b.text),
                value,
                syntax: a.syntax.max(b.syntax) + 1,
                nested: a.nested.max(b.nested) + 1,
                compound: true,
                overflow: overflow || a.overflow || b.overflow,
            }
        }
        Tree::Compare(first, a, b) => {
            let (a, b) = (build(a, true, scope), build(b, true, scope));
            let (x, y) = (money(&a.value), money(&b.value));
            let overflow = a.overflow || b.overflow;
            if is_money {
                let name = if *first { "min" } else { "max" };
                Built {
                    text: format!("{name}({}, {})", a.text, b.text),
                    value: Value::Money(if *first { x.min(y) } else { x.max(y) }),
                    syntax: a.syntax.max(b.syntax) + 1,
                    nested: a.nested.max(b.nested) + 1,
                    compound: false,
                    overflow,
                }
            } else {
                let (a, b) = (operand(a), operand(b));
                Built {
                    text: format!("{} > {}", a.text, b.text),
                    value: Value::Bool(x > y),
                    syntax: a.syntax.max(b.syntax) + 1,
                    nested: a.nested.max(b.nested) + 1,
                    compound: true,
                    overflow,
                }
            }
        }
        Tree::If(c, a, b) => {
            let c = operand(build(c, false, scope));
            let (a, b) = (
                operand(build(a, is_money, scope)),
                operand(build(b, is_money, scope)),
            );
            let value = if truth(&c.value) { a.value } else { b.value };
            Built {
                text: format!("if {} then {} else {}", c.text, a.text, b.text),
                value,
                syntax: c.syntax.max(a.syntax).max(b.syntax) + 1,
                nested: c.nested.max(a.nested).max(b.nested) + 1,
                compound: true,
                overflow: c.overflow || a.overflow || b.overflow,
            }
        }
        Tree::Paren(a) => {
            let a = build(a, is_money, scope);
            Built {
                text: format!("({})", a.text),
                syntax: a.syntax + 1,
                compound: false,
                ..a
            }
        }
        Tree::Spine(kind, n) => spine(*kind, (*n).max(1), is_money, scope),
    }
}

fn build_leaf(l: &Leaf, is_money: bool, scope: &Scope<'_>) -> Built {
    let h = scope.household;
    let field = || {
        if is_money {
            leaf(
                scope.x.to_string(),
                Value::Money(h.x_fen * UNITS_PER_FEN),
                1,
                false,
            )
        } else {
            leaf(scope.b.to_string(), Value::Bool(h.b), 1, false)
        }
    };
    match l {
        Leaf::Field => field(),
        Leaf::Literal(fen) if is_money => {
            let units = fen * UNITS_PER_FEN;
            leaf(money_text(*fen), Value::Money(units), 1, overflows(units))
        }
        Leaf::Literal(fen) => leaf(
            (fen % 2 == 1).to_string(),
            Value::Bool(fen % 2 == 1),
            1,
            false,
        ),
        Leaf::Ref(k) => {
            let same: Vec<&Defined> = scope.defs.iter().filter(|d| d.money == is_money).collect();
            match same.len().checked_sub(1 + k % same.len().max(1)) {
                Some(i) => {
                    let d = same[i];
                    leaf(d.name.clone(), d.value, d.nested + 1, d.overflow)
                }
                None => field(),
            }
        }
        Leaf::Param => match scope.param {
            Some((name, fen)) if is_money => leaf(
                name.to_string(),
                Value::Money(fen * UNITS_PER_FEN),
                1,
                false,
            ),
            _ => field(),
        },
    }
}

fn spine(kind: Spine, n: usize, is_money: bool, scope: &Scope<'_>) -> Built {
    let h = scope.household;
    let x = h.x_fen * UNITS_PER_FEN;
    let (text, value, syntax, nested) = match (kind, is_money) {
        (Spine::Chain | Spine::Not, true) => {
            // x + 1 元 + x + 1 元 + …: n terms.
            let terms: Vec<&str> = (0..n)
                .map(|i| if i % 2 == 0 { scope.x } else { "1 元" })
                .collect();
            let xs = n.div_ceil(2) as i128;
            let ones = (n / 2) as i128;
            let value = xs * x + ones * 100 * UNITS_PER_FEN;
            (terms.join(" + "), Value::Money(value), n, n)
        }
        (Spine::Chain, false) => (vec![scope.b; n].join(" and "), Value::Bool(h.b), n, n),
        (Spine::Not, false) => (
            format!("{}{}", "not ".repeat(n - 1), scope.b),
            Value::Bool(h.b ^ n.is_multiple_of(2)),
            n,
            n,
        ),
        (Spine::IfElse, _) => {
            let mut text = String::new();
            for i in 1..n {
                let then = if is_money {
                    money_text(i as i128)
                } else {
                    (i % 2 == 0).to_string()
                };
                text.push_str(&format!("if {} then {then} else ", scope.b));
            }
            let last = if is_money { scope.x } else { scope.b };
            text.push_str(last);
            let value = match (n > 1 && h.b, is_money) {
                (true, true) => Value::Money(UNITS_PER_FEN),
                (true, false) => Value::Bool(false),
                (false, true) => Value::Money(x),
                (false, false) => Value::Bool(h.b),
            };
            (text, value, n, n)
        }
        (Spine::Brackets, _) => {
            let (inner, value) = if is_money {
                (scope.x, Value::Money(x))
            } else {
                (scope.b, Value::Bool(h.b))
            };
            (
                format!("{}{inner}{}", "(".repeat(n - 1), ")".repeat(n - 1)),
                value,
                n,
                1,
            )
        }
    };
    Built {
        text,
        value,
        syntax,
        nested,
        compound: n > 1 && !matches!(kind, Spine::Brackets),
        overflow: overflows(money(&value)),
    }
}

/// What a name looks like: short ASCII, Chinese, or very long.
#[derive(Clone, Debug)]
enum Name {
    Ascii(String),
    Chinese(String),
    Long(String, usize),
}

/// Characters for Chinese names: none of them a unit (元 万 月 年 天 个) or a keyword.
const HANZI: &str = "收入家庭成员低保标准补贴救助资金服务站点社会工作人均户籍居住困难儿童老人";

fn name() -> impl Strategy<Value = Name> {
    prop_oneof![
        4 => "[a-z]{1,8}".prop_map(Name::Ascii),
        3 => proptest::collection::vec(proptest::sample::select(HANZI.chars().collect::<Vec<_>>()), 1..8)
            .prop_map(|cs| Name::Chinese(cs.into_iter().collect())),
        1 => ("[a-z]{1,3}|长名", 200usize..4_000).prop_map(|(s, n)| Name::Long(s, n)),
    ]
}

/// A unique identifier: the name, then `_i` (so never a keyword).
fn ident(name: &Name, i: usize) -> String {
    match name {
        Name::Ascii(s) | Name::Chinese(s) => format!("{s}_{i}"),
        Name::Long(s, n) => format!("{}_{i}", s.repeat(*n / s.chars().count().max(1))),
    }
}

/// A literal in fen: small, or with up to 22 digits (beyond an `i64` of storage units).
fn fen() -> impl Strategy<Value = i128> {
    prop_oneof![
        8 => 0i128..100_000,
        1 => (10u32..23).prop_map(|digits| 10i128.pow(digits) - 1),
        1 => Just(i128::from(i64::MAX) / UNITS_PER_FEN),
    ]
}

fn depth() -> impl Strategy<Value = usize> {
    prop_oneof![
        4 => 1usize..12,
        2 => (MAX_DEPTH - 3)..=(MAX_DEPTH + 3),
        1 => 1usize..(3 * MAX_DEPTH),
    ]
}

fn spine_kind() -> impl Strategy<Value = Spine> {
    prop_oneof![
        Just(Spine::Chain),
        Just(Spine::Not),
        Just(Spine::IfElse),
        Just(Spine::Brackets)
    ]
}

fn tree() -> impl Strategy<Value = Tree> {
    let leaf = prop_oneof![
        3 => Just(Leaf::Field),
        2 => fen().prop_map(Leaf::Literal),
        3 => (0usize..8).prop_map(Leaf::Ref),
        1 => Just(Leaf::Param),
    ]
    .prop_map(Tree::Leaf);
    let spine = (spine_kind(), depth()).prop_map(|(k, n)| Tree::Spine(k, n));
    let base = prop_oneof![10 => leaf, 1 => spine];
    base.prop_recursive(6, 48, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|a| Tree::Negate(Box::new(a))),
            (any::<bool>(), inner.clone(), inner.clone()).prop_map(|(f, a, b)| Tree::Binary(
                f,
                Box::new(a),
                Box::new(b)
            )),
            (any::<bool>(), inner.clone(), inner.clone()).prop_map(|(f, a, b)| Tree::Compare(
                f,
                Box::new(a),
                Box::new(b)
            )),
            (inner.clone(), inner.clone(), inner.clone()).prop_map(|(c, a, b)| Tree::If(
                Box::new(c),
                Box::new(a),
                Box::new(b)
            )),
            inner.prop_map(|a| Tree::Paren(Box::new(a))),
        ]
    })
}

/// One generated program's recipe.
#[derive(Clone, Debug)]
struct Recipe {
    household: Household,
    field_names: (Name, Name),
    /// Definitions: money or bool, name, label length in characters (0: none), body.
    defs: Vec<(bool, Name, usize, Tree)>,
    /// A definition that is one flat construct at the bound, one under or one over.
    edge: Option<(bool, Spine, usize)>,
    /// A chain of definitions, each the one before plus `x`.
    chain: usize,
    /// Plain definitions side by side (`x + i 元`).
    wide: usize,
    /// The parameter's history: one value a year from 1900 (`None`: no parameter).
    history: Option<Vec<i128>>,
    /// A last definition naming an unknown name after a label this many characters long.
    typo: Option<usize>,
}

fn label_len() -> impl Strategy<Value = usize> {
    prop_oneof![6 => Just(0usize), 3 => 1usize..40, 1 => 20_000usize..70_000]
}

fn recipe() -> impl Strategy<Value = Recipe> {
    (
        (0i128..10_000_000, any::<bool>()).prop_map(|(x_fen, b)| Household { x_fen, b }),
        (name(), name()),
        proptest::collection::vec((any::<bool>(), name(), label_len(), tree()), 1..8),
        proptest::option::of((
            any::<bool>(),
            spine_kind(),
            (MAX_DEPTH - 1)..=(MAX_DEPTH + 1),
        )),
        prop_oneof![3 => Just(0usize), 1 => 0usize..(MAX_DEPTH / 2 + 3)],
        prop_oneof![3 => Just(0usize), 1 => 0usize..400],
        proptest::option::of(proptest::collection::vec(0i128..1_000_000, 1..300)),
        proptest::option::weighted(0.2, prop_oneof![1usize..50, 60_000usize..70_000]),
    )
        .prop_map(
            |(household, field_names, defs, edge, chain, wide, history, typo)| Recipe {
                household,
                field_names,
                defs,
                edge,
                chain,
                wide,
                history,
                typo,
            },
        )
}

/// A program's text and what it must do.
struct Generated {
    text: String,
    /// Every definition with the value it must have.
    defined: Vec<Defined>,
    /// The deepest nesting as the parser and as the checker count it.
    syntax: usize,
    nested: usize,
    overflow: bool,
    /// The unknown name's line and character column (1-based), when there is a typo.
    typo_at: Option<(usize, usize)>,
}

fn label(len: usize) -> String {
    if len == 0 {
        return String::new();
    }
    let text: String = HANZI.chars().cycle().take(len).collect();
    format!(" \"{text}\"")
}

fn generate(r: &Recipe) -> Generated {
    let x = ident(&r.field_names.0, 0);
    let b = ident(&r.field_names.1, 1);
    let mut text = format!(
        "entity household {{\n  {x}: money default 0 元\n  {b}: bool default false\n}}\n\n"
    );
    // The parameter: the value in force on the test date is the last from 2024 or before.
    let param_name = "p_history".to_string();
    let mut param = None;
    if let Some(history) = &r.history {
        text.push_str(&format!("parameter {param_name}: money {{\n"));
        for (i, fen) in history.iter().enumerate() {
            text.push_str(&format!(
                "  {} from {}-01-01 assumed \"generated\"\n",
                money_text(*fen),
                1900 + i
            ));
        }
        text.push_str("}\n\n");
        let in_force = history.iter().take(2024 - 1900 + 1).next_back().copied();
        param = in_force.map(|fen| (param_name.as_str(), fen));
    }
    let mut defined: Vec<Defined> = Vec::new();
    let (mut syntax, mut nested, mut overflow) = (0, 0, false);
    let mut define = |text: &mut String,
                      defined: &mut Vec<Defined>,
                      is_money: bool,
                      name: String,
                      label_text: &str,
                      body: Built| {
        if is_money {
            text.push_str(&format!(
                "amount {name}{label_text}: money = {}\n",
                body.text
            ));
        } else {
            text.push_str(&format!("rule {name}{label_text} = {}\n", body.text));
        }
        syntax = syntax.max(body.syntax);
        nested = nested.max(body.nested);
        overflow |= body.overflow;
        defined.push(Defined {
            name,
            money: is_money,
            value: body.value,
            nested: body.nested,
            overflow: body.overflow,
        });
    };
    let edge = r.edge.map(|(is_money, kind, n)| {
        (
            is_money,
            Name::Ascii("edge".into()),
            0,
            Tree::Spine(kind, n),
        )
    });
    for (next, (is_money, name, label_len, tree)) in (2..).zip(edge.iter().chain(&r.defs)) {
        let body = build(
            tree,
            *is_money,
            &Scope {
                x: &x,
                b: &b,
                param,
                household: r.household,
                defs: &defined,
            },
        );
        define(
            &mut text,
            &mut defined,
            *is_money,
            ident(name, next),
            &label(*label_len),
            body,
        );
    }
    let x_units = r.household.x_fen * UNITS_PER_FEN;
    for i in 0..r.chain {
        let body = match defined.last() {
            Some(prev) if i > 0 => {
                let v = money(&prev.value) + x_units;
                Built {
                    text: format!("{} + {x}", prev.name),
                    value: Value::Money(v),
                    syntax: 2,
                    nested: prev.nested + 2,
                    compound: true,
                    overflow: prev.overflow || overflows(v),
                }
            }
            _ => leaf(x.clone(), Value::Money(x_units), 1, false),
        };
        define(&mut text, &mut defined, true, format!("链式_{i}"), "", body);
    }
    for i in 0..r.wide {
        let v = x_units + i as i128 * 100 * UNITS_PER_FEN;
        let body = Built {
            text: format!("{x} + {i} 元"),
            value: Value::Money(v),
            syntax: 2,
            nested: 2,
            compound: true,
            overflow: overflows(v),
        };
        define(&mut text, &mut defined, true, format!("并列_{i}"), "", body);
    }
    let mut typo_at = None;
    if let Some(len) = r.typo {
        let line = text.lines().count() + 1;
        let head = format!("amount with_typo{}: money = {x} + ", label(len));
        typo_at = Some((line, head.chars().count() + 1));
        text.push_str(&format!("{head}no_such_name_zz\n"));
    }
    text.push_str(&format!(
        "\ntest \"generated\" at 2024-01-01 {{\n  household {{ {x}: {}, {b}: {} }}\n",
        money_text(r.household.x_fen),
        r.household.b
    ));
    for d in &defined {
        let expected = match d.value {
            Value::Money(units) => money_text(units / UNITS_PER_FEN),
            Value::Bool(v) => v.to_string(),
        };
        text.push_str(&format!("  expect {} = {expected}\n", d.name));
    }
    text.push_str("}\n");
    Generated {
        text,
        defined,
        syntax,
        nested,
        overflow,
        typo_at,
    }
}

fn check_every_phase(r: &Recipe) -> Result<(), TestCaseError> {
    let g = generate(r);
    let text = &g.text;
    let too_deep = g.syntax > MAX_DEPTH || g.nested > MAX_DEPTH;

    // fmt: whatever parses formats back to the same tree, and is a fixed point.
    if let Ok(module) = bylaw_grammar::parse(text) {
        prop_assert!(g.syntax <= MAX_DEPTH, "parsed {} levels", g.syntax);
        let printed = bylaw_grammar::format(&module, text);
        let reparsed = bylaw_grammar::parse(&printed)
            .map_err(|e| TestCaseError::fail(format!("formatted text: {e}")))?;
        prop_assert_eq!(&reparsed, &module);
        prop_assert_eq!(bylaw_grammar::format(&reparsed, &printed), printed);
    }

    let compiled = bylaw_compiler::compile_text("generated.bylaw", text);
    // Every diagnostic prints, however long its line.
    for d in &compiled.diagnostics {
        let shown = render_human(d, &compiled.sources, false, 100);
        prop_assert!(shown.lines().all(|l| l.chars().count() < 400), "{}", shown);
    }
    let errors: Vec<_> = compiled
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .collect();
    for e in &errors {
        prop_assert!(
            e.primary.is_some(),
            "an error without a place: {}",
            e.message
        );
    }
    if too_deep {
        // Refused for its depth; a literal out of range may be refused first.
        prop_assert!(
            errors
                .iter()
                .any(|e| e.message.contains(&MAX_DEPTH.to_string())
                    || (g.overflow && e.message.contains("out of range"))),
            "{} / {} levels accepted: {:?}",
            g.syntax,
            g.nested,
            errors
        );
        return Ok(());
    }
    if let Some((line, column)) = g.typo_at {
        let typo = errors
            .iter()
            .find(|e| e.message.contains("no_such_name_zz"))
            .ok_or_else(|| TestCaseError::fail(format!("no error for the typo: {errors:?}")))?;
        let shown = render_human(typo, &compiled.sources, false, 100);
        let at = format!("generated.bylaw:{line}:{column}");
        prop_assert!(shown.contains(&at), "not at {}: {}", at, shown);
        return Ok(());
    }
    if g.overflow {
        // A literal or a sum beyond an i64 of storage: refused by the checker, or an
        // overflow the backends agree on.
        if let Some(program) = compiled.program.filter(|_| errors.is_empty()) {
            let case = &program.tests[0];
            assert_same(&program, case.date, &case.batch, "overflow");
        }
        return Ok(());
    }
    prop_assert!(errors.is_empty(), "refused: {:?}", errors);
    let program = compiled
        .program
        .ok_or_else(|| TestCaseError::fail("no program"))?;

    // The test block: every definition has the value the generator computed.
    let outcomes = bylaw_compiler::testing::run(&program);
    prop_assert!(outcomes.iter().all(|o| o.passed()), "{:?}", outcomes);
    prop_assert_eq!(program.tests[0].expects.len(), g.defined.len());

    // The JIT agrees with the interpreter.
    let case = &program.tests[0];
    assert_same(&program, case.date, &case.batch, "generated");

    // Explanation, trace and what would change a rule.
    let blocks = policy::explain_policy(&program, case.date, Lang::Zh);
    prop_assert!(!doc::render(&blocks, Format::Markdown, "generated").is_empty());
    let evaluator = Evaluator::new(&program, case.date);
    let traced = trace::trace(&evaluator, &case.batch, 0);
    let what_if = program
        .outputs
        .iter()
        .find(|d| program.def(**d).ty == Ty::Bool)
        .map(|d| whatif::what_would_change(&evaluator, &case.batch, *d))
        .unwrap_or_default();
    let words = decision::render_decision(&traced, &what_if, None, Lang::En);
    prop_assert!(!doc::render(&words, Format::Text, "generated").is_empty());
    Ok(())
}

#[test]
fn deep_and_wide_programs_pass_every_phase_or_are_refused_at_the_bound() {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(48u32);
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(move || {
            let mut runner = TestRunner::new(Config {
                cases: cases.min(96),
                failure_persistence: None,
                ..Config::default()
            });
            if let Err(e) = runner.run(&recipe(), |r| check_every_phase(&r)) {
                panic!("{e}");
            }
        })
        .unwrap()
        .join()
        .unwrap();
}
