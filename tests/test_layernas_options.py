"""LayerNAS's ablation options: parent order, bucket range, dominated-parent pruning, refinement."""

from __future__ import annotations

import dataclasses

import pytest
from synthetic import additive

import layernas as ln
from layernas.problem import Problem


def run(strategy, seed=3, budget=None, **problem):
    space, cost, reward, cost_range = additive(seed, **{"layers": 4, "options": 4, **problem})
    return ln.search(space, reward, cost, cost_range, strategy=strategy, budget=budget,
                     progress=False), (space, cost, reward, cost_range)


def test_defaults_are_the_specification():
    default = ln.LayerNAS()
    assert (default.buckets, default.keep, default.order, default.bucket_range) == (
        100, 1, "reward", "layer")
    assert default.prune_dominated is False and default.start_buckets is None


@pytest.mark.parametrize("seed", range(5))
def test_parent_order_changes_the_sequence_not_the_trained_set(seed):
    runs = {order: run(ln.LayerNAS(buckets=6, keep=2, order=order), seed)[0]
            for order in ("reward", "cost", "random")}
    archs = {order: [t.arch for t in r.trials] for order, r in runs.items()}
    assert set(archs["cost"]) == set(archs["reward"]) == set(archs["random"])
    assert len({r.best.arch for r in runs.values()}) == 1


def test_cost_order_expands_the_cheapest_parent_first():
    for order, pick in (("cost", lambda e: e.cost), ("reward", lambda e: -e.reward)):
        result, _ = run(ln.LayerNAS(buckets=8, order=order))
        first = next(
            t for t in result.trials if t.arch[1:] != result.trials[0].arch[1:])
        parent = min(tables(result)[0], key=pick).arch
        assert first.arch[:1] == parent[:1], order


def test_random_order_is_seeded():
    space, cost, reward, cost_range = additive(4, layers=4, options=4)

    def archs(seed):
        return [t.arch for t in ln.search(space, reward, cost, cost_range, seed=seed,
                                          strategy=ln.LayerNAS(buckets=6, order="random"),
                                          progress=False).trials]

    assert archs(1) == archs(1)
    assert archs(1) != archs(2)


def test_children_bucket_range_spans_the_trained_children():
    result, (space, cost, _, cost_range) = run(ln.LayerNAS(buckets=5, bucket_range="children"))
    problem = Problem(space, cost, cost_range)
    for layer, table in enumerate(tables(result)):
        children = [t for t in result.trials
                    if t.arch[layer + 1:] == problem.defaults[layer + 1:]
                    and problem.can_reach(t.arch, layer + 1)]
        lo = min(t.cost for t in children)
        hi = max(t.cost for t in children)
        width = (hi - lo) / 5
        for e in table:
            bucket = round((e.bucket[0] - lo) / width)
            assert e.bucket == pytest.approx((lo + bucket * width, lo + (bucket + 1) * width))
            assert lo <= e.cost <= hi


@pytest.mark.parametrize("seed", range(5))
def test_pruning_keeps_only_non_dominated_parents(seed):
    pruned, _ = run(ln.LayerNAS(buckets=6, keep=2, prune_dominated=True), seed, interaction=0.3)
    full, _ = run(ln.LayerNAS(buckets=6, keep=2), seed, interaction=0.3)
    assert pruned.trained <= full.trained
    for table in tables(pruned):
        for a in table:
            assert not any(b.cost <= a.cost and b.reward >= a.reward and b is not a
                           and (b.cost, b.reward) != (a.cost, a.reward) for b in table)


def test_refinement_passes_halve_the_buckets():
    assert ln.LayerNAS(buckets=100, start_buckets=10).pass_buckets() == [12, 25, 50, 100]
    assert ln.LayerNAS(buckets=100, start_buckets=13).pass_buckets() == [25, 50, 100]
    assert ln.LayerNAS(buckets=40, start_buckets=10).pass_buckets() == [10, 20, 40]
    assert ln.LayerNAS(buckets=40, start_buckets=40).pass_buckets() == [40]
    assert ln.LayerNAS(buckets=40).pass_buckets() == [40]


@pytest.mark.parametrize("seed", range(8))
def test_refinement_trains_a_superset_once_each_and_ends_no_worse(seed):
    single, _ = run(ln.LayerNAS(buckets=12, keep=2), seed, layers=5, options=3, interaction=0.3)
    refined, _ = run(ln.LayerNAS(buckets=12, keep=2, start_buckets=3), seed, layers=5, options=3,
                     interaction=0.3)
    archs = [t.arch for t in refined.trials]
    assert len(set(archs)) == len(archs)
    assert {t.arch for t in single.trials} <= set(archs)
    assert refined.best.reward >= single.best.reward
    assert refined.trained <= refined.bound == 3 + 2 * (3 + 6 + 12) * 12
    assert refined.stop_reason == "strategy finished"
    assert {e.round for e in refined.snapshot} == {2}
    # the last pass's memorial tables are the single pass's
    assert [dataclasses.replace(e, round=0) for e in refined.snapshot] == single.snapshot


def test_refinement_has_an_answer_early():
    """A budget that ends inside a fine pass keeps the coarse pass's complete answer."""
    space, cost, reward, cost_range = additive(2, layers=5, options=4)
    coarse_first = ln.LayerNAS(buckets=40, start_buckets=2)
    coarse = ln.search(space, reward, cost, cost_range, strategy=ln.LayerNAS(buckets=2),
                       progress=False)
    cut = ln.search(space, reward, cost, cost_range, strategy=coarse_first,
                    budget=coarse.trained, progress=False)
    assert cut.stop_reason == "budget reached"
    assert [t.arch for t in cut.trials] == [t.arch for t in coarse.trials]
    assert (cut.best.arch, cut.best.reward) == (coarse.best.arch, coarse.best.reward)


@pytest.mark.parametrize(("options", "message"), [
    ({"order": "size"}, "order must be one of"),
    ({"bucket_range": "global"}, "bucket_range must be one of"),
    ({"prune_dominated": 1}, "prune_dominated must be True or False"),
    ({"start_buckets": 0}, "start_buckets must be an integer >= 1"),
    ({"buckets": 10, "start_buckets": 20}, "must be <= buckets"),
])
def test_bad_options_say_what_to_do(options, message):
    with pytest.raises(ln.LayerNASError, match=message):
        ln.LayerNAS(**options)


def tables(result):
    """The result's snapshot as one list of kept rows per layer."""
    by_layer = {}
    for row in result.snapshot:
        by_layer.setdefault(row.table, []).append(row)
    return [by_layer[layer] for layer in sorted(by_layer)]
