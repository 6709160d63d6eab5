//! Where households come from: a data file and the files of its relations (members,
//! …), given or found beside it, read against a policy's schema.

use std::path::{Path, PathBuf};

use bylaw_compiler::ir::Program;
use bylaw_runtime::batch::Batch;
use bylaw_runtime::input::{DataErrors, DataFormat};

/// A data file (CSV, Parquet or JSON with nested members) and its relations' files.
///
/// ```
/// use std::path::Path;
/// let files = bylaw_engine::DataFiles::new("households.csv")
///     .with_relation("members", "people.csv");
/// assert_eq!(files.data(), Path::new("households.csv"));
/// assert_eq!(files.relations()[0].0, "members");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFiles {
    data: PathBuf,
    relations: Vec<(String, PathBuf)>,
}

impl DataFiles {
    /// The data file alone; its format is its extension's (`.parquet`, `.json`, else CSV).
    pub fn new(data: impl Into<PathBuf>) -> DataFiles {
        DataFiles {
            data: data.into(),
            relations: Vec::new(),
        }
    }

    /// Adds the file of relation `name` (a later one for the same name wins).
    #[must_use]
    pub fn with_relation(mut self, name: impl Into<String>, path: impl Into<PathBuf>) -> Self {
        let name = name.into();
        self.relations.retain(|(n, _)| *n != name);
        self.relations.push((name, path.into()));
        self
    }

    /// The data file.
    pub fn data(&self) -> &Path {
        &self.data
    }

    /// The relations' files, by relation name.
    pub fn relations(&self) -> &[(String, PathBuf)] {
        &self.relations
    }

    /// The data file's format.
    pub fn format(&self) -> DataFormat {
        DataFormat::of(&self.data)
    }

    /// Every file the run reads: the data file and the relations' files.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        std::iter::once(self.data.as_path()).chain(self.relations.iter().map(|(_, p)| p.as_path()))
    }

    /// For each relation of `program` with no file yet, a file named after it beside
    /// the data file with the data file's extension (`members.csv`,
    /// `members.parquet`), if one exists. Returns the relations found this way.
    pub fn find_relations(&mut self, program: &Program) -> Vec<(String, PathBuf)> {
        let extension = match self.format() {
            DataFormat::Parquet => "parquet",
            _ => "csv",
        };
        let dir = self.data.parent().unwrap_or(Path::new(""));
        let mut found = Vec::new();
        for rel in program.schema.entities.iter().flat_map(|e| &e.relations) {
            if self.relations.iter().any(|(n, _)| *n == rel.name) {
                continue;
            }
            let guess = dir.join(format!("{}.{extension}", rel.name));
            if guess.exists() && guess != self.data {
                self.relations.push((rel.name.clone(), guess.clone()));
                found.push((rel.name.clone(), guess));
            }
        }
        found
    }

    /// Reads every file whole against `program`'s schema.
    ///
    /// # Errors
    /// Every data problem found, located (file, row, column) with a hint.
    pub fn read(&self, program: &Program) -> Result<Batch, DataErrors> {
        let schema = &program.schema;
        match self.format() {
            DataFormat::Json => bylaw_runtime::input::read_json(schema, &self.data),
            DataFormat::Parquet => {
                bylaw_runtime::input::read_parquet(schema, &self.data, &self.relations)
            }
            DataFormat::Csv => bylaw_runtime::input::read_csv(schema, &self.data, &self.relations),
        }
    }
}

/// Whether `a` and `b` name the same existing file (one inode, through any link), so
/// that writing one would destroy the other.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let a = dir.path().join("a.csv");
/// std::fs::write(&a, "x")?;
/// assert!(bylaw_engine::same_file(&a, &dir.path().join("./a.csv")));
/// assert!(!bylaw_engine::same_file(&a, &dir.path().join("b.csv")));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}
