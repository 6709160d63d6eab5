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
