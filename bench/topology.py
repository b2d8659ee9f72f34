"""Snapshot vs the docker CLI doing the same inventory, and diagram build time, at 10/100/300 containers.

Run: .venv/bin/python bench/topology.py. Builds labs over 10 networks, measures side by side
in one run (median of 5), ends with ``ratio snapshot/cli at 300: <number>``. Not a test.
"""

from __future__ import annotations

import statistics
import subprocess
import time

from course.diagram import draw
from course.lab import Lab
from course.topology import snapshot

SIZES = (10, 100, 300)
NETWORKS = [f"bench-net{i}" for i in range(10)]


def cli_inventory(networks: list[str]) -> None:
    """What a person would type: docker network inspect of every network, plus docker ps."""
    subprocess.run(["docker", "network", "inspect", *networks], capture_output=True, check=True)
    subprocess.run(["docker", "ps", "-a", "--no-trunc"], capture_output=True, check=True)


def median_time(func, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    lab = Lab("bench-topology")
    lab.cleanup()
    for net in NETWORKS:
        lab.network(net)
    ratio = float("nan")
    print(f"{'containers':>10}  {'snapshot':>9}  {'cli':>9}  {'diagram':>9}  snapshot/cli")
    try:
        have = 0
        for size in SIZES:
            lab.run_many({f"bt-{i}": NETWORKS[i % len(NETWORKS)] for i in range(have, size)})
            have = size
            snap_t = median_time(lambda: snapshot(lab))
            cli_t = median_time(lambda: cli_inventory(NETWORKS))
            snap = snapshot(lab)
            draw_t = median_time(lambda snap=snap: draw(snap))
            ratio = snap_t / cli_t
            print(f"{size:>10}  {snap_t:>8.3f}s  {cli_t:>8.3f}s  {draw_t:>8.3f}s  {ratio:.2f}")
    finally:
        lab.cleanup()
    print(f"ratio snapshot/cli at 300: {ratio:.2f}")


if __name__ == "__main__":
    main()
