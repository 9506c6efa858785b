#!/usr/bin/env bash
# Measures the real windoctor TUI in tmux at 80x24 and 200x60 (a private tmux server, so it does
# not touch your sessions). It prints figures; it asserts nothing.
#
# From outside (process start included, tmux polling adds a few ms):
#   - when the first frame shows in the pane, and when every result is on screen;
#   - keystroke-to-redraw: for each key of a walk through the screens (checklist, details, evidence
#     viewer, object summary, commands view, node picker with a typed name, scope, refresh), the time
#     from `tmux send-keys` until the pane shows something else.
# From inside (WINDOCTOR_TUI_STATS): when the checklist and the terminal were ready, the first frame,
# render time per frame, and key-to-redraw from reading the key to the end of the frame.
#
# Usage: scripts/tui-bench.sh [windoctor arguments...]          (default: --demo)
#        BIN=target/release/windoctor scripts/tui-bench.sh --kubeconfig /tmp/kc
#        NODE=akswin000007 ...   the node to pick in the picker (default: the first one listed)
set -euo pipefail

bin=${BIN:-target/debug/windoctor}
args=("$@")
[ ${#args[@]} -eq 0 ] && args=(--demo)
command -v tmux >/dev/null || { echo "tmux is required" >&2; exit 2; }
[ -x "$bin" ] || { echo "$bin not found: build it first (cargo build)" >&2; exit 2; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
workdir=$(mktemp -d)
socket="windoctor-bench-$$"
tm() { tmux -L "$socket" "$@"; }
trap 'tm kill-server 2>/dev/null || true; rm -rf "$workdir"' EXIT

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
screen() { tm capture-pane -t bench -p 2>/dev/null || true; }
wait_for() { # pattern timeout_s
  local until=$(( $(now_ms) + $2 * 1000 ))
  until screen | grep -q -- "$1"; do
    [ "$(now_ms)" -gt "$until" ] && { echo "timeout waiting for '$1'" >&2; screen >&2; return 1; }
    sleep 0.002
  done
}

# Sends one key and prints how long the pane took to change (ms), or "-" after 3 s.
key_to_redraw() {
  local before after start
  before=$(screen)
  start=$(now_ms)
  if [ "$1" = "-l" ]; then tm send-keys -t bench -l "$2"; else tm send-keys -t bench "$1"; fi
  while :; do
    after=$(screen)
    [ "$after" != "$before" ] && { echo $(( $(now_ms) - start )); return; }
    [ $(( $(now_ms) - start )) -gt 3000 ] && { echo "-"; return; }
    sleep 0.001
  done
}

for size in 80x24 200x60; do
  width=${size%x*}
  height=${size#*x}
  err="$workdir/stderr-$size"
  start=$(now_ms)
  tm new-session -d -s bench -x "$width" -y "$height" -c "$workdir" \
    "WINDOCTOR_TUI_STATS=1 $(printf '%q ' "$bin" "${args[@]}") 2>$err"
  wait_for 'windoctor │' 10
  first=$(now_ms)
  # Finished: "read HH:MM:SS UTC" (or "done in" without a wall clock).
  wait_for 'read [0-9][0-9]:\|done in' 600
  done_at=$(now_ms)
  echo "$size: first frame visible in the pane $((first - start)) ms after launch; all results by $((done_at - start)) ms (outside view, tmux polling)"

  # The walk: each key changes the screen. Keys are sent one at a time, after the pane settled.
  node=${NODE:-}
  walk=(j k Enter j j Enter Tab Escape o Escape C Down Escape Escape N)
  times=()
  labels=()
  for k in "${walk[@]}"; do
    sleep 0.15
    times+=("$(key_to_redraw "$k")")
    labels+=("$k")
    # The first Node subject the details show is the node to pick (unless NODE says).
    if [ -z "$node" ]; then
      node=$(screen | grep -oE 'Node/[A-Za-z0-9][A-Za-z0-9.-]*' | head -1 | cut -d/ -f2 || true)
    fi
  done
  # Type the node name into the picker and pick it.
  for (( i=0; i<${#node}; i++ )); do
    sleep 0.05
    times+=("$(key_to_redraw -l "${node:i:1}")")
    labels+=("'${node:i:1}'")
  done
  for k in Enter Enter Escape; do
    sleep 0.15
    times+=("$(key_to_redraw "$k")")
    labels+=("$k")
  done
  line="$size: keystroke-to-redraw (ms, outside view):"
  for i in "${!times[@]}"; do line+=" ${labels[$i]}=${times[$i]}"; done
  echo "$line"
  sorted=$(printf '%s\n' "${times[@]}" | grep -v -- '-' | sort -n)
  n=$(echo "$sorted" | wc -l)
  echo "$size: keystroke-to-redraw over $n keys (picked node: ${node:-none}): median $(echo "$sorted" | sed -n "$(( (n + 1) / 2 ))p") ms, max $(echo "$sorted" | tail -1) ms"
  # A refresh: the time until the header says it is refreshing.
  sleep 0.2
  echo "$size: R (refresh) shows the refresh after $(key_to_redraw R) ms"
  wait_for 'read [0-9][0-9]:\|done in' 600
  tm send-keys -t bench q
  while tm has-session -t bench 2>/dev/null; do sleep 0.02; done
  grep 'windoctor tui:' "$err" | sed "s/^/$size: /" || { echo "$size: no statistics (stderr follows)"; cat "$err"; }
done
