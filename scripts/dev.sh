#!/usr/bin/env bash
# One entry point for a fresh machine:
#   scripts/dev.sh start   install what is missing, then start the bot (local mode without tokens)
#   scripts/dev.sh test    install what is missing, then run typecheck, lint, the whole test suite
#                          and the production check (scripts/production-check.ts)
# Installs: Open MPI, OpenSSH, hpcc, cloud-init, a font and Perl (Debian packages, when missing), Node.js >= 22 (into .tools/
# when the machine's node is older), and the npm dependencies.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

need_packages=()
command -v mpicc >/dev/null || need_packages+=(openmpi-bin libopenmpi-dev)
[ -x /usr/sbin/sshd ] || need_packages+=(openssh-server)
command -v ssh >/dev/null || need_packages+=(openssh-client)
command -v ssh-keygen >/dev/null || need_packages+=(openssh-client)
command -v unshare >/dev/null || need_packages+=(util-linux)
# Network namespaces for the fake Azure VMs of the end-to-end tests.
command -v ip >/dev/null || [ -x /usr/sbin/ip ] || need_packages+=(iproute2)
# The HPC Challenge suite: the tests run it on local clusters with several ranks per node.
command -v hpcc >/dev/null || need_packages+=(hpcc)
# A font for the cost report's chart (resvg draws no text without one).
[ -d /usr/share/fonts/truetype/dejavu ] || need_packages+=(fonts-dejavu-core)
# Perl reads node activity for the idle reaper (perl-base is essential on Debian; just in case).
command -v perl >/dev/null || need_packages+=(perl-base)
# `cloud-init schema` validates the Azure nodes' custom data in the tests.
command -v cloud-init >/dev/null || need_packages+=(cloud-init)
if [ ${#need_packages[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "mpibox: installing system packages: ${need_packages[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
    "${need_packages[@]}" build-essential >/dev/null
fi

stamp="node_modules/.mpibox-installed"
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  scripts/with-node.sh npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi

case "${1:-}" in
  start) shift; exec npm start --silent -- "$@" ;;
  test)
    scripts/with-node.sh npm run --silent typecheck && npm run --silent lint && npm test --silent
    # What the container does, outside Docker: production install, start, /healthz, /metrics, SIGTERM.
    exec scripts/with-node.sh node --disable-warning=ExperimentalWarning scripts/production-check.ts ;;
  install) ;;
  *) echo "usage: scripts/dev.sh start|test|install" >&2; exit 2 ;;
esac
