//! `bylaw synth --comply POLICY`: a deterministic, clearly synthetic register (stations,
//! persons) and service log for a service policy, at any size. Stations, persons and
//! their flags are drawn from a seeded `ChaCha8Rng`; each log row goes to a random person
//! and names a service of the policy that person is eligible for (groups are evaluated
//! with the interpreter), on a day of the period. A few rows per thousand are made wrong
//! on purpose (a day outside the period, an unknown code, an unknown person, a repeated
//! row), so that a run shows how each is reported. The distributions are illustrative,
//! not calibrated to any statistics.

use std::io;
use std::path::Path;

use bylaw_compiler::interp::Evaluator;
use bylaw_compiler::ir::{Program, Value};
use bylaw_runtime::date::format_date;
use bylaw_runtime::output::Staged;
use bylaw_runtime::period::Period;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What to generate.
#[derive(Debug, Clone)]
pub struct LogConfig {
    pub persons: usize,
    pub log_rows: usize,
    pub seed: u64,
    pub period: Period,
}

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogSummary {
    pub stations: usize,
    pub persons: usize,
    pub log_rows: usize,
}

const STATIONS_HEADER: &str = "id,region,full_time_workers,certified_workers,professional_workers,volunteers,operator_from_outside,operator_rated_3a,local_recruits,villages,is_branch,heads,honorary_heads,members,has_site,has_equipment,has_staff,has_services,has_functions,has_workflow,has_rules,has_activities\n";
const PERSONS_HEADER: &str = "station_id,id,dibao,tekun,disabled,elderly,empty_nest,living_alone,left_behind,child_in_distress,key_person,help_requested,help_requested_on\n";
const REGIONS: &[&str] = &[
    "synthetic_east",
    "synthetic_west",
    "synthetic_north",
    "synthetic_south",
];

fn flag(rng: &mut ChaCha8Rng, per_mille: u32) -> bool {
    rng.random_range(0..1000) < per_mille
}

fn b(x: bool) -> &'static str {
    if x { "true" } else { "false" }
}

/// Writes `stations.csv` and `persons.csv` (the register of `policies/services/register.bylaw`).
fn write_register(
    config: &LogConfig,
    rng: &mut ChaCha8Rng,
    staged: &mut Staged,
) -> io::Result<usize> {
    let stations = config.persons.div_ceil(100).max(1);
    let mut text = String::from(STATIONS_HEADER);
    for s in 0..stations {
        let full_time = rng.random_range(4..=8u32);
        let certified = rng.random_range(2..=full_time);
        let professional = rng.random_range(1..=full_time);
        let volunteers = full_time * 5 - rng.random_range(0..=3u32);
        let outside = flag(rng, 300);
        let haves: Vec<bool> = (0..8).map(|_| flag(rng, 930)).collect();
        let branch = flag(rng, 200);
        let members = if branch {
            rng.random_range(4..=11u32)
        } else {
            rng.random_range(15..=25u32)
        };
        text.push_str(&format!(
            "S{s:05},{},{full_time},{certified},{professional},{volunteers},{},{},{},{},{},1,{},{members},{}\n",
            REGIONS.get(s % REGIONS.len()).copied().unwrap_or("synthetic"),
            b(outside),
            b(outside && flag(rng, 800)),
            rng.random_range(1..=4u32),
            rng.random_range(3..=8u32),
            b(branch),
            u32::from(flag(rng, 950)),
            haves.iter().map(|h| b(*h)).collect::<Vec<_>>().join(",")
        ));
    }
    staged.write("stations.csv", |w| w.write_all(text.as_bytes()))?;
    let days = u32::try_from(config.period.end - config.period.start + 1).unwrap_or(1);
    staged.write("persons.csv", |w| {
        w.write_all(PERSONS_HEADER.as_bytes())?;
        for p in 0..config.persons {
            let elderly = flag(rng, 350);
            let requested = flag(rng, 60);
            let asked = config.period.start + i32::try_from(rng.random_range(0..days)).unwrap_or(0);
            writeln!(
                w,
                "S{:05},P{p:07},{},{},{},{},{},{},{},{},{},{},{}",
                p / 100,
                b(flag(rng, 250)),
                b(flag(rng, 60)),
                b(flag(rng, 150)),
                b(elderly),
                b(elderly && flag(rng, 400)),
                b(elderly && flag(rng, 200)),
                b(flag(rng, 100)),
                b(!elderly && flag(rng, 60)),
                b(flag(rng, 200)),
                b(requested),
                if requested {
                    format_date(asked)
                } else {
                    String::new()
                }
            )?;
        }
        Ok(())
    })?;
    Ok(stations)
}

/// Writes the register and `log.csv` for `program` (a service policy over the register).
pub fn write_comply(
    program: &Program,
    config: &LogConfig,
    dir: &Path,
) -> Result<LogSummary, String> {
    // The three files replace earlier ones only once all are written.
    let mut staged = Staged::new(dir).map_err(|e| e.to_string())?;
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let stations = write_register(config, &mut rng, &mut staged).map_err(|e| e.to_string())?;
    let batch = bylaw_runtime::input::read_csv(
        &program.schema,
        &staged.path("stations.csv"),
        &[("persons".into(), staged.path("persons.csv"))],
    )
    .map_err(|e| format!("the generated register does not fit the policy's schema ({} errors); use a policy that uses policies/services/register.bylaw", e.total()))?;
    let spec = &program.comply;
    let person = program
        .schema
        .entity_id("person")
        .ok_or("the policy has no `person` entity")?;
    let root = program.schema.root;
    let ev = Evaluator::new(program, config.period.start);
    // Per person, the services they may receive (a service without groups: anyone).
    let n = batch.entities.get(person.0 as usize).map_or(0, |r| r.len);
    let offsets = batch
        .entities
        .get(root.0 as usize)
        .and_then(|r| r.children.first())
        .cloned()
        .unwrap_or_default();
    let mut station_of = vec![0usize; n];
    for s in 0..batch.root_len() {
        for p in offsets.range(s) {
            if let Some(x) = station_of.get_mut(p) {
                *x = s;
            }
        }
    }
    let mut eligible: Vec<Vec<u16>> = Vec::with_capacity(n);
    for (p, station) in station_of.iter().enumerate() {
        let frame = [(root, *station), (person, p)];
        let mut mine = Vec::new();
        for (i, s) in spec.services.iter().enumerate() {
            let ok = s.groups.is_empty()
                || s.groups
                    .iter()
                    .any(|d| matches!(ev.eval_def_in(&batch, &frame, *d), Ok(Value::Bool(true))));
            if ok {
                mine.push(u16::try_from(i).unwrap_or(0));
            }
        }
        eligible.push(mine);
    }
    let days = u32::try_from(config.period.end - config.period.start + 1).unwrap_or(1);
    let keys = batch
        .entities
        .get(person.0 as usize)
        .map(|r| r.keys.clone())
        .unwrap_or_default();
    let station_keys = batch
        .entities
        .get(root.0 as usize)
        .map(|r| r.keys.clone())
        .unwrap_or_default();
    let mut written = 0;
    staged
        .write("log.csv", |w| {
            w.write_all(b"person,station,service,date,worker\n")?;
            let mut previous = String::new();
            // Nobody eligible for anything: an empty log rather than an endless search.
            let anyone = eligible.iter().any(|c| !c.is_empty());
            while written < config.log_rows && anyone {
                let p = rng.random_range(0..n);
                let Some(choices) = eligible.get(p).filter(|c| !c.is_empty()) else {
                    continue;
                };
                let svc = choices
                    .get(rng.random_range(0..choices.len()))
                    .copied()
                    .unwrap_or(0);
                let mut code = spec
                    .services
                    .get(svc as usize)
                    .map_or("", |s| s.code.as_str())
                    .to_string();
                let mut day =
                    config.period.start + i32::try_from(rng.random_range(0..days)).unwrap_or(0);
                let mut who = keys.get(p).cloned().unwrap_or_default();
                let station = station_of
                    .get(p)
                    .and_then(|s| station_keys.get(*s))
                    .cloned()
                    .unwrap_or_default();
                // A few wrong rows on purpose, each kind about 1 in 1000.
                match rng.random_range(0..1000) {
                    0 => day = config.period.end + 1,
                    1 => code = "XX-00".into(),
                    2 => who = "P-UNKNOWN".into(),
                    3 if !previous.is_empty() => {
                        w.write_all(previous.as_bytes())?;
                        written += 1;
                        continue;
                    }
                    _ => {}
                }
                let line = format!(
                    "{who},{station},{code},{},W{:04}\n",
                    format_date(day),
                    rng.random_range(0..(stations * 6).max(1))
                );
                w.write_all(line.as_bytes())?;
                previous = line;
                written += 1;
            }
            Ok(())
        })
        .map_err(|e| e.to_string())?;
    staged.commit().map_err(|e| e.to_string())?;
    Ok(LogSummary {
        stations,
        persons: config.persons,
        log_rows: written,
    })
}
