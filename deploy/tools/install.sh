#!/usr/bin/env bash
# Installs deploy/tools/node_modules from the committed package-lock.json
# with `npm ci`, once: a stamp holding the lock's SHA-256 makes later calls
# return at once. Called by the CTest fixture deploy_tools_install; safe to
# run concurrently (flock) and by hand.
set -euo pipefail
DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$DIR"
command -v npm >/dev/null || { echo "install.sh: npm not found (Node.js 18+ needed)" >&2; exit 1; }
exec 9>"$DIR/.install.lock"
flock 9
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
stamp="node_modules/.facet-lock-sha256"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "install.sh: npm ci in $DIR" >&2
npm ci --no-audit --no-fund --loglevel=error >&2
echo "$want" > "$stamp"
