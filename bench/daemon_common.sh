# shellcheck shell=bash
# Sourced by bench/daemon_scale.sh and bench/daemon_accuracy.sh, which share their options:
#   --strict         exit 1 when a target is missed (default: report only)
#   --keep DIR       also write the JSON, table.txt (and for accuracy each maintd run's
#                    directory) to DIR
#   --build-dir DIR  build tree (RelWithDebInfo, configured if missing); default build/release
#   --maintd PATH    measure this maintd binary; build nothing (e.g. another checkout's)
# Environment: REPETITIONS (default 3), CMAKE_BUILD_PARALLEL_LEVEL (default: nproc).
#
# bench_setup "$@"   parses the options, goes to the repository's root, builds maintd (or takes
#                    --maintd) and sets: maintd (absolute path), work (a temporary directory,
#                    removed on exit), keep (absolute, or empty), strict (0 or 1)
# bench_report NAME  prints the table of $work/NAME.json (bench/daemon_bench.py report), copies
#                    the JSON and the table to --keep, and exits with the report's status

# Builds the maintd binary in a RelWithDebInfo tree and prints its absolute path.
#   build_maintd ""        the release preset's build/release
#   build_maintd DIR       DIR, configured with the release preset's settings if new
build_maintd() {
  local build_dir="$1"
  export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
  if [ -z "$build_dir" ]; then
    cmake --preset release >/dev/null
    cmake --build --preset release --target maintd >&2
    build_dir=build/release
  else
    # Name the compiler only for a new tree: changing it in an existing one makes CMake drop
    # the whole cache, the build type with it.
    local compiler=()
    [ -f "$build_dir/CMakeCache.txt" ] || compiler=(-DCMAKE_CXX_COMPILER=g++)
    cmake -S . -B "$build_dir" -G Ninja "${compiler[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      >/dev/null
    cmake --build "$build_dir" --target maintd >&2
  fi
  local binary
  binary="$(find "$build_dir" -maxdepth 2 -type f -name maintd -perm -u+x | head -n 1)"
  if [ -z "$binary" ]; then
    echo "no maintd binary under $build_dir" >&2
    return 1
  fi
  (cd "$(dirname "$binary")" && echo "$PWD/maintd")
}

# shellcheck disable=SC2034  # maintd, work, keep and strict are the callers'
bench_setup() {
  strict=0
  keep=""
  local build_dir="" binary=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --strict) strict=1 ;;
      --keep) keep="$2"; shift ;;
      --build-dir) build_dir="$2"; shift ;;
      --maintd) binary="$2"; shift ;;
      *) echo "usage: $0 [--strict] [--keep DIR] [--build-dir DIR] [--maintd PATH]" >&2; exit 2 ;;
    esac
    shift
  done
  if [ -n "$keep" ]; then
    mkdir -p "$keep"
    keep="$(cd "$keep" && pwd)"
  fi
  if [ -n "$binary" ]; then
    maintd="$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")"
  fi
  cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2
  if [ -z "$binary" ]; then
    maintd="$(build_maintd "$build_dir")"
  fi
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
}

bench_report() {
  local name="$1" status=0
  local flags=()
  [ "$strict" = 1 ] && flags=(--strict)
  /usr/bin/python3 bench/daemon_bench.py report "${flags[@]}" "$work/$name.json" \
    >"$work/table.txt" || status=$?
  cat "$work/table.txt"
  if [ -n "$keep" ]; then
    cp "$work/$name.json" "$work/table.txt" "$keep/"
  fi
  exit "$status"
}
