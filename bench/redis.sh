#!/usr/bin/env bash
# Runs governed-bench's Redis benchmarks against a redis-server of their own on a free loopback
# port (or against $GOVERNED_REDIS_URL when it is set), beside redis-benchmark in the same run.
#   bench/redis.sh [governed-bench binary] [extra Google Benchmark flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
bench=${1:-build/bench/bench/governed-bench}
shift || true
# Built (optimised) by ./dev bench when missing; listing the benchmarks runs none of them.
[ -x "$bench" ] || ./dev bench --benchmark_list_tests >/dev/null
if [ -z "${GOVERNED_REDIS_URL:-}" ]; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  dir=$(mktemp -d)
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" --daemonize yes \
    --pidfile "$dir/redis.pid" --loglevel warning
  trap 'kill "$(cat "$dir/redis.pid")" 2>/dev/null; rm -rf "$dir"' EXIT
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
  export GOVERNED_REDIS_URL="redis://127.0.0.1:$port"
fi
"$bench" --benchmark_filter='BM_Redis_' "$@"
