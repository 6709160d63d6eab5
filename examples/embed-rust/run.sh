#!/usr/bin/env bash
# Builds the bundled dibao policy as a shared library with `bylaw build`, then runs the
# Rust program that loads it (`cargo run -p bylaw-embed-rust`).
# Needs `bylaw` and `libbylaw_runtime_c.a` side by side (default: the debug directory of
# CARGO_TARGET_DIR or target/, made by `cargo build -p bylaw-cli -p bylaw-runtime-c`);
# BYLAW overrides the executable.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
target="${CARGO_TARGET_DIR:-$root/target}"
bylaw="${BYLAW:-$target/debug/bylaw}"
out="${OUT:-$target/embed-rust}"
"$bylaw" build "$root/policies/guangdong/dibao.bylaw" --date 2024-01-01 --emit cdylib -o "$out"
lib="$out/libbylaw_guangdong_dibao.so"
if [[ "$(uname)" == Darwin ]]; then lib="$out/libbylaw_guangdong_dibao.dylib"; fi
cargo run --quiet --locked -p bylaw-embed-rust -- "$lib"
