"""``%%docker``: the learner's docker commands, run by the real docker CLI as typed, and what they
create joins the lab by ID (and leaves with its cleanup), while nothing else is ever taken."""

from __future__ import annotations

import shutil

import pytest

from course import adopted, commands, solutions
from course.errors import CourseError
from course.names import LABEL
from course.topology import snapshot


def test_a_cell_is_docker_commands_split_as_a_shell_splits_words():
    cell = """
    # two networks
    docker network create red
    docker run -itd --net=red \\
        --name "ubuntu 1" course/lab   # a comment
    """
    assert commands.parse(cell) == [
        ["docker", "network", "create", "red"],
        ["docker", "run", "-itd", "--net=red", "--name", "ubuntu 1", "course/lab"],
    ]


@pytest.mark.parametrize(
    ("cell", "said"),
    [
        ("ip addr", "is not a docker command"),
        ("sudo docker ps", "is not a docker command"),
        ("docker ps | grep red", None),  # no shell: '|' is a word docker itself refuses
        ('docker run --name "open', "Cannot read"),
    ],
)
def test_what_is_not_one_docker_command_is_refused_with_a_fix_or_left_to_docker(cell, said):
    if said is None:
        assert commands.parse(cell) == [["docker", "ps", "|", "grep", "red"]]
        return
    with pytest.raises(CourseError, match=said) as raised:
        commands.parse(cell)
    assert raised.value.fix


@pytest.mark.integration
@pytest.mark.skipif(shutil.which("docker") is None, reason="needs the docker CLI")
def test_what_a_typed_command_creates_joins_the_lab_by_id_and_leaves_with_its_cleanup(lab, engine):
    foreign = engine.networks.create("t-cmd-foreign")  # made by someone else, in the same second
    try:
        made = [
            commands.run(argv, lab)
            for argv in commands.parse(
                """
                docker network create t-cmd-net
                docker run -itd --net=t-cmd-net --name t-cmd-c1 course/lab
                """
            )
        ]
        assert [r.exit_code for r in made] == [0, 0]
        net, box = engine.networks.get("t-cmd-net"), engine.containers.get("t-cmd-c1")
        assert net.id in made[0].output and box.id in made[1].output  # what the docker CLI printed
        assert LABEL not in (net.attrs["Labels"] or {}) and LABEL not in box.labels  # nothing added
        assert lab.networks() == ["t-cmd-net"] and lab.containers() == ["t-cmd-c1"]
        snap = snapshot(lab)
        assert [c.name for c in snap.containers] == ["t-cmd-c1"] and snap.members("t-cmd-net") == ["t-cmd-c1"]
        assert adopted.load(lab.name, lab.engine_id).of("network") == [net.id]  # not the foreign one
        listed = commands.run(["docker", "network", "ls", "--no-trunc"], lab)  # prints the foreign one's ID
        assert foreign.id in listed.output and lab.networks() == ["t-cmd-net"]  # a listing adopts nothing

        removed = lab.cleanup()
        assert (removed.containers, removed.networks) == (("t-cmd-c1",), ("t-cmd-net",))
        assert not engine.containers.list(all=True, filters={"name": "t-cmd-c1"})
        assert not engine.networks.list(names=["t-cmd-net"])
        assert engine.networks.get(foreign.id)  # still there, untouched
        assert not adopted.load(lab.name, lab.engine_id)
    finally:
        foreign.remove()


@pytest.mark.integration
@pytest.mark.skipif(shutil.which("docker") is None, reason="needs the docker CLI")
def test_a_cell_stops_at_the_first_command_docker_refuses_with_dockers_words_and_a_fix(lab, engine, capsys):
    commands.use(lab)
    commands.magic("", "docker network create t-cmd-twice")
    with pytest.raises(CourseError, match="docker network create t-cmd-twice failed") as raised:
        commands.magic("", "docker network create t-cmd-twice\ndocker network create t-cmd-never")
    assert "earlier run of this cell" in raised.value.fix
    assert "already exists" in capsys.readouterr().out  # Docker's own message, shown as it printed it
    assert not engine.networks.list(names=["t-cmd-never"])
    assert lab.networks() == ["t-cmd-twice"]


@pytest.mark.parametrize(
    ("code", "output", "refused"),
    [
        (1, "Error response from daemon: network with name red already exists\n", True),
        (125, "docker: Error response from daemon: Conflict.\n", True),
        (1, "unknown flag: --nett\nSee 'docker run --help'.\n", True),
        (1, "ping: bad address 'ubuntu2'\n", False),  # the program ran, and said no
        (2, "grep: nothing\n", False),
    ],
)
def test_docker_refusing_a_command_is_told_apart_from_a_program_that_exited_non_zero(code, output, refused):
    assert commands.refused(commands.Ran(("docker",), code, output)) is refused


def test_a_solutions_command_continued_with_a_backslash_stays_one_command():
    cell = "docker run -itd --net=ov \\\n    --name c2 course/lab\nassert True\n"
    assert solutions._chunks(cell) == [
        (True, "docker run -itd --net=ov \\\n    --name c2 course/lab\n"),
        (False, "assert True\n"),
    ]


def test_a_solution_runs_its_docker_lines_as_commands_and_the_rest_as_python():
    cell = "docker network connect blue ubuntu2\nip=$(docker inspect -f '{{.Id}}' u2)\n\nassert True\nx = 1\n"
    assert solutions._chunks(cell) == [
        (True, "docker network connect blue ubuntu2\nip=$(docker inspect -f '{{.Id}}' u2)\n\n"),
        (False, "assert True\nx = 1\n"),
    ]


@pytest.mark.parametrize(
    ("line", "changes"),
    [
        ("docker network create red", True),
        ("docker run -itd --net=red --name ubuntu1 course/lab", True),
        ("docker network connect blue ubuntu1", True),
        ("docker rm -f ubuntu1", True),
        ("docker exec ubuntu4 ping -c 1 ubuntu2", False),
        ("docker network inspect red blue --format '{{.Name}}'", False),
        ("docker network ls", False),
        ("docker ps -a", False),
    ],
)
def test_the_lab_script_keeps_the_commands_that_change_the_engine(line, changes):
    assert commands.changes(commands.parse(line)[0]) is changes


@pytest.mark.parametrize(
    ("line", "names"),
    [
        ("docker run -itd --net=red --name ubuntu1 course/lab", {"ubuntu1"}),
        ("docker run -d --name=web -v data:/srv -v /tmp:/x -v ./here:/y course/lab", {"web", "data"}),
        ("docker network create --driver bridge red", {"red"}),
        ("docker volume create data", {"data"}),
        ("docker network connect blue ubuntu1", set()),
        ("docker ps -a", set()),
    ],
)
def test_what_a_command_names_is_what_it_may_adopt(line, names):
    assert commands.names_given(commands.parse(line)[0]) == names


def test_a_variable_set_from_a_docker_command_expands_as_a_shell_expands_it(monkeypatch):
    monkeypatch.setattr(commands, "variables", {"back_ip": "172.19.0.2"})
    line = "docker exec front1 ping -c 1 $back_ip \"${back_ip}\" '$back_ip' --format '{{.Name}}'"
    assert commands.expand(line) == (
        "docker exec front1 ping -c 1 172.19.0.2 \"172.19.0.2\" '$back_ip' --format '{{.Name}}'"
    )
    with pytest.raises(CourseError, match=r"\$front_ip is not set") as unset:
        commands.expand("docker exec back1 ping $front_ip")
    assert "front_ip=$(docker ...)" in unset.value.fix
    assignment = "back_ip=$(docker inspect -f '{{.NetworkSettings.Networks.back.IPAddress}}' back1)"
    assert commands.parse(assignment) == [
        ["docker", "inspect", "-f", "{{.NetworkSettings.Networks.back.IPAddress}}", "back1"]
    ]
