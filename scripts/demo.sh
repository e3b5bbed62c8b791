#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs the maintd daemon on the
# bundled demo (config/demo.yaml, schedules/demo/): SQLite state database in var/, tasks firing
# every few seconds. Ctrl-C stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
maintd=build/release/maintd
mkdir -p var

"$maintd" --version
"$maintd" validate --config config/demo.yaml
"$maintd" list --config config/demo.yaml
cat <<HINT

Starting the daemon. Runs are recorded in var/maintd.db; in another terminal, try:
  $maintd history --config config/demo.yaml
  $maintd show-run 1 --config config/demo.yaml
  $maintd run heartbeat --config config/demo.yaml
Ctrl-C stops it (running handlers get shutdown_grace to finish).

HINT
exec "$maintd" serve --config config/demo.yaml
