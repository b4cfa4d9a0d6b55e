#!/usr/bin/env bash
# Run the browser suite N times in a row with both cores kept busy; print one line per run.
# Issue 11, point 18: "run the browser tests 5 times in a row with both cores kept busy".
# Usage: tests/browser/repeat_under_load.sh [runs]   (after make setup; Chromium installed)
set -u
cd "$(dirname "$0")/../.."
runs=${1:-5}
loads=()
for _ in $(seq "$(nproc)"); do (while :; do :; done) & loads+=($!); done
trap 'kill "${loads[@]}" 2>/dev/null' EXIT
failed=0
for i in $(seq "$runs"); do
  start=$(date +%s)
  if REQUIRE_BROWSER=1 .venv/bin/python -m pytest -q -p no:randomly tests/browser > "/tmp/browser-run-$i.log" 2>&1; then
    echo "run $i: passed in $(( $(date +%s) - start )) s — $(tail -1 /tmp/browser-run-$i.log)"
  else
    failed=1
    echo "run $i: FAILED in $(( $(date +%s) - start )) s — see /tmp/browser-run-$i.log"
    grep -E '^(FAILED|ERROR)' "/tmp/browser-run-$i.log"
  fi
done
exit $failed
