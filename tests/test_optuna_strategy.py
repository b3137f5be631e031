"""Optuna's samplers as layernas strategies, on the real NATS-Bench size table."""

from __future__ import annotations

import subprocess
import sys

import optuna
import pytest

import layernas as ln
from layernas import study
from layernas.strategies import make
from layernas.study.spec import DEFAULT_STRATEGIES

pytestmark = [pytest.mark.optuna, pytest.mark.data]
BENCH = ln.benchmarks.load("nats-sss", dataset="cifar10")
RANGE = (0.0, 0.25 * BENCH.max_cost)


def run(strategy: ln.Strategy, budget: int = 40, seed: int = 0, **options) -> ln.SearchResult:
    return ln.search(BENCH.space, BENCH.reward, BENCH.cost, RANGE, strategy=strategy,
                     budget=budget, seed=seed, progress=False, **options)


def trained(result: ln.SearchResult) -> list[tuple]:
    return [t.arch for t in result.trials]


@pytest.mark.slow
@pytest.mark.parametrize("make", [ln.OptunaTPE, ln.OptunaNSGA2])
def test_seeded_and_the_same_with_two_workers(make):
    one = run(make(), seed=3)
    two = run(make(), seed=3, workers=2)
    other = run(make(), seed=4)
    assert trained(one) == trained(two)
    assert [t.reward for t in one.trials] == [t.reward for t in two.trials]
    assert trained(one) != trained(other)
    assert one.trained == 40 and one.best is not None


def test_rejections_are_free_and_told_to_optuna_as_pruned_with_the_cost_violation():
    strategy = ln.OptunaTPE()
    result = run(strategy, budget=40)
    lo, hi = RANGE
    assert all(lo <= t.cost <= hi for t in result.trials)
    assert result.rejected > 0
    trials = strategy.study.get_trials(deepcopy=False)
    states = [t.state for t in trials]
    pruned = [t for t in trials if t.state == optuna.trial.TrialState.PRUNED]
    assert len(pruned) == result.rejected
    assert states.count(optuna.trial.TrialState.COMPLETE) == result.trained + result.reused
    for t in pruned:
        arch = tuple(layer.options[t.params[layer.name]] for layer in BENCH.space.layers)
        assert t.constraints == {"cost": pytest.approx(BENCH.cost(arch) - hi)}
    # TPE learns from the rejections: after its 10 random trials it proposes in range more often
    inside = [lo <= BENCH.cost(tuple(layer.options[t.params[layer.name]]
                                     for layer in BENCH.space.layers)) <= hi for t in trials]
    assert sum(inside[10:]) / len(inside[10:]) > sum(inside[:10]) / 10


def test_a_failed_training_is_told_as_fail():
    failing = {arch for arch in trained(run(ln.OptunaTPE(), budget=5))[:2]}

    def reward(arch):
        if arch in failing:
            raise RuntimeError("out of memory")
        return BENCH.reward(arch)

    strategy = ln.OptunaTPE()
    result = ln.search(BENCH.space, reward, BENCH.cost, RANGE, strategy=strategy, budget=5,
                       seed=0, progress=False)
    assert len(result.failed) == 2
    fails = strategy.study.get_trials(states=(optuna.trial.TrialState.FAIL,))
    assert len(fails) == 2


def test_a_journaled_search_resumes_to_the_uninterrupted_answer(tmp_path):
    journal = str(tmp_path / "tpe.sqlite")
    run(ln.OptunaTPE(), budget=15, journal=journal)
    calls = []

    def counting(arch):
        calls.append(arch)
        return BENCH.reward(arch)

    resumed = ln.search(BENCH.space, counting, BENCH.cost, RANGE, strategy=ln.OptunaTPE(),
                        budget=30, seed=0, progress=False, journal=journal)
    whole = run(ln.OptunaTPE(), budget=30)
    assert trained(resumed) == trained(whole)
    assert len(calls) == 15  # the first 15 came from the journal
    assert (resumed.best.arch, resumed.best.reward) == (whole.best.arch, whole.best.reward)


def test_gp_sampler_runs_on_the_categorical_space():
    result = run(ln.OptunaGP(n_startup_trials=4), budget=6)
    assert result.trained == 6 and len(set(trained(result))) == 6


def test_registered_for_the_study_and_the_config():
    assert make("optuna-tpe").config() == {"strategy": "optuna-tpe", "n_startup_trials": 10}
    assert make("optuna-nsga2", population=20).config() == {
        "strategy": "optuna-nsga2", "population": 20}
    spec = study.StudySpec(dataset="cifar10", runs=2, budget=20,
                           strategies=study.parse_strategies("layernas,optuna-tpe,optuna-nsga2"))
    result = study.run_study(spec, workers=1)
    assert result.labels == ["layernas", "optuna-tpe", "optuna-nsga2"]
    for record in result.of("optuna-tpe"):
        assert record.trained == 20 and record.best_reward is not None
    assert "optuna" not in ",".join(DEFAULT_STRATEGIES)


def test_bad_options_and_a_missing_extra_fail_clearly():
    with pytest.raises(ln.LayerNASError, match="n_startup_trials must be an integer >= 1"):
        ln.OptunaTPE(n_startup_trials=0)
    with pytest.raises(ln.LayerNASError, match="population must be >= 2"):
        ln.OptunaNSGA2(population=1)
    with pytest.raises(ln.LayerNASError, match="has no option 'sampler'"):
        make("optuna-tpe", sampler="gp")
    code = ("import sys; sys.modules['optuna'] = None\n"
            "import layernas as ln\n"
            "try:\n    ln.OptunaTPE()\n"
            "except ln.LayerNASError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == (
        "Optuna is not installed; install it with pip install 'layernas[optuna]'")
