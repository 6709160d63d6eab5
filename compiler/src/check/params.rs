//! Parameters (dated values, keyed by an enumeration) and scales (dated brackets).

use bylaw_grammar::FileId;
use bylaw_grammar::ast::{self, Item};

use super::*;
use crate::diagnostics::{Diagnostic, codes};
use crate::duration::DurationUnit;
use crate::ir::*;
use crate::types::Ty;

impl<'a> Checker<'a> {
    pub(super) fn collect_params(&mut self, items: &[(FileId, &Item)]) {
        for (file, item) in items {
            let Item::Parameter(p) = item else { continue };
            let file = *file;
            if self.param_index.contains_key(&p.name.name) {
                self.duplicate("parameter", &p.name, file);
                continue;
            }
            let Some(ty) = self.resolve_type(&p.ty, file) else {
                continue;
            };
            let by = match &p.by {
                None => None,
                Some(b) => match self.enum_index.get(&b.name) {
                    Some(e) => Some(*e),
                    None => {
                        let s = crate::diagnostics::suggest(
                            &b.name,
                            self.enum_index.keys().map(String::as_str),
                        );
                        let mut d = Diagnostic::error(
                            codes::UNKNOWN_NAME,
                            format!("unknown enumeration `{}`", b.name),
                        )
                        .at(
                            file,
                            b.span,
                            "a parameter is keyed by an enumeration",
                        );
                        if let Some(s) = s {
                            d = d.help(format!("did you mean `{s}`?"));
                        }
                        self.diags.push(d);
                        continue;
                    }
                },
            };
            let mut entries: Vec<ParamEntry> = Vec::new();
            let mut dated: std::collections::HashSet<(Option<u32>, i32)> =
                std::collections::HashSet::new();
            for v in &p.values {
                let key = match (&v.key, by) {
                    (None, None) => None,
                    (Some(k), Some(e)) => match self
                        .enums
                        .get(e.index())
                        .map(|d| literal::variant_index(d, &k.name))
                    {
                        Some(Ok(i)) => Some(i),
                        Some(Err(err)) => {
                            self.literal_error(err, file, k.span);
                            continue;
                        }
                        None => continue,
                    },
                    (Some(k), None) => {
                        self.diags.push(
                            Diagnostic::error(
                                codes::PARAMETER_KEY,
                                format!(
                                    "parameter `{}` has no key, but this value names `{}`",
                                    p.name.name, k.name
                                ),
                            )
                            .at(file, k.span, "key given")
                            .help("declare the parameter `by` an enumeration to key its values"),
                        );
                        continue;
                    }
                    (None, Some(_)) => {
                        self.diags.push(
                            Diagnostic::error(
                                codes::PARAMETER_KEY,
                                format!(
                                    "parameter `{}` is keyed, but this value names no key",
                                    p.name.name
                                ),
                            )
                            .at(file, v.value.span, "value without a key")
                            .help("write `key: value from DATE`"),
                        );
                        continue;
                    }
                };
                let Some(from) = self.date(&v.from, file) else {
                    continue;
                };
                let value = if v.value.kind == ast::LitKind::None {
                    None
                } else {
                    match literal::value_of(&v.value.kind, ty, &self.enums) {
                        Ok(val) => Some(val),
                        Err(e) => {
                            self.literal_error(e, file, v.value.span);
                            continue;
                        }
                    }
                };
                if !dated.insert((key, from)) {
                    self.error_help(
                        codes::OVERLAPPING_VERSIONS,
                        format!(
                            "parameter `{}` has two values from {} for the same key",
                            p.name.name, v.from.text
                        ),
                        (file, v.from.span, "second value on this date"),
                        "each key has one value per date; a later value replaces an earlier one from its own date",
                    );
                    continue;
                }
                if value.is_some() && !cited(&v.meta) && !cited(&p.meta) {
                    self.diags.push(
                        Diagnostic::warning(
                            codes::UNCITED,
                            format!(
                                "value of `{}` has no source and is not marked as assumed",
                                p.name.name
                            ),
                        )
                        .at(file, v.value.span, "uncited value")
                        .help("add `source DOC \"quoted phrase\"`, or `assumed \"reason\"`"),
                    );
                }
                entries.push(ParamEntry {
                    key,
                    value,
                    from,
                    origin: origin(file, v.value.span, &v.meta),
                });
            }
            entries.sort_by_key(|e| (e.key, e.from));
            let unit = shown_unit(&p.ty, p.values.iter().map(|v| &v.value.kind));
            self.param_index
                .insert(p.name.name.clone(), ParamId(self.params.len() as u32));
            self.params.push(Param {
                name: p.name.name.clone(),
                ty,
                by,
                entries,
                origin: origin(file, p.name.span, &p.meta),
                per_person: per_person(Some(&p.ty)),
                unit: if ty == Ty::Months {
                    unit
                } else {
                    DurationUnit::Months
                },
            });
        }
    }

    pub(super) fn collect_scales(&mut self, items: &[(FileId, &Item)]) {
        for (file, item) in items {
            let Item::Scale(s) = item else { continue };
            let file = *file;
            if self.scale_index.contains_key(&s.name.name)
                || self.param_index.contains_key(&s.name.name)
            {
                self.duplicate("scale", &s.name, file);
                continue;
            }
            let (Some(input), Some(output)) = (
                self.resolve_type(&s.input, file),
                self.resolve_type(&s.output, file),
            ) else {
                continue;
            };
            let marginal = s.kind == ast::ScaleKind::Marginal;
            if !input.is_numeric() {
                self.error(
                    codes::SCALE,
                    format!(
                        "a scale's input must be a number, not `{}`",
                        input.name(&self.enum_names())
                    ),
                    file,
                    s.input.span(),
                    "input type",
                );
                continue;
            }
            if marginal && output != Ty::Rate {
                self.error(
                    codes::SCALE,
                    "the values of a marginal scale must be rates",
                    file,
                    s.output.span(),
                    "output type",
                );
                continue;
            }
            let brackets = || s.versions.iter().flat_map(|v| v.brackets.iter());
            let input_unit = shown_unit(&s.input, brackets().map(|b| &b.threshold.kind));
            let output_unit = shown_unit(&s.output, brackets().map(|b| &b.value.kind));
            let mut versions = Vec::new();
            for v in &s.versions {
                let Some(from) = self.date(&v.from, file) else {
                    continue;
                };
                let mut brackets: Vec<(Value, Value)> = Vec::new();
                for b in &v.brackets {
                    let t = literal::value_of(&b.threshold.kind, input, &self.enums);
                    let o = literal::value_of(&b.value.kind, output, &self.enums);
                    match (t, o) {
                        (Ok(t), Ok(o)) => {
                            if let (Some((Value::Int(prev), _)), Value::Int(now)) =
                                (brackets.last(), &t)
                                && now <= prev
                            {
                                let shown = |v: i64| match input {
                                    Ty::Months => input_unit.text(v, crate::explain::Lang::En),
                                    _ => bylaw_runtime::decimal::format_scaled(v, input.scale(), 0),
                                };
                                self.error_help(
                                    codes::SCALE,
                                    format!(
                                        "thresholds must rise strictly: `{}` follows `{}`",
                                        shown(*now),
                                        shown(*prev)
                                    ),
                                    (file, b.threshold.span, "not above the previous threshold"),
                                    "list the brackets from the lowest threshold up",
                                );
                            }
                            brackets.push((t, o));
                        }
                        (Err(e), _) => self.literal_error(e, file, b.threshold.span),
                        (_, Err(e)) => self.literal_error(e, file, b.value.span),
                    }
                }
                versions.push(ScaleVersion { from, brackets });
            }
            versions.sort_by_key(|v| v.from);
            self.scale_index
                .insert(s.name.name.clone(), ScaleId(self.scales.len() as u32));
            self.scales.push(ScaleDef {
                name: s.name.name.clone(),
                marginal,
                input,
                output,
                versions,
                origin: origin(file, s.name.span, &s.meta),
                input_unit,
                output_unit,
            });
        }
    }
}

/// The unit durations declared `ty` with values `values` are shown in: the coarsest of
/// the declared type's and the values' as written (`80 周岁` in a `months` parameter is
/// shown in 周岁).
fn shown_unit<'l>(
    ty: &ast::TypeExpr,
    values: impl Iterator<Item = &'l ast::LitKind>,
) -> DurationUnit {
    let written = values.filter_map(|v| match v {
        ast::LitKind::Number { unit, .. } => DurationUnit::of_literal(*unit),
        _ => None,
    });
    std::iter::once(super::schema::type_unit(ty))
        .chain(written)
        .reduce(DurationUnit::join)
        .unwrap_or_default()
}
