//! The temporary files and directories outputs are written into before they replace
//! their targets. Each is named `.<target>.bylaw-<pid>-<random>.tmp`, beside its
//! target, and tracked while it exists, so that
//! - a run stopped by Ctrl-C or SIGTERM removes its own ([`remove_all`], called by the
//!   command line's signal handler), and
//! - a run killed outright (`kill -9`, a power cut) leaves them only until the next run
//!   writes the same target: [`remove_stale`] removes those whose process is gone.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// The end of every temporary name.
pub const SUFFIX: &str = ".tmp";

/// The temporaries of this process that exist now.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn live() -> MutexGuard<'static, Vec<PathBuf>> {
    // A panic while holding the lock leaves the list itself intact.
    LIVE.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The start of a temporary name for target file or directory `name` (a random part
/// and [`SUFFIX`] follow).
pub fn prefix(name: &str) -> String {
    format!(".{name}.bylaw-{}-", std::process::id())
}

/// A temporary path, tracked until dropped.
#[derive(Debug)]
pub(crate) struct Tracked(PathBuf);

impl Tracked {
    pub(crate) fn new(path: &Path) -> Tracked {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        live().push(path.clone());
        Tracked(path)
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        let mut live = live();
        if let Some(i) = live.iter().position(|p| *p == self.0) {
            live.swap_remove(i);
        }
    }
}

/// Removes every temporary file and directory of this process, for a run that is being
/// stopped: outputs not yet committed are abandoned, their targets left as they were.
/// Returns how many were removed.
pub fn remove_all() -> usize {
    let paths: Vec<PathBuf> = live().drain(..).collect();
    paths.iter().filter(|p| remove(p)).count()
}

fn remove(path: &Path) -> bool {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path).is_ok(),
        Ok(_) => std::fs::remove_file(path).is_ok(),
        Err(_) => false,
    }
}

/// Removes the temporaries for target `name` in `dir` left by processes that no longer
/// run (a `kill -9`). Those of running processes, and anything not named as Bylaw names
/// its temporaries, are left alone. Returns how many were removed.
pub fn remove_stale(dir: &Path, name: &str) -> usize {
    let start = format!(".{name}.bylaw-");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(rest) = file
            .to_str()
            .and_then(|f| f.strip_prefix(&start))
            .filter(|f| f.ends_with(SUFFIX))
        else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if pid != std::process::id() && !running(pid) && remove(&entry.path()) {
            removed += 1;
        }
    }
    removed
}

/// Where the temporaries of `target` go — the directory that holds it, which must
/// exist — and the name they are made from; stale temporaries of dead runs for the same
/// target are removed first.
///
/// # Errors
/// `NotFound` naming the directory when it does not exist.
pub(crate) fn beside(target: &Path) -> std::io::Result<(PathBuf, String)> {
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("the directory `{}` does not exist", dir.display()),
        ));
    }
    let name = target
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    remove_stale(&dir, &name);
    Ok((dir, name))
}

/// Whether process `pid` exists. Where that cannot be told (no `/proc`), it is assumed
/// to, so that nothing of a live run is removed.
fn running(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.join("self").exists() || proc.join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    /// A process id no process has (Linux allows at most 2²² of them).
    const GONE: u32 = 4_194_999;

    #[test]
    fn stale_temporaries_of_dead_processes_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let stale_file = d.join(format!(".out.csv.bylaw-{GONE}-abc.tmp"));
        let stale_dir = d.join(format!(".reports.bylaw-{GONE}-1.tmp"));
        let mine = d.join(format!("{}x.tmp", prefix("out.csv")));
        let other_name = d.join(format!(".other.csv.bylaw-{GONE}-abc.tmp"));
        let user = d.join(".out.csv.bylaw-notes.tmp");
        std::fs::write(&stale_file, "half").unwrap();
        std::fs::create_dir(&stale_dir).unwrap();
        std::fs::write(stale_dir.join("report.json"), "{}").unwrap();
        for f in [&mine, &other_name, &user] {
            std::fs::write(f, "keep").unwrap();
        }
        assert_eq!(remove_stale(d, "out.csv"), 1);
        assert_eq!(remove_stale(d, "reports"), 1);
        assert!(!stale_file.exists() && !stale_dir.exists());
        assert!(mine.exists() && other_name.exists() && user.exists());
    }

    /// (`remove_all` itself is not called here: it would take the temporaries of the
    /// other tests running in this process.)
    #[test]
    fn temporaries_are_tracked_while_they_exist_and_removed_whole() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.tmp");
        let sub = dir.path().join("b.tmp");
        std::fs::write(&file, "x").unwrap();
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(sub.join("c"), "y").unwrap();
        let tracked = Tracked::new(&sub);
        assert!(live().contains(&sub));
        drop(tracked);
        assert!(!live().contains(&sub));
        assert!(remove(&file) && remove(&sub));
        assert!(!file.exists() && !sub.exists());
        assert!(!remove(&file));
    }
}
