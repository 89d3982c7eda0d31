#!/usr/bin/env bash
# Runs files of the Redis 7.2.4 Tcl test suite in its own mode (the suite starts and restarts
# the server itself, with its own configs), against tessera-server.
#
#   scripts/redis-suite-own.sh SUITE_DIR BINARY [--tls] unit/acl unit/tls ...
#
# SUITE_DIR is a private copy of the suite (runtest, tests/, utils/, src/ with redis-cli and
# redis-benchmark links); its src/redis-server is pointed at BINARY.  With --tls the files run
# in the suite's TLS mode: Tcl's tls package is installed if missing (Debian's tcl-tls, with
# apt-get: run as root) and the suite's certificates are made by its utils/gen-test-certs.sh
# if tests/tls/ does not hold them yet.  Files run with --durable, so an exception ends one
# test, not the rest of its file.  Prints one "file: ok N, err N, exc N" line per file;
# logs go to SUITE_DIR/tessera-logs/own-*.log.  SUITE_BASEPORT / SUITE_PORTCOUNT (default 21111
# / 8000) set the ports the suite's servers take.  Not part of CI.
set -u
suite=$(cd "$1" && pwd); binary=$(realpath "$2"); shift 2
tls=()
if [ "${1:-}" = "--tls" ]; then
  tls=(--tls); shift
  if ! echo 'package require tls; exit 0' | tclsh >/dev/null 2>&1; then
    apt-get install -y tcl-tls >/dev/null
  fi
  [ -f "$suite/tests/tls/ca.crt" ] || (cd "$suite" && ./utils/gen-test-certs.sh >/dev/null)
fi
ln -sfn "$binary" "$suite/src/redis-server"
mkdir -p "$suite/tessera-logs"
for unit in "$@"; do
  name=own-$(echo "$unit" | tr / _)${tls:+-tls}
  (cd "$suite" && timeout 1800 ./runtest --single "$unit" --clients 1 --durable "${tls[@]}" \
      --baseport "${SUITE_BASEPORT:-21111}" --portcount "${SUITE_PORTCOUNT:-8000}" --timeout 120 >"$suite/tessera-logs/$name.log" 2>&1)
  sed -i 's/\x1b\[[0-9;]*m//g' "$suite/tessera-logs/$name.log"
  ok=$(grep -c '^\[ok\]' "$suite/tessera-logs/$name.log")
  err=$(grep -c '^\[err\]' "$suite/tessera-logs/$name.log")
  exc=$(grep -c '^\[exception\]' "$suite/tessera-logs/$name.log")
  echo "$unit${tls:+ (--tls)}: ok $ok, err $err, exc $exc"
done
