//! Compiled policies for Rust programs: a shared library written by `bylaw build --emit
//! cdylib` opened at run time ([`Library`]), a batch built from borrowed slices whose
//! kinds are checked against the policy's shape ([`Input`]), and evaluation through the
//! same checks as the C entry points ([`Library::check`], [`Checked::eval`]). Safe to
//! call: only opening a library is `unsafe`, as loading any native code is.

use std::marker::PhantomData;
use std::ops::Range;
use std::path::{Path, PathBuf};

use std::ffi::CString;

use super::layout::{ColumnView, FailedRow, OutputColumn};
use super::policy::{
    self, ABI_VERSION, BYLAW_E_BATCH, BYLAW_E_NULL, BYLAW_E_RANGE, COLUMN_WORDS, InputView,
    KIND_BOOL, KIND_DATE, KIND_ENUM, KIND_INT, PolicyDesc, Shape,
};
use crate::batch::{Batch, Column};
use crate::native::layout::Slots;

/// Why a library could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    #[error("cannot load `{path}`: {reason}")]
    Load { path: PathBuf, reason: String },
    #[error("`{path}` holds no policy `{symbol}` (was it built by `bylaw build` for this policy?)")]
    NoPolicy { path: PathBuf, symbol: String },
    #[error(
        "`{path}` was built for ABI version {found}; this runtime takes version {ABI_VERSION}: rebuild it with this `bylaw`"
    )]
    Abi { path: PathBuf, found: u32 },
}

/// Why a batch or a call was refused: one of the C entry points' `BYLAW_E_*` statuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the descriptor is not of this runtime's ABI version")]
    Abi,
    #[error(
        "the batch does not match the policy's input (a column missing, unknown or given twice, a length, offset, boolean or variant key)"
    )]
    Batch,
    #[error("the rows are not within the batch")]
    Range,
    #[error("`{name}` is not a {kind} column of the policy's input")]
    Column { name: String, kind: &'static str },
    #[error("relation slot {slot} is not in the policy's input")]
    Relation { slot: usize },
}

impl Refused {
    fn of_status(status: i32) -> Refused {
        match status {
            BYLAW_E_RANGE => Refused::Range,
            BYLAW_E_BATCH | BYLAW_E_NULL => Refused::Batch,
            _ => Refused::Abi,
        }
    }
}

/// A compiled policy loaded from a shared library.
pub struct Library {
    desc: *const PolicyDesc,
    name: String,
    /// Keeps the code and the descriptor mapped; dropped after `desc`'s last use.
    _lib: libloading::Library,
}

// SAFETY: the descriptor, its tables and the code it points to are immutable once the
// library is loaded; evaluation keeps all mutable state on the caller's side.
unsafe impl Send for Library {}
// SAFETY: as above: nothing reachable from `&Library` is ever written.
unsafe impl Sync for Library {}

impl std::fmt::Debug for Library {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Library").field("name", &self.name).finish()
    }
}

impl Library {
    /// Opens the shared library at `path` and finds the descriptor of policy `name`
    /// (its C name, as in `bylaw_<name>.h`).
    ///
    /// # Safety
    /// Loading a shared library runs its initialisers, and its kernel runs on every
    /// evaluation: `path` must be a library written by `bylaw build` (or linked from
    /// its object) for a policy you trust, as with any native plugin.
    ///
    /// # Errors
    /// If the library cannot be loaded, holds no such policy, or was built for another
    /// ABI version.
    pub unsafe fn open(path: &Path, name: &str) -> Result<Library, LibraryError> {
        // SAFETY: the caller vouches for the library (see above).
        let lib = unsafe { libloading::Library::new(path) }.map_err(|e| LibraryError::Load {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let symbol = format!("bylaw_{name}_policy");
        // SAFETY: `bylaw build` exports `bylaw_<name>_policy` as a `PolicyDesc`; the
        // pointer stays valid while `lib` is loaded, which `Library` guarantees.
        let desc = unsafe { lib.get::<*const PolicyDesc>(symbol.as_bytes()) }
            .map(|s| *s)
            .ok()
            .filter(|p| !p.is_null())
            .ok_or_else(|| LibraryError::NoPolicy {
                path: path.to_path_buf(),
                symbol: symbol.clone(),
            })?;
        // SAFETY: a descriptor from `bylaw build` (the caller's promise), readable.
        let found = unsafe { (*desc).abi };
        if found != ABI_VERSION {
            return Err(LibraryError::Abi {
                path: path.to_path_buf(),
                found,
            });
        }
        Ok(Library {
            desc,
            name: name.to_owned(),
            _lib: lib,
        })
    }

    fn shape(&self) -> Result<Shape<'_>, Refused> {
        // SAFETY: `desc` is a descriptor of this ABI version (checked in `open`) that
        // lives as long as `self`.
        unsafe { Shape::new(&*self.desc) }.map_err(Refused::of_status)
    }

    /// The policy's C name, as given to [`Library::open`].
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The policy's descriptor, for calling the C entry points
    /// ([`policy::bylaw_rt_eval_batch`]) directly, as a C caller does; valid while `self`
    /// lives.
    pub fn descriptor(&self) -> *const PolicyDesc {
        self.desc
    }

    fn desc(&self) -> &PolicyDesc {
        // SAFETY: `desc` is a descriptor of this ABI version (checked in `open`),
        // mapped while `self` lives.
        unsafe { &*self.desc }
    }

    /// The ABI version the library was built for (always this runtime's
    /// [`ABI_VERSION`]: [`Library::open`] refuses any other).
    pub fn abi_version(&self) -> u32 {
        self.desc().abi
    }

    /// The policy's name as written in its `policy` line (empty if it is not UTF-8).
    pub fn policy_name(&self) -> &str {
        let name = self.desc().name;
        if name.is_null() {
            return "";
        }
        // SAFETY: `bylaw build` writes the name NUL-terminated, in the library's
        // read-only data, which lives as long as `self`.
        let name = unsafe { std::ffi::CStr::from_ptr(name.cast()) };
        name.to_str().unwrap_or("")
    }

    /// The evaluation date the policy was compiled for, in days since 1970-01-01
    /// (`bylaw_runtime_core::date::format_date` writes it as `YYYY-MM-DD`).
    pub fn date(&self) -> i32 {
        self.desc().date
    }

    /// The SHA-256 of the policy's source files (the policy, then the files it
    /// `use`s, each preceded by its length), as `bylaw build` computed it.
    pub fn source_hash(&self) -> [u8; 32] {
        self.desc().source_hash
    }

    /// The width in bytes of each output (1 boolean, 4 date or code, 8 number).
    pub fn output_widths(&self) -> Vec<usize> {
        self.shape()
            .map(|s| s.widths.iter().map(|w| *w as usize).collect())
            .unwrap_or_default()
    }

    /// The names of the policy's input columns (`entity.field`), text columns
    /// included (they are not read).
    pub fn column_names(&self) -> Vec<String> {
        self.shape()
            .map(|s| {
                s.names
                    .iter()
                    .map(|n| String::from_utf8_lossy(n).into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// An empty input for a batch with `entity_rows[e]` rows of entity `e`: every
    /// column and relation slot still to be given.
    pub fn input<'a>(&'a self, entity_rows: &[u64]) -> Input<'a> {
        let relations = self.shape().map(|s| s.relations.len() / 2).unwrap_or(0);
        Input {
            library: self,
            entity_rows: entity_rows.to_vec(),
            names: Vec::new(),
            columns: Vec::new(),
            offsets: vec![EMPTY; relations],
            owned_numbers: Vec::new(),
            owned_keys: Vec::new(),
            _borrow: PhantomData,
        }
    }

    /// An input viewing `batch`, slots numbered by `slots` (the policy's schema):
    /// enumeration values turned into their keys and durations declared in years into
    /// years, as a caller passes them. Text columns are left out: compiled libraries
    /// do not read them.
    ///
    /// # Errors
    /// [`Refused::Column`] if a column's kind differs from the policy's,
    /// [`Refused::Batch`] if a duration in years is not a whole number of years.
    pub fn input_of<'a>(&'a self, batch: &'a Batch, slots: &Slots) -> Result<Input<'a>, Refused> {
        let shape = self.shape()?;
        let rows: Vec<u64> = batch.entities.iter().map(|e| e.len as u64).collect();
        let mut input = self.input(&rows);
        for (e, entity) in batch.entities.iter().enumerate() {
            for (f, column) in entity.columns.iter().enumerate() {
                let slot = slots.column(e, f);
                let name = shape
                    .names
                    .get(slot)
                    .map(|n| String::from_utf8_lossy(n).into_owned())
                    .unwrap_or_default();
                let unit = shape
                    .columns
                    .get(slot * COLUMN_WORDS + 3)
                    .copied()
                    .unwrap_or(1);
                match column {
                    Column::Int(v) if unit > 1 => {
                        let unit = i64::from(unit);
                        let declared: Vec<i64> = v
                            .iter()
                            .map(|x| (x % unit == 0).then_some(x / unit))
                            .collect::<Option<_>>()
                            .ok_or(Refused::Batch)?;
                        input.owned_int(&name, declared)?
                    }
                    Column::Int(v) => input.int(&name, v)?,
                    Column::Bool(v) => input.bool(&name, v)?,
                    Column::Date(v) => input.date(&name, v)?,
                    Column::Enum(v) => {
                        let keys = shape.keys.get(slot).copied().unwrap_or_default();
                        let mapped: Vec<u32> = v
                            .iter()
                            .map(|i| keys.get(*i as usize).copied())
                            .collect::<Option<_>>()
                            .ok_or(Refused::Batch)?;
                        input.owned_keys(&name, mapped)?
                    }
                    Column::Text(_) => &mut input,
                };
            }
            for (r, o) in entity.children.iter().enumerate() {
                input.offsets(slots.relation(e, r), &o.0)?;
            }
        }
        Ok(input)
    }

    /// Binds `input` to the policy's columns by name and checks it once (lengths,
    /// keys, CSR offsets, booleans), for any number of evaluations.
    ///
    /// # Errors
    /// [`Refused::Batch`] if the input does not match the policy's shape: a column
    /// missing, unknown or given twice, a length, key, boolean or offset wrong.
    pub fn check<'a>(&'a self, input: Input<'a>) -> Result<Checked<'a>, Refused> {
        let shape = self.shape()?;
        // SAFETY: every view was set from a slice of the element type its column's kind
        // has in this shape (`Input`'s setters check the kind) with a NUL-terminated
        // name, borrowed for `'a` or owned by `input`.
        let bound = unsafe { shape.bind(&input.entity_rows, &input.columns, &input.offsets) }
            .map_err(Refused::of_status)?;
        Ok(Checked {
            shape,
            bound,
            _input: input,
        })
    }
}

const EMPTY: ColumnView = ColumnView {
    data: std::ptr::null(),
    len: 0,
};

/// A batch as slices borrowed for `'a`: rows per entity, its columns each by name
/// (`entity.field`, in any order) and CSR offsets per relation slot, numbered as in
/// the policy's header.
pub struct Input<'a> {
    library: &'a Library,
    entity_rows: Vec<u64>,
    /// The columns' names, NUL-terminated, that `columns` point to.
    names: Vec<CString>,
    columns: Vec<InputView>,
    offsets: Vec<ColumnView>,
    /// Columns converted for the caller's form, that `columns` point into.
    owned_numbers: Vec<Vec<i64>>,
    owned_keys: Vec<Vec<u32>>,
    _borrow: PhantomData<&'a [u8]>,
}

impl<'a> Input<'a> {
    /// Adds column `name` with `len` elements at `data`, checking its kind.
    fn add(
        &mut self,
        name: &str,
        kind: u32,
        what: &'static str,
        data: *const u8,
        len: usize,
    ) -> Result<&mut Self, Refused> {
        let shape = self.library.shape()?;
        let found = shape
            .slot(name.as_bytes())
            .and_then(|slot| shape.columns.get(slot * COLUMN_WORDS + 1).copied());
        let refused = || Refused::Column {
            name: name.to_owned(),
            kind: what,
        };
        if found != Some(kind) {
            return Err(refused());
        }
        let name = CString::new(name).map_err(|_| refused())?;
        self.columns.push(InputView {
            name: name.as_ptr().cast(),
            data,
            len: len as u64,
        });
        self.names.push(name);
        Ok(self)
    }

    /// Column `name`: numbers in the column's declared unit (money and rates scaled by
    /// 10⁴ and 10⁶, counts, days, months, years).
    ///
    /// # Errors
    /// [`Refused::Column`] if the policy has no number column of that name.
    pub fn int(&mut self, name: &str, values: &'a [i64]) -> Result<&mut Self, Refused> {
        self.add(
            name,
            KIND_INT,
            "number",
            values.as_ptr().cast(),
            values.len(),
        )
    }

    fn owned_int(&mut self, name: &str, values: Vec<i64>) -> Result<&mut Self, Refused> {
        let (data, len) = (values.as_ptr().cast(), values.len());
        self.owned_numbers.push(values);
        self.add(name, KIND_INT, "number", data, len)
    }

    /// Column `name`: booleans, 0 or 1.
    ///
    /// # Errors
    /// [`Refused::Column`] if the policy has no boolean column of that name.
    pub fn bool(&mut self, name: &str, values: &'a [u8]) -> Result<&mut Self, Refused> {
        self.add(name, KIND_BOOL, "boolean", values.as_ptr(), values.len())
    }

    /// Column `name`: dates as day numbers (days since 1970-01-01).
    ///
    /// # Errors
    /// [`Refused::Column`] if the policy has no date column of that name.
    pub fn date(&mut self, name: &str, values: &'a [i32]) -> Result<&mut Self, Refused> {
        self.add(
            name,
            KIND_DATE,
            "date",
            values.as_ptr().cast(),
            values.len(),
        )
    }

    /// Column `name`: enumeration variants by their stable keys (a region's GB/T 2260
    /// code, else the hash of the variant's name; see the policy's header).
    ///
    /// # Errors
    /// [`Refused::Column`] if the policy has no enumeration column of that name.
    pub fn keys(&mut self, name: &str, values: &'a [u32]) -> Result<&mut Self, Refused> {
        self.add(
            name,
            KIND_ENUM,
            "enumeration",
            values.as_ptr().cast(),
            values.len(),
        )
    }

    fn owned_keys(&mut self, name: &str, values: Vec<u32>) -> Result<&mut Self, Refused> {
        let (data, len) = (values.as_ptr().cast(), values.len());
        self.owned_keys.push(values);
        self.add(name, KIND_ENUM, "enumeration", data, len)
    }

    /// Relation slot `slot`: CSR offsets, one more than the parent's rows.
    ///
    /// # Errors
    /// [`Refused::Relation`] if there is no such relation slot.
    pub fn offsets(&mut self, slot: usize, offsets: &'a [u32]) -> Result<&mut Self, Refused> {
        let view = self
            .offsets
            .get_mut(slot)
            .ok_or(Refused::Relation { slot })?;
        *view = ColumnView {
            data: offsets.as_ptr().cast(),
            len: offsets.len() as u64,
        };
        Ok(self)
    }
}

/// An input checked against a library's policy: evaluate any rows of it, any number
/// of times, from any number of threads.
pub struct Checked<'a> {
    shape: Shape<'a>,
    /// Bound to `shape` and checked; never changed after. Its views point into the
    /// caller's slices and into `_input`'s and its own buffers.
    bound: policy::Checked,
    _input: Input<'a>,
}

// SAFETY: the checked views and the descriptor are only read, by every evaluation; each
// call writes to its own output buffers and kernel context.
unsafe impl Sync for Checked<'_> {}

impl Checked<'_> {
    /// Evaluates root rows `rows`: output `k` of row `rows.start + i` into element `i`
    /// of `outputs[k]` (resized, and replaced if of the wrong width), the row's error
    /// code into `errors[i]` (0: none), and one record per failed row into `failures`.
    ///
    /// # Errors
    /// [`Refused::Range`] if the rows are not within the root entity.
    pub fn eval(
        &self,
        rows: Range<u64>,
        outputs: &mut Vec<OutputColumn>,
        errors: &mut Vec<u8>,
        failures: &mut Vec<FailedRow>,
    ) -> Result<(), Refused> {
        // Checked before anything is sized by the range.
        if !self.bound.holds_rows(self.shape.desc, rows.start, rows.end) {
            return Err(Refused::Range);
        }
        let n = usize::try_from(rows.end - rows.start).map_err(|_| Refused::Range)?;
        let widths = self.shape.widths;
        outputs.resize_with(widths.len(), || OutputColumn::Int(Vec::new()));
        for (column, width) in outputs.iter_mut().zip(widths) {
            if column.width() != *width as usize {
                *column = OutputColumn::of_width(*width as usize, n);
            }
            column.resize(n);
        }
        errors.clear();
        errors.resize(n, 0);
        failures.clear();
        failures.reserve(n);
        let pointers: Vec<*mut u8> = outputs.iter_mut().map(OutputColumn::as_mut_ptr).collect();
        // SAFETY: the batch was bound to and checked against this shape; every output
        // column holds `n` elements of its width (resized above), `errors` holds `n`
        // bytes and `failures` has room for `n` records.
        let count = unsafe {
            self.shape.run(
                &self.bound,
                rows.start,
                rows.end,
                pointers.as_ptr(),
                errors.as_mut_ptr(),
                failures.as_mut_ptr(),
            )
        }
        .map_err(Refused::of_status)?;
        let count = usize::try_from(count).map_or(0, |c| c.min(n));
        // SAFETY: the kernel initialised the first `count` (at most `n`, the reserved
        // capacity) records; `FailedRow` is plain old data.
        unsafe { failures.set_len(count) };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    /// A shared library exporting a descriptor of ABI version 1, linked with `cc`.
    fn old_library(dir: &Path) -> PathBuf {
        let c = dir.join("old.c");
        std::fs::write(
            &c,
            "#include <stdint.h>\n\
             struct { uint32_t abi; uint32_t counts[7]; void *kernel, *tables, *shape; }\n\
             bylaw_old_policy = { 1 };\n",
        )
        .unwrap();
        let so = dir.join("libold.so");
        let cc = std::env::var_os("CC").unwrap_or_else(|| "cc".into());
        let status = std::process::Command::new(cc)
            .args(["-shared", "-fPIC", "-o"])
            .arg(&so)
            .arg(&c)
            .status()
            .unwrap();
        assert!(status.success());
        so
    }

    #[test]
    fn a_library_of_another_abi_version_or_policy_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let so = old_library(dir.path());
        // SAFETY: the library was just built from a C file that only defines data.
        let opened = unsafe { Library::open(&so, "old") };
        match opened {
            Err(LibraryError::Abi { found: 1, .. }) => {}
            other => unreachable!("expected an ABI refusal, got {other:?}"),
        }
        // SAFETY: as above.
        let opened = unsafe { Library::open(&so, "other") };
        assert!(matches!(opened, Err(LibraryError::NoPolicy { .. })));
        // SAFETY: as above.
        let message = match unsafe { Library::open(&so, "old") } {
            Err(e) => e.to_string(),
            Ok(_) => String::new(),
        };
        assert!(message.contains("ABI version 1"), "{message}");
    }
}
