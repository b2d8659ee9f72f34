"""The browser: Debian's Chromium driven by Playwright, one per test session.

``make test`` installs Chromium (Debian's ``chromium`` package) when it is missing; set
``COURSE_CHROMIUM`` to use another Chromium binary.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser() -> Iterator:
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"No Chromium at {CHROMIUM}: apt-get install chromium, or set COURSE_CHROMIUM to one.")
    # Chromium's sandbox refuses to start as root
    args = [*FLAGS, "--no-sandbox"] if os.geteuid() == 0 else FLAGS
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=args)
        yield chromium
        chromium.close()
