"""Dependencies a user can live with: ranges in pyproject.toml, exact pins only for CI."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
CONSTRAINTS = ROOT / ".ci" / "constraints.txt"


def requirements() -> list[Requirement]:
    """Every third-party requirement of the project and its extras (not the self-references)."""
    listed = [*PROJECT["dependencies"],
              *(r for extra in PROJECT["optional-dependencies"].values() for r in extra)]
    return [req for req in map(Requirement, listed) if req.name != PROJECT["name"]]


def pins() -> dict[str, str]:
    lines = [line.split("#")[0].strip() for line in CONSTRAINTS.read_text().splitlines()]
    found = {}
    for line in filter(None, lines):
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([0-9][0-9A-Za-z.]*)", line)
        assert match, f"{CONSTRAINTS}: {line!r} is not NAME==VERSION"
        found[canonicalize_name(match.group(1))] = match.group(2)
    return found


def test_requirements_are_ranges_not_pins() -> None:
    for req in requirements():
        operators = {spec.operator for spec in req.specifier}
        assert operators == {">="}, f"{req}: give a lower bound (>=), not {operators or 'nothing'}"


def test_ci_pins_every_extra_within_its_range() -> None:
    pinned = pins()
    for req in requirements():
        name = canonicalize_name(req.name)
        if req.marker is not None and not req.marker.evaluate():
            continue  # e.g. tomli on Python >= 3.11
        assert name in pinned, f"{req.name} is not pinned in {CONSTRAINTS}"
        assert req.specifier.contains(pinned[name]), f"{name}=={pinned[name]} is outside {req}"
    assert set(pinned) <= {canonicalize_name(req.name) for req in requirements()}


def test_ci_installs_with_the_constraints_and_runs_the_readme_command() -> None:
    run = (ROOT / ".ci" / "run").read_text()
    assert 'export PIP_CONSTRAINT="$PWD/.ci/constraints.txt"' in run
    assert run.index("PIP_CONSTRAINT") < run.index('pip install -q -e ".[test]"')
    readme = (ROOT / "README.md").read_text()
    test_command = re.findall(r"```bash\n(.*?)\n```", readme, re.DOTALL)[1]
    assert test_command.endswith('pip install -e ".[test]" && pytest')
    assert run.rstrip().endswith('pip install -q -e ".[test]" && pytest')
