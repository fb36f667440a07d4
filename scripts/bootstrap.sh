#!/usr/bin/env bash
# What the tests need beside Python: Chromium (pages and reports in a real browser), Node.js and npm (the JS
# SDK and Nodemailer peers), PostgreSQL and Redis (real servers; the fixtures start throwaway ones from the
# installed binaries when none answers). Shared by `make test` and `.ci/run`.
#
# Installs what is missing with apt-get when it can (root, or sudo without a password); otherwise stops at
# once, printing the exact command to run. Nothing is installed when everything is there.
#
# SESFLOW_PG_BIN_GLOB (default /usr/lib/postgresql/*/bin) is where Debian keeps PostgreSQL's server
# binaries, which are not on PATH; tests of this script point it elsewhere.
set -euo pipefail

pg_glob="${SESFLOW_PG_BIN_GLOB:-/usr/lib/postgresql/*/bin}"

have() { command -v "$1" >/dev/null 2>&1; }
have_postgres() {
  have initdb && return 0
  local dir
  for dir in $pg_glob; do
    [ -x "$dir/initdb" ] && return 0
  done
  return 1
}

missing_packages() {
  local packages=()
  have chromium || packages+=(chromium)
  have node || packages+=(nodejs)
  have npm || packages+=(npm)
  have_postgres || packages+=(postgresql)
  have redis-server || packages+=(redis-server)
  echo "${packages[@]:-}"
}

read -r -a missing <<<"$(missing_packages)"
if ((${#missing[@]} == 0)); then
  exit 0
fi

install="apt-get install -y --no-install-recommends ${missing[*]}"
if have apt-get; then
  if [ "$(id -u)" = 0 ]; then
    runner=()
  elif have sudo && sudo -n true 2>/dev/null; then
    runner=(sudo -n)
  else
    runner=(none)
  fi
  if [ "${runner[0]:-}" != none ]; then
    echo "bootstrap: installing ${missing[*]} with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    "${runner[@]}" apt-get update -qq
    "${runner[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
    read -r -a still <<<"$(missing_packages)"
    if ((${#still[@]})); then
      echo "bootstrap: still missing after apt-get: ${still[*]}" >&2
      exit 1
    fi
    exit 0
  fi
  echo "bootstrap: the tests need ${missing[*]}; install them with:" >&2
  echo "  sudo apt-get update && sudo $install" >&2
  exit 1
fi
echo "bootstrap: the tests need ${missing[*]} (no apt-get here); with Debian or Ubuntu it would be:" >&2
echo "  sudo apt-get update && sudo $install" >&2
echo "bootstrap: elsewhere install Chromium, Node.js 20 with npm, PostgreSQL and Redis with the system's packages." >&2
exit 1
