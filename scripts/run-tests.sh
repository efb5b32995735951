#!/usr/bin/env bash
# Runs test suites with node's test runner: unit (beside the code in src/),
# integration (test/integration, test/helpers) and chaos (test/chaos).
# Usage: bash scripts/run-tests.sh unit integration chaos
set -euo pipefail
cd "$(dirname "$0")/.."
files=()
for suite in "$@"; do
  case "$suite" in
    unit) dirs=(src) ;;
    integration) dirs=(test/helpers test/integration) ;;
    chaos) dirs=(test/chaos) ;;
    *) echo "unknown suite: $suite (use unit, integration, chaos)" >&2; exit 2 ;;
  esac
  for dir in "${dirs[@]}"; do
    [ -d "$dir" ] || continue
    while IFS= read -r file; do files+=("$file"); done < <(find "$dir" -name '*.test.ts' | sort)
  done
done
if [ ${#files[@]} -eq 0 ]; then echo "no test files found for: $*" >&2; exit 1; fi
# Integration tests each start their own redis-server, origin and daemon, so two files can run at once on 2 cores.
exec node --import tsx --test --test-concurrency="${MEDIAD_TEST_CONCURRENCY:-2}" --test-timeout=600000 "${files[@]}"
