//! Small source positions: a [`Span`] is two byte offsets into one file, and a
//! [`SourceMap`] stores each file's text once, addressed by [`FileId`].

use std::path::{Path, PathBuf};

/// Byte offsets `start..end` into one source file.
///
/// Spans never take part in equality: two syntax trees are equal when they say the same
/// thing, wherever it was written. This is what makes `parse(fmt(x)) == x` checkable.
#[derive(Debug, Clone, Copy, Default)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl PartialEq for Span {
    fn eq(&self, _other: &Span) -> bool {
        true
    }
}

impl Eq for Span {}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        // INVARIANT: source files are refused past 4 GiB when they are added to a map.
        Span {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }

    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    pub fn len(self) -> usize {
        self.end.saturating_sub(self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.len() == 0
    }
}

/// A file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(pub u32);

/// One loaded source file.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    /// The name shown in diagnostics (the path as the user gave it).
    pub name: String,
    pub text: String,
    /// Byte offset of each line's start, built on first use: diagnostics look lines up by
    /// binary search instead of scanning the file each time (thousands of warnings on a
    /// large file would otherwise take quadratic time).
    pub line_starts: std::sync::OnceLock<Vec<usize>>,
}

impl SourceFile {
    pub fn new(path: PathBuf, name: String, text: String) -> SourceFile {
        SourceFile {
            path,
            name,
            text,
            line_starts: std::sync::OnceLock::new(),
        }
    }

    /// The byte offset where each line starts (the first is 0).
    pub fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(newline_offsets(&self.text).map(|i| i + 1))
                .collect()
        })
    }

    /// The 0-based line holding byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        self.line_starts()
            .partition_point(|&start| start <= offset)
            .saturating_sub(1)
    }

    /// The byte range of 0-based line `line`, without its line break.
    pub fn line_range(&self, line: usize) -> std::ops::Range<usize> {
        let starts = self.line_starts();
        let start = starts.get(line).copied().unwrap_or(self.text.len());
        let end = starts
            .get(line + 1)
            .map_or(self.text.len(), |next| next.saturating_sub(1));
        let end = if self.text.as_bytes().get(end.saturating_sub(1)) == Some(&b'\r') && end > start
        {
            end - 1
        } else {
            end
        };
        start..end.max(start)
    }

    /// 1-based line and character column of a byte offset.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        let offset = (offset as usize).min(self.text.len());
        let line = self.line_of(offset);
        let line_start = self.line_starts().get(line).copied().unwrap_or(0);
        let col = self
            .text
            .get(line_start..offset)
            .map_or(0, |s| s.chars().count())
            + 1;
        (line + 1, col)
    }
}

fn newline_offsets(text: &str) -> impl Iterator<Item = usize> + '_ {
    text.bytes()
        .enumerate()
        .filter(|&(_, b)| b == b'\n')
        .map(|(i, _)| i)
}

/// All source files of one compilation, each stored once.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    /// Adds a file; files larger than 4 GiB cannot be addressed by a [`Span`].
    pub fn add(&mut self, path: &Path, name: String, text: String) -> Option<FileId> {
        if u32::try_from(text.len()).is_err() {
            return None;
        }
        let id = FileId(u32::try_from(self.files.len()).ok()?);
        self.files
            .push(SourceFile::new(path.to_path_buf(), name, text));
        Some(id)
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.files
            .iter()
            .position(|f| f.path == path)
            .and_then(|i| u32::try_from(i).ok())
            .map(FileId)
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(u32::try_from(i).unwrap_or(u32::MAX)), f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_stay_small() {
        assert_eq!(std::mem::size_of::<Span>(), 8);
        assert_eq!(std::mem::size_of::<FileId>(), 4);
    }

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let file = SourceFile::new(
            PathBuf::from("a.bylaw"),
            "a.bylaw".into(),
            "rule 甲 =\n  收入 < 5".into(),
        );
        let offset = file.text.find('<').map(|o| o as u32).unwrap_or(0);
        assert_eq!(file.line_col(offset), (2, 6));
        assert_eq!(file.line_col(0), (1, 1));
        assert_eq!(file.line_col(file.text.len() as u32), (2, 9));
        assert_eq!(file.line_range(0), 0.."rule 甲 =".len());
    }
}
