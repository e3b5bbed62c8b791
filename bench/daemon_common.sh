# Sourced by bench/daemon_scale.sh and bench/daemon_accuracy.sh: builds the maintd binary in a
# RelWithDebInfo tree and prints its path.
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
