#!/usr/bin/env bash
# Runs the whole gafka test suite: installs what is missing, builds, runs
# every test with ctest (unit, property, simulation slice, end-to-end).
#   tools/test.sh             normal build (build/)
#   tools/test.sh --sanitize  also AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/)
# CI (CI=true) always adds the sanitizer run. The last line sums both runs.
set -uo pipefail
cd "$(dirname "$0")/.."

sanitize=0
[ "${CI:-}" = "true" ] && sanitize=1
for arg in "$@"; do
  case "$arg" in
    --sanitize) sanitize=1 ;;
    --no-sanitize) sanitize=0 ;;
    *) echo "unknown argument: $arg"; exit 2 ;;
  esac
done

tools/setup.sh || exit 1
jobs=$(nproc)
total_passed=0
total_failed=0

run_suite() {  # run_suite BUILD_DIR [cmake args...]
  local dir=$1; shift
  echo "=== building $dir $*"
  cmake -S . -B "$dir" "$@" >"$dir.cmake.log" 2>&1 || { cat "$dir.cmake.log"; return 1; }
  cmake --build "$dir" -j"$jobs" 2>&1 | grep -E "error|warning|Error" ; [ "${PIPESTATUS[0]}" -eq 0 ] || return 1
  echo "=== testing $dir"
  local log="$dir/ctest.log"
  (cd "$dir" && ctest --output-on-failure -j"$jobs" --timeout 600) 2>&1 | tee "$log"
  local summary passed failed
  summary=$(grep -E "tests passed, [0-9]+ tests? failed out of [0-9]+" "$log" | tail -1)
  if [ -z "$summary" ]; then
    total_failed=$((total_failed + 1))
    return 1
  fi
  failed=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$summary")
  total=$(sed -E 's/.* failed out of ([0-9]+).*/\1/' <<<"$summary")
  passed=$((total - failed))
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
  [ "$failed" -eq 0 ]
}

status=0
run_suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo || status=1
if [ $sanitize -eq 1 ]; then
  run_suite build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGAFKA_SANITIZE=ON || status=1
fi
echo "suite: $total_passed passed, $total_failed failed"
exit $status
