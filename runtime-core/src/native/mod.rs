//! The native ABI, owned by the runtime so that a compiled checker links against the
//! runtime alone: the `#[repr(C)]` view of a batch and the kernel context
//! ([`layout`]), the arithmetic helpers compiled code calls ([`helpers`]), and a
//! compiled policy's descriptor with the C entry points that check a batch and run
//! the kernel ([`policy`]), and the same for Rust programs that load a compiled
//! library ([`library`]). The only module of the runtime with `unsafe` code, each
//! block with a `// SAFETY:` note.
#![allow(
    unsafe_code,
    reason = "the C ABI: raw views from C, calling compiled kernels, exported symbols"
)]

pub mod helpers;
pub mod keys;
pub mod layout;
pub mod library;
pub mod policy;
