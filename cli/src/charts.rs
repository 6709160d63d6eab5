//! Moved to the engine (`bylaw_engine::report::charts`); empty until `main.rs` drops
//! this module.
