#!/usr/bin/env bash
# Builds the Debian package from the release preset: build/release/maintd_<version>_<arch>.deb.
#   bash scripts/package.sh            configure and build the release preset, then cpack
# Prints the package's path on the last line.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release --target maintd >&2
(cd build/release && cpack -G DEB >&2)
ls -t build/release/maintd_*.deb | head -n 1
