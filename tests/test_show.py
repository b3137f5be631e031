"""``layernas show``: readable numbers, layer names, elapsed time and where a search stands."""

from __future__ import annotations

import pytest
from synthetic import additive

import layernas as ln
from layernas import display


@pytest.mark.parametrize("value, units, text", [
    (235008, "MAdds", "235K MAdds"), (1234567, None, "1.23M"), (99.1625, "%", "99.16%"),
    (0.8771, "ms", "0.8771 ms"), (None, "%", "-"), (2.5e9, None, "2.5G"),
])
def test_quantities(value, units, text):
    assert display.quantity(value, units) == text


def test_durations_and_architectures():
    assert [display.duration(s) for s in (12.34, 304, 7380)] == ["12.3s", "5m 04s", "2h 03m"]
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
