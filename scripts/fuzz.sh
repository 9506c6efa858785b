#!/usr/bin/env bash
# Coverage-guided fuzzing of the bundle reader, the pod head reader and every node file parser (fuzz/, cargo fuzz +
# libFuzzer), each target for a bounded time, seeded with the project's own fixtures.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]      (default 60 s, every target)
#
# Needs a nightly toolchain (`rustup toolchain install nightly`) and cargo-fuzz
# (`cargo install cargo-fuzz`, from crates.io). Without nightly it says so and runs the stable
# random-mutation harness instead (tests/node_parsers_fuzz.rs) for a comparable number of inputs.
# Prints, per target: runs, edges covered (cov), features (ft), corpus size, execs/s, and whether
# it found a crash (the input is kept under fuzz/artifacts/TARGET/).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
shift || true
all=(bundle_reader pod_head subnet_env source_vip cni_conf containerd_config kubelet_config kubeadm_flags_env net_conf node_records)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

if ! cargo +nightly --version >/dev/null 2>&1; then
  echo "== no nightly toolchain: cargo fuzz cannot run here; running the stable mutation harness instead"
  iterations=$(( seconds * 2000 ))
  WINDOCTOR_FUZZ_ITERATIONS="$iterations" cargo test --release --test node_parsers_fuzz -- --nocapture
  exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "cargo-fuzz is not installed: cargo install cargo-fuzz (crates.io), then run this again" >&2
  exit 2
fi

# Seeds: the node files and cluster lists of the fixtures and the demo, per target.
seed() { # target, files...
  local dir="fuzz/corpus/$1"; shift
  mkdir -p "$dir"
  for f in "$@"; do
    [ -f "$f" ] && cp "$f" "$dir/$(echo "$f" | tr '/ ' '__')"
  done
  return 0
}
files() { find tests/bundles assets/demo -type f -ipath "*$1" 2>/dev/null; }
seed subnet_env $(files subnet.env)
seed source_vip $(files sourcevip.json) $(files sourceviprequest.json)
seed cni_conf $(files .conf) $(files .conflist)
seed containerd_config $(files config.toml)
seed kubelet_config $(files kubelet/config.yaml)
seed kubeadm_flags_env $(files kubeadm-flags.env)
seed net_conf $(files net-conf.json)
# Pod lists as they are: a list is an object like a pod, and the fuzzer finds the items in it.
seed pod_head $(files pods.json)
mkdir -p fuzz/corpus/node_records
for f in $(files hns-networks.json) $(files services.json) $(files processes.json) $(files net-adapters.json) $(files ip-addresses.json) $(files env.json); do
  case "$f" in
    *hns-networks*) p='\x00' ;; *node/services*) p='\x01' ;; *processes*) p='\x02' ;;
    *net-adapters*) p='\x03' ;; *ip-addresses*) p='\x04' ;; *env.json) p='\x05' ;; *) continue ;;
  esac
  { printf "$p"; cat "$f"; } > "fuzz/corpus/node_records/$(echo "$f" | tr '/ ' '__')"
done
mkdir -p fuzz/corpus/bundle_reader
for f in $(find assets/demo tests/bundles -type f -name '*.json' | head -40); do
  cp "$f" "fuzz/corpus/bundle_reader/$(echo "$f" | tr '/ ' '__')"
done

status=0
summary=()
for t in "${targets[@]}"; do
  echo "== fuzzing $t for ${seconds}s"
  log="fuzz/artifacts/$t.log"
  mkdir -p "fuzz/artifacts/$t"
  if (cd fuzz && cargo +nightly fuzz run "$t" "corpus/$t" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
        -artifact_prefix="artifacts/$t/" -print_final_stats=1) >"$log" 2>&1; then
    result="ok"
  else
    result="CRASH (see $log and fuzz/artifacts/$t/)"
    status=1
  fi
  line=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE)' "$log" | tail -1 || true)
  runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}' || true)
  summary+=("$t: $result; runs ${runs:-?}; last: ${line:-none}")
done
echo "== summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
exit $status
