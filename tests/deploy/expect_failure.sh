#!/usr/bin/env bash
# The suite's negative cases: runs a checker on a deliberately broken input
# and passes only if the checker fails (non-zero exit) and its output matches
# every -e REGEX (so it failed for the reasons the fixture was built for).
# Exit 77 (the checker skipped: a tool is missing) is passed on.
#
#   expect_failure.sh -e REGEX [-e REGEX...] -- COMMAND [ARGS...]
set -uo pipefail
patterns=()
while [ $# -gt 0 ]; do
  case "$1" in
    -e) patterns+=("$2"); shift 2 ;;
    --) shift; break ;;
    *) echo "usage: expect_failure.sh -e REGEX... -- COMMAND..." >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "expect_failure.sh: no command" >&2; exit 2; }
output="$("$@" 2>&1)"
rc=$?
printf '%s\n' "$output"
if [ $rc -eq 77 ]; then
  exit 77  # the checker skipped (a tool is missing): so does this case
fi
if [ $rc -eq 0 ]; then
  echo "expect_failure.sh: FAILED: the checker accepted a broken input: $*"
  exit 1
fi
for p in "${patterns[@]}"; do
  if ! grep -Eq -- "$p" <<<"$output"; then
    echo "expect_failure.sh: FAILED: the checker failed (exit $rc) but did not report /$p/"
    exit 1
  fi
done
echo "expect_failure.sh: ok: rejected (exit $rc) with every expected message"
