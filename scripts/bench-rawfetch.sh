#!/usr/bin/env bash
# Benchmark floor: how fast the raw bytes of a scan can be had at all.
# Serves a generated cluster with `fakeapi --generate` on 127.0.0.1 and runs
# `rawfetch` against it: /version and the eight lists windoctor reads, 500
# items a page, at most 4 requests in flight, gzip, every body inflated and
# nothing parsed but the continue token. Prints one line per run:
#   nodes=N pods=M lists=8 pages=.. inflated_bytes=.. wire_bytes=.. wall_s=..
#
# usage: scripts/bench-rawfetch.sh [--runs N] [--seed S] [--sizes "N:M ..."] [--no-build]
#   --runs N      runs per size (default 3)
#   --sizes       nodes:pods pairs (default "500:15000 5000:150000")
#   --no-build    use the existing release binaries
# Binaries are taken from ${CARGO_TARGET_DIR:-target}/release. The server is
# stopped on exit.
set -euo pipefail

runs=3
seed=1
sizes="500:15000 5000:150000"
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --sizes) sizes="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "bench-rawfetch: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if [ "$build" = 1 ]; then
  cargo build --release -p windoctor-testkit >&2
fi
target="${CARGO_TARGET_DIR:-$root/target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
fakeapi="$target/release/fakeapi"
rawfetch="$target/release/rawfetch"
for bin in "$fakeapi" "$rawfetch"; do
  [ -x "$bin" ] || { echo "bench-rawfetch: $bin is missing (run without --no-build)" >&2; exit 2; }
done

work="$(mktemp -d)"
server_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
cleanup() { stop_server; rm -rf "$work"; }
trap cleanup EXIT

# start_server NODES PODS: generates the cluster and waits (bounded) for it.
start_server() {
  rm -f "$work/kubeconfig"
  "$fakeapi" --generate "nodes=$1,pods=$2,seed=$seed" --kubeconfig-out "$work/kubeconfig" \
    >"$work/url" 2>"$work/fakeapi.log" &
  server_pid=$!
  for _ in $(seq 1 1200); do
    if [ -s "$work/kubeconfig" ]; then return 0; fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "bench-rawfetch: fakeapi exited: $(cat "$work/fakeapi.log")" >&2; exit 1
    fi
    sleep 0.5
  done
  echo "bench-rawfetch: fakeapi did not start within 600 s" >&2; exit 1
}

for size in $sizes; do
  nodes="${size%%:*}"
  pods="${size##*:}"
  start_server "$nodes" "$pods"
  for _ in $(seq 1 "$runs"); do
    echo "nodes=$nodes pods=$pods $("$rawfetch" --kubeconfig "$work/kubeconfig")"
  done
  stop_server
done
