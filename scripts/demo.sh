#!/usr/bin/env bash
# The README's first command: installs what is missing, builds, and runs maintd on the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
maintd=build/release/maintd

# Until the daemon lands (issue 5 makes this `maintd serve --config config/demo.yaml`), the demo
# shows what maintd will do with the bundled demo configuration, then the cron engine at work.
"$maintd" --version
echo
echo "== maintd validate --config config/demo.yaml"
"$maintd" validate --config config/demo.yaml
echo
echo "== maintd list --config config/demo.yaml"
"$maintd" list --config config/demo.yaml
echo
echo "== maintd next --config config/demo.yaml --count 8"
"$maintd" next --config config/demo.yaml --count 8

demo() {
  local expr=$1 tz=$2
  printf '\n%s  (%s)\n  %s\n' "$expr" "$tz" "$("$maintd" cron explain "$expr")"
  "$maintd" cron next "$expr" --tz "$tz" --count 3 | sed 's/^/  next: /'
}
echo
echo "== the cron engine"
demo "*/5 * * * *" UTC
demo "30 2 * * 1-5" Europe/Berlin
demo "*/10 * * * * *" UTC
demo "0 3 L * *" America/New_York
echo
echo "Daylight saving: 02:30 does not exist in Berlin on 2026-03-29, so it fires once at the change:"
"$maintd" cron next "30 2 * * *" --tz Europe/Berlin --from 2026-03-28T00:00:00Z --count 2 | sed 's/^/  /'
echo
echo "An invalid expression is rejected with the place and the reason (exit code 2):"
"$maintd" cron next "0 0 31 4,6,9,11 *" 2>&1 | sed 's/^/  /' || true
