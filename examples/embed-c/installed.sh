#!/usr/bin/env bash
# Installs `bylaw` with `cargo install --path cli` into an empty temporary prefix and runs
# the C example against the installed binary alone: `bylaw build --emit staticlib` must
# take the runtime archive built into the binary, with nothing beside it.
# By default the install is a debug build sharing the workspace's target directory
# (CARGO_TARGET_DIR or target/), so after `cargo build -p bylaw-cli` it only copies the
# binary; INSTALL_FLAGS replaces `--debug` (e.g. INSTALL_FLAGS= for a release build).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
prefix="$(mktemp -d)"
trap 'rm -rf "$prefix"' EXIT
# shellcheck disable=SC2086 # INSTALL_FLAGS is a list of flags
cargo install --quiet --locked ${INSTALL_FLAGS---debug} --path "$root/cli" \
  --root "$prefix" --target-dir "$target"
ls "$prefix/bin"
if ls "$prefix/bin" | grep -qv '^bylaw$'; then
  echo "error: the install wrote more than the bylaw binary" >&2
  exit 1
fi
BYLAW="$prefix/bin/bylaw" OUT="$prefix/embed-c" bash "$here/run.sh"
"$prefix/bin/bylaw" build "$root/policies/guangdong/dibao.bylaw" --date 2024-01-01 \
  --emit cdylib -o "$prefix/cdylib"
ls "$prefix/cdylib"/libbylaw_guangdong_dibao.*
