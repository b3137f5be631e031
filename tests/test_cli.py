"""The command line: search from a TOML config, show a journal, clear errors."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from layernas.cli import main

BURGER = """
[space]
layers = [
  {{ name = "bun", options = ["lettuce wrap", "plain bun", "sesame bun", "brioche"] }},
  {{ name = "patty", options = ["veggie", "chicken", "beef", "wagyu"], default = "veggie" }},
  {{ name = "topping", options = ["no topping", "cheese", "bacon", "avocado"], default = "no topping" }},
]

[search]
cost = "burger:price"
reward = "burger:taste"
cost_range = [7, 9]
journal = "{journal}"

[strategy]
name = "layernas"
buckets = 4
"""

EXAMPLES = Path(__file__).parents[1] / "examples"


def write_config(tmp_path, text):
    (tmp_path / "burger.py").write_text((EXAMPLES / "burger.py").read_text())
    path = tmp_path / "burger.toml"
    path.write_text(text)
    return path


def test_search_then_show(tmp_path):
    config = write_config(tmp_path, BURGER.format(journal="burger.sqlite"))
    result = CliRunner().invoke(main, ["search", str(config), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "bound 36" in result.output
    assert "bun = 'brioche'" in result.output and "topping = 'bacon'" in result.output
    shown = CliRunner().invoke(main, ["show", str(tmp_path / "burger.sqlite"), "--limit", "0"])
    assert shown.exit_code == 0, shown.output
    assert "best in range: #" in shown.output and "[\"brioche\", \"beef\", \"bacon\"]" in shown.output
    assert "memorial tables" in shown.output and shown.output.count("patty") >= 1
    # the same command again resumes from the journal: nothing is trained twice
    again = CliRunner().invoke(main, ["search", str(config), "--no-progress"])
    assert again.exit_code == 0 and again.output.splitlines()[0] == result.output.splitlines()[0]


def test_bad_config_errors(tmp_path):
    config = write_config(tmp_path, BURGER.format(journal="j.sqlite").replace("buckets = 4", "buckets = 0"))
    out = CliRunner().invoke(main, ["search", str(config)])
    assert out.exit_code != 0 and "LayerNAS buckets must be an integer >= 1" in out.output
    config.write_text(BURGER.format(journal="j.sqlite").replace('"burger:taste"', '"burger:nope"'))
    out = CliRunner().invoke(main, ["search", str(config)])
    assert "module 'burger' has no attribute 'nope'" in out.output
    config.write_text(BURGER.format(journal="j.sqlite").replace("[search]", "[search]\nbudjet = 3"))
    out = CliRunner().invoke(main, ["search", str(config)])
    assert "search.budjet: Extra inputs are not permitted" in out.output
    out = CliRunner().invoke(main, ["show", str(tmp_path / "missing.sqlite")])
    assert out.exit_code != 0 and "does not exist" in out.output


def test_help_for_every_command():
    for args in (["--help"], ["search", "--help"], ["show", "--help"]):
        out = CliRunner().invoke(main, args)
        assert out.exit_code == 0 and "Usage:" in out.output
