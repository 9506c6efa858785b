#!/usr/bin/env bash
# Writes the JSON report of the demo and of every bundle under tests/bundles/ into OUT_DIR, one file
# each, with a fixed clock, using the windoctor binary given (default target/release/windoctor).
# Used to show that a refactor keeps every report the same: run it before and after, then compare
# the two folders with scripts/compare-reports.py.
#
# usage: scripts/report-corpus.sh OUT_DIR [WINDOCTOR_BINARY]
set -euo pipefail
out="${1:?usage: scripts/report-corpus.sh OUT_DIR [WINDOCTOR_BINARY]}"
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${2:-$root/target/release/windoctor}"
[ -x "$bin" ] || { echo "report-corpus: $bin is not an executable (cargo build --release)" >&2; exit 2; }
mkdir -p "$out"
export WINDOCTOR_NOW=2026-01-01T00:00:00Z NO_COLOR=1
unset KUBECONFIG
run() { # name, args...
  local name="$1"; shift
  local code=0
  "$bin" "$@" --report json >"$out/$name.json" 2>"$out/$name.stderr" || code=$?
  echo "$code" >"$out/$name.exit"
  echo "report-corpus: $name exit $code"
}
run demo --demo
for b in "$root"/tests/bundles/*/; do
  name="$(basename "$b")"
  run "bundle-$name" --snapshot "$b"
done

# A generated cluster served by the loopback API server (live path), when fakeapi is built.
fakeapi="$(dirname "$bin")/fakeapi"
if [ -x "$fakeapi" ]; then
  tmp="$(mktemp -d)"
  "$fakeapi" --generate nodes=500,pods=15000,seed=1 --kubeconfig-out "$tmp/kc" >"$tmp/url" 2>/dev/null &
  pid=$!
  trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
  for _ in $(seq 600); do [ -s "$tmp/kc" ] && break; sleep 0.1; done
  run live-generated-500 --kubeconfig "$tmp/kc"
  # The server URL carries a random port: keep it out of the comparison.
  python3 - "$out/live-generated-500.json" <<'PY'
import json, sys
p = sys.argv[1]
r = json.load(open(p))
r.get("source", {}).pop("server", None)
json.dump(r, open(p, "w"), indent=2)
PY
fi
