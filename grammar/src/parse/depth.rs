//! The one bound on nesting ([`MAX_DEPTH`]), measured twice without recursion: on the text,
//! so that pest's recursive descent stays shallow, and on pest's flat token list, so that
//! no expression tree deeper than the bound is ever built.

use pest::Token;
use pest::iterators::Pair;

use super::{MAX_DEPTH, Rule};

/// Where the text nests deeper than [`MAX_DEPTH`]: brackets, plus the `if`s not yet closed
/// by a bracket, a comma, `=`, `:` or a declaration (an upper bound on pest's recursion, which only
/// brackets and `if` cause). Strings and comments are skipped.
pub(super) fn too_deep_text(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    // One count of open `if`s per open bracket (and one for the top level).
    let mut ifs: Vec<usize> = vec![0];
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                i = memchr_newline(bytes, i);
                continue;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'(' | b'[' | b'{' => {
                ifs.push(0);
                depth += 1;
            }
            b')' | b']' | b'}' if ifs.len() > 1 => {
                depth -= 1 + ifs.pop().unwrap_or(0);
            }
            b',' | b':' => depth -= std::mem::take(ifs.last_mut()?),
            b'=' => {
                let prev = i.checked_sub(1).map(|p| bytes[p]);
                let next = bytes.get(i + 1).copied();
                let operator =
                    matches!(prev, Some(b'=' | b'!' | b'<' | b'>')) || next == Some(b'=');
                if !operator {
                    depth -= std::mem::take(ifs.last_mut()?);
                }
            }
            b if b.is_ascii_alphabetic() && !ident_byte(i.checked_sub(1).map(|p| bytes[p])) => {
                let end = (i..bytes.len())
                    .find(|&e| !ident_byte(Some(bytes[e])))
                    .unwrap_or(bytes.len());
                let word = &bytes[i..end];
                if word == b"if" {
                    *ifs.last_mut()? += 1;
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Some(i);
                    }
                } else if DECLARATIONS.contains(&word) {
                    depth -= std::mem::take(ifs.last_mut()?);
                }
                i = end;
                continue;
            }
            _ => {}
        }
        if depth > MAX_DEPTH {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Reserved words that start a declaration: never inside an expression, so every `if`
/// before one is closed.
const DECLARATIONS: &[&[u8]] = &[
    b"policy",
    b"use",
    b"enum",
    b"entity",
    b"parameter",
    b"scale",
    b"let",
    b"rule",
    b"amount",
    b"exception",
    b"test",
    b"scenario",
    b"set",
    b"check",
    b"fund",
    b"target",
];

fn memchr_newline(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| from + p)
}

/// A byte that may continue a name (non-ASCII bytes included, so `如if` is one word).
fn ident_byte(b: Option<u8>) -> bool {
    b.is_some_and(|b| b == b'_' || b.is_ascii_alphanumeric() || !b.is_ascii())
}

/// An open rule while the token list is read: the depth of its deepest child so far and,
/// for an `expr`, its operator chain (operators, and the operand being read).
struct Open {
    rule: Rule,
    start: usize,
    deepest: usize,
    infix: usize,
    operand_ops: usize,
    operand: usize,
}

/// The first outermost expression nesting deeper than [`MAX_DEPTH`]: its start and its
/// depth. Depth is counted as the Pratt parser will build the tree: each operand under
/// every operator of its chain, under its own prefix and postfix operators.
pub(super) fn too_deep_expr(file: &Pair<'_, Rule>) -> Option<(usize, usize)> {
    let mut stack: Vec<Open> = Vec::new();
    let mut open_exprs = 0usize;
    for token in file.clone().tokens() {
        match token {
            Token::Start { rule, pos } => {
                open_exprs += usize::from(rule == Rule::expr);
                stack.push(Open {
                    rule,
                    start: pos.pos(),
                    deepest: 0,
                    infix: 0,
                    operand_ops: 0,
                    operand: 0,
                });
            }
            Token::End { rule, .. } => {
                let open = stack.pop()?;
                let depth = if rule == Rule::expr {
                    open_exprs -= 1;
                    let levels = open.infix + open.deepest.max(open.operand_ops + open.operand);
                    if levels > MAX_DEPTH && open_exprs == 0 {
                        return Some((open.start, levels));
                    }
                    levels
                } else {
                    open.deepest + weight(rule)
                };
                let Some(parent) = stack.last_mut() else {
                    continue;
                };
                if parent.rule != Rule::expr {
                    parent.deepest = parent.deepest.max(depth);
                    continue;
                }
                match rule {
                    Rule::op_or
                    | Rule::op_and
                    | Rule::op_eq
                    | Rule::op_ne
                    | Rule::op_le
                    | Rule::op_ge
                    | Rule::op_lt
                    | Rule::op_gt
                    | Rule::op_add
                    | Rule::op_sub
                    | Rule::op_mul
                    | Rule::op_div => {
                        parent.deepest = parent.deepest.max(parent.operand_ops + parent.operand);
                        parent.infix += 1;
                        parent.operand_ops = 0;
                        parent.operand = 0;
                    }
                    Rule::op_not | Rule::op_neg | Rule::index => {
                        parent.operand_ops += 1;
                        parent.operand = parent.operand.max(depth);
                    }
                    _ => parent.operand = parent.operand.max(depth),
                }
            }
        }
    }
    None
}

/// The levels a rule adds to the tree over its deepest child: one for each node of the
/// expression tree (brackets, `if`, calls and aggregates, and the leaves).
fn weight(rule: Rule) -> usize {
    match rule {
        Rule::paren
        | Rule::if_expr
        | Rule::call
        | Rule::date
        | Rule::number_literal
        | Rule::bool_literal
        | Rule::string
        | Rule::path => 1,
        _ => 0,
    }
}
