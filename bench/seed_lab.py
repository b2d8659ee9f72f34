"""The workshop's red/blue flow, through Lab and as the docker CLI commands, side by side.

Run: .venv/bin/python bench/seed_lab.py [rounds]. Prints each round's times and ends with
``ratio lab/cli: <median lab / median cli>``. Not a test: machines are noisy.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

from course.images import KEEPALIVE, LAB_IMAGE, build_lab_image
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


def timed(func) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def main(rounds: int = 5) -> None:
    build_lab_image()
    with_lab()  # warm up both paths once
    with_cli()
    lab_times, cli_times = [], []
    for n in range(rounds):  # alternate, so drift on the machine hits both sides alike
        lab_times.append(timed(with_lab))
        cli_times.append(timed(with_cli))
        print(f"round {n + 1}: lab {lab_times[-1]:.2f} s   cli {cli_times[-1]:.2f} s")
    lab_med, cli_med = statistics.median(lab_times), statistics.median(cli_times)
    print(f"median: lab {lab_med:.2f} s   cli {cli_med:.2f} s")
    print(f"ratio lab/cli: {lab_med / cli_med:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
