"""LayerNAS against brute force and the properties the method promises."""

from __future__ import annotations

import pytest
from synthetic import additive, batches_told_shuffled, brute_force

import layernas as ln
from layernas.problem import Problem


@pytest.mark.parametrize("seed", range(25))
def test_additive_problems_match_brute_force(seed):
    space, cost, reward, cost_range = additive(seed, layers=4, options=4)
    # integer costs span < 40, so 1000 buckets give every distinct cost its own bucket
    result = ln.search(space, reward, cost, cost_range, strategy=ln.LayerNAS(buckets=1000),
                       progress=False)
    assert result.best.reward == pytest.approx(brute_force(space, cost, reward, cost_range))
    assert result.trained <= result.bound


@pytest.mark.parametrize("seed", range(25))
def test_trains_within_bound_once_each_and_only_reachable(seed):
    space, cost, reward, cost_range = additive(seed, layers=5, options=3, interaction=0.3)
    buckets, keep = 1 + seed % 6, 1 + seed % 3
    calls = []

    def counting(arch):
        calls.append(arch)
        return reward(arch)

    result = ln.search(space, counting, cost, cost_range,
                       strategy=ln.LayerNAS(buckets=buckets, keep=keep), progress=False)
    sizes = [len(layer.options) for layer in space.layers]
    assert result.bound == sizes[0] + keep * buckets * sum(sizes[1:])
    assert len(calls) == result.trained <= result.bound
    assert len(set(calls)) == len(calls), "an architecture was trained twice"
    problem = Problem(space, cost, cost_range)
    for arch in calls:
        # arch is a child of some layer i: later layers at default, and it can reach the range
        layers = [i for i in range(len(space)) if arch[i + 1:] == problem.defaults[i + 1:]]
        assert any(problem.can_reach(arch, i + 1) for i in layers), arch
    if result.best is not None:
        lo, hi = cost_range
        assert lo <= result.best.cost <= hi
        assert result.best.reward == max(t.reward for t in result.trials if lo <= t.cost <= hi)


def test_unreachable_children_are_never_trained():
    space = ln.SearchSpace([ln.Layer(f"l{i}", [0, 1, 2]) for i in range(3)])
    cost = lambda a: float(sum(10 ** (2 - i) * o for i, o in enumerate(a)))
    trained = []
    ln.search(space, lambda a: trained.append(a) or float(sum(a)), cost, (200, 222),
              strategy=ln.LayerNAS(buckets=3), progress=False)
    assert trained and all(a[0] == 2 for a in trained), "only layer-1 value 2 can reach [200, 222]"


def test_results_told_in_any_order_give_the_same_next_proposals():
    space, cost, reward, cost_range = additive(3, layers=4, options=5)

    def run(shuffle_seed):
        strategy = ln.LayerNAS(buckets=7, keep=2)
        return batches_told_shuffled(strategy, space, cost, reward, cost_range, shuffle_seed)

    first = run(0)
    assert len(first[0]) == len(space) + 1  # one batch per layer, then the final empty ask
    for s in range(1, 4):
        assert run(s) == first


def test_layer_barrier_answers_nothing_now():
    space, cost, reward, cost_range = additive(1, layers=3, options=3)
    strategy = ln.LayerNAS(buckets=4)
    strategy.setup(Problem(space, cost, cost_range), seed=0)
    out = [strategy.ask() for _ in range(3)]
    assert None not in out
    assert strategy.ask() is None and not strategy.finished  # layer 1 pending
    for arch in out:
        strategy.tell(arch, reward(arch))
    assert strategy.ask() is not None  # layer 2 starts once layer 1 is in


def test_defaults_are_the_most_expensive_option_unless_given():
    space = ln.SearchSpace([ln.Layer("a", [1, 3, 2]), ln.Layer("b", [5, 1], default=1)])
    problem = Problem(space, lambda arch: float(sum(arch)), (0, 10))
    assert problem.defaults == (3, 1)
    assert problem.cheapest == (1, 1) and problem.priciest == (3, 5)


def test_failed_rewards_are_never_the_answer_and_search_goes_on():
    space, cost, reward, cost_range = additive(5, layers=3, options=4)
    best_arch = max((a for a in space if cost_range[0] <= cost(a) <= cost_range[1]), key=reward)

    def flaky(arch):
        return float("nan") if arch == best_arch else reward(arch)

    result = ln.search(space, flaky, cost, cost_range, strategy=ln.LayerNAS(buckets=1000),
                       progress=False)
    failed = [t for t in result.trials if not t.ok]
    assert [t.arch for t in failed] == [best_arch]
    assert "nan" in failed[0].error and failed[0].reward is None
    assert result.best is not None and result.best.arch != best_arch
    assert result.stop_reason == "strategy finished"


def test_burger_example_runs_and_tastes_at_most_36(capsys):
    import runpy
    from pathlib import Path

    runpy.run_path(str(Path(__file__).parents[1] / "examples" / "burger.py"), run_name="__main__")
    out = capsys.readouterr().out
    tastings = int(out.split(" tastings")[0].split()[-1])
    assert tastings <= 36 and "(bound 36, all burgers 64)" in out
    found = out.split("best burger in $7-$9: ")[1].split(",")[0]
    assert out.split("check by tasting all 64: ")[1].startswith(found)
