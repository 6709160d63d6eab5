//! Scenario files: `set p[key] = value from DATE` lines that replace parameter values.

use std::path::Path;

use bylaw_grammar::ast::Item;

use crate::check::literal;
use crate::diagnostics::{Diagnostic, codes, suggest};
use crate::ir::{Origin, Override, ParamEntry, Program};

/// Reads a scenario file against `program`. Returns the overrides, or every problem.
pub fn load(
    program: &Program,
    path: &Path,
) -> (Vec<Override>, Vec<Diagnostic>, bylaw_grammar::SourceMap) {
    let mut diags = Vec::new();
    let loaded = crate::load::load(path, &mut diags);
    overrides(program, loaded, diags)
}

/// Reads scenario text that is not in a file (`name` names it in diagnostics).
pub fn load_text(
    program: &Program,
    name: &str,
    text: &str,
) -> (Vec<Override>, Vec<Diagnostic>, bylaw_grammar::SourceMap) {
    let mut diags = Vec::new();
    let loaded = crate::load::load_text(name, text, &mut diags);
    overrides(program, loaded, diags)
}

fn overrides(
    program: &Program,
    loaded: crate::load::Loaded,
    mut diags: Vec<Diagnostic>,
) -> (Vec<Override>, Vec<Diagnostic>, bylaw_grammar::SourceMap) {
    let mut overrides = Vec::new();
    for (file, module) in &loaded.modules {
        if Some(*file) != loaded.root {
            continue;
        }
        for item in &module.items {
            match item {
                Item::Set(s) => {
                    let Some(pi) = program
                        .params
                        .iter()
                        .position(|p| p.name == s.parameter.name)
                    else {
                        let h = suggest(
                            &s.parameter.name,
                            program.params.iter().map(|p| p.name.as_str()),
                        );
                        let mut d = Diagnostic::error(
                            codes::UNKNOWN_NAME,
                            format!("the policy has no parameter `{}`", s.parameter.name),
                        )
                        .at(*file, s.parameter.span, "unknown parameter");
                        if let Some(h) = h {
                            d = d.help(format!("did you mean `{h}`?"));
                        }
                        diags.push(d);
                        continue;
                    };
                    let Some(param) = program.params.get(pi) else {
                        continue;
                    };
                    let key = match (&s.key, param.by) {
                        (None, None) => None,
                        (Some(k), Some(e)) => match program
                            .enums
                            .get(e.index())
                            .map(|d| literal::variant_index(d, &k.name))
                        {
                            Some(Ok(i)) => Some(i),
                            Some(Err(err)) => {
                                let mut d = Diagnostic::error(err.code, err.message)
                                    .at(*file, k.span, "key");
                                if let Some(h) = err.help {
                                    d = d.help(h);
                                }
                                diags.push(d);
                                continue;
                            }
                            None => continue,
                        },
                        (Some(k), None) => {
                            diags.push(
                                Diagnostic::error(
                                    codes::PARAMETER_KEY,
                                    format!("parameter `{}` has no key", param.name),
                                )
                                .at(*file, k.span, "key given"),
                            );
                            continue;
                        }
                        (None, Some(_)) => {
                            diags.push(
                                Diagnostic::error(
                                    codes::PARAMETER_KEY,
                                    format!(
                                        "parameter `{}` is keyed; say which key to set",
                                        param.name
                                    ),
                                )
                                .at(*file, s.parameter.span, "no key")
                                .help(format!("write `set {}[key] = …`", param.name)),
                            );
                            continue;
                        }
                    };
                    let value = match literal::value_of(&s.value.kind, param.ty, &program.enums) {
                        Ok(v) => v,
                        Err(err) => {
                            let mut d = Diagnostic::error(err.code, err.message).at(
                                *file,
                                s.value.span,
                                "value",
                            );
                            if let Some(h) = err.help {
                                d = d.help(h);
                            }
                            diags.push(d);
                            continue;
                        }
                    };
                    let from = match literal::parse_date(&s.from.text) {
                        Ok(d) => d,
                        Err(err) => {
                            diags.push(Diagnostic::error(err.code, err.message).at(
                                *file,
                                s.from.span,
                                "date",
                            ));
                            continue;
                        }
                    };
                    overrides.push(Override {
                        param: crate::ir::ParamId(pi as u32),
                        key,
                        value,
                        from,
                    });
                }
                Item::Scenario(_) | Item::Use(_) => {}
                other => {
                    let span = match other {
                        Item::Def(d) => d.span,
                        Item::Parameter(p) => p.span,
                        _ => bylaw_grammar::Span::default(),
                    };
                    diags.push(
                        Diagnostic::error(codes::PARAMETER_KEY, "a scenario file holds only `scenario` and `set` lines")
                            .at(*file, span, "not allowed here")
                            .help("put rules and parameters in the policy; a scenario only replaces values"),
                    );
                }
            }
        }
    }
    (overrides, diags, loaded.sources)
}

/// Applies overrides: each replaces the key's values from its date on.
pub fn apply(program: &mut Program, overrides: &[Override]) {
    for o in overrides {
        if let Some(p) = program.params.get_mut(o.param.index()) {
            p.entries.retain(|e| !(e.key == o.key && e.from >= o.from));
            p.entries.push(ParamEntry {
                key: o.key,
                value: Some(o.value.clone()),
                from: o.from,
                origin: Origin {
                    file: None,
                    span: Default::default(),
                    meta: Default::default(),
                },
            });
            p.entries.sort_by_key(|e| (e.key, e.from));
        }
    }
}

/// A parameter swept over a range: `--sweep ratio=1%..6% step 0.5%`.
#[derive(Debug, Clone)]
pub struct Sweep {
    pub param: crate::ir::ParamId,
    pub key: Option<u32>,
    /// The values in order, each with how people write it.
    pub values: Vec<(crate::ir::Value, String)>,
}

/// The most values one sweep may take.
pub const MAX_SWEEP_STEPS: usize = 1000;

/// Reads `NAME[KEY]=FROM..TO step STEP` (the step may also come separately).
///
/// # Errors
/// A sentence saying what is wrong and how to write it.
pub fn parse_sweep(program: &Program, spec: &str, step: Option<&str>) -> Result<Sweep, String> {
    let form = "write NAME=FROM..TO step STEP, e.g. `--sweep \"ratio=1%..6% step 0.5%\"`";
    let (target, range) = spec
        .split_once('=')
        .ok_or_else(|| format!("`{spec}` has no `=`; {form}"))?;
    let (range, inline_step) = match range.split_once(" step ") {
        Some((r, s)) => (r, Some(s.trim())),
        None => (range, None),
    };
    let step_text = inline_step
        .or(step)
        .ok_or_else(|| format!("`{spec}` gives no step; {form}"))?;
    let (from, to) = range
        .split_once("..")
        .ok_or_else(|| format!("`{range}` is not FROM..TO; {form}"))?;
    let target = target.trim();
    let (name, key) = match target.split_once('[') {
        Some((n, k)) => (n.trim(), Some(k.trim_end_matches(']').trim())),
        None => (target, None),
    };
    let pi = program
        .params
        .iter()
        .position(|p| p.name == name)
        .ok_or_else(|| {
            let hint = suggest(name, program.params.iter().map(|p| p.name.as_str()))
                .map(|h| format!(" (did you mean `{h}`?)"))
                .unwrap_or_default();
            format!("the policy has no parameter `{name}`{hint}")
        })?;
    let param = program
        .params
        .get(pi)
        .ok_or_else(|| format!("the policy has no parameter `{name}`"))?;
    let key = match (key, param.by) {
        (None, None) => None,
        (Some(k), Some(e)) => {
            let def = program
                .enums
                .get(e.index())
                .ok_or_else(|| format!("`{name}` has no key enumeration"))?;
            Some(literal::variant_index(def, k).map_err(|e| e.message)?)
        }
        (Some(_), None) => return Err(format!("parameter `{name}` has no key; write `{name}=…`")),
        (None, Some(_)) => {
            return Err(format!(
                "parameter `{name}` is keyed; say which key to sweep, e.g. `{name}[hunan]=…`"
            ));
        }
    };
    let read = |text: &str| -> Result<crate::ir::Value, String> {
        let text = text.trim();
        let module = bylaw_grammar::parse(&format!("set x = {text} from 2000-01-01"))
            .map_err(|_| format!("`{text}` is not a value (e.g. `2%`, `1338 元`)"))?;
        let Some(Item::Set(s)) = module.items.first() else {
            return Err(format!("`{text}` is not a value"));
        };
        literal::value_of(&s.value.kind, param.ty, &program.enums).map_err(|e| {
            format!(
                "`{text}`: {}{}",
                e.message,
                e.help.map(|h| format!(" ({h})")).unwrap_or_default()
            )
        })
    };
    let int = |v: &crate::ir::Value, text: &str| match v {
        crate::ir::Value::Int(i) => Ok(*i),
        _ => Err(format!(
            "`{text}` is not a number; only numeric parameters can be swept"
        )),
    };
    let (a, b, s) = (read(from)?, read(to)?, read(step_text)?);
    let (a, b, s) = (int(&a, from)?, int(&b, to)?, int(&s, step_text)?);
    if s <= 0 {
        return Err(format!("the step `{step_text}` must be above zero"));
    }
    if a > b {
        return Err(format!(
            "the range `{range}` runs backwards; write FROM..TO with FROM ≤ TO"
        ));
    }
    let count = (b - a) / s + 1;
    if count > MAX_SWEEP_STEPS as i64 {
        return Err(format!(
            "`{range}` in steps of `{step_text}` is {count} values; at most {MAX_SWEEP_STEPS}"
        ));
    }
    let values = (0..count)
        .map(|i| {
            let v = crate::ir::Value::Int(a + i * s);
            let shown = crate::format::human_in(program, param.ty, param.unit, &v);
            (v, shown)
        })
        .collect();
    Ok(Sweep {
        param: crate::ir::ParamId(pi as u32),
        key,
        values,
    })
}

/// The program with the swept parameter fixed to `value` at every date.
pub fn with_value(program: &Program, sweep: &Sweep, value: &crate::ir::Value) -> Program {
    let mut p = program.clone();
    apply(
        &mut p,
        &[Override {
            param: sweep.param,
            key: sweep.key,
            value: value.clone(),
            from: i32::MIN,
        }],
    );
    p
}
