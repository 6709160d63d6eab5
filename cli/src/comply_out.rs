//! Moved to the engine (`bylaw_engine::comply::write_reports`); empty until `main.rs`
//! drops this module.
