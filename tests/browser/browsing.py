"""What the browser tests share: a page watcher that refuses every request off loopback and records
what went wrong on the page, a loopback file server, screenshots, and how a diagram looks.

Screenshots go to ``build/screenshots/``.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import TimeoutError as PlaywrightTimeout

SCREENSHOTS = Path(__file__).parents[2] / "build" / "screenshots"
LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}
# Console messages that are not the course's: the widget bundle's JSON-schema validator (ajv) warns in
# strict mode about its own schema. Only errors fail a test; these are warnings, listed to be explicit.
HARMLESS = ("strict mode: use allowUnionTypes",)
# A lab that creates bridges and veths changes this machine's network, and Chromium then aborts the
# requests in flight with ERR_NETWORK_CHANGED; JupyterLab sends them again (a workspace save, a poll).
# The course's own outputs are checked by each test, so only this one failure is let through.
NETWORK_CHANGED = "net::ERR_NETWORK_CHANGED"


@dataclass
class Watch:
    """What a page did wrong: console errors, page errors, failed or refused requests, 4xx/5xx."""

    console: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return [*self.console, *self.failed, *(f"refused (not loopback): {u}" for u in self.refused)]


def local(url: str) -> bool:
    """Whether a request stays on this machine (loopback, or data/blob the page made itself)."""
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname in LOOPBACK


def watch(page) -> Watch:
    """Attach a Watch to ``page`` and abort every request that would leave loopback."""
    seen = Watch()

    def route(r) -> None:
        if local(r.request.url):
            r.continue_()
        else:
            seen.refused.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on(
        "console",
        lambda m: (
            seen.console.append(f"console {m.type}: {m.text}")
            if m.type == "error" and not m.text.startswith(HARMLESS) and NETWORK_CHANGED not in m.text
            else None
        ),
    )
    page.on("pageerror", lambda e: seen.console.append(f"page error: {e}"))

    def failed(r) -> None:
        if local(r.url) and r.failure != NETWORK_CHANGED:
            seen.failed.append(f"failed: {r.url} {r.failure}")

    page.on("requestfailed", failed)
    page.on("response", lambda r: r.status >= 400 and seen.failed.append(f"HTTP {r.status}: {r.url}"))
    return seen


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # the test reports what failed; no access log
        pass


def serve(root: Path) -> tuple[str, http.server.ThreadingHTTPServer]:
    """Serve ``root`` on a free loopback port; returns its base URL and the server (shut it down)."""
    handler = functools.partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}/", server


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path))
    return path


# How each drawn diagram looks to the reader: its canvas, and how many of its pixels are not background,
# with a count of pixels near each network colour (red and blue, from course.diagram.COLOURS).
DIAGRAMS_JS = """() => [...document.querySelectorAll('.course-diagram')].map(d => {
  const c = d.querySelector('canvas');
  if (!c || !c.width || !c.height) return {canvas: false, inked: 0, red: 0, blue: 0, data: ''};
  const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let inked = 0, red = 0, blue = 0;
  const near = (i, r, g, b) => Math.abs(px[i]-r) + Math.abs(px[i+1]-g) + Math.abs(px[i+2]-b) < 30;
  for (let i = 0; i < px.length; i += 4) {
    if (px[i+3] > 0 && !(px[i] > 245 && px[i+1] > 245 && px[i+2] > 245)) inked++;
    if (near(i, 0xe5, 0x48, 0x4d)) red++;
    if (near(i, 0x3e, 0x82, 0xf7)) blue++;
  }
  const script = d.nextElementSibling;
  return {canvas: true, inked, red, blue, data: script ? script.textContent : ''};
})"""


def wait_for_diagrams(page, timeout: float = 30_000) -> None:
    """Until every diagram on the page has drawn (a canvas with ink): the event, not a fixed pause.

    Gives up quietly after ``timeout`` ms: the test's own asserts then say which diagram did not draw.
    """
    drawn = (
        f"() => {{ const all = ({DIAGRAMS_JS})(); return all.length > 0 && all.every(d => d.inked > 2000); }}"
    )
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(drawn, timeout=timeout, polling=250)
