#!/usr/bin/env bash
# Make sure Debian's Chromium is at /usr/bin/chromium (or $CHROMIUM) for the browser tests.
# Playwright's own browser download does not work on our machines, so the tests drive the
# distribution's package, installed here with apt-get when it is missing.
set -euo pipefail

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null; then
  echo "$CHROMIUM is missing and there is no apt-get to install it with" >&2
  exit 1
fi
echo "Installing Chromium from Debian's packages…"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
if [ ! -x "$CHROMIUM" ]; then
  echo "Installing Debian's chromium package did not give $CHROMIUM" >&2
  exit 1
fi
