"""environment.yml (conda) and pyproject.toml (pip) ask for the same packages."""

import json
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"docker-py": "docker"}  # conda-forge name -> PyPI name


def _split(spec: str) -> tuple[str, str]:
    name, version = re.match(r"([A-Za-z0-9_.-]+)\s*(.*)", spec).groups()
    return CONDA_NAMES.get(name, name).lower(), version.replace(" ", "")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    # "dockernet-course[docs]" in an extra means that extra's packages too
    specs = [
        spec
        for entry in project["dependencies"] + extras["test"]
        for spec in (
            [s for extra in entry.split("[")[1][:-1].split(",") for s in extras[extra]]
            if entry.startswith(project["name"])
            else [entry]
        )
    ]
    wanted = dict(map(_split, specs))
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    got = dict(map(_split, conda))
    assert got.pop("python") == project["requires-python"]
    got.pop("pip")
    assert got == wanted
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip_section  # the course package itself comes from this checkout


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"```(?:sh|bash)?\n(.*?)```", readme, re.S)
    test_command = next(c.strip() for c in commands if c.strip() == "make test")
    assert test_command in (ROOT / ".ci" / "run").read_text().splitlines()


def test_notebooks_name_the_kernel_jupyterlab_runs():
    """JupyterLab rewrites a kernelspec that differs from the running kernel's, and so marks a notebook
    modified the moment it opens: the committed one must be the installed ipykernel's, word for word."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec("python3")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        kernelspec = json.loads(path.read_text())["metadata"]["kernelspec"]
        assert kernelspec == {
            "display_name": spec.display_name,
            "language": spec.language,
            "name": "python3",
        }, path.name
