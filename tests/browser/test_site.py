"""The rendered site: it builds from the committed notebooks, loads nothing from off this machine, and
every page draws its diagrams and widgets in a real browser with every non-loopback request refused.

Run with ``pytest tests/browser/test_site.py`` (``make test`` does). The build itself is ``make docs``.
"""

from __future__ import annotations

import contextlib
import re
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from browsing import DIAGRAMS_JS, screenshot, serve, wait_for_diagrams, watch
from playwright.sync_api import TimeoutError as PlaywrightTimeout

ROOT = Path(__file__).parents[2]
CHAPTERS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
PAGES = ["index", *CHAPTERS, "search"]
# the English site at the root, the Korean one (from notebooks/ko/) under ko/
LANGUAGES = {"en": "", "ko": "ko/"}

# Which tag attributes load something (a script, stylesheet, font, frame, image or media).
LOADING = {
    "script": ("src",),
    "link": ("href",),  # stylesheets, icons, preloads (fonts)
    "iframe": ("src", "srcdoc"),
    "frame": ("src",),
    "img": ("src", "srcset"),
    "source": ("src", "srcset"),
    "embed": ("src",),
    "object": ("data",),
    "audio": ("src",),
    "video": ("src", "poster"),
}
REMOTE = re.compile(r"(?:https?:)?//[^\s\"')]+", re.I)
CSS_REMOTE = re.compile(r"(?:@import\s+(?:url\()?|url\()\s*['\"]?((?:https?:)?//[^'\")\s]+)", re.I)


class _Loads(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_style = tag == "style"
        for name, value in attrs:
            if name in LOADING.get(tag, ()) and value and REMOTE.match(value.strip()):
                self.found.append(f"<{tag} {name}={value}>")
            if name == "style" and value:
                self.found.extend(CSS_REMOTE.findall(value))

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.found.extend(CSS_REMOTE.findall(data))


def remote_loads(site: Path) -> dict[str, list[str]]:
    """Every remote address a built page or stylesheet would load from, by file.

    A plain grep for ``http`` gives false hits (licence comments, links in text, the widget bundle's
    unused CDN default); this reads only what a browser would fetch: loading attributes of HTML tags,
    and ``url()`` and ``@import`` in stylesheets, in ``<style>`` and in style attributes. The widget
    bundle's own CSS lives inside ``embed-amd.js``, so its ``@import`` rules are read there too.
    """
    found: dict[str, list[str]] = {}
    for path in sorted(site.rglob("*")):
        if path.suffix == ".html":
            parser = _Loads()
            parser.feed(path.read_text(errors="replace"))
            hits = parser.found
        elif path.suffix == ".css":
            hits = CSS_REMOTE.findall(path.read_text(errors="replace"))
        elif path.name == "embed-amd.js":
            hits = re.findall(r"@import\s+url\(\s*\\?['\"]?((?:https?:)?//[^'\")\\]+)", path.read_text())
        else:
            continue
        if hits:
            found[str(path.relative_to(site))] = hits
    return found


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site, built as ``make docs`` builds it, with Sphinx warnings as errors."""
    from sphinx.cmd.build import build_main

    out = tmp_path_factory.mktemp("site")
    start = time.monotonic()
    argv = ["-q", "-W", "--keep-going", "-c", str(ROOT / "docs"), "-d", str(out / ".doctrees")]
    status = build_main([*argv, str(ROOT / "notebooks"), str(out / "html")])
    assert status == 0, "sphinx-build failed: see the warnings above"
    argv = ["-q", "-W", "--keep-going", "-c", str(ROOT / "docs"), "-d", str(out / ".doctrees-ko")]
    status = build_main(
        [*argv, "-D", "language=ko", str(ROOT / "notebooks" / "ko"), str(out / "html" / "ko")]
    )
    assert status == 0, "sphinx-build failed for the Korean site: see the warnings above"
    took = time.monotonic() - start
    size = sum(f.stat().st_size for f in (out / "html").rglob("*") if f.is_file())
    print(f"\nsite built in {took:.1f} s, {size / 1e6:.1f} MB")
    return out / "html"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_chapter_is_a_page_in_course_order(site, lang):
    site = site / LANGUAGES[lang]
    index = (site / "index.html").read_text()
    # the navigation lists the chapters in order, each once, after the landing page
    order = [m for m in re.findall(r'href="(\d\d_[a-z_]+)\.html"', index)]
    assert list(dict.fromkeys(order)) == CHAPTERS
    for chapter in CHAPTERS:
        assert (site / f"{chapter}.html").exists()
    text = re.sub(r"<[^>]+>", "", index)  # code blocks are split into highlighted spans
    assert "make course" in text and "make test" in text  # how to run it live
    assert (site / "searchindex.js").exists() and (site / "search.html").exists()
    assert f'<html lang="{lang}"' in index


@pytest.mark.parametrize("name", ["index", *CHAPTERS])
def test_every_page_links_to_itself_in_the_other_language(site, name):
    english = (site / f"{name}.html").read_text()
    korean = (site / "ko" / f"{name}.html").read_text()
    assert f'<a href="ko/{name}.html" hreflang="ko" lang="ko">한국어</a>' in english
    assert f'<a href="../{name}.html" hreflang="en" lang="en">English</a>' in korean
    # the Korean page is the Korean lesson: its title is not the English one
    title = re.compile(r"<title>(.*?)</title>", re.S)
    assert title.search(english).group(1) != title.search(korean).group(1)


def test_no_page_loads_anything_from_off_this_machine(site):
    assert remote_loads(site) == {}


def test_the_remote_check_can_fail(tmp_path):
    (tmp_path / "a.html").write_text(
        '<link rel="stylesheet" href="https://cdn.example/x.css"><script src="//cdn.example/x.js"></script>'
        "<style>@import url('https://fonts.example/f.css');</style><a href='https://ok.example/'>a link</a>"
        '<iframe src="http://frame.example/"></iframe><img src="pic.png">'
    )
    (tmp_path / "b.css").write_text("body{background:url(https://img.example/b.png)}")
    assert remote_loads(tmp_path) == {
        "a.html": [
            "<link href=https://cdn.example/x.css>",
            "<script src=//cdn.example/x.js>",
            "https://fonts.example/f.css",
            "<iframe src=http://frame.example/>",
        ],
        "b.css": ["https://img.example/b.png"],
    }


@pytest.fixture(scope="module")
def served(site):
    base, server = serve(site)
    yield base
    server.shutdown()


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# The widget views with nothing rendered where their script stands.
UNRENDERED = f"""[...document.querySelectorAll("script[type='{WIDGET_VIEW}']")].filter(s =>
    s.parentElement.getBoundingClientRect().height < 10
    || !s.parentElement.querySelector('.jupyter-widgets'))"""


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("name", PAGES)
def test_page_in_a_browser(browser, served, name, lang):
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    seen = watch(page)
    page.goto(f"{served}{LANGUAGES[lang]}{name}.html", wait_until="load")
    widget_views = page.locator(f"script[type='{WIDGET_VIEW}']").count()
    # the widget manager renders each view where its script stands; a view that never renders is
    # reported below, with what the page said
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(f"() => ({UNRENDERED}).length === 0", timeout=60_000)
    wait_for_diagrams(page)  # diagrams unpack their library, then draw
    diagrams = page.evaluate(DIAGRAMS_JS)
    empty = page.evaluate(f"() => ({UNRENDERED}).map(s => s.textContent)")
    fallbacks_shown = page.locator(".widget-fallback:visible").count()
    if name == "04_red_blue_lab":  # the live topology widget, drawn from the saved state
        page.locator(".course-diagram").last.scroll_into_view_if_needed()
    if name in ("index", "04_red_blue_lab"):
        screenshot(page, f"site-{name}{'' if lang == 'en' else '-' + lang}.png")
    page.close()
    inked = [d["inked"] for d in diagrams]
    print(f"{name}: {len(diagrams)} diagrams (inked pixels {inked}), {widget_views} widget views")

    assert seen.problems() == []
    assert empty == [], "widget views that rendered nothing"
    assert fallbacks_shown == 0, "a plain fallback shows beside a widget that rendered"
    for d in diagrams:
        assert d["canvas"] and d["inked"] > 2000, f"a diagram drew nothing: {d['data'][:200]}"
    if name in CHAPTERS:
        assert diagrams, "every chapter draws at least one diagram"
    if name == "04_red_blue_lab":
        # both networks drawn in their colours, in every diagram of the lab
        assert all(d["red"] > 500 and d["blue"] > 500 for d in diagrams), diagrams
        assert widget_views >= 3  # live topology, controls, console: rendered from the saved state


def test_search_finds_a_lesson(browser, served):
    page = browser.new_page()
    seen = watch(page)
    page.goto(f"{served}search.html?q=veth", wait_until="load")
    page.wait_for_selector("#search-results li", timeout=20_000)
    links = page.locator("#search-results li a")
    hits = links.evaluate_all("links => links.map(a => a.getAttribute('href'))")
    page.close()
    assert seen.problems() == []
    assert any(h.startswith("01_networking_model.html") for h in hits), hits


@pytest.mark.parametrize(
    ("word", "lessons"),
    [
        ("네트워크", {"03_bridge_networks", "04_red_blue_lab"}),
        ("브리지", {"01_networking_model", "06_bridge_by_hand"}),
    ],
)
def test_korean_search_finds_the_korean_lessons(browser, served, word, lessons):
    """Korean words inflect (네트워크를, 네트워크는): the search's partial matches must find them."""
    page = browser.new_page()
    seen = watch(page)
    page.goto(f"{served}ko/search.html?q={word}", wait_until="load")
    page.wait_for_selector("#search-results li", timeout=20_000)
    hits = page.locator("#search-results li a").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))"
    )
    page.close()
    assert seen.problems() == []
    found = {h.split(".html")[0] for h in hits}
    assert lessons <= found, hits


def test_without_the_widget_manager_every_widget_shows_its_plain_result(browser, served):
    """Scripts blocked (or a widget that cannot render): the page shows each widget's plain result."""
    page = browser.new_page()
    page.route("**/embed-amd.js*", lambda route: route.abort())
    page.goto(f"{served}04_red_blue_lab.html", wait_until="load")
    page.locator(".widget-fallback").first.wait_for(state="visible", timeout=30_000)
    views = page.locator(f"script[type='{WIDGET_VIEW}']").count()
    shown = page.locator(".widget-fallback:visible").all_inner_texts()
    page.close()
    assert views >= 3 and len(shown) == views
    assert any(text.startswith("connect/disconnect for lab redblue") for text in shown)
    # the live topology's table: containers with their addresses
    assert any("ubuntu1" in text and re.search(r"\d+\.\d+\.\d+\.\d+", text) for text in shown)
