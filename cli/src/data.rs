//! Data arguments shared by the commands that read households (`eval`, `why`), and
//! reading them against a policy's schema.

use std::path::{Path, PathBuf};

use bylaw_compiler::ir::Program;
use bylaw_runtime::batch::Batch;
use bylaw_runtime::input::DataFormat;

use crate::{ErrorFormat, Exit, report};

#[derive(Debug, clap::Args)]
pub struct DataArgs {
    /// Households: a CSV file (members in a second CSV), a Parquet file (members in a
    /// second Parquet file) or a JSON file with nested members.
    pub data: PathBuf,
    /// A child file for a relation, as NAME=PATH (e.g. members=members.csv). A file named
    /// after the relation next to the data file is used when none is given.
    #[arg(long = "relation", value_name = "NAME=PATH")]
    pub relations: Vec<String>,
    /// Shorthand for `--relation members=PATH`.
    #[arg(long)]
    pub members: Option<PathBuf>,
}

/// The policy that households are evaluated under: compiled, with at least one entity,
/// the scenario's values applied, and the evaluation date. Problems are printed.
pub fn policy_at(
    policy: &Path,
    date: &str,
    scenario: Option<&Path>,
    format: ErrorFormat,
) -> Result<(Program, i32), Exit> {
    let program = policy_with_scenario(
        policy,
        scenario,
        "there are no households to evaluate",
        format,
    )?;
    let date = crate::parse_eval_date(date).map_err(|e| {
        eprintln!("error: --date: {e}");
        Exit::BadInput
    })?;
    Ok((program, date))
}

/// A policy compiled, with at least one entity (else `nothing`: what the command cannot
/// do without one), and a scenario's values applied. Problems are printed.
pub fn policy_with_scenario(
    policy: &Path,
    scenario: Option<&Path>,
    nothing: &str,
    format: ErrorFormat,
) -> Result<Program, Exit> {
    let compiled = bylaw_compiler::compile_file(policy);
    if compiled.has_errors() {
        report::print(&compiled.diagnostics, &compiled.sources, format);
        return Err(Exit::PolicyErrors);
    }
    let Some(mut program) = compiled.program.filter(|p| !p.schema.entities.is_empty()) else {
        eprintln!(
            "error: `{}` declares no entity, so {nothing}\n  help: use a policy that declares an entity (`entity household {{ … }}`, or a yearly table for funds)",
            policy.display()
        );
        return Err(Exit::BadInput);
    };
    if let Some(s) = scenario {
        let (overrides, diags, sources) = bylaw_compiler::scenario::load(&program, s);
        if diags.iter().any(|d| d.is_error()) {
            report::print(&diags, &sources, format);
            return Err(Exit::BadInput);
        }
        bylaw_compiler::scenario::apply(&mut program, &overrides);
    }
    Ok(program)
}

/// The relations' files: given with `--relation` / `--members`, or found next to the
/// data file by relation name, with the data file's extension (`members.csv`,
/// `members.parquet`).
pub fn child_paths(
    program: &Program,
    args: &DataArgs,
    quiet: bool,
) -> Result<Vec<(String, PathBuf)>, Exit> {
    let mut children: Vec<(String, PathBuf)> = Vec::new();
    for r in &args.relations {
        let Some((name, path)) = r.split_once('=') else {
            eprintln!(
                "error: --relation `{r}` is not NAME=PATH\n  help: e.g. --relation members=members.csv"
            );
            return Err(Exit::BadInput);
        };
        children.push((name.to_string(), PathBuf::from(path)));
    }
    if let Some(m) = &args.members {
        children.push(("members".to_string(), m.clone()));
    }
    let extension = match DataFormat::of(&args.data) {
        DataFormat::Parquet => "parquet",
        _ => "csv",
    };
    let dir = args.data.parent().unwrap_or(Path::new(""));
    for e in &program.schema.entities {
        for rel in &e.relations {
            if children.iter().any(|(n, _)| *n == rel.name) {
                continue;
            }
            let guess = dir.join(format!("{}.{extension}", rel.name));
            if guess.exists() && guess != args.data {
                if !quiet {
                    eprintln!(
                        "note: reading `{}` for relation `{}`",
                        guess.display(),
                        rel.name
                    );
                }
                children.push((rel.name.clone(), guess));
            }
        }
    }
    Ok(children)
}

/// Reads the whole data file (and its relations' files) against the policy's schema;
/// data errors are printed and become [`Exit::BadInput`].
pub fn read_data(
    program: &Program,
    args: &DataArgs,
    quiet: bool,
    format: ErrorFormat,
) -> Result<Batch, Exit> {
    let children = child_paths(program, args, quiet)?;
    read_whole(program, &args.data, &children, format)
}

/// Reads a data file and its relations' files whole, by format; data errors are
/// printed and become [`Exit::BadInput`].
pub fn read_whole(
    program: &Program,
    data: &Path,
    children: &[(String, PathBuf)],
    format: ErrorFormat,
) -> Result<Batch, Exit> {
    let schema = &program.schema;
    let result = match DataFormat::of(data) {
        DataFormat::Json => bylaw_runtime::input::read_json(schema, data),
        DataFormat::Parquet => bylaw_runtime::input::read_parquet(schema, data, children),
        DataFormat::Csv => bylaw_runtime::input::read_csv(schema, data, children),
    };
    result.map_err(|errors| {
        report::print_data_errors(&errors, format);
        eprintln!("{} data error(s); no output was written", errors.total());
        Exit::BadInput
    })
}
