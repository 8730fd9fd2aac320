#!/usr/bin/env bash
# Headless Chromium for the dashboard's browser tests, from Debian's packages (Playwright's own browser download is
# not used). Idempotent: does nothing when Chromium is there; never fails the build: without root or apt-get the
# browser tests skip themselves and say why.
set -u
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "note: Chromium is not installed and cannot be installed here (needs root and apt-get):" \
         "the dashboard's browser tests will be skipped"
    exit 0
fi
echo "installing Chromium (Debian package) for the dashboard's browser tests"
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null; }; then
    echo "note: could not install chromium: the dashboard's browser tests will be skipped"
fi
exit 0
