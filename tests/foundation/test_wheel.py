"""The built wheel installs one import name, `rai`, and works without the repository.

Issue 13: PyPI has packages named audit, reports and policies; a wheel that placed ours at the top of
site-packages would break them (or be broken by them).
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = {"rai.audit": "audit", "rai.training": "training", "rai.reports": "reports", "rai.policies": "policies"}


def _packages_in_tree() -> set[str]:
    """Every folder holding Python code, named as it installs (rai/..., rai/audit/...)."""
    out = set()
    for name, folder in {"rai": "rai", **FOLDERS}.items():
        for init in (ROOT / folder).rglob("*.py"):
            rel = init.parent.relative_to(ROOT / folder)
            if "__pycache__" not in rel.parts:
                out.add("/".join([*name.split("."), *rel.parts]))
    return out


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    build = tmp_path_factory.mktemp("build")
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    run = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
                          "-q", "-w", str(out)], cwd=build, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    (whl,) = out.glob("*.whl")
    return whl


@pytest.mark.slow
def test_wheel_holds_only_rai_and_its_metadata(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"rai"}
    dirs = {n.rsplit("/", 1)[0] for n in names if n.endswith(".py")}
    assert _packages_in_tree() <= dirs
    assert "rai/policies/default.yaml" in names
    assert "rai/audit/schema/audit.schema.json" in names


@pytest.mark.slow
def test_wheel_imports_without_the_repository(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = ("import rai, rai.audit, rai.training, rai.reports, rai.policies, rai.core, rai.cli.main\n"
            "print(rai.__file__); print(rai.audit.__file__); print(rai.policies.path('default'))")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONPATH"] = str(site)
    run = subprocess.run([sys.executable, "-s", "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    paths = [Path(p) for p in run.stdout.split()]
    assert all(p.is_relative_to(site) for p in paths), paths
    assert paths[2].is_file()
