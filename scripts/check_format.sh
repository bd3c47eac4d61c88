#!/usr/bin/env bash
# Fails when a C++ line changed since BASE is not formatted as .clang-format
# says (clang-format-14, Google style, 80 columns). Only changed lines are
# checked, so old code is reformatted when it is next touched, not in bulk.
#
#   scripts/check_format.sh [BASE]
#
# BASE, when not given: $FACET_FORMAT_BASE; else the merge-base of HEAD with
# origin/main, or with main; when that is HEAD itself (on main, or a clean
# CI clone of it), HEAD's first parent, i.e. the last commit's (or merge's)
# changes. Uncommitted changes to tracked files count too.
# Exit status: 0 clean; 1 unformatted lines (the fix is printed as a diff);
# 77 nothing could be checked (no git checkout, no clang-format-14), which
# CTest reports as skipped.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CLANG_FORMAT="${CLANG_FORMAT:-clang-format-14}"
if ! command -v "$CLANG_FORMAT" >/dev/null || ! command -v git-clang-format-14 >/dev/null; then
  echo "check_format: $CLANG_FORMAT or git-clang-format-14 not installed (Debian clang-format-14); skipped" >&2
  exit 77
fi
if ! git rev-parse --verify -q HEAD >/dev/null 2>&1; then
  echo "check_format: $ROOT is not a git checkout with commits; skipped" >&2
  exit 77
fi

# The empty tree: with no earlier commit, every line is new.
EMPTY_TREE=4b825dc642cb6eb9a060e54bf8d69288fbee4904
base="${1:-${FACET_FORMAT_BASE:-}}"
if [ -z "$base" ]; then
  for ref in origin/main main; do
    if git rev-parse --verify -q "$ref" >/dev/null; then
      base="$(git merge-base HEAD "$ref" || true)"
      [ -n "$base" ] && break
    fi
  done
  if [ -z "$base" ] || [ "$base" = "$(git rev-parse HEAD)" ]; then
    base="$(git rev-parse --verify -q 'HEAD^' || echo "$EMPTY_TREE")"
  fi
fi

diff="$(git-clang-format-14 --binary "$(command -v "$CLANG_FORMAT")" --diff \
          --extensions cc,h "$base" 2>&1)" || true
if printf '%s\n' "$diff" | grep -q '^diff --git'; then
  printf '%s\n' "$diff"
  echo "check_format: the lines above, changed since ${base:0:12}, are not clang-format clean." >&2
  echo "check_format: fix with: git clang-format-14 --binary $CLANG_FORMAT ${base:0:12}" >&2
  exit 1
fi
if printf '%s\n' "$diff" | grep -qi 'error'; then
  printf '%s\n' "$diff" >&2
  exit 1
fi
echo "check_format: lines changed since ${base:0:12} are clang-format clean"
