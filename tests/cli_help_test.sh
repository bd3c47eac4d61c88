#!/usr/bin/env bash
# The command-line contract every Facet program keeps (core/flags/parse_flags.h):
#   PROGRAM --help and PROGRAM SUBCOMMAND --help exit 0 with the usage on
#   stdout; an unknown flag exits non-zero and names the flag on stderr.
#
#   tests/cli_help_test.sh PROGRAM [SUBCOMMAND...]
set -uo pipefail

program="$1"
shift
name="$(basename "$program")"
out="$(mktemp)"
err="$(mktemp)"
trap 'rm -f "$out" "$err"' EXIT
failures=0

fail() {
  echo "FAIL: $*" >&2
  echo "--- stdout:" >&2; head -c 2000 "$out" >&2
  echo "--- stderr:" >&2; head -c 2000 "$err" >&2
  failures=$((failures + 1))
}

check_help() {
  local rc=0
  "$program" "$@" --help >"$out" 2>"$err" </dev/null || rc=$?
  if [ "$rc" -ne 0 ]; then
    fail "$name $* --help exited $rc, expected 0"
  elif [ ! -s "$out" ]; then
    fail "$name $* --help printed nothing on stdout"
  elif ! grep -qi "usage\|$name" "$out"; then
    fail "$name $* --help: stdout does not look like a usage text"
  else
    echo "ok: $name $* --help (exit 0, $(wc -l <"$out") lines on stdout)"
  fi
}

check_help
for sub in "$@"; do check_help "$sub"; done

flag=--no_such_flag_for_the_help_test
rc=0
"$program" "$flag" >"$out" 2>"$err" </dev/null || rc=$?
if [ "$rc" -eq 0 ]; then
  fail "$name $flag exited 0, expected non-zero"
elif ! grep -q "no_such_flag_for_the_help_test" "$err"; then
  fail "$name $flag: stderr does not name the flag"
else
  echo "ok: $name $flag (exit $rc, flag named on stderr)"
fi

[ "$failures" -eq 0 ]
