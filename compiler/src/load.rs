//! Reading a policy file and the files it `use`s into one [`SourceMap`], each parsed once.

use std::path::{Path, PathBuf};

use bylaw_grammar::ast::{Item, Module};
use bylaw_grammar::{FileId, SourceMap};

use sha2::{Digest, Sha256};

use crate::diagnostics::{Diagnostic, codes};

/// The SHA-256 of a compilation's sources: for every file in the order it was loaded
/// (the policy first, then the files it `use`s), its length in bytes as a little-endian
/// `u64` and then its bytes. The lengths keep two different sets of files from hashing
/// alike when text moves across a file boundary. A compiled library carries this hash,
/// so an embedder can tell which text it was built from.
pub fn source_hash(sources: &SourceMap) -> [u8; 32] {
    let mut hash = Sha256::new();
    for (_, file) in sources.files() {
        hash.update((file.text.len() as u64).to_le_bytes());
        hash.update(file.text.as_bytes());
    }
    hash.finalize().into()
}

/// The parsed files of one compilation, imports before importers.
#[derive(Debug, Default)]
pub struct Loaded {
    pub sources: SourceMap,
    pub modules: Vec<(FileId, Module)>,
    pub root: Option<FileId>,
}

/// Loads `path` and, transitively, every file it uses. Problems are collected, not fatal:
/// a file that fails to parse is skipped and reported.
pub fn load(path: &Path, diagnostics: &mut Vec<Diagnostic>) -> Loaded {
    let mut loaded = Loaded::default();
    let name = path.display().to_string();
    match std::fs::read_to_string(path) {
        Ok(text) => {
            loaded.root = visit(&mut loaded, path, name, text, diagnostics, 0);
        }
        Err(e) => diagnostics.push(
            Diagnostic::error(
                codes::USE_NOT_FOUND,
                format!("cannot read `{name}`: {}", io_reason(&e)),
            )
            .help("check the path; policy files end in `.bylaw`"),
        ),
    }
    loaded
}

/// Loads source text that has no file (tests, editors).
pub(crate) fn load_text(name: &str, text: &str, diagnostics: &mut Vec<Diagnostic>) -> Loaded {
    let mut loaded = Loaded::default();
    loaded.root = visit(
        &mut loaded,
        Path::new(name),
        name.to_string(),
        text.to_string(),
        diagnostics,
        0,
    );
    loaded
}

const MAX_USE_DEPTH: usize = 32;

fn visit(
    loaded: &mut Loaded,
    path: &Path,
    name: String,
    text: String,
    diagnostics: &mut Vec<Diagnostic>,
    depth: usize,
) -> Option<FileId> {
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    if let Some(id) = loaded.sources.find(&canonical) {
        return Some(id);
    }
    let parsed = bylaw_grammar::parse(&text);
    let Some(file) = loaded.sources.add(&canonical, name, text) else {
        diagnostics.push(Diagnostic::error(
            codes::SYNTAX,
            format!("`{}` is too large to compile", path.display()),
        ));
        return None;
    };
    let module = match parsed {
        Ok(m) => m,
        Err(e) => {
            let mut d =
                Diagnostic::error(codes::SYNTAX, e.message.clone()).at(file, e.span, "here");
            if let Some(h) = &e.help {
                d = d.help(h.clone());
            }
            diagnostics.push(d);
            return Some(file);
        }
    };
    let base = canonical
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    for item in &module.items {
        if let Item::Use(u) = item {
            let target: PathBuf = base.join(&u.path.text);
            if depth >= MAX_USE_DEPTH {
                diagnostics.push(
                    Diagnostic::error(codes::USE_NOT_FOUND, "`use` chain is too deep").at(
                        file,
                        u.span,
                        "imported here",
                    ),
                );
                continue;
            }
            match std::fs::read_to_string(&target) {
                Ok(text) => {
                    let shown = shown_name(&loaded.sources, file, &u.path.text);
                    visit(loaded, &target, shown, text, diagnostics, depth + 1);
                }
                Err(e) => {
                    let near = similar_file(&target);
                    let help = match near {
                        Some(n) => format!(
                            "did you mean `{n}`? paths in `use` are relative to the file that contains them"
                        ),
                        None => {
                            "paths in `use` are relative to the file that contains them".to_string()
                        }
                    };
                    diagnostics.push(
                        Diagnostic::error(
                            codes::USE_NOT_FOUND,
                            format!("cannot read `{}`: {}", u.path.text, io_reason(&e)),
                        )
                        .at(file, u.path.span, "imported here")
                        .help(help),
                    );
                }
            }
        }
    }
    loaded.modules.push((file, module));
    Some(file)
}

/// Why a file could not be read, in the same words on every platform.
pub(crate) fn io_reason(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file",
        std::io::ErrorKind::PermissionDenied => "permission denied",
        std::io::ErrorKind::InvalidData => "the file is not UTF-8 text",
        std::io::ErrorKind::IsADirectory => "it is a directory",
        _ => "the file could not be read",
    }
}

/// A `.bylaw` file next to `target` whose name is close to it.
fn similar_file(target: &Path) -> Option<String> {
    let dir = target.parent()?;
    let wanted = target.file_name()?.to_string_lossy().into_owned();
    let names: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".bylaw"))
        .collect();
    crate::diagnostics::suggest(&wanted, names.iter().map(String::as_str)).map(str::to_string)
}

/// The name of an imported file as a user would write it from where they ran the tool.
fn shown_name(sources: &SourceMap, importer: FileId, relative: &str) -> String {
    let importer_name = sources
        .get(importer)
        .map(|f| f.name.clone())
        .unwrap_or_default();
    let dir = Path::new(&importer_name).parent().unwrap_or(Path::new(""));
    normalize(&dir.join(relative))
}

fn normalize(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in path.components() {
        match c {
            std::path::Component::ParentDir if parts.last().is_some_and(|p| p != "..") => {
                parts.pop();
            }
            std::path::Component::CurDir => {}
            other => parts.push(other.as_os_str().to_string_lossy().into_owned()),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(files: &[&str]) -> SourceMap {
        let mut map = SourceMap::new();
        for (i, text) in files.iter().enumerate() {
            let path = PathBuf::from(format!("f{i}.bylaw"));
            let _ = map.add(&path, path.display().to_string(), (*text).to_owned());
        }
        map
    }

    #[test]
    fn source_hash_covers_every_file_and_its_boundaries() {
        let one = source_hash(&sources(&["policy a", "enum r { x }"]));
        assert_eq!(one, source_hash(&sources(&["policy a", "enum r { x }"])));
        assert_ne!(one, source_hash(&sources(&["policy a", "enum r { y }"])));
        assert_ne!(one, source_hash(&sources(&["policy a"])));
        // The same bytes split differently between two files.
        assert_ne!(
            source_hash(&sources(&["ab", "c"])),
            source_hash(&sources(&["a", "bc"]))
        );
        // SHA-256 of the empty input: no files.
        assert_eq!(
            source_hash(&SourceMap::new())[..4],
            [0xe3, 0xb0, 0xc4, 0x42]
        );
    }
}
