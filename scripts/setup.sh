#!/usr/bin/env bash
# Installs what building and testing cachesim needs, skipping whatever is
# already there at the right version. Safe to run again and again.
#
#   ./scripts/setup.sh            everything (build tools and test browser)
#   ./scripts/setup.sh build      only what `trunk serve` / `trunk build` need
#   ./scripts/setup.sh test       only the browser, its driver and Node (and mdBook)
#   ./scripts/setup.sh docs       what scripts/docs.sh needs: the build tools, mdBook, Node
#   ./scripts/setup.sh servers    only redis-server, PostgreSQL and a font (for crates/realcheck)
#
# scripts/serve.sh and scripts/test.sh run it, and source it for PATH
# (~/.cargo/bin) and helpers; call its functions only outside `if`, `&&` and
# `||`, where bash ignores set -e.
#
# What it installs (nothing downloads a prebuilt binary):
#   * the wasm32-unknown-unknown target        (rustup target add)
#   * trunk 0.21.14                            (cargo install --locked; ~10 min)
#   * wasm-bindgen-cli at the version of the
#     wasm-bindgen crate in Cargo.lock         (cargo install, not --locked; ~4 min)
#   * chromium + chromium-driver               (apt-get, as root or via sudo)
#   * nodejs + npm, only if node is missing    (apt-get)
#   * npm's binaryen (wasm-opt, which the
#     release build runs: index.html) and
#     playwright-core, from package-lock.json   (npm ci, when node_modules/.bin/wasm-opt is missing)
#   * redis-server, postgresql, fonts-dejavu-core
#     and a system user `cachesim` (postgres
#     refuses to run as root)                  (apt-get, useradd; `servers` only)
#   * mdbook 0.4.52, for the docs site         (cargo install --locked, without
#                                               its serve/watch features; ~2 min)

set -euo pipefail

SETUP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TRUNK_VERSION="0.21.14"
MDBOOK_VERSION="0.4.52"
# where Debian's chromium and chromium-driver put them (overridable to test this script)
CHROMIUM="${SETUP_CHROMIUM:-/usr/bin/chromium}"
CHROMEDRIVER_BIN="${SETUP_CHROMEDRIVER:-/usr/bin/chromedriver}"

say() { printf '[setup] %s\n' "$*"; }
die() {
    printf '[setup] ERROR: %s\n' "$*" >&2
    return 1
}

# cargo-installed tools live in $CARGO_HOME/bin (default ~/.cargo/bin)
_cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
if [[ -d "$_cargo_bin" && ":$PATH:" != *":$_cargo_bin:"* ]]; then
    export PATH="$_cargo_bin:$PATH"
fi
unset _cargo_bin

# The version of the wasm-bindgen crate the workspace resolves to: Cargo.lock,
# or else the `=x.y.z` pin in the workspace Cargo.toml.
wasm_bindgen_version() {
    local v=""
    if [[ -f "$SETUP_ROOT/Cargo.lock" ]]; then
        v="$(awk '$0 == "name = \"wasm-bindgen\"" { getline; if ($1 == "version") { gsub(/"/, "", $3); print $3; exit } }' \
            "$SETUP_ROOT/Cargo.lock")"
    fi
    if [[ -z "$v" ]]; then
        v="$(sed -n 's/^wasm-bindgen *= *"=\{0,1\}\([0-9][0-9.]*\)".*/\1/p' "$SETUP_ROOT/Cargo.toml" | head -n1)"
    fi
    [[ -n "$v" ]] || die "cannot find the wasm-bindgen version in Cargo.lock or Cargo.toml" || return 1
    printf '%s\n' "$v"
}

# Prints the version number of `$1 --version` ("trunk 0.21.14" -> 0.21.14), or nothing.
tool_version() {
    command -v "$1" >/dev/null 2>&1 || return 0
    "$1" --version 2>/dev/null | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^v?[0-9]+\.[0-9]+/) { sub(/^v/, "", $i); print $i; exit } }'
}

# Runs a command as root: directly, or through sudo (non-interactive without a terminal).
as_root() {
    if [[ "$(id -u)" -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        if [[ -t 0 ]]; then sudo "$@"; else sudo -n "$@"; fi
    else
        die "need root to run '$*' (not root and no sudo); run it as root, then run this script again"
    fi
}

APT_UPDATED=0
apt_install() {
    command -v apt-get >/dev/null 2>&1 ||
        die "apt-get not found: install these packages with your package manager: $*" || return 1
    if [[ "$APT_UPDATED" -eq 0 ]]; then
        say "apt-get update"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
        APT_UPDATED=1
    fi
    say "apt-get install -y $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

ensure_rust() {
    command -v cargo >/dev/null 2>&1 ||
        die "cargo not found: install Rust (rustup, https://rustup.rs) first, then run this again" || return 1
    say "ok: $(cargo --version)"
}

ensure_wasm_target() {
    if ! command -v rustup >/dev/null 2>&1; then
        say "warning: rustup not found; assuming the wasm32-unknown-unknown target is installed with this Rust"
        return 0
    fi
    if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
        say "ok: target wasm32-unknown-unknown"
    else
        say "installing: rustup target add wasm32-unknown-unknown"
        rustup target add wasm32-unknown-unknown
    fi
}

ensure_trunk() {
    local have
    have="$(tool_version trunk)"
    if [[ "$have" == "$TRUNK_VERSION" ]]; then
        say "ok: trunk $have"
        return 0
    fi
    say "installing: trunk $TRUNK_VERSION (found: ${have:-none}); building from source takes ~10 minutes"
    cargo install trunk --version "$TRUNK_VERSION" --locked
    hash -r
    have="$(tool_version trunk)"
    [[ "$have" == "$TRUNK_VERSION" ]] ||
        die "after installing, 'trunk --version' reports '${have:-nothing}', not $TRUNK_VERSION (is another trunk earlier on PATH? $(command -v trunk || true))"
}

ensure_wasm_bindgen_cli() {
    local want have runner
    want="$(wasm_bindgen_version)"
    have="$(tool_version wasm-bindgen)"
    runner="$(tool_version wasm-bindgen-test-runner)"
    if [[ "$have" == "$want" && "$runner" == "$want" ]]; then
        say "ok: wasm-bindgen-cli $have (matches Cargo.lock)"
        return 0
    fi
    # without --locked: with it, one of the CLI's pinned dependencies is missing from crates.io
    say "installing: wasm-bindgen-cli $want (found: ${have:-none}, test runner: ${runner:-none}); ~4 minutes"
    cargo install wasm-bindgen-cli --version "$want"
    hash -r
    have="$(tool_version wasm-bindgen)"
    [[ "$have" == "$want" ]] ||
        die "after installing, 'wasm-bindgen --version' reports '${have:-nothing}', not $want ($(command -v wasm-bindgen || true))"
}

# Trunk's release build runs the wasm-opt it finds on PATH (index.html) and
# accepts only version_132 (Trunk.toml): npm's binaryen (node_modules/.bin).
# Debian's binaryen (108) produces wasm that fails in Chromium.
use_npm_wasm_opt() {
    if [[ -x "$SETUP_ROOT/node_modules/.bin/wasm-opt" ]]; then
        export PATH="$SETUP_ROOT/node_modules/.bin:$PATH"
        say "ok: $(wasm-opt --version) from node_modules/.bin"
    else
        say "warning: no node_modules/.bin/wasm-opt: 'trunk build --release' needs npm's binaryen (npm ci, or scripts/setup.sh build)"
    fi
}

# `trunk build --release` runs wasm-opt (index.html, pinned to version_132 in
# Trunk.toml, so that Debian's 108 is never used): npm's binaryen, a
# devDependency in package.json.
ensure_npm_wasm_opt() {
    if [[ -x "$SETUP_ROOT/node_modules/.bin/wasm-opt" ]]; then
        say "ok: $("$SETUP_ROOT/node_modules/.bin/wasm-opt" --version) in node_modules/.bin"
        return 0
    fi
    ensure_node
    say "installing: npm ci (binaryen's wasm-opt for the release build; playwright-core for the tests)"
    (cd "$SETUP_ROOT" && npm ci --no-audit --no-fund)
    [[ -x "$SETUP_ROOT/node_modules/.bin/wasm-opt" ]] ||
        die "npm ci ran, but node_modules/.bin/wasm-opt is still missing (is binaryen in package-lock.json?)"
}

ensure_browser() {
    local missing=()
    [[ -x "$CHROMIUM" ]] || missing+=(chromium)
    [[ -x "$CHROMEDRIVER_BIN" ]] || missing+=(chromium-driver)
    if [[ ${#missing[@]} -eq 0 ]]; then
        say "ok: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM"), $("$CHROMEDRIVER_BIN" --version 2>/dev/null | awk '{print $1, $2}' || echo "$CHROMEDRIVER_BIN")"
        return 0
    fi
    say "installing: ${missing[*]} (missing $CHROMIUM or $CHROMEDRIVER_BIN)"
    # both together keep the browser and its driver at the same version
    apt_install chromium chromium-driver
    [[ -x "$CHROMIUM" && -x "$CHROMEDRIVER_BIN" ]] ||
        die "installed chromium and chromium-driver, but $CHROMIUM or $CHROMEDRIVER_BIN is still missing"
}

ensure_node() {
    if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
        say "ok: node $(node --version), npm $(npm --version)"
        return 0
    fi
    say "installing: nodejs and npm (node or npm missing)"
    apt_install nodejs npm
}

# What crates/realcheck needs: Debian's redis-server and PostgreSQL (the
# harness starts its own instances on loopback ports with throw-away data; the
# packages' own services are kept from starting during the install), a TTF
# font for its charts, and a non-root user for postgres when we are root.
ensure_servers() {
    local missing=() pg
    command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
    pg="$(ls /usr/lib/postgresql/*/bin/postgres 2>/dev/null | sort -V | tail -n1 || true)"
    [[ -n "$pg" ]] || missing+=(postgresql)
    [[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || missing+=(fonts-dejavu-core)
    if [[ ${#missing[@]} -gt 0 ]]; then
        say "installing: ${missing[*]}"
        # keep the packages' own servers from starting (the harness runs its own)
        local policy=/usr/sbin/policy-rc.d made_policy=0
        if [[ ! -e "$policy" && "$(id -u)" -eq 0 ]]; then
            printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=1
        fi
        local rc=0
        apt_install "${missing[@]}" || rc=$?
        if [[ "$made_policy" -eq 1 ]]; then rm -f "$policy"; fi
        [[ "$rc" -eq 0 ]] || return "$rc"
        pg="$(ls /usr/lib/postgresql/*/bin/postgres 2>/dev/null | sort -V | tail -n1 || true)"
    fi
    [[ -n "$pg" ]] || die "postgresql installed, but no /usr/lib/postgresql/*/bin/postgres" || return 1
    if [[ "$(id -u)" -eq 0 ]] && ! id -u cachesim >/dev/null 2>&1; then
        say "adding system user cachesim (postgres refuses to run as root)"
        useradd --system --no-create-home --shell /usr/sbin/nologin cachesim
    fi
    say "ok: $(redis-server --version | awk '{print $1, $2, $3}'), $("$pg" --version)"
}

# mdBook builds the docs site (scripts/docs.sh). Only its `search` feature:
# the book is served as static files, so `mdbook serve`/`watch` (tokio, axum,
# notify) are not built, which keeps the install short.
ensure_mdbook() {
    local have
    have="$(tool_version mdbook)"
    if [[ "$have" == "$MDBOOK_VERSION" ]]; then
        say "ok: mdbook $have"
        return 0
    fi
    say "installing: mdbook $MDBOOK_VERSION (found: ${have:-none}); ~2 minutes"
    cargo install mdbook --version "$MDBOOK_VERSION" --locked --no-default-features --features search
    hash -r
    have="$(tool_version mdbook)"
    [[ "$have" == "$MDBOOK_VERSION" ]] ||
        die "after installing, 'mdbook --version' reports '${have:-nothing}', not $MDBOOK_VERSION (is another mdbook earlier on PATH? $(command -v mdbook || true))"
}

# What `trunk serve` and `trunk build` need.
setup_build() {
    ensure_rust
    ensure_wasm_target
    ensure_trunk
    ensure_wasm_bindgen_cli
    ensure_npm_wasm_opt
}

# What the browser tests need beyond the build tools (the docs site's tests too).
setup_test() {
    ensure_browser
    ensure_node
    ensure_mdbook
}

# What scripts/docs.sh needs: the page's build tools, mdBook, and Node (the
# book's preprocessor is a Node script).
setup_docs() {
    setup_build
    ensure_mdbook
    ensure_node
}

setup_main() {
    case "${1:-all}" in
        all)
            # separate statements, not `a && b`: set -e is ignored inside a && list
            setup_build
            setup_test
            ;;
        build) setup_build ;;
        test) setup_test ;;
        servers) ensure_servers ;;
        docs) setup_docs ;;
        -h | --help)
            sed -n '2,/^$/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
            return 0
            ;;
        *)
            printf "[setup] ERROR: unknown argument '%s' (expected: all, build, test, docs or servers)\n" "$1" >&2
            return 2
            ;;
    esac
    say "done"
}

# Run directly (not sourced): do the work.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    cd "$SETUP_ROOT"
    setup_main "$@"
fi
