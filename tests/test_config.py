"""Search configs: overrides merged by the config layer, export, and one-line errors that name
the file and say what to do."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

import layernas as ln
from layernas.cli import main
from layernas.config import load_config


def fails(config, *args):
    """The CLI's error for ``config``: exactly one line, and no training started."""
    out = CliRunner().invoke(main, ["search", str(config), "--no-progress", *args])
    assert out.exit_code == 1, out.output
    lines = out.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), out.output
    return lines[0]


def test_overrides_replace_the_files_settings_and_are_checked(burger_config, tmp_path,
                                                              monkeypatch):
    cfg = load_config(burger_config())
    assert (cfg.search.budget, cfg.search.seed, cfg.journal) == (None, 0, tmp_path / "burger.sqlite")
    monkeypatch.chdir(tmp_path.parent)
    changed = cfg.with_overrides(budget=5, seed=None, journal="elsewhere.sqlite", cpus_per_trial=2)
    assert (changed.search.budget, changed.search.seed) == (5, 0)
    assert changed.journal == tmp_path.parent / "elsewhere.sqlite"  # relative to the cwd
    assert changed.search.resources == {"num_cpus": 2}
    assert cfg.search.budget is None, "the loaded config is not changed"
    with pytest.raises(ln.LayerNASError, match=r"burger.toml: budget: Input should be greater "
                                               r"than or equal to 1 \(got 0\)"):
        cfg.with_overrides(budget=0)


def test_the_search_runs_from_the_config_and_exports_the_winner(burger_config, tmp_path):
    config = burger_config()
    out = CliRunner().invoke(main, ["search", str(config), "--no-progress", "--budget", "6",
                                    "--out", str(tmp_path / "winner")])
    assert out.exit_code == 0, out.output
    assert "trained 6 (bound 36)" in out.output and "budget reached" in out.output
    exported = json.loads((tmp_path / "winner" / "arch.json").read_text())
    assert set(exported["arch"]) == {"bun", "patty", "topping"}
    assert 7 <= exported["cost"] <= 9
    cfg = load_config(config)
    assert cfg.export(ln.Trial(0, ("brioche", "beef", "bacon"), 9.0, 12.0), tmp_path / "w2") == {}


@pytest.mark.parametrize("replace, message", [
    ({"cost_range = [7, 9]": "max_cost_fraction = 1.5"},
     r"search.max_cost_fraction: Input should be less than or equal to 1 \(got 1.5\)"),
    ({"cost_range = [7, 9]": "cost_range = [7, 9]\nseed = \"3\""},
     r"search.seed: Input should be a valid integer \(got '3'\)"),
    ({"cost_range = [7, 9]": "cost_range = [7, 9]\nbudget = 2.5"},
     r"search.budget: Input should be a valid integer \(got 2.5\)"),
    ({"cost_range = [7, 9]": "cost_range = [7]"}, "search.cost_range: List should have at least 2"),
    ({"buckets = 4": "buckets = \"4\""}, "LayerNAS buckets must be an integer >= 1, got '4'"),
    ({"buckets = 4": "bukets = 4"},
     "has no option 'bukets'; did you mean 'buckets'\\? its options are: buckets, keep"),
    ({'name = "layernas"': 'name = "layernass"'}, "unknown strategy 'layernass'; choose one of"),
])
def test_bad_values_name_the_file_and_the_key(burger_config, replace, message):
    line = fails(burger_config(replace=replace))
    assert "burger.toml: " in line
    assert re.search(message, line), line


def test_a_journal_path_that_is_a_folder(burger_config, tmp_path):
    (tmp_path / "runs").mkdir()
    line = fails(burger_config(journal="runs"))
    assert "burger.toml: journal " in line and "runs is a folder; give a file path, e.g. " \
        'journal = "runs/search.sqlite"' in line


@pytest.mark.parametrize("source, message", [
    ("def taste(arch)\n    return 1.0\n", r"broken.py, line 1: syntax error \(expected ':'\)"),
    ("import json\nraise RuntimeError('no GPU here')\n",
     r"importing module 'broken' \(.*broken.py\) raised RuntimeError: no GPU here; fix the module"),
    ("import not_a_module_anywhere\n",
     r"importing module 'broken' \(.*broken.py\) raised ModuleNotFoundError: No module named "
     r"'not_a_module_anywhere'"),
])
def test_reward_modules_that_cannot_be_imported(burger_config, tmp_path, source, message):
    config = burger_config(replace={'"burger:taste"': '"broken:taste"'})
    (tmp_path / "broken.py").write_text(source)
    line = fails(config)
    assert "burger.toml: [search] reward 'broken:taste'" in line
    assert re.search(message, line), line


FACTORY = """
import layernas as ln


def burger_space(buns=("plain", "brioche"), *, patties=("veggie", "beef")):
    return ln.SearchSpace([ln.Layer("bun", list(buns)), ln.Layer("patty", list(patties))])


def passes_on(**kwargs):
    return burger_space(**kwargs)
"""


@pytest.mark.parametrize("factory, args, message", [
    ("burger_space", '{ bunz = ["a"] }',
     "\\[space\\] args: factories:burger_space has no argument 'bunz'; it accepts: buns, patties"),
    ("passes_on", '{ bunz = ["a"] }',
     "\\[space\\] args: burger_space\\(\\) got an unexpected keyword argument 'bunz'; "
     "check the argument names of factories:passes_on and the functions it passes them to"),
])
def test_unknown_factory_arguments_list_the_accepted_ones(tmp_path, factory, args, message):
    (tmp_path / "factories.py").write_text(FACTORY)
    config = tmp_path / "c.toml"
    config.write_text(f'[space]\nfactory = "factories:{factory}"\nargs = {args}\n'
                      '[search]\ncost = "factories:len"\nreward = "factories:len"\n'
                      'cost_range = [0, 1]\n')
    line = fails(config)
    assert f"{config}: " in line and re.search(message, line), line


STRATEGY = """
from dataclasses import dataclass

import layernas as ln


@dataclass
class Cheapest(ln.Strategy):
    name = "cheapest-first"
    tries: int = 1

    def _ask(self):
        return None if self.outstanding else self.problem.cheapest

    def _tell(self, arch, reward):
        pass
"""


def test_a_strategy_of_your_own_by_module_and_class(burger_config, tmp_path):
    (tmp_path / "mine.py").write_text(STRATEGY)
    config = burger_config(replace={'name = "layernas"\nbuckets = 4': 'name = "mine:Cheapest"'})
    cfg = load_config(config)
    assert cfg.strategy.name == "cheapest-first"
    assert ln.strategies.make("cheapest-first", tries=2).tries == 2
    del ln.strategies.STRATEGIES["cheapest-first"]
