#!/usr/bin/env bash
# Benchmark: windoctor against the raw-fetch floor on generated clusters.
#
# For each cluster (served on 127.0.0.1 by `fakeapi --generate`), measures
# with GNU time (wall, CPU = user + system, peak RSS), median of --runs runs:
#   floor    `rawfetch`: fetches and inflates the pages the scan reads (same
#            page size, same concurrency, gzip), parses nothing
#   scan     `windoctor --report json`
#   capture  `windoctor capture DIR --full` (every object, a folder) and its size
#   archive  `windoctor capture FILE.zip` (the default: the Windows share for a
#            bug report) and its size
#   replay   `windoctor --snapshot` of that folder and of that archive
# and prints every figure beside the floor's, then the targets of the
# 5,000-node / 150,000-pod rows (met or missed, with the figure), and, for
# those rows, the fake server's own CPU time during each run (read from
# /proc/PID/stat): the two tools share the two cores with it, so no wall can
# be under (tool CPU + server CPU) / cores.
#
# usage: scripts/bench-scan.sh [--runs N] [--seed S] [--growth "N:M N:M N:M"]
#                              [--shares "P ..."] [--no-build] [--out FILE]
#   --runs N      measured runs per tool and cluster (default 3, after one unmeasured
#                 round of every tool)
#   --growth      three nodes:pods sizes at 1x, 2x, 4x with 10% Windows nodes
#                 (default "1250:37500 2500:75000 5000:150000")
#   --shares      Windows percentages also measured at the largest size
#                 (default "1"; the 10% row is the 4x row)
#   --no-build    use the existing release binaries
#   --out FILE    also write the markdown tables to FILE
# Binaries come from ${CARGO_TARGET_DIR:-target}/release. Everything listens
# on 127.0.0.1 only; the server is stopped and the scratch folder removed on exit.
set -euo pipefail

runs=3
seed=1
growth="1250:37500 2500:75000 5000:150000"
shares="1"
build=1
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --growth) growth="$2"; shift 2 ;;
    --shares) shares="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "bench-scan: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if [ "$build" = 1 ]; then
  cargo build --release -p windoctor -p windoctor-testkit >&2
fi
target="${CARGO_TARGET_DIR:-$root/target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
windoctor="$target/release/windoctor"
fakeapi="$target/release/fakeapi"
rawfetch="$target/release/rawfetch"
for bin in "$windoctor" "$fakeapi" "$rawfetch"; do
  [ -x "$bin" ] || { echo "bench-scan: $bin is missing (run without --no-build)" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "bench-scan: GNU time (/usr/bin/time) is required: apt-get install time" >&2; exit 2; }

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

# start_server SPEC: generates the cluster of `--generate SPEC` and waits (bounded) for it.
start_server() {
  rm -f "$work/kubeconfig"
  "$fakeapi" --generate "$1" --kubeconfig-out "$work/kubeconfig" >"$work/url" 2>"$work/fakeapi.log" &
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

# timed OK_CODES CMD...: runs CMD under GNU time; prints "wall_s cpu_s rss_kib". Exit codes
# other than those in OK_CODES (e.g. "0 1": 1 only means findings) end the benchmark.
timed() {
  local ok="$1" status=0
  shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/time.out" "$@" >"$work/stdout" 2>"$work/stderr" || status=$?
  case " $ok " in
    *" $status "*) ;;
    *) echo "bench-scan: $* failed ($status): $(tail -3 "$work/stderr")" >&2; exit 1 ;;
  esac
  awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}' <(tail -1 "$work/time.out")
}

# server_ticks: the fake server's CPU time so far (user + system, in clock ticks).
server_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat" 2>/dev/null || echo 0; }
ticks_per_s="$(getconf CLK_TCK)"

# measure WHAT: one run of WHAT; prints "wall_s cpu_s rss_kib size_bytes server_cpu_s" (the fake
# server's CPU time during the run). Scan and capture read
# the lists only, as the floor does: the node-data phase (reading every Windows node through the
# API) is measured by scripts/bench-node-data.sh (section at the end).
measure() {
  local kc="$work/kubeconfig" line size=0 before
  # The full capture's folder (about 0.6 GB at 5,000/150k) is written back to disk after it ends:
  # not during the next tool's measurement.
  sync
  before="$(server_ticks)"
  case "$1" in
    floor) line="$(timed 0 "$rawfetch" --kubeconfig "$kc")" ;;
    scan) line="$(timed "0 1" "$windoctor" --report json --no-node-data --kubeconfig "$kc")" ;;
    capture)
      rm -rf "$work/full"
      line="$(timed 0 "$windoctor" capture "$work/full" --full --no-node-data --kubeconfig "$kc")"
      size="$(du -sb "$work/full" | cut -f1)"
      ;;
    archive)
      rm -f "$work/share.zip"
      line="$(timed 0 "$windoctor" capture "$work/share.zip" --no-node-data --kubeconfig "$kc")"
      size="$(stat -c %s "$work/share.zip")"
      ;;
    replay) line="$(timed "0 1" "$windoctor" --report json --snapshot "$work/full")" ;;
    replay-archive) line="$(timed "0 1" "$windoctor" --report json --snapshot "$work/share.zip")" ;;
  esac
  echo "$line $size $(awk -v a="$before" -v b="$(server_ticks)" -v t="$ticks_per_s" 'BEGIN {printf "%.2f", (b - a) / t}')"
}

# median of the numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

tools="floor scan capture archive replay replay-archive"
declare -A wall cpu rss size srv
# bench KEY SPEC: fills wall/cpu/rss/size[tool,KEY] with medians.
bench() {
  local key="$1" spec="$2"
  echo "bench-scan: generating $spec ..." >&2
  start_server "$spec"
  # Warm-up: one unmeasured round of every tool. Right after a cluster of several GB is generated
  # (and the last one's server freed), the machine is busy for a while: in one run at 8f1fd24,
  # every tool's first three of five rounds were 10-20% slower than the last two.
  for tool in $tools; do measure "$tool" >/dev/null; done
  for tool in $tools; do : >"$work/$tool.times"; done
  for i in $(seq 1 "$runs"); do
    for tool in $tools; do
      line="$(measure "$tool")"
      echo "$line" >>"$work/$tool.times"
      read -r w c r s _ <<<"$line"
      echo "bench-scan:   $key run $i $tool: wall $w s, CPU $c s, peak RSS $((r / 1024)) MiB$([ "$s" != 0 ] && echo ", $s bytes")" >&2
    done
  done
  for tool in $tools; do
    wall[$tool,$key]="$(cut -d' ' -f1 "$work/$tool.times" | median)"
    cpu[$tool,$key]="$(cut -d' ' -f2 "$work/$tool.times" | median)"
    rss[$tool,$key]="$(cut -d' ' -f3 "$work/$tool.times" | median)"
    size[$tool,$key]="$(cut -d' ' -f4 "$work/$tool.times" | median)"
    srv[$tool,$key]="$(cut -d' ' -f5 "$work/$tool.times" | median)"
  done
  echo "bench-scan:   last scan's summary: $(tr -d '\n ' <"$work/stdout" | grep -o '"summary":{[^}]*}' || true)" >&2
  stop_server
}

mib() { awk -v k="$1" 'BEGIN {printf "%.0f", k/1024}'; }
mb() { awk -v b="$1" 'BEGIN {printf "%.1f", b/1000000}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a/b; else print "-"}'; }

rows=()
set -- $growth
[ $# = 3 ] || { echo "bench-scan: --growth takes three nodes:pods sizes" >&2; exit 2; }
factor=1
for s in $growth; do
  key="${factor}x ${s%:*}/${s#*:} 10%"
  rows+=("$key")
  bench "$key" "nodes=${s%:*},pods=${s#*:},seed=$seed"
  factor=$((factor * 2))
done
largest="${3}"
for p in $shares; do
  key="4x ${largest%:*}/${largest#*:} ${p}%"
  rows+=("$key")
  bench "$key" "nodes=${largest%:*},pods=${largest#*:},seed=$seed,windows=$p"
done

check() { # check LABEL VALUE LIMIT UNIT
  awk -v l="$1" -v v="$2" -v m="$3" -v u="$4" 'BEGIN {printf "| %s | %s%s | <= %s%s | %s |\n", l, v, u, m, u, (v <= m ? "met" : "MISSED")}'
}

{
  echo "$("$windoctor" --version 2>/dev/null | head -1 || echo windoctor), $(nproc) CPUs, median of $runs runs, seed $seed"
  echo
  echo "Wall time, CPU time (user + system) and peak RSS; x = the figure over the floor's."
  echo
  echo "| cluster (size nodes/pods Windows) | floor wall | floor CPU | floor RSS | scan wall | x | scan CPU | x | scan RSS |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  for k in "${rows[@]}"; do
    echo "| $k | ${wall[floor,$k]} s | ${cpu[floor,$k]} s | $(mib "${rss[floor,$k]}") MiB | ${wall[scan,$k]} s | $(ratio "${wall[scan,$k]}" "${wall[floor,$k]}") | ${cpu[scan,$k]} s | $(ratio "${cpu[scan,$k]}" "${cpu[floor,$k]}") | $(mib "${rss[scan,$k]}") MiB |"
  done
  echo
  echo "| cluster | full capture wall | x floor | RSS | folder size | archive (default) wall | x floor | RSS | archive size |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  for k in "${rows[@]}"; do
    echo "| $k | ${wall[capture,$k]} s | $(ratio "${wall[capture,$k]}" "${wall[floor,$k]}") | $(mib "${rss[capture,$k]}") MiB | $(mb "${size[capture,$k]}") MB | ${wall[archive,$k]} s | $(ratio "${wall[archive,$k]}" "${wall[floor,$k]}") | $(mib "${rss[archive,$k]}") MiB | $(mb "${size[archive,$k]}") MB |"
  done
  echo
  echo "| cluster | replay folder wall | x scan | RSS | replay archive wall | x scan | RSS |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  for k in "${rows[@]}"; do
    echo "| $k | ${wall[replay,$k]} s | $(ratio "${wall[replay,$k]}" "${wall[scan,$k]}") | $(mib "${rss[replay,$k]}") MiB | ${wall[replay-archive,$k]} s | $(ratio "${wall[replay-archive,$k]}" "${wall[scan,$k]}") | $(mib "${rss[replay-archive,$k]}") MiB |"
  done
  for k in "${rows[@]}"; do
    case "$k" in 4x*) ;; *) continue ;; esac
    echo
    echo "Targets at $k:"
    echo
    echo "| target | measured | limit | |"
    echo "| --- | ---: | ---: | --- |"
    check "scan wall / floor wall" "$(ratio "${wall[scan,$k]}" "${wall[floor,$k]}")" 1.3 "x"
    check "scan CPU / floor CPU" "$(ratio "${cpu[scan,$k]}" "${cpu[floor,$k]}")" 2.5 "x"
    check "scan peak RSS" "$(mib "${rss[scan,$k]}")" 256 " MiB"
    check "full capture peak RSS" "$(mib "${rss[capture,$k]}")" 128 " MiB"
    check "full capture wall / floor wall" "$(ratio "${wall[capture,$k]}" "${wall[floor,$k]}")" 1.5 "x"
    check "archive capture peak RSS" "$(mib "${rss[archive,$k]}")" 128 " MiB"
    check "archive capture wall / floor wall" "$(ratio "${wall[archive,$k]}" "${wall[floor,$k]}")" 1.5 "x"
    check "archive size" "$(mb "${size[archive,$k]}")" 25 " MB"
    check "replay of the folder, wall / scan wall" "$(ratio "${wall[replay,$k]}" "${wall[scan,$k]}")" 1.0 "x"
    check "replay of the folder, peak RSS" "$(mib "${rss[replay,$k]}")" 256 " MiB"
    check "replay of the archive, wall / scan wall" "$(ratio "${wall[replay-archive,$k]}" "${wall[scan,$k]}")" 1.0 "x"
    check "replay of the archive, peak RSS" "$(mib "${rss[replay-archive,$k]}")" 256 " MiB"
  done
  echo
  echo "The fake server runs on the same $(nproc) CPUs: its CPU time during each run (median), and the"
  echo "least wall the run could take on them, (CPU + server CPU) / $(nproc)."
  echo
  echo "| cluster | run | wall | CPU | server CPU | least wall | x floor wall |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
  for k in "${rows[@]}"; do
    case "$k" in 4x*) ;; *) continue ;; esac
    for tool in floor scan capture archive; do
      least="$(awk -v c="${cpu[$tool,$k]}" -v s="${srv[$tool,$k]}" -v n="$(nproc)" 'BEGIN {printf "%.2f", (c + s) / n}')"
      echo "| $k | $tool | ${wall[$tool,$k]} s | ${cpu[$tool,$k]} s | ${srv[$tool,$k]} s | $least s | $(ratio "$least" "${wall[floor,$k]}") |"
    done
  done
} | tee "${out:-/dev/null}"

# --- Node data through the API (issue 10) -------------------------------------------------------
# The node-data phase (system pod logs and statuses, configz, the kubelet's log directory of every
# Windows node) on the largest size: its time and memory, with and without it. Kept in its own
# script so that this one's tables stay comparable with the floor.
"$root/scripts/bench-node-data.sh" --no-build --runs "$runs" --seed "$seed" \
  --nodes "${largest%:*}" --pods "${largest#*:}" | tee -a "${out:-/dev/null}"
