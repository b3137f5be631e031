"""The additive reward model behind trust-region LayerNAS's model probe: the fit, the best-first
walk of a box (against brute force), and what the probe buys on random additive problems."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from synthetic import additive, brute_force

import layernas as ln
from layernas.strategies.additive import best_first, fit_effects


@pytest.mark.parametrize("seed", range(6))
def test_best_first_visits_the_box_once_in_order_of_summed_effect(seed):
    rng = np.random.default_rng(seed)
    box = [list(range(n)) for n in rng.integers(1, 5, 1 + seed % 5)]
    # rounded effects: ties happen, and must not repeat or drop an architecture
    effects = [{opt: float(rng.integers(0, 4)) for opt in layer} for layer in box]
    walked = list(best_first(box, effects))
    everything = list(itertools.product(*box))
    assert sorted(walked) == sorted(everything)
    scores = [sum(e[o] for e, o in zip(effects, arch)) for arch in walked]
    assert scores == sorted(scores, reverse=True)
    assert walked == list(best_first(box, effects)), "the walk is not deterministic"


def test_fit_recovers_an_additive_reward():
    space, _, reward, _ = additive(3, layers=4, options=3)
    archs = list(itertools.product(*(layer.options for layer in space.layers)))
    effects = fit_effects([(a, reward(a)) for a in archs],
                          [layer.options for layer in space.layers], ridge=1e-9)
    predicted = [sum(e[o] for e, o in zip(effects, a)) for a in archs]
    truth = [reward(a) for a in archs]
    assert np.allclose(np.array(predicted) - np.mean(predicted), np.array(truth) - np.mean(truth))
    # an option never told has no effect
    partial = fit_effects([(a, reward(a)) for a in archs if a[0] != 2],
                          [layer.options for layer in space.layers], ridge=0.1)
    assert partial[0][2] == 0.0


def test_the_model_probe_finds_more_optima_in_a_small_budget():
    def found(**options):
        hits = 0
        for seed in range(40):
            space, cost, reward, cost_range = additive(seed, layers=6, options=3)
            result = ln.search(space, reward, cost, cost_range, budget=60, progress=False,
                               strategy=ln.TrustRegionLayerNAS(**options))
            hits += result.best.reward == pytest.approx(brute_force(space, cost, reward, cost_range))
        return hits

    with_model, without = found(), found(model=0)
    assert with_model >= 34 and with_model >= without + 4, (with_model, without)
