"""The README's example runs and prints what its comments say."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = (Path(__file__).parents[1] / "README.md").read_text()


def test_readme_example_prints_what_it_claims(tmp_path, monkeypatch):
    code = re.search(r"```python\n(.*?)```", README, re.DOTALL).group(1)
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})  # noqa: S102 - running the README is the test
    claimed = [line.split("# ", 1)[1] for line in code.splitlines() if line.startswith("print(")]
    assert out.getvalue().splitlines() == claimed
    assert (tmp_path / "burger.sqlite").exists()


def test_readme_has_exactly_two_setup_commands():
    commands = re.findall(r"```bash\n(.*?)\n```", README, re.DOTALL)
    assert len(commands) == 2
    assert commands[1].endswith("pytest") and "layernas search" in commands[0]
