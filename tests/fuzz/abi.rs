//! `fuzz/abi_batch`: the C entry point `bylaw_rt_eval_batch` called as a C program
//! would, on the Guangdong dibao policy compiled ahead of time, with a batch built from the
//! fuzzer's bytes: arbitrary row counts, columns missing, repeated, misnamed or of the
//! wrong length, arbitrary enumeration keys, booleans and CSR offsets, and any row
//! range. The caller's side of the contract is kept (every view points to as many
//! elements as it says, of the type of the column it names); everything else is the
//! entry point's to refuse with a status, never to crash on or read past.

use std::ffi::CString;
use std::sync::OnceLock;

use bylaw_codegen::LoadedPolicy;
use bylaw_runtime::native::keys::{column_name, variant_keys};
use bylaw_runtime::native::layout::{ColumnView, FailedRow};
use bylaw_runtime::native::policy::{
    BYLAW_E_BATCH, BYLAW_E_RANGE, BYLAW_OK, BatchView, InputView, bylaw_rt_eval_batch,
};
use bylaw_runtime::schema::ColumnType;

/// The bytes, read front to back; zeros once they run out.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }

    fn u32(&mut self) -> u32 {
        u32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }

    fn u64(&mut self) -> u64 {
        u64::from(self.u32()) | (u64::from(self.u32()) << 32)
    }

    /// Mostly small, now and then anything.
    fn count(&mut self) -> u64 {
        match self.u8() {
            0..=239 => u64::from(self.u8() % 6),
            240..=251 => u64::from(self.u32()),
            _ => self.u64(),
        }
    }
}

/// One column as the caller passes it: the element type is that of the column named.
enum Elements {
    Int(Vec<i64>),
    Byte(Vec<u8>),
    Day(Vec<i32>),
    Key(Vec<u32>),
}

impl Elements {
    fn view(&self) -> (*const u8, u64) {
        match self {
            Elements::Int(v) => (v.as_ptr().cast(), v.len() as u64),
            Elements::Byte(v) => (v.as_ptr(), v.len() as u64),
            Elements::Day(v) => (v.as_ptr().cast(), v.len() as u64),
            Elements::Key(v) => (v.as_ptr().cast(), v.len() as u64),
        }
    }
}

fn loaded() -> &'static LoadedPolicy {
    static LOADED: OnceLock<LoadedPolicy> = OnceLock::new();
    LOADED.get_or_init(|| {
        let policy = super::data_policy();
        match LoadedPolicy::build(policy.program(), super::data_date().days()) {
            Ok(l) => l,
            Err(e) => panic!("the bundled policy compiles ahead of time: {e}"),
        }
    })
}

/// The target. See the module's header.
pub fn abi_batch(data: &[u8]) {
    let loaded = loaded();
    let program = super::data_policy().program();
    let schema = &program.schema;
    let mut bytes = Bytes(data);
    let entity_rows: Vec<u64> = schema.entities.iter().map(|_| bytes.count()).collect();
    // Every column the policy has, with its entity's row count and its element type.
    let mut known = Vec::new();
    for (e, entity) in schema.entities.iter().enumerate() {
        for field in &entity.fields {
            let rows = entity_rows.get(e).copied().unwrap_or(0);
            known.push((column_name(entity, &field.name), field.ty.clone(), rows));
        }
    }
    let mut names: Vec<CString> = Vec::new();
    let mut columns: Vec<Elements> = Vec::new();
    let picks = bytes.u8() % 16;
    for _ in 0..picks {
        let pick = usize::from(bytes.u8());
        let Some((name, ty, rows)) = known.get(pick % known.len().max(1)) else {
            break;
        };
        // The length the column should have, or one off, or another small number.
        let len = match bytes.u8() % 8 {
            0 => rows.saturating_add(1),
            1 => rows.saturating_sub(1),
            2 => bytes.count(),
            _ => *rows,
        }
        .min(64) as usize;
        let name = match bytes.u8() % 16 {
            0 => format!("{name}x"),
            1 => name.to_uppercase(),
            _ => name.clone(),
        };
        let elements = match ty {
            ColumnType::Bool => Elements::Byte((0..len).map(|_| bytes.u8() % 3).collect()),
            ColumnType::Date => Elements::Day((0..len).map(|_| bytes.u32() as i32).collect()),
            ColumnType::Enum(en) => {
                let keys = variant_keys(en).unwrap_or_default();
                Elements::Key(
                    (0..len)
                        .map(|_| match bytes.u8() % 4 {
                            0 => bytes.u32(),
                            _ => keys
                                .get(usize::from(bytes.u8()) % keys.len().max(1))
                                .copied()
                                .unwrap_or(0),
                        })
                        .collect(),
                )
            }
            ColumnType::Text => Elements::Byte(Vec::new()),
            _ => Elements::Int(
                (0..len)
                    .map(|_| match bytes.u8() % 4 {
                        0 => bytes.u64() as i64,
                        _ => i64::from(bytes.u8()) * 10_000,
                    })
                    .collect(),
            ),
        };
        let Ok(name) = CString::new(name) else {
            continue;
        };
        names.push(name);
        columns.push(elements);
    }
    let inputs: Vec<InputView> = names
        .iter()
        .zip(&columns)
        .map(|(name, elements)| {
            let (data, len) = elements.view();
            InputView {
                name: name.as_ptr().cast(),
                data,
                len,
            }
        })
        .collect();
    let relation_slots: usize = schema.entities.iter().map(|e| e.relations.len()).sum();
    let offsets: Vec<Vec<u32>> = (0..relation_slots)
        .map(|_| {
            let len = (bytes.count() % 16) as usize;
            let mut at = 0u32;
            (0..len)
                .map(|_| match bytes.u8() % 8 {
                    0 => bytes.u32(),
                    1 => at.saturating_sub(1),
                    _ => {
                        at = at.saturating_add(u32::from(bytes.u8() % 3));
                        at
                    }
                })
                .collect()
        })
        .collect();
    let offset_views: Vec<ColumnView> = offsets
        .iter()
        .map(|o| ColumnView {
            data: o.as_ptr().cast(),
            len: o.len() as u64,
        })
        .collect();
    let start = bytes.count();
    let end = match bytes.u8() % 4 {
        0 => bytes.count(),
        _ => start.saturating_add(bytes.count()),
    };
    // Room for the rows asked for, when they could be within the batch; a range that is
    // not must be refused before anything is written.
    let room = usize::try_from(end.saturating_sub(start))
        .unwrap_or(usize::MAX)
        .min(64);
    let widths = loaded.library().output_widths();
    let mut outputs: Vec<Vec<u64>> = widths.iter().map(|_| vec![0u64; room.max(1)]).collect();
    let output_pointers: Vec<*mut u8> = outputs.iter_mut().map(|o| o.as_mut_ptr().cast()).collect();
    let mut errors = vec![0u8; room.max(1)];
    let mut failures = vec![FailedRow::default(); room.max(1)];
    let mut failure_count = 0u64;
    let keep_failures = bytes.u8() % 2 == 0;
    let batch = BatchView {
        entity_rows: entity_rows.as_ptr(),
        columns: inputs.as_ptr(),
        column_count: inputs.len() as u64,
        offsets: offset_views.as_ptr(),
    };
    let root_rows = entity_rows
        .get(schema.root.0 as usize)
        .copied()
        .unwrap_or(0);
    let within = start <= end && end <= root_rows && end - start <= room as u64;
    // SAFETY: the descriptor is the loaded library's; `batch` has one row count per
    // entity, `inputs.len()` named columns each viewing as many elements as it says of
    // the type of the column it names (unknown names view bytes, and are refused before
    // they are read), and one offsets view per relation slot. Each output buffer, the
    // error bytes and the failure records have room for `room` rows (8 bytes a row
    // covers every output width); a range longer than `room` is beyond the batch.
    #[allow(
        unsafe_code,
        reason = "calls the C entry point under test, as a C caller"
    )]
    let status = unsafe {
        bylaw_rt_eval_batch(
            loaded.library().descriptor(),
            &batch,
            start,
            end,
            output_pointers.as_ptr(),
            errors.as_mut_ptr(),
            if keep_failures {
                failures.as_mut_ptr()
            } else {
                std::ptr::null_mut()
            },
            &mut failure_count,
        )
    };
    match status {
        BYLAW_OK => {
            assert!(within, "rows {start}..{end} of {root_rows} were evaluated");
            assert!(failure_count <= end - start);
        }
        BYLAW_E_BATCH | BYLAW_E_RANGE => {}
        other => panic!("unexpected status {other}"),
    }
    if !within {
        assert_ne!(status, BYLAW_OK);
    }
}
