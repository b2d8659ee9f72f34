"""How many learners this machine holds: N learners side by side, each with their own engine and a
notebook server, all running notebook 04 under nbval at once.

Run (as root, engine running): .venv/bin/python bench/classroom.py [N ...] (default 1 2 4 8).
For each N: start N learner engines with the lab and node images, N servers (``course/learner``
running JupyterLab as the learner's user, with the limits the hub gives them), measure memory at
rest, then run notebook 04 in all of them at once and report the wall time, the slowest run,
failures and peak memory; then remove them.
Prints ratios against N=1 side by side. Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time

import docker
import requests

from course.classroom import learner_engine
from course.classroom.learner_image import LEARNER_IMAGE, build_learner_image
from course.engines.client import client
from course.parallel import parallel

NBVAL = [
    "pytest",
    "-q",
    "-p",
    "no:cacheprovider",
    "--nbval",
    "--nbval-current-env",
    "--nbval-sanitize-with",
    "sanitize.cfg",
    "04_red_blue_lab.ipynb",
]


def _memory(names: list[str]) -> float:
    """MiB in use by these containers, as the engine reports it (cgroup usage minus page cache)."""
    host, total = client(), 0
    for name in names:
        stats = host.containers.get(name).stats(stream=False)["memory_stats"]
        cache = stats.get("stats", {}).get("inactive_file", stats.get("stats", {}).get("cache", 0))
        total += stats.get("usage", 0) - cache
    return total / 2**20


def one_round(n: int) -> dict[str, float]:
    names = [f"bench-l{i}" for i in range(n)]
    engines = [learner_engine.LearnerEngine(name) for name in names]
    for learner in engines:
        learner.remove()
    start = time.monotonic()
    parallel(lambda learner: (learner.start(), learner.load_images()), engines)
    host, boxes = client(), []
    for learner in engines:
        command = [
            "jupyter",
            "lab",
            "--allow-root",
            "--no-browser",
            "--ip=127.0.0.1",
            "--IdentityProvider.token=x",
        ]
        boxes.append(
            host.containers.run(
                LEARNER_IMAGE,
                command,
                entrypoint=[],
                detach=True,
                name=f"classroom-{learner.learner}-server",
                **learner.server_options(),
            )
        )
    ready = time.monotonic() - start
    time.sleep(15)  # JupyterLab up and idle
    watched = [
        n for learner in engines for n in (learner.container_name, f"classroom-{learner.learner}-server")
    ]
    at_rest = _memory(watched) / n
    peak, done = [0.0], threading.Event()

    def sample() -> None:
        while not done.wait(2):
            # a container going away as the round ends is no peak
            with contextlib.suppress(docker.errors.DockerException, requests.exceptions.RequestException):
                peak[0] = max(peak[0], _memory(watched))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    runs = {}

    def run(box) -> None:
        t = time.monotonic()
        code, out = box.exec_run(
            NBVAL,
            workdir="/opt/course/notebooks",
            environment={"COURSE_SOLUTIONS": "1", "COURSE_PROGRESS": "/tmp/p.json"},
        )
        runs[box.name] = (code, time.monotonic() - t)
        if code != 0:  # which cell gave way, for the report
            failed_lines = [
                line
                for line in out.decode(errors="replace").splitlines()
                if "FAILED" in line or "Error" in line
            ]
            print(f"  {box.name}: " + " | ".join(failed_lines[-3:]), flush=True)

    t = time.monotonic()
    threads = [threading.Thread(target=run, args=(box,)) for box in boxes]  # all at once, no pool limit
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - t
    done.set()
    for learner in engines:
        learner.remove()
    failed = sum(code != 0 for code, _ in runs.values())
    return {
        "ready": ready,
        "rest MiB": at_rest,
        "wall": wall,
        "slowest": max(s for _, s in runs.values()),
        "failed": failed,
        "peak MiB": peak[0],
    }


def main(sizes: list[int]) -> None:
    build_learner_image()
    print(
        f"{'learners':>8} {'ready s':>8} {'MiB/learner at rest':>20} {'nb04 wall s':>12} {'slowest s':>10} "
        f"{'failed':>7} {'peak MiB':>9} {'wall / N=1':>10}"
    )
    base = None
    for n in sizes:
        r = one_round(n)
        base = base or r["wall"]
        print(
            f"{n:>8} {r['ready']:>8.0f} {r['rest MiB']:>20.0f} {r['wall']:>12.0f} {r['slowest']:>10.0f} "
            f"{r['failed']:>7} {r['peak MiB']:>9.0f} {r['wall'] / base:>10.2f}",
            flush=True,
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1, 2, 4, 8])
