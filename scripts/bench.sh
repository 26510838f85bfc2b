#!/usr/bin/env bash
# Prints cachesim's speed (numbers only; nothing here asserts a speed):
#
#   native  cargo bench -p cachesim-core --bench throughput   (one core)
#   wasm    the same cases in wasm32 in headless Chromium, and the page's
#           fast-forward (60 s of steady at 10K RPS)
#   ratio   wasm / native per case, from this run
#   page    frame interval (the frames' own timestamps; the share of missed
#           frames; the callback-start interval apart) and main-thread busy
#           time per frame, in the callback and with the frame's rendering
#           (median, p95), over 600 frames at 10K RPS and at the page's
#           maximum, at 1x, after an empty page's (the browser's floor);
#           the wasm bundle's size, raw and gzipped (-9)
#   simpy   the same V0 system written in SimPy (bench/simpy_v0.py), and
#           cachesim / SimPy
#
# Usage: ./scripts/bench.sh [native|wasm|page|simpy...]   default: all.
# Installs what is missing first (scripts/setup.sh; a venv in bench/.venv for SimPy).

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/setup.sh
source "$ROOT/scripts/setup.sh"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
STAGES=("$@")
all() { [[ ${#STAGES[@]} -eq 0 ]]; }
has() { all || [[ " ${STAGES[*]} " == *" $1 "* ]]; }

printf 'machine: %s, %s cores; %s\n' "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)" "$(nproc)" "$(date -u +%F)"
bash "$ROOT/scripts/setup.sh" all >/dev/null

if has native || has wasm || has simpy; then
    cargo bench -q -p cachesim-core --bench throughput 2>/dev/null | tee "$OUT/native.txt"
fi
if has wasm; then
    cargo test --release --target wasm32-unknown-unknown -p cachesim-core --test wasm_bench -- --nocapture 2>&1 |
        grep '^wasm ' | tee "$OUT/wasm.txt"
    # wasm / native, case by case (same order)
    paste -d'|' "$OUT/native.txt" <(grep -v fast-forward "$OUT/wasm.txt") | awk -F'|' '{
        n = $1; w = $2
        match(n, /[0-9.]+ M simulated/); nr = substr(n, RSTART, RLENGTH) + 0
        match(w, /[0-9.]+ M simulated/); wr = substr(w, RSTART, RLENGTH) + 0
        printf "ratio   %s  wasm/native %.2f\n", substr(n, 9, 45), (nr > 0 ? wr / nr : 0)
    }'
fi
if has page; then
    npm ci --no-audit --no-fund --silent
    use_npm_wasm_opt
    trunk build --release >/dev/null 2>&1
    CACHESIM_E2E_NO_BUILD=1 node scripts/bench-page.mjs
fi
if has simpy; then
    if [[ ! -x bench/.venv/bin/python ]]; then
        python3 -m venv bench/.venv
    fi
    bench/.venv/bin/pip install -q -r bench/requirements.txt
    bench/.venv/bin/python bench/simpy_v0.py 10000 10 | tee "$OUT/simpy.txt"
    ours=$(awk '/steady +10000 RPS/ { match($0, /[0-9.]+ M simulated/); print substr($0, RSTART, RLENGTH) + 0; exit }' "$OUT/native.txt")
    theirs=$(awk '{ match($0, /[0-9.]+ M simulated/); print substr($0, RSTART, RLENGTH) + 0 }' "$OUT/simpy.txt")
    awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "simpy   cachesim / SimPy for steady at 10K RPS: %.0fx\n", a / b }'
fi
