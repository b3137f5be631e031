"""Failures speak and do not stick: a search where every training failed says why, failed
trials are retried on resume (fix the reward, run again), bad arguments and cost functions
are one-line errors."""

from __future__ import annotations

import sqlite3

import pytest
from click.testing import CliRunner
from synthetic import additive, summary

import layernas as ln
from layernas.cli import main
from layernas.journal import read_journal


class Broken:
    """A reward with a bug on some architectures (all of them when ``archs`` is None)."""

    def __init__(self, reward, archs=None):
        self.reward, self.archs, self.calls = reward, archs, []

    def __call__(self, arch):
        self.calls.append(arch)
        if self.archs is None or arch in self.archs:
            raise ZeroDivisionError(f"bug in the reward on {arch}")
        return self.reward(arch)


def test_a_search_where_every_training_failed_raises_the_first_error(tmp_path):
    space, cost, reward, cost_range = additive(4, layers=3, options=3)
    with pytest.raises(ln.TrialsFailed) as info:
        ln.search(space, Broken(reward), cost, cost_range, journal=str(tmp_path / "j.sqlite"),
                  progress=False)
    message = str(info.value)
    first = info.value.result.trials[0]
    assert message.startswith(f"all {info.value.result.trained} trials failed")
    assert f"ZeroDivisionError: bug in the reward on {first.arch}" in message
    assert "cost" not in message.split("(trial")[0], "the cost range is not the cause"
    assert all(not t.ok for t in info.value.result.trials)


def test_the_cli_exits_non_zero_with_the_error_when_every_training_failed(tmp_path,
                                                                           burger_config):
    config = burger_config(replace={'"burger:taste"': '"buggy:taste"'})
    (tmp_path / "buggy.py").write_text("def taste(arch):\n    return 1 / 0\n")
    out = CliRunner().invoke(main, ["search", str(config), "--no-progress"])
    assert out.exit_code == 1
    assert "all 4 trials failed" in out.output and "ZeroDivisionError: division by zero" in out.output
    assert "no trained candidate has cost" not in out.output


def test_fixing_the_reward_and_running_again_retries_the_failed_trials(tmp_path):
    space, cost, reward, cost_range = additive(4, layers=3, options=3)
    journal = str(tmp_path / "j.sqlite")
    with pytest.raises(ln.TrialsFailed):
        ln.search(space, Broken(reward), cost, cost_range, journal=journal, progress=False)
    fixed = Broken(reward, archs=frozenset())
    resumed = ln.search(space, fixed, cost, cost_range, journal=journal, progress=False)
    clean = ln.search(space, reward, cost, cost_range, progress=False)
    assert summary(resumed) == summary(clean)
    assert resumed.from_journal == 0 and len(fixed.calls) == clean.trained


def test_a_partly_failed_search_retried_on_resume_keeps_its_journal_in_order(tmp_path):
    """Retried failures that now succeed change the search's course: the journal's rows are
    renumbered to the new run, and the earlier run's other results are kept (and reused)."""
    space, cost, reward, cost_range = additive(5, layers=4, options=4)
    journal = tmp_path / "j.sqlite"
    strategy = lambda: ln.LayerNAS(buckets=4)  # noqa: E731
    clean = ln.search(space, reward, cost, cost_range, strategy=strategy(), progress=False)
    bad = frozenset(t.arch for t in clean.trials[1:4:2])  # first layer: proposed whatever fails
    first = ln.search(space, Broken(reward, bad), cost, cost_range, strategy=strategy(),
                      journal=str(journal), progress=False)
    assert {t.arch for t in first.failed} == bad
    fixed = Broken(reward, archs=frozenset())
    resumed = ln.search(space, fixed, cost, cost_range, strategy=strategy(),
                        journal=str(journal), progress=False)
    assert summary(resumed) == summary(clean)
    assert bad <= set(fixed.calls), "the failed trials were not retried"
    assert not set(fixed.calls) & {t.arch for t in first.trials if t.ok}, "an ok trial retrained"
    rows = read_journal(journal).trials
    assert [(r.number, r.arch, r.status) for r in rows[:resumed.trained]] == [
        (t.number, ln.space.arch_key(t.arch), "ok") for t in resumed.trials]
    assert len({r.arch for r in rows}) == len(rows) == len({t.arch for t in first.trials} |
                                                           {t.arch for t in resumed.trials})
    again = ln.search(space, reward, cost, cost_range, strategy=strategy(),
                      journal=str(journal), progress=False)
    assert summary(again) == summary(clean) and again.trained_now == 0


def test_keep_failed_adopts_the_failures_on_resume(tmp_path):
    space, cost, reward, cost_range = additive(5, layers=4, options=4)
    journal = str(tmp_path / "j.sqlite")
    clean = ln.search(space, reward, cost, cost_range, progress=False)
    bad = frozenset({clean.trials[2].arch})
    first = ln.search(space, Broken(reward, bad), cost, cost_range, journal=journal,
                      progress=False)
    fixed = Broken(reward, archs=frozenset())
    kept = ln.search(space, fixed, cost, cost_range, journal=journal, retry_failed=False,
                     progress=False)
    assert summary(kept) == summary(first) and not fixed.calls


def test_the_cli_keeps_failures_with_keep_failed(tmp_path, burger_config):
    config = burger_config(journal="j.sqlite")
    first = CliRunner().invoke(main, ["search", str(config), "--no-progress"])
    trained = int(first.output.split()[1])
    with sqlite3.connect(tmp_path / "j.sqlite") as db:  # as if one training had failed
        db.execute("UPDATE trials SET status='failed', reward=NULL, error='bad batch' "
                   "WHERE number=1")
    db.close()
    kept = CliRunner().invoke(main, ["search", str(config), "--no-progress", "--keep-failed"])
    assert kept.exit_code == 0, kept.output
    assert "failed 1;" in kept.output  # the search goes on without it (another course)
    with sqlite3.connect(tmp_path / "j.sqlite") as db:
        assert db.execute("SELECT error FROM trials WHERE status='failed'").fetchall() == [
            ("bad batch",)]
    db.close()
    retried = CliRunner().invoke(main, ["search", str(config), "--no-progress"])
    assert f"trained {trained} (1 now, {trained - 1} from the journal)" in retried.output
    assert "failed 0;" in retried.output and retried.output.splitlines()[1:] == \
        first.output.splitlines()[1:]


@pytest.mark.parametrize("cost, message", [
    (lambda a: {"x": 1}[a[0]], r"^the cost function raised on \(.*\): KeyError: "),
    (lambda a: -1.0, r"^cost function returned -1 on \(.*\); costs .* must be >= 0$"),
])
def test_cost_functions_that_raise_or_go_negative(cost, message):
    space, _, reward, cost_range = additive(1, layers=2, options=2)
    with pytest.raises(ln.LayerNASError, match=message):
        ln.search(space, reward, cost, cost_range, progress=False)


@pytest.mark.parametrize("kwargs, message", [
    ({"seed": "a"}, "seed must be an integer >= 0, got 'a'"),
    ({"seed": -1}, "seed must be an integer >= 0"),
    ({"seed": 1.5}, "seed must be an integer >= 0"),
    ({"budget": "3"}, "budget must be an integer >= 1 (or None for no limit), got '3'"),
    ({"workers": 0}, "workers must be an integer >= 1, got 0"),
    ({"workers": "2"}, "workers must be an integer >= 1"),
    ({"max_stall": 0}, "max_stall must be an integer >= 1"),
    ({"progress": "yes"}, "progress must be True or False, got 'yes'"),
    ({"retry_failed": "no"}, "retry_failed must be True or False"),
    ({"journal": 3}, "journal must be a file path, got 3"),
    ({"cost_range": ln.MaxCostFraction(0.5), "strategy": ln.RandomSearch(), "budget": 0},
     "budget must be"),
])
def test_api_arguments_of_the_wrong_type(kwargs, message):
    space, cost, reward, cost_range = additive(1, layers=2, options=2)
    kwargs = {"cost_range": cost_range, **kwargs}
    with pytest.raises(ln.LayerNASError) as info:
        ln.search(space, reward, cost, progress=kwargs.pop("progress", False), **kwargs)
    assert message in str(info.value)


@pytest.mark.parametrize("fraction", [0, 1.5, -0.2, "half", True])
def test_max_cost_fraction_outside_0_1(fraction):
    with pytest.raises(ln.LayerNASError, match=r"max_cost_fraction .* must be a number in \(0, 1\]"):
        ln.MaxCostFraction(fraction)


def test_a_fraction_of_the_priciest_cost_is_the_range_the_journal_shows(tmp_path):
    space, cost, reward, _ = additive(1, layers=3, options=3)
    journal = tmp_path / "j.sqlite"
    result = ln.search(space, reward, cost, ln.MaxCostFraction(0.5), journal=str(journal),
                       progress=False)
    priciest = max(cost(a) for a in space)
    assert result.cost_range == (0.0, 0.5 * priciest)
    assert read_journal(journal).cost_range == result.cost_range
