"""The classroom hub, end to end: JupyterHub on loopback, two learners logged in through its REST API,
a cell run in each learner's server, each seeing only their own engine; a reset that empties one
engine and keeps that learner's notebooks; then nothing of it left on the host engine.

The room is a Korean one (``course classroom hub --language ko``): the learners' JupyterLab speaks
Korean and the Korean red/blue lab passes nbval in a learner's server. An English room differs only in
the two settings ``configure()`` gives the spawner (tests/test_classroom.py checks both).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from tornado import ioloop, websocket
from tornado.httpclient import HTTPRequest

from course import progress
from course.classroom import hub, learner_engine
from course.classroom.learner_image import build_learner_image
from course.i18n import catalog
from course.process import stop
from course.waiting import until

pytestmark = pytest.mark.integration
LEARNERS = ["t-ann", "t-bob"]
ROOM = [*LEARNERS, "t-cat"]  # t-cat never logs in: the instructor's page must not make her anything
PASSWORD, ADMIN_PASSWORD = secrets.token_hex(8), secrets.token_urlsafe(32)  # the workshop's, the instructor's
CHROMIUM = os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parents[2] / "build" / "screenshots"


def _api(base: str, token: str, method: str, path: str, body: dict | None = None):
    request = urllib.request.Request(
        f"{base}{path}", method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=60) as answer:
        text = answer.read()
        return json.loads(text) if text else None


def run_cell(base: str, token: str, user: str, code: str) -> str:
    """Run ``code`` in a new kernel of ``user``'s server, through the hub's proxy; returns its stdout."""
    try:
        kernel = _api(base, token, "POST", f"/user/{user}/api/kernels", {"name": "python3"})
    except urllib.error.HTTPError as error:  # what the server said, not only its status
        said = error.read().decode(errors="replace")
        raise AssertionError(f"{user}'s server: {error.code} {said}") from None
    url = f"{base.replace('http', 'ws', 1)}/user/{user}/api/kernels/{kernel['id']}/channels"

    async def talk() -> str:
        request = HTTPRequest(url, headers={"Authorization": f"token {token}"})
        conn = await websocket.websocket_connect(request)
        msg_id = uuid.uuid4().hex
        header = {"msg_id": msg_id, "msg_type": "execute_request", "session": uuid.uuid4().hex,
                  "username": user, "version": "5.3", "date": ""}  # fmt: skip
        content = {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                   "allow_stdin": False, "stop_on_error": True}  # fmt: skip
        message = {
            "header": header,
            "parent_header": {},
            "metadata": {},
            "content": content,
            "channel": "shell",
        }
        conn.write_message(json.dumps(message))
        out = []
        while True:
            reply = json.loads(await conn.read_message())
            if reply.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind = reply["msg_type"]
            if kind == "stream":
                out.append(reply["content"]["text"])
            elif kind == "error":
                raise AssertionError("\n".join(reply["content"]["traceback"]))
            elif kind == "status" and reply["content"]["execution_state"] == "idle":
                conn.close()
                return "".join(out)

    try:
        return ioloop.IOLoop.current().run_sync(talk, timeout=300)
    finally:
        _api(base, token, "DELETE", f"/user/{user}/api/kernels/{kernel['id']}")


@pytest.fixture(scope="module")
def hub_running(engine, tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("the learner image is built with debootstrap and chroot, as root")
    for name in ROOM:
        learner_engine.LearnerEngine(name).remove()
    build_learner_image()
    home = tmp_path_factory.mktemp("hub")
    token, port = secrets.token_hex(24), 18000 + secrets.randbelow(1000)
    config = home / "jupyterhub_config.py"
    config.write_text(
        "from course.classroom import hub\n"
        "from pathlib import Path\n"
        f"hub.configure(c, {ROOM!r}, {PASSWORD!r}, port={port}, api_token={token!r}, "
        f"admin_password={ADMIN_PASSWORD!r}, state=Path({str(home)!r}), language='ko')\n"  # not a real room's
    )
    hub.ensure_proxy()
    log = open(home / "hub.log", "w")  # noqa: SIM115 (closed below)
    server = subprocess.Popen([Path(sys.executable).parent / "jupyterhub", "-f", str(config)], cwd=home,
                              stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    try:
        while True:
            try:
                _api(base, token, "GET", "/hub/api/")
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None and time.monotonic() - started < 60, (
                    home / "hub.log"
                ).read_text()
                time.sleep(0.5)
        print(f"\nhub ready in {time.monotonic() - started:.1f} s")
        yield base, token
    finally:
        for name in LEARNERS:
            with contextlib.suppress(Exception):  # already stopped
                _api(base, token, "DELETE", f"/hub/api/users/{name}/server")
        stop(server, 90)  # the hub stops the learners' servers on its way out: that can take a while
        log.close()
        for name in ROOM:
            learner_engine.LearnerEngine(name).remove()
        hub.remove_hub_network()
        left = engine.containers.list(all=True, filters={"label": learner_engine.CLASSROOM_LABEL})
        assert left == [] and engine.volumes.list(filters={"label": learner_engine.CLASSROOM_LABEL}) == []


def _ready(base: str, token: str, user: str) -> bool:
    model = _api(base, token, "GET", f"/hub/api/users/{user}")
    return bool(model.get("servers", {}).get("", {}).get("ready"))


def _start(base: str, token: str, user: str) -> float:
    """Start ``user``'s server as the hub's Start button does; returns how long it took."""
    started = time.monotonic()
    if _ready(base, token, user):
        return 0.0
    _api(base, token, "POST", f"/hub/api/users/{user}/server")
    until(lambda: _ready(base, token, user), 240, 1, f"{user}'s server to become ready")
    return time.monotonic() - started


def test_two_learners_each_see_only_their_own_engine_and_a_reset_keeps_notebooks(engine, hub_running):
    base, token = hub_running
    took = {name: _start(base, token, name) for name in LEARNERS}
    print(f"servers ready: {took}")
    make = (
        "import docker\n"
        "engine = docker.from_env()\n"
        "engine.containers.run('course/lab', ['sleep', '600'], name='mine', detach=True)\n"
        "print(sorted(c.name for c in engine.containers.list(all=True)), engine.info()['Name'])\n"
    )
    assert run_cell(base, token, "t-ann", make).strip() == "['mine'] t-ann-engine"
    see = (
        "import docker; e = docker.from_env()\n"
        "print([c.name for c in e.containers.list(all=True)], e.info()['Name'])"
    )
    assert run_cell(base, token, "t-bob", see).strip() == "[] t-bob-engine"
    assert engine.containers.list(all=True, filters={"name": "^mine$"}) == []  # not on the host engine
    assert (
        run_cell(base, token, "t-bob", "import os; print(os.path.exists('/var/run/docker.sock'))").strip()
        == "False"
    )

    reset = learner_engine.LearnerEngine("t-ann").reset()
    assert reset.containers == ("mine",)
    assert run_cell(base, token, "t-ann", see).strip() == "[] t-ann-engine"
    notebooks = _api(base, token, "GET", "/user/t-ann/api/contents")["content"]
    assert {"00_setup.ipynb", "04_red_blue_lab.ipynb"} <= {n["name"] for n in notebooks}


def test_notebook_04_passes_nbval_inside_a_learners_server(engine, hub_running):
    """One level deeper: the red/blue lab, compared with its committed outputs, on the learner's engine;
    in Korean, as the room is, in a JupyterLab whose menus are Korean."""
    base, token = hub_running
    _start(base, token, "t-bob")
    plugin = "@jupyterlab/translation-extension:plugin"
    settings = _api(base, token, "GET", f"/user/t-bob/lab/api/settings/{plugin}")
    packs = _api(base, token, "GET", "/user/t-bob/lab/api/translations/")["data"]
    # the room's default (the learner may still pick another language: their own setting wins)
    assert settings["schema"]["properties"]["locale"]["default"] == "ko_KR" and "ko_KR" in packs
    assert (
        _api(base, token, "GET", "/user/t-bob/api/contents/ko/00_setup.ipynb?content=0")["type"] == "notebook"
    )
    server = engine.containers.get("classroom-t-bob-server")
    limits = server.attrs["HostConfig"]  # as the engine reports it: memory, CPU and process limits
    cpus = limits["CpuQuota"] / limits["CpuPeriod"]  # DockerSpawner's cpu_limit: a quota per period
    wanted = learner_engine.SERVER_LIMITS
    assert (limits["Memory"], limits["PidsLimit"]) == (1024**3, wanted["pids_limit"])
    assert cpus == wanted["nano_cpus"] / 1e9
    argv = ["pytest", "-q", "-p", "no:cacheprovider", "--nbval", "--nbval-current-env",
            "--nbval-sanitize-with", "sanitize.cfg", "ko/04_red_blue_lab.ipynb"]  # fmt: skip
    env = {"COURSE_SOLUTIONS": "1", "COURSE_PROGRESS": "/tmp/nbval-progress.json"}
    started = time.monotonic()
    code, out = server.exec_run(argv, workdir="/home/learner", environment=env)
    print(f"nbval of the Korean notebook 04 in t-bob's server: {time.monotonic() - started:.0f} s")
    assert code == 0, out.decode(errors="replace")[-3000:]


def _log_in(page, base: str, user: str, password: str, then: str) -> None:
    """Log in on the hub's own form, then go to ``then`` (the hub sends you there: ``?next=``)."""
    page.goto(f"{base}/hub/login?next={then}")
    page.fill("#username_input", user)
    page.fill("#password_input", password)
    with page.expect_navigation():
        page.click("#login_submit")
    assert "/hub/login" not in page.url, page.url  # the password was taken


# a row: learner, server, engine, then solved/total per notebook, then solved in all
BOOKS = list(progress.EXERCISES)
SOLVED = 3 + len(BOOKS)
TOTAL = sum(len(book) for book in progress.EXERCISES.values())


def _row(page, learner: str) -> list[str]:
    return [cell.strip() for cell in page.locator(f"#learner-{learner} td").all_inner_texts()]


def test_the_instructor_sees_the_room_change_and_resets_a_learner(engine, hub_running):
    """The instructor's page, in Chromium: both learners' rows; one solves an exercise and the row says
    so; a reset (confirmed) empties that learner's engine. A learner is refused the page."""
    sync_api = pytest.importorskip("playwright.sync_api")
    base, token = hub_running
    for name in LEARNERS:
        _start(base, token, name)
    ann = learner_engine.LearnerEngine("t-ann")
    assert ann.docker("network", "create", "ann-stuff")[0] == 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    args = ["--disable-gpu", "--no-sandbox"] if os.geteuid() == 0 else ["--disable-gpu"]
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=args)
        learner = chromium.new_context().new_page()
        _log_in(learner, base, "t-bob", PASSWORD, "/hub/home")
        refused = learner.goto(f"{base}/services/room/")
        assert refused.status == 403, refused.status  # a learner has no access:services

        page = chromium.new_context(viewport={"width": 1200, "height": 500}).new_page()
        _log_in(page, base, hub.INSTRUCTOR, ADMIN_PASSWORD, "/services/room/")
        page.wait_for_selector("#learner-t-ann")
        for name in LEARNERS:  # as the hub and the host engine report them
            row = _row(page, name)
            assert row[:3] == [name, "ready", "running"] and row[SOLVED] == f"0/{TOTAL}", row
        assert _row(page, "t-cat")[:3] == ["t-cat", "stopped", "none"]  # never logged in
        assert engine.volumes.list(filters={"name": "classroom-t-cat"}) == []  # and the page made her nothing
        page.screenshot(path=str(SCREENSHOTS / "room-before.png"))

        # ann solves exercise 04.1 in her server: her row says so at the page's next reload
        solve = "from course import progress; progress.record('04.1', True)"
        with ThreadPoolExecutor(1) as aside:  # its own event loop: Playwright's runs on this thread
            aside.submit(run_cell, base, token, "t-ann", solve).result()
        ann_04 = 3 + BOOKS.index("04_red_blue_lab")

        def ann_solved() -> bool:
            row = _row(page, "t-ann")
            return (row[ann_04], row[SOLVED]) == ("1/2", f"1/{TOTAL}")

        until(lambda: page.reload() and ann_solved(), 30, 1, "t-ann's row to show exercise 04.1 solved")
        assert _row(page, "t-bob")[SOLVED] == f"0/{TOTAL}"

        # the reset, confirmed in the browser's dialog
        page.once("dialog", lambda dialog: dialog.accept())
        with page.expect_navigation():
            page.click("#learner-t-ann button")
        # in the room's language (Korean here): what was removed, and that her notebooks are kept
        kept = catalog("ko")["{learner}: {removed}; their notebooks are kept."].split("{removed}")[-1].strip()
        assert "ann-stuff" in page.inner_text(".said") and kept in page.inner_text(".said")
        page.screenshot(path=str(SCREENSHOTS / "room-after-reset.png"))
        chromium.close()
    assert ann.docker("network", "ls", "--filter", "type=custom", "--format", "{{.Name}}") == (0, "")
    assert learner_engine.progress_rows(["t-ann"])[0]["solved"] == f"1/{TOTAL}"  # her progress stays


def test_a_stopped_server_stops_its_engine_and_everything_in_it(engine, hub_running):
    """As the idle culler stops a server (DELETE .../server): the learner's engine stops too, and the
    containers inside it with it; the next start brings both back, the notebooks kept."""
    base, token = hub_running
    _start(base, token, "t-ann")
    ann = learner_engine.LearnerEngine("t-ann")
    keepalive = ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]
    assert ann.docker("run", "-d", "--name", "t-host1", "course/lab", *keepalive)[0] == 0  # a simulated host
    _api(base, token, "DELETE", "/hub/api/users/t-ann/server")
    until(lambda: not _ready(base, token, "t-ann"), 120, 1, "t-ann's server to stop")
    box = ann.container()
    box.reload()
    assert box.status == "exited"  # the engine, as the host engine reports it
    assert engine.containers.list(filters={"name": "^classroom-t-ann-server$"}) == []
    _start(base, token, "t-ann")  # the learner comes back: engine and server start again
    assert ann.docker("ps", "-a", "--filter", "name=t-host1", "--format", "{{.State}}") == (0, "exited\n")
    notebooks = _api(base, token, "GET", "/user/t-ann/api/contents")["content"]
    assert "04_red_blue_lab.ipynb" in {n["name"] for n in notebooks}
