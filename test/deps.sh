#!/usr/bin/env bash
# Install what social_crm needs on Debian 12, only where it is missing.
#   test/deps.sh            build + test dependencies
#   test/deps.sh bench      also the Python references used by make bench
set -euo pipefail

pkgs=(make gcc postgresql-common postgresql-15 postgresql-server-dev-15
      postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl postgresql-15-cron)
if [ "${1:-}" = bench ]; then
  pkgs+=(python3-numpy python3-scipy python3-igraph python3-networkx)
fi

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "social_crm: installing ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "social_crm: missing packages (${missing[*]}) and not root; install them or run as root" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
