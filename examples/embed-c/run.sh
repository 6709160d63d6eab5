#!/usr/bin/env bash
# Builds the bundled dibao policy as a static library with `bylaw build`, compiles
# main.c against it with the system C compiler, and runs it.
# Needs `bylaw` and `libbylaw_runtime_c.a` side by side (default: the debug directory of
# CARGO_TARGET_DIR or target/, made by `cargo build -p bylaw-cli -p bylaw-runtime-c`);
# BYLAW overrides the executable.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
target="${CARGO_TARGET_DIR:-$root/target}"
bylaw="${BYLAW:-$target/debug/bylaw}"
out="${OUT:-$target/embed-c}"
"$bylaw" build "$root/policies/guangdong/dibao.bylaw" --date 2024-01-01 --emit staticlib -o "$out"
"${CC:-cc}" -std=c11 -Wall -Wextra -Werror -I "$out" "$here/main.c" \
  "$out/libbylaw_guangdong_dibao.a" "$out/libbylaw_runtime_c.a" -lpthread -ldl -lm -o "$out/embed-c" 2> >(grep -v "bfd plugin" >&2)
"$out/embed-c"
