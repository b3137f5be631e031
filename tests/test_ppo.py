"""PPO: learning, the clipped objective's gradient, batching, the cost filter, errors."""

from __future__ import annotations

import numpy as np
import pytest
from synthetic import Table, additive

import layernas as ln
from layernas.problem import Problem
from layernas.strategies import STRATEGIES
from layernas.strategies.ppo import log_probs, ppo_loss


def run_options(result):
    return [(t.number, t.arch, t.cost, t.reward) for t in result.trials], result.rejected


def clear_winner(layers: int = 4, options: int = 4):
    """Option ``i % options`` of layer ``i`` adds 10 points to the reward; the others 0 to 5."""
    rng = np.random.default_rng(0)
    values = []
    for i in range(layers):
        row = 5 * rng.random(options)
        row[i % options] = 10.0
        values.append(tuple(float(v) for v in row))
    space = ln.SearchSpace([ln.Layer(f"l{i}", list(range(options))) for i in range(layers)])
    return space, Table(tuple(values)), [i % options for i in range(layers)]


def started(strategy, space, cost=lambda arch: 1.0, cost_range=(0, 2), seed=0):
    strategy.setup(Problem(space, cost, cost_range), seed)
    return strategy


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_policy_concentrates_on_the_best_option_of_each_layer(seed):
    space, reward, best = clear_winner()
    ppo = started(ln.PPO(), space, seed=seed)
    for _ in range(300):
        arch = ppo.ask()
        ppo.tell(arch, reward(arch))
    chosen = [p[b] for p, b in zip(ppo.policy.probabilities(), best)]
    assert min(chosen) > 0.9, chosen


def test_clipped_objective_gradient_matches_finite_differences():
    rng = np.random.default_rng(4)
    sizes, samples, clip, entropy = (3, 4, 2), 16, 0.1, 0.05
    logits = [rng.standard_normal(k) for k in sizes]
    choices = np.column_stack([rng.integers(k, size=samples) for k in sizes])
    old = log_probs([z + 0.3 * rng.standard_normal(len(z)) for z in logits], choices)
    advantages = rng.standard_normal(samples)
    ratios = np.exp(log_probs(logits, choices) - old)
    # both branches of the min are exercised, and no ratio sits on a kink
    assert ((ratios < 1 - clip) | (ratios > 1 + clip)).any()
    assert ((ratios > 1 - clip) & (ratios < 1 + clip)).any()
    assert np.abs(ratios - (1 - clip)).min() > 1e-4 and np.abs(ratios - (1 + clip)).min() > 1e-4

    _, grads = ppo_loss(logits, choices, old, advantages, clip, entropy)
    step = 1e-6
    for layer, z in enumerate(logits):
        for k in range(len(z)):
            shifted = [w.copy() for w in logits]
            shifted[layer][k] += step
            up, _ = ppo_loss(shifted, choices, old, advantages, clip, entropy)
            shifted[layer][k] -= 2 * step
            down, _ = ppo_loss(shifted, choices, old, advantages, clip, entropy)
            assert grads[layer][k] == pytest.approx((up - down) / (2 * step), abs=1e-7)


def test_a_whole_batch_is_out_at_once_and_rejected_slots_are_sampled_again():
    space, reward, _ = clear_winner()
    ppo = started(ln.PPO(batch=3), space)
    first = ppo.policy.probabilities()
    out = [ppo.ask() for _ in range(3)]
    assert None not in out and ppo.ask() is None
    ppo.tell(out[0], None)  # rejected: not trained on, its slot opens again
    ppo.tell(out[1], reward(out[1]))
    ppo.tell(out[2], None)
    again = [ppo.ask(), ppo.ask()]
    assert None not in again and ppo.ask() is None
    ppo.tell(again[0], reward(again[0]))
    assert all(np.array_equal(a, b) for a, b in zip(first, ppo.policy.probabilities()))
    ppo.tell(again[1], reward(again[1]))  # third reward: the batch is complete, an update
    assert not all(np.array_equal(a, b) for a, b in zip(first, ppo.policy.probabilities()))
    assert ppo.ask() is not None


def test_replaying_told_outcomes_rebuilds_the_strategy():
    space, reward, _ = clear_winner()
    ppo = started(ln.PPO(batch=4), space, seed=5)
    told = []
    for step in range(30):
        arch = ppo.ask()
        outcome = None if step % 3 == 0 else reward(arch)
        ppo.tell(arch, outcome)
        told.append((arch, outcome))
    replay = started(ln.PPO(batch=4), space, seed=5)
    for arch, outcome in told:
        assert replay.ask() == arch
        replay.tell(arch, outcome)
    assert all(np.array_equal(a, b) for a, b in zip(ppo.policy.logits, replay.policy.logits))
    assert replay.ask() == ppo.ask()


@pytest.mark.slow
def test_workers_and_seeds():
    space, cost, reward, cost_range = additive(7, layers=5, options=4)
    slow = Table(reward.values, sleep=0.002)  # workers finish out of order
    runs = {
        (seed, workers): ln.search(space, slow if workers > 1 else reward, cost, cost_range,
                                   strategy=ln.PPO(batch=4), budget=25, seed=seed,
                                   workers=workers, progress=False)
        for seed, workers in [(3, 1), (3, 2), (4, 1)]
    }
    assert run_options(runs[3, 1]) == run_options(runs[3, 2])
    assert run_options(runs[3, 1]) != run_options(runs[4, 1])
    again = ln.search(space, reward, cost, cost_range, strategy=ln.PPO(batch=4), budget=25,
                      seed=3, progress=False)
    assert run_options(again) == run_options(runs[3, 1])


def test_only_in_range_candidates_are_trained_and_trained_on():
    space, cost, reward, cost_range = additive(11, layers=5, options=4)
    lo, hi = cost_range
    trained, told = [], []

    class Recording(ln.PPO):
        def _tell(self, arch, value):
            told.append((arch, value))
            super()._tell(arch, value)

    def counting(arch):
        trained.append(arch)
        return reward(arch)

    result = ln.search(space, counting, cost, cost_range, strategy=Recording(batch=5), budget=40,
                       seed=1, progress=False)
    assert result.trained == len(trained) == 40 and result.rejected > 0
    assert all(lo <= cost(a) <= hi for a in trained), "an out-of-range candidate was trained"
    assert all((value is None) == (not lo <= cost(a) <= hi) for a, value in told)


def test_registered_and_configurable():
    assert STRATEGIES["ppo"] is ln.PPO
    assert ln.PPO(batch=8, entropy=0.01).config() == {
        "strategy": "ppo", "batch": 8, "epochs": 4, "clip": 0.2, "lr": 0.1,
        "momentum": 0.9, "entropy": 0.01,
    }


@pytest.mark.parametrize(
    "options, message",
    [
        ({"batch": 0}, "batch must be an integer >= 1"),
        ({"batch": 2.5}, "batch must be an integer >= 1"),
        ({"epochs": 0}, "epochs must be an integer >= 1"),
        ({"clip": 0}, r"clip must be a number in \(0, 1\)"),
        ({"clip": 1.5}, r"clip must be a number in \(0, 1\)"),
        ({"clip": "0.2"}, r"clip must be a number in \(0, 1\)"),
        ({"lr": 0}, "lr must be a number > 0"),
        ({"lr": float("nan")}, "lr must be a number > 0"),
        ({"momentum": 1}, r"momentum must be a number in \[0, 1\)"),
        ({"entropy": -0.1}, "entropy must be a number >= 0"),
        ({"entropy": True}, "entropy must be a number >= 0"),
    ],
)
def test_bad_options(options, message):
    with pytest.raises(ln.LayerNASError, match=message):
        ln.PPO(**options)
