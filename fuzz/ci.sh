#!/usr/bin/env bash
# The fuzz targets under libFuzzer, AddressSanitizer and UndefinedBehaviorSanitizer, each for a
# bounded time from its seed corpus (CI runs this after `make test`; see README.md).
#
#   fuzz/ci.sh [seconds per target, default 30] [build dir, default build-fuzz]
#
# Exit status 1 if any target reports (crash, sanitizer report, failed check, leak, timeout,
# out of memory); the input that did it is left in the build dir's fuzz-artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-30}
BUILD=${2:-build-fuzz}
JOBS=${JOBS:-2}
TARGETS=(request_parser_fuzz split_args_fuzz rdb_payload_fuzz packed_blob_fuzz hll_fuzz
         config_file_fuzz dispatcher_fuzz)

# Unoptimized by default (BUILD_TYPE=Debug): CI builds every library once more under the
# sanitizers, and -O0 compiles faster; BUILD_TYPE=RelWithDebInfo for long runs (more inputs
# per second).
if [ ! -f "$BUILD/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Debug}" \
    -DTESSERA_FUZZ=ON -DTESSERA_BENCH=OFF -DTESSERA_WERROR=OFF >/dev/null
fi
cmake --build "$BUILD" -j "$JOBS" --target "${TARGETS[@]}"

mkdir -p "$BUILD/fuzz-artifacts"
status=0
for t in "${TARGETS[@]}"; do
  work=$(mktemp -d)
  cp fuzz/corpus/"$t"/* "$work"/
  log="$BUILD/fuzz-artifacts/$t.log"
  if "$BUILD/fuzz/$t" "$work" -max_total_time="$SECONDS_PER_TARGET" -max_len=8192 \
      -rss_limit_mb=2048 -malloc_limit_mb=512 -timeout=20 -print_final_stats=1 \
      -artifact_prefix="$BUILD/fuzz-artifacts/$t-" >"$log" 2>&1; then
    echo "fuzz: $t: $(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}') inputs," \
         "$(grep -oE 'cov: [0-9]+' "$log" | tail -1) edges, no report"
  else
    echo "fuzz: $t FAILED; the last lines of $log:"
    tail -40 "$log"
    status=1
  fi
  rm -rf "$work"
done
exit $status
