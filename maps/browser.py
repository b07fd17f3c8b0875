"""Headless Chromium (Debian ``chromium`` + ``chromium-driver``) driven through selenium.

Used to export PNGs (``suigeo map build --png``) and by the browser tests. The browser runs
with a fresh profile, no GPU, no background networking, and a proxy that points at a closed
local port, so a page that tried to reach a CDN or tile server would fail instead of
silently loading.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from suigeo.errors import InputError

__all__ = ["CHROME_FLAGS", "browser_available", "chromium"]

CHROME_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    # Every network request goes to a closed local port: the page must work offline.
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
)

_BINARIES = ("chromium", "chromium-browser")
_DRIVERS = ("chromedriver",)


def _find(names: tuple[str, ...]) -> str | None:
    for name in names:
        path = shutil.which(name) or (
            f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None
        )
        if path:
            return path
    return None


def browser_available() -> tuple[bool, str]:
    """Return (available, reason): Chromium, chromedriver and selenium all present."""
    missing = []
    if _find(_BINARIES) is None:
        missing.append("chromium (apt-get install chromium)")
    if _find(_DRIVERS) is None:
        missing.append("chromedriver (apt-get install chromium-driver)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (pip install selenium)")
    if missing:
        return False, "missing " + ", ".join(missing)
    return True, ""


@contextlib.contextmanager
def chromium(*, width: int = 1600, height: int = 1000) -> Iterator[Any]:
    """Yield a selenium Chrome driver for Debian's headless Chromium with a fresh profile."""
    ok, why = browser_available()
    if not ok:
        raise InputError(f"PNG export needs headless Chromium: {why}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="suigeo-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = _find(_BINARIES) or ""
    for flag in CHROME_FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={profile}")
    opts.add_argument(f"--window-size={width},{height}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=_find(_DRIVERS)), options=opts)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
