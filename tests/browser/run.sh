#!/usr/bin/env bash
# Browser end-to-end tests: headless Chromium (Debian's, /usr/bin/chromium or $PULSE_CHROMIUM)
# drives the flagship example through Python Playwright. Not part of `cargo test --workspace`.
#
#   apt-get install -y chromium && pip install playwright pytest
#   tests/browser/run.sh            # extra arguments go to pytest (-k NAME, -x, ...)
#
# Fails (never skips) when Chromium or Playwright is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
CHROMIUM="${PULSE_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  echo "error: $CHROMIUM not found (apt-get install -y chromium, or set PULSE_CHROMIUM)" >&2
  exit 1
fi
if ! python3 -c "import playwright, pytest" 2>/dev/null; then
  echo "error: Python Playwright and pytest are missing (pip install playwright pytest)" >&2
  exit 1
fi
cargo build --example auth
export PULSE_CHROMIUM="$CHROMIUM"
exec timeout 900 python3 -m pytest -p no:cacheprovider -q tests/browser "$@"
