#!/bin/sh
# The browser tests drive Debian's Chromium (never a downloaded one): install it when missing.
set -e
[ -x /usr/bin/chromium ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "Chromium is missing and this is not root: run \`sudo apt-get install -y chromium\`" >&2
  exit 1
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
