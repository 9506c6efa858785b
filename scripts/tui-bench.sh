#!/usr/bin/env bash
# Measures the real windoctor TUI in tmux at 80x24 and 200x60: when the first frame shows in the
# pane (measured from outside, including process start; tmux polling adds a few ms), and the
# binary's own frame statistics (WINDOCTOR_TUI_STATS: first frame after the TUI starts, when all
# results were on screen, render time per frame including writing to the terminal).
#
# Usage: scripts/tui-bench.sh [windoctor arguments...]   (default: --demo)
#        BIN=target/release/windoctor scripts/tui-bench.sh --snapshot DIR
set -euo pipefail

bin=${BIN:-target/debug/windoctor}
args=("$@")
[ ${#args[@]} -eq 0 ] && args=(--demo)
command -v tmux >/dev/null || { echo "tmux is required" >&2; exit 2; }
[ -x "$bin" ] || { echo "$bin not found: build it first (cargo build)" >&2; exit 2; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

for size in 80x24 200x60; do
  width=${size%x*}
  height=${size#*x}
  session="windoctor-bench-$$-$size"
  err="$workdir/stderr-$size"
  start=$(now_ms)
  tmux new-session -d -s "$session" -x "$width" -y "$height" -c "$workdir" \
    "WINDOCTOR_TUI_STATS=1 $(printf '%q ' "$bin" "${args[@]}") 2>$err"
  until tmux capture-pane -t "$session" -p 2>/dev/null | grep -q 'windoctor │'; do sleep 0.002; done
  first=$(now_ms)
  until tmux capture-pane -t "$session" -p 2>/dev/null | grep -q 'done in'; do sleep 0.01; done
  done_at=$(now_ms)
  # Walk the screens so the frame statistics cover them too.
  for key in j j k Enter Tab Tab Space g '?' Escape Escape f f x; do
    tmux send-keys -t "$session" "$key"
    sleep 0.05
  done
  tmux send-keys -t "$session" q
  while tmux has-session -t "$session" 2>/dev/null; do sleep 0.02; done
  echo "$size: first frame visible in the pane $((first - start)) ms after launch; all results by $((done_at - start)) ms (outside view, tmux polling)"
  grep 'windoctor tui:' "$err" | sed "s/^/$size: /" || { echo "$size: no statistics (stderr follows)"; cat "$err"; }
done
