"""The widgets as a learner drives them: auto-refresh, the console, the controls; and a diagram's safety."""

import pytest

from course import widgets
from course.diagram import draw
from course.lab import Lab
from course.topology import snapshot
from course.waiting import until

pytestmark = pytest.mark.integration


def _click(button) -> None:
    button._click_handlers(button)  # what a click in the browser calls


def test_auto_refresh_runs_one_worker_sees_changes_and_stops(lab):
    lab.network("red")
    lab.run("t-a", "red")
    live = widgets.topology(lab, every=0.3)
    live.start()
    first = live._worker
    live.auto.value = True  # the toggle, clicked again while running
    live.start()
    assert live._worker is first and live.running
    lab.run("t-b", "red")
    until(lambda: "t-b" in live.plain, timeout=15)  # the worker redrew, and the table says so
    live.stop()
    assert not live.running and live.auto.value is False  # stop() waited for the worker to end


def test_an_engine_error_stops_auto_refresh_and_is_shown(lab):
    live = widgets.topology(lab, every=0.2)
    live.lab = Lab(lab.name, host="tcp://127.0.0.1:9")  # nothing answers there
    live.start()
    until(lambda: not live.running, timeout=15)
    assert live.status.value.startswith(
        "Auto-refresh stopped: Docker engine not reachable at tcp://127.0.0.1:9"
    )
    assert live.auto.value is False


def test_the_console_runs_only_its_commands_and_says_the_docker_command(lab):
    lab.network("red")
    lab.run_many({"t-a": "red", "t-b": "red"})
    view = widgets.console(lab)
    who, what = view.children[0].children
    arg, go = view.children[1].children
    who.value, what.value, arg.value = "t-a", "ping <container>", "t-b"
    _click(go)
    shown = "".join(o.get("text", "") for o in view.children[2].outputs)
    assert shown.startswith("$ docker exec t-a ping -c 2 -W 1 t-b") and "(exit code 0)" in shown
    arg.value = "t-b; rm -rf /"
    _click(go)
    shown = "".join(o.get("text", "") for o in view.children[2].outputs)
    assert "is not a valid container name" in shown
    with pytest.raises(Exception, match="not one of the console's commands"):
        widgets.run_command(lab, "t-a", "rm -rf /")


def test_the_controls_connect_and_refresh_the_live_view(lab):
    lab.network("red")
    lab.network("blue")
    lab.run("t-a", "red")
    live = widgets.topology(lab)
    view = widgets.controls(lab, live)
    who, net = view.children[0].children
    connect, disconnect = view.children[1].children
    who.value, net.value = "t-a", "blue"
    _click(connect)
    assert set(snapshot(lab).endpoints_of("t-a")) == {"red", "blue"}  # what the engine reports
    assert "docker network connect blue t-a" in view.children[2].value
    assert "t-a" in [line.split()[0] for line in live.plain.splitlines() if "blue" in line]
    _click(disconnect)
    assert set(snapshot(lab).endpoints_of("t-a")) == {"red"}


def test_a_caption_cannot_end_the_diagrams_script_early(lab):
    lab.network("red")
    page = draw(snapshot(lab), caption="</script><script>alert(1)</script>").html
    assert page.count("<script>") == 1 and page.count("</script>") == 1
