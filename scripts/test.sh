#!/usr/bin/env bash
# Installs what is missing, then runs every test of cachesim:
#
#   setup   scripts/setup.sh (wasm target, trunk, wasm-bindgen-cli, chromium, node)
#   native  cargo test --workspace                  (every crate, the web crate's native tests too)
#   lint    scripts/lint.sh: cargo fmt --check, clippy -D warnings (native, and wasm32
#           for the web crate), cargo doc with warnings denied
#   realcheck  scripts/setup.sh servers, then the model against a real redis-server
#           and PostgreSQL: cargo test -p cachesim-realcheck --test smoke -- --ignored
#           (one short crash/restart scenario and a 5 s shaped-Redis step; fails if a
#           server or the client fails, not when the numbers disagree)
#   wasm    cargo test --target wasm32-unknown-unknown -p cachesim-core --test golden  (same run as native)
#           cargo test --target wasm32-unknown-unknown -p cachesim-web   (headless Chromium)
#   npm     npm ci                                  (when package-lock.json exists)
#   build   trunk build --release                   (the page, into dist/)
#   docs    scripts/docs.sh --no-setup              (the docs site, into dist-docs/: simulator runs,
#                                                    mdbook build, the app built again with relative URLs)
#   e2e     node --test tests/e2e/                  (end-to-end tests in Chromium, the docs site's too;
#                                                    skipped if absent)
#
# Usage: ./scripts/test.sh [STAGE...]    default: all stages, in the order above.
# Naming stages runs only those (e2e brings npm, build and docs along), e.g.
# `./scripts/test.sh native`. Stops at the first failing stage with its exit
# status; ends with a one-line summary.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# PATH (~/.cargo/bin) and helpers; sourcing runs nothing
# shellcheck source=scripts/setup.sh
source "$ROOT/scripts/setup.sh"

ALL_STAGES=(native lint realcheck wasm npm build docs e2e)
WEB_CRATE=cachesim-web
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"

usage() { sed -n '2,/^$/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }

# ----- which stages -----------------------------------------------------------
declare -A WANT=()
if [[ $# -eq 0 ]]; then
    for s in "${ALL_STAGES[@]}"; do WANT[$s]=1; done
else
    for arg in "$@"; do
        case "$arg" in
            -h | --help)
                usage
                exit 0
                ;;
            native | lint | realcheck | wasm | npm | build | docs) WANT[$arg]=1 ;;
            e2e) WANT[e2e]=1 WANT[npm]=1 WANT[build]=1 WANT[docs]=1 ;;
            setup) ;;
            *)
                printf "test.sh: unknown stage '%s' (stages: setup %s)\n" "$arg" "${ALL_STAGES[*]}" >&2
                exit 2
                ;;
        esac
    done
fi
wants() { [[ -n "${WANT[$1]:-}" ]]; }

# colours through tee when a person is watching
if [[ -t 1 ]]; then export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-always}"; fi

LOG_DIR="$(mktemp -d)"
trap 'rm -rf "$LOG_DIR"' EXIT
START=$SECONDS
PASSED=0 FAILED=0 SKIPPED=0 STAGE_TESTS=0
REPORT=()
STAGE_NO=0

header() {
    STAGE_NO=$((STAGE_NO + 1))
    printf '\n======== %s: %s ========\n' "$1" "$2"
}

# Adds up the test counts in a stage's log: cargo/libtest and
# wasm-bindgen-test-runner ("test result: ok. N passed; N failed; N ignored")
# and node's test runner (TAP "# pass N" or spec "ℹ pass N").
count_tests() {
    sed 's/\x1b\[[0-9;]*[A-Za-z]//g' "$1" | awk '
        /^test result: / {
            for (i = 1; i <= NF; i++) {
                n = $i + 0
                if ($(i + 1) ~ /^passed/) p += n
                if ($(i + 1) ~ /^failed/) f += n
                if ($(i + 1) ~ /^ignored/) s += n
            }
        }
        /^(# |ℹ )(pass|fail|skipped|todo) [0-9]+$/ {
            if ($2 == "pass") p += $3
            if ($2 == "fail") f += $3
            if ($2 == "skipped" || $2 == "todo") s += $3
        }
        END { printf "%d %d %d\n", p, f, s }'
}

# run_stage NAME DESCRIPTION COMMAND...: runs an external command (never a
# shell function: set -e is ignored in functions run from `||`), logs it,
# counts its tests, and stops the script at its first failure.
run_stage() {
    local name="$1" desc="$2"
    shift 2
    header "$name" "$desc"
    printf '$ %s\n' "$*"
    local log="$LOG_DIR/$name.log" t0=$SECONDS rc=0
    "$@" 2>&1 | tee "$log" || rc=${PIPESTATUS[0]}
    local p f s
    read -r p f s < <(count_tests "$log")
    PASSED=$((PASSED + p)) FAILED=$((FAILED + f)) SKIPPED=$((SKIPPED + s))
    STAGE_TESTS=$((p + f + s))
    local took=$((SECONDS - t0)) tests=""
    if ((p + f + s > 0)); then tests=", $p passed, $f failed, $s skipped"; fi
    if [[ $rc -ne 0 ]]; then
        REPORT+=("$(printf '%-7s FAILED (exit %d, %d s%s)' "$name" "$rc" "$took" "$tests")")
        finish "$rc" "$name"
    fi
    REPORT+=("$(printf '%-7s ok (%d s%s)' "$name" "$took" "$tests")")
}

skip_stage() {
    header "$1" "$2"
    printf 'skipped: %s\n' "$3"
    REPORT+=("$(printf '%-7s skipped (%s)' "$1" "$3")")
}

finish() {
    local rc="$1" failed_stage="${2:-}"
    printf '\n======== results ========\n'
    printf '  %s\n' "${REPORT[@]}"
    if [[ -n "$failed_stage" ]]; then
        printf 'test.sh: FAILED at stage %s (exit %d) after %d s\n' "$failed_stage" "$rc" $((SECONDS - START))
        exit "$rc"
    fi
    printf 'test.sh: all stages passed in %d s\n' $((SECONDS - START))
    printf 'summary: %d passed, %d failed, %d skipped\n' "$PASSED" "$FAILED" "$SKIPPED"
    exit 0
}

# ----- stages -----------------------------------------------------------------
setup_what=""
if wants lint || wants wasm || wants build || wants e2e; then setup_what=build; fi
# docs = build + mdbook + node; all = docs + the browser
if wants docs; then setup_what=docs; fi
if wants wasm || wants e2e; then setup_what=all; fi
if [[ -n "$setup_what" ]]; then
    run_stage setup "install what is missing (scripts/setup.sh $setup_what)" bash "$ROOT/scripts/setup.sh" "$setup_what"
else
    run_stage setup "check the Rust toolchain" cargo --version
fi

if wants native; then
    run_stage native "native tests of every crate (cargo test --workspace)" cargo test --workspace
fi

if wants lint; then
    run_stage lint "formatting, clippy (native and wasm32) and docs (scripts/lint.sh)" \
        bash "$ROOT/scripts/lint.sh"
fi

if wants realcheck; then
    run_stage servers "redis-server and PostgreSQL for the real check (scripts/setup.sh servers)" \
        bash "$ROOT/scripts/setup.sh" servers
    # the smoke run of crates/realcheck: its own servers on loopback, ~32 s
    run_stage realcheck "the model against a real Redis and PostgreSQL (realcheck smoke)" \
        cargo test -p cachesim-realcheck --test smoke -- --ignored --nocapture
    if [[ $STAGE_TESTS -eq 0 ]]; then
        REPORT+=("        warning: the realcheck stage ran no test")
    fi
fi

if wants wasm; then
    # the core's golden run: wasm32 must reproduce the native run bit for bit
    run_stage wasm "the core in wasm32: same run as natively (cachesim-core --test golden)" \
        cargo test --target wasm32-unknown-unknown -p cachesim-core --test golden
    run_stage wasm "wasm tests of $WEB_CRATE in headless Chromium" \
        cargo test --target wasm32-unknown-unknown -p "$WEB_CRATE"
fi

if wants npm; then
    if [[ -f package-lock.json ]]; then
        run_stage npm "Node packages for the end-to-end tests (npm ci)" npm ci --no-audit --no-fund
    elif [[ -f package.json ]]; then
        run_stage npm "Node packages for the end-to-end tests (npm install)" npm install --no-audit --no-fund
    else
        skip_stage npm "Node packages" "no package.json"
    fi
fi

if wants build; then
    use_npm_wasm_opt
    run_stage build "the page (trunk build --release)" trunk build --release
fi

if wants docs; then
    # the CLI's runs, mdbook, and a second (cached) trunk build with relative asset URLs
    run_stage docs "the docs site (scripts/docs.sh --no-setup, into dist-docs/)" \
        bash "$ROOT/scripts/docs.sh" --no-setup
fi

if wants e2e; then
    if [[ -d tests/e2e ]]; then
        # the build stage has just built dist/: the harness need not check it again
        run_stage e2e "end-to-end tests in Chromium (node --test tests/e2e/)" \
            env CACHESIM_E2E_NO_BUILD=1 node --test tests/e2e/
        if [[ $STAGE_TESTS -eq 0 ]]; then
            REPORT+=("        warning: node found no test files in tests/e2e (it runs *.test.mjs, *-test.mjs, *_test.mjs, test-*.mjs, ...)")
        fi
    else
        skip_stage e2e "end-to-end tests" "tests/e2e does not exist yet"
    fi
fi

finish 0
