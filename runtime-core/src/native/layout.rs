//! The kernel's view of a batch: `#[repr(C)]` structs of raw pointers and lengths built
//! from a [`Batch`] without copying (text columns excepted: they are interned to ordered
//! `u32` codes), the context every compiled function receives, and the per-row error
//! codes. Codegen reads fields at the offsets `core::mem::offset_of!` gives for these
//! structs, so the two can never disagree; the C header of a compiled policy describes
//! the same structs.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::batch::{Batch, Column};

/// One column (or one relation's CSR offsets) as the kernel sees it.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ColumnView {
    /// The first element (`i64`, `u8`, `i32` or `u32`, per the column's kind).
    pub data: *const u8,
    /// The number of elements.
    pub len: u64,
}

/// The first error of one root row, as compiled code reports it.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ErrorRecord {
    /// [`ERR_NONE`] or one of the `ERR_*` codes.
    pub kind: u32,
    /// The definition being evaluated.
    pub def: u32,
    /// A parameter or scale index, for missing values.
    pub aux: i64,
    /// A parameter key (or −1), or a scale's argument.
    pub arg: i64,
}

/// No error.
pub const ERR_NONE: u32 = 0;
/// Arithmetic overflow.
pub const ERR_OVERFLOW: u32 = 1;
/// Division by zero.
pub const ERR_DIV_ZERO: u32 = 2;
/// No version of the definition is in force at the date.
pub const ERR_NO_VERSION: u32 = 3;
/// A parameter has no value (for `arg`, a key, or −1).
pub const ERR_MISSING_PARAM: u32 = 4;
/// A scale has no brackets in force.
pub const ERR_SCALE_NONE: u32 = 5;
/// A scale's argument (`arg`) is below its first bracket.
pub const ERR_BELOW_BRACKET: u32 = 6;
/// A working-day count needs day `arg`, which calendar `aux` does not cover.
pub const ERR_OUTSIDE_CALENDAR: u32 = 7;

/// Everything compiled code reads and writes besides its arguments.
#[repr(C)]
#[derive(Debug)]
pub struct KernelCtx {
    /// One view per column slot (see [`Slots`]).
    pub columns: *const ColumnView,
    /// One view per relation slot: the CSR offsets (`u32`).
    pub offsets: *const ColumnView,
    /// Keyed parameter tables: `(present, value)` pairs of `i64`.
    pub tables: *const i64,
    /// The order codes of the program's text constants.
    pub texts: *const i64,
    /// Per definition: the root row + 1 whose value `memo_values` holds (0: none).
    pub memo_tags: *mut i64,
    /// Per definition: the memoized value.
    pub memo_values: *mut i64,
    /// The runtime helpers, in [`crate::native::helpers::Helper::ALL`] order: compiled
    /// code calls them through this table, so an object file needs no symbol resolved.
    pub helpers: *const *const u8,
    /// Written by every fallible runtime helper: 0, [`ERR_OVERFLOW`] or [`ERR_DIV_ZERO`].
    pub status: u32,
    /// Written by the exact helpers (`bylaw_rt_exact_*`): the denominator of the value
    /// they return.
    pub den: i64,
    /// The error of the row being evaluated.
    pub error: ErrorRecord,
    /// Where the kernel appends one record per failed row (room for every row of the
    /// call).
    pub failures: *mut FailedRow,
    /// How many records `failures` holds.
    pub failure_count: u64,
}

/// A root row whose evaluation failed, and its first error.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FailedRow {
    /// The root row (an index into the batch, not into the evaluated range).
    pub row: u64,
    /// The error.
    pub error: ErrorRecord,
}

/// The values of one output for a range of root rows, as a kernel writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputColumn {
    /// Numbers (money, rates, decimals, counts, durations), scaled as in the runtime.
    Int(Vec<i64>),
    /// Booleans, 0 or 1.
    Bool(Vec<u8>),
    /// Day numbers.
    Date(Vec<i32>),
    /// Variant indexes, or for a text output indexes into the results' dictionary.
    Code(Vec<u32>),
}

impl OutputColumn {
    /// A zeroed column of `len` elements `width` bytes wide (1, 4 or 8). A 4-byte
    /// output is taken as dates: a variant code reads back the same as an `i32`.
    pub(crate) fn of_width(width: usize, len: usize) -> OutputColumn {
        match width {
            1 => OutputColumn::Bool(vec![0; len]),
            4 => OutputColumn::Date(vec![0; len]),
            _ => OutputColumn::Int(vec![0; len]),
        }
    }

    /// The number of elements.
    pub fn len(&self) -> usize {
        match self {
            OutputColumn::Int(v) => v.len(),
            OutputColumn::Bool(v) => v.len(),
            OutputColumn::Date(v) => v.len(),
            OutputColumn::Code(v) => v.len(),
        }
    }

    /// Whether the column has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Element `i` widened to the kernel's `i64`.
    pub fn get(&self, i: usize) -> Option<i64> {
        match self {
            OutputColumn::Int(v) => v.get(i).copied(),
            OutputColumn::Bool(v) => v.get(i).map(|x| i64::from(*x)),
            OutputColumn::Date(v) => v.get(i).map(|x| i64::from(*x)),
            OutputColumn::Code(v) => v.get(i).map(|x| i64::from(*x)),
        }
    }

    /// The width of an element in bytes.
    pub fn width(&self) -> usize {
        match self {
            OutputColumn::Int(_) => 8,
            OutputColumn::Bool(_) => 1,
            OutputColumn::Date(_) | OutputColumn::Code(_) => 4,
        }
    }

    /// Resizes to `len` elements, new ones zero.
    pub fn resize(&mut self, len: usize) {
        match self {
            OutputColumn::Int(v) => v.resize(len, 0),
            OutputColumn::Bool(v) => v.resize(len, 0),
            OutputColumn::Date(v) => v.resize(len, 0),
            OutputColumn::Code(v) => v.resize(len, 0),
        }
    }

    /// The first element, for a kernel to write `len()` elements of `width()` bytes.
    pub fn as_mut_ptr(&mut self) -> *mut u8 {
        match self {
            OutputColumn::Int(v) => v.as_mut_ptr().cast(),
            OutputColumn::Bool(v) => v.as_mut_ptr(),
            OutputColumn::Date(v) => v.as_mut_ptr().cast(),
            OutputColumn::Code(v) => v.as_mut_ptr().cast(),
        }
    }
}

/// Numbering of the batch's columns and relations, fixed by the schema.
#[derive(Debug, Clone, Default)]
pub struct Slots {
    /// The first column slot of each entity.
    pub column_base: Vec<usize>,
    /// The first relation slot of each entity.
    pub relation_base: Vec<usize>,
    /// The number of column slots.
    pub columns: usize,
    /// The number of relation slots.
    pub relations: usize,
}

impl Slots {
    /// The slots of `schema`: entities in order, each one's fields (and relations) in
    /// order.
    pub fn new(schema: &crate::schema::Schema) -> Slots {
        let mut s = Slots::default();
        for e in &schema.entities {
            s.column_base.push(s.columns);
            s.relation_base.push(s.relations);
            s.columns += e.fields.len();
            s.relations += e.relations.len();
        }
        s
    }

    /// The slot of `field` of `entity`.
    pub fn column(&self, entity: usize, field: usize) -> usize {
        self.column_base.get(entity).copied().unwrap_or(0) + field
    }

    /// The slot of `relation` of `entity`.
    pub fn relation(&self, entity: usize, relation: usize) -> usize {
        self.relation_base.get(entity).copied().unwrap_or(0) + relation
    }
}

/// Text values replaced by their rank among every text the kernel may compare, so that
/// comparing codes orders like comparing the strings.
#[derive(Debug, Clone, Default)]
pub struct Interned {
    /// The sorted, distinct texts; a code is an index into it.
    pub dictionary: Vec<Arc<str>>,
    /// Per column slot: the codes of a text column the program reads.
    pub columns: Vec<Option<Vec<u32>>>,
    /// Codes of the program's text constants, in constant order.
    pub constants: Vec<i64>,
}

impl Interned {
    /// Interns the text columns in `used` (column slots) and the program's constants.
    pub fn new(
        batch: &Batch,
        slots: &Slots,
        used: &BTreeSet<usize>,
        constants: &[Arc<str>],
    ) -> Interned {
        let mut all: BTreeSet<&str> = constants.iter().map(|c| &**c).collect();
        let mut texts: Vec<(usize, &[String])> = Vec::new();
        for (e, rows) in batch.entities.iter().enumerate() {
            for (f, col) in rows.columns.iter().enumerate() {
                let slot = slots.column(e, f);
                if let Column::Text(v) = col
                    && used.contains(&slot)
                {
                    all.extend(v.iter().map(String::as_str));
                    texts.push((slot, v));
                }
            }
        }
        let dictionary: Vec<Arc<str>> = all.iter().map(|s| Arc::from(*s)).collect();
        let code = |s: &str| dictionary.binary_search_by(|d| (**d).cmp(s)).unwrap_or(0) as u32;
        let mut columns = vec![None; slots.columns];
        for (slot, v) in texts {
            if let Some(c) = columns.get_mut(slot) {
                *c = Some(v.iter().map(|s| code(s)).collect());
            }
        }
        let constants = constants.iter().map(|c| i64::from(code(c))).collect();
        Interned {
            dictionary,
            columns,
            constants,
        }
    }
}

/// The column and offset views of a batch. The pointers borrow from the batch and the
/// interned columns, which must outlive every use of the views.
pub fn views(
    batch: &Batch,
    slots: &Slots,
    interned: &Interned,
) -> (Vec<ColumnView>, Vec<ColumnView>) {
    let mut columns = vec![
        ColumnView {
            data: std::ptr::null(),
            len: 0
        };
        slots.columns
    ];
    let mut offsets = columns.clone();
    offsets.truncate(0);
    offsets.resize(
        slots.relations,
        ColumnView {
            data: std::ptr::null(),
            len: 0,
        },
    );
    for (e, rows) in batch.entities.iter().enumerate() {
        for (f, col) in rows.columns.iter().enumerate() {
            let slot = slots.column(e, f);
            let view = match col {
                Column::Int(v) => view_of(v),
                Column::Bool(v) => view_of(v),
                Column::Date(v) => view_of(v),
                Column::Enum(v) => view_of(v),
                Column::Text(_) => match interned.columns.get(slot) {
                    Some(Some(codes)) => view_of(codes),
                    _ => ColumnView {
                        data: std::ptr::null(),
                        len: 0,
                    },
                },
            };
            if let Some(c) = columns.get_mut(slot) {
                *c = view;
            }
        }
        for (r, o) in rows.children.iter().enumerate() {
            if let Some(c) = offsets.get_mut(slots.relation(e, r)) {
                *c = view_of(&o.0);
            }
        }
    }
    (columns, offsets)
}

fn view_of<T>(v: &[T]) -> ColumnView {
    ColumnView {
        data: v.as_ptr().cast::<u8>(),
        len: v.len() as u64,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use crate::batch::{EntityRows, Offsets};
    use crate::schema::EntityId;

    #[test]
    fn views_point_at_the_batch_columns_and_texts_keep_their_order() {
        let batch = Batch {
            entities: vec![
                EntityRows {
                    len: 2,
                    columns: vec![
                        Column::Int(vec![5, 7]),
                        Column::Text(vec!["b".into(), "a".into()]),
                    ],
                    keys: vec!["x".into(), "y".into()],
                    source_rows: vec![2, 3],
                    children: vec![Offsets(vec![0, 1, 1])],
                },
                EntityRows {
                    len: 1,
                    columns: vec![Column::Bool(vec![1])],
                    keys: vec!["1".into()],
                    source_rows: vec![2],
                    children: vec![],
                },
            ],
            root: EntityId(0),
        };
        let slots = Slots {
            column_base: vec![0, 2],
            relation_base: vec![0, 1],
            columns: 3,
            relations: 1,
        };
        let used = BTreeSet::from([1]);
        let interned = Interned::new(&batch, &slots, &used, &["c".into(), "a".into()]);
        assert_eq!(interned.columns[1], Some(vec![1, 0]));
        assert_eq!(interned.constants, vec![2, 0]);
        let (columns, offsets) = views(&batch, &slots, &interned);
        let Column::Int(ints) = &batch.entities[0].columns[0] else {
            unreachable!()
        };
        assert_eq!(columns[0].data, ints.as_ptr().cast::<u8>());
        assert_eq!(columns[0].len, 2);
        assert_eq!(columns[2].len, 1);
        assert_eq!(offsets[0].len, 3);
        assert_eq!(
            offsets[0].data,
            batch.entities[0].children[0].0.as_ptr().cast::<u8>()
        );
    }

    #[test]
    fn records_have_the_layout_codegen_assumes() {
        assert_eq!(std::mem::size_of::<ColumnView>(), 16);
        assert_eq!(std::mem::size_of::<ErrorRecord>(), 24);
        assert_eq!(std::mem::offset_of!(ErrorRecord, aux), 8);
        assert_eq!(std::mem::align_of::<KernelCtx>(), 8);
        assert_eq!(std::mem::size_of::<FailedRow>(), 32);
    }
}
