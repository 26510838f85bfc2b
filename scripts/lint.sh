#!/usr/bin/env bash
# The checks a Rust project runs before pushing (as eframe_template's check.sh):
# formatting, clippy with warnings denied (natively for every crate and target,
# and for wasm32 on the web crate), and the docs with warnings denied.
# `scripts/test.sh lint` runs it; so does the default test command.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
run() {
    printf '$ %s\n' "$*"
    "$@"
}
run cargo fmt --all -- --check
run cargo clippy --workspace --all-targets -- -D warnings
run cargo clippy --target wasm32-unknown-unknown -p cachesim-web --all-targets -- -D warnings
RUSTDOCFLAGS="-D warnings" run cargo doc --no-deps --workspace --quiet
echo "lint: formatting, clippy (native and wasm32) and docs are clean"
