//! The fuzz targets' checks (`bylaw_tests::fuzz`) replayed: every input a fuzzer once
//! failed on, kept in `fuzz/regressions/<target>/`, and the seeds the corpora start
//! from (the bundled policies, the malformed-data fixtures, the example service log).
//! CI replays; it does not fuzz (see `fuzz/README.md`).

use std::path::{Path, PathBuf};

use bylaw_tests::fuzz::{self, DataKind};

const TARGETS: [&str; 6] = [
    "policy_text",
    "data_csv",
    "data_json",
    "data_parquet",
    "service_log",
    "abi_batch",
];

fn check(target: &str, data: &[u8]) {
    match target {
        "policy_text" => fuzz::policy_text(data),
        "data_csv" => {
            fuzz::data(DataKind::Csv, data);
        }
        "data_json" => {
            fuzz::data(DataKind::Json, data);
        }
        "data_parquet" => {
            fuzz::data(DataKind::Parquet, data);
        }
        "service_log" => fuzz::service_log(data),
        "abi_batch" => fuzz::abi::abi_batch(data),
        other => panic!("no fuzz target `{other}`"),
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

#[test]
fn every_input_a_fuzzer_failed_on_passes() {
    let root = Path::new("../fuzz/regressions");
    assert!(root.is_dir(), "{} is missing", root.display());
    for entry in std::fs::read_dir(root).unwrap().flatten() {
        if !entry.path().is_dir() {
            continue;
        }
        let target = entry.file_name().to_string_lossy().to_string();
        assert!(
            TARGETS.contains(&target.as_str()),
            "unknown target directory {target}"
        );
        for file in files_under(&entry.path()) {
            check(&target, &std::fs::read(&file).unwrap());
        }
    }
}

#[test]
fn the_bundled_policies_pass_the_policy_target() {
    let mut n = 0;
    for dir in std::fs::read_dir("../policies").unwrap().flatten() {
        for file in files_under(&dir.path()) {
            if file.extension().is_some_and(|e| e == "bylaw") {
                fuzz::policy_text(&std::fs::read(&file).unwrap());
                n += 1;
            }
        }
    }
    assert!(n > 30, "{n} policies");
}

#[test]
fn the_malformed_data_fixtures_pass_the_data_targets() {
    for case in std::fs::read_dir("data-errors").unwrap().flatten() {
        let dir = case.path();
        let json = dir.join("households.json");
        if json.exists() {
            assert!(!fuzz::data(DataKind::Json, &std::fs::read(&json).unwrap()));
            continue;
        }
        let mut bytes = std::fs::read(dir.join("households.csv")).unwrap_or_default();
        if let Ok(members) = std::fs::read(dir.join("members.csv")) {
            bytes.push(0);
            bytes.extend(members);
        }
        assert!(!fuzz::data(DataKind::Csv, &bytes), "{}", dir.display());
    }
    fuzz::service_log(&std::fs::read("../examples/comply/log.csv").unwrap());
}

/// The C entry point on well-formed and malformed batches (the fuzzer's seeds).
#[test]
fn the_abi_target_runs_on_its_seeds() {
    for seed in 0u8..=255 {
        let bytes: Vec<u8> = (0..512u32)
            .map(|i| (i as u8).wrapping_mul(seed).wrapping_add(seed ^ 0x5a))
            .collect();
        fuzz::abi::abi_batch(&bytes);
    }
}

/// Good data through the data targets: the native (streamed) and interpreted outputs
/// are compared byte for byte, in CSV and in JSON.
#[test]
fn good_data_passes_the_data_targets() {
    let households = "id,city,hukou,residence,months_away,dibao_elsewhere,large_financial_assets,car_transaction,house_transaction\n\
        h1,maoming,local,19,0,false,false,false,false\n\
        h2,chaozhou,local,11,7,false,true,false,false\n\
        h3,yunfu,other_city,8,0,false,false,false,false\n\
        h4,guangzhou,local,64,0,false,false,false,false\n\
        h5,shantou,local,79,0,false,false,false,false\n";
    let members = "household_id,income,age,disabled\n\
        h1,580.99,32,false\nh2,1223.03,36,false\nh2,0.00,32,false\nh3,0.00,36,false\n\
        h4,4567.26,50,false\nh4,0.00,22,true\nh5,0.00,68,true\n";
    let mut csv = households.as_bytes().to_vec();
    csv.push(0);
    csv.extend(members.as_bytes());
    assert!(fuzz::data(DataKind::Csv, &csv));
    let json = r#"[{"id": "h1", "city": "maoming", "hukou": "local", "residence": 19,
        "months_away": 0, "dibao_elsewhere": false, "large_financial_assets": false,
        "car_transaction": false, "house_transaction": false,
        "members": [{"income": 580.99, "age": 32, "disabled": false}]}]"#;
    assert!(fuzz::data(DataKind::Json, json.as_bytes()));
}
