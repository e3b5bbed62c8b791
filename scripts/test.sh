#!/usr/bin/env bash
# The README's second command: installs what is missing, builds, and runs the whole test suite.
# The suite runs once, in the `asan` preset (Debug, AddressSanitizer + UndefinedBehaviorSanitizer
# on every project target): the same tests as the release preset, with the sanitizers watching.
# Building and running them a second time in release doubled CI's time for no test it lacked
# (docs/ci.md); the release binary is built and checked by `.ci/run`'s package stage.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset asan
cmake --build --preset asan
ctest --preset asan
