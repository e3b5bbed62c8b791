#!/usr/bin/env bash
# Builds the `fuzz` preset and runs the cron parser fuzzer for SECONDS (default 60) on a copy of
# fuzz/corpus, so the repository is not modified. Exits non-zero on a crash, a failed check, a
# timeout (-timeout=5 per input) or running out of memory (-rss_limit_mb=2048); the input that
# did it is kept in build/fuzz/artifacts/.
#
# Usage: fuzz/run.sh [SECONDS] [extra libFuzzer flags...]
# Reproduce a saved input: build/fuzz/fuzz/cron_parser_fuzz build/fuzz/artifacts/crash-...
set -euo pipefail

seconds="${1:-60}"
shift || true
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"

cmake --preset fuzz
cmake --build --preset fuzz

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r fuzz/corpus "$work/corpus"
artifacts="$root/build/fuzz/artifacts"
mkdir -p "$artifacts"

status=0
build/fuzz/fuzz/cron_parser_fuzz "$work/corpus" \
  -dict=fuzz/cron.dict -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 \
  -max_len=128 -print_final_stats=1 -artifact_prefix="$artifacts/" "$@" || status=$?

if [ "$status" -ne 0 ]; then
  # libFuzzer's own codes (77 on a crash) would read as "skipped" to CTest: report 1.
  echo "fuzz/run.sh: FAILED: the fuzzer stopped with status $status; inputs in $artifacts:" >&2
  ls -l "$artifacts" >&2 || true
  exit 1
fi
echo "fuzz/run.sh: no crash in ${seconds}s; corpus grew to $(ls "$work/corpus" | wc -l) inputs" >&2
