#!/usr/bin/env bash
# Line coverage of core/ by the unit, property and simulation tests.
#   tools/coverage.sh [--fail-under PERCENT]   (default 80)
# Builds build-cov/ with gcov instrumentation, runs the tests that exercise
# core/ in-process, and prints gcovr's summary for core/.
set -euo pipefail
cd "$(dirname "$0")/.."
fail_under=80
if [ "${1:-}" = "--fail-under" ]; then fail_under=$2; fi
tools/setup.sh >/dev/null
cmake -S . -B build-cov -DCMAKE_BUILD_TYPE=Debug -DGAFKA_COVERAGE=ON >/dev/null
cmake --build build-cov -j"$(nproc)" >/dev/null
find build-cov -name '*.gcda' -delete
(cd build-cov && ctest -L unit -j"$(nproc)" --timeout 600 >ctest-cov.log 2>&1) || {
  tail -30 build-cov/ctest-cov.log; echo "coverage: tests failed"; exit 1; }
gcovr --root . --filter 'core/' --exclude-unreachable-branches --print-summary \
      --fail-under-line "$fail_under" build-cov
