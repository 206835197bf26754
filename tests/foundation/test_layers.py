"""The layer contract (pyproject.toml, checked by lint-imports in .ci/run), as far as a test can see it
without installing: core imports nothing above it, and every known exception names its target exactly."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _imported(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module)
    return out


def test_core_imports_nothing_else_of_the_project():
    upward = {f"{p.relative_to(ROOT)}: {m}" for p in (ROOT / "rai" / "core").rglob("*.py")
              for m in _imported(p) if m == "rai" or (m.startswith("rai.") and not m.startswith("rai.core"))}
    assert not upward


def test_known_exceptions_name_their_targets_exactly():
    """A wildcard target (`-> rai.training.**`) would hide any new upward import behind an old one."""
    tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from Python 3.11")
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]
    ignores = [i for c in contracts for i in c.get("ignore_imports", [])]
    assert ignores and all("*" not in i.split("->")[1] for i in ignores)
