#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine: the external judges and the npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(poppler-utils qpdf openssl softhsm2 libnss3-tools faketime chromium fonts-dejavu-core unzip prometheus haproxy)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
# docker-compose only checks deploy/compose.yaml (no daemon): without its recommended Docker engine.
if ! dpkg -s docker-compose >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends docker-compose
fi
npm ci --no-audit --no-fund
