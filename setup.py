"""Packaging: the repository's top-level folders install under the one import name `rai`.

audit/, training/, reports/ and policies/ stay where the design card puts them but install as
rai.audit, rai.training, rai.reports and rai.policies, so nothing generic lands in site-packages.
Subpackages are found per folder (new ones need no edit here); pyproject.toml holds everything else.
"""

from setuptools import find_namespace_packages, setup

FOLDERS = {"rai": "rai", "rai.audit": "audit", "rai.training": "training", "rai.reports": "reports",
           "rai.policies": "policies"}
EXCLUDE = ["*__pycache__*", "*.egg-info*"]


def packages() -> list[str]:
    """Every package of every folder, named under `rai` (namespace folders hold templates and data)."""
    out = []
    for name, folder in FOLDERS.items():
        out.append(name)
        out += [f"{name}.{sub}" for sub in find_namespace_packages(where=folder, exclude=EXCLUDE)
                if f"{name}.{sub}" not in FOLDERS]
    return out


setup(packages=packages(), package_dir=FOLDERS)
