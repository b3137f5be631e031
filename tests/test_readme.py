"""The README's example runs and prints what its comments say."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import layernas as ln

README = (Path(__file__).parents[1] / "README.md").read_text()
# the Optuna and Ray Tune examples need those extras: test_readme_integrations.py runs them
_BEFORE, _SECTION = README.split("## Already using Optuna or Ray Tune?", 1)
CORE = _BEFORE + "\n## " + _SECTION.split("\n## ", 1)[1]


def test_readme_examples_print_what_they_claim(tmp_path, monkeypatch):
    """The Python blocks, in order and sharing names (the strategy example uses the first's)."""
    blocks = [block for block in re.findall(r"```python\n(.*?)```", CORE, re.DOTALL)
              if "torch.jit.load" not in block]  # loading the winner: test_torch_main_job.py
    assert len(blocks) == 2
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    names: dict = {}
    try:
        with contextlib.redirect_stdout(out):
            for code in blocks:
                exec(compile(code, "README.md", "exec"), names)  # noqa: S102 - running the README
    finally:
        ln.strategies.STRATEGIES.pop("hill-climb", None)
    claimed = [line.split("# ", 1)[1] for code in blocks for line in code.splitlines()
               if line.startswith("print(")]
    assert out.getvalue().splitlines() == claimed
    assert (tmp_path / "burger.sqlite").exists()


def test_readme_has_exactly_two_setup_commands():
    commands = re.findall(r"```bash\n(.*?)\n```", README, re.DOTALL)
    assert len(commands) == 2
    assert commands[1].endswith("pytest") and "layernas search" in commands[0]
