"""The course command: the checklist, and one readable line (no traceback) on failure."""

import ast
import grp
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course.errors import CourseError

COURSE = [sys.executable, "-m", "course.cli"]


def run(*args, env=None, user=None):
    argv = [*COURSE, *args]
    if user:
        group = grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name  # nogroup on Debian, nobody elsewhere
        argv = ["setpriv", f"--reuid={user}", f"--regid={group}", "--clear-groups", *argv]
    return subprocess.run(argv, capture_output=True, text=True, env={**os.environ, **(env or {})})


def test_engine_down_is_one_line_with_the_fix():
    done = run("reset", env={"DOCKER_HOST": "unix:///tmp/no-engine-here.sock"})
    assert done.returncode == 1
    assert done.stderr == (
        "course: Docker engine not reachable at unix:///tmp/no-engine-here.sock. Start the engine "
        "DOCKER_HOST points to, or unset DOCKER_HOST to use unix:///var/run/docker.sock.\n"
    )
    assert "Traceback" not in done.stdout + done.stderr


def test_doctor_fails_with_fix_when_engine_down():
    done = run("doctor", env={"DOCKER_HOST": "unix:///tmp/no-engine-here.sock"})
    assert done.returncode == 1
    assert "[FAIL] engine: Docker engine not reachable" in done.stdout
    assert "fix: " in done.stdout


@pytest.mark.integration
def test_doctor_passes_on_a_ready_engine(engine):
    done = run("doctor")
    assert done.returncode == 0, done.stdout
    assert "[FAIL]" not in done.stdout
    assert "[  OK] lab image: course/lab:latest" in done.stdout


@pytest.mark.integration
@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root to drop to nobody")
def test_no_permission_on_the_socket_says_how_to_get_it(engine):
    done = run("doctor", user="nobody")
    assert done.returncode == 1
    assert "Permission denied on the Docker socket /var/run/docker.sock" in done.stdout
    assert "usermod -aG docker" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.integration
def test_engine_start_uses_a_running_engine_and_touches_nothing(engine):
    from course.engines import daemon

    before = sorted((c.id, c.status) for c in engine.containers.list(all=True))
    pid = daemon._course_dockerd()
    done = run("engine", "start")
    assert done.returncode == 0
    assert "already running" in done.stdout and "using it" in done.stdout
    assert daemon._course_dockerd() == pid  # the same dockerd still serves (no restart)
    assert sorted((c.id, c.status) for c in engine.containers.list(all=True)) == before


def _loaded_after(code: str) -> str:
    """The ipywidgets and pyvis modules a fresh interpreter holds after running ``code``."""
    listing = "print(sorted(m for m in sys.modules if m.split('.')[0] in ('ipywidgets', 'pyvis')))"
    done = subprocess.run(
        [sys.executable, "-c", f"import sys; {code}; {listing}"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_command_loads_no_notebook_display_library():
    assert _loaded_after("import course.cli") == "[]"


def test_the_plumbing_and_the_classroom_load_no_notebook_display_library():
    from course.classroom import hub

    package = Path(hub.__file__).parents[1]
    for wing in ("engines", "classroom"):
        modules = sorted(
            f"course.{wing}.{p.stem}" for p in (package / wing).glob("*.py") if p.stem != "__init__"
        )
        assert len(modules) >= 3, modules
        assert _loaded_after(f"import course.{wing}, {', '.join(modules)}") == "[]"
    # what JupyterHub runs first: the config file the hub writes
    config = ast.parse(hub.config_source(["ann"], "workshop-password", "127.0.0.1", 8000, "x" * 32))
    imports = [ast.unparse(n) for n in config.body if isinstance(n, ast.Import | ast.ImportFrom)]
    assert imports == ["from course.classroom import hub"]
    assert _loaded_after("; ".join(imports)) == "[]"


def test_the_notebooks_import_line_gives_the_display_helpers_when_asked():
    assert _loaded_after("import course") == "[]"
    line = (  # as every notebook has it
        "from course import Lab, diff, doctor, draw, exercises, hostview, library, reachability, snapshot, "
        "widgets"
    )
    check = "import course.diagram; assert draw is course.diagram.draw and library is course.diagram.library"
    assert "pyvis.network" in _loaded_after(f"{line}; {check}")
    assert "ipywidgets" in _loaded_after("from course import *; assert widgets.__name__ == 'course.widgets'")


def test_the_workshop_password_never_comes_from_the_command_line(tmp_path, monkeypatch):
    from course import cli

    with pytest.raises(SystemExit):  # argparse: no such option
        cli.main(["classroom", "hub", "ann", "--password", "secret-words"])
    monkeypatch.delenv(cli.PASSWORD_SETTING, raising=False)
    secret = tmp_path / "password"
    secret.write_text("from-a-file\n")
    assert cli.workshop_password(str(secret)) == "from-a-file"
    monkeypatch.setenv(cli.PASSWORD_SETTING, "from-the-environment")
    assert cli.workshop_password(str(secret)) == "from-the-environment"
    monkeypatch.delenv(cli.PASSWORD_SETTING)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    with pytest.raises(CourseError, match="no terminal to type it in"):
        cli.workshop_password()


def test_the_hubs_config_is_its_owners_alone_from_its_first_byte(tmp_path):
    from course.classroom import hub

    written = hub.write_config(tmp_path / "hub" / "jupyterhub_config.py", "c = 1\n")
    assert written.stat().st_mode & 0o777 == 0o600 and written.parent.stat().st_mode & 0o777 == 0o700
    assert hub.write_config(written, "c = 2\n").read_text() == "c = 2\n"  # written again, still its own
