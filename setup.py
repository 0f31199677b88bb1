"""The wheel's package list, found on disk (everything else is in pyproject.toml).

`rules/` and `schemas/` ship inside the wheel as `auditor.rules` and `auditor.schemas`, so nothing
installs as a global `rules` or `schemas` module. setuptools' `packages.find` in pyproject.toml
cannot discover packages under such mapped folders (it names them `rules.timing`, not
`auditor.rules.timing`), so each folder's packages are found here, under their installed names:
a new rule category is packaged without editing a list. tests/test_packaging.py checks the wheel.
"""

from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).resolve().parent

#: installed package name -> source folder
PACKAGE_ROOTS = {"auditor": "auditor", "auditor.rules": "rules", "auditor.schemas": "schemas"}


def packages_under(name: str, folder: str) -> list[str]:
    return [name, *(f"{name}.{sub}" for sub in find_packages(HERE / folder))]


setup(
    packages=sorted(
        p for name, folder in PACKAGE_ROOTS.items() for p in packages_under(name, folder)
    ),
    package_dir={name: folder for name, folder in PACKAGE_ROOTS.items() if name != folder},
)
