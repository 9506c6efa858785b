#!/usr/bin/env bash
# Builds windoctor for x86_64-pc-windows-gnu and runs its test suite on Windows under Wine: the node
# collector's Windows paths (C:\ paths, sc.exe, cmd.exe, process command lines through sysinfo) and
# every node-side test, the parsers and the CLI on node bundles.
#
# Installs what it needs when missing (the Rust target, mingw-w64, wine64), builds a stub
# bcryptprimitives.dll (Wine 8 lacks it; Rust's std needs its ProcessPrng), and keeps a Wine prefix
# of its own. Idempotent and quick to re-run: each step is skipped when already done.
#
# Usage: scripts/windows-tests.sh [extra cargo test arguments, e.g. --test node_bundles]
# Environment: WINDOCTOR_WINEPREFIX (default: target/wine-prefix), CARGO_TARGET_DIR.
# Exit status: non-zero when a step fails or a test fails.
set -euo pipefail

cd "$(dirname "$0")/.."
TARGET=x86_64-pc-windows-gnu
say() { printf 'windows-tests: %s\n' "$*" >&2; }
started=$(date +%s)

# 1. The Rust target.
if ! rustup target list --installed 2>/dev/null | grep -qx "$TARGET"; then
  say "adding the Rust target $TARGET"
  rustup target add "$TARGET"
else
  say "Rust target $TARGET already installed"
fi

# 2. mingw-w64 (linker, C compiler for ring) and Wine.
wine_bin() { command -v wine64 || command -v wine || ls /usr/lib/wine/wine64 2>/dev/null || true; }
missing=()
command -v x86_64-w64-mingw32-gcc >/dev/null || missing+=(gcc-mingw-w64-x86-64)
[ -n "$(wine_bin)" ] || missing+=(wine64)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
    say "missing ${missing[*]} and not root: install them and re-run"; exit 2
  fi
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  say "installing ${missing[*]} (apt-get update first)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "mingw-w64 and Wine already installed"
fi
WINE=$(wine_bin)
[ -n "$WINE" ] || { say "Wine was not found after installing it"; exit 2; }

# 3. The Windows build of the library, binary and tests.
TARGET_DIR=${CARGO_TARGET_DIR:-target}
# Wine needs an absolute prefix; CARGO_TARGET_DIR may be relative or absolute.
case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$PWD/$TARGET_DIR" ;; esac
OUT="$TARGET_DIR/$TARGET/debug"
say "building for $TARGET (cargo test --no-run)"
cargo test --target "$TARGET" --no-run --quiet "$@"

# 4. The bcryptprimitives.dll stub, next to every test executable (the application directory is on
#    the DLL search path).
STUB="$OUT/bcryptprimitives.dll"
if [ ! -f "$STUB" ] || [ scripts/bcryptprimitives-stub.c -nt "$STUB" ]; then
  say "building the bcryptprimitives.dll stub with mingw"
  x86_64-w64-mingw32-gcc -shared -O2 -o "$STUB" scripts/bcryptprimitives-stub.c \
    scripts/bcryptprimitives-stub.def -ladvapi32
fi
cmp -s "$STUB" "$OUT/deps/bcryptprimitives.dll" 2>/dev/null || cp "$STUB" "$OUT/deps/"

# 5. A Wine prefix of our own, initialised once.
export WINEPREFIX=${WINDOCTOR_WINEPREFIX:-$TARGET_DIR/wine-prefix}
export WINEDEBUG=-all
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  say "initialising the Wine prefix $WINEPREFIX"
  "$WINE" wineboot --init >/dev/null 2>&1 || true
  "$WINE" wineserver -w 2>/dev/null || true
fi
# A fresh prefix's service manager is not ready for the first `sc.exe create` a test makes (the
# service is then missing from the next query): start it once and let it settle first.
"$WINE" sc.exe query >/dev/null 2>&1 || true

# 6. The tests, run by Wine. The catalogue completeness tests are platform-independent and belong
#    to the Linux run; everything else runs here.
say "running the tests under Wine ($WINE)"
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER="$WINE"
export WINDOCTOR_WINE=1
status=0
cargo test --target "$TARGET" --no-fail-fast "$@" -- \
  --skip every_check_cites_a_seed_section_and_has_pass_and_problem_examples \
  --skip docs_checks_md_is_current || status=$?
"$WINE" wineserver -k 2>/dev/null || true
say "done in $(( $(date +%s) - started ))s (exit $status)"
exit $status
