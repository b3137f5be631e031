"""SearchResult.to_dataframe: one row per trial, as Optuna users know from trials_dataframe()."""

from __future__ import annotations

import subprocess
import sys

import pytest

import layernas as ln

pytestmark = pytest.mark.data


def test_one_row_per_trial_with_a_column_per_layer():
    bench = ln.benchmarks.load("nats-sss", dataset="cifar10")
    first = ln.search(bench.space, bench.reward, bench.cost, (0, bench.max_cost / 2),
                      strategy=ln.LayerNAS(buckets=2), budget=12, seed=0, progress=False)
    broken = first.trials[3].arch

    def reward(arch):
        if arch == broken:
            raise RuntimeError("diverged")
        return bench.reward(arch)

    result = ln.search(bench.space, reward, bench.cost, (0, bench.max_cost / 2),
                       strategy=ln.LayerNAS(buckets=2), budget=12, seed=0, progress=False)
    frame = result.to_dataframe()
    names = [layer.name for layer in bench.space.layers]
    assert list(frame.columns) == ["number", *names, "cost", "reward", "status", "duration",
                                   "attempts", "error"]
    assert len(frame) == len(result.trials) == 12
    for row, trial in zip(frame.itertuples(index=False), result.trials):
        assert (row.number, tuple(getattr(row, n) for n in names), row.cost, row.status) == (
            trial.number, trial.arch, trial.cost, trial.status)
        assert row.duration == trial.duration >= 0
    failed = frame[frame.status == "failed"]
    assert failed.number.tolist() == [3] and failed.reward.isna().all()
    assert "diverged" in failed.error.iloc[0]
    best = frame.loc[frame.reward.idxmax()]
    assert best.reward == max(t.reward for t in result.trials if t.ok)


def test_a_layer_named_like_a_column_and_a_missing_pandas():
    space = ln.SearchSpace([ln.Layer("cost", [1, 2]), ln.Layer("width", [1, 2])])
    result = ln.search(space, reward=sum, cost=sum, cost_range=(2, 4), budget=3, progress=False)
    assert list(result.to_dataframe().columns)[:3] == ["number", "layer:cost", "width"]
    code = ("import sys; sys.modules['pandas'] = None\n"
            "import layernas as ln\n"
            "space = ln.SearchSpace([ln.Layer('a', [1, 2])])\n"
            "result = ln.search(space, reward=sum, cost=sum, cost_range=(1, 2), progress=False)\n"
            "try:\n    result.to_dataframe()\n"
            "except ln.LayerNASError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == (
        "to_dataframe needs pandas; install it with pip install 'layernas[pandas]'")
