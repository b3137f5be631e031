"""The command line: search from a TOML config, show a journal, clear errors."""

from __future__ import annotations

import sqlite3

from click.testing import CliRunner

from layernas.cli import main


def trial_rows(journal):
    with sqlite3.connect(journal) as db:
        return db.execute(
            "SELECT number, arch, cost, reward, status, attempts, started, finished FROM trials "
            "ORDER BY number"
        ).fetchall()


def test_search_then_show(burger_config, tmp_path):
    config = burger_config()
    result = CliRunner().invoke(main, ["search", str(config), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "bound 36" in result.output
    assert "bun = 'brioche'" in result.output and "topping = 'bacon'" in result.output
    journal = tmp_path / "burger.sqlite"
    shown = CliRunner().invoke(main, ["show", str(journal), "--limit", "0"])
    assert shown.exit_code == 0, shown.output
    assert "best in range: #" in shown.output
    assert "  bun=brioche, patty=beef, topping=bacon" in shown.output
    assert "memorial tables" in shown.output and shown.output.count("patty") >= 1
    # the same command again resumes from the journal: nothing is trained twice
    rows = trial_rows(journal)
    assert len(rows) > 4
    again = CliRunner().invoke(main, ["search", str(config), "--no-progress"])
    assert again.exit_code == 0, again.output
    assert trial_rows(journal) == rows, "a resumed search wrote (trained) a trial again"
    trained = result.output.split()[1]
    assert f"trained {trained} (0 now, {trained} from the journal)" in again.output
    assert again.output.splitlines()[1:] == result.output.splitlines()[1:]


def test_bad_config_errors(burger_config, tmp_path):
    config = burger_config(replace={"buckets = 4": "buckets = 0"})
    out = CliRunner().invoke(main, ["search", str(config)])
    assert out.exit_code != 0 and "LayerNAS buckets must be an integer >= 1" in out.output
    config = burger_config(replace={"buckets = 4": "bukets = 4"})
    out = CliRunner().invoke(main, ["search", str(config)])
    assert out.exit_code != 0 and "has no option 'bukets'; did you mean 'buckets'? its options " \
        "are: buckets, keep, order" in out.output
    config = burger_config(replace={'"burger:taste"': '"burger:nope"'})
    out = CliRunner().invoke(main, ["search", str(config)])
    assert "module 'burger' has no attribute 'nope'" in out.output
    config = burger_config(replace={"[search]": "[search]\nbudjet = 3"})
    out = CliRunner().invoke(main, ["search", str(config)])
    assert "search.budjet: Extra inputs are not permitted" in out.output
    out = CliRunner().invoke(main, ["show", str(tmp_path / "missing.sqlite")])
    assert out.exit_code != 0 and "does not exist" in out.output


def test_help_for_every_command():
    for args in (["--help"], ["search", "--help"], ["show", "--help"]):
        out = CliRunner().invoke(main, args)
        assert out.exit_code == 0 and "Usage:" in out.output
