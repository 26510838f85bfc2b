#!/usr/bin/env bash
# Installs what is missing (wasm target, trunk, wasm-bindgen-cli), then serves
# the cachesim page with `trunk serve`, rebuilding on every change.
#
# Usage: ./scripts/serve.sh [TRUNK SERVE OPTIONS...]
#   ./scripts/serve.sh --docs          build the docs site (scripts/docs.sh) and serve
#                                      dist-docs/ as static files instead (no rebuilds)
#   PORT=9000 ./scripts/serve.sh       another port (default 8080)
#   ADDRESS=0.0.0.0 ./scripts/serve.sh another address (default 127.0.0.1)
#   ./scripts/serve.sh --release       an optimised build
# Then open http://127.0.0.1:8080/ (or your PORT). Ctrl-C stops it.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# shellcheck source=scripts/setup.sh
source "$ROOT/scripts/setup.sh"

case "${1:-}" in
    -h | --help)
        sed -n '2,/^$/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
        exit 0
        ;;
esac

PORT="${PORT:-8080}"
ADDRESS="${ADDRESS:-127.0.0.1}"
if ! [[ "$PORT" =~ ^[0-9]+$ ]] || ((10#$PORT < 1 || 10#$PORT > 65535)); then
    printf 'serve.sh: PORT must be a number from 1 to 65535, got "%s"\n' "$PORT" >&2
    exit 2
fi
PORT=$((10#$PORT))

if [[ "${1:-}" == "--docs" ]]; then
    shift
    [[ $# -eq 0 ]] || { printf 'serve.sh: --docs takes no other options (got: %s)\n' "$*" >&2; exit 2; }
    bash "$ROOT/scripts/docs.sh"
    printf '\nserving the cachesim docs at http://%s:%s/ (Ctrl-C stops)\n\n' "$ADDRESS" "$PORT"
    exec node "$ROOT/scripts/static-server.mjs" "$ROOT/dist-docs" "$PORT" "$ADDRESS"
fi

bash "$ROOT/scripts/setup.sh" build
use_npm_wasm_opt

printf '\nserving cachesim at http://%s:%s/ (Ctrl-C stops)\n\n' "$ADDRESS" "$PORT"
exec trunk serve --address "$ADDRESS" --port "$PORT" "$@"
