"""The live course in JupyterLab, used the way a learner uses it, in a real browser on a real engine.

For every notebook: open it in a fresh workspace and see its committed outputs (diagrams drawn, so the
notebook is trusted) and no unsaved-changes mark; then **Run All** from the Run menu and wait for the
kernel. No cell may show an error, every diagram must draw, every widget must render. In the red/blue
lab, the connect and disconnect buttons must change what the engine reports and what the live
topology draws.

JupyterLab runs on loopback with a token, on copies of the notebooks (it autosaves), with its own
Jupyter folders (so the learner's settings and trust database are not touched) and, as on a learner's
machine, without ``COURSE_SOLUTIONS``: so this is also the learner's Run All, and after every notebook no
exercise may be solved for them (each ``%%solution`` cell only says where the solution is).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from browsing import DIAGRAMS_JS, screenshot, wait_for_diagrams, watch
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from course.i18n import catalog
from course.jupyterlab import settings_dir
from course.lab import Lab
from course.names import LABEL
from course.process import stop
from course.waiting import TimedOut, until

pytestmark = pytest.mark.integration
ROOT = Path(__file__).parents[2]
# Every notebook's Run All in English but the red/blue lab's, which runs in Korean, in a Korean JupyterLab
# (its English runs under nbval on every engine, and up to its widgets in the controls test below).
KOREAN = "ko/04_red_blue_lab.ipynb"
NOTEBOOKS = sorted(
    p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb") if p.stem != "04_red_blue_lab"
)
# what a solution cell says when Run All reaches it (course/solutions.py), in English and in Korean
SOLUTION = "This cell holds the solution. Expand it to read it; Run All does not run it for you."
SOLUTION_NOTE = {False: SOLUTION, True: catalog("ko").get(SOLUTION, "(no Korean for it in course.po)")}
# JupyterLab's menus as its Korean language pack names them
KOREAN_MENUS = {"Edit": "편집", "Run": "실행", "Clear Outputs of All Cells": "모든 셀의 출력 지우기",
                "Run All Cells": "모든 셀 실행"}  # fmt: skip
BIN = Path(sys.executable).parent
# The overlay notebook builds and starts three simulated hosts: give it longer.
RUN_ALL_TIMEOUT = {"05_overlay_networks.ipynb": 1200}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# what reading a diagram may raise while the live view redraws it
REDRAWING = (PlaywrightError, AttributeError)
ERRORS = ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(engine, home: Path, *options: str):
    """JupyterLab on loopback serving a copy of the notebooks (the Korean ones in ``ko/``), with Jupyter
    folders of its own; yields its base URL, its token and the progress file its kernels write."""
    notebooks = home / "notebooks"
    shutil.copytree(ROOT / "notebooks", notebooks, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    env = {k: v for k, v in os.environ.items() if k not in ("COURSE_SOLUTIONS", "COURSE_LANGUAGE")}
    env |= {
        "COURSE_PROGRESS": str(home / "progress.json"),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
    }
    # as `make course` does: the committed outputs (diagrams are HTML with a script) show before a run
    trusted = sorted(notebooks.rglob("*.ipynb"))
    subprocess.run([BIN / "jupyter", "trust", *trusted], env=env, check=True)
    port, token = _free_port(), secrets.token_hex(16)
    argv = [BIN / "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}"]
    argv += ["--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--notebook-dir={notebooks}"]
    argv += [f"--LabApp.user_settings_dir={home / 'settings'}", f"--LabApp.workspaces_dir={home / 'ws'}"]
    argv += options
    if os.geteuid() == 0:
        argv.append("--allow-root")
    log = open(home / "jupyterlab.log", "w")  # noqa: SIM115 (closed below, after the server)
    server = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start: {(home / 'jupyterlab.log').read_text()[-2000:]}")
                time.sleep(0.5)
        yield base, token, home / "progress.json"
    finally:
        stop(server, 30)
        log.close()
        # what a notebook stopped half-way left (the controls test stops before the lab's cleanup)
        # (the lab's own cleanup: its labelled resources, and what its %%docker cells made, by ID)
        for name in ("setup", "model", "types", "bridges", "redblue", "overlay"):
            lab = Lab(name)
            left = lab.cleanup().left
            assert not left, left
            assert lab.containers() == [] and lab.networks() == []
            assert not engine.containers.list(all=True, filters={"label": f"{LABEL}={name}"})


@pytest.fixture(scope="module")
def jupyterlab(engine, tmp_path_factory):
    """JupyterLab in English, as ``make course`` opens it."""
    home = tmp_path_factory.mktemp("jupyterlab")
    yield from _serve(engine, home, f"--LabApp.app_settings_dir={settings_dir('en', prefix=home)}")


@pytest.fixture(scope="module")
def korean_jupyterlab(engine, tmp_path_factory):
    """JupyterLab in Korean, as ``make course LANGUAGE=ko`` opens it: its menus from the language pack."""
    home = tmp_path_factory.mktemp("jupyterlab-ko")
    yield from _serve(engine, home, f"--LabApp.app_settings_dir={settings_dir('ko', prefix=home)}")


def _open(browser, jupyterlab, notebook: str):
    base, token, _ = jupyterlab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    seen = watch(page)
    workspace = "w" + secrets.token_hex(4)  # a fresh workspace: no restored tabs hide the notebook
    page.goto(f"{base}/lab/workspaces/{workspace}/tree/{notebook}?token={token}&reset")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60_000)
    return page, seen


def _menu(page, menu: str, item: str, names: dict[str, str] | None = None) -> None:
    """Click ``menu`` in the menu bar, then ``item`` in it (by the ``names`` of another language, if
    given); a click the page swallows is repeated."""
    menu, item = (names or {}).get(menu, menu), (names or {}).get(item, item)
    entry = page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{item}$"))
    for _ in range(3):  # the first click after a notebook opens may land while JupyterLab lays out
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu}")).click()
        with contextlib.suppress(PlaywrightTimeout):
            entry.wait_for(state="visible", timeout=5_000)
            break
    entry.click()


def _run_all(page, timeout: float, names: dict[str, str] | None = None) -> float:
    """Run > Run All Cells, as a learner does; returns how long the run took."""
    start = time.monotonic()
    _menu(page, "Run", "Run All Cells", names)
    _wait_for_kernel(page, timeout)
    return time.monotonic() - start


def _wait_for_kernel(page, timeout: float) -> None:
    """Wait for a run to start, then until no cell is queued or running and the kernel is idle."""
    page.wait_for_selector(".jp-InputPrompt:has-text('[*]')", timeout=30_000)
    page.wait_for_function(
        """() => ![...document.querySelectorAll('.jp-InputPrompt')].some(p => p.textContent.includes('[*]'))
             && document.querySelector(".jp-Notebook-ExecutionIndicator[data-status='idle']") !== null""",
        timeout=timeout * 1000,
        polling=1000,
    )


def _widgets(page) -> tuple[int, list[str]]:
    """How many outputs show a rendered widget, and the text of outputs where a widget failed to."""
    return page.evaluate(
        """() => { const outs = [...document.querySelectorAll('.jp-OutputArea-output')];
            const drawn = outs.filter(o => [...o.children].some(c => c.classList.contains('jupyter-widgets')
                                                 && c.getBoundingClientRect().height >= 10));
            const broken = outs.filter(o => /Error displaying widget|Loading widget/.test(o.textContent));
            return [drawn.length, broken.map(o => o.textContent.slice(0, 300))]; }"""
    )


def _committed(notebook: str) -> list[dict]:
    return json.loads((ROOT / "notebooks" / notebook).read_text())["cells"]


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_run_all_in_jupyterlab(browser, jupyterlab, notebook):
    _check_run_all(browser, jupyterlab, notebook)


def test_run_all_in_korean_jupyterlab(browser, korean_jupyterlab):
    """The Korean red/blue lab, with Run All from JupyterLab's Korean menus; its cells speak Korean."""
    texts = _check_run_all(browser, korean_jupyterlab, KOREAN, KOREAN_MENUS)
    assert any("red" in text and re.search("[\uac00-\ud7a3]", text) for text in texts)


def _check_run_all(browser, jupyterlab, notebook: str, names: dict[str, str] | None = None) -> list[str]:
    """Open ``notebook``, clear it, Run All, and check what it showed; returns each code cell's text."""
    page, seen = _open(browser, jupyterlab, notebook)
    wait_for_diagrams(page)
    committed = page.evaluate(DIAGRAMS_JS)
    dirty_on_open = page.locator(".jp-mod-dirty").count()
    screenshot(page, f"lab-{notebook.replace('/', '-')}-opened.png")

    # clear what was committed, so that everything checked below is what this run showed
    _menu(page, "Edit", "Clear Outputs of All Cells", names)
    took = _run_all(page, RUN_ALL_TIMEOUT.get(notebook, 600), names)
    wait_for_diagrams(page)  # the last outputs' diagrams draw
    shown = page.locator(".jp-CodeCell").evaluate_all(
        "cells => cells.map(c => c.querySelectorAll('.jp-OutputArea-output').length > 0)"
    )
    texts = page.locator(".jp-CodeCell").evaluate_all(
        "cells => cells.map(c => [...c.querySelectorAll('.jp-OutputArea-output')]"
        ".map(o => o.textContent).join(''))"
    )
    errors = page.locator(ERRORS).all_inner_texts()
    diagrams = page.evaluate(DIAGRAMS_JS)
    widgets, broken = _widgets(page)
    screenshot(page, f"lab-{notebook.replace('/', '-')}-ran.png")
    page.close()
    print(f"\n{notebook}: Run All {took:.0f} s, {len(diagrams)} diagrams, {widgets} widget outputs")

    assert dirty_on_open == 0, "opening the notebook marked it modified"
    assert committed and all(d["canvas"] and d["inked"] > 2000 for d in committed), (
        "the committed diagrams did not draw on open: is the notebook trusted?"
    )
    assert errors == [], errors[0][:2000] if errors else ""
    # every cell that shows something in the committed notebook showed something in this run
    cells = [c for c in _committed(notebook) if c["cell_type"] == "code"]
    committed_shows = [bool(c["outputs"]) for c in cells]
    views = sum(WIDGET_VIEW in o.get("data", {}) for c in cells for o in c["outputs"])
    assert [a and not b for a, b in zip(committed_shows, shown, strict=True)] == [False] * len(shown)
    assert diagrams and all(d["canvas"] and d["inked"] > 2000 for d in diagrams)
    assert broken == [] and widgets == views, f"{widgets} widgets drawn of {views}; failed: {broken}"
    assert seen.problems() == []
    # as a learner runs it: every solution cell only points at the solution, and nothing is solved
    solutions = [i for i, c in enumerate(cells) if "solution" in c.get("metadata", {}).get("tags", [])]
    assert all(texts[i].startswith(SOLUTION_NOTE[names is not None]) for i in solutions), [
        texts[i] for i in solutions
    ]
    progress = jupyterlab[2]
    solved = json.loads(progress.read_text()).get("exercises", {}) if progress.exists() else {}
    assert [key for key, entry in solved.items() if entry.get("ok")] == []
    return texts


def _script(page, cell_text: str) -> str:
    """The script of the last diagram in the output of the code cell whose source holds ``cell_text``."""
    cell = page.locator(".jp-CodeCell", has_text=cell_text)
    return cell.locator(".course-diagram + script").last.text_content(timeout=5_000)


def _graph(page, cell_text: str) -> dict:
    """The data of the diagram in the output of the code cell whose source holds ``cell_text``."""
    data = re.search(r"var d=(\{.*?\}),o=", _script(page, cell_text), re.S).group(1)
    return json.loads(data)


def _edge(graph: dict, container: str, network: str) -> bool:
    return any(e["from"] == f"ctr:{container}" and e["to"] == f"net:{network}" for e in graph["edges"])


def _blue_edge(page) -> bool:
    """Whether the live topology draws ubuntu2 on the blue network."""
    return _edge(_graph(page, "widgets.topology(lab)"), "ubuntu2", "blue")


def test_red_blue_controls_change_the_engine_and_the_live_view(browser, jupyterlab, engine):
    page, seen = _open(browser, jupyterlab, "04_red_blue_lab.ipynb")
    # clear the committed outputs first: a committed diagram of the connected lab is no proof of this run
    _menu(page, "Edit", "Clear Outputs of All Cells")
    # run the lab up to its widgets (the cleanup at the end would remove the containers they act on)
    page.locator(".jp-CodeCell", has_text="widgets.console(lab)").locator(".jp-InputPrompt").click()
    _menu(page, "Run", "Run All Above Selected Cell")
    _wait_for_kernel(page, 600)
    assert page.locator(ERRORS).count() == 0
    assert not _edge(_graph(page, "widgets.topology(lab)"), "ubuntu2", "blue")

    controls = page.locator(".jp-CodeCell", has_text="widgets.controls(lab, live)")
    controls.locator("select").nth(0).select_option("ubuntu2")
    controls.locator("select").nth(1).select_option("blue")
    controls.get_by_role("button", name="network connect").click()
    controls.get_by_text("docker network connect blue ubuntu2").wait_for(timeout=30_000)
    with contextlib.suppress(TimedOut):  # the live view redraws: the asserts below say if it did not
        until(lambda: _blue_edge(page), 30, 0.25, retry=REDRAWING)
    wait_for_diagrams(page)
    connected = _graph(page, "widgets.topology(lab)")
    marked = "NEW: added by network connect" in _script(page, "widgets.topology(lab)")
    on_engine = set(engine.containers.get("ubuntu2").attrs["NetworkSettings"]["Networks"])
    screenshot(page, "lab-04-connected.png")

    controls.get_by_role("button", name="network disconnect").click()
    controls.get_by_text("docker network disconnect blue ubuntu2").wait_for(timeout=30_000)
    with contextlib.suppress(TimedOut):  # the live view redraws: the asserts below say if it did not
        until(lambda: not _blue_edge(page), 30, 0.25, retry=REDRAWING)
    wait_for_diagrams(page)
    disconnected = _graph(page, "widgets.topology(lab)")
    after = set(engine.containers.get("ubuntu2").attrs["NetworkSettings"]["Networks"])
    drawn = page.evaluate(DIAGRAMS_JS)
    page.close()

    assert on_engine == {"red", "blue"} and _edge(connected, "ubuntu2", "blue") and marked
    assert after == {"red"} and not _edge(disconnected, "ubuntu2", "blue")
    assert all(d["canvas"] and d["inked"] > 2000 for d in drawn)
    assert seen.problems() == []
