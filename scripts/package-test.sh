#!/usr/bin/env bash
# Issue 7's checks of the Debian package, on this machine (as root; CI runs it): the unit passes
# `systemd-analyze security` (exposure <= 2.0) and `verify`; the package installs; the installed
# maintd answers --version and validates the shipped configuration; the postinst created the
# user, the state directory and the state database; `dpkg -r` removes the package and keeps the
# state directory. Installs into the real system: refuses to run unless root and --yes is given.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" != "--yes" ] || [ "$(id -u)" -ne 0 ]; then
  echo "usage: sudo $0 --yes   (installs and removes the maintd package on this machine)" >&2
  exit 2
fi
step() { printf '\n== %s\n' "$*" >&2; }
fail() { echo "package-test: FAIL: $*" >&2; exit 1; }

step "systemd-analyze security (offline, threshold 20 = exposure 2.0)"
systemd-analyze security --offline=yes --threshold=20 --no-pager packaging/maintd.service |
  tail -n 1

step "build the package"
deb="$(bash scripts/package.sh | tail -n 1)"
echo "$deb"
dpkg-deb --info "$deb" | sed -n '/Depends/p;/Package/p;/Version/p'
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qx /etc/maintd/maintd.yaml ||
  fail "/etc/maintd/maintd.yaml is not a conffile"

step "dpkg -i"
dpkg -r maintd >/dev/null 2>&1 || true
dpkg -i "$deb"
/usr/bin/maintd --version
/usr/bin/maintd validate --config /etc/maintd/maintd.yaml
getent passwd maintd >/dev/null || fail "the maintd user was not created"
[ "$(stat -c %U /var/lib/maintd)" = maintd ] || fail "/var/lib/maintd is not owned by maintd"
[ -f /var/lib/maintd/state.db ] || fail "postinst did not migrate the state database"
unit=/usr/lib/systemd/system/maintd.service
[ -f "$unit" ] || fail "no $unit"
step "systemd-analyze verify $unit"
systemd-analyze verify "$unit"
runuser -u maintd -- /usr/bin/maintd status --config /etc/maintd/maintd.yaml --json >/dev/null ||
  [ $? -eq 1 ] || fail "maintd status failed from the installed paths"

step "dpkg -r"
dpkg -r maintd
[ ! -e /usr/bin/maintd ] || fail "/usr/bin/maintd is still there"
[ -d /var/lib/maintd ] && [ -f /var/lib/maintd/state.db ] || fail "the state directory was removed"
echo "package-test: OK" >&2
