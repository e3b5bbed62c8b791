#!/usr/bin/env bash
# Builds the `fuzz` preset and runs each fuzzer for its share of SECONDS (default 60, a third
# each): the cron parser's on a copy of fuzz/corpus, the config loader's on a copy of
# fuzz/config_corpus, the API request's on a copy of fuzz/api_corpus, so the repository is not
# modified. Exits non-zero on a crash, a failed
# check, a timeout (-timeout=5 per input) or running out of memory (-rss_limit_mb=2048); the
# input that did it is kept in build/fuzz/artifacts/.
#
# Usage: fuzz/run.sh [SECONDS] [extra libFuzzer flags, given to each...]
# Reproduce a saved input with the fuzzer its name begins with:
#   build/fuzz/fuzz/config_loader_fuzz build/fuzz/artifacts/config_loader_fuzz-crash-...
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
artifacts="$root/build/fuzz/artifacts"
mkdir -p "$artifacts"
# The budget is split, so CI's fuzz stage takes as long as it did with the cron fuzzer alone.
first=$((seconds / 3))
second=$((seconds / 3))
third=$((seconds - first - second))

# run NAME CORPUS SECONDS MAX_LEN [flags...]: one fuzzer on a copy of its corpus; 0 or its status.
run() {
  local name=$1 corpus=$2 time=$3 max_len=$4
  shift 4
  cp -r "fuzz/$corpus" "$work/$corpus"
  local status=0
  "build/fuzz/fuzz/$name" "$work/$corpus" -max_total_time="$time" -timeout=5 \
    -rss_limit_mb=2048 -max_len="$max_len" -print_final_stats=1 \
    -artifact_prefix="$artifacts/$name-" "$@" || status=$?
  if [ "$status" -ne 0 ]; then
    echo "fuzz/run.sh: $name stopped with status $status" >&2
    return "$status"
  fi
  echo "fuzz/run.sh: $name: no crash in ${time}s; corpus grew to" \
    "$(ls "$work/$corpus" | wc -l) inputs" >&2
}

status=0
run cron_parser_fuzz corpus "$first" 128 -dict=fuzz/cron.dict "$@" || status=$?
if [ "$status" -eq 0 ]; then
  run config_loader_fuzz config_corpus "$second" 4096 -dict=fuzz/config.dict "$@" || status=$?
fi
if [ "$status" -eq 0 ]; then
  # Long enough for a body nested past the depth limit (128 levels) with its request line.
  run api_request_fuzz api_corpus "$third" 8192 -dict=fuzz/api.dict "$@" || status=$?
fi

if [ "$status" -ne 0 ]; then
  # libFuzzer's own codes (77 on a crash) would read as "skipped" to CTest: report 1.
  echo "fuzz/run.sh: FAILED: the fuzzer stopped with status $status; inputs in $artifacts:" >&2
  ls -l "$artifacts" >&2 || true
  exit 1
fi
echo "fuzz/run.sh: no crash in ${seconds}s" >&2
