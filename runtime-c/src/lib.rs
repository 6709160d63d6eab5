//! `libbylaw_runtime_c.a`: the runtime's C entry points (`bylaw_rt_eval_batch`,
//! `bylaw_rt_eval_one`) and everything they need, archived for C linkers. `bylaw build
//! --emit staticlib|cdylib` links a compiled policy against it. Kept out of the
//! workspace's default members so that ordinary builds and tests never archive it.

pub use bylaw_runtime_core::native::policy::{bylaw_rt_eval_batch, bylaw_rt_eval_one};
