//! Several output files that belong together (a report's CSV, JSON and HTML files),
//! written into a temporary directory beside the target directory and swapped in as a
//! whole: a reader of the target sees the complete previous set or the complete new
//! one, never a mix, whatever stops the run (a kill, a full disk).
//!
//! The target directory is the set's own: it may be new, empty, or hold files of the
//! set's names only (an earlier set). Anything else in it is refused rather than moved
//! away, since the swap replaces the whole directory.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::default_permissions;
use super::temporaries::{self, Tracked};

/// A set of files being written; they replace the target directory's contents only on
/// [`OutputSet::commit`]. Dropping it without committing removes what was written.
#[derive(Debug)]
pub struct OutputSet {
    temp: PathBuf,
    target: PathBuf,
    names: Vec<String>,
    committed: bool,
    _tracked: Tracked,
}

impl OutputSet {
    /// Starts writing the set into directory `target`, whose files may only be named
    /// among `names`.
    ///
    /// # Errors
    /// If `target` is not a directory, holds anything not named in `names`, is
    /// read-only, or its parent does not exist or is not writable.
    pub fn create(target: impl AsRef<Path>, names: &[&str]) -> io::Result<OutputSet> {
        let target = super::resolve_links(target.as_ref())?;
        let existing = std::fs::metadata(&target).ok();
        if let Some(meta) = &existing {
            check_owned(&target, meta, names)?;
        }
        let (parent, name) = temporaries::beside(&target)?;
        let temp = tempfile::Builder::new()
            .prefix(&temporaries::prefix(&name))
            .suffix(temporaries::SUFFIX)
            .tempdir_in(&parent)
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("cannot create a directory in `{}`: {e}", parent.display()),
                )
            })?
            .keep();
        let tracked = Tracked::new(&temp);
        // The new directory gets the old one's permissions, or the usual `rwxr-xr-x`.
        let permissions =
            existing.map_or_else(|| default_permissions(true), |m| Some(m.permissions()));
        if let Some(p) = permissions {
            std::fs::set_permissions(&temp, p)?;
        }
        Ok(OutputSet {
            temp,
            target,
            names: names.iter().map(|n| (*n).to_string()).collect(),
            committed: false,
            _tracked: tracked,
        })
    }

    /// The target directory.
    #[must_use]
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Writes file `name` (one of the set's names) of the set.
    ///
    /// # Errors
    /// The first error of `write`, or of creating or syncing the file; a name not in
    /// the set.
    pub fn write(
        &self,
        name: &str,
        write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> io::Result<()> {
        if !self.names.iter().any(|n| n == name) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("`{name}` is not a file of this output set"),
            ));
        }
        let file = std::fs::File::create(self.temp.join(name))?;
        let mut buffered = BufWriter::new(file);
        write(&mut buffered)?;
        buffered.flush()?;
        buffered.get_ref().sync_all()
    }

    /// Swaps the new set in for the target directory's contents, in one step where the
    /// file system can exchange two directories (Linux's `renameat2`), else by moving
    /// the old directory aside first (a reader may then briefly find no directory, but
    /// never a mix).
    ///
    /// # Errors
    /// If the swap fails; the target is then as it was.
    pub fn commit(mut self) -> io::Result<()> {
        std::fs::File::open(&self.temp)?.sync_all()?;
        if std::fs::symlink_metadata(&self.target).is_err() {
            std::fs::rename(&self.temp, &self.target)?;
            self.committed = true;
            return Ok(());
        }
        match exchange(&self.temp, &self.target) {
            Ok(()) => {}
            Err(e) if e.raw_os_error().is_some_and(|c| c == libc_einval()) => {
                let aside = self.temp.with_extension("old.tmp");
                std::fs::rename(&self.target, &aside)?;
                if let Err(e) = std::fs::rename(&self.temp, &self.target) {
                    let _ = std::fs::rename(&aside, &self.target);
                    return Err(e);
                }
                std::fs::rename(&aside, &self.temp)?;
            }
            Err(e) => return Err(e),
        }
        // `temp` now holds the previous set.
        self.committed = true;
        std::fs::remove_dir_all(&self.temp)
    }
}

impl Drop for OutputSet {
    fn drop(&mut self) {
        if !self.committed || self.temp.exists() {
            let _ = std::fs::remove_dir_all(&self.temp);
        }
    }
}

/// Refuses a target that is not the set's own directory.
fn check_owned(target: &Path, meta: &std::fs::Metadata, names: &[&str]) -> io::Result<()> {
    if !meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            format!("`{}` is not a directory", target.display()),
        ));
    }
    if meta.permissions().readonly() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("`{}` is read-only", target.display()),
        ));
    }
    let mut foreign = Vec::new();
    for entry in std::fs::read_dir(target)?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if !(is_file && names.contains(&name.as_str())) {
            foreign.push(name);
        }
    }
    if foreign.is_empty() {
        return Ok(());
    }
    foreign.sort();
    let shown: Vec<String> = foreign.iter().take(3).map(|n| format!("`{n}`")).collect();
    let more = match foreign.len() {
        n if n > 3 => format!(" and {} more", n - 3),
        _ => String::new(),
    };
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!(
            "`{}` holds {}{more}, which writing this set would replace",
            target.display(),
            shown.join(", "),
        ),
    ))
}

/// Exchanges two directories in one step.
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(io::Error::from)
}

/// The error a file system that cannot exchange gives.
fn libc_einval() -> i32 {
    rustix::io::Errno::INVAL.raw_os_error()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use crate::output::tests::entries;

    const NAMES: [&str; 2] = ["report.json", "detail.csv"];

    fn write_set(target: &Path, files: &[(&str, &str)]) -> io::Result<()> {
        let set = OutputSet::create(target, &NAMES)?;
        for (name, text) in files {
            set.write(name, |w| w.write_all(text.as_bytes()))?;
        }
        set.commit()
    }

    #[test]
    fn a_new_set_replaces_the_old_one_whole() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("reports");
        write_set(&target, &[("report.json", "1"), ("detail.csv", "a")]).unwrap();
        assert_eq!(entries(&target), vec!["detail.csv", "report.json"]);
        // The second set has no detail: the old one does not linger beside it.
        write_set(&target, &[("report.json", "2")]).unwrap();
        assert_eq!(entries(&target), vec!["report.json"]);
        assert_eq!(
            std::fs::read_to_string(target.join("report.json")).unwrap(),
            "2"
        );
        assert_eq!(entries(dir.path()), vec!["reports"]);
    }

    #[test]
    fn a_failed_or_abandoned_set_leaves_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("reports");
        write_set(&target, &[("report.json", "old")]).unwrap();
        let failed = write_set(&target, &[("detail.csv", "new")]).and_then(|()| {
            let set = OutputSet::create(&target, &NAMES)?;
            set.write("report.json", |w| {
                w.write_all(b"half")?;
                Err(io::Error::other("disk full"))
            })
        });
        assert_eq!(failed.unwrap_err().to_string(), "disk full");
        // The first write succeeded and replaced the set; the second left it alone.
        assert_eq!(entries(&target), vec!["detail.csv"]);
        assert_eq!(entries(dir.path()), vec!["reports"]);
    }

    #[test]
    fn a_directory_holding_other_files_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        std::fs::write(dir.path().join("report.json"), "old").unwrap();
        let e = OutputSet::create(dir.path(), &NAMES).unwrap_err();
        assert!(e.to_string().contains("holds `notes.txt`"), "{e}");
        assert_eq!(entries(dir.path()), vec!["notes.txt", "report.json"]);
        let file = dir.path().join("notes.txt");
        let e = OutputSet::create(&file, &NAMES).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotADirectory);
    }

    #[cfg(unix)]
    #[test]
    fn a_link_to_the_directory_stays_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::create_dir(&real).unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink("real", &link).unwrap();
        write_set(&link, &[("report.json", "x")]).unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(entries(&real), vec!["report.json"]);
    }
}
