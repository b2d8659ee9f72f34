"""Interactive views for JupyterLab, each with a plain result for nbval and rendered docs.

Every widget here is a ``VBox`` whose ``text/plain`` is the same table the plain helper
prints, so a notebook opened without a kernel (or compared by nbval) still says
something meaningful. The widgets only call ``Lab`` methods and ``snapshot()``.
"""

from __future__ import annotations

import html
import threading

import docker
import ipywidgets as w
import requests

from .diagram import draw
from .errors import CourseError
from .i18n import _
from .lab import ExecResult, Lab
from .names import check_name
from .reachability import reachability
from .topology import diff, snapshot

# The console's whole vocabulary: (label, argv before the argument, takes an argument).
COMMANDS: dict[str, tuple[list[str], bool]] = {
    "ip addr": (["ip", "addr"], False),
    "ip route": (["ip", "route"], False),
    "ping <container>": (["ping", "-c", "2", "-W", "1"], True),
    "nslookup <name>": (["nslookup"], True),
    "cat /etc/hosts": (["cat", "/etc/hosts"], False),
    "cat /etc/resolv.conf": (["cat", "/etc/resolv.conf"], False),
}


class View(w.VBox):
    """A VBox whose plain-text form is a readable result instead of a widget repr."""

    plain: str = ""

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, tuple):
            bundle = bundle[0]
        bundle["text/plain"] = self.plain
        return bundle


def _show(out: w.Output, obj: object) -> None:
    """Replace what ``out`` shows; sets the widget's state, so it also works with no frontend."""
    out.outputs = ()
    out.append_display_data(obj)


def run_command(lab: Lab, container: str, command: str, argument: str = "") -> ExecResult:
    """Run one of the console's safe commands: ``docker exec CONTAINER <command> [ARGUMENT]``."""
    if command not in COMMANDS:
        raise CourseError(
            _("{command} is not one of the console's commands.").format(command=repr(command)),
            _("Pick one of: {commands}.").format(commands=", ".join(COMMANDS)),
        )
    argv, takes = COMMANDS[command]
    if takes:
        argv = [*argv, check_name("container", argument)]
    return lab.exec(container, argv)


class LiveTopology(View):
    """The lab's live diagram, a Refresh button, and an auto-refresh that one worker thread owns.

    ``refresh()`` redraws now; ``start()``/``stop()`` (or the toggle) run and stop the worker, which
    stops within moments of being asked, never twice at once. An engine error stops auto-refresh and
    is shown under the buttons instead of vanishing with its thread.
    """

    def __init__(self, lab: Lab, every: float = 2.0) -> None:
        self.lab, self.every = lab, every
        self.out = w.Output()
        self.status = w.Label()
        self.auto = w.ToggleButton(
            description=_("Auto-refresh every {seconds} s").format(seconds=f"{every:g}"),
            value=False,
            layout=w.Layout(width="auto"),
        )
        button = w.Button(description=_("Refresh"), icon="refresh")
        super().__init__([w.HBox([button, self.auto]), self.status, self.out])
        self._lock = threading.Lock()  # one redraw at a time: the button and the worker share _last
        self._halt = threading.Event()
        self._worker: threading.Thread | None = None
        self._last = snapshot(lab)
        self.plain = self._last.table()
        button.on_click(lambda _button: self.refresh())
        self.auto.observe(lambda change: self.start() if change["new"] else self.stop(), "value")
        self.refresh()

    def refresh(self) -> None:
        """Read the engine again and redraw; what changed since the last redraw is orange."""
        with self._lock:
            now = snapshot(self.lab)
            changes = diff(self._last, now)
            self._last = now
            self.plain = now.table()
            _show(self.out, draw(now, changes if changes else None))

    def start(self) -> None:
        """Redraw every ``every`` seconds until ``stop()``; a second start changes nothing."""
        if self._worker is not None and self._worker.is_alive():
            return
        self._halt.clear()
        self._worker = threading.Thread(target=self._run, name="live-topology", daemon=True)
        self._worker.start()
        self.auto.value = True

    def stop(self) -> None:
        """Stop auto-refresh and wait for the worker to finish its current redraw."""
        self._halt.set()
        if self._worker is not None and self._worker is not threading.current_thread():
            self._worker.join(timeout=self.every + 30)
        self.auto.value = False

    @property
    def running(self) -> bool:
        """Whether the auto-refresh worker is alive."""
        return self._worker is not None and self._worker.is_alive()

    def _run(self) -> None:
        while not self._halt.wait(self.every):
            try:
                self.refresh()
            except (CourseError, docker.errors.DockerException, requests.exceptions.RequestException) as exc:
                self.status.value = _("Auto-refresh stopped: {error}").format(error=exc)
                self._halt.set()
                self.auto.value = False
                return


def topology(lab: Lab, every: float = 2.0) -> LiveTopology:
    """The lab's live diagram with a Refresh button and an auto-refresh toggle.

    Changes since the last refresh are drawn in orange.
    """
    return LiveTopology(lab, every)


def matrix(lab: Lab) -> View:
    """The reachability matrix with a button to probe again (every pair, in parallel)."""
    out = w.Output()
    again = w.Button(description=_("Probe again"), icon="refresh")
    view = View([again, out])

    def probe(_button=None) -> None:
        result = reachability(lab)
        view.plain = result.table()
        _show(out, result)

    again.on_click(probe)
    probe()
    return view


def console(lab: Lab) -> View:
    """Pick a container and a safe command, see its output. Arguments are validated names."""
    names = lab.containers()
    who = w.Dropdown(options=names, description=_("container"))
    what = w.Dropdown(options=list(COMMANDS), description=_("command"))
    arg = w.Combobox(options=names, placeholder=_("container name"), description=_("argument"))
    go = w.Button(description=_("Run"), button_style="primary")
    out = w.Output()
    view = View([w.HBox([who, what]), w.HBox([arg, go]), out])
    view.plain = _("console for lab {lab}: containers {containers}; commands {commands}").format(
        lab=lab.name, containers=", ".join(names), commands=", ".join(COMMANDS)
    )

    def run(_button=None) -> None:
        # append_stdout sets the widget's state directly, so this works with or without a frontend
        out.outputs = ()
        argv, takes = COMMANDS[what.value]
        shown = " ".join([*argv, arg.value] if takes else argv)
        out.append_stdout(f"$ docker exec {who.value} {shown}\n")
        try:
            with lab.muted():  # the console prints its own "$ docker exec ..." line
                result = run_command(lab, who.value, what.value, arg.value)
        except CourseError as exc:
            out.append_stdout(f"{exc}\n")
            return
        shown = result.output.rstrip() or _("(no output)")
        out.append_stdout(_("{output}\n(exit code {code})\n").format(output=shown, code=result.exit_code))

    go.on_click(run)
    return view


def controls(lab: Lab, live: LiveTopology | None = None) -> View:
    """Connect or disconnect a lab container and network; refreshes ``live`` (a topology view)."""
    who = w.Dropdown(options=lab.containers(), description=_("container"))
    net = w.Dropdown(options=lab.networks(), description=_("network"))
    connect = w.Button(description="network connect", button_style="success")
    disconnect = w.Button(description="network disconnect", button_style="warning")
    status = w.HTML()
    view = View([w.HBox([who, net]), w.HBox([connect, disconnect]), status])
    view.plain = _("connect/disconnect for lab {lab}").format(lab=lab.name)

    def act(verb: str) -> None:
        before = len(lab.history)
        try:
            with lab.muted():
                getattr(lab, verb)(who.value, net.value)
        except CourseError as exc:
            status.value = f"<b>{html.escape(str(exc))}</b>"
            return
        if len(lab.history) == before:
            if verb == "connect":
                said = _("Nothing to do: {container} is already connected.")
            else:
                said = _("Nothing to do: {container} is already disconnected.")
            status.value = html.escape(said.format(container=who.value))
        else:  # the exact command
            status.value = _("{command} done.").format(command=f"<code>{html.escape(lab.last or '')}</code>")
        if live is not None:
            live.refresh()

    connect.on_click(lambda _button: act("connect"))
    disconnect.on_click(lambda _button: act("disconnect"))
    return view
