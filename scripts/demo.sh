#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs the maintd daemon on the
# bundled demo (config/demo.yaml, schedules/demo/): SQLite state database in var/, tasks firing
# every few seconds. Ctrl-C stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset release >/dev/null
# Only what the demo runs: the tests and benchmarks are most of the build (docs/ci.md, "The
# demo's first start"). Same preset and build directory as scripts/test.sh, which builds the
# rest on top of it and rebuilds nothing.
cmake --build --preset release --target maintd
maintd=build/release/maintd
mkdir -p var

"$maintd" --version
"$maintd" validate --config config/demo.yaml
"$maintd" list --config config/demo.yaml
# The demo application's database: its tables and a first helping of stuck claims, stale runs,
# pending drafts and orphaned jobs, written by maintd itself (sql.exec, schedules/demo/app.yaml).
"$maintd" run demo-app-traffic --config config/demo.yaml >/dev/null
cat <<HINT

Starting the daemon. Runs are recorded in var/maintd.db; the demo application is
var/demo-app.db. The dashboard is at http://127.0.0.1:8089/ (token: demo-token; set
MAINTD_DEMO_HTTP=127.0.0.1:PORT for another port). In another terminal, try:
  curl -H 'Authorization: Bearer demo-token' http://127.0.0.1:8089/api/v1/scheduled-tasks
  curl http://127.0.0.1:8089/metrics
  $maintd history --config config/demo.yaml
  $maintd show-run 1 --config config/demo.yaml
  $maintd status --config config/demo.yaml
  $maintd run release-stuck-claims --dry-run --config config/demo.yaml
  sqlite3 var/demo-app.db "SELECT id, claimed_by, claimed_at FROM task_claims"
  sqlite3 var/demo-app.db "SELECT id, status, error FROM creations"
Ctrl-C stops it (running handlers get shutdown_grace to finish).

HINT
exec "$maintd" serve --config config/demo.yaml
