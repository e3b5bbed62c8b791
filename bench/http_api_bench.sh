#!/usr/bin/env bash
# The admin API under load: `maintd serve` with 1,000 tasks (SQLite state database), and wrk
# against GET /api/v1/scheduled-tasks (every task with its next slot and last run, ~0.8 MB of
# JSON). Prints requests/s and p99 latency for each of RUNS runs and their medians.
#
# Side by side: the same JSON document served as a static file by `python3 -m http.server`
# (a cheap peer that does no work per request but send the bytes), and the ratio.
#
#   bash bench/http_api_bench.sh [--build-dir DIR] [--runs N] [--duration 15s] [--tasks 1000]
#
# Without --build-dir it builds the release preset first (cmake --preset release).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=""
runs=3
duration=15s
tasks=1000
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build_dir=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --tasks) tasks=$2; shift 2 ;;
    *) echo "usage: $0 [--build-dir DIR] [--runs N] [--duration 15s] [--tasks 1000]" >&2; exit 2 ;;
  esac
done

if [ -z "$build_dir" ]; then
  (cd "$root" && cmake --preset release >/dev/null && cmake --build --preset release --target maintd)
  build_dir=$root/build/release
fi
maintd=$build_dir/maintd
[ -x "$maintd" ] || { echo "no maintd binary at $maintd" >&2; exit 2; }

if ! command -v wrk >/dev/null; then
  echo "installing wrk" >&2
  as_root=(); [ "$(id -u)" -ne 0 ] && as_root=(sudo)
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi

work=$(mktemp -d /tmp/maintd-http-bench.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# 1,000 tasks that do not fire during the benchmark (once a year), spread over the minutes.
mkdir -p "$work/schedules"
{
  echo "tasks:"
  for i in $(seq 1 "$tasks"); do
    printf '  - name: task-%04d\n    type: debug.noop\n    schedule: "%d %d 1 1 *"\n' \
      "$i" $((i % 60)) $((i % 24))
    printf '    description: benchmark task %d\n    config:\n      sleep: 0s\n' "$i"
  done
} >"$work/schedules/bench.yaml"

port=$(free_port)
token=bench-$(head -c 16 /dev/urandom | xxd -p)
cat >"$work/maintd.yaml" <<EOF
state_database: sqlite3://state.db
schedules:
  - schedules/
log:
  level: warning
http:
  listen: 127.0.0.1:$port
  token: $token
EOF

"$maintd" serve --config "$work/maintd.yaml" >"$work/serve.log" 2>&1 &
pids+=($!)
url=http://127.0.0.1:$port/api/v1/scheduled-tasks
# Ready when the list holds every task (the daemon loads them after the server listens).
for _ in $(seq 1 600); do
  count=$(curl -sf -H "Authorization: Bearer $token" "$url" 2>/dev/null |
            python3 -c 'import json,sys; print(len(json.load(sys.stdin)["tasks"]))' 2>/dev/null || true)
  [ "$count" = "$tasks" ] && break
  sleep 0.1
done
if [ "$count" != "$tasks" ]; then
  echo "maintd did not serve $tasks tasks; its log:" >&2
  cat "$work/serve.log" >&2
  exit 1
fi
curl -sf -H "Authorization: Bearer $token" "$url" >"$work/tasks.json"
echo "maintd $("$maintd" --version | cut -d' ' -f2), $tasks tasks, response $(wc -c <"$work/tasks.json") bytes"
echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), load $(cut -d' ' -f1-3 /proc/loadavg)"

# wrk's output -> "requests_per_second p99_ms"
measure() {
  local target=$1
  shift
  local out
  out=$(wrk -t2 -c32 -d"$duration" --latency "$@" "$target")
  local rps p99
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/, "", v); v/=1000}
                          else if (v ~ /ms$/) {sub(/ms$/, "", v)}
                          else if (v ~ /s$/) {sub(/s$/, "", v); v*=1000}
                          print v}' <<<"$out")
  local errors
  errors=$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out")
  if [ -n "$errors" ]; then echo "warning: $errors non-2xx responses" >&2; fi
  echo "$rps $p99"
}

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "warm-up (3s)"
wrk -t2 -c32 -d3s -H "Authorization: Bearer $token" "$url" >/dev/null

echo
echo "wrk -t2 -c32 -d$duration --latency -H 'Authorization: Bearer ...' $url"
: >"$work/maintd.txt"
for i in $(seq 1 "$runs"); do
  read -r rps p99 < <(measure "$url" -H "Authorization: Bearer $token")
  echo "  run $i: $rps requests/s, p99 $p99 ms"
  echo "$rps $p99" >>"$work/maintd.txt"
done
maintd_rps=$(cut -d' ' -f1 "$work/maintd.txt" | median)
maintd_p99=$(cut -d' ' -f2 "$work/maintd.txt" | median)
echo "  median: $maintd_rps requests/s, p99 $maintd_p99 ms"

# The peer: the same bytes as a static file (no auth, no database, no JSON building).
peer_port=$(free_port)
(cd "$work" && exec python3 -m http.server "$peer_port" --bind 127.0.0.1 >/dev/null 2>&1) &
pids+=($!)
peer_url=http://127.0.0.1:$peer_port/tasks.json
for _ in $(seq 1 100); do curl -sf -o /dev/null "$peer_url" && break; sleep 0.1; done
echo
echo "peer: python3 -m http.server serving the same JSON as a static file"
echo "wrk -t2 -c32 -d$duration --latency $peer_url"
: >"$work/peer.txt"
for i in $(seq 1 "$runs"); do
  read -r rps p99 < <(measure "$peer_url")
  echo "  run $i: $rps requests/s, p99 $p99 ms"
  echo "$rps $p99" >>"$work/peer.txt"
done
peer_rps=$(cut -d' ' -f1 "$work/peer.txt" | median)
peer_p99=$(cut -d' ' -f2 "$work/peer.txt" | median)
echo "  median: $peer_rps requests/s, p99 $peer_p99 ms"

echo
python3 - "$maintd_rps" "$maintd_p99" "$peer_rps" "$peer_p99" <<'EOF'
import sys
m_rps, m_p99, p_rps, p_p99 = map(float, sys.argv[1:])
print(f"maintd: {m_rps:.1f} requests/s, p99 {m_p99:.1f} ms; "
      f"static peer: {p_rps:.1f} requests/s, p99 {p_p99:.1f} ms; "
      f"maintd/peer throughput {m_rps / p_rps:.2f}x")
EOF
