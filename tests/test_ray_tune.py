"""LayerNASSearch driven by real Ray Tune experiments on the NATS-Bench size table: the same
trainings as ln.search, max_concurrent_trials, and Tuner.restore after a killed driver."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ray import tune
from ray_tune_search import BENCH, RANGE, searcher, serial, train, trained, tuner

import layernas as ln
from layernas.integrations.ray_tune import LayerNASSearch

pytestmark = [pytest.mark.ray, pytest.mark.data, pytest.mark.slow]
SCRIPT = Path(__file__).parent / "ray_tune_search.py"


def answer(search: LayerNASSearch, results: tune.ResultGrid) -> tuple:
    best = search.best_result(results)
    return tuple(best.config[layer.name] for layer in BENCH.space.layers), best.metrics["accuracy"]


def test_one_trial_at_a_time_trains_what_ln_search_trains(ray_session, tmp_path):
    search = searcher()
    results = tuner(search, 1, str(tmp_path), "serial").fit()
    reference = serial()
    assert not results.errors
    assert trained(results) == [t.arch for t in reference.trials]
    assert answer(search, results) == (reference.best.arch, reference.best.reward)
    # Tune's own best would be a candidate outside the range that LayerNAS trained on its way
    assert results.get_best_result("accuracy", "max").metrics["accuracy"] > reference.best.reward


def test_two_concurrent_trials_end_with_the_serial_answer(ray_session, tmp_path):
    search = searcher()
    results = tuner(search, 2, str(tmp_path), "two").fit()
    reference = serial()
    assert sorted(trained(results)) == sorted(t.arch for t in reference.trials)
    assert answer(search, results) == (reference.best.arch, reference.best.reward)


def test_tuner_restore_after_a_killed_driver_ends_with_the_uninterrupted_answer(
        ray_session, tmp_path):
    # its own session: the kill takes the driver and the local Ray it started, as a crash would
    driver = subprocess.Popen([sys.executable, str(SCRIPT), str(tmp_path), "killed"],
                              start_new_session=True)
    experiment = tmp_path / "killed"
    deadline = time.monotonic() + 300
    try:  # kill once the searcher state has been saved with some trials done
        while len(list(experiment.glob("*/result.json"))) < 6 or not list(
                experiment.glob("searcher-state-*.pkl")):
            assert driver.poll() is None, "the driver ended before it was killed"
            assert time.monotonic() < deadline, "no 6 trials within 300 s"
            time.sleep(0.2)
    finally:
        os.killpg(driver.pid, signal.SIGKILL)
        driver.wait()
    results = tune.Tuner.restore(str(experiment), trainable=train).fit()
    search = searcher()
    reference = serial()
    assert sorted(set(trained(results))) == sorted(t.arch for t in reference.trials)
    assert answer(search, results) == (reference.best.arch, reference.best.reward)


def test_bad_input_gets_a_clear_error_before_any_training():
    with pytest.raises(ln.LayerNASError, match="no architecture can reach cost_range"):
        LayerNASSearch(BENCH.space, cost=BENCH.cost, cost_range=(-2.0, -1.0), metric="accuracy")
    with pytest.raises(ln.LayerNASError, match="mode must be 'max' or 'min'"):
        LayerNASSearch(BENCH.space, cost=BENCH.cost, cost_range=RANGE, metric="accuracy",
                       mode="maximize")
    with pytest.raises(TypeError, match="metric"):
        LayerNASSearch(BENCH.space, cost=BENCH.cost, cost_range=RANGE)  # no metric
    code = ("import sys; sys.modules['ray'] = None\n"
            "from layernas import LayerNASError\n"
            "try:\n    import layernas.integrations.ray_tune\n"
            "except LayerNASError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == (
        "Ray Tune is not installed; install it with pip install 'layernas[ray]'")
