#!/usr/bin/env bash
# Runs a command with Node.js >= 22 first on PATH (see ensure-node.sh) and native addons built
# against that Node's headers. package.json scripts go through here, so `npm start` works
# even when the npm that launched it runs on an older system node.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="$("$here/ensure-node.sh")"
if [ -n "$bin" ]; then
  export PATH="$bin:$PATH"
  export npm_config_nodedir="$(dirname "$bin")"
fi
exec "$@"
