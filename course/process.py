"""Running a program of this machine's (apt-get, dpkg-deb, npm, pip in a chroot): one way, one report.

Always an argv list, never a shell string; a failure is a CourseError that says what failed, the fix,
and the end of what the program said on stderr.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from .errors import CourseError


def run(
    argv: list[str],
    what: str,
    fix: str,
    *,
    error: type[CourseError] = CourseError,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    tail: int = 800,
) -> subprocess.CompletedProcess:
    """``argv`` run to its end; on a non-zero status, ``error("<what> failed (status N).", fix + stderr)``."""
    done = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, env=env, check=False)
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip()[-tail:] or "nothing"
        raise error(f"{what} failed (status {done.returncode}).", f"{fix} It said:\n{said}")
    return done


def with_env(**changes: str) -> dict[str, str]:
    """This process's environment with ``changes``."""
    return {**os.environ, **changes}


def stop(proc: subprocess.Popen, grace: float = 10) -> None:
    """End a program this process started: SIGTERM, ``grace`` seconds to finish, then SIGKILL."""
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
