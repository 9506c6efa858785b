#!/usr/bin/env bash
# Benchmark: the node-data phase of a scan (reading every Windows node through the API: system
# pods' log tails, configz, the kubelet's log directory and node log query) against a generated
# cluster served by the loopback fake API server. Runs `windoctor --report json` with and without
# the phase and prints wall time, peak RSS (GNU time), and the phase's own figures (time, requests,
# bytes kept, nodes past the deadline; from WINDOCTOR_TIMINGS).
#
# usage: scripts/bench-node-data.sh [--nodes N] [--pods M] [--seed S] [--runs R] [--no-build] [--out FILE]
#   --nodes N   nodes of the generated cluster, a tenth of them Windows (default 5000)
#   --pods M    pods (default 150000)
#   --runs R    measured runs of each mode (default 3)
#   --no-build  use the existing release binaries
#
# Everything listens on 127.0.0.1 only; the server is stopped on exit.
set -euo pipefail

nodes=5000
pods=150000
seed=1
runs=3
build=1
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes="$2"; shift 2 ;;
    --pods) pods="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "bench-node-data: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if [ "$build" = 1 ]; then
  cargo build --release -p windoctor -p windoctor-testkit >&2
fi
target="${CARGO_TARGET_DIR:-$root/target}"
windoctor="$target/release/windoctor"
fakeapi="$target/release/fakeapi"
for bin in "$windoctor" "$fakeapi"; do
  [ -x "$bin" ] || { echo "bench-node-data: $bin is missing (run without --no-build)" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "bench-node-data: GNU time (/usr/bin/time) is required: apt-get install time" >&2; exit 2; }

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "bench-node-data: generating nodes=$nodes pods=$pods seed=$seed ..." >&2
"$fakeapi" --generate "nodes=$nodes,pods=$pods,seed=$seed" --kubeconfig-out "$work/kubeconfig" \
  >"$work/url" 2>"$work/fakeapi.log" &
server_pid=$!
for _ in $(seq 1 1200); do
  [ -s "$work/kubeconfig" ] && break
  kill -0 "$server_pid" 2>/dev/null || { echo "bench-node-data: fakeapi exited: $(cat "$work/fakeapi.log")" >&2; exit 1; }
  sleep 0.5
done
[ -s "$work/kubeconfig" ] || { echo "bench-node-data: fakeapi did not start within 600 s" >&2; exit 1; }

# run MODE: one scan under GNU time; prints "wall_s rss_kib phase_s requests kib late".
run() {
  local extra=() status=0
  [ "$1" = without ] && extra=(--no-node-data)
  WINDOCTOR_TIMINGS=1 /usr/bin/time -f "%e %M" -o "$work/time.out" \
    "$windoctor" --report json --kubeconfig "$work/kubeconfig" "${extra[@]}" >"$work/report.json" 2>"$work/err" || status=$?
  [ "$status" -le 1 ] || { echo "bench-node-data: windoctor failed ($status): $(tail -3 "$work/err")" >&2; exit 1; }
  local phase
  phase="$(sed -n 's/^windoctor: timing: node data: \([0-9]*\) nodes, \([0-9]*\) requests, \([0-9]*\) KiB kept, \([0-9.]*\) s, \([0-9]*\) past.*/\4 \2 \3 \5/p' "$work/err" | tail -1)"
  echo "$(cat "$work/time.out" | tail -1) ${phase:-0 0 0 0}"
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

"$windoctor" --report json --kubeconfig "$work/kubeconfig" --only version-skew --no-node-data >/dev/null 2>&1 || true
for mode in without with; do
  : >"$work/$mode.times"
  for i in $(seq 1 "$runs"); do
    line="$(run "$mode")"
    echo "$line" >>"$work/$mode.times"
    read -r w r p q k l <<<"$line"
    echo "bench-node-data:   run $i $mode node data: wall $w s, peak RSS $(( r / 1024 )) MiB$([ "$mode" = with ] && echo ", phase $p s, $q requests, $k KiB, $l late")" >&2
  done
done
col() { cut -d' ' -f"$2" "$work/$1.times" | median; }
windows="$(tr -d '\n ' <"$work/report.json" | grep -o '"windows":[0-9]*' | head -1 | cut -d: -f2)"
{
  echo
  echo "Node data through the API: $nodes nodes ($windows Windows) / $pods pods, median of $runs runs, $(nproc) CPUs"
  echo
  echo "| scan | wall | peak RSS | node-data phase | requests | KiB kept | nodes past the deadline |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  echo "| --no-node-data | $(col without 1) s | $(( $(col without 2 | cut -d. -f1) / 1024 )) MiB | - | - | - | - |"
  echo "| default (node data on) | $(col with 1) s | $(( $(col with 2 | cut -d. -f1) / 1024 )) MiB | $(col with 3) s | $(col with 4) | $(col with 5) | $(col with 6) |"
} | tee "${out:-/dev/null}"
