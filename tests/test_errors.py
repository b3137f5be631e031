"""Every bad input gives a LayerNASError that says what is wrong."""

from __future__ import annotations

import math

import pytest
from synthetic import additive

import layernas as ln

GOOD = ln.SearchSpace([ln.Layer("a", [1, 2, 3]), ln.Layer("b", [1, 2])])


def run(space=GOOD, reward=lambda a: 1.0, cost=lambda a: float(sum(a)), cost_range=(2, 5), **kw):
    return ln.search(space, reward, cost, cost_range, progress=False, **kw)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: ln.SearchSpace([]), "no layers"),
        (lambda: ln.Layer("conv", []), "layer 'conv' has no options"),
        (lambda: ln.Layer("conv", [3, 5, 3]), "layer 'conv': option 3 appears twice"),
        (lambda: ln.Layer("conv", [3, 5], default=7), "layer 'conv': default 7 is not one of"),
        (lambda: ln.Layer("conv", [[3], [5]]), "layer 'conv': option \\[3\\] is unhashable"),
        (lambda: ln.Layer("conv", "35"), "options must be a list"),
        (lambda: ln.SearchSpace([ln.Layer("a", [1]), ln.Layer("a", [2])]), "unique.*'a'"),
    ],
)
def test_bad_spaces(make, message):
    with pytest.raises(ln.LayerNASError, match=message):
        make()


@pytest.mark.parametrize(
    "cost_range, message",
    [
        ((5, 2), "lo=5.0 > hi=2.0"),
        ((0, math.inf), "finite"),
        ((math.nan, 3), "finite"),
        ((100, 200), r"no architecture can reach.*span \[2, 5\]"),
        ((1,), "pair"),
        (("a", 3), "lo must be a number"),
    ],
)
def test_bad_cost_ranges(cost_range, message):
    with pytest.raises(ln.LayerNASError, match=message):
        run(cost_range=cost_range)


@pytest.mark.parametrize(
    "cost, message",
    [
        (lambda a: "cheap", "cost function on .* returned 'cheap'"),
        (lambda a: None, "returned None"),
        (lambda a: math.inf, "costs must be finite"),
        (lambda a: math.nan, "costs must be finite"),
    ],
)
def test_bad_cost_functions(cost, message):
    with pytest.raises(ln.LayerNASError, match=message):
        run(cost=cost)


def test_reward_that_is_not_a_number():
    with pytest.raises(ln.LayerNASError, match="reward function on .* returned 'great'"):
        run(reward=lambda a: "great")


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_reward_is_a_failed_trial_not_a_crash(value):
    space, cost, reward, cost_range = additive(0, layers=3, options=3)
    lo, hi = cost_range
    inside = [a for a in space if lo <= cost(a) <= hi]
    bad = max(inside, key=reward)  # would be the answer if its reward were finite
    result = ln.search(space, lambda a: value if a == bad else reward(a), cost, cost_range,
                       strategy=ln.Exhaustive(), progress=False)
    failed = [t for t in result.trials if not t.ok]
    assert [t.arch for t in failed] == [bad]
    assert failed[0].reward is None and f"returned {value}" in failed[0].error
    assert result.trained == len(inside) and result.best is not None
    assert result.best.arch == max((a for a in inside if a != bad), key=reward)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"budget": 0}, "budget must be an integer >= 1"),
        ({"budget": 2.5}, "budget must be an integer >= 1"),
        ({"workers": 0}, "workers must be an integer >= 1"),
        ({"retries": -1}, "retries must be an integer >= 0"),
        ({"timeout": 0}, "timeout must be"),
        ({"executor": "gpu-farm"}, "unknown executor 'gpu-farm'"),
        ({"strategy": "layernas"}, "strategy must be a layernas strategy"),
    ],
)
def test_bad_run_options(kwargs, message):
    with pytest.raises(ln.LayerNASError, match=message):
        run(**kwargs)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: ln.LayerNAS(buckets=0), "buckets must be an integer >= 1"),
        (lambda: ln.LayerNAS(keep=1.5), "keep must be an integer >= 1"),
        (lambda: ln.RegularizedEvolution(population=0), "population"),
        (lambda: ln.Reinforce(lr=-1), "lr must be a number > 0"),
        (lambda: ln.Reinforce(momentum=1), "momentum"),
    ],
)
def test_bad_strategy_options(make, message):
    with pytest.raises(ln.LayerNASError, match=message):
        make()


def test_unpicklable_reward_for_worker_processes():
    with pytest.raises(ln.LayerNASError, match="cannot be sent to worker processes"):
        run(reward=lambda a: 1.0, workers=2)
