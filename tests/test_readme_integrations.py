"""The README's Optuna and Ray Tune examples run (after its main example, whose names they use)
and print what their comments say."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

README = (Path(__file__).parents[1] / "README.md").read_text()
SECTION = README.split("## Already using Optuna or Ray Tune?", 1)[1].split("\n## ", 1)[0]
MAIN, OPTUNA, RAY = (re.search(r"```python\n(.*?)```", README, re.DOTALL).group(1),
                     *re.findall(r"```python\n(.*?)```", SECTION, re.DOTALL))


def run(code: str, names: dict) -> list[str]:
    """Run ``code`` in ``names``; the printed lines, and the lines its comments claim."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), names)  # noqa: S102 - the README is the test
    claimed = [line.split("# ", 1)[1] for line in code.splitlines() if line.startswith("print(")]
    return out.getvalue().splitlines(), claimed


@pytest.fixture
def example(tmp_path, monkeypatch) -> dict:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))  # Ray Tune writes ~/ray_results
    names: dict = {}
    run(MAIN, names)
    return names


@pytest.mark.optuna
def test_the_optuna_example_prints_what_it_claims(example, tmp_path):
    printed, claimed = run(OPTUNA, example)
    assert printed == claimed
    assert (tmp_path / "burger-optuna.db").exists()
    printed, _ = run(OPTUNA, example)  # run again: the study resumes and has nothing left
    assert printed == claimed


@pytest.mark.ray
@pytest.mark.slow
def test_the_ray_tune_example_prints_what_it_claims(example, ray_session):
    printed, claimed = run(RAY, example)
    assert claimed and all(line in printed for line in claimed)  # Tune prints its tables too
