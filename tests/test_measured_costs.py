"""Costs in the journal: every computed cost is stored, a resume reuses them, and a measured
(noisy) cost is recognised by its identity rather than by being evaluated again."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest
from click.testing import CliRunner
from faulty import Crash, CrashAfter
from synthetic import additive, summary

import layernas as ln
from layernas.cli import main
from layernas.journal import read_journal
from layernas.space import arch_key


class Measured:
    """A cost "measured" with up to 5% noise; another ``seed`` stands for another measurement."""

    def __init__(self, cost, seed, identity="measured cost v1"):
        self.cost, self.seed, self.calls = cost, seed, []
        if identity is not None:
            self.identity = identity

    def __call__(self, arch):
        self.calls.append(arch)
        noise = np.random.default_rng([self.seed, *arch]).random()
        return self.cost(arch) * (1 + 0.05 * noise)


def crashed_run(tmp_path, seed=1, identity="measured cost v1"):
    space, cost, reward, cost_range = additive(4, layers=4, options=4)
    journal = str(tmp_path / "j.sqlite")
    with pytest.raises(Crash):
        ln.search(space, CrashAfter(reward, 12), Measured(cost, seed, identity), cost_range,
                  strategy=ln.LayerNAS(buckets=5, keep=2), budget=40, seed=5, journal=journal,
                  progress=False)
    return space, cost, reward, cost_range, journal


def test_every_computed_cost_is_stored(tmp_path):
    space, cost, reward, cost_range = additive(4, layers=4, options=4)
    measured = Measured(cost, 1)
    journal = str(tmp_path / "j.sqlite")
    result = ln.search(space, reward, measured, cost_range, strategy=ln.RandomSearch(), budget=20,
                       seed=5, journal=journal, progress=False)
    assert result.rejected > 0
    stored = read_journal(journal).costs
    again = Measured(cost, 1)
    assert stored == {arch_key(a): again(a) for a in measured.calls}


def test_resume_with_a_measured_cost_reuses_the_stored_costs(tmp_path):
    space, cost, reward, cost_range, journal = crashed_run(tmp_path)
    at_crash = read_journal(journal).costs
    remeasured = Measured(cost, 2)  # the same cost measured again: other values
    resumed = ln.search(space, reward, remeasured, cost_range,
                        strategy=ln.LayerNAS(buckets=5, keep=2), budget=40, seed=5,
                        journal=journal, progress=False)
    assert not {arch_key(a) for a in remeasured.calls} & at_crash.keys(), "a cost was re-measured"

    def seen(arch):  # what the resumed search should have seen: stored, else the new values
        return at_crash.get(arch_key(arch)) or Measured(cost, 2)(arch)

    clean = ln.search(space, reward, seen, cost_range, strategy=ln.LayerNAS(buckets=5, keep=2),
                      budget=40, seed=5, progress=False)
    assert summary(resumed) == summary(clean)
    all_new = ln.search(space, reward, Measured(cost, 2), cost_range,
                        strategy=ln.LayerNAS(buckets=5, keep=2), budget=40, seed=5, progress=False)
    assert summary(all_new) != summary(resumed), "the noise should matter in this test"


def test_a_noisy_cost_without_identity_is_refused_with_a_hint(tmp_path):
    space, cost, reward, cost_range, journal = crashed_run(tmp_path, identity=None)
    with pytest.raises(ln.LayerNASError, match="differs in: cost.*'identity'"):
        ln.search(space, reward, Measured(cost, 2, identity=None), cost_range,
                  strategy=ln.LayerNAS(buckets=5, keep=2), budget=40, seed=5, journal=journal,
                  progress=False)


def test_a_cost_of_another_identity_is_refused(tmp_path):
    space, cost, reward, cost_range, journal = crashed_run(tmp_path)
    refused = (r'differs in: cost: journal "measured cost v1", now "measured cost v2"\); resume '
               r"with the original settings or use a new journal path$")
    with pytest.raises(ln.LayerNASError, match=refused):
        ln.search(space, reward, Measured(cost, 1, identity="measured cost v2"), cost_range,
                  strategy=ln.LayerNAS(buckets=5, keep=2), budget=40, seed=5, journal=journal,
                  progress=False)


def test_a_journal_of_another_deterministic_cost_is_refused_despite_its_stored_costs(tmp_path):
    space, cost, reward, cost_range = additive(4, layers=4, options=4)
    journal = str(tmp_path / "j.sqlite")
    ln.search(space, reward, cost, cost_range, budget=10, journal=journal, progress=False)
    with pytest.raises(ln.LayerNASError, match="differs in: cost"):
        ln.search(space, reward, lambda a: cost(a) + 0.5, cost_range, budget=10, journal=journal,
                  progress=False)


MEASURED_PRICE = """
import random

from burger import price


class MeasuredPrice:
    identity = "burger price, measured"

    def __call__(self, arch):
        return price(arch) * (1 + 0.1 * random.random())  # new noise on every call


cost = MeasuredPrice()
"""


def test_cli_sizes_a_fractional_range_from_the_journal_on_resume(burger_config, tmp_path):
    config = burger_config(replace={'"burger:price"': '"measured:cost"',
                                    "cost_range = [7, 9]": "max_cost_fraction = 0.6"})
    (tmp_path / "measured.py").write_text(MEASURED_PRICE)
    first = CliRunner().invoke(main, ["search", str(config), "--no-progress"])
    assert first.exit_code == 0, first.output
    again = CliRunner().invoke(main, ["search", str(config), "--no-progress"])
    assert again.exit_code == 0, again.output  # not "a different search" (the range is the same)
    first_line, *rest = again.output.splitlines()
    trained = first.output.split()[1]  # noisy costs: the count varies from run to run
    assert f"trained {trained} (0 now, {trained} from the journal)" in first_line, first_line
    assert rest == first.output.splitlines()[1:]


def test_a_journal_without_stored_costs_still_resumes(tmp_path):
    space, cost, reward, cost_range = additive(4, layers=4, options=4)
    journal = str(tmp_path / "j.sqlite")
    with pytest.raises(Crash):
        ln.search(space, CrashAfter(reward, 6), cost, cost_range, budget=20, seed=5,
                  journal=journal, progress=False)
    with sqlite3.connect(journal) as db:  # as journals were before costs were stored
        db.execute("DROP TABLE costs")
    resumed = ln.search(space, reward, cost, cost_range, budget=20, seed=5, journal=journal,
                        progress=False)
    clean = ln.search(space, reward, cost, cost_range, budget=20, seed=5, progress=False)
    assert summary(resumed) == summary(clean)
    assert read_journal(journal).costs, "the resumed search stores its costs"
