"""``%%docker``: a learner's docker commands, run with the real ``docker`` CLI exactly as typed.

Each line of the cell is one command, ``docker ...``. It is split into words as a shell splits them
(quotes work, a trailing backslash continues the line) but never given to a shell: no pipes, no
``$(...)``. Nothing is added to it; it talks to the engine ``docker`` itself finds (``DOCKER_HOST``,
the current context). Its output shows as Docker prints it.

What a command creates joins the notebook's lab (the last ``Lab`` made on the kernel's own engine): the
engine's event stream says what was created while the command ran, and what the command itself named
or printed is kept by ID (``adopted.py``), so the live diagram, the matrix and the lab's cleanup include
it. A resource another program created at the same moment is neither named nor printed by the command,
so it is never taken.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from . import adopted
from .engines.client import address
from .errors import CourseError
from .i18n import _
from .process import stop

if TYPE_CHECKING:
    from .lab import Lab

_ASSIGN = re.compile(r"([A-Za-z_]\w*)=\$\((docker\s.*)\)")  # back_ip=$(docker inspect ...)
_VARIABLE = re.compile(r"\$(?:\{([A-Za-z_]\w*)\}|([A-Za-z_]\w*))")
_FULL_ID = re.compile(r"\b[0-9a-f]{64}\b")  # what docker run -d, docker create, network create print
_STAMP = re.compile(r"(.+?)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)")
_CURRENT: list[Lab] = []  # the notebook's lab: the last Lab made on the kernel's own engine
last: list[Ran] = []  # what the last %%docker cell ran, for the checks after it
variables: dict[str, str] = {}  # what NAME=$(docker ...) lines set, for $NAME in later lines


class Ran(NamedTuple):
    """One command as typed, its exit code, and what it printed (stdout and stderr as they came)."""

    argv: tuple[str, ...]
    exit_code: int
    output: str


def use(lab: Lab) -> None:
    """Make ``lab`` the one that what ``%%docker`` cells create joins (``Lab()`` calls this)."""
    _CURRENT[:] = [lab]


def current() -> Lab | None:
    """The lab ``%%docker`` cells add to, or None before the notebook made one."""
    return _CURRENT[0] if _CURRENT else None


def lines(cell: str) -> list[str]:
    """The command lines of a cell: a trailing backslash continues a line; blank lines and ``#``
    comments are skipped."""
    return [
        line.strip()
        for line in cell.replace("\\\n", " ").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def words(line: str) -> list[str]:
    """One command line split into words as a shell splits them; CourseError unless it is ``docker ...``."""
    try:
        found = shlex.split(line, comments=True)
    except ValueError as exc:
        raise CourseError(
            _("Cannot read {line}: {error}.").format(line=repr(line), error=exc),
            _("Close the quote and run it again."),
        ) from exc
    if not found or found[0] != "docker":
        raise CourseError(
            _("{line} is not a docker command: a %%docker cell runs only docker commands.").format(
                line=repr(line)
            ),
            _("Start the line with docker. To run a program in a container: docker exec NAME PROGRAM ..."),
        )
    return found


def parse(cell: str) -> list[list[str]]:
    """The commands of a cell, each a word list starting with ``docker`` (an assignment line
    ``NAME=$(docker ...)`` counts as its command)."""
    return [words(_assignment(line)[1]) for line in lines(cell)]


def is_command(line: str) -> bool:
    """Whether ``line`` is a command line of a ``%%docker`` cell: ``docker ...`` or ``NAME=$(docker ...)``."""
    line = line.strip()
    return line.startswith("docker ") or _ASSIGN.fullmatch(line) is not None


def _assignment(line: str) -> tuple[str | None, str]:
    """``("back_ip", "docker inspect ...")`` for ``back_ip=$(docker inspect ...)``; else ``(None, line)``."""
    found = _ASSIGN.fullmatch(line)
    return (found.group(1), found.group(2).strip()) if found else (None, line)


def expand(line: str) -> str:
    """``$NAME`` and ``${NAME}`` replaced with what an earlier ``NAME=$(docker ...)`` line set, as a shell
    does: not inside single quotes (so ``--format '{{.Name}}'`` stays as typed)."""
    out, quoted = [], False
    for part in re.split(r"(')", line):
        if part == "'":
            quoted = not quoted
        elif not quoted:
            part = _VARIABLE.sub(_value, part)
        out.append(part)
    return "".join(out)


def _value(found: re.Match) -> str:
    name = found.group(1) or found.group(2)
    if name not in variables:
        raise CourseError(
            _("${name} is not set.").format(name=name),
            _("Set it first, on a line of its own: {name}=$(docker ...)").format(name=name),
        )
    return variables[name]


def run(argv: list[str], lab: Lab | None = None, show: Callable[[str], object] | None = None) -> Ran:
    """Run one ``docker ...`` command as typed and return what it printed; what it created joins
    ``lab``. ``show`` gets each line as it comes (the notebook prints it)."""
    cli = shutil.which("docker")
    if cli is None:
        raise CourseError(
            _("The docker command is not on this kernel's PATH."),
            _(
                "Install Docker's CLI (Debian: apt-get install docker.io; Docker Desktop has it), "
                "or add its folder to PATH, then restart the kernel."
            ),
        )
    watch = lab is not None and changes(argv)  # only a command that makes something can make a lab's
    since = _engine_time(lab) if watch else 0.0
    env = dict(os.environ)
    env.setdefault("DOCKER_HOST", address())  # the engine the course reads, whatever docker context is set
    proc = subprocess.Popen(
        [cli, *argv[1:]], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env
    )
    lines = []
    try:
        for raw in proc.stdout:
            line = raw.decode(errors="replace")
            lines.append(line)
            if show is not None:
                show(line.rstrip("\n"))
        code = proc.wait()
    finally:  # interrupted (a ping without -c, a foreground server): stop it, and keep what it made
        if proc.poll() is None:
            stop(proc)
        if watch:
            _adopt(lab, argv, "".join(lines), since, _engine_time(lab))
    return Ran(tuple(argv), code, "".join(lines))


def _engine_time(lab: Lab) -> float:
    """Now, by the engine's own clock (a Docker Desktop VM's may differ from this machine's)."""
    stamp = lab.engine.info()["SystemTime"]  # RFC 3339 with nanoseconds, e.g. ...T09:50:00.123456789Z
    found = _STAMP.fullmatch(stamp)
    if found is None:
        raise CourseError(
            _("The engine's time {stamp} is not RFC 3339.").format(stamp=repr(stamp)),
            _("Report this engine's version."),
        )
    base, fraction, zone = found.groups()
    moment = datetime.fromisoformat(base + ("+00:00" if zone == "Z" else zone))
    return moment.timestamp() + float(f"0.{fraction or 0}")


def _adopt(lab: Lab, argv: list[str], output: str, since: float, until: float) -> None:
    """Keep what the engine says was created between ``since`` and ``until`` (its own clock) that the
    command itself named (``--name``, a create's target, a ``-v`` volume) or printed (a full ID)."""
    named, printed = names_given(argv), set(_FULL_ID.findall(output))
    events = lab.engine.events(
        since=since, until=until, decode=True, filters={"type": list(adopted.KINDS), "event": ["create"]}
    )
    for event in events:
        kind, actor = event.get("Type"), event.get("Actor") or {}
        ident, name = actor.get("ID", ""), (actor.get("Attributes") or {}).get("name", "")
        if kind not in adopted.KINDS or not ident or not since <= event.get("timeNano", 0) / 1e9 <= until:
            continue
        if kind == "volume" and ident in named:  # a volume's ID is its name: kept with its creation time
            created = lab.engine.volumes.get(ident).attrs.get("CreatedAt", "")
            adopted.add(lab.name, lab.engine_id, kind, adopted.volume_ident(ident, created))
        elif kind != "volume" and (ident in printed or name in named):
            adopted.add(lab.name, lab.engine_id, kind, ident)


def names_given(argv: list[str]) -> set[str]:
    """The names a docker command gives what it creates: ``--name X`` (or ``--name=X``), the NAME of
    ``network create`` and ``volume create``, and the named volumes of ``-v NAME:/path``."""
    words, found = argv[1:], set()
    for i, word in enumerate(words):
        value = words[i + 1] if i + 1 < len(words) else ""
        if word == "--name":
            found.add(value)
        elif word.startswith("--name="):
            found.add(word.split("=", 1)[1])
        elif word in ("-v", "--volume") or word.startswith("--volume="):
            source = (word.split("=", 1)[1] if "=" in word else value).split(":")[0]
            if source and ":" in (word.split("=", 1)[1] if "=" in word else value) and source[0] not in "/.~":
                found.add(source)
    positional = [w for w in words if not w.startswith("-")]
    if positional[:2] in (["network", "create"], ["volume", "create"]) and len(words) > 2:
        found.add(words[-1])
    return found - {""}


def magic(line: str, cell: str) -> None:
    """The body of the ``%%docker`` cell magic: each command in turn, its output as Docker prints it.

    A program that ran and exited non-zero (``docker exec ubuntu4 ping ubuntu2`` that finds no
    ubuntu2) is a result: its status is shown, as a terminal would, and the cell goes on. Docker
    refusing a command (a name already in use, no such container, a typo in a flag) stops the cell
    with Docker's own message and a fix. ``commands.last`` keeps what the cell ran, for the checks.
    """
    lab = current()
    last.clear()
    for line in lines(cell):
        target, command = _assignment(line)
        argv = words(expand(command))
        if lab is not None:  # in the lab's history (its script) as typed, not printed: the cell shows it
            lab.recorded(line, changes=changes(argv))
        shown = None if target else (lambda text: print(text, flush=True))  # NAME=$(...) prints nothing
        ran = run(argv, lab, show=shown)
        last.append(ran)
        if target and ran.exit_code == 0:
            variables[target] = ran.output.strip()
        if ran.exit_code == 0:
            continue
        if not refused(ran):
            print(_("[exit status {code}]").format(code=ran.exit_code), flush=True)
            continue
        raise CourseError(
            _("{command} failed (exit code {code}).").format(command=shlex.join(argv), code=ran.exit_code),
            _hint(ran.output) or _("Docker's message above says why: fix it and run the cell again."),
        )


# what only reads: `docker exec` runs a program inside (it changes no network), the rest only lists
_LOOKS = {"exec", "inspect", "ps", "logs", "top", "port", "images", "version", "info", "events"}


def changes(argv: list[str]) -> bool:
    """Whether a docker command changes what the engine has (create, run, connect, rm), or only looks."""
    words = [w for w in argv[1:] if not w.startswith("-")]
    if not words:
        return False
    if words[0] in ("network", "container", "volume", "image") and len(words) > 1:
        return words[1] not in {"ls", "list", "inspect", "ps"}
    return words[0] not in _LOOKS


def refused(ran: Ran) -> bool:
    """Whether Docker itself refused the command (rather than a program it ran exiting non-zero):
    the daemon's or the CLI's own error, or the statuses ``docker run`` keeps for itself (125-127)."""
    said = ran.output
    return (
        ran.exit_code in (125, 126, 127)
        or "Error response from daemon" in said
        or said.startswith(("docker: ", "unknown flag", "unknown shorthand flag", "Error: "))
        or "\nError: " in said  # docker inspect prints [] first
        or "\nSee 'docker " in said
        or said.startswith('"docker ')
    )


def _hint(output: str) -> str:
    """A fix for the failures learners meet most, from Docker's own message."""
    said = output.lower()
    if "executable file not found" in said:
        return _(
            "The container has no such program. course/lab is busybox: sh rather than bash, and ping, "
            "nslookup, ip, wget, cat are there."
        )
    if "already exists" in said or "is already in use" in said:
        return _(
            "It is there from an earlier run of this cell: go on, or remove it first "
            "(docker rm -f NAME, docker network rm NAME) and run the cell again."
        )
    if "no such container" in said or "not found" in said:
        return _("Check the name with docker ps -a (containers) or docker network ls (networks).")
    return ""


def register() -> None:
    """Make ``%%docker`` available in the running IPython kernel, if there is one."""
    register_cell_magic(magic, "docker")


def register_cell_magic(body: Callable[[str, str], None], name: str) -> None:
    """Make ``%%name`` run ``body(line, cell)`` in the running IPython kernel, if there is one."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        shell.register_magic_function(body, "cell", name)
