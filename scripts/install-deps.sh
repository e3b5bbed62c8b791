#!/usr/bin/env bash
# Installs every Debian 12 package maintd needs to build, test and benchmark.
# Idempotent: when everything is already installed it returns without touching apt.
# Runs as root (a fresh Debian 12 has no sudo); uses sudo only if it is not root.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build git pkg-config clang clang-format libclang-rt-14-dev
  # libraries (headers and CMake configs)
  libboost-dev libsoci-dev libsqlite3-dev libpq-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
  doctest-dev libcli11-dev libcctz-dev nlohmann-json3-dev libsystemd-dev libbenchmark-dev
  # the dashboard's templates
  libmstch-dev
  # the outbound HTTP(S) client (src/outbound)
  libcurl4-openssl-dev
  # the tests' local HTTPS server (OpenSSL through Asio) and its certificates (the openssl tool)
  libssl-dev openssl
  # runtime: time zones, the embedded state database's shell, PostgreSQL for integration tests
  tzdata sqlite3 postgresql-15 postgresql-client-15
  # packaging checks (scripts/package-test.sh): systemd-analyze, systemd-sysusers
  systemd
  # peers for differential tests and side-by-side benchmarks
  python3 python3-croniter python3-apscheduler
  # the admin API's load benchmark (bench/http_api_bench.sh)
  wrk
  # the dashboard's browser test: headless Chromium driven over the DevTools Protocol
  chromium python3-websocket
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then as_root=(sudo); fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
# Do not start the packaged PostgreSQL cluster: tests run their own throwaway cluster.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee /usr/sbin/policy-rc.d >/dev/null
  "${as_root[@]}" chmod +x /usr/sbin/policy-rc.d
  trap '"${as_root[@]}" rm -f /usr/sbin/policy-rc.d' EXIT
fi
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
