//! Atomic output: write to a temporary file beside the target, then rename it into
//! place. A reader never sees a half-written file, and a failed or abandoned write
//! leaves the previous file (if any) untouched.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// A file being written; it replaces `target` only on [`AtomicFile::commit`].
/// Dropping it without committing removes the temporary file.
#[derive(Debug)]
pub struct AtomicFile {
    temp: tempfile::NamedTempFile,
    target: PathBuf,
}

impl AtomicFile {
    /// Starts writing `target`: creates a hidden temporary file in its directory.
    ///
    /// # Errors
    /// If the directory does not exist or is not writable.
    pub fn create(target: impl AsRef<Path>) -> io::Result<Self> {
        let target = target.as_ref().to_path_buf();
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target
            .file_name()
            .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
        let temp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            .tempfile_in(dir)?;
        Ok(Self { temp, target })
    }

    /// The final path.
    #[must_use]
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Flushes, syncs and renames the file into place. Keeps the permissions of the
    /// file it replaces; a new file gets the usual `rw-r--r--` on Unix.
    ///
    /// # Errors
    /// If writing, syncing or renaming fails (the temporary file is then removed).
    pub fn commit(mut self) -> io::Result<()> {
        self.temp.flush()?;
        self.temp.as_file().sync_all()?;
        let permissions = match std::fs::metadata(&self.target) {
            Ok(m) => Some(m.permissions()),
            Err(_) => default_permissions(),
        };
        if let Some(p) = permissions {
            self.temp.as_file().set_permissions(p)?;
        }
        self.temp
            .persist(&self.target)
            .map(|_| ())
            .map_err(|e| e.error)
    }
}

#[cfg(unix)]
fn default_permissions() -> Option<std::fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    Some(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn default_permissions() -> Option<std::fs::Permissions> {
    None
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.temp.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.temp.flush()
    }
}

/// Writes `path` atomically: `write` gets a buffered writer; the file replaces `path`
/// only if `write` succeeds.
///
/// # Errors
/// The first error from `write`, or from creating, flushing or renaming the file.
pub fn write_atomic(
    path: impl AsRef<Path>,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let mut file = AtomicFile::create(path)?;
    {
        let mut buffered = BufWriter::new(&mut file);
        write(&mut buffered)?;
        buffered.flush()?;
    }
    file.commit()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn commit_replaces_and_failure_keeps_old() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("result.csv");
        write_atomic(&out, |w| w.write_all("id,benefit\nh1,1338.00\n".as_bytes())).unwrap();
        assert_eq!(
            std::fs::read_to_string(&out).unwrap(),
            "id,benefit\nh1,1338.00\n"
        );

        let err = write_atomic(&out, |w| {
            w.write_all(b"partial")?;
            Err(io::Error::other("boom"))
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "boom");
        assert_eq!(
            std::fs::read_to_string(&out).unwrap(),
            "id,benefit\nh1,1338.00\n"
        );
        assert_eq!(entries(dir.path()), vec!["result.csv"]);
    }

    #[test]
    fn drop_without_commit_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("x.json");
        {
            let mut f = AtomicFile::create(&out).unwrap();
            f.write_all(b"[]").unwrap();
            assert_eq!(f.target(), out.as_path());
            assert_eq!(entries(dir.path()).len(), 1);
        }
        assert!(entries(dir.path()).is_empty());
        let mut f = AtomicFile::create(&out).unwrap();
        f.write_all("[\"低保\"]".as_bytes()).unwrap();
        f.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "[\"低保\"]");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&out).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o644);
        }
    }

    #[test]
    fn missing_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("no/such/dir/out.csv");
        assert_eq!(
            write_atomic(&out, |_| Ok(())).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
    }
}
