"""``layernas show``: readable numbers, layer names, elapsed time and where a search stands."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from faulty import Crash, CrashAfter
from synthetic import additive

import layernas as ln
from layernas import display
from layernas.cli import main
from layernas.journal import read_journal


@pytest.mark.parametrize("value, units, text", [
    (235008, "MAdds", "235K MAdds"), (1234567, None, "1.23M"), (99.1625, "%", "99.16%"),
    (0.8771, "ms", "0.8771 ms"), (None, "%", "-"), (2.5e9, None, "2.5G"),
])
def test_quantities(value, units, text):
    assert display.quantity(value, units) == text


def test_durations_and_architectures():
    assert [display.duration(s) for s in (0.04, 12.34, 304, 7380)] == [
        "40ms", "12.3s", "5m 04s", "2h 03m"]
    assert display.arch(["bun", "patty"], ["brioche", "beef"]) == "bun=brioche, patty=beef"


@pytest.mark.parametrize("options", [{}, {"start_buckets": 2}])
def test_layernas_says_where_it_stands_from_its_snapshot(options):
    space, cost, reward, cost_range = additive(3, layers=4, options=4)
    names = space.names
    strategy = ln.LayerNAS(buckets=4, keep=2, **options)
    passes = len(strategy.pass_buckets())
    assert strategy.where([], names).startswith("layer 1 of 4 (l0)")
    seen = set()
    for budget in range(1, 200):
        cut = ln.search(space, reward, cost, cost_range, budget=budget, progress=False,
                        strategy=ln.LayerNAS(buckets=4, keep=2, **options))
        where = strategy.where(cut.snapshot, names)
        seen.add(where)
        if cut.stop_reason == "strategy finished":
            assert where == "finished"
            break
        latest = max((row.round for row in cut.snapshot), default=0)
        closed = len({row.table for row in cut.snapshot if row.round == latest}) % 4
        assert where.startswith(f"layer {closed + 1} of 4 (l{closed})"), (budget, where)
    assert {w.split(" (")[0] for w in seen} == {f"layer {i} of 4" for i in (1, 2, 3, 4)} | {
        "finished"}
    assert passes == 1 or any(f"pass {passes} of {passes}" in w for w in seen)


@pytest.mark.parametrize("reverse_pass", [False, True, "auto"])
def test_trust_region_layernas_names_its_newest_pass_and_layer(reverse_pass):
    space, cost, reward, cost_range = additive(3, layers=4, options=4)
    names = space.names
    strategy = ln.TrustRegionLayerNAS(reverse_pass=reverse_pass)
    assert strategy.where([], names) == "global pass: layer 1 of 4 (l0)"
    seen = set()
    for budget in (1, 5, 12, 20, 60):
        cut = ln.search(space, reward, cost, cost_range, budget=budget, progress=False,
                        strategy=ln.TrustRegionLayerNAS(reverse_pass=reverse_pass))
        where = strategy.where(cut.snapshot, names)
        latest = max((row.round for row in cut.snapshot), default=0)
        tables = {row.table for row in cut.snapshot if row.round == latest}
        if reverse_pass and latest == 1:  # the reverse pass walks the layers last to first
            after = min(tables) - 1
            assert where.startswith("reverse pass: ")
        else:
            after = max(tables, default=-1) + 1
        done = len(tables) == 4 or after in (-1, 4)
        assert where.endswith("done" if done else f"layer {after + 1} of 4 (l{after})"), where
        seen.add(where.split(":")[0])
    assert "global pass" in seen and any(w.startswith("trust-region pass") for w in seen), seen
    if reverse_pass != "auto":  # "auto" decides after its first layer (test_trust_region.py)
        assert ("reverse pass" in seen) == reverse_pass, seen


UNITS = """
from burger import price, taste


def madds(arch):
    return 100_000 * price(arch)


def accuracy(arch):
    return 10 * taste(arch)


madds.units, accuracy.units = "MAdds", "%"
"""


def test_show_a_search_cut_by_its_budget(burger_config, tmp_path):
    config = burger_config(replace={'"burger:price"': '"units:madds"',
                                    '"burger:taste"': '"units:accuracy"',
                                    "cost_range = [7, 9]": "cost_range = [700000, 900000]"})
    (tmp_path / "units.py").write_text(UNITS)
    out = CliRunner().invoke(main, ["search", str(config), "--no-progress", "--budget", "10"])
    assert out.exit_code == 0, out.output
    shown = CliRunner().invoke(main, ["show", str(tmp_path / "burger.sqlite"), "--limit", "0"])
    assert shown.exit_code == 0, shown.output
    text = shown.output
    assert "strategy: layernas (" in text and "buckets=4" in text
    assert "cost range [700K MAdds, 900K MAdds]" in text
    assert re.search(r"trials: 10 ok; elapsed \d+ms from the first start", text)
    assert "now: ended (budget reached); a resume goes on at layer 2 of 3 (patty)\n" in text
    assert "best in range: #5, reward 95.00%, cost 700K MAdds\n" \
           "  bun=brioche, patty=beef, topping=no topping" in text
    assert re.search(r"bun +0 +\[400K MAdds, 500K MAdds\) +500K MAdds +65.00%  bun=brioche", text)
    again = CliRunner().invoke(main, ["search", str(config), "--no-progress"])
    assert again.exit_code == 0, again.output
    done = CliRunner().invoke(main, ["show", str(tmp_path / "burger.sqlite"), "--limit", "5"])
    assert "now: ended (strategy finished)\n" in done.output
    trained = int(re.search(r"trials: (\d+) ok", done.output).group(1))
    listed = re.findall(r"^ +(\d+)  ok ", done.output, re.M)
    assert trained > 5 and listed == [str(n) for n in range(trained - 5, trained)]


def test_show_an_interrupted_search_says_what_is_left(tmp_path):
    space, cost, reward, cost_range = additive(5, layers=4, options=4)
    journal = tmp_path / "j.sqlite"
    full = ln.search(space, reward, cost, cost_range, strategy=ln.LayerNAS(buckets=3),
                     progress=False)
    with pytest.raises(Crash):
        ln.search(space, CrashAfter(reward, 7), cost, cost_range,
                  strategy=ln.LayerNAS(buckets=3), journal=journal, progress=False)
    text = CliRunner().invoke(main, ["show", str(journal)]).output
    left = int(re.search(r"now: layer 2 of 4 \(l1\); at most (\d+) more trials", text).group(1))
    assert full.trained - 7 <= left <= full.bound - 7


class InterruptAfter:
    """``reward`` for ``n`` calls, then Ctrl-C; records what ``layernas show`` would read of
    the journal at each call (the journal is read while the search writes it)."""

    def __init__(self, reward, n, journal):
        self.reward, self.n, self.journal, self.seen = reward, n, journal, []

    def __call__(self, arch):
        self.seen.append(read_journal(self.journal).stopped)
        if len(self.seen) > self.n:
            raise KeyboardInterrupt
        return self.reward(arch)


def test_show_says_why_a_search_ended_and_a_resume_clears_it(tmp_path):
    space, cost, reward, cost_range = additive(5, layers=4, options=4)
    journal = tmp_path / "j.sqlite"
    cut = InterruptAfter(reward, 6, journal)
    with pytest.raises(ln.SearchStopped):
        ln.search(space, cut, cost, cost_range, strategy=ln.TrustRegionLayerNAS(),
                  journal=journal, progress=False)
    assert read_journal(journal).stopped == "interrupted; the same call resumes it"
    text = CliRunner().invoke(main, ["show", str(journal)]).output
    assert re.search(r"now: ended \(interrupted; the same call resumes it\); a resume goes on "
                     r"at global pass: layer \d of 4 \(l\d\)\n", text), text
    resumed = InterruptAfter(reward, 10**6, journal)
    done = ln.search(space, resumed, cost, cost_range, strategy=ln.TrustRegionLayerNAS(),
                     journal=journal, budget=20, progress=False)
    assert resumed.seen and set(resumed.seen) == {None}  # running again: no end recorded
    assert done.stop_reason == "budget reached" == read_journal(journal).stopped
    text = CliRunner().invoke(main, ["show", str(journal)]).output
    assert "now: ended (budget reached); a resume goes on at trust-region pass" in text
    assert "more trials" not in text
