"""Time to a ready 3-node swarm with an overlay network, from nothing, with the node image cached.

Run: .venv/bin/python bench/cluster.py [rounds]. Each round: nodes up, swarm, an attachable overlay,
a container on node1 and on node3 that reach each other by name; then removed. Prints each phase,
the engine version the nodes run, and last the line ``overlay ready: <median seconds>``. Not a test.
"""

from __future__ import annotations

import statistics
import sys
import time

from course.cluster import Cluster
from course.engines.client import client
from course.engines.node_image import build_node_image

TARGET = 45.0


def one_round() -> dict[str, float]:
    cluster = Cluster("bench-cluster")
    cluster.down()
    marks = {}
    start = time.perf_counter()
    cluster.up()
    marks["nodes up"] = time.perf_counter() - start
    versions = {node.engine.version()["Version"] for node in cluster.nodes}
    assert versions == {cluster.lab.engine.version()["Version"]}, versions
    cluster.swarm()
    marks["swarm"] = time.perf_counter() - start
    on1, on3 = cluster.lab_on("node1"), cluster.lab_on("node3")
    on1.network("bench-ov", driver="overlay", attachable=True)
    on1.run("bench-c1", "bench-ov")
    on3.run("bench-c3", "bench-ov")
    # ready = c1 resolves c3 (node1 heard of it by gossip) and the ping crosses the overlay
    assert cluster.wait_for(lambda: on1.resolve("bench-c1", "bench-c3") is not None, timeout=30)
    assert on1.ping("bench-c1", "bench-c3")
    marks["overlay ready"] = time.perf_counter() - start
    cluster.down()
    marks["removed"] = time.perf_counter() - start
    return marks


def main(rounds: int = 3) -> None:
    start = time.perf_counter()
    build_node_image()
    print(f"node image (cached after the first build): {time.perf_counter() - start:.1f} s")
    print(f"engine and nodes: Docker {client().version()['Version']}")
    ready = []
    for n in range(rounds):
        marks = one_round()
        ready.append(marks["overlay ready"])
        print(f"round {n + 1}: " + "  ".join(f"{k} {v:.1f} s" for k, v in marks.items()))
    median = statistics.median(ready)
    print(f"median time to a 3-node swarm with a working overlay: {median:.1f} s (target {TARGET:.0f} s)")
    print(f"ratio ready/target(45 s): {median / TARGET:.2f}")
    print(f"overlay ready: {median:.1f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
