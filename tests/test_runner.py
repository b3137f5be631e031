"""The runner: budgets, the cost filter, determinism across workers, journals and resume."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from faulty import Crash, CrashAfter
from synthetic import Table, additive, summary

import layernas as ln

STRATEGIES = [
    lambda: ln.LayerNAS(buckets=5, keep=2),
    lambda: ln.RandomSearch(),
    lambda: ln.RegularizedEvolution(population=5, sample=2),
    lambda: ln.Reinforce(),
    lambda: ln.Exhaustive(),
]


@pytest.mark.slow
@pytest.mark.parametrize("make", STRATEGIES)
def test_workers_and_completion_order_do_not_change_the_search(make):
    space, cost, reward, cost_range = additive(7, layers=4, options=3)
    slow = Table(reward.values, sleep=0.002)  # arch-dependent sleeps: workers finish out of order
    one = ln.search(space, reward, cost, cost_range, strategy=make(), budget=25, seed=3,
                    progress=False)
    two = ln.search(space, slow, cost, cost_range, strategy=make(), budget=25, seed=3, workers=2,
                    progress=False)
    assert summary(one) == summary(two)


@pytest.mark.parametrize("make", STRATEGIES[1:4])
def test_baselines_filter_by_cost_before_training_and_are_seeded(make):
    space, cost, reward, cost_range = additive(11, layers=5, options=4)
    lo, hi = cost_range
    trained = []

    def counting(arch):
        trained.append(arch)
        return reward(arch)

    result = ln.search(space, counting, cost, cost_range, strategy=make(), budget=30, seed=1,
                       progress=False)
    assert result.trained == len(trained) == 30
    assert all(lo <= cost(a) <= hi for a in trained), "an out-of-range candidate was trained"
    assert result.rejected > 0
    again = ln.search(space, reward, cost, cost_range, strategy=make(), budget=30, seed=1,
                      progress=False)
    other = ln.search(space, reward, cost, cost_range, strategy=make(), budget=30, seed=2,
                      progress=False)
    assert summary(again) == summary(result)
    assert summary(other) != summary(result)


def test_budget_stops_mid_layer_with_best_so_far():
    space, cost, reward, cost_range = additive(2, layers=4, options=4)
    full = ln.search(space, reward, cost, cost_range, strategy=ln.LayerNAS(buckets=8),
                     progress=False)
    cut = ln.search(space, reward, cost, cost_range, strategy=ln.LayerNAS(buckets=8), budget=9,
                    progress=False)
    assert cut.trained == 9 and cut.stop_reason == "budget reached"
    assert [t.arch for t in cut.trials] == [t.arch for t in full.trials[:9]]


def test_repeated_architectures_are_reused_not_trained():
    space = ln.SearchSpace([ln.Layer("a", [0, 1])])
    result = ln.search(space, lambda a: 1.0, lambda a: 1.0, (0, 2), strategy=ln.RandomSearch(),
                       budget=5, max_stall=50, progress=False)
    assert result.trained == 2 and result.reused > 50
    assert result.stop_reason.startswith("stalled")


@pytest.mark.parametrize("make", STRATEGIES[:4])
def test_resume_after_a_crash_gives_the_uninterrupted_result(make, tmp_path):
    space, cost, reward, cost_range = additive(4, layers=4, options=4)
    journal = str(tmp_path / "j.sqlite")
    clean = ln.search(space, reward, cost, cost_range, strategy=make(), budget=40, seed=5,
                      progress=False)
    with pytest.raises(Crash):
        ln.search(space, CrashAfter(reward, 17), cost, cost_range, strategy=make(), budget=40,
                  seed=5, journal=journal, progress=False)
    calls = []

    def counting(arch):
        calls.append(arch)
        return reward(arch)

    resumed = ln.search(space, counting, cost, cost_range, strategy=make(), budget=40, seed=5,
                        journal=journal, progress=False)
    assert summary(resumed) == summary(clean)
    assert len(calls) == clean.trained - 17, "completed trials were trained again"
    assert not set(calls) & {t.arch for t in clean.trials[:17]}


def test_journal_of_another_search_is_refused(tmp_path):
    space, cost, reward, cost_range = additive(4, layers=3, options=3)
    journal = str(tmp_path / "j.sqlite")
    ln.search(space, reward, cost, cost_range, seed=1, journal=journal, progress=False)
    with pytest.raises(ln.LayerNASError, match="different search.*seed"):
        ln.search(space, reward, cost, cost_range, seed=2, journal=journal, progress=False)


def test_journal_rows_hold_every_trial(tmp_path):
    space, cost, reward, cost_range = additive(4, layers=3, options=3)
    journal = tmp_path / "j.sqlite"
    result = ln.search(space, reward, cost, cost_range, journal=str(journal), progress=False)
    rows = sqlite3.connect(journal).execute(
        "SELECT number, status, reward, cost, started, finished FROM trials ORDER BY number"
    ).fetchall()
    assert [(n, s, r, c) for n, s, r, c, *_ in rows] == [
        (t.number, "ok", t.reward, t.cost) for t in result.trials
    ]
    assert all(start <= end for *_, start, end in rows)
    layers = sqlite3.connect(journal).execute("SELECT COUNT(DISTINCT tbl) FROM kept")
    assert layers.fetchone()[0] == len(space)


KILL_SCRIPT = """
import sys, time
sys.path.insert(0, {tests!r})
from synthetic import Table, additive
import layernas as ln
space, cost, reward, cost_range = additive(9, layers=5, options=4)
slow = Table(reward.values, sleep={sleep})
r = ln.search(space, slow, cost, cost_range, strategy=ln.LayerNAS(buckets=6), seed=0,
              journal={journal!r}, progress=False)
print(len(r.trials), r.best.arch)
"""


@pytest.mark.slow
def test_kill_9_mid_search_then_resume(tmp_path):
    journal = tmp_path / "j.sqlite"
    tests = str(Path(__file__).parent)
    script = tmp_path / "run.py"
    script.write_text(KILL_SCRIPT.format(tests=tests, sleep=0.01, journal=str(journal)))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE)
    deadline = time.time() + 60
    done = 0
    while time.time() < deadline and done < 15:
        time.sleep(0.05)
        if journal.exists():
            try:
                done = sqlite3.connect(journal).execute(
                    "SELECT COUNT(*) FROM trials WHERE status='ok'").fetchone()[0]
            except sqlite3.OperationalError:
                pass
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert done >= 15
    killed_at = sqlite3.connect(journal).execute(
        "SELECT COUNT(*) FROM trials WHERE status='ok'").fetchone()[0]
    script.write_text(KILL_SCRIPT.format(tests=tests, sleep=0, journal=str(journal)))
    resumed = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    clean = KILL_SCRIPT.format(tests=tests, sleep=0, journal=str(tmp_path / "clean.sqlite"))
    (tmp_path / "clean.py").write_text(clean)
    fresh = subprocess.run([sys.executable, str(tmp_path / "clean.py")], capture_output=True,
                           text=True, check=True)
    assert resumed.stdout == fresh.stdout
    assert killed_at < int(fresh.stdout.split()[0])


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("options", [{"prune_dominated": True}, {"bucket_range": "children"}])
def test_journal_holds_exactly_the_strategys_last_memorial_tables(tmp_path, seed, options):
    """Refinement passes may keep fewer rows than the pass before: none of those may linger."""
    from layernas.journal import read_journal

    space, cost, reward, cost_range = additive(seed, layers=4, options=4, interaction=0.3)
    strategy = ln.LayerNAS(buckets=8, keep=2, start_buckets=2, **options)
    path = tmp_path / "j.sqlite"
    result = ln.search(space, reward, cost, cost_range, strategy=strategy, journal=str(path),
                       progress=False)
    stored = [(r.table, r.rank, r.round, r.bucket, r.cost, r.reward, r.arch)
              for r in read_journal(path).kept]
    expected = [(r.table, r.rank, r.round, r.bucket, r.cost, r.reward, ln.space.arch_key(r.arch))
                for r in result.snapshot]
    assert expected and stored == expected


@pytest.mark.slow
def test_executor_instances_run_the_search_their_names_run():
    from layernas.executors import InlineExecutor, ProcessExecutor

    space, cost, reward, cost_range = additive(7, layers=3, options=3)
    runs = [ln.search(space, reward, cost, cost_range, budget=8, seed=1, workers=workers,
                      executor=executor, progress=False)
            for workers, executor in ((1, "inline"), (1, InlineExecutor()), (2, "process"),
                                      (2, ProcessExecutor()))]
    assert all(summary(r) == summary(runs[0]) for r in runs[1:])
