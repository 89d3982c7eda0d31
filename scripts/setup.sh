#!/usr/bin/env bash
# Installs what Tessera needs to build and test on Debian 12, if it is missing.
# Idempotent; works as root or through sudo.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libuv1-dev libxxhash-dev libfmt-dev libjemalloc-dev liblzf-dev
  catch2 libbenchmark-dev
  liblua5.1-0-dev lua-cjson-dev lua-bitop-dev libssl-dev
  redis-tools redis-server python3 python3-redis
  locales
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Node.js and npm for the real-client test of ioredis (tests/node): Debian's, unless some
# node and npm are already there (a NodeSource build would conflict with Debian's npm).
if ! command -v node >/dev/null 2>&1; then missing+=(nodejs); fi
if ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi

# The packages of tests/node (ioredis), as package-lock.json pins them, into its
# node_modules (ignored by git).  Needs the npm registry; without it test_ioredis skips.
install_node_packages() {
  local dir
  dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/node"
  if command -v npm >/dev/null 2>&1 && [ ! -d "$dir/node_modules/ioredis" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) ||
      echo "setup: npm ci in tests/node failed; test_ioredis will skip" >&2
  fi
}

if [ ${#missing[@]} -eq 0 ]; then
  install_node_packages
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup: need root or sudo to install: ${missing[*]}" >&2
    exit 1
  fi
fi
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
# The redis-server package starts a service on 6379 where systemd runs; we only want its
# binary as a reference for comparisons, so stop it when it is running.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet redis-server 2>/dev/null; then
  $SUDO systemctl disable --now redis-server >/dev/null 2>&1 || true
fi
install_node_packages
