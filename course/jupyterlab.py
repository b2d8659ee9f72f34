"""JupyterLab for the course, in the learner's language: what ``make course`` opens.

The Korean course is ``notebooks/ko/``, and JupyterLab's own menus are then in Korean too (the
``jupyterlab-language-pack-ko-KR`` package). Both are the defaults of that one run: the settings come
from a folder of this environment's own (``<venv>/share/jupyter/lab/course-settings/<lang>/``, given to
JupyterLab as its application settings), never from the learner's own JupyterLab settings, which still
win wherever the learner set something.

    python -m course.jupyterlab [JUPYTER LAB OPTIONS...]

The language is :func:`course.i18n.language`'s: ``LANGUAGE=ko make course`` (or ``make course
LANGUAGE=ko``), or a Korean locale (``LANG=ko_KR.UTF-8``).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from .i18n import folder, language

# JupyterLab's locale for each language of the course
LOCALES = {"en": "en", "ko": "ko_KR"}


def overrides(lang: str) -> dict:
    """The settings JupyterLab starts with: the interface's language, and no news from the internet (no
    "get notified about official Jupyter news?" prompt over the first notebook)."""
    return {
        "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
        "@jupyterlab/translation-extension:plugin": {"locale": LOCALES[lang]},
    }


def settings_dir(lang: str, prefix: Path | None = None) -> Path:
    """The application settings folder for ``lang``, its ``overrides.json`` written afresh."""
    folder = Path(prefix or sys.prefix) / "share" / "jupyter" / "lab" / "course-settings" / lang
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "overrides.json").write_text(json.dumps(overrides(lang), indent=1) + "\n")
    return folder


def first_notebook(notebooks: Path, lang: str) -> Path:
    """The notebook a learner starts on in ``lang``."""
    return notebooks / folder(lang) / "00_setup.ipynb"


def argv(notebooks: Path, lang: str, extra: list[str]) -> list[str]:
    """The ``jupyter lab`` command line that opens the course in ``lang``."""
    return [
        "jupyter",
        "lab",
        f"--LabApp.app_settings_dir={settings_dir(lang)}",
        *extra,
        str(first_notebook(notebooks, lang)),
    ]


def main(extra: list[str] | None = None) -> None:
    notebooks = Path(__file__).resolve().parents[1] / "notebooks"
    command = argv(notebooks, language(), sys.argv[1:] if extra is None else extra)
    os.execvp(str(Path(sys.executable).parent / "jupyter"), command)


if __name__ == "__main__":
    main()
