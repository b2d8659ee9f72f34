"""environment.yml (conda) and pyproject.toml (pip) ask for the same packages, and pyproject.toml asks
for every package the code imports."""

import ast
import json
import re
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, metadata, packages_distributions, version
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from course.commands import is_command

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


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared(project: dict, extra: str | None) -> set[str]:
    """The distributions an install with ``extra`` (None: the plain install) asks for: the dependencies,
    the extra's, and those of the extras it names through the project ("dockernet-course[classroom,docs]")."""
    specs, todo, seen = list(project["dependencies"]), [extra] if extra else [], set()
    while todo:
        group = todo.pop()
        if group in seen:
            continue
        seen.add(group)
        for spec in project["optional-dependencies"][group]:
            name, rest = re.match(r"([A-Za-z0-9_.-]+)(.*)", spec).groups()
            if _canonical(name) == _canonical(project["name"]):
                todo += [e.strip() for e in re.match(r"\[(.*?)\]", rest).group(1).split(",")]
            else:
                specs.append(spec)
    return {_canonical(re.match(r"[A-Za-z0-9_.-]+", spec).group()) for spec in specs}


def _sources(path: Path) -> list[str]:
    """The Python in a file: a module, or a notebook's code cells without their magics, shell lines and
    docker command lines, ``NAME=$(docker ...)`` among them (a ``%%solution`` cell's other lines are
    Python; a ``%%docker`` cell has none)."""
    if path.suffix == ".py":
        return [path.read_text()]
    cells = json.loads(path.read_text())["cells"]
    return [
        "\n".join(
            "" if line.lstrip().startswith(("%", "!")) or is_command(line) else line
            for line in "".join(c["source"]).splitlines()
        )
        for c in cells
        if c["cell_type"] == "code" and not "".join(c["source"]).startswith("%%docker")
    ]


def _imports(path: Path) -> set[str]:
    """The top-level names of the modules ``path`` imports, neither the standard library's nor
    modules beside it (``from browsing import ...`` in tests/browser, ``from vendor import ...`` in docs)."""
    found = set()
    for source in _sources(path):
        for node in ast.walk(ast.parse(source, str(path))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {
        name
        for name in found
        if name not in sys.stdlib_module_names
        and not (path.parent / f"{name}.py").exists()
        and not (path.parent / name / "__init__.py").exists()
    }


# Where each file runs, so which install must bring what it imports: the course itself and the notebooks
# the plain one; the classroom hub's module the classroom extra; the site's build the docs extra; tests,
# benchmarks and the scripts beside them the test extra (which includes the other two).
WHERE = [
    ("course/classroom/hub.py", "classroom"),
    ("course/classroom/instructor.py", "classroom"),
    ("course/**/*.py", None),
    ("notebooks/*.ipynb", None),
    ("docs/**/*.py", "docs"),
    ("tests/**/*.py", "test"),
    ("bench/**/*.py", "test"),
    ("conftest.py", "test"),
]


def test_every_third_party_import_is_declared():
    """An import that works only because some other package happens to pull its distribution in breaks
    the day that package stops doing so: each must be asked for by the install its code runs with."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project, own = pyproject["project"], set(pyproject["tool"]["setuptools"]["packages"])
    owners = packages_distributions()
    done, missing = set(), []
    for pattern, extra in WHERE:
        declared = _declared(project, extra)
        for path in sorted(ROOT.glob(pattern)):
            if path in done or ".ipynb_checkpoints" in path.parts:
                continue
            done.add(path)
            for name in sorted(_imports(path) - own):
                dists = sorted({_canonical(d) for d in owners.get(name, [])})
                if not set(dists) & declared:
                    group = f"the {extra} extra" if extra else "dependencies"
                    owner = ", ".join(dists) or "not installed"
                    missing.append(f"{path.relative_to(ROOT)}: {name} ({owner}), not in {group}")
    assert len(done) > 40, "the sources were not found"
    assert not missing, "imports pyproject.toml does not ask for:\n" + "\n".join(missing)


def _locked() -> dict[str, str]:
    lines = (ROOT / "constraints.txt").read_text().splitlines()
    return dict(
        (_canonical(name), pinned)
        for name, pinned in (line.split("==") for line in lines if line and not line.startswith("#"))
    )


def test_constraints_pin_every_requirement_within_its_range():
    """`make` installs with -c constraints.txt: a requirement added or moved in pyproject.toml without
    `make lock` would come unpinned, or not at all."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    locked = _locked()
    specs = project["dependencies"] + [
        s for extra in project["optional-dependencies"].values() for s in extra
    ]
    for req in map(Requirement, specs):
        if _canonical(req.name) != _canonical(project["name"]):
            assert _canonical(req.name) in locked, f"{req.name} is not in constraints.txt: run make lock"
            assert req.specifier.contains(locked[_canonical(req.name)]), (
                f"constraints.txt pins {req.name}=={locked[_canonical(req.name)]}, outside {req.specifier}"
            )


# Debian 12's Python, the oldest the course installs with (`make` on Debian 12, and the learner image).
OLDEST_PYTHON = "3.11.2"


def test_constraints_fit_the_oldest_python():
    """A lock made with a newer Python may pin releases that refuse Debian 12's (soupsieve 4 needs
    3.11.5): `make` there, and the learner image, could not install it. Checked on the pins this
    environment holds (all of them when it was installed as `make` does, with -c constraints.txt)."""
    refused, checked = [], 0
    for name, pinned in _locked().items():
        try:
            if version(name) != pinned:
                continue
        except PackageNotFoundError:
            continue
        checked += 1
        needs = metadata(name).get("Requires-Python")
        if needs and OLDEST_PYTHON not in SpecifierSet(needs):
            refused.append(f"{name}=={pinned} needs Python {needs}")
    assert checked, "no pin of constraints.txt installed here"
    fix = "make lock, with Debian 12's python3 (LOCK_PYTHON=/usr/bin/python3)"
    assert not refused, f"pins that refuse Python {OLDEST_PYTHON} ({fix}):\n" + "\n".join(refused)
