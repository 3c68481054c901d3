"""Headless Chromium from Debian's package, driven by Playwright (no browser download)."""

from __future__ import annotations

import shutil
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium calls Google, which the closed network refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> Path:
    found = CHROMIUM if CHROMIUM.exists() else Path(shutil.which("chromium") or "")
    if not found.is_file():
        raise RuntimeError(
            "Chromium is not installed: `apt-get install -y chromium` (tests/e2e/install_chromium.sh; "
            "`make test` runs it)"
        )
    return found
