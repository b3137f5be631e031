"""``layernas show``: readable numbers, layer names, elapsed time and where a search stands."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from synthetic import additive

import layernas as ln
from layernas import display
from layernas.cli import main


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
def test_layernas_progress_bounds_what_is_left(options):
    space, cost, reward, cost_range = additive(3, layers=4, options=4)
    sizes = [len(layer.options) for layer in space.layers]

    def run(budget=None):
        return ln.search(space, reward, cost, cost_range, budget=budget, progress=False,
                         strategy=ln.LayerNAS(buckets=4, keep=2, **options))

    full = run()
    strategy = ln.LayerNAS(buckets=4, keep=2, **options)
    start = strategy.progress([], sizes)
    assert (start.where.split(",")[0], start.table, start.left) == ("layer 1 of 4", 0, full.bound)
    assert strategy.progress(full.snapshot, sizes).where == "finished"
    for budget in range(1, full.trained):
        cut = run(budget)
        now = strategy.progress(cut.snapshot, sizes)
        assert full.trained - cut.trained <= now.left <= full.bound, (budget, now)
        latest = max((row.round for row in cut.snapshot), default=0)
        closed = {row.table for row in cut.snapshot if row.round == latest}
        assert now.table == len(closed) % len(sizes)  # 0: a pass ended, the next one starts


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
    assert "now: layer 2 of 3 (patty); at most 32 more trainings" in text
    assert "best in range: #5, reward 95.00%, cost 700K MAdds\n" \
           "  bun=brioche, patty=beef, topping=no topping" in text
    assert re.search(r"bun +0 +\[400K MAdds, 500K MAdds\) +500K MAdds +65.00%  bun=brioche", text)
    again = CliRunner().invoke(main, ["search", str(config), "--no-progress"])
    assert again.exit_code == 0, again.output
    done = CliRunner().invoke(main, ["show", str(tmp_path / "burger.sqlite"), "--limit", "5"])
    assert "now: finished" in done.output
    trained = int(re.search(r"trials: (\d+) ok", done.output).group(1))
    listed = re.findall(r"^ +(\d+)  ok ", done.output, re.M)
    assert trained > 5 and listed == [str(n) for n in range(trained - 5, trained)]
