//! Workloads and measurements for Bylaw: deterministic synthetic populations
//! ([`synth`]), the dibao policy written by hand in Rust ([`hand_dibao`], the baseline
//! for native code), and the timing harness behind `bylaw bench` and `cargo bench`
//! ([`measure`]).

pub mod hand_dibao;
pub mod measure;
pub mod synth;
