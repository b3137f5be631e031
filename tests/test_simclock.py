"""The study's simulated clock: N workers in virtual time, exact and deterministic."""

from __future__ import annotations

import dataclasses
import json

import pytest
from click.testing import CliRunner

import layernas as ln
from layernas import study
from layernas.cli import main
from layernas.study.simclock import DurationModel, SimulatedExecutor
from layernas.study.statistics import summarize

pytestmark = pytest.mark.data


def test_workers_take_trials_as_they_free_up():
    durations = {"a": 1.0, "b": 2.0, "c": 1.5}
    clock = SimulatedExecutor(lambda arch: durations[arch]).start(lambda arch: 10.0, 2, None)
    clock.submit(0, "a")
    clock.submit(1, "b")
    assert [o.number for o in clock.collect()] == [0] and clock.now == 1.0
    clock.submit(2, "c")  # starts at 1.0 on the freed worker
    assert [o.number for o in clock.collect()] == [1] and clock.now == 2.0
    (last,) = clock.collect()
    assert (last.number, last.value, last.duration) == (2, 10.0, 1.5)
    assert clock.finished_at == {0: 1.0, 1: 2.0, 2: 2.5}
    assert clock.utilisation == pytest.approx(4.5 / (2 * 2.5))


def test_durations_follow_flops_with_fixed_jitter_per_seed():
    bench = ln.benchmarks.load("nats-sss", dataset="cifar10")
    small, large = (8,) * 5, (64,) * 5
    model = DurationModel(bench, seed=3)
    assert model(large) > model(small)
    assert model(small) == DurationModel(bench, seed=3)(small)
    assert model(small) != DurationModel(bench, seed=4)(small)
    no_jitter = DurationModel(bench, seed=3, jitter=0.0)
    assert no_jitter(large) == pytest.approx(1.2)  # the overhead plus the largest model


def sim_spec(**changes) -> study.StudySpec:
    base = {"dataset": "cifar100", "runs": 3, "budget": 60, "sim_workers": 8,
            "strategies": study.parse_strategies("layernas-tr,layernas:buckets=10,random")}
    return study.StudySpec(**{**base, **changes})


def untimed(record):
    return dataclasses.replace(record, times=(), time_finals=(), utilisation=None, makespan=None)


def test_the_clock_changes_when_things_end_not_what_is_trained():
    one = study.run_study(sim_spec(sim_workers=1))
    eight = study.run_study(sim_spec())
    plain = study.run_study(sim_spec(sim_workers=None))
    assert [untimed(r) for r in one.records] == [untimed(r) for r in eight.records]
    assert [untimed(r) for r in one.records] == plain.records
    for a, b in zip(one.records, eight.records):
        assert a.utilisation == pytest.approx(1.0)
        assert 0 < b.utilisation <= 1 and b.makespan < a.makespan
        assert a.time_finals[-1] == b.time_finals[-1] == a.step_finals[-1]
        assert list(a.times) == sorted(a.times)


@pytest.mark.slow
def test_a_barrier_leaves_workers_idle_and_results_do_not_depend_on_processes():
    spec = sim_spec(sim_workers=32)
    result = study.run_study(spec, workers=2)
    assert result.records == study.run_study(spec, workers=1).records
    clocks = {s.label: s.clock for s in summarize(result)}
    # random search always has proposals ready; LayerNAS waits at every layer barrier
    assert clocks["random"].utilisation.median > 0.7
    assert clocks["layernas:buckets=10"].utilisation.median < 0.5
    points = clocks["layernas-tr"].points
    assert [p.trained for p in points] == [6, 18, 30, 50, 60]
    assert points[-1].time == pytest.approx(60 / 50 * points[-2].time)


@pytest.mark.slow
def test_cli_sim_workers_writes_the_clock_table_and_plot(tmp_path):
    out = tmp_path / "study"
    run = CliRunner().invoke(main, [
        "study", "--benchmark", "nats-sss:cifar10", "--runs", "2", "--budget", "30",
        "--strategies", "layernas-tr,random", "--sim-workers", "4", "--workers", "1",
        "--out", str(out), "--no-progress",
    ])
    assert run.exit_code == 0, run.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["setup"]["sim_workers"] == 4
    assert summary["strategies"]["random"]["clock"]["workers"] == 4
    report = (out / "report.md").read_text()
    assert "### Simulated clock: 4 workers" in report and "anytime_clock.png" in report
    assert (out / "anytime_clock.png").stat().st_size > 0
    bad = CliRunner().invoke(main, ["study", "--sim-workers", "0", "--out", str(out)])
    assert bad.exit_code != 0 and "sim-workers" in bad.output
