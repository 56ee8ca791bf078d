"""The direction of imports, checked on the source (no import is executed).

The top-level packages stack: ``signalr_protocol`` (the protocol core) imports nothing of this
project; ``simulator`` and ``client`` import only the core; ``harness`` may use all three.

Inside ``harness`` the parts stack too, and their users sit on top and never import each other:

    errors  <  infra  <  faults  <  run  <  clients  <  chaos  <  soak | load | explore | incident | demo

so a soak, a load run and an exploration share the parts without reaching into one another;
``chaos`` (one scenario run, ``ChaosRun``) is the top part: the catalogue, explore and incident
scenarios are all scenario runs.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PACKAGES = {"signalr_protocol": 0, "simulator": 1, "client": 1, "harness": 2}
PARTS = {"errors": 0, "infra": 1, "capture": 1, "faults": 2, "run": 3, "clients": 4, "chaos": 5}
USERS = {"soak", "load", "explore", "incident", "demo"}
USER_LAYER = 6


def _module(path: Path, root: Path) -> tuple[str, bool]:
    parts = list(path.relative_to(root).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts), is_package


def _imports(path: Path, root: Path) -> list[tuple[int, str]]:
    """Every project module ``path`` imports (line, absolute dotted name), relative ones resolved."""
    module, is_package = _module(path, root)
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            # "from . import runner" names a module; "from .x import Name" the module x
            found += [(node.lineno, f"{source}.{alias.name}") for alias in node.names]
    return [(line, name) for line, name in found if name.split(".")[0] in PACKAGES]


def _harness_part(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "harness" else None


def _layer(part: str | None) -> int | None:
    if part in PARTS:
        return PARTS[part]
    return USER_LAYER if part in USERS else None


def violations(root: Path) -> list[str]:
    """Each import against the direction, as ``path:line: importer -> imported (why)``."""
    problems: list[str] = []
    for package, level in PACKAGES.items():
        for path in sorted((root / package).rglob("*.py")):
            if "drivers" in path.relative_to(root).parts:
                continue  # scripts run by other interpreters: they import by sys.path, not by package
            importer = _harness_part(_module(path, root)[0])
            for line, name in _imports(path, root):
                where = f"{path.relative_to(root)}:{line}: imports {name}"
                target_package = name.split(".")[0]
                if PACKAGES[target_package] > level:
                    problems.append(f"{where} ({package} is below {target_package})")
                    continue
                if package != "harness" or target_package != "harness":
                    continue
                imported = _harness_part(name)
                if imported is None or importer is None or imported == importer:
                    continue
                mine, theirs = _layer(importer), _layer(imported)
                if mine is None or theirs is None:
                    problems.append(
                        f"{where} (harness/{importer or imported} is in no layer: add it to PARTS/USERS)"
                    )
                elif importer in USERS and imported in USERS:
                    problems.append(
                        f"{where} (users never import each other: move what they share to a part)"
                    )
                elif theirs > mine:
                    problems.append(f"{where} (harness/{importer} is below harness/{imported})")
    return problems


def test_imports_go_one_way() -> None:
    assert violations(ROOT) == []


def test_every_harness_folder_is_a_part_or_a_user() -> None:
    folders = {p.name for p in (ROOT / "harness").iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    modules = {p.stem for p in (ROOT / "harness").glob("*.py") if p.stem != "__init__"}
    assert folders | modules <= set(PARTS) | USERS


def test_a_forbidden_import_is_caught(tmp_path: Path) -> None:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    planted = {
        "harness/infra/processes.py": "from ..soak import runner\n",  # a part importing a user
        "harness/soak/runner.py": "from ..load.feed import login\n",  # a user importing a user
        "harness/faults/partition.py": "from harness.run.history import RunHistory\n",  # a part above
        "simulator/server.py": "import harness.errors\n",  # the simulator importing the harness
    }
    for path, line in planted.items():
        with (tmp_path / path).open("a") as out:
            out.write(line)
    found = violations(tmp_path)
    for path in planted:
        assert any(problem.startswith(path) for problem in found), (path, found)
    assert len(found) == len(planted)
