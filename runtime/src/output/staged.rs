//! Several files written into a directory the user shares with other files (`bylaw
//! build`'s object, header and library; `bylaw synth`'s register and log): each is
//! written complete in a hidden directory beside its target first, and only then are
//! they renamed into place, one after the other. A failure while writing (a full disk,
//! a linker error) leaves every previous file as it was; only a kill within the
//! renames themselves could leave some files new and some old. (A directory of the
//! set's own can be swapped whole: see [`super::OutputSet`].)

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::temporaries::{self, Tracked};

/// Files being staged for directory `dir`.
#[derive(Debug)]
pub struct Staged {
    stage: tempfile::TempDir,
    dir: PathBuf,
    names: Vec<String>,
    _tracked: Tracked,
}

impl Staged {
    /// Starts staging files for `dir` (created if missing).
    ///
    /// # Errors
    /// If `dir` cannot be created or written.
    pub fn new(dir: impl AsRef<Path>) -> io::Result<Staged> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir)?;
        temporaries::remove_stale(&dir, "staged");
        let stage = tempfile::Builder::new()
            .prefix(&temporaries::prefix("staged"))
            .suffix(temporaries::SUFFIX)
            .tempdir_in(&dir)?;
        let tracked = Tracked::new(stage.path());
        Ok(Staged {
            stage,
            dir,
            names: Vec::new(),
            _tracked: tracked,
        })
    }

    /// Where file `name` is staged, for a tool that writes it (a linker); it will be
    /// renamed to `dir/name`.
    pub fn path(&mut self, name: &str) -> PathBuf {
        if !self.names.iter().any(|n| n == name) {
            self.names.push(name.to_string());
        }
        self.stage.path().join(name)
    }

    /// Writes file `name`.
    ///
    /// # Errors
    /// The first error of `write`, or of creating or syncing the file.
    pub fn write(
        &mut self,
        name: &str,
        write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> io::Result<()> {
        let path = self.path(name);
        let mut out = BufWriter::new(std::fs::File::create(path)?);
        write(&mut out)?;
        out.flush()?;
        out.get_ref().sync_all()
    }

    /// Renames every staged file into place (each replacing its target as
    /// [`super::AtomicFile`] would: links followed; directories, devices and read-only
    /// or hard-linked files refused, before anything is renamed). Returns the final
    /// paths, in the order the files were named.
    ///
    /// # Errors
    /// A target that may not be replaced, or a rename that fails.
    pub fn commit(self) -> io::Result<Vec<PathBuf>> {
        let mut moves = Vec::new();
        for name in &self.names {
            let from = self.stage.path().join(name);
            let to = super::resolve_links(&self.dir.join(name))?;
            super::check_replaceable(&to)?;
            moves.push((from, to));
        }
        for (from, to) in &moves {
            let keep = std::fs::metadata(to).ok().map(|m| m.permissions());
            if let Some(p) = keep {
                std::fs::set_permissions(from, p)?;
            }
            std::fs::rename(from, to)?;
        }
        Ok(moves.into_iter().map(|(_, to)| to).collect())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use crate::output::tests::entries;

    #[test]
    fn every_file_is_written_before_any_replaces_its_target() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("notes.txt"), "mine").unwrap();
        std::fs::write(d.join("a.csv"), "old a").unwrap();
        std::fs::write(d.join("b.csv"), "old b").unwrap();
        // The second file fails: neither target changes, nothing is left behind.
        let mut staged = Staged::new(d).unwrap();
        staged.write("a.csv", |w| w.write_all(b"new a")).unwrap();
        let e = staged
            .write("b.csv", |_| Err(io::Error::other("disk full")))
            .unwrap_err();
        assert_eq!(e.to_string(), "disk full");
        drop(staged);
        assert_eq!(std::fs::read_to_string(d.join("a.csv")).unwrap(), "old a");
        assert_eq!(entries(d), vec!["a.csv", "b.csv", "notes.txt"]);
        // Both written: both replaced, the other file kept.
        let mut staged = Staged::new(d).unwrap();
        staged.write("a.csv", |w| w.write_all(b"new a")).unwrap();
        std::fs::write(staged.path("b.csv"), "new b").unwrap();
        let done = staged.commit().unwrap();
        assert_eq!(done.len(), 2);
        assert_eq!(std::fs::read_to_string(d.join("b.csv")).unwrap(), "new b");
        assert_eq!(entries(d), vec!["a.csv", "b.csv", "notes.txt"]);
    }
}
