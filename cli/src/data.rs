//! Data arguments shared by the commands that read households (`eval`, `why`), and
//! reading them against a policy's schema.

use std::path::{Path, PathBuf};

use bylaw_compiler::ir::Program;
use bylaw_runtime::batch::Batch;

use crate::{ErrorFormat, Exit, report};

#[derive(Debug, clap::Args)]
pub struct DataArgs {
    /// Households: a CSV file (members in a second CSV) or a JSON file with nested members.
    pub data: PathBuf,
    /// A child file for a relation, as NAME=PATH (e.g. members=members.csv). A file named
    /// after the relation next to the data file is used when none is given.
    #[arg(long = "relation", value_name = "NAME=PATH")]
    pub relations: Vec<String>,
    /// Shorthand for `--relation members=PATH`.
    #[arg(long)]
    pub members: Option<PathBuf>,
}

/// Reads the data file (and its relations' files) against the policy's schema; data
/// errors are printed and become [`Exit::BadInput`].
pub fn read_data(
    program: &Program,
    args: &DataArgs,
    quiet: bool,
    format: ErrorFormat,
) -> Result<Batch, Exit> {
    let schema = &program.schema;
    let is_json = args.data.extension().is_some_and(|e| e == "json");
    let result = if is_json {
        bylaw_runtime::input::read_json(schema, &args.data)
    } else {
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
        // A child file named after its relation, next to the data file, is used by default.
        let dir = args.data.parent().unwrap_or(Path::new(""));
        for e in &schema.entities {
            for rel in &e.relations {
                if children.iter().any(|(n, _)| *n == rel.name) {
                    continue;
                }
                let guess = dir.join(format!("{}.csv", rel.name));
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
        bylaw_runtime::input::read_csv(schema, &args.data, &children)
    };
    result.map_err(|errors| {
        report::print_data_errors(&errors, format);
        eprintln!("{} data error(s); no output was written", errors.total());
        Exit::BadInput
    })
}
