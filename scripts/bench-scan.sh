#!/usr/bin/env bash
# Benchmark: the full headless scan (`windoctor --report json`) against
# `kubectl get nodes,pods,events,services,daemonsets,configmaps -A -o json`,
# both reading the same generated cluster from the loopback fake API server
# (`fakeapi --generate`). Prints wall time and peak RSS (GNU time) for each
# size, their ratios, and the cost growth of windoctor at 1x, 2x and 4x.
#
# usage: scripts/bench-scan.sh [--runs N] [--seed S] [--sizes "N:M ..."]
#                              [--growth "N:M N:M N:M"] [--no-build] [--out FILE]
#   --runs N      measured runs per tool and size (default 3, after a light warm-up)
#   --sizes       nodes:pods pairs of the comparison table (default "500:15000 5000:150000")
#   --growth      three nodes:pods pairs at 1x, 2x, 4x (default "1250:37500 2500:75000 5000:150000")
#   --no-build    use the existing release binaries
#   --out FILE    also write the markdown tables to FILE
# Environment: KUBECTL (default: the v1.32 build behind the gcloud kubectl
# dispatcher when present, else `kubectl` on PATH).
#
# Everything listens on 127.0.0.1 only; the server is stopped on exit.
set -euo pipefail

runs=3
seed=1
sizes="500:15000 5000:150000"
growth="1250:37500 2500:75000 5000:150000"
build=1
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --sizes) sizes="$2"; shift 2 ;;
    --growth) growth="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "bench-scan: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if [ "$build" = 1 ]; then
  cargo build --release -p windoctor -p windoctor-testkit >&2
fi
windoctor="$root/target/release/windoctor"
fakeapi="$root/target/release/fakeapi"
for bin in "$windoctor" "$fakeapi"; do
  [ -x "$bin" ] || { echo "bench-scan: $bin is missing (run without --no-build)" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "bench-scan: GNU time (/usr/bin/time) is required: apt-get install time" >&2; exit 2; }

if [ -z "${KUBECTL:-}" ]; then
  KUBECTL="$(command -v kubectl || true)"
  if [ -n "$KUBECTL" ]; then
    real="$(readlink -f "$KUBECTL")"
    [ -x "$(dirname "$real")/kubectl.1.32" ] && KUBECTL="$(dirname "$real")/kubectl.1.32"
  fi
fi
[ -n "$KUBECTL" ] && [ -x "$KUBECTL" ] || { echo "bench-scan: kubectl not found; set KUBECTL" >&2; exit 2; }

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

# start_server NODES PODS: generates the cluster and waits (bounded) for the URL.
start_server() {
  rm -f "$work/url" "$work/kubeconfig"
  "$fakeapi" --generate "nodes=$1,pods=$2,seed=$seed" --kubeconfig-out "$work/kubeconfig" \
    >"$work/url" 2>"$work/fakeapi.log" &
  server_pid=$!
  for _ in $(seq 1 1200); do
    if [ -s "$work/kubeconfig" ]; then return 0; fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "bench-scan: fakeapi exited: $(cat "$work/fakeapi.log")" >&2; exit 1
    fi
    sleep 0.5
  done
  echo "bench-scan: fakeapi did not start within 600 s" >&2; exit 1
}

# measure NAME: runs the tool once under GNU time, appends "wall_s rss_kib".
measure() {
  local tool="$1" result="$work/time.out" status=0
  case "$tool" in
    windoctor)
      # The lists only, as kubectl reads them: the node-data phase (reading every Windows node
      # through the API) is measured by scripts/bench-node-data.sh (section at the end).
      WINDOCTOR_TIMINGS=1 /usr/bin/time -f "%e %M" -o "$result" \
        "$windoctor" --report json --no-node-data --kubeconfig "$work/kubeconfig" >"$work/report.json" 2>"$work/windoctor.err" || status=$?
      # Exit 1 only means findings at or above --fail-on.
      [ "$status" -le 1 ] || { echo "bench-scan: windoctor failed ($status): $(tail -3 "$work/windoctor.err")" >&2; exit 1; }
      # When the last list arrived, and the slowest checks.
      lists="$(sed -n 's/^windoctor: timing: input .* done after \([0-9.]*\) s.*/\1/p' "$work/windoctor.err" | sort -g | tail -1)"
      echo "$(tail -1 "$result") ${lists:-0}"
      return 0
      ;;
    kubectl)
      HOME="$work" /usr/bin/time -f "%e %M" -o "$result" \
        "$KUBECTL" --kubeconfig "$work/kubeconfig" --cache-dir "$work/kube-cache" \
        get nodes,pods,events,services,daemonsets,configmaps -A -o json >"$work/kubectl.json" 2>"$work/tool.err" || status=$?
      [ "$status" = 0 ] || { echo "bench-scan: kubectl failed ($status): $(tail -3 "$work/tool.err")" >&2; exit 1; }
      ;;
  esac
  echo "$(tail -1 "$result") 0"
}

# median of the numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

declare -A wall rss lists
# bench NODES PODS: fills wall[tool,N:M] and rss[tool,N:M] with medians.
bench() {
  local n="$1" m="$2" key="$1:$2"
  if [ -n "${wall[windoctor,$key]:-}" ]; then return 0; fi
  echo "bench-scan: generating nodes=$n pods=$m seed=$seed ..." >&2
  start_server "$n" "$m"
  # Warm-up: the binaries into the page cache, kubectl's discovery cache filled.
  "$windoctor" --report json --kubeconfig "$work/kubeconfig" --only version-skew >/dev/null 2>&1 || true
  HOME="$work" "$KUBECTL" --kubeconfig "$work/kubeconfig" --cache-dir "$work/kube-cache" \
    get namespaces -o name >/dev/null 2>&1 || true
  : >"$work/windoctor.times"
  : >"$work/kubectl.times"
  for i in $(seq 1 "$runs"); do
    for tool in windoctor kubectl; do
      line="$(measure "$tool")"
      echo "$line" >>"$work/$tool.times"
      read -r w r l <<<"$line"
      echo "bench-scan:   $n/$m run $i $tool: wall $w s, peak RSS $(( r / 1024 )) MiB$([ "$tool" = windoctor ] && echo ", lists done at $l s")" >&2
    done
  done
  for tool in windoctor kubectl; do
    wall[$tool,$key]="$(cut -d' ' -f1 "$work/$tool.times" | median)"
    rss[$tool,$key]="$(cut -d' ' -f2 "$work/$tool.times" | median)"
    lists[$tool,$key]="$(cut -d' ' -f3 "$work/$tool.times" | median)"
  done
  echo "bench-scan:   slowest checks of the last windoctor run: $(sed -n 's/^windoctor: timing: check \([^ ]*\) took \([0-9.]*\) ms.*/\2 \1/p' "$work/windoctor.err" | sort -gr | head -5 | awk '{printf "%s %.0f ms; ", $2, $1}')" >&2
  echo "bench-scan:   kubectl printed $(grep -c '^            "kind": "Pod",' "$work/kubectl.json" || true) pods; windoctor's report: $(tr -d '\n ' <"$work/report.json" | grep -o '"summary":{[^}]*}')" >&2
  stop_server
}

mib() { awk -v k="$1" 'BEGIN {printf "%.0f", k/1024}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a/b}'; }

for size in $sizes; do bench "${size%:*}" "${size#*:}"; done
for size in $growth; do bench "${size%:*}" "${size#*:}"; done

{
  echo "windoctor $("$windoctor" --version 2>/dev/null | head -1 || echo '?'), kubectl $("$KUBECTL" version --client 2>/dev/null | head -1), $(nproc) CPUs, median of $runs runs, seed $seed"
  echo
  echo "| nodes / pods | windoctor wall | kubectl wall | wall ratio | windoctor peak RSS | kubectl peak RSS | RSS ratio |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  for size in $sizes; do
    n="${size%:*}"; m="${size#*:}"
    echo "| $n / $m | ${wall[windoctor,$size]} s | ${wall[kubectl,$size]} s | $(ratio "${wall[windoctor,$size]}" "${wall[kubectl,$size]}") | $(mib "${rss[windoctor,$size]}") MiB | $(mib "${rss[kubectl,$size]}") MiB | $(ratio "${rss[windoctor,$size]}" "${rss[kubectl,$size]}") |"
  done
  echo
  echo "Cost growth (relative to the first row; \"lists done\" = when the last list arrived, before the checks that need it ran; per-pod memory = RSS growth / pod growth):"
  echo
  echo "| size | nodes / pods | windoctor wall | windoctor lists done | windoctor RSS | kubectl wall | kubectl RSS | windoctor wall x | lists x | windoctor RSS x | windoctor KiB per added pod |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  set -- $growth
  base="$1"; base_pods="${base#*:}"
  for size in $growth; do
    m="${size#*:}"
    factor="$(awk -v a="$m" -v b="$base_pods" 'BEGIN {printf "%gx", a/b}')"
    per_pod="-"
    if [ "$m" != "$base_pods" ]; then
      per_pod="$(awk -v r="${rss[windoctor,$size]}" -v r0="${rss[windoctor,$base]}" -v p="$m" -v p0="$base_pods" 'BEGIN {printf "%.2f", (r-r0)/(p-p0)}')"
    fi
    echo "| $factor | ${size%:*} / $m | ${wall[windoctor,$size]} s | ${lists[windoctor,$size]} s | $(mib "${rss[windoctor,$size]}") MiB | ${wall[kubectl,$size]} s | $(mib "${rss[kubectl,$size]}") MiB | $(ratio "${wall[windoctor,$size]}" "${wall[windoctor,$base]}") | $(ratio "${lists[windoctor,$size]}" "${lists[windoctor,$base]}") | $(ratio "${rss[windoctor,$size]}" "${rss[windoctor,$base]}") | $per_pod |"
  done
} | tee "${out:-/dev/null}"

# --- Node data through the API (issue 10) -------------------------------------------------------
# The node-data phase (system pod logs and statuses, configz, the kubelet's log directory of every
# Windows node) on the largest size: its time and memory, with and without it. Kept in its own
# script so that this one's tables stay comparable with kubectl.
largest="${sizes##* }"
"$root/scripts/bench-node-data.sh" --no-build --runs "$runs" --seed "$seed" \
  --nodes "${largest%:*}" --pods "${largest#*:}" | tee -a "${out:-/dev/null}"
