//! Moved to the engine (`bylaw_engine::report::html`); empty until `main.rs` drops
//! this module.
