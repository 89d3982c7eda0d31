#!/usr/bin/env bash
# Runs files of the Redis 7.2.4 Tcl test suite in external mode against tessera-server, each
# against a fresh server (some files change limits and never restore them).
#
#   scripts/redis-suite.sh SUITE_DIR BINARY unit/type/string unit/keyspace ...
#
# SUITE_DIR holds `runtest` and `tests/` from redis 7.2.4 (git archive 7.2.4 tests runtest),
# with src/redis-cli, src/redis-server and src/redis-benchmark linked to /usr/bin's.  The suite
# is not vendored: it stays outside the repository.  Prints one "file: ok N, err N, exc N" line
# per file; logs go to SUITE_DIR/tessera-logs/.  TESSERA_SUITE_ARGS adds server arguments
# (e.g. "--io-threads 1").
# SUITE_BASEPORT (default: random) puts the server at that port and the suite's own helper
# servers just above it, so that several people can run the suite side by side.
set -u
suite=$(cd "$1" && pwd); binary=$(realpath "$2"); shift 2
mkdir -p "$suite/tessera-logs"
for unit in "$@"; do
  if [ -n "${SUITE_BASEPORT:-}" ]; then port=$SUITE_BASEPORT; base=$((SUITE_BASEPORT + 1))
  else port=$((21111 + RANDOM % 20000)); base=$((22000 + RANDOM % 30000)); fi
  name=$(echo "$unit" | tr / _)
  dir=$(mktemp -d)
  (cd "$dir" && exec "$binary" --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
      --enable-debug-command yes ${TESSERA_SUITE_ARGS:-} >"$suite/tessera-logs/$name.server.log" 2>&1) &
  pid=$!
  for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  (cd "$suite" && timeout 900 ./runtest --host 127.0.0.1 --port "$port" --single "$unit" \
      --clients 1 --durable --timeout 60 --baseport "$base" --portcount 500 >"$suite/tessera-logs/$name.log" 2>&1)
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  sed -i 's/\x1b\[[0-9;]*m//g' "$suite/tessera-logs/$name.log"
  ok=$(grep -c '^\[ok\]' "$suite/tessera-logs/$name.log")
  err=$(grep -c '^\[err\]' "$suite/tessera-logs/$name.log")
  exc=$(grep -c '^\[exception\]' "$suite/tessera-logs/$name.log")
  echo "$unit: ok $ok, err $err, exc $exc"
done
