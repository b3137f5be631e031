"""Fault injection: trainings that fail, hang or kill their worker; drivers killed by
SIGKILL and resumed; Ray runs against one-worker runs; bad executor settings.

Ray runs on one local Ray with 2 CPUs (conftest's ``ray_session``).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from faulty import Expected, Faulty, calls
from synthetic import Table, additive, summary

import layernas as ln
from layernas.cli import main
from layernas.executors import RayExecutor

TESTS = Path(__file__).parent


def problem():
    space, cost, reward, cost_range = additive(4, layers=4, options=6)
    return space, cost, reward, cost_range


def first_trials(n):
    """The first ``n`` archs a clean LayerNAS run trains (``n`` <= 6: the first layer, which
    is always proposed whatever fails)."""
    space, cost, reward, cost_range = problem()
    clean = ln.search(space, reward, cost, cost_range, strategy=ln.LayerNAS(buckets=5),
                      budget=n, progress=False)
    return [t.arch for t in clean.trials]


# -- failing, hanging and worker-killing trainings ------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("executor", ["process", pytest.param("ray", marks=pytest.mark.ray)])
def test_failures_are_retried_recorded_and_never_the_answer(executor, tmp_path, request):
    if executor == "ray":
        request.getfixturevalue("ray_session")
    space, cost, reward, cost_range = problem()
    a = first_trials(6)
    faulty = Faulty(reward, str(tmp_path), seed=1, flaky=0.3, kill_once=0.2,
                    raises=frozenset({a[1]}), nan=frozenset({a[2]}), hang=frozenset({a[3]}),
                    killer=frozenset({a[4]}))
    journal = tmp_path / "j.sqlite"
    result = ln.search(space, faulty, cost, cost_range, strategy=ln.LayerNAS(buckets=5),
                       budget=24, workers=2, executor=executor, timeout=1.0, retries=1,
                       journal=str(journal), progress=False)
    expected = ln.search(space, Expected(reward, faulty.doomed), cost, cost_range,
                         strategy=ln.LayerNAS(buckets=5), budget=24, progress=False)
    assert summary(result) == summary(expected)
    attempts = calls(str(tmp_path))
    assert any(n > 0 for arch, n in attempts if arch not in faulty.doomed), "nothing was retried"
    assert result.retried > 0 and result.worker_deaths >= 3

    failed = {t.arch: t for t in result.failed}
    assert set(failed) == faulty.doomed
    assert "training of" in failed[a[1]].error and failed[a[1]].attempts == 2
    assert "returned nan" in failed[a[2]].error
    assert "timed out after 1 s" in failed[a[3]].error and failed[a[3]].attempts == 2
    assert "died 3 times" in failed[a[4]].error and failed[a[4]].attempts == 1
    assert sum(1 for arch, _ in attempts if arch == a[4]) == 3  # not re-run forever
    assert result.best.arch not in faulty.doomed

    out = CliRunner().invoke(main, ["show", str(journal)])
    assert out.exit_code == 0, out.output
    listed = out.output.split("failures:")[1]
    for reason in ("diverged", "returned nan", "timed out", "died 3 times"):
        assert reason in listed


@pytest.mark.slow
@pytest.mark.parametrize("executor", ["process", pytest.param("ray", marks=pytest.mark.ray)])
def test_a_dead_worker_is_rerun_without_using_a_retry(executor, tmp_path, request):
    if executor == "ray":
        request.getfixturevalue("ray_session")
    space, cost, reward, cost_range = problem()
    faulty = Faulty(reward, str(tmp_path), seed=2, kill_once=0.4)
    result = ln.search(space, faulty, cost, cost_range, strategy=ln.LayerNAS(buckets=5),
                       budget=14, workers=2, executor=executor, retries=0, progress=False)
    clean = ln.search(space, reward, cost, cost_range, strategy=ln.LayerNAS(buckets=5),
                      budget=14, progress=False)
    assert summary(result) == summary(clean)
    killed = sum(1 for _, n in calls(str(tmp_path)) if n == 1)
    assert killed and result.worker_deaths == killed and result.retried == 0
    assert all(t.attempts == 1 for t in result.trials)


# -- Ray gives the search that one worker gives ---------------------------------------
@pytest.mark.parametrize("make", [lambda: ln.LayerNAS(buckets=5, keep=2),
                                  lambda: ln.RegularizedEvolution(population=5, sample=2)])
@pytest.mark.ray
def test_ray_run_equals_one_worker_run(make, ray_session):
    space, cost, reward, cost_range = additive(7, layers=4, options=3)
    slow = Table(reward.values, sleep=0.002)  # arch-dependent: tasks finish out of order
    one = ln.search(space, reward, cost, cost_range, strategy=make(), budget=25, seed=3,
                    progress=False)
    ray = ln.search(space, slow, cost, cost_range, strategy=make(), budget=25, seed=3,
                    workers=2, executor="ray", progress=False)
    assert summary(ray) == summary(one)


@pytest.mark.ray
def test_ray_runs_closures_and_honours_resources(ray_session):
    space, cost, reward, cost_range = additive(7, layers=3, options=3)
    result = ln.search(space, lambda arch: reward(arch), cost, cost_range, budget=6,
                       executor=RayExecutor(resources={"num_cpus": 2}), progress=False)
    assert result.trained == 6 and not result.failed


# -- the driver killed by SIGKILL, then resumed -----------------------------------------
DRIVER = """
import json, sys
sys.path.insert(0, {tests!r})
from faulty import Faulty
from synthetic import additive
import layernas as ln
from layernas.executors import RayExecutor
space, cost, reward, cost_range = additive(4, layers=4, options=6)
faulty = Faulty(reward, {state!r}, seed=3, kill_once=0.15, raises=frozenset({raises}),
                sleep={sleep})
if __name__ == "__main__":
    r = ln.search(space, faulty, cost, cost_range, strategy=ln.LayerNAS(buckets=5), budget=26,
                  workers=2, retries=1,
                  executor=RayExecutor(address={address!r}) if {executor!r} == "ray" else {executor!r},
                  journal={journal!r}, progress=False)
    print(json.dumps([[t.number, t.arch, t.cost, t.reward, t.status] for t in r.trials]))
"""


def rows(journal):
    db = sqlite3.connect(journal)
    try:
        return db.execute(
            "SELECT number, arch, cost, reward, status, error, attempts, finished FROM trials "
            "ORDER BY number").fetchall()
    finally:
        db.close()


def finished_count(journal):
    try:
        return sum(1 for r in rows(journal) if r[4] != "running")
    except sqlite3.Error:
        return -1


@pytest.mark.slow
@pytest.mark.parametrize("executor, kill_after", [
    ("process", 0), ("process", 8), ("process", 19),
    pytest.param("ray", 10, marks=pytest.mark.ray),
])
def test_driver_killed_then_resumed_ends_as_uninterrupted(executor, kill_after, tmp_path, request):
    """Ray: the killed driver joins the module's Ray by its address, like a cluster."""
    address = None
    if executor == "ray":
        address = request.getfixturevalue("ray_session").get_runtime_context().gcs_address
    space, cost, reward, cost_range = problem()
    raises = first_trials(3)[2]
    journal, state = tmp_path / "j.sqlite", tmp_path / "state"
    state.mkdir()
    script = tmp_path / "driver.py"
    script.write_text(DRIVER.format(tests=str(TESTS), state=str(state), raises=[raises],
                                    sleep=0.08, executor=executor, address=address,
                                    journal=str(journal)))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 300  # a loaded machine starts Ray slowly; the loop ends when met
    while time.time() < deadline and proc.poll() is None:
        if journal.exists() and finished_count(journal) >= kill_after and any(
            r[4] == "running" for r in rows(journal)
        ):
            break
        time.sleep(0.02)
    # the journal can be read while the search writes it
    shown = CliRunner().invoke(main, ["show", str(journal), "--limit", "0"])
    assert shown.exit_code == 0, shown.output
    assert "running" in shown.output
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the search ended before it could be killed"

    before = rows(journal)
    done_before = {r[0]: r for r in before if r[4] != "running"}
    assert len(done_before) >= kill_after
    calls_before = set(calls(str(state)))

    if executor == "ray":  # resume in this process, on the module's Ray
        faulty = Faulty(reward, str(state), seed=3, kill_once=0.15, raises=frozenset({raises}))
        result = ln.search(space, faulty, cost, cost_range, strategy=ln.LayerNAS(buckets=5),
                           budget=26, workers=2, executor="ray", retries=1,
                           journal=str(journal), progress=False)
        resumed = [[t.number, list(t.arch), t.cost, t.reward, t.status] for t in result.trials]
    else:  # the same command again
        out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                             check=True, timeout=120)
        resumed = json.loads(out.stdout)

    clean = ln.search(space, Expected(reward, frozenset({raises})), cost, cost_range,
                      strategy=ln.LayerNAS(buckets=5), budget=26, progress=False)
    assert resumed == [[t.number, list(t.arch), t.cost, t.reward, t.status] for t in clean.trials]

    after = {r[0]: r for r in rows(journal)}
    ok_before = {n: r for n, r in done_before.items() if r[4] == "ok"}
    for number, row in ok_before.items():
        assert after[number] == row, f"completed trial {number} changed on resume"
    retrained = {arch for arch, _ in set(calls(str(state))) - calls_before}
    assert not retrained & {tuple(json.loads(r[1])) for r in ok_before.values()}, (
        "a completed trial was trained again")
    failed_before = {tuple(json.loads(r[1])) for r in done_before.values() if r[4] == "failed"}
    assert failed_before <= retrained, "a failed trial was not retried on resume"
    assert all(r[4] != "running" for r in after.values())


# -- bad input: a clear error before any training -------------------------------------
class Counting:
    def __init__(self):
        self.calls = 0

    def __call__(self, arch):
        self.calls += 1
        return 1.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bad(**kwargs):
    space, cost, _, cost_range = additive(1, layers=2, options=2)
    reward = Counting()
    with pytest.raises(ln.LayerNASError) as info:
        ln.search(space, reward, cost, cost_range, progress=False, **kwargs)
    assert reward.calls == 0
    return str(info.value)


@pytest.mark.parametrize("kwargs, message", [
    ({"executor": "dask"}, "unknown executor 'dask'; choose one of inline, process, ray"),
    ({"executor": "inline", "workers": 2}, "use executor='process'"),
    ({"executor": 3}, "executor must be an executor name or a layernas.executors.Executor"),
    ({"timeout": -1}, "timeout must be a number > 0"),
    ({"timeout": "10"}, "timeout must be"),
    ({"retries": 1.5}, "retries must be an integer >= 0"),
    ({"retries": -1}, "retries must be an integer >= 0"),
])
def test_bad_executor_settings(kwargs, message):
    import re

    assert re.search(message, bad(**kwargs))


@pytest.mark.parametrize("settings, message", [
    ({"resources": {"cpus": 1}}, "unknown per-trial resource.*'cpus'"),
    ({"resources": {"num_gpus": -1}}, r"resources\['num_gpus'\] must be"),
    ({"resources": 4}, "must be a mapping"),
    ({"address": "nocolon"}, "must look like 'HOST:PORT'"),
])
def test_bad_ray_settings_are_refused_when_the_executor_is_made(settings, message):
    with pytest.raises(ln.LayerNASError, match=message):
        RayExecutor(**settings)


def test_ray_settings_belong_to_the_ray_executor():
    from layernas.executors import make_executor

    with pytest.raises(ln.LayerNASError, match="apply to executor='ray'"):
        make_executor("process", address="h:1")
    assert make_executor(None, address="auto") == RayExecutor(address="auto")
    assert make_executor(None) is None
    with pytest.raises(TypeError):
        ln.search(*additive(1, layers=2, options=2), ray_address="h:1")


@pytest.mark.ray
def test_unreachable_ray_address_fails_fast():
    start = time.perf_counter()
    message = bad(executor=RayExecutor(address=f"127.0.0.1:{free_port()}"))
    assert "no Ray cluster answers at" in message and "ray start --head" in message
    assert time.perf_counter() - start < 10


def test_missing_ray_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    assert "pip install 'layernas[ray]'" in bad(executor="ray")


@pytest.mark.parametrize("resources, message", [
    ({"num_gpus": 1}, "GPU=1"),
    ({"num_cpus": 64}, "CPU=64"),
    ({"resources": {"tpu": 1}}, "tpu=1"),
])
@pytest.mark.ray
def test_resources_no_node_has(resources, message, ray_session):
    text = bad(executor=RayExecutor(resources=resources))
    assert "no node of the Ray cluster has the resources" in text and message in text


@pytest.mark.ray
def test_workers_that_cannot_import_the_reward(ray_session, tmp_path):
    module = tmp_path / "elsewhere.py"
    module.write_text("def reward(arch):\n    return 1.0\n")
    sys.path.insert(0, str(tmp_path))  # the driver can import it; the running Ray cannot
    try:
        from elsewhere import reward

        space, cost, _, cost_range = additive(1, layers=2, options=2)
        with pytest.raises(ln.LayerNASError, match="Ray workers cannot load the reward.*elsewhere"):
            ln.search(space, reward, cost, cost_range, executor="ray", progress=False)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("elsewhere", None)


CONFIG = """
[space]
layers = [{{ name = "a", options = [1, 2, 3] }}, {{ name = "b", options = [1, 2] }}]
[search]
cost = "prob:cost"
reward = "prob:reward"
cost_range = [2, 5]
{extra}
"""


@pytest.mark.parametrize("extra, args, message", [
    ('executor = "dask"', [], "executor: Input should be 'inline', 'process' or 'ray'"),
    ("retries = -2", [], "retries: Input should be greater than or equal to 0"),
    ("timeout = 0", [], "timeout: Input should be greater than 0"),
    pytest.param("", ["--executor", "ray", "--ray-address", "127.0.0.1:{port}"],
                 "no Ray cluster answers", marks=pytest.mark.ray),
    ('executor = "process"\nray_address = "127.0.0.1:6379"', [], "apply to executor='ray'"),
    ("resources = { num_cpus = 1, cpus = 2 }", ["--executor", "ray"], "'cpus'"),
    ("", ["--timeout", "0"], "--timeout"),
    ("", ["--retries", "-1"], "--retries"),
])
def test_bad_settings_from_the_command_line(extra, args, message, tmp_path):
    (tmp_path / "prob.py").write_text(
        "def cost(a):\n    return float(sum(a))\n\n"
        "def reward(a):\n    raise SystemExit('trained')\n"
    )
    config = tmp_path / "c.toml"
    config.write_text(CONFIG.format(extra=extra))
    args = [a.format(port=free_port()) for a in args]
    out = CliRunner().invoke(main, ["search", str(config), *args])
    assert out.exit_code != 0
    assert message in out.output, out.output
    assert "trained" not in out.output
