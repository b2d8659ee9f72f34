"""The three wings of course/ (course/README.md), read from the source with ``ast``: who may import whom.

- the lesson API, in course/ itself, never imports the classroom;
- the engine plumbing, course/engines/, imports only itself and the shared foundations;
- the classroom, course/classroom/, may import both; the ``course`` command (course/cli.py) imports all
  three, since it dispatches to each;
- no cycle among the imports a module runs when it is first imported;
- the display libraries (ipywidgets, pyvis) are imported on import only by the two display modules, and
  those only by each other, so the command, the plumbing and the classroom never load them.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOUNDATIONS = {"errors", "i18n", "waiting", "process", "table", "names", "parallel"}
DISPLAY_LIBRARIES = {"ipywidgets", "pyvis"}
DISPLAY_MODULES = {"course.widgets", "course.diagram"}
COMMAND = "course.cli"


def _modules(root: Path) -> dict[str, tuple[ast.Module, str]]:
    """``{dotted name: (parsed source, the package its relative imports start from)}`` of every module
    of the ``course`` package under ``root``."""
    found = {}
    for path in sorted((root / "course").rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        package = name if parts[-1] == "__init__" else name.rpartition(".")[0]
        found[name] = (ast.parse(path.read_text(), str(path)), package)
    return found


def _is_type_checking(node: ast.stmt) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def _on_import(body: list[ast.stmt]) -> list[ast.stmt]:
    """The statements that run when a module is first imported: none inside a function, nor under
    ``if TYPE_CHECKING:``; a class body, an ``if``, a ``try`` and a ``with`` do run."""
    found = []
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if _is_type_checking(node):
            found += _on_import(node.orelse)
            continue
        found.append(node)
        for field in ("body", "orelse", "finalbody"):
            found += _on_import(getattr(node, field, None) or [])
        for handler in getattr(node, "handlers", None) or []:
            found += _on_import(handler.body)
    return found


def _imports(tree: ast.Module, package: str, known: set[str], on_import: bool = False) -> set[str]:
    """What a module imports: course modules by their dotted names, anything else by its top-level name.

    ``from . import x`` names the module ``x`` when there is one, else the package (``x`` is defined in
    its ``__init__``). ``on_import``: only the imports that run when the module is first imported.
    """
    found = set()
    for node in _on_import(tree.body) if on_import else ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name if _in(a.name, "course") else a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            if node.level == 0:
                base = node.module or ""
            elif node.module:
                base = f"{base}.{node.module}"
            if not _in(base, "course"):
                found.add(base.split(".")[0])
                continue
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return found


def _in(name: str, package: str) -> bool:
    return name == package or name.startswith(f"{package}.")


def _violations(root: Path) -> list[str]:
    """Every import that breaks a rule of the module docstring, as ``module -> imported: why``."""
    modules = _modules(root)
    known = set(modules)
    foundations = {f"course.{f}" for f in FOUNDATIONS}
    found = []
    for name, (tree, package) in modules.items():
        for imported in sorted(_imports(tree, package, known)):
            if _in(imported, "course.classroom") and not _in(name, "course.classroom") and name != COMMAND:
                found.append(f"{name} -> {imported}: only the classroom and the command import the classroom")
            plumbing = _in(imported, "course.engines") or imported in foundations
            if _in(name, "course.engines") and _in(imported, "course") and not plumbing:
                found.append(f"{name} -> {imported}: the plumbing imports only itself and the foundations")
        for imported in sorted(_imports(tree, package, known, on_import=True)):
            if imported in DISPLAY_LIBRARIES and name not in DISPLAY_MODULES:
                found.append(
                    f"{name} -> {imported}: a display library imported on import, outside the display"
                )
            if imported in DISPLAY_MODULES and name not in DISPLAY_MODULES:
                found.append(
                    f"{name} -> {imported}: a display module imported on import (import it when used)"
                )
    return found + _cycles(modules)


def _cycles(modules: dict[str, tuple[ast.Module, str]]) -> list[str]:
    """An import cycle among the imports modules run on import, as ``a -> b -> a``, if there is one.

    A package's ``__init__`` runs before any of its modules; that edge is left out, since Python has the
    package in ``sys.modules`` by then (and course/__init__ imports the lesson API, which imports it back).
    """
    known = set(modules)
    graph = {
        name: sorted(_imports(*parsed, known, on_import=True) & known) for name, parsed in modules.items()
    }
    state: dict[str, str] = {}  # "open" while its imports are being followed, then "done"
    path: list[str] = []

    def follow(name: str) -> list[str]:
        state[name] = "open"
        path.append(name)
        for imported in graph[name]:
            if state.get(imported) == "open":
                return [*path[path.index(imported) :], imported]
            if imported not in state and (cycle := follow(imported)):
                return cycle
        path.pop()
        state[name] = "done"
        return []

    for name in sorted(graph):
        if name not in state and (cycle := follow(name)):
            return ["import cycle: " + " -> ".join(cycle)]
    return []


def test_each_wing_imports_only_what_it_may():
    modules = _modules(ROOT)
    assert {"course.cli", "course.lab", "course.engines.client", "course.classroom.hub"} <= modules.keys()
    found = _violations(ROOT)
    assert not found, "course/README.md says who may import whom:\n" + "\n".join(found)


def test_every_package_under_course_is_in_the_wheel():
    """A subpackage missing from pyproject.toml's list works in a checkout and is absent from the wheel
    (and so from the learner image, which installs the course from one)."""
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "course").rglob("__init__.py")}
    assert found == listed


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    return tmp_path


def test_the_checks_can_fail(tmp_path):
    """A made-up package with one of each mistake, and the ways of importing that break no rule."""
    late = "def later():\n    from {} import {}\n"
    root = _tree(
        tmp_path,
        {
            "course/__init__.py": "import typing\nif typing.TYPE_CHECKING:\n    from . import widgets\n",
            "course/errors.py": "",
            "course/cli.py": "from .classroom import hub\n",
            "course/lab.py": "from .engines.client import client\n" + late.format(".classroom", "hub"),
            "course/busy.py": "import ipywidgets\n",
            "course/cluster.py": "from . import busy, widgets\n" + late.format(".", "diagram"),
            "course/diagram.py": "import pyvis\n",
            "course/widgets.py": "import ipywidgets as w\nfrom .diagram import draw\nfrom .lab import Lab\n",
            "course/engines/__init__.py": "",
            "course/engines/client.py": "from ..errors import CourseError\n" + late.format("..", "lab"),
            "course/engines/images.py": "from . import client\nfrom ..cluster import Cluster\n",
            "course/classroom/__init__.py": "",
            "course/classroom/hub.py": "from ..engines import client\nfrom .. import lab\n",
            "course/cycle_a.py": "from . import cycle_b\n",
            "course/cycle_b.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import cycle_a\n"
                + late.format(".", "cycle_a")
                + "class Later:\n    from . import cycle_c\n"
            ),
            "course/cycle_c.py": "try:\n    from .cycle_a import x\nexcept ImportError:\n    pass\n",
        },
    )
    assert _violations(root) == [
        "course.busy -> ipywidgets: a display library imported on import, outside the display",
        "course.cluster -> course.widgets: a display module imported on import (import it when used)",
        "course.engines.client -> course.lab: the plumbing imports only itself and the foundations",
        "course.engines.images -> course.cluster: the plumbing imports only itself and the foundations",
        "course.lab -> course.classroom.hub: only the classroom and the command import the classroom",
        "import cycle: course.cycle_a -> course.cycle_b -> course.cycle_c -> course.cycle_a",
    ]
