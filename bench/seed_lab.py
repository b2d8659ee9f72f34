"""The workshop's red/blue flow three ways, side by side: through Lab, as docker CLI commands, and
through the raw Docker SDK with the best parallelism (the floor that the helper can reach).

Run: .venv/bin/python bench/seed_lab.py [rounds]. Prints each round's times and ends with
``ratio lab/cli: <n>`` and ``ratio lab/floor: <n>`` (medians). Not a test: machines are noisy.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

import docker as docker_sdk

from course.engines.images import KEEPALIVE, LAB_IMAGE, build_lab_image
from course.lab import DNS_OPTIONS, Lab
from course.parallel import parallel

NAMES = {"b-ubuntu1": "b-red", "b-ubuntu3": "b-blue", "b-ubuntu2": "b-red", "b-ubuntu4": "b-blue"}


def with_lab() -> None:
    with Lab("bench-seed") as lab:  # cleanup on exit: docker rm -f ..., docker network rm ...
        parallel(lab.network, ["b-red", "b-blue"])
        lab.run_many(NAMES)
        unreachable, reachable = parallel(lambda dst: lab.ping("b-ubuntu4", dst), ["b-ubuntu2", "b-ubuntu3"])
        assert not unreachable and reachable
        lab.connect("b-ubuntu1", "b-blue")
        assert lab.ping("b-ubuntu4", "b-ubuntu1")


def docker(*argv: str, ok: bool = True) -> None:
    done = subprocess.run(["docker", *argv], capture_output=True, check=False)
    assert (done.returncode == 0) == ok, (argv, done.stderr)


def with_cli() -> None:
    label = "course.lab=bench-cli"
    docker("network", "create", "--label", label, "b-red")
    docker("network", "create", "--label", label, "b-blue")
    dns = [arg for opt in DNS_OPTIONS for arg in ("--dns-opt", opt)]
    for name, net in NAMES.items():
        docker("run", "-d", "--label", label, *dns, f"--net={net}", "--name", name, LAB_IMAGE, *KEEPALIVE)
    docker("exec", "b-ubuntu4", "ping", "-c", "1", "-W", "1", "b-ubuntu2", ok=False)
    docker("exec", "b-ubuntu4", "ping", "-c", "1", "-W", "1", "b-ubuntu3")
    docker("network", "connect", "b-blue", "b-ubuntu1")
    docker("exec", "b-ubuntu4", "ping", "-c", "1", "-W", "1", "b-ubuntu1")
    docker("rm", "-f", *NAMES)
    docker("network", "rm", "b-red", "b-blue")


def with_sdk() -> None:
    """The same flow straight on the SDK: one client, every independent step at once, no checks."""
    engine = docker_sdk.from_env()
    labels = {"course.lab": "bench-floor"}
    nets = {n: engine.networks.create(n, labels=labels) for n in ("f-red", "f-blue")}
    names = {name.replace("b-", "f-"): net.replace("b-", "f-") for name, net in NAMES.items()}

    def start(item):
        name, net = item
        return engine.containers.run(
            LAB_IMAGE, KEEPALIVE, name=name, detach=True, labels=labels, network=net, dns_opt=DNS_OPTIONS
        )

    boxes = {c.name: c for c in parallel(start, names.items())}
    ping = ["ping", "-c", "1", "-W", "1"]
    unreachable, reachable = parallel(
        lambda dst: boxes["f-ubuntu4"].exec_run([*ping, dst]).exit_code == 0, ["f-ubuntu2", "f-ubuntu3"]
    )
    assert not unreachable and reachable
    nets["f-blue"].connect(boxes["f-ubuntu1"])
    assert boxes["f-ubuntu4"].exec_run([*ping, "f-ubuntu1"]).exit_code == 0
    parallel(lambda c: c.remove(force=True), boxes.values())
    parallel(lambda n: n.remove(), nets.values())
    engine.close()


def timed(func) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def main(rounds: int = 5) -> None:
    build_lab_image()
    with_lab()  # warm up every path once
    with_cli()
    with_sdk()
    lab_times, cli_times, floor_times = [], [], []
    for n in range(rounds):  # alternate, so drift on the machine hits every side alike
        lab_times.append(timed(with_lab))
        cli_times.append(timed(with_cli))
        floor_times.append(timed(with_sdk))
        last = f"lab {lab_times[-1]:.2f} s   cli {cli_times[-1]:.2f} s   sdk {floor_times[-1]:.2f} s"
        print(f"round {n + 1}: {last}")
    lab_med, cli_med = statistics.median(lab_times), statistics.median(cli_times)
    floor_med = statistics.median(floor_times)
    print(f"median: lab {lab_med:.2f} s   cli {cli_med:.2f} s   sdk floor {floor_med:.2f} s")
    print(f"ratio lab/cli: {lab_med / cli_med:.2f}")
    print(f"ratio lab/floor: {lab_med / floor_med:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
