//! Data arguments shared by the commands that read households (`eval`, `why`), and
//! reading them against a policy's schema.

use std::path::{Path, PathBuf};

use bylaw_compiler::ir::Program;
use bylaw_engine::{DataFiles, Date, Policy};
use bylaw_runtime::batch::Batch;

use crate::report::print_error;
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

/// The policy that households are evaluated under, as the engine loads it: compiled,
/// with at least one entity, the scenario's values applied; and the evaluation date.
/// Problems are printed.
pub fn load(
    path: &Path,
    date: &str,
    scenario: Option<&Path>,
    format: ErrorFormat,
) -> Result<(Policy, Date), Exit> {
    let policy = crate::fail::load(
        path,
        scenario,
        "there are no households to evaluate",
        format,
    )?;
    let date = Date::parse(date).map_err(|e| {
        print_error("date", &format!("--date: {e}"), Some(e.hint()), format);
        Exit::BadInput
    })?;
    Ok((policy, date))
}

/// As [`load`], for commands that work on the program directly.
pub fn policy_at(
    policy: &Path,
    date: &str,
    scenario: Option<&Path>,
    format: ErrorFormat,
) -> Result<(Program, i32), Exit> {
    load(policy, date, scenario, format).map(|(p, d)| (p.program().clone(), d.days()))
}

/// The data file of `args` and its relations' files: given with `--relation` /
/// `--members`, or found beside the data file (printed unless `quiet`).
pub fn data_files(
    policy: &Policy,
    args: &DataArgs,
    quiet: bool,
    format: ErrorFormat,
) -> Result<DataFiles, Exit> {
    files_for(policy.program(), args, quiet, format)
}

fn files_for(
    program: &Program,
    args: &DataArgs,
    quiet: bool,
    format: ErrorFormat,
) -> Result<DataFiles, Exit> {
    let mut files = DataFiles::new(&args.data);
    for (name, path) in relation_args(args, format)? {
        files = files.with_relation(name, path);
    }
    for (name, path) in files.find_relations(program) {
        if !quiet {
            eprintln!("note: reading `{}` for relation `{name}`", path.display());
        }
    }
    Ok(files)
}

/// The relations' files named on the command line.
fn relation_args(args: &DataArgs, format: ErrorFormat) -> Result<Vec<(String, PathBuf)>, Exit> {
    let mut children = Vec::new();
    for r in &args.relations {
        let Some((name, path)) = r.split_once('=') else {
            print_error(
                "argument",
                &format!("--relation `{r}` is not NAME=PATH"),
                Some("e.g. --relation members=members.csv"),
                format,
            );
            return Err(Exit::BadInput);
        };
        children.push((name.to_string(), PathBuf::from(path)));
    }
    if let Some(m) = &args.members {
        children.push(("members".to_string(), m.clone()));
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
    let files = files_for(program, args, quiet, format)?;
    files.read(program).map_err(|errors| {
        report::print_data_errors(&errors, format);
        Exit::BadInput
    })
}
