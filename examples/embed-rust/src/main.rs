//! Embeds the dibao policy compiled by `bylaw build --emit cdylib` in a Rust program:
//! loads the library, gives it three households as columns, evaluates them as one
//! batch, prints each household's results, and shows that a broken batch is refused
//! before any compiled code runs. Money is `i64` in 0.0001 元, so 1338 元 is 13380000.
//!
//! The program depends on the runtime crate alone (no compiler inside). Columns are
//! given by name and regions by GB/T 2260 code, as in the generated
//! `bylaw_guangdong_dibao.h`; ages in years, as the policy declares them.

use std::path::Path;
use std::process::ExitCode;

use bylaw_runtime_core::date::format_date;
use bylaw_runtime_core::native::layout::OutputColumn;
use bylaw_runtime_core::native::library::{Library, Refused};

/// Column names, relation slots, outputs and variant keys, from
/// `bylaw_guangdong_dibao.h`.
mod header {
    pub const ENTITY_HOUSEHOLD: usize = 0;
    pub const ENTITY_PERSON: usize = 1;
    pub const COL_HOUSEHOLD_CITY: &str = "household.city";
    pub const COL_HOUSEHOLD_HUKOU: &str = "household.hukou";
    pub const COL_HOUSEHOLD_RESIDENCE: &str = "household.residence";
    pub const COL_HOUSEHOLD_MONTHS_AWAY: &str = "household.months_away";
    pub const COL_HOUSEHOLD_DIBAO_ELSEWHERE: &str = "household.dibao_elsewhere";
    pub const COL_HOUSEHOLD_LARGE_FINANCIAL_ASSETS: &str = "household.large_financial_assets";
    pub const COL_HOUSEHOLD_CAR_TRANSACTION: &str = "household.car_transaction";
    pub const COL_HOUSEHOLD_HOUSE_TRANSACTION: &str = "household.house_transaction";
    pub const COL_PERSON_INCOME: &str = "person.income";
    pub const COL_PERSON_AGE: &str = "person.age";
    pub const COL_PERSON_DISABLED: &str = "person.disabled";
    pub const REL_HOUSEHOLD_MEMBERS: usize = 0;
    pub const OUT_PER_CAPITA_INCOME: usize = 3;
    pub const OUT_ELIGIBLE: usize = 7;
    pub const OUT_BENEFIT: usize = 8;
    /// GB/T 2260 codes.
    pub const V_REGION_GUANGZHOU: u32 = 440_100;
    pub const V_REGION_SHENZHEN: u32 = 440_300;
    /// Hashes of the variants' names (the enumeration declares no codes).
    pub const V_HUKOU_TYPE_LOCAL: u32 = 2_621_662_984;
    pub const V_HUKOU_TYPE_OTHER_CITY: u32 = 3_422_202_489;
}
use header::*;

/// The households, as columns; household 0 has two members, 1 and 2 one each.
struct Households {
    city: Vec<u32>,
    hukou: Vec<u32>,
    residence: Vec<i64>,
    months_away: Vec<i64>,
    elsewhere: Vec<u8>,
    assets: Vec<u8>,
    car: Vec<u8>,
    house: Vec<u8>,
    income: Vec<i64>,
    age: Vec<i64>,
    disabled: Vec<u8>,
    members: Vec<u32>,
}

fn households() -> Households {
    Households {
        city: vec![V_REGION_GUANGZHOU, V_REGION_SHENZHEN, V_REGION_GUANGZHOU],
        hukou: vec![
            V_HUKOU_TYPE_LOCAL,
            V_HUKOU_TYPE_LOCAL,
            V_HUKOU_TYPE_OTHER_CITY,
        ],
        residence: vec![24, 36, 12],
        months_away: vec![0, 0, 0],
        elsewhere: vec![0, 0, 0],
        assets: vec![0, 0, 0],
        car: vec![0, 1, 0],
        house: vec![0, 0, 0],
        income: vec![8_000_000, 10_000_000, 5_000_000, 13_380_100],
        age: vec![40, 38, 70, 30],
        disabled: vec![0, 0, 1, 0],
        members: vec![0, 2, 3, 4],
    }
}

/// Evaluates `h` with `library`: per household its per-capita income, eligibility and
/// benefit, or its error code.
fn evaluate(library: &Library, h: &Households) -> Result<Vec<String>, Refused> {
    let rows = [h.city.len() as u64, h.income.len() as u64];
    debug_assert_eq!(rows.len(), ENTITY_PERSON + 1);
    let mut input = library.input(&rows);
    input
        .keys(COL_HOUSEHOLD_CITY, &h.city)?
        .keys(COL_HOUSEHOLD_HUKOU, &h.hukou)?
        .int(COL_HOUSEHOLD_RESIDENCE, &h.residence)?
        .int(COL_HOUSEHOLD_MONTHS_AWAY, &h.months_away)?
        .bool(COL_HOUSEHOLD_DIBAO_ELSEWHERE, &h.elsewhere)?
        .bool(COL_HOUSEHOLD_LARGE_FINANCIAL_ASSETS, &h.assets)?
        .bool(COL_HOUSEHOLD_CAR_TRANSACTION, &h.car)?
        .bool(COL_HOUSEHOLD_HOUSE_TRANSACTION, &h.house)?
        .int(COL_PERSON_INCOME, &h.income)?
        .int(COL_PERSON_AGE, &h.age)?
        .bool(COL_PERSON_DISABLED, &h.disabled)?
        .offsets(REL_HOUSEHOLD_MEMBERS, &h.members)?;
    // The whole batch is checked once (names, lengths, offsets, booleans, keys).
    let batch = library.check(input)?;
    let (mut outputs, mut errors, mut failures) = (Vec::new(), Vec::new(), Vec::new());
    batch.eval(
        0..rows[ENTITY_HOUSEHOLD],
        &mut outputs,
        &mut errors,
        &mut failures,
    )?;
    let get = |k: usize, i: usize| outputs.get(k).and_then(|c: &OutputColumn| c.get(i));
    Ok((0..errors.len())
        .map(|i| match (errors[i], get(OUT_PER_CAPITA_INCOME, i), get(OUT_ELIGIBLE, i), get(OUT_BENEFIT, i)) {
            (0, Some(per_capita), Some(eligible), Some(benefit)) => format!(
                "household {i}: per-capita income {}.{:04} yuan, eligible {}, benefit {}.{:02} yuan",
                per_capita / 10_000,
                per_capita % 10_000,
                if eligible != 0 { "yes" } else { "no" },
                benefit / 10_000,
                benefit % 10_000 / 100
            ),
            (code, ..) => format!("household {i}: error {code}"),
        })
        .collect())
}

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!(
            "usage: embed-rust LIBRARY  (libbylaw_guangdong_dibao.so from `bylaw build --emit cdylib`)"
        );
        return ExitCode::from(2);
    };
    // SAFETY: the library is the one `bylaw build` wrote for the bundled dibao policy.
    #[allow(unsafe_code, reason = "loading a native library is unsafe in Rust")]
    let library = match unsafe { Library::open(Path::new(&path), "guangdong_dibao") } {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let hash: String = library
        .source_hash()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    println!(
        "policy {} for {}, ABI {}, sources sha256 {hash}",
        library.policy_name(),
        format_date(library.date()),
        library.abi_version()
    );
    let mut h = households();
    match evaluate(&library, &h) {
        Ok(lines) => lines.iter().for_each(|l| println!("{l}")),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    }
    // A city given by an unknown code, and offsets past the members, are refused
    // before any compiled code runs.
    h.city[1] = 4403;
    let unknown = evaluate(&library, &h);
    h.city[1] = V_REGION_SHENZHEN;
    h.members[3] = 99;
    let broken = evaluate(&library, &h);
    match (unknown, broken) {
        (Err(Refused::Batch), Err(Refused::Batch)) => {
            println!(
                "unknown region code, broken offsets: refused ({})",
                Refused::Batch
            );
            ExitCode::SUCCESS
        }
        other => {
            eprintln!("error: a broken batch was not refused: {other:?}");
            ExitCode::FAILURE
        }
    }
}
