#!/usr/bin/env bash
# Builds the docs site into dist-docs/: the book (docs/, mdBook) at the root
# and the release app under dist-docs/app/, which every chapter embeds.
#
#   1. scripts/setup.sh docs       installs what is missing (trunk, wasm-bindgen-cli, mdbook, node)
#   2. the runs of docs/runs.txt   `cachesim run ... --format json` and `--format csv`, and
#                                  `cachesim scenario ...`, into target/docs-sim/
#   3. mdbook build docs           its preprocessor (docs/sim-values.mjs) puts the runs'
#                                  numbers into the chapters' {{sim:...}} placeholders and
#                                  fails the build on any that does not resolve
#   4. trunk build --release       the app, with relative asset URLs (--public-url ./),
#                                  into target/docs-app/, then copied to dist-docs/app/
#
# Usage: ./scripts/docs.sh [--no-setup]
#   --no-setup      skip step 1 (scripts/test.sh runs setup itself)
# Then `./scripts/serve.sh --docs` serves it (or any static file server).

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/setup.sh
source "$ROOT/scripts/setup.sh"

SETUP=1
for arg in "$@"; do
    case "$arg" in
        --no-setup) SETUP=0 ;;
        -h | --help)
            sed -n '2,/^$/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
            exit 0
            ;;
        *)
            printf "docs.sh: unknown argument '%s' (try --help)\n" "$arg" >&2
            exit 2
            ;;
    esac
done

say() { printf '[docs] %s\n' "$*"; }

if [[ $SETUP -eq 1 ]]; then
    bash "$ROOT/scripts/setup.sh" docs
fi

OUT="$ROOT/dist-docs"
SIM_DIR="$ROOT/target/docs-sim"
APP_DIR="$ROOT/target/docs-app"

# ----- 2. the simulator runs ---------------------------------------------------
say "building the CLI (cargo build --release -p cachesim-cli)"
cargo build --release -q -p cachesim-cli
CLI="${CARGO_TARGET_DIR:-$ROOT/target}/release/cachesim"
[[ -x "$CLI" ]] || { say "ERROR: no CLI at $CLI after building it" >&2; exit 1; }

rm -rf "$SIM_DIR"
mkdir -p "$SIM_DIR"
runs=0
while read -r name rest; do
    [[ -z "$name" || "$name" == \#* ]] && continue
    read -ra args <<<"$rest"
    # `cachesim scenario` takes the same --preset, --seed and --set flags, not --seconds
    scen=()
    for ((i = 0; i < ${#args[@]}; i++)); do
        case "${args[i]}" in
            --seconds) i=$((i + 1)) ;;
            *) scen+=("${args[i]}") ;;
        esac
    done
    say "run $name: cachesim run ${args[*]}"
    "$CLI" run "${args[@]}" --format json >"$SIM_DIR/$name.json"
    "$CLI" run "${args[@]}" --format csv >"$SIM_DIR/$name.csv"
    "$CLI" scenario "${scen[@]}" >"$SIM_DIR/$name.scenario.json"
    runs=$((runs + 1))
done <"$ROOT/docs/runs.txt"
say "$runs runs in ${SIM_DIR#"$ROOT"/}"

# ----- 3. the book ---------------------------------------------------------------
say "mdbook build docs"
# from the book's folder: mdBook runs the preprocessor's command in the current
# directory, and a preprocessor that cannot start is skipped with a mere warning
(cd "$ROOT/docs" && CACHESIM_SIM_DIR="$SIM_DIR" mdbook build)
# so check the result too: not one placeholder may be left in the pages
if left="$(grep -l '{{ *sim' "$ROOT"/docs/book/*.html)"; then
    say "ERROR: placeholders left unreplaced (did the sim-values preprocessor run?) in:" >&2
    printf '  %s\n' $left >&2
    exit 1
fi

# ----- 4. the app ------------------------------------------------------------------
use_npm_wasm_opt
say "trunk build --release --public-url ./ (the app, into ${APP_DIR#"$ROOT"/})"
trunk build --release --public-url ./ --dist "$APP_DIR"
if grep -qE '(src|href)="/[^/]' "$APP_DIR/index.html"; then
    say "ERROR: $APP_DIR/index.html still has root-relative asset URLs; they would break under /app/" >&2
    exit 1
fi

rm -rf "$OUT"
cp -R "$ROOT/docs/book" "$OUT"
cp -R "$APP_DIR" "$OUT/app"
say "done: ${OUT#"$ROOT"/}/ ($(find "$OUT" -type f | wc -l) files); serve it with ./scripts/serve.sh --docs"
