#!/usr/bin/env bash
# The Debian packages the tests use besides npm's: Chromium (the admin UI's end-to-end test drives it through
# playwright-core; `npx playwright install` cannot download browsers here), nginx and wrk (the benchmark's smoke run
# compares against nginx and can load with wrk). Installs what is missing when run as root with apt; otherwise says
# what to install and fails.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
# Chromium renders text with whatever fonts exist; without one, screenshots show empty boxes.
[ -d /usr/share/fonts/truetype/dejavu ] || need+=(fonts-dejavu-core)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-tools: missing ${need[*]}: install them first (Debian: sudo apt-get install -y ${need[*]})" >&2
  exit 1
fi
echo "install-test-tools: installing ${need[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${need[@]}"
