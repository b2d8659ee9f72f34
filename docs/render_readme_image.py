"""Render docs/redblue.png: the red/blue lab after `docker network connect blue ubuntu1`.

Run: .venv/bin/python docs/render_readme_image.py (needs the engine and Debian's chromium).
It builds the lab, draws it, screenshots it headless, and removes the lab again.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from course import Lab, diff, draw, snapshot

HERE = Path(__file__).parent


def main() -> None:
    with Lab("readme-image") as lab:
        lab.network("red")
        lab.network("blue")
        lab.run_many({"ubuntu1": "red", "ubuntu2": "red", "ubuntu3": "blue", "ubuntu4": "blue"})
        before = snapshot(lab)
        lab.connect("ubuntu1", "blue")
        after = snapshot(lab)
        picture = draw(after, diff(before, after), caption="After docker network connect blue ubuntu1")
    with tempfile.TemporaryDirectory() as tmp:
        page = picture.save(Path(tmp) / "redblue.html")
        subprocess.run(
            [
                "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--user-data-dir={tmp}/profile", f"--screenshot={HERE / 'redblue.png'}",
                "--window-size=820,560", "--hide-scrollbars", page.as_uri(),
            ],
            check=True,
            capture_output=True,
        )  # fmt: skip
    print(f"wrote {HERE / 'redblue.png'}")


if __name__ == "__main__":
    main()
