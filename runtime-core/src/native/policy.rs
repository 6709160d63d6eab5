//! A compiled policy as a native library sees it, and the C entry points that run it.
//!
//! `bylaw build` writes an object holding the kernel and one [`PolicyDesc`] (exported
//! as `bylaw_<policy>_policy`): the kernel's address, the parameter tables at the
//! build date, and the *shape* of the input — per column slot its entity, kind and
//! number of variants, per relation slot its parent and child entity, per output its
//! width. [`bylaw_rt_eval_batch`] and [`bylaw_rt_eval_one`] check a caller's
//! [`BatchView`] against that shape before the kernel runs — each input column found by
//! its name (`entity.field`), enumeration values translated from their stable keys
//! (see [`super::keys`]), durations from their declared unit, then lengths, CSR
//! offsets and booleans checked — so native code never reads outside the caller's
//! arrays whatever their contents; they return one of the `BYLAW_*` status codes.

use super::helpers;
use super::layout::{ColumnView, ErrorRecord, FailedRow, KernelCtx};

/// The version of this ABI; a descriptor of another version is refused.
/// Version 2 added the policy's name, evaluation date and source hash
/// ([`bylaw_rt_policy_info`]); version 3 the exact-quotient helpers and
/// `KernelCtx::den`, input columns bound by name, enumeration values as stable keys
/// and durations in their declared unit; version 4 the roles of dated records' date
/// columns ([`ROLE_FIRST_DAY`], [`ROLE_LAST_DAY`]), whose order a batch is checked for.
pub const ABI_VERSION: u32 = 4;

/// Call status: the rows were evaluated (each row's own error is in `errors`).
pub const BYLAW_OK: i32 = 0;
/// The `unit` word of a date column slot holding dated records' first day (`from`).
pub const ROLE_FIRST_DAY: u32 = 2;
/// The `unit` word of a date column slot holding dated records' last day (`until`).
pub const ROLE_LAST_DAY: u32 = 3;

/// Call status: a required pointer was null.
pub const BYLAW_E_NULL: i32 = -1;
/// Call status: the descriptor is not of this runtime's ABI version.
pub const BYLAW_E_ABI: i32 = -2;
/// Call status: the batch does not match the policy's input shape.
pub const BYLAW_E_BATCH: i32 = -3;
/// Call status: the rows are not within the batch.
pub const BYLAW_E_RANGE: i32 = -4;

/// Column kinds in a descriptor's shape.
pub const KIND_INT: u32 = 0;
/// A `u8` boolean, 0 or 1.
pub const KIND_BOOL: u32 = 1;
/// An `i32` day number.
pub const KIND_DATE: u32 = 2;
/// A `u32` variant key (see [`super::keys`]).
pub const KIND_ENUM: u32 = 3;
/// Text: not passed to native libraries (the policy reads no text column).
pub const KIND_TEXT: u32 = 4;

/// `kernel(ctx, start, end, outs, errors)`.
pub type KernelFn = unsafe extern "C" fn(*mut KernelCtx, i64, i64, *const *mut u8, *mut u8);

/// A compiled policy, as emitted into its object file.
#[repr(C)]
#[derive(Debug)]
pub struct PolicyDesc {
    /// [`ABI_VERSION`].
    pub abi: u32,
    /// The number of outputs.
    pub outputs: u32,
    /// The number of definitions (memo slots).
    pub defs: u32,
    /// The number of entities.
    pub entities: u32,
    /// The root entity.
    pub root: u32,
    /// The number of column slots.
    pub columns: u32,
    /// The number of relation slots.
    pub relations: u32,
    /// Padding; 0.
    pub reserved: u32,
    /// The batch kernel.
    pub kernel: Option<KernelFn>,
    /// The keyed parameter tables.
    pub tables: *const i64,
    /// `outputs` widths, then `(entity, kind, variants, unit)` per column slot (`unit`:
    /// runtime units per declared unit, 12 for years; for the date columns of dated
    /// records, [`ROLE_FIRST_DAY`] or [`ROLE_LAST_DAY`]), then `(parent, child)` per
    /// relation slot.
    pub shape: *const u32,
    /// The policy's name, NUL-terminated UTF-8.
    pub name: *const u8,
    /// The evaluation date the policy was compiled for, in days since 1970-01-01.
    pub date: i32,
    /// Padding; 0.
    pub reserved2: u32,
    /// SHA-256 of the policy's source files (see `bylaw_compiler::load::source_hash`).
    pub source_hash: [u8; 32],
    /// Per column slot its name (`entity.field`), NUL-terminated, one after another.
    pub column_names: *const u8,
    /// Per enumeration column slot, in slot order, the key of each of its variants.
    pub enum_keys: *const u32,
}

/// What a compiled library is, as [`bylaw_rt_policy_info`] reports it.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct PolicyInfo {
    /// The descriptor's ABI version (written even when it is not [`ABI_VERSION`]).
    pub abi: u32,
    /// The evaluation date, in days since 1970-01-01.
    pub date: i32,
    /// The policy's name, NUL-terminated UTF-8, owned by the library.
    pub name: *const u8,
    /// SHA-256 of the policy's source files.
    pub source_hash: [u8; 32],
}

impl Default for PolicyInfo {
    fn default() -> PolicyInfo {
        PolicyInfo {
            abi: 0,
            date: 0,
            name: std::ptr::null(),
            source_hash: [0; 32],
        }
    }
}

/// Writes what the compiled policy `desc` is into `info`: its ABI version, always,
/// and when that is this runtime's [`ABI_VERSION`] also its name, evaluation date and
/// source hash. Returns [`BYLAW_OK`], [`BYLAW_E_NULL`], or [`BYLAW_E_ABI`] for a
/// descriptor of another version (only `info.abi` is then written).
///
/// # Safety
/// `desc` is a descriptor emitted by `bylaw build` (of any ABI version: the version
/// is read first) and `info` points to a writable [`PolicyInfo`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bylaw_rt_policy_info(
    desc: *const PolicyDesc,
    info: *mut PolicyInfo,
) -> i32 {
    if desc.is_null() || info.is_null() {
        return BYLAW_E_NULL;
    }
    // SAFETY: every version of the descriptor starts with its `u32` version.
    let abi = unsafe { desc.cast::<u32>().read() };
    let mut out = PolicyInfo {
        abi,
        ..PolicyInfo::default()
    };
    let status = if abi == ABI_VERSION {
        // SAFETY: a descriptor of this version (checked above), valid by the caller's
        // promise.
        let d = unsafe { &*desc };
        out.date = d.date;
        out.name = d.name;
        out.source_hash = d.source_hash;
        BYLAW_OK
    } else {
        BYLAW_E_ABI
    };
    // SAFETY: writable by the caller's promise.
    unsafe { info.write(out) };
    status
}

/// A batch as C passes it: rows per entity, its input columns (each named, in any
/// order), and the CSR offsets (`u32`, parent rows + 1 of them) per relation slot.
#[repr(C)]
#[derive(Debug)]
pub struct BatchView {
    /// Rows per entity (`u64`), in schema order.
    pub entity_rows: *const u64,
    /// `column_count` named input columns.
    pub columns: *const InputView,
    /// The number of input columns.
    pub column_count: u64,
    /// One view per relation slot.
    pub offsets: *const ColumnView,
}

/// One input column as a caller passes it: its name, then its elements.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct InputView {
    /// `entity.field`, NUL-terminated.
    pub name: *const u8,
    /// The first element, of the column's C type.
    pub data: *const u8,
    /// The number of elements.
    pub len: u64,
}

/// The input shape of a descriptor, read once.
pub(super) struct Shape<'a> {
    pub(super) desc: &'a PolicyDesc,
    /// Per output: its width in bytes.
    pub(super) widths: &'a [u32],
    /// Per column slot: entity, kind, variants, unit.
    pub(super) columns: &'a [u32],
    /// Per relation slot: parent entity, child entity.
    pub(super) relations: &'a [u32],
    /// Per column slot: its name.
    pub(super) names: Vec<&'a [u8]>,
    /// Per column slot: its variants' keys (empty unless an enumeration).
    pub(super) keys: Vec<&'a [u32]>,
}

/// Words per column slot in a shape.
pub(super) const COLUMN_WORDS: usize = 4;

/// A batch bound to a shape and checked: rows per entity and one view per slot, the
/// views of translated columns pointing into buffers it owns.
pub(super) struct Checked {
    pub(super) rows: Vec<u64>,
    pub(super) columns: Vec<ColumnView>,
    pub(super) offsets: Vec<ColumnView>,
    /// Columns translated from the caller's form (keys to indexes, years to months).
    _owned: Vec<Owned>,
}

impl Checked {
    /// Whether root rows `start..end` lie within the batch (and fit the kernel's `i64`).
    pub(super) fn holds_rows(&self, desc: &PolicyDesc, start: u64, end: u64) -> bool {
        let root_rows = self.rows.get(desc.root as usize).copied().unwrap_or(0);
        start <= end && end <= root_rows && end <= i64::MAX as u64
    }
}

enum Owned {
    Indexes(Vec<u32>),
    Numbers(Vec<i64>),
}

const EMPTY_VIEW: ColumnView = ColumnView {
    data: std::ptr::null(),
    len: 0,
};

fn width_of(kind: u32) -> usize {
    match kind {
        KIND_BOOL => 1,
        KIND_DATE | KIND_ENUM | KIND_TEXT => 4,
        _ => 8,
    }
}

/// The elements of `view`, read as `T`.
///
/// # Safety
/// `view.data` points to `view.len` readable, aligned `T`s (or `len` is 0).
unsafe fn elements<T>(view: &ColumnView) -> &[T] {
    let len = usize::try_from(view.len).unwrap_or(0);
    if len == 0 || view.data.is_null() {
        return &[];
    }
    // SAFETY: the caller's promise.
    unsafe { std::slice::from_raw_parts(view.data.cast::<T>(), len) }
}

impl<'a> Shape<'a> {
    /// # Safety
    /// `desc` is a descriptor emitted by `bylaw build`: `shape` holds the counts it
    /// declares.
    pub(super) unsafe fn new(desc: &'a PolicyDesc) -> Result<Shape<'a>, i32> {
        if desc.abi != ABI_VERSION || desc.shape.is_null() || desc.kernel.is_none() {
            return Err(BYLAW_E_ABI);
        }
        let slots = desc.columns as usize;
        let (o, c, r) = (
            desc.outputs as usize,
            slots * COLUMN_WORDS,
            desc.relations as usize * 2,
        );
        if slots > 0 && desc.column_names.is_null() {
            return Err(BYLAW_E_ABI);
        }
        // SAFETY: the descriptor's shape array has `o + c + r` elements (its contract).
        let all = unsafe { std::slice::from_raw_parts(desc.shape, o + c + r) };
        let (widths, rest) = all.split_at(o);
        let (columns, relations) = rest.split_at(c);
        let mut names = Vec::with_capacity(slots);
        let mut at = desc.column_names;
        for _ in 0..slots {
            // SAFETY: the descriptor holds one NUL-terminated name per column slot, one
            // after another (its contract).
            let name = unsafe { std::ffi::CStr::from_ptr(at.cast()) }.to_bytes();
            names.push(name);
            // SAFETY: the next name starts after this one's NUL, within the blob.
            at = unsafe { at.add(name.len() + 1) };
        }
        let mut keys = Vec::with_capacity(slots);
        let mut next = desc.enum_keys;
        for c in columns.chunks_exact(COLUMN_WORDS) {
            let (kind, variants) = (c[1], c[2] as usize);
            if kind != KIND_ENUM || variants == 0 {
                keys.push(&[][..]);
                continue;
            }
            if next.is_null() {
                return Err(BYLAW_E_ABI);
            }
            // SAFETY: the descriptor holds `variants` keys per enumeration slot, in
            // slot order (its contract).
            keys.push(unsafe { std::slice::from_raw_parts(next, variants) });
            // SAFETY: as above; the next slot's keys follow.
            next = unsafe { next.add(variants) };
        }
        Ok(Shape {
            desc,
            widths,
            columns,
            relations,
            names,
            keys,
        })
    }

    /// The slot of the column named `name`.
    pub(super) fn slot(&self, name: &[u8]) -> Option<usize> {
        self.names.iter().position(|n| *n == name)
    }

    /// Binds `batch` to the shape and checks it.
    ///
    /// # Safety
    /// `batch`'s arrays have one element per entity, `column_count` input columns and
    /// one offsets view per relation slot; each view points to `len` readable elements
    /// of its column's C type and each name is NUL-terminated.
    unsafe fn check(&self, batch: &BatchView) -> Result<Checked, i32> {
        let d = self.desc;
        let count = usize::try_from(batch.column_count).map_err(|_| BYLAW_E_BATCH)?;
        if batch.entity_rows.is_null()
            || (count > 0 && batch.columns.is_null())
            || (d.relations > 0 && batch.offsets.is_null())
        {
            return Err(BYLAW_E_NULL);
        }
        // SAFETY: the caller's promise on the array lengths.
        let (rows, columns, offsets) = unsafe {
            (
                std::slice::from_raw_parts(batch.entity_rows, d.entities as usize),
                slice_or_empty(batch.columns, count),
                slice_or_empty(batch.offsets, d.relations as usize),
            )
        };
        // SAFETY: the caller's promise on the views.
        unsafe { self.bind(rows, columns, offsets) }
    }

    /// Binds named input columns to the shape's slots, translates keys and units, and
    /// checks lengths, booleans and offsets.
    ///
    /// # Safety
    /// Each input's name is NUL-terminated and its view points to `len` readable
    /// elements of the C type of the column it names (text columns are never read);
    /// each offsets view to `len` readable `u32`s.
    pub(super) unsafe fn bind(
        &self,
        rows: &[u64],
        inputs: &[InputView],
        offsets: &[ColumnView],
    ) -> Result<Checked, i32> {
        let d = self.desc;
        if rows.len() != d.entities as usize || offsets.len() != d.relations as usize {
            return Err(BYLAW_E_BATCH);
        }
        let slots = d.columns as usize;
        let mut columns = vec![EMPTY_VIEW; slots];
        let mut given = vec![false; slots];
        for input in inputs {
            if input.name.is_null() {
                return Err(BYLAW_E_NULL);
            }
            // SAFETY: NUL-terminated (the caller's promise).
            let name = unsafe { std::ffi::CStr::from_ptr(input.name.cast()) }.to_bytes();
            let slot = self.slot(name).ok_or(BYLAW_E_BATCH)?;
            if std::mem::replace(&mut given[slot], true) {
                return Err(BYLAW_E_BATCH);
            }
            columns[slot] = ColumnView {
                data: input.data,
                len: input.len,
            };
        }
        let mut owned = Vec::new();
        for (slot, c) in self.columns.chunks_exact(COLUMN_WORDS).enumerate() {
            let [entity, kind, _, unit] = [c[0], c[1], c[2], c[3]];
            let n = rows.get(entity as usize).copied().ok_or(BYLAW_E_ABI)?;
            if kind == KIND_TEXT {
                columns[slot] = EMPTY_VIEW; // never read by the kernel
                continue;
            }
            let view = columns[slot];
            if !given[slot] || view.len != n || (n > 0 && view.data.is_null()) {
                return Err(BYLAW_E_BATCH);
            }
            if view.data.align_offset(width_of(kind)) != 0 {
                return Err(BYLAW_E_BATCH);
            }
            // SAFETY: `view` holds `n` elements of this kind (the caller's promise),
            // aligned (checked above).
            let translated = unsafe {
                match kind {
                    KIND_BOOL if elements::<u8>(&view).iter().any(|b| *b > 1) => {
                        return Err(BYLAW_E_BATCH);
                    }
                    KIND_ENUM => Some(Owned::Indexes(indexes(
                        elements::<u32>(&view),
                        self.keys.get(slot).copied().unwrap_or_default(),
                    )?)),
                    KIND_INT if unit > 1 => Some(Owned::Numbers(
                        elements::<i64>(&view)
                            .iter()
                            .map(|v| v.checked_mul(i64::from(unit)))
                            .collect::<Option<Vec<i64>>>()
                            .ok_or(BYLAW_E_BATCH)?,
                    )),
                    _ => None,
                }
            };
            if let Some(t) = translated {
                columns[slot] = match &t {
                    Owned::Indexes(v) => ColumnView {
                        data: v.as_ptr().cast(),
                        len: v.len() as u64,
                    },
                    Owned::Numbers(v) => ColumnView {
                        data: v.as_ptr().cast(),
                        len: v.len() as u64,
                    },
                };
                owned.push(t);
            }
        }
        for (view, r) in offsets.iter().zip(self.relations.chunks_exact(2)) {
            let parent = rows.get(r[0] as usize).copied().ok_or(BYLAW_E_ABI)?;
            let child = rows.get(r[1] as usize).copied().ok_or(BYLAW_E_ABI)?;
            if view.len != parent + 1 || view.data.is_null() {
                return Err(BYLAW_E_BATCH);
            }
            if view.data.align_offset(4) != 0 {
                return Err(BYLAW_E_BATCH);
            }
            // SAFETY: as above, `parent + 1` aligned `u32`s.
            let o = unsafe { elements::<u32>(view) };
            let monotone = o.windows(2).all(|w| w[0] <= w[1]);
            if o.first() != Some(&0) || o.last().map(|l| u64::from(*l)) != Some(child) || !monotone
            {
                return Err(BYLAW_E_BATCH);
            }
            self.check_dated(r[1], &columns, o)?;
        }
        Ok(Checked {
            rows: rows.to_vec(),
            columns,
            offsets: offsets.to_vec(),
            _owned: owned,
        })
    }

    /// Refuses dated records of `child` (if it holds them) that a parent does not give in
    /// order of their first day, or that end before they start: history functions
    /// read them in one pass, in that order.
    fn check_dated(&self, child: u32, columns: &[ColumnView], offsets: &[u32]) -> Result<(), i32> {
        let role = |wanted: u32| {
            self.columns
                .chunks_exact(COLUMN_WORDS)
                .position(|c| c[0] == child && c[1] == KIND_DATE && c[3] == wanted)
                .and_then(|slot| columns.get(slot))
        };
        let (Some(first), Some(last)) = (role(ROLE_FIRST_DAY), role(ROLE_LAST_DAY)) else {
            return Ok(());
        };
        // SAFETY: both columns were checked above: `len` aligned `i32`s of the child.
        let (from, until) = unsafe { (elements::<i32>(first), elements::<i32>(last)) };
        for w in offsets.windows(2) {
            let (a, b) = (w[0] as usize, w[1] as usize);
            match (from.get(a..b), until.get(a..b)) {
                (Some(f), Some(u)) if crate::history::first_disorder(f, u).is_none() => {}
                _ => return Err(BYLAW_E_BATCH),
            }
        }
        Ok(())
    }

    /// Runs the kernel over `start..end` of a checked batch.
    ///
    /// # Safety
    /// `outputs` holds one pointer per output, each to `end − start` writable elements
    /// of its width; `errors` and `failures` have room for `end − start` elements.
    pub(super) unsafe fn run(
        &self,
        batch: &Checked,
        start: u64,
        end: u64,
        outputs: *const *mut u8,
        errors: *mut u8,
        failures: *mut FailedRow,
    ) -> Result<u64, i32> {
        if !batch.holds_rows(self.desc, start, end) {
            return Err(BYLAW_E_RANGE);
        }
        let kernel = self.desc.kernel.ok_or(BYLAW_E_ABI)?;
        let defs = (self.desc.defs as usize).max(1);
        let mut memo_tags = vec![0i64; defs];
        let mut memo_values = vec![0i64; defs];
        let helpers = helpers::table();
        let texts = [0i64];
        let no_table = [0i64];
        let mut ctx = KernelCtx {
            columns: batch.columns.as_ptr(),
            offsets: batch.offsets.as_ptr(),
            tables: if self.desc.tables.is_null() {
                no_table.as_ptr()
            } else {
                self.desc.tables
            },
            texts: texts.as_ptr(),
            memo_tags: memo_tags.as_mut_ptr(),
            memo_values: memo_values.as_mut_ptr(),
            helpers: helpers.as_ptr(),
            status: 0,
            den: 1,
            error: ErrorRecord::default(),
            failures,
            failure_count: 0,
        };
        if start < end {
            // SAFETY: the batch was checked against the descriptor's shape (lengths,
            // offsets, booleans, variant codes), the rows lie within the root entity,
            // the tables and kernel come from the same descriptor, the memo arrays hold
            // one slot per definition, and the caller gives output buffers of the right
            // widths and lengths.
            unsafe { kernel(&mut ctx, start as i64, end as i64, outputs, errors) };
        }
        Ok(ctx.failure_count)
    }
}

/// # Safety
/// `ptr` points to `len` readable `T`s, or `len` is 0.
unsafe fn slice_or_empty<'a, T>(ptr: *const T, len: usize) -> &'a [T] {
    if len == 0 || ptr.is_null() {
        &[]
    } else {
        // SAFETY: the caller's promise.
        unsafe { std::slice::from_raw_parts(ptr, len) }
    }
}

/// Variant indexes for variant keys, by `keys` (the key of each variant).
fn indexes(values: &[u32], keys: &[u32]) -> Result<Vec<u32>, i32> {
    let mut sorted: Vec<(u32, u32)> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (*k, i as u32))
        .collect();
    sorted.sort_unstable();
    values
        .iter()
        .map(|k| {
            sorted
                .binary_search_by_key(k, |p| p.0)
                .ok()
                .and_then(|i| sorted.get(i))
                .map(|p| p.1)
                .ok_or(BYLAW_E_BATCH)
        })
        .collect()
}

/// Evaluates root rows `start..end` of `batch` with the compiled policy `desc`.
/// Output `k` of row `start + i` goes to element `i` of `outputs[k]` (`u8`, `i32`,
/// `u32` or `i64` per the output's type), the row's error code to `errors[i]` (0: no
/// error). When `failures` is not null, each failed row's details are appended there
/// (at most `end − start`) and their number written to `failure_count` (if not null).
/// Returns [`BYLAW_OK`] or a `BYLAW_E_*` status; on an error status nothing is written.
///
/// # Safety
/// `desc` is a descriptor emitted by `bylaw build`; `batch` points to a [`BatchView`]
/// whose arrays have one element per entity, column slot and relation slot, each view
/// pointing to `len` readable elements; `outputs` points to one pointer per output,
/// each to `end − start` writable elements of the output's width; `errors` to
/// `end − start` writable bytes; `failures`, if not null, to `end − start` writable
/// records; `failure_count`, if not null, to a writable `u64`. The buffers are borrowed
/// for the call only.
#[allow(clippy::too_many_arguments, reason = "a C entry point")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bylaw_rt_eval_batch(
    desc: *const PolicyDesc,
    batch: *const BatchView,
    start: u64,
    end: u64,
    outputs: *const *mut u8,
    errors: *mut u8,
    failures: *mut FailedRow,
    failure_count: *mut u64,
) -> i32 {
    if desc.is_null() || batch.is_null() || errors.is_null() {
        return BYLAW_E_NULL;
    }
    // SAFETY: non-null, and valid by the caller's promise.
    let (desc, batch) = unsafe { (&*desc, &*batch) };
    if desc.outputs > 0 && outputs.is_null() {
        return BYLAW_E_NULL;
    }
    // SAFETY: a descriptor from `bylaw build` (the caller's promise).
    let shape = match unsafe { Shape::new(desc) } {
        Ok(s) => s,
        Err(e) => return e,
    };
    // SAFETY: the caller's promise on the batch arrays.
    let checked = match unsafe { shape.check(batch) } {
        Ok(c) => c,
        Err(e) => return e,
    };
    // The rows are checked before anything is sized by them (a range beyond the batch
    // must be refused, not allocated for).
    if !checked.holds_rows(desc, start, end) {
        return BYLAW_E_RANGE;
    }
    let n = usize::try_from(end - start).unwrap_or(0);
    let mut own = Vec::new();
    let sink = if failures.is_null() {
        own.reserve(n);
        own.as_mut_ptr()
    } else {
        failures
    };
    // SAFETY: the caller's promise on the output buffers; `sink` has room for `n`.
    match unsafe { shape.run(&checked, start, end, outputs, errors, sink) } {
        Ok(count) => {
            if !failure_count.is_null() && !failures.is_null() {
                // SAFETY: not null; writable by the caller's promise.
                unsafe { *failure_count = count };
            } else if !failure_count.is_null() {
                // SAFETY: as above.
                unsafe { *failure_count = 0 };
            }
            BYLAW_OK
        }
        Err(e) => e,
    }
}

/// Evaluates root row `row` of `batch`: its outputs widened to `i64` into `values`
/// (one per output) and its error into `error` (`kind` 0 when every output was
/// computed). Returns [`BYLAW_OK`] or a `BYLAW_E_*` status.
///
/// # Safety
/// As [`bylaw_rt_eval_batch`]; `values` points to one writable `i64` per output and
/// `error` to a writable record.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bylaw_rt_eval_one(
    desc: *const PolicyDesc,
    batch: *const BatchView,
    row: u64,
    values: *mut i64,
    error: *mut ErrorRecord,
) -> i32 {
    if desc.is_null() || batch.is_null() || error.is_null() {
        return BYLAW_E_NULL;
    }
    // SAFETY: non-null, valid by the caller's promise.
    let d = unsafe { &*desc };
    let outputs = d.outputs as usize;
    if outputs > 0 && values.is_null() {
        return BYLAW_E_NULL;
    }
    let mut cells = vec![0i64; outputs];
    let pointers: Vec<*mut u8> = cells
        .iter_mut()
        .map(|c| std::ptr::from_mut(c).cast::<u8>())
        .collect();
    let mut code = [0u8];
    let mut failed = [FailedRow::default()];
    let mut count = 0u64;
    // SAFETY: one row; each output cell is an aligned `i64`, room for one element of
    // any width; the other buffers hold one element each.
    let status = unsafe {
        bylaw_rt_eval_batch(
            desc,
            batch,
            row,
            row.saturating_add(1),
            pointers.as_ptr(),
            code.as_mut_ptr(),
            failed.as_mut_ptr(),
            &mut count,
        )
    };
    if status != BYLAW_OK {
        return status;
    }
    // SAFETY: `Shape::new` succeeded inside the call, so `shape` holds the widths.
    let widths = unsafe { std::slice::from_raw_parts(d.shape, outputs) };
    // SAFETY: `values` has one writable `i64` per output; `error` is writable.
    let (values, error) = unsafe { (std::slice::from_raw_parts_mut(values, outputs), &mut *error) };
    for ((v, cell), w) in values.iter_mut().zip(&cells).zip(widths) {
        let cell = cell.to_ne_bytes();
        *v = match w {
            1 => i64::from(cell[0]),
            4 => {
                let x = [cell[0], cell[1], cell[2], cell[3]];
                // Dates are signed, codes small: both read back exactly as i32.
                i64::from(i32::from_ne_bytes(x))
            }
            _ => i64::from_ne_bytes(cell),
        };
    }
    *error = if count > 0 {
        failed[0].error
    } else {
        ErrorRecord::default()
    };
    BYLAW_OK
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    /// A kernel that evaluates nothing: the descriptor's checks are what is tested.
    unsafe extern "C" fn no_kernel(
        _: *mut KernelCtx,
        _: i64,
        _: i64,
        _: *const *mut u8,
        _: *mut u8,
    ) {
    }

    const NO_SHAPE: [u32; 1] = [0];

    fn desc(abi: u32, name: &'static [u8]) -> PolicyDesc {
        PolicyDesc {
            abi,
            outputs: 0,
            defs: 0,
            entities: 1,
            root: 0,
            columns: 0,
            relations: 0,
            reserved: 0,
            kernel: Some(no_kernel),
            tables: std::ptr::null(),
            shape: NO_SHAPE.as_ptr(),
            name: name.as_ptr(),
            date: 19_723,
            reserved2: 0,
            source_hash: [7; 32],
            column_names: std::ptr::null(),
            enum_keys: std::ptr::null(),
        }
    }

    fn eval(desc: &PolicyDesc) -> i32 {
        eval_rows(desc, 0, 1)
    }

    /// Rows `start..end` of a batch of one root row.
    fn eval_rows(desc: &PolicyDesc, start: u64, end: u64) -> i32 {
        let rows = [1u64];
        let batch = BatchView {
            entity_rows: rows.as_ptr(),
            columns: std::ptr::null(),
            column_count: 0,
            offsets: std::ptr::null(),
        };
        let mut errors = [0u8];
        // SAFETY: a descriptor with no columns, relations or outputs; one root row; a
        // range beyond it is refused before `errors` (one byte) is written.
        unsafe {
            bylaw_rt_eval_batch(
                desc,
                &batch,
                start,
                end,
                std::ptr::null(),
                errors.as_mut_ptr(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            )
        }
    }

    #[test]
    fn a_range_beyond_the_batch_is_refused_before_anything_is_sized_by_it() {
        let d = desc(ABI_VERSION, b"p\0");
        for (start, end) in [(0, u64::MAX), (u64::MAX - 1, u64::MAX), (1, 0), (0, 2)] {
            assert_eq!(eval_rows(&d, start, end), BYLAW_E_RANGE, "{start}..{end}");
        }
    }

    #[test]
    fn a_descriptor_of_another_abi_version_is_refused() {
        assert_eq!(eval(&desc(ABI_VERSION, b"p\0")), BYLAW_OK);
        let old = desc(1, b"p\0");
        assert_eq!(eval(&old), BYLAW_E_ABI);
        let mut info = PolicyInfo::default();
        // SAFETY: a descriptor and a writable record.
        let status = unsafe { bylaw_rt_policy_info(&old, &mut info) };
        assert_eq!(status, BYLAW_E_ABI);
        assert_eq!(info.abi, 1);
        assert!(info.name.is_null());
        assert_eq!(info.source_hash, [0; 32]);
    }

    #[test]
    fn policy_info_reports_the_name_date_and_source_hash() {
        let d = desc(ABI_VERSION, b"guangdong_dibao\0");
        let mut info = PolicyInfo::default();
        // SAFETY: a descriptor and a writable record.
        assert_eq!(unsafe { bylaw_rt_policy_info(&d, &mut info) }, BYLAW_OK);
        assert_eq!(info.abi, ABI_VERSION);
        assert_eq!(info.date, 19_723);
        assert_eq!(info.source_hash, [7; 32]);
        // SAFETY: the name is the descriptor's NUL-terminated static string.
        let name = unsafe { std::ffi::CStr::from_ptr(info.name.cast()) };
        assert_eq!(name.to_str().unwrap(), "guangdong_dibao");
        // SAFETY: null pointers are refused before anything is read.
        let null = unsafe { bylaw_rt_policy_info(std::ptr::null(), &mut info) };
        assert_eq!(null, BYLAW_E_NULL);
    }
}
