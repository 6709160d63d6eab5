//! The C header of a compiled policy: the ABI types and status codes shared by every
//! policy (guarded, so several headers can be included together), then this policy's
//! column, relation, output and variant numbers with their C types and units, and its
//! two functions. The same facts as `runtime::native`, written for C readers.

use std::fmt::Write as _;

use bylaw_compiler::ir::Program;
use bylaw_compiler::types::Ty;
use bylaw_runtime::date;
use bylaw_runtime::native::keys;
use bylaw_runtime::schema::ColumnType;

use crate::aot::c_name;

const COMMON: &str = r#"#ifndef BYLAW_ABI_V4
#define BYLAW_ABI_V4
/* ---- The Bylaw native ABI, version 4 (shared by every compiled policy) ----------
 *
 * Values: money is int64_t in units of 0.0001 yuan; rates and decimals int64_t
 * millionths; counts and durations int64_t in the unit their field declares (days,
 * months or whole years); dates int32_t days since 1970-01-01 (BYLAW_NO_DATE for a
 * date field declared `default none` that has no date); booleans uint8_t 0/1;
 * enumerations uint32_t stable keys (see the *_V_* numbers below): a region's
 * GB/T 2260 code, else a hash of the variant's name, so adding a variant never
 * changes another's key.
 *
 * Columns are passed by name (`entity.field`, the *_COL_* strings below), in any
 * order; a column missing, unknown or given twice refuses the batch.
 *
 * Ownership: the library never allocates memory the caller must free and keeps no
 * pointer after a call returns. Every buffer belongs to the caller. Calls are
 * thread-safe: any number may run at once on the same or different batches.
 */

/* An array: `len` elements starting at `data` (a relation's offsets). */
typedef struct bylaw_column {
    const void *data;
    uint64_t len;
} bylaw_column;

/* One input column: its name (`entity.field`), then `len` elements of its C type
 * starting at `data`. Text columns are not read and need not be given. */
typedef struct bylaw_input {
    const char *name;
    const void *data;
    uint64_t len;
} bylaw_input;

/* A batch: rows per entity, `column_count` named input columns, and per relation
 * slot the CSR offsets (uint32_t, parent rows + 1 of them, starting at 0, never
 * decreasing, ending at the child entity's rows): the children of parent row p are
 * child rows offsets[p] .. offsets[p+1]-1. */
typedef struct bylaw_batch {
    const uint64_t *entity_rows;
    const bylaw_input *columns;
    uint64_t column_count;
    const bylaw_column *offsets;
} bylaw_batch;

/* The first error of one household. */
typedef struct bylaw_error_record {
    uint32_t kind;  /* BYLAW_ERR_* */
    uint32_t def;   /* the definition being evaluated (see the list below) */
    int64_t aux;    /* a parameter or scale index, for missing values */
    int64_t arg;    /* a parameter key (or -1), or a scale's argument */
} bylaw_error_record;

/* A failed household of a batch call: its row and its error. */
typedef struct bylaw_failed_row {
    uint64_t row;
    bylaw_error_record error;
} bylaw_failed_row;

/* What a compiled library is: see <policy>_policy_info. */
#define BYLAW_ABI_VERSION 4
typedef struct bylaw_policy_info {
    uint32_t abi;            /* the library's ABI version: compare with BYLAW_ABI_VERSION */
    int32_t date;            /* the evaluation date, days since 1970-01-01 */
    const char *name;        /* the policy's name, NUL-terminated UTF-8, owned by the library */
    uint8_t source_hash[32]; /* SHA-256 of the policy's source files: each file (the policy,
                                then the files it uses, in load order) as its length in
                                bytes, a little-endian uint64_t, then its bytes */
} bylaw_policy_info;

/* Call status (the return value of every function). */
#define BYLAW_OK 0          /* evaluated; each household's own error is in `errors` */
#define BYLAW_E_NULL (-1)   /* a required pointer was NULL */
#define BYLAW_E_ABI (-2)    /* the library and the runtime disagree on the ABI */
#define BYLAW_E_BATCH (-3)  /* the batch does not match the policy's input (a column
                               missing, unknown or twice, a length, an offset, a
                               boolean not 0/1, an unknown key, a duration too large,
                               a parent's dated records not in order of their first
                               day or one ending before it starts); nothing was
                               evaluated */
#define BYLAW_E_RANGE (-4)  /* the rows are not within the root entity */

/* Per-household error codes (the same as `bylaw eval`'s engines report). */
#define BYLAW_ERR_NONE 0          /* every output computed */
#define BYLAW_ERR_OVERFLOW 1      /* arithmetic overflow */
#define BYLAW_ERR_DIV_ZERO 2      /* division by zero */
#define BYLAW_ERR_NO_VERSION 3    /* no version of `def` in force at the date */
#define BYLAW_ERR_MISSING_PARAM 4 /* parameter `aux` has no value (for key `arg`) */
#define BYLAW_ERR_SCALE_NONE 5    /* scale `aux` has no brackets in force */
#define BYLAW_ERR_BELOW_BRACKET 6 /* `arg` is below the first bracket of scale `aux` */
#define BYLAW_ERR_OUTSIDE_CALENDAR 7 /* a working-day count needs day `arg`, which
                                      calendar `aux` does not cover */
#define BYLAW_NO_DATE INT32_MIN   /* a date field declared `default none`, without a date */
#endif /* BYLAW_ABI_V4 */
"#;

fn column_c(ty: &ColumnType) -> &'static str {
    match ty {
        ColumnType::Money => "int64_t, money in 0.0001 yuan",
        ColumnType::Rate => "int64_t, rate in millionths",
        ColumnType::Count => "int64_t, count",
        ColumnType::Decimal => "int64_t, decimal in millionths",
        ColumnType::Days => "int64_t, days",
        ColumnType::Months => "int64_t, months",
        ColumnType::Years => "int64_t, whole years",
        ColumnType::Date => "int32_t, days since 1970-01-01",
        ColumnType::Bool => "uint8_t, 0 or 1",
        ColumnType::Text => "text: not read, leave it out",
        ColumnType::Enum(_) => "uint32_t, variant key",
    }
}

fn output_c(ty: Ty) -> &'static str {
    match ty {
        Ty::Money(_) => "int64_t, money in 0.0001 yuan",
        Ty::Rate => "int64_t, rate in millionths",
        Ty::Decimal => "int64_t, decimal in millionths",
        Ty::Count => "int64_t, count",
        Ty::Days => "int64_t, days",
        Ty::Months => "int64_t, months",
        Ty::Date => "int32_t, days since 1970-01-01",
        Ty::Bool => "uint8_t, 0 or 1",
        Ty::Enum(_) => "uint32_t, variant index (in declaration order)",
        Ty::Text => "text",
    }
}

/// The header for `program` compiled at `day` under symbol prefix `prefix`.
pub fn render(program: &Program, name: &str, prefix: &str, day: i32) -> String {
    let up = prefix.to_uppercase();
    let schema = &program.schema;
    let mut h = String::new();
    let _ = writeln!(
        h,
        "/* {prefix}.h: the policy `{name}` compiled by `bylaw build` for {}.\n * Generated; do not edit. Link with the object or library written beside it. */",
        date::format_date(day)
    );
    let _ = writeln!(h, "#ifndef {up}_H\n#define {up}_H\n\n#include <stdint.h>\n");
    let _ = writeln!(h, "#ifdef __cplusplus\nextern \"C\" {{\n#endif\n");
    h.push_str(COMMON);
    let _ = writeln!(
        h,
        "\n/* ---- Entities (indexes into bylaw_batch.entity_rows) ---- */"
    );
    for (i, e) in schema.entities.iter().enumerate() {
        let root = if i as u32 == schema.root.0 {
            " /* root: one row per household */"
        } else {
            ""
        };
        let _ = writeln!(
            h,
            "#define {up}_ENTITY_{} {i}{root}",
            c_name(&e.name).to_uppercase()
        );
    }
    let _ = writeln!(h, "#define {up}_ENTITIES {}", schema.entities.len());
    let _ = writeln!(h, "\n/* ---- Input columns (bylaw_input.name) ---- */");
    let mut slot = 0;
    for e in &schema.entities {
        for f in &e.fields {
            let _ = writeln!(
                h,
                "#define {up}_COL_{}_{} \"{}\" /* {} */",
                c_name(&e.name).to_uppercase(),
                c_name(&f.name).to_uppercase(),
                keys::column_name(e, &f.name),
                column_c(&f.ty)
            );
            slot += 1;
        }
    }
    let _ = writeln!(
        h,
        "#define {up}_COLUMNS {slot} /* at most this many inputs */"
    );
    let _ = writeln!(
        h,
        "\n/* ---- Relations (indexes into bylaw_batch.offsets) ---- */"
    );
    let mut rel = 0;
    for e in &schema.entities {
        for r in &e.relations {
            let child = schema.entity(r.child).map_or("?", |c| c.name.as_str());
            let _ = writeln!(
                h,
                "#define {up}_REL_{}_{} {rel} /* {} -> {child} */",
                c_name(&e.name).to_uppercase(),
                c_name(&r.name).to_uppercase(),
                e.name
            );
            rel += 1;
        }
    }
    let _ = writeln!(h, "#define {up}_RELATIONS {rel}");
    let _ = writeln!(
        h,
        "\n/* ---- Outputs (indexes into `outputs` and `values`) ---- */"
    );
    for (k, d) in program.outputs.iter().enumerate() {
        let def = program.def(*d);
        let _ = writeln!(
            h,
            "#define {up}_OUT_{} {k} /* {} */",
            c_name(&def.name).to_uppercase(),
            output_c(def.ty)
        );
    }
    let _ = writeln!(h, "#define {up}_OUTPUTS {}", program.outputs.len());
    let mut enums: Vec<&std::sync::Arc<bylaw_runtime::schema::EnumSchema>> = Vec::new();
    for f in schema.entities.iter().flat_map(|e| &e.fields) {
        if let ColumnType::Enum(en) = &f.ty
            && !enums.iter().any(|x| x.name == en.name)
        {
            enums.push(en);
        }
    }
    if !enums.is_empty() {
        let _ = writeln!(
            h,
            "\n/* ---- Enumeration variants: keys for inputs (outputs are indexes) ---- */"
        );
        for en in enums {
            let keys = keys::variant_keys(en).unwrap_or_default();
            let by = if keys::keyed_by_code(en) {
                "GB/T 2260 or declared code"
            } else {
                "FNV-1a hash of the name"
            };
            let _ = writeln!(h, "/* {}: keyed by {by} */", en.name);
            for (i, v) in en.variants.iter().enumerate() {
                let _ = writeln!(
                    h,
                    "#define {up}_V_{}_{} {}u /* index {i} */",
                    c_name(&en.name).to_uppercase(),
                    c_name(&v.name).to_uppercase(),
                    keys.get(i).copied().unwrap_or(0)
                );
            }
        }
    }
    let _ = writeln!(h, "\n/* ---- Definitions (bylaw_error_record.def) ----");
    for (i, d) in program.defs.iter().enumerate() {
        let _ = writeln!(h, " * {i:>3} {}", d.name);
    }
    let _ = writeln!(h, " */");
    let _ = writeln!(
        h,
        r#"
/* Evaluates root rows [start, end) of `batch`. Output k of row start+i is written to
 * element i of outputs[k], an array of end-start elements of the output's C type
 * (above); the row's BYLAW_ERR_* code to errors[i] (end-start bytes). If `failures`
 * is not NULL it receives one record per failed row, in row order (room for end-start
 * records), and *failure_count their number. A failed row's outputs are unspecified.
 * The batch is checked first; on a status other than BYLAW_OK nothing is written. */
int32_t {prefix}_eval_batch(const bylaw_batch *batch, uint64_t start, uint64_t end,
                            void *const *outputs, uint8_t *errors,
                            bylaw_failed_row *failures, uint64_t *failure_count);

/* Evaluates root row `row`: every output widened to int64_t into values[0 ..
 * {up}_OUTPUTS-1], and its error into *error (kind BYLAW_ERR_NONE when every output
 * was computed). */
int32_t {prefix}_eval_one(const bylaw_batch *batch, uint64_t row, int64_t *values,
                          bylaw_error_record *error);

/* Writes what this library is into *info: its ABI version (always), its policy's name,
 * evaluation date and source hash. Returns BYLAW_OK, or BYLAW_E_ABI when the library
 * was built for another ABI version than its runtime's (only info->abi is written). */
int32_t {prefix}_policy_info(bylaw_policy_info *info);

#ifdef __cplusplus
}}
#endif

#endif /* {up}_H */"#
    );
    h
}
