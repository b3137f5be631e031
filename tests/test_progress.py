"""Progress that tells the truth: one line per trial in a log, a total the search reaches,
a resume that says so, and Ctrl-C / SIGTERM that stop cleanly and say how to resume."""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from synthetic import additive

import layernas as ln
from layernas.journal import read_journal

LINE = re.compile(r"^layernas \(bound \d+\): trial (\d+) \[(\d+)/(\d+)\] cost ([\d.e+]+), "
                  r"reward ([\d.e+-]+), best so far (-|[\d.e+-]+ \(#\d+\)), elapsed \dm\d\ds$")


def test_a_search_writing_to_a_log_prints_one_line_per_trial(capfd):
    space, cost, reward, cost_range = additive(3, layers=4, options=4)
    result = ln.search(space, reward, cost, cost_range, strategy=ln.LayerNAS(buckets=4))
    out, err = capfd.readouterr()
    assert out == "", "progress goes to standard error"
    lines = err.splitlines()
    assert len(lines) == result.trained and all(LINE.match(line) for line in lines), err
    numbers = [int(LINE.match(line).group(1)) for line in lines]
    assert numbers == list(range(result.trained))
    assert LINE.match(lines[-1]).group(6) == f"{result.best.reward:.6g} (#{result.best.number})"
    totals = [int(LINE.match(line).group(3)) for line in lines]
    assert totals[-1] == result.trained, "the total ends at what the search trained"
    assert all(result.trained <= t <= result.bound for t in totals)
    assert totals == sorted(totals, reverse=True), "the total only tightens"


def test_the_total_is_the_budget_when_that_is_lower(capfd):
    space, cost, reward, cost_range = additive(3, layers=4, options=4)
    ln.search(space, reward, cost, cost_range, strategy=ln.LayerNAS(buckets=4), budget=5)
    lines = capfd.readouterr().err.splitlines()
    assert [LINE.match(line).group(2, 3) for line in lines] == [(str(i), "5") for i in range(1, 6)]


def test_layernas_knows_how_many_trials_it_has_left():
    space, cost, reward, cost_range = additive(3, layers=4, options=4)
    strategy = ln.LayerNAS(buckets=4)
    strategy.setup(ln.problem.Problem(space, cost, cost_range), seed=0)
    full = ln.search(space, reward, cost, cost_range, strategy=ln.LayerNAS(buckets=4),
                     progress=False)
    assert full.trained <= strategy.remaining() <= strategy.bound()
    assert full.snapshot and ln.RandomSearch().remaining() is None


def test_a_resumed_search_says_so_and_logs_only_what_it_trains(tmp_path, capfd):
    space, cost, reward, cost_range = additive(3, layers=4, options=4)
    journal = str(tmp_path / "j.sqlite")
    ln.search(space, reward, cost, cost_range, budget=7, journal=journal, progress=False)
    result = ln.search(space, reward, cost, cost_range, journal=journal)
    err = capfd.readouterr().err.splitlines()
    assert err[0] == "resuming: 7 trials from the journal"
    assert result.from_journal == 7 and result.trained_now == result.trained - 7
    assert [int(LINE.match(line).group(1)) for line in err[1:]] == list(range(7, result.trained))
    assert all(int(LINE.match(line).group(2)) > 7 for line in err[1:])


CONFIG = """
[space]
layers = [{ name = "a", options = [1, 2, 3, 4] }, { name = "b", options = [1, 2, 3] },
          { name = "c", options = [1, 2, 3] }]
[search]
cost = "slow:cost"
reward = "slow:reward"
cost_range = [3, 8]
journal = "j.sqlite"
[strategy]
name = "layernas"
buckets = 3
"""

SLOW = """
import time

def cost(arch):
    return float(sum(arch))

def reward(arch):
    time.sleep(0.15)
    return float(arch[0] * 2 - arch[1] + arch[2] * 0.5)
"""


def saved(journal: Path) -> int:
    try:
        with sqlite3.connect(journal) as db:
            return db.execute("SELECT COUNT(*) FROM trials WHERE status='ok'").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.slow
@pytest.mark.parametrize("signum, workers", [
    (signal.SIGINT, 1), (signal.SIGTERM, 1), (signal.SIGINT, 2), (signal.SIGTERM, 2)])
def test_ctrl_c_and_sigterm_stop_cleanly_and_say_how_to_resume(tmp_path, signum, workers):
    """Sent to the whole process group, as a terminal's Ctrl-C is (workers included)."""
    (tmp_path / "slow.py").write_text(SLOW)
    config = tmp_path / "c.toml"
    config.write_text(CONFIG)
    command = [sys.executable, "-m", "layernas.cli", "search", str(config), "--no-progress",
               "--workers", str(workers)]
    journal = tmp_path / "j.sqlite"
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 60
    while saved(journal) < 3 and time.time() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum, (out, err)
    count = saved(journal)
    assert count >= 3
    assert err.strip().splitlines()[-1] == (
        f"stopped; {count} trials saved in {journal}; run the same command to resume")
    assert "Traceback" not in err
    assert read_journal(journal).stopped == "interrupted; the same call resumes it"
    resumed = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert re.search(rf"trained \d+ \(\d+ now, {count} from the journal\)", resumed.stdout), (
        resumed.stdout)


def test_the_journal_holds_the_planned_total_for_show(tmp_path):
    space, cost, reward, cost_range = additive(3, layers=4, options=4)
    journal = tmp_path / "j.sqlite"
    cut = ln.search(space, reward, cost, cost_range, strategy=ln.LayerNAS(buckets=4), budget=9,
                    journal=journal, progress=False)
    assert read_journal(journal).planned == 9 == cut.trained
    full = ln.search(space, reward, cost, cost_range, strategy=ln.LayerNAS(buckets=4),
                     journal=tmp_path / "full.sqlite", progress=False)
    assert read_journal(tmp_path / "full.sqlite").planned == full.trained
