//! Atomic output: write to a temporary file beside the target, then rename it into
//! place. A reader never sees a half-written file, and a failed or abandoned write
//! leaves the previous file (if any) untouched.
//!
//! What a careful Unix tool does with what is already at the path: a symbolic link is
//! followed and its target replaced (the link stays a link); a directory, a device, a
//! FIFO or a socket is refused, as is a read-only file and a file with other hard links
//! (replacing it would silently break them).
//!
//! Several files written together form an [`OutputSet`] swapped in as a whole
//! directory (`comply`'s reports), or are [`Staged`]: all written before any is renamed
//! into a directory shared with other files (`build`, `synth`). Every temporary file and directory is named after the process that made
//! it and tracked ([`temporaries`]): an interrupted run removes its own, and the next
//! run to write beside them removes those a dead process left.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

mod set;
mod staged;
pub mod temporaries;

pub use set::OutputSet;
pub use staged::Staged;
use temporaries::Tracked;

/// A file being written; it replaces `target` only on [`AtomicFile::commit`].
/// Dropping it without committing removes the temporary file.
#[derive(Debug)]
pub struct AtomicFile {
    temp: tempfile::NamedTempFile,
    target: PathBuf,
    _tracked: Tracked,
}

impl AtomicFile {
    /// Starts writing `target`: creates a hidden temporary file in its directory.
    ///
    /// # Errors
    /// If the directory does not exist or is not writable.
    pub fn create(target: impl AsRef<Path>) -> io::Result<Self> {
        let target = resolve_links(target.as_ref())?;
        check_replaceable(&target)?;
        let (dir, name) = temporaries::beside(&target)?;
        let temp = tempfile::Builder::new()
            .prefix(&temporaries::prefix(&name))
            .suffix(temporaries::SUFFIX)
            .tempfile_in(&dir)
            .map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!(
                        "cannot create a file in `{}`: {}",
                        dir.display(),
                        io::Error::from(e.kind())
                    ),
                )
            })?;
        let tracked = Tracked::new(temp.path());
        Ok(Self {
            temp,
            target,
            _tracked: tracked,
        })
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
            Err(_) => default_permissions(false),
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

/// `path` with every symbolic link on it followed (a dangling link's target too), so
/// that the link is kept and what it points to is replaced.
pub(crate) fn resolve_links(path: &Path) -> io::Result<PathBuf> {
    let mut path = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => {
                let next = std::fs::read_link(&path)?;
                path = match path.parent() {
                    Some(dir) if next.is_relative() => dir.join(next),
                    _ => next,
                };
            }
            _ => return Ok(path),
        }
    }
    Err(io::Error::other(format!(
        "`{}`: too many levels of symbolic links",
        path.display()
    )))
}

/// Refuses to replace what a careful tool must not: anything but a regular file, a
/// read-only file, a file with other hard links.
pub(crate) fn check_replaceable(path: &Path) -> io::Result<()> {
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(()); // nothing there yet
    };
    let refuse = |kind: io::ErrorKind, why: &str| {
        Err(io::Error::new(kind, format!("`{}` {why}", path.display())))
    };
    if meta.is_dir() {
        return refuse(io::ErrorKind::IsADirectory, "is a directory");
    }
    if !meta.is_file() {
        return refuse(
            io::ErrorKind::InvalidInput,
            "is not a regular file (a device, FIFO or socket)",
        );
    }
    if meta.permissions().readonly() {
        return refuse(io::ErrorKind::PermissionDenied, "is read-only");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.nlink() > 1 {
            return refuse(
                io::ErrorKind::InvalidInput,
                &format!(
                    "has {} hard links; replacing it would break them (write to a new file)",
                    meta.nlink()
                ),
            );
        }
    }
    Ok(())
}

/// The usual permissions of a new output: `rw-r--r--` for a file, `rwxr-xr-x` for a
/// directory of outputs.
#[cfg(unix)]
pub(crate) fn default_permissions(directory: bool) -> Option<std::fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    let mode = if directory { 0o755 } else { 0o644 };
    Some(std::fs::Permissions::from_mode(mode))
}

/// Elsewhere, whatever the system gives.
#[cfg(not(unix))]
pub(crate) fn default_permissions(_directory: bool) -> Option<std::fs::Permissions> {
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

    /// The names in `dir`, sorted (for the tests of every output module).
    pub(super) fn entries(dir: &Path) -> Vec<String> {
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

    #[cfg(unix)]
    #[test]
    fn links_are_followed_and_what_must_not_be_replaced_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.csv");
        std::fs::write(&real, "old").unwrap();
        let link = dir.path().join("link.csv");
        std::os::unix::fs::symlink("real.csv", &link).unwrap();
        write_atomic(&link, |w| w.write_all(b"new")).unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
        // A dangling link: its target is created.
        let dangling = dir.path().join("dangling.csv");
        std::os::unix::fs::symlink("made.csv", &dangling).unwrap();
        write_atomic(&dangling, |w| w.write_all(b"x")).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("made.csv")).unwrap(),
            "x"
        );
        // A directory, a device, a read-only file, a file with another hard link.
        assert_eq!(
            AtomicFile::create(dir.path()).unwrap_err().kind(),
            io::ErrorKind::IsADirectory
        );
        let device = AtomicFile::create("/dev/null").unwrap_err();
        assert!(
            device.to_string().contains("not a regular file"),
            "{device}"
        );
        let locked = dir.path().join("locked.csv");
        std::fs::write(&locked, "keep").unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o444)).unwrap();
        assert_eq!(
            AtomicFile::create(&locked).unwrap_err().kind(),
            io::ErrorKind::PermissionDenied
        );
        let linked = dir.path().join("linked.csv");
        std::fs::hard_link(&real, &linked).unwrap();
        let e = AtomicFile::create(&linked).unwrap_err();
        assert!(e.to_string().contains("2 hard links"), "{e}");
        assert_eq!(std::fs::read_to_string(&locked).unwrap(), "keep");
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
    }
}
